package payments

import (
	"context"
	"log/slog"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/shop"
)

// HandleNotification processes one verified Amazon Pay notification (use
// it with [notification.Handler], which checks the SNS signature first):
//
//   - it is recorded by its NotificationId (or, lacking one, the SNS
//     MessageId); a notification already processed is acknowledged and
//     ignored, so SNS's redeliveries do nothing;
//   - the object it names is read with a Get call — the payload carries
//     ids only and is never trusted for state — and applied to its order
//     like any other state read from Amazon Pay, so a late or reordered
//     notification cannot move an order backwards;
//   - an object the shop does not know (another merchant's, or one made
//     outside the shop) is acknowledged and ignored.
//
// A failure (Amazon Pay unreachable, the database down) is returned, so SNS
// delivers again; the reconciler also retries notifications recorded but
// not processed.
func (s *Service) HandleNotification(ctx context.Context, n *notification.Notification) error {
	if s.cfg.MerchantID != "" && n.MerchantID != "" && n.MerchantID != s.cfg.MerchantID {
		s.log.LogAttrs(ctx, slog.LevelWarn, "payments: notification for another merchant ignored", slog.String("object_type", string(n.ObjectType)))
		return nil
	}
	id := n.NotificationID
	if id == "" && n.Envelope != nil {
		id = "sns:" + n.Envelope.MessageID
	}
	rec := &shop.Notification{ID: id, Type: string(n.NotificationType), ObjectType: string(n.ObjectType),
		ObjectID: n.ObjectID, ChargePermissionID: n.ChargePermissionID}
	first, err := s.store.RecordNotification(ctx, rec)
	if err != nil {
		return err
	}
	if !first {
		prev, err := s.store.Notification(ctx, id)
		if err != nil {
			return err
		}
		if !prev.ProcessedAt.IsZero() {
			return nil // a duplicate
		}
	}
	return s.processNotification(ctx, rec)
}

// processNotification reads the notification's object, applies it and
// marks the notification processed.
func (s *Service) processNotification(ctx context.Context, rec *shop.Notification) error {
	if err := s.refreshObject(ctx, notification.ObjectType(rec.ObjectType), rec.ObjectID); err != nil {
		return err
	}
	return s.store.MarkNotificationProcessed(ctx, rec.ID)
}

// refreshObject reads one Amazon Pay object and applies it to the order it
// belongs to: found by the object's own id, or by its parent (a charge's
// permission, a refund's charge) when the shop never stored it, e.g. a
// pending authorization whose answer was lost.
func (s *Service) refreshObject(ctx context.Context, typ notification.ObjectType, id string) error {
	var ob object
	switch typ {
	case notification.ObjectTypeCharge:
		ob = object{kind: objCharge, id: id}
	case notification.ObjectTypeRefund:
		ob = object{kind: objRefund, id: id}
	case notification.ObjectTypeChargePermission:
		ob = object{kind: objChargePermission, id: id}
	default:
		s.log.LogAttrs(ctx, slog.LevelInfo, "payments: notification of an object type the shop does not track", slog.String("object_type", string(typ)))
		return nil
	}
	r, call, err := s.get(ctx, 0, ob)
	if isNotFound(err) {
		_ = s.store.AppendAmazonCall(ctx, call)
		s.log.LogAttrs(ctx, slog.LevelWarn, "payments: notification for an object Amazon Pay does not know", slog.String("object_type", string(typ)))
		return nil
	}
	if err != nil {
		_ = s.store.AppendAmazonCall(ctx, call)
		return fromAmazon(err)
	}
	var lookups []shop.PaymentLookup
	switch {
	case r.charge != nil:
		lookups = []shop.PaymentLookup{{ChargeID: id}, {ChargePermissionID: r.charge.ChargePermissionID}}
	case r.refund != nil:
		lookups = []shop.PaymentLookup{{RefundID: id}, {ChargeID: r.refund.ChargeID}}
	case r.cp != nil:
		lookups = []shop.PaymentLookup{{ChargePermissionID: id}}
	}
	for _, l := range lookups {
		if l == (shop.PaymentLookup{}) {
			continue
		}
		orderID, err := s.findOrder(ctx, l)
		if err != nil {
			return err
		}
		if orderID != 0 {
			return s.applyReads(ctx, orderID, []reading{r}, []*shop.AmazonCall{call})
		}
	}
	_ = s.store.AppendAmazonCall(ctx, call)
	s.log.LogAttrs(ctx, slog.LevelWarn, "payments: notification for an object of no known order", slog.String("object_type", string(typ)))
	return nil
}
