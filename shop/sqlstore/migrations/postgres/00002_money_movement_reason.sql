-- +goose Up
-- The merchant's reason (note) given with a money movement: a capture's or
-- refund's reason, the cancellation or closure reason sent to Amazon Pay.
-- Written when the movement is begun, so it survives a crash and a replay
-- keeps the first one. Empty for movements recorded before this column.
ALTER TABLE money_movements ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE money_movements DROP COLUMN reason;
