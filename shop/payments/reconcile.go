package payments

import (
	"context"
	"log/slog"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/shop"
)

// ReconcileReport counts what one [Service.Reconcile] pass did.
type ReconcileReport struct {
	// Resumed: abandoned pending movements called again (with their key).
	Resumed int
	// GivenUp: pending movements past GiveUpAfter marked failed.
	GivenUp int
	// Notifications: notifications recorded but not processed, processed.
	Notifications int
	// Synced: orders whose pending objects were read from Amazon Pay.
	Synced int
	// Errors: steps that failed (logged); the next pass retries them.
	Errors int
}

// reconcileScan bounds the orders one pass looks at for pending objects,
// and reconcileAge how far back (by creation) it looks: refunds and
// pending authorizations settle within days.
const (
	reconcileScan = 2000
	reconcileAge  = 60 * 24 * time.Hour
	// notificationGrace leaves a notification to its own delivery before
	// the reconciler processes it.
	notificationGrace = time.Minute
)

// Reconcile makes one pass over what may be out of step with Amazon Pay,
// so that a lost notification or a dead process delays nothing for long:
//
//  1. movements pending for longer than ResumeAfter (their caller died or
//     lost the answer) are resumed with their idempotency key; those still
//     unresolved after GiveUpAfter are marked failed, after reading the
//     order's objects;
//  2. notifications recorded but not processed are processed;
//  3. orders with objects Amazon Pay has not settled (AuthorizationInitiated,
//     CaptureInitiated, RefundInitiated) and authorizations past their
//     expiry are read again and applied.
//
// It is safe to run in several processes at once: everything it does is
// idempotent.
func (s *Service) Reconcile(ctx context.Context) (ReconcileReport, error) {
	var rep ReconcileReport
	now := s.now()
	ms, err := s.store.PendingMoneyMovements(ctx, now.Add(-s.cfg.ResumeAfter), 100)
	if err != nil {
		return rep, err
	}
	for _, m := range ms {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if m.Operation == shop.OpComplete {
			// Complete Checkout Session belongs to the storefront
			// (shop/checkout), whose reconciler settles it by reading the
			// checkout session; this service does not run it.
			continue
		}
		if _, err := s.exec(ctx, m, nil, callOpts{}); err != nil {
			if e := AsError(err); e.Retryable || e.Status >= 500 {
				if now.Sub(m.CreatedAt) > s.cfg.GiveUpAfter {
					s.giveUp(ctx, m, e.Code)
					rep.GivenUp++
					continue
				}
				rep.Errors++
				continue
			}
		}
		rep.Resumed++
	}

	notes, err := s.store.UnprocessedNotifications(ctx, now.Add(-notificationGrace), 100)
	if err != nil {
		return rep, err
	}
	for _, n := range notes {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if err := s.processNotification(ctx, n); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "payments: reprocessing notification", slog.String("err", err.Error()))
			rep.Errors++
			continue
		}
		rep.Notifications++
	}

	synced, errs := s.syncPending(ctx, now)
	rep.Synced, rep.Errors = synced, rep.Errors+errs
	return rep, ctx.Err()
}

// syncPending reads the unsettled objects of recent orders, and the
// authorizations past their expiry.
func (s *Service) syncPending(ctx context.Context, now time.Time) (synced, errs int) {
	done := map[int64]bool{}
	sync := func(orderID int64, objs []object) {
		if done[orderID] || len(objs) == 0 {
			return
		}
		done[orderID] = true
		if err := s.observe(ctx, orderID, objs); err != nil {
			s.logf(ctx, slog.LevelWarn, "payments: reconciling", orderID, slog.String("err", err.Error()))
			errs++
			return
		}
		synced++
	}
	expiring, err := s.store.ExpiringCharges(ctx, now, 100)
	if err != nil {
		return synced, errs + 1
	}
	for _, c := range expiring {
		sync(c.OrderID, []object{{kind: objCharge, id: c.ID}})
	}
	statuses := []shop.OrderStatus{shop.StatusPaymentPending, shop.StatusAuthorized, shop.StatusPartiallyCaptured,
		shop.StatusPartiallyRefunded, shop.StatusRefunded}
	var before int64
	for scanned := 0; scanned < reconcileScan && ctx.Err() == nil; {
		orders, err := s.store.Orders(ctx, shop.OrderFilter{Status: statuses, BeforeID: before, Limit: 200})
		if err != nil {
			return synced, errs + 1
		}
		if len(orders) == 0 {
			break
		}
		for _, o := range orders {
			scanned++
			before = o.ID
			if now.Sub(o.CreatedAt) > reconcileAge {
				return synced, errs
			}
			p, err := s.store.Payment(ctx, o.ID)
			if err != nil {
				continue
			}
			sync(o.ID, pendingObjects(p, false))
		}
	}
	return synced, errs
}

// giveUp marks a movement that never got a definitive answer as failed,
// after reading the order's objects so that whatever did happen is
// applied. Logged loudly: it needs a person's look.
func (s *Service) giveUp(ctx context.Context, m *shop.MoneyMovement, code string) {
	_ = s.Sync(ctx, m.OrderID)
	if err := s.store.FinishMoneyMovement(ctx, m.ID, shop.MovementFailed, "", "", code); err != nil {
		s.logf(ctx, slog.LevelError, "payments: giving up a movement", m.OrderID, slog.String("err", err.Error()))
		return
	}
	s.logf(ctx, slog.LevelError, "payments: movement gave no definitive answer and was given up; check the order at Amazon Pay",
		m.OrderID, slog.Int64("movement_id", m.ID), slog.String("operation", string(m.Operation)))
}

// Run reconciles every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if rep, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "payments: reconcile pass", slog.String("err", err.Error()))
		} else if rep != (ReconcileReport{}) {
			s.log.LogAttrs(ctx, slog.LevelInfo, "payments: reconciled", slog.Int("resumed", rep.Resumed),
				slog.Int("notifications", rep.Notifications), slog.Int("synced", rep.Synced), slog.Int("errors", rep.Errors))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RefreshObject reads the object a notification names and applies it; for
// callers that process notifications themselves (a job queue).
func (s *Service) RefreshObject(ctx context.Context, typ notification.ObjectType, id string) error {
	return s.refreshObject(ctx, typ, id)
}
