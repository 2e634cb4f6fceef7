package sqlstore

import (
	"context"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// AppendAmazonCall implements [shop.AmazonCallLog].
func (c *conn) AppendAmazonCall(ctx context.Context, a *shop.AmazonCall) error {
	if a.Operation == "" {
		return shop.Errorf(shop.EINVALID, "An Amazon call needs an operation name.")
	}
	if a.At.IsZero() {
		a.At = c.now()
	}
	a.At = a.At.UTC().Truncate(time.Microsecond)
	err := c.q.QueryRowContext(ctx, `
		INSERT INTO amazon_calls (order_id, operation, resource_id, idempotency_key, request_id, http_status, reason_code, error, at, duration_us)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		nullID(a.OrderID), a.Operation, a.ResourceID, a.IdempotencyKey, a.RequestID, a.HTTPStatus, a.ReasonCode,
		truncate(a.Error, 500), us(a.At), a.Duration.Microseconds()).Scan(&a.ID)
	return wrap("append amazon call", err)
}

// AmazonCalls implements [shop.AmazonCallLog].
func (c *conn) AmazonCalls(ctx context.Context, f shop.AmazonCallFilter) ([]*shop.AmazonCall, error) {
	before := f.BeforeID
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := c.q.QueryContext(ctx, `
		SELECT id, order_id, operation, resource_id, idempotency_key, request_id, http_status, reason_code, error, at, duration_us
		FROM amazon_calls WHERE id < $1 AND (order_id = $2 OR CAST($2 AS BIGINT) = 0)
		ORDER BY id DESC LIMIT $3`, before, f.OrderID, limit(f.Limit))
	if err != nil {
		return nil, wrap("amazon calls", err)
	}
	defer rows.Close()
	var out []*shop.AmazonCall
	for rows.Next() {
		var a shop.AmazonCall
		var orderID *int64
		var durUS int64
		if err := rows.Scan(&a.ID, &orderID, &a.Operation, &a.ResourceID, &a.IdempotencyKey, &a.RequestID, &a.HTTPStatus,
			&a.ReasonCode, &a.Error, tm(&a.At), &durUS); err != nil {
			return nil, wrap("amazon calls", err)
		}
		if orderID != nil {
			a.OrderID = *orderID
		}
		a.Duration = time.Duration(durUS) * time.Microsecond
		out = append(out, &a)
	}
	return out, wrap("amazon calls", rows.Err())
}

// truncate bounds free-text columns (error messages) in bytes, on a rune
// boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
