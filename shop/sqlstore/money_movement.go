package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/apaykit/apaykit/shop"
)

const movementColumns = `id, order_id, operation, amount, currency, client_key, amazon_key, status, charge_id, refund_id, reason_code, reason, created_at, updated_at`

// BeginMoneyMovement implements [shop.MoneyMovementStore].
func (c *conn) BeginMoneyMovement(ctx context.Context, m *shop.MoneyMovement) (bool, error) {
	if err := shop.ValidateClientKey(m.ClientKey); err != nil {
		return false, err
	}
	if !validOperation(m.Operation) {
		return false, shop.Errorf(shop.EINVALID, "Unknown operation %q.", m.Operation)
	}
	if m.Amount < 0 {
		return false, shop.Errorf(shop.EINVALID, "Amount must not be negative.")
	}
	if len(m.Reason) > shop.MaxReasonLen {
		return false, shop.Errorf(shop.EINVALID, "The reason must be at most %d characters.", shop.MaxReasonLen)
	}
	want := *m
	var created bool
	err := c.atomic(ctx, func(c *conn) error {
		number, err := c.orderNumber(ctx, m.OrderID)
		if err != nil {
			return err
		}
		key := shop.AmazonIdempotencyKey(m.OrderID, number, m.Operation, m.ClientKey)
		now := c.now()
		// DO NOTHING covers both unique indexes: the key (a replay) and
		// one-pending-per-order (a concurrent movement).
		err = c.q.QueryRowContext(ctx, `
			INSERT INTO money_movements (order_id, operation, amount, currency, client_key, amazon_key, status, charge_id, reason, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
			ON CONFLICT DO NOTHING RETURNING id`,
			m.OrderID, string(m.Operation), m.Amount, m.Currency, m.ClientKey, key, string(shop.MovementPending), m.ChargeID, m.Reason, us(now),
		).Scan(&m.ID)
		if err == nil {
			m.AmazonKey, m.Status, m.CreatedAt, m.UpdatedAt = key, shop.MovementPending, now, now
			created = true
			return nil
		}
		if err != sql.ErrNoRows {
			return err
		}
		existing, err := scanMovement(c.q.QueryRowContext(ctx, `SELECT `+movementColumns+` FROM money_movements WHERE amazon_key = $1`, key))
		if err == sql.ErrNoRows {
			return shop.Errorf(shop.ECONFLICT, "Another payment operation on this order is in progress; retry when it has finished.")
		}
		if err != nil {
			return err
		}
		if existing.Amount != want.Amount || existing.Currency != want.Currency || existing.ChargeID != want.ChargeID {
			return shop.Errorf(shop.EINVALID, "This Idempotency-Key was already used for a different %s request on this order.", m.Operation)
		}
		// The reason is a note, not part of the request to Amazon Pay:
		// a replay with another one keeps the first.
		*m = *existing
		return nil
	})
	return created, wrap("begin money movement", err)
}

// orderNumber returns the number of order id: from the transaction's lock
// if it holds one, else read.
func (c *conn) orderNumber(ctx context.Context, id int64) (string, error) {
	if c.tx != nil {
		if n, ok := c.tx.locked[id]; ok {
			return n, nil
		}
	}
	var number string
	if err := c.q.QueryRowContext(ctx, `SELECT number FROM orders WHERE id = $1`, id).Scan(&number); err != nil {
		return "", notFound(err, "Order %d not found.", id)
	}
	return number, nil
}

// FinishMoneyMovement implements [shop.MoneyMovementStore].
func (c *conn) FinishMoneyMovement(ctx context.Context, id int64, status shop.MovementStatus, chargeID, refundID, reasonCode string) error {
	if status != shop.MovementSucceeded && status != shop.MovementFailed {
		return shop.Errorf(shop.EINVALID, "A money movement finishes as succeeded or failed, not %q.", status)
	}
	res, err := c.q.ExecContext(ctx, `
		UPDATE money_movements SET status = $1,
			charge_id = CASE WHEN $2 = '' THEN charge_id ELSE $2 END,
			refund_id = $3, reason_code = $4, updated_at = $5
		WHERE id = $6 AND status = 'pending'`,
		string(status), chargeID, refundID, reasonCode, us(c.now()), id)
	if err != nil {
		return wrap("finish money movement", err)
	}
	if n, _ := affected(res); n == 0 {
		if _, err := c.MoneyMovement(ctx, id); err != nil {
			return err
		}
		return shop.Errorf(shop.ECONFLICT, "Money movement %d has already finished.", id)
	}
	return nil
}

// MoneyMovement implements [shop.MoneyMovementStore].
func (c *conn) MoneyMovement(ctx context.Context, id int64) (*shop.MoneyMovement, error) {
	m, err := scanMovement(c.q.QueryRowContext(ctx, `SELECT `+movementColumns+` FROM money_movements WHERE id = $1`, id))
	return m, wrap("money movement", notFound(err, "Money movement %d not found.", id))
}

// MoneyMovements implements [shop.MoneyMovementStore].
func (c *conn) MoneyMovements(ctx context.Context, orderID int64) ([]*shop.MoneyMovement, error) {
	return c.movements(ctx, `order_id = $1 ORDER BY id`, orderID)
}

// PendingMoneyMovements implements [shop.MoneyMovementStore].
func (c *conn) PendingMoneyMovements(ctx context.Context, before time.Time, n int) ([]*shop.MoneyMovement, error) {
	return c.movements(ctx, `status = 'pending' AND created_at < $1 ORDER BY created_at, id LIMIT $2`, us(before), limit(n))
}

func (c *conn) movements(ctx context.Context, where string, args ...any) ([]*shop.MoneyMovement, error) {
	rows, err := c.q.QueryContext(ctx, `SELECT `+movementColumns+` FROM money_movements WHERE `+where, args...)
	if err != nil {
		return nil, wrap("money movements", err)
	}
	defer rows.Close()
	var out []*shop.MoneyMovement
	for rows.Next() {
		m, err := scanMovement(rows)
		if err != nil {
			return nil, wrap("money movements", err)
		}
		out = append(out, m)
	}
	return out, wrap("money movements", rows.Err())
}

func scanMovement(s scanner) (*shop.MoneyMovement, error) {
	var m shop.MoneyMovement
	err := s.Scan(&m.ID, &m.OrderID, &m.Operation, &m.Amount, &m.Currency, &m.ClientKey, &m.AmazonKey, &m.Status,
		&m.ChargeID, &m.RefundID, &m.ReasonCode, &m.Reason, tm(&m.CreatedAt), tm(&m.UpdatedAt))
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func validOperation(op shop.Operation) bool {
	for _, o := range shop.Operations() {
		if o == op {
			return true
		}
	}
	return false
}
