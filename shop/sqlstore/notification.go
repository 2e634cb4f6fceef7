package sqlstore

import (
	"context"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// RecordNotification implements [shop.NotificationStore].
func (c *conn) RecordNotification(ctx context.Context, n *shop.Notification) (bool, error) {
	if n.ID == "" || len(n.ID) > 200 {
		return false, shop.Errorf(shop.EINVALID, "A notification needs an id of at most 200 characters.")
	}
	if n.ReceivedAt.IsZero() {
		n.ReceivedAt = c.now()
	}
	n.ReceivedAt = n.ReceivedAt.UTC().Truncate(time.Microsecond)
	res, err := c.q.ExecContext(ctx, `
		INSERT INTO notifications (id, type, object_type, object_id, charge_permission_id, received_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		n.ID, n.Type, n.ObjectType, n.ObjectID, n.ChargePermissionID, us(n.ReceivedAt))
	if err != nil {
		return false, wrap("record notification", err)
	}
	k, err := affected(res)
	return k == 1, wrap("record notification", err)
}

// MarkNotificationProcessed implements [shop.NotificationStore].
func (c *conn) MarkNotificationProcessed(ctx context.Context, id string) error {
	res, err := c.q.ExecContext(ctx, `UPDATE notifications SET processed_at = $1 WHERE id = $2`, us(c.now()), id)
	if err != nil {
		return wrap("mark notification", err)
	}
	if n, _ := affected(res); n == 0 {
		return shop.Errorf(shop.ENOTFOUND, "Notification %q not found.", id)
	}
	return nil
}

const notificationColumns = `id, type, object_type, object_id, charge_permission_id, received_at, processed_at`

// Notification implements [shop.NotificationStore].
func (c *conn) Notification(ctx context.Context, id string) (*shop.Notification, error) {
	n, err := scanNotification(c.q.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE id = $1`, id))
	return n, wrap("notification", notFound(err, "Notification %q not found.", id))
}

// UnprocessedNotifications implements [shop.NotificationStore].
func (c *conn) UnprocessedNotifications(ctx context.Context, before time.Time, n int) ([]*shop.Notification, error) {
	rows, err := c.q.QueryContext(ctx, `
		SELECT `+notificationColumns+` FROM notifications
		WHERE processed_at IS NULL AND received_at < $1 ORDER BY received_at, id LIMIT $2`, us(before), limit(n))
	if err != nil {
		return nil, wrap("unprocessed notifications", err)
	}
	defer rows.Close()
	var out []*shop.Notification
	for rows.Next() {
		x, err := scanNotification(rows)
		if err != nil {
			return nil, wrap("unprocessed notifications", err)
		}
		out = append(out, x)
	}
	return out, wrap("unprocessed notifications", rows.Err())
}

func scanNotification(s scanner) (*shop.Notification, error) {
	var n shop.Notification
	if err := s.Scan(&n.ID, &n.Type, &n.ObjectType, &n.ObjectID, &n.ChargePermissionID, tm(&n.ReceivedAt), tm(&n.ProcessedAt)); err != nil {
		return nil, err
	}
	return &n, nil
}
