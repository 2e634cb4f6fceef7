package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// ReserveRecurringUsage implements [shop.RecurringUsageStore]. The check and
// the increment are one statement (an upsert whose update only happens
// under the limit), so concurrent renewals cannot together exceed it.
func (c *conn) ReserveRecurringUsage(ctx context.Context, cpID string, at time.Time, currency string, amount, lim int64) (*shop.RecurringUsage, error) {
	if amount <= 0 {
		return nil, shop.Errorf(shop.EINVALID, "Amount must be positive.")
	}
	month := shop.UsageMonth(at)
	exceeded := shop.Errorf(shop.EINVALID, "This charge would exceed the monthly limit of the charge permission for %s.", month)
	if amount > lim {
		return nil, exceeded
	}
	u := shop.RecurringUsage{ChargePermissionID: cpID, Month: month}
	now := c.now()
	err := c.q.QueryRowContext(ctx, `
		INSERT INTO recurring_usage (charge_permission_id, month, currency, amount, charges, updated_at)
		VALUES ($1, $2, $3, $4, 1, $5)
		ON CONFLICT (charge_permission_id, month) DO UPDATE SET
			amount = recurring_usage.amount + excluded.amount,
			charges = recurring_usage.charges + 1,
			updated_at = excluded.updated_at
		WHERE recurring_usage.amount + excluded.amount <= $6 AND recurring_usage.currency = excluded.currency
		RETURNING currency, amount, charges`,
		cpID, month, currency, amount, us(now), lim).Scan(&u.Currency, &u.Amount, &u.Charges)
	if err == sql.ErrNoRows {
		cur, _ := c.RecurringUsage(ctx, cpID, at)
		if cur != nil && cur.Currency != "" && cur.Currency != currency {
			return nil, shop.Errorf(shop.EINVALID, "The charge permission was charged in %s this month, not %s.", cur.Currency, currency)
		}
		return nil, exceeded
	}
	if err != nil {
		return nil, wrap("reserve recurring usage", err)
	}
	u.UpdatedAt = now
	return &u, nil
}

// ReleaseRecurringUsage implements [shop.RecurringUsageStore].
func (c *conn) ReleaseRecurringUsage(ctx context.Context, cpID string, at time.Time, amount int64) error {
	_, err := c.q.ExecContext(ctx, `
		UPDATE recurring_usage SET amount = CASE WHEN amount > $1 THEN amount - $1 ELSE 0 END, updated_at = $2
		WHERE charge_permission_id = $3 AND month = $4`,
		amount, us(c.now()), cpID, shop.UsageMonth(at))
	return wrap("release recurring usage", err)
}

// RecurringUsage implements [shop.RecurringUsageStore].
func (c *conn) RecurringUsage(ctx context.Context, cpID string, at time.Time) (*shop.RecurringUsage, error) {
	u := shop.RecurringUsage{ChargePermissionID: cpID, Month: shop.UsageMonth(at)}
	err := c.q.QueryRowContext(ctx, `SELECT currency, amount, charges, updated_at FROM recurring_usage WHERE charge_permission_id = $1 AND month = $2`,
		cpID, u.Month).Scan(&u.Currency, &u.Amount, &u.Charges, tm(&u.UpdatedAt))
	if err == sql.ErrNoRows {
		return &u, nil
	}
	return &u, wrap("recurring usage", err)
}
