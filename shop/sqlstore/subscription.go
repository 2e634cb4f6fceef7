package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/apaykit/apaykit/shop"
)

const subscriptionColumns = `id, buyer_email, buyer_name, product_id, plan_unit, plan_count, plan_amount, plan_trial_days,
	currency, charge_permission_id, status, anchor_at, periods_paid, current_period_start, current_period_end,
	next_renewal_at, dunning_attempts, canceled_at, created_at, updated_at, version`

// CreateSubscription implements [shop.SubscriptionStore].
func (c *conn) CreateSubscription(ctx context.Context, s *shop.Subscription) error {
	if err := s.Plan.Validate(); err != nil {
		return err
	}
	if s.ChargePermissionID == "" {
		return shop.Errorf(shop.EINVALID, "A subscription needs a charge permission.")
	}
	if s.Status == "" {
		s.Status = shop.SubscriptionActive
	}
	now := c.now()
	err := c.q.QueryRowContext(ctx, `
		INSERT INTO subscriptions (buyer_email, buyer_name, product_id, plan_unit, plan_count, plan_amount, plan_trial_days,
			currency, charge_permission_id, status, anchor_at, periods_paid, current_period_start, current_period_end,
			next_renewal_at, dunning_attempts, canceled_at, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, 1)
		ON CONFLICT DO NOTHING RETURNING id`,
		s.BuyerEmail, s.BuyerName, s.ProductID, string(s.Plan.Unit), s.Plan.Count, s.Plan.Amount, s.Plan.TrialDays,
		s.Currency, s.ChargePermissionID, string(s.Status), us(s.AnchorAt), s.PeriodsPaid, us(s.CurrentPeriodStart),
		us(s.CurrentPeriodEnd), us(s.NextRenewalAt), s.DunningAttempts, us(s.CanceledAt), us(now)).Scan(&s.ID)
	if err == sql.ErrNoRows {
		return shop.Errorf(shop.ECONFLICT, "The charge permission already has a subscription.")
	}
	if err != nil {
		return wrap("create subscription", err)
	}
	s.CreatedAt, s.UpdatedAt, s.Version = now, now, 1
	return nil
}

// Subscription implements [shop.SubscriptionStore].
func (c *conn) Subscription(ctx context.Context, id int64) (*shop.Subscription, error) {
	s, err := scanSubscription(c.q.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, id))
	return s, wrap("subscription", notFound(err, "Subscription %d not found.", id))
}

// SubscriptionByChargePermission implements [shop.SubscriptionStore].
func (c *conn) SubscriptionByChargePermission(ctx context.Context, cpID string) (*shop.Subscription, error) {
	s, err := scanSubscription(c.q.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE charge_permission_id = $1`, cpID))
	return s, wrap("subscription", notFound(err, "Subscription not found."))
}

// UpdateSubscription implements [shop.SubscriptionStore].
func (c *conn) UpdateSubscription(ctx context.Context, s *shop.Subscription) error {
	if err := s.Plan.Validate(); err != nil {
		return err
	}
	if s.ChargePermissionID == "" {
		return shop.Errorf(shop.EINVALID, "A subscription needs a charge permission.")
	}
	now := c.now()
	res, err := c.q.ExecContext(ctx, `
		UPDATE subscriptions SET buyer_email = $1, buyer_name = $2, status = $3, periods_paid = $4,
			current_period_start = $5, current_period_end = $6, next_renewal_at = $7, dunning_attempts = $8,
			canceled_at = $9, updated_at = $10, version = version + 1,
			product_id = $13, plan_unit = $14, plan_count = $15, plan_amount = $16, plan_trial_days = $17,
			charge_permission_id = $18
		WHERE id = $11 AND version = $12`,
		s.BuyerEmail, s.BuyerName, string(s.Status), s.PeriodsPaid, us(s.CurrentPeriodStart), us(s.CurrentPeriodEnd),
		us(s.NextRenewalAt), s.DunningAttempts, us(s.CanceledAt), us(now), s.ID, s.Version,
		s.ProductID, string(s.Plan.Unit), s.Plan.Count, s.Plan.Amount, s.Plan.TrialDays, s.ChargePermissionID)
	if err != nil {
		return wrap("update subscription", err)
	}
	if n, _ := affected(res); n == 0 {
		if _, err := c.Subscription(ctx, s.ID); err != nil {
			return err
		}
		return shop.Errorf(shop.ECONFLICT, "Subscription %d was changed by someone else; reload and retry.", s.ID)
	}
	s.Version++
	s.UpdatedAt = now
	return nil
}

// DueSubscriptions implements [shop.SubscriptionStore].
func (c *conn) DueSubscriptions(ctx context.Context, now time.Time, n int) ([]*shop.Subscription, error) {
	rows, err := c.q.QueryContext(ctx, `
		SELECT `+subscriptionColumns+` FROM subscriptions
		WHERE status IN ('active', 'past_due') AND next_renewal_at IS NOT NULL AND next_renewal_at <= $1
		ORDER BY next_renewal_at, id LIMIT $2`, us(now), limit(n))
	if err != nil {
		return nil, wrap("due subscriptions", err)
	}
	defer rows.Close()
	var out []*shop.Subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, wrap("due subscriptions", err)
		}
		out = append(out, s)
	}
	return out, wrap("due subscriptions", rows.Err())
}

func scanSubscription(sc scanner) (*shop.Subscription, error) {
	var s shop.Subscription
	err := sc.Scan(&s.ID, &s.BuyerEmail, &s.BuyerName, &s.ProductID, &s.Plan.Unit, &s.Plan.Count, &s.Plan.Amount, &s.Plan.TrialDays,
		&s.Currency, &s.ChargePermissionID, &s.Status, tm(&s.AnchorAt), &s.PeriodsPaid, tm(&s.CurrentPeriodStart),
		tm(&s.CurrentPeriodEnd), tm(&s.NextRenewalAt), &s.DunningAttempts, tm(&s.CanceledAt), tm(&s.CreatedAt),
		tm(&s.UpdatedAt), &s.Version)
	if err != nil {
		return nil, err
	}
	return &s, nil
}
