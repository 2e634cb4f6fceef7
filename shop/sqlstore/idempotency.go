package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// BeginIdempotentRequest implements [shop.IdempotencyStore].
func (c *conn) BeginIdempotentRequest(ctx context.Context, rec *shop.IdempotencyRecord, lease time.Duration) (*shop.IdempotencyRecord, error) {
	if err := shop.ValidateClientKey(rec.Key); err != nil {
		return nil, err
	}
	// A new key (the common case) is one INSERT, atomic on its own; only a
	// key seen before needs a transaction to read and maybe take it over.
	claimed, err := c.insertIdempotencyClaim(ctx, rec, lease)
	if err != nil || claimed {
		return nil, wrap("begin idempotent request", err)
	}
	var out *shop.IdempotencyRecord
	err = c.atomic(ctx, func(c *conn) error {
		now := c.now()
		claimed, err := c.insertIdempotencyClaim(ctx, rec, lease) // deleted meanwhile (abandoned)?
		if err != nil || claimed {
			return err
		}
		var ex shop.IdempotencyRecord
		var body []byte
		err = c.q.QueryRowContext(ctx, `
			SELECT api_key_id, idem_key, method, path, request_hash, status, body, locked_until, created_at, completed_at
			FROM idempotency_records WHERE api_key_id = $1 AND idem_key = $2`+c.db.dialect.forUpdate(),
			rec.APIKeyID, rec.Key).Scan(&ex.APIKeyID, &ex.Key, &ex.Method, &ex.Path, &ex.RequestHash, &ex.Status, &body,
			tm(&ex.LockedUntil), tm(&ex.CreatedAt), tm(&ex.CompletedAt))
		if err != nil {
			return err
		}
		ex.Body = body
		switch {
		case ex.RequestHash != rec.RequestHash:
			return shop.Errorf(shop.EINVALID, "Idempotency-Key %q was already used for a different request (%s %s).", rec.Key, ex.Method, ex.Path)
		case ex.Done():
			out = &ex
			return nil
		case ex.LockedUntil.After(now):
			return shop.Errorf(shop.ECONFLICT, "A request with Idempotency-Key %q is still being processed.", rec.Key)
		}
		// Abandoned by a process that died: take it over.
		_, err = c.q.ExecContext(ctx, `UPDATE idempotency_records SET locked_until = $1 WHERE api_key_id = $2 AND idem_key = $3`,
			us(now.Add(lease)), rec.APIKeyID, rec.Key)
		rec.Status, rec.CreatedAt, rec.LockedUntil = 0, ex.CreatedAt, now.Add(lease)
		return err
	})
	return out, wrap("begin idempotent request", err)
}

// insertIdempotencyClaim inserts rec as a claim for lease unless its key
// exists, and reports whether it did.
func (c *conn) insertIdempotencyClaim(ctx context.Context, rec *shop.IdempotencyRecord, lease time.Duration) (bool, error) {
	now := c.now()
	res, err := c.q.ExecContext(ctx, `
		INSERT INTO idempotency_records (api_key_id, idem_key, method, path, request_hash, status, locked_until, created_at)
		VALUES ($1, $2, $3, $4, $5, 0, $6, $7)
		ON CONFLICT DO NOTHING`,
		rec.APIKeyID, rec.Key, rec.Method, rec.Path, rec.RequestHash, us(now.Add(lease)), us(now))
	if err != nil {
		return false, err
	}
	if n, _ := affected(res); n != 1 {
		return false, nil
	}
	rec.Status, rec.CreatedAt, rec.LockedUntil = 0, now, now.Add(lease)
	return true, nil
}

// CompleteIdempotentRequest implements [shop.IdempotencyStore].
func (c *conn) CompleteIdempotentRequest(ctx context.Context, apiKeyID, key string, status int, body []byte) error {
	if status <= 0 {
		return shop.Errorf(shop.EINVALID, "A stored response needs an HTTP status.")
	}
	res, err := c.q.ExecContext(ctx, `
		UPDATE idempotency_records SET status = $1, body = $2, completed_at = $3
		WHERE api_key_id = $4 AND idem_key = $5 AND status = 0`,
		status, body, us(c.now()), apiKeyID, key)
	if err != nil {
		return wrap("complete idempotent request", err)
	}
	if n, _ := affected(res); n == 0 {
		return notFound(sql.ErrNoRows, "Idempotency-Key %q is not being processed.", key)
	}
	return nil
}

// AbandonIdempotentRequest implements [shop.IdempotencyStore].
func (c *conn) AbandonIdempotentRequest(ctx context.Context, apiKeyID, key string) error {
	_, err := c.q.ExecContext(ctx, `DELETE FROM idempotency_records WHERE api_key_id = $1 AND idem_key = $2 AND status = 0`, apiKeyID, key)
	return wrap("abandon idempotent request", err)
}

// DeleteIdempotencyRecordsBefore implements [shop.IdempotencyStore].
func (c *conn) DeleteIdempotencyRecordsBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := c.q.ExecContext(ctx, `DELETE FROM idempotency_records WHERE created_at < $1 AND status <> 0`, us(before))
	if err != nil {
		return 0, wrap("delete idempotency records", err)
	}
	return affected(res)
}
