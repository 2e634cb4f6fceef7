package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/apaykit/apaykit/shop"
)

const paymentColumns = `order_id, checkout_session_id, charge_permission_id, cp_type, cp_state, cp_reason, created_at, updated_at`

// SavePayment implements [shop.PaymentStore].
func (c *conn) SavePayment(ctx context.Context, p *shop.Payment) error {
	now := c.now()
	err := c.atomic(ctx, func(c *conn) error {
		var exists int
		if err := c.q.QueryRowContext(ctx, `SELECT 1 FROM orders WHERE id = $1`, p.OrderID).Scan(&exists); err != nil {
			return notFound(err, "Order %d not found.", p.OrderID)
		}
		if p.CheckoutSessionID != "" {
			var other int64
			err := c.q.QueryRowContext(ctx, `SELECT order_id FROM payments WHERE checkout_session_id = $1`, p.CheckoutSessionID).Scan(&other)
			if err == nil && other != p.OrderID {
				return shop.Errorf(shop.ECONFLICT, "Checkout session belongs to another order.")
			}
			if err != nil && err != sql.ErrNoRows {
				return err
			}
		}
		var created int64
		err := c.q.QueryRowContext(ctx, `
			INSERT INTO payments (`+paymentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
			ON CONFLICT (order_id) DO UPDATE SET
				checkout_session_id = excluded.checkout_session_id,
				charge_permission_id = excluded.charge_permission_id,
				cp_type = excluded.cp_type, cp_state = excluded.cp_state, cp_reason = excluded.cp_reason,
				updated_at = excluded.updated_at
			RETURNING created_at`,
			p.OrderID, nullStr(p.CheckoutSessionID), nullStr(p.ChargePermissionID), p.ChargePermissionType,
			p.ChargePermissionState, p.ChargePermissionReason, us(now)).Scan(&created)
		if err != nil {
			return err
		}
		p.CreatedAt = unixMicro(created)
		p.UpdatedAt = now
		return nil
	})
	return wrap("save payment", err)
}

// Payment implements [shop.PaymentStore].
func (c *conn) Payment(ctx context.Context, orderID int64) (*shop.Payment, error) {
	return c.paymentWhere(ctx, "order_id = $1", orderID)
}

// FindPayment implements [shop.PaymentStore]. For a Recurring charge
// permission, shared by a subscription's renewal orders, it returns the
// payment of the first order (the one whose checkout created it).
func (c *conn) FindPayment(ctx context.Context, l shop.PaymentLookup) (*shop.Payment, error) {
	switch {
	case l.CheckoutSessionID != "":
		return c.paymentWhere(ctx, "checkout_session_id = $1", l.CheckoutSessionID)
	case l.ChargePermissionID != "":
		return c.paymentWhere(ctx, "charge_permission_id = $1 ORDER BY order_id LIMIT 1", l.ChargePermissionID)
	case l.ChargeID != "":
		return c.paymentWhere(ctx, "order_id = (SELECT order_id FROM charges WHERE id = $1)", l.ChargeID)
	case l.RefundID != "":
		return c.paymentWhere(ctx, "order_id = (SELECT order_id FROM refunds WHERE id = $1)", l.RefundID)
	}
	return nil, shop.Errorf(shop.EINVALID, "Empty payment lookup.")
}

func (c *conn) paymentWhere(ctx context.Context, where string, arg any) (*shop.Payment, error) {
	var p shop.Payment
	var cs, cp sql.NullString
	err := c.q.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE `+where, arg).Scan(
		&p.OrderID, &cs, &cp, &p.ChargePermissionType, &p.ChargePermissionState, &p.ChargePermissionReason,
		tm(&p.CreatedAt), tm(&p.UpdatedAt))
	if err != nil {
		return nil, wrap("payment", notFound(err, "Payment not found."))
	}
	p.CheckoutSessionID, p.ChargePermissionID = cs.String, cp.String
	charges, err := c.charges(ctx, `order_id = $1 ORDER BY created_at, id`, p.OrderID)
	if err != nil {
		return nil, wrap("charges", err)
	}
	for _, ch := range charges {
		p.Charges = append(p.Charges, *ch)
	}
	rows, err := c.q.QueryContext(ctx, `
		SELECT id, order_id, charge_id, amount, state, reason_code, created_at, updated_at
		FROM refunds WHERE order_id = $1 ORDER BY created_at, id`, p.OrderID)
	if err != nil {
		return nil, wrap("refunds", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r shop.Refund
		if err := rows.Scan(&r.ID, &r.OrderID, &r.ChargeID, &r.Amount, &r.State, &r.ReasonCode, tm(&r.CreatedAt), tm(&r.UpdatedAt)); err != nil {
			return nil, wrap("refunds", err)
		}
		p.Refunds = append(p.Refunds, r)
	}
	return &p, wrap("refunds", rows.Err())
}

func (c *conn) charges(ctx context.Context, where string, args ...any) ([]*shop.Charge, error) {
	rows, err := c.q.QueryContext(ctx, `
		SELECT id, order_id, amount, captured_amount, state, reason_code, expires_at, created_at, updated_at
		FROM charges WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*shop.Charge
	for rows.Next() {
		var ch shop.Charge
		if err := rows.Scan(&ch.ID, &ch.OrderID, &ch.Amount, &ch.CapturedAmount, &ch.State, &ch.ReasonCode,
			tm(&ch.ExpiresAt), tm(&ch.CreatedAt), tm(&ch.UpdatedAt)); err != nil {
			return nil, err
		}
		out = append(out, &ch)
	}
	return out, rows.Err()
}

// UpsertCharge implements [shop.PaymentStore].
func (c *conn) UpsertCharge(ctx context.Context, ch *shop.Charge) (shop.ChargeState, error) {
	if ch.ID == "" || ch.Amount < 0 || ch.CapturedAmount < 0 {
		return "", shop.Errorf(shop.EINVALID, "A charge needs an id and non-negative amounts.")
	}
	var prev shop.ChargeState
	now := c.now()
	err := c.atomic(ctx, func(c *conn) error {
		var owner int64
		err := c.q.QueryRowContext(ctx, `SELECT order_id, state FROM charges WHERE id = $1`+c.db.dialect.forUpdate(), ch.ID).Scan(&owner, &prev)
		switch {
		case err == sql.ErrNoRows:
			var exists int
			if err := c.q.QueryRowContext(ctx, `SELECT 1 FROM payments WHERE order_id = $1`, ch.OrderID).Scan(&exists); err != nil {
				return notFound(err, "Order %d has no payment record.", ch.OrderID)
			}
			ch.CreatedAt = now
			_, err = c.q.ExecContext(ctx, `
				INSERT INTO charges (id, order_id, amount, captured_amount, state, reason_code, expires_at, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
				ch.ID, ch.OrderID, ch.Amount, ch.CapturedAmount, string(ch.State), ch.ReasonCode, us(ch.ExpiresAt), us(now))
			return err
		case err != nil:
			return err
		case owner != ch.OrderID:
			return shop.Errorf(shop.ECONFLICT, "Charge %s belongs to another order.", ch.ID)
		}
		return c.q.QueryRowContext(ctx, `
			UPDATE charges SET amount = $1, captured_amount = $2, state = $3, reason_code = $4, expires_at = $5, updated_at = $6
			WHERE id = $7 RETURNING created_at`,
			ch.Amount, ch.CapturedAmount, string(ch.State), ch.ReasonCode, us(ch.ExpiresAt), us(now), ch.ID).Scan(tm(&ch.CreatedAt))
	})
	if err != nil {
		return "", wrap("upsert charge", err)
	}
	ch.UpdatedAt = now
	return prev, nil
}

// UpsertRefund implements [shop.PaymentStore].
func (c *conn) UpsertRefund(ctx context.Context, r *shop.Refund) (shop.RefundState, error) {
	if r.ID == "" || r.ChargeID == "" || r.Amount < 0 {
		return "", shop.Errorf(shop.EINVALID, "A refund needs an id, a charge id and a non-negative amount.")
	}
	var prev shop.RefundState
	now := c.now()
	err := c.atomic(ctx, func(c *conn) error {
		var owner int64
		err := c.q.QueryRowContext(ctx, `SELECT order_id, state FROM refunds WHERE id = $1`+c.db.dialect.forUpdate(), r.ID).Scan(&owner, &prev)
		switch {
		case err == sql.ErrNoRows:
			var exists int
			if err := c.q.QueryRowContext(ctx, `SELECT 1 FROM payments WHERE order_id = $1`, r.OrderID).Scan(&exists); err != nil {
				return notFound(err, "Order %d has no payment record.", r.OrderID)
			}
			r.CreatedAt = now
			_, err = c.q.ExecContext(ctx, `
				INSERT INTO refunds (id, order_id, charge_id, amount, state, reason_code, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
				r.ID, r.OrderID, r.ChargeID, r.Amount, string(r.State), r.ReasonCode, us(now))
			return err
		case err != nil:
			return err
		case owner != r.OrderID:
			return shop.Errorf(shop.ECONFLICT, "Refund %s belongs to another order.", r.ID)
		}
		return c.q.QueryRowContext(ctx, `
			UPDATE refunds SET amount = $1, state = $2, reason_code = $3, updated_at = $4
			WHERE id = $5 RETURNING created_at`,
			r.Amount, string(r.State), r.ReasonCode, us(now), r.ID).Scan(tm(&r.CreatedAt))
	})
	if err != nil {
		return "", wrap("upsert refund", err)
	}
	r.UpdatedAt = now
	return prev, nil
}

// ExpiringCharges implements [shop.PaymentStore].
func (c *conn) ExpiringCharges(ctx context.Context, before time.Time, n int) ([]*shop.Charge, error) {
	out, err := c.charges(ctx, `state = $1 AND expires_at IS NOT NULL AND expires_at < $2 ORDER BY expires_at, id LIMIT $3`,
		string(shop.ChargeAuthorized), us(before), limit(n))
	return out, wrap("expiring charges", err)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func unixMicro(v int64) time.Time { return time.UnixMicro(v).UTC() }
