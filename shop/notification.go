package shop

import (
	"context"
	"time"
)

// Notification records an Amazon Pay instant payment notification by its
// NotificationId, so that a redelivered notification (SNS delivers at least
// once) is processed once. Only identifiers are kept: a notification carries
// no buyer data, and the handler fetches the object's current state from
// Amazon Pay anyway.
type Notification struct {
	// ID is the NotificationId.
	ID string
	// Type is STATE_CHANGE or ATTRIBUTE_CHANGE.
	Type string
	// ObjectType is CHARGE, REFUND, CHARGE_PERMISSION, …; ObjectID its id.
	ObjectType         string
	ObjectID           string
	ChargePermissionID string
	ReceivedAt         time.Time
	// ProcessedAt is zero until the handler finished.
	ProcessedAt time.Time
}

// NotificationStore is the notification part of the store.
type NotificationStore interface {
	// RecordNotification stores n if its ID is new and reports whether it
	// was (false: a duplicate, to be acknowledged and ignored). Returns
	// EINVALID for an empty ID.
	RecordNotification(ctx context.Context, n *Notification) (first bool, err error)
	// MarkNotificationProcessed sets ProcessedAt. Returns ENOTFOUND.
	MarkNotificationProcessed(ctx context.Context, id string) error
	// Notification returns a notification. Returns ENOTFOUND.
	Notification(ctx context.Context, id string) (*Notification, error)
	// UnprocessedNotifications lists notifications received before before
	// and not processed (a recovery job picks them up), oldest first, at
	// most limit (0 means 100).
	UnprocessedNotifications(ctx context.Context, before time.Time, limit int) ([]*Notification, error)
}
