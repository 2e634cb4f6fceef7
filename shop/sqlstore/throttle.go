package sqlstore

import (
	"context"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// Bounds for SetThrottleLimit that keep the bucket arithmetic far from
// int64 overflow.
const (
	maxBurst     = 1_000_000
	maxRateMilli = 1_000_000_000
)

// TakeToken implements [shop.Throttle]. The bucket row is created if
// missing, then read under a row lock (FOR UPDATE on PostgreSQL; the write
// lock on SQLite), refilled and decremented by [shop.ThrottleBucket.Take],
// and written back in the same transaction, so concurrent takers — in this
// process or another — see each other's tokens and never over-issue.
func (c *conn) TakeToken(ctx context.Context, account, opClass string, now time.Time) (bool, time.Duration, error) {
	if account == "" || opClass == "" {
		return false, 0, shop.Errorf(shop.EINVALID, "A throttle bucket needs an account and an operation class.")
	}
	now = now.UTC().Truncate(time.Microsecond)
	var ok bool
	var wait time.Duration
	err := c.atomic(ctx, func(c *conn) error {
		burst, rate := shop.DefaultThrottleLimit(account, opClass)
		if _, err := c.q.ExecContext(ctx, `
			INSERT INTO throttle_buckets (account, op_class, tokens_milli, burst, rate_milli, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
			account, opClass, burst*1000, burst, rate, us(now)); err != nil {
			return err
		}
		b, err := c.bucket(ctx, account, opClass, c.db.dialect.forUpdate())
		if err != nil {
			return err
		}
		ok, wait = b.Take(now)
		_, err = c.q.ExecContext(ctx, `UPDATE throttle_buckets SET tokens_milli = $1, updated_at = $2 WHERE account = $3 AND op_class = $4`,
			b.TokensMilli, us(b.UpdatedAt), account, opClass)
		return err
	})
	if err != nil {
		return false, 0, wrap("take token", err)
	}
	return ok, wait, nil
}

// SetThrottleLimit implements [shop.Throttle]. A new bucket starts full;
// an existing one keeps its tokens (capped to the new burst on next use).
func (c *conn) SetThrottleLimit(ctx context.Context, account, opClass string, burst, rateMilli int64) error {
	if account == "" || opClass == "" || burst <= 0 || burst > maxBurst || rateMilli <= 0 || rateMilli > maxRateMilli {
		return shop.Errorf(shop.EINVALID, "Throttle burst must be 1..%d and rate 1..%d thousandths per second.", maxBurst, maxRateMilli)
	}
	_, err := c.q.ExecContext(ctx, `
		INSERT INTO throttle_buckets (account, op_class, tokens_milli, burst, rate_milli, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account, op_class) DO UPDATE SET burst = excluded.burst, rate_milli = excluded.rate_milli`,
		account, opClass, burst*1000, burst, rateMilli, us(c.now()))
	return wrap("set throttle limit", err)
}

// ThrottleBucket implements [shop.Throttle].
func (c *conn) ThrottleBucket(ctx context.Context, account, opClass string) (*shop.ThrottleBucket, error) {
	b, err := c.bucket(ctx, account, opClass, "")
	return b, wrap("throttle bucket", notFound(err, "No throttle bucket for %s %s.", account, opClass))
}

func (c *conn) bucket(ctx context.Context, account, opClass, lock string) (*shop.ThrottleBucket, error) {
	b := shop.ThrottleBucket{Account: account, OpClass: opClass}
	err := c.q.QueryRowContext(ctx, `
		SELECT tokens_milli, burst, rate_milli, updated_at FROM throttle_buckets
		WHERE account = $1 AND op_class = $2`+lock, account, opClass).Scan(&b.TokensMilli, &b.Burst, &b.RateMilli, tm(&b.UpdatedAt))
	if err != nil {
		return nil, err
	}
	return &b, nil
}
