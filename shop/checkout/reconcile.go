package checkout

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ReconcileReport says what one [Service.Reconcile] pass did.
type ReconcileReport struct {
	// Checked is how many pending checkouts were looked at.
	Checked int
	// Settled is how many were finished (completed or failed).
	Settled int
	// Open is how many are still Open at Amazon Pay (the buyer may still be
	// on the Amazon Pay pages; Amazon Pay cancels them after 24 hours).
	Open int
}

// Reconcile finishes checkouts that were placed before before and never
// settled: the buyer did not come back to the result URL, or the process
// died between Complete Checkout Session and the commit of its answer. It
// reads each checkout session and settles from its state — Completed
// (store the charge permission and charge, as the result URL would),
// Canceled (declined, canceled, expired) — and leaves Open sessions alone.
// It never calls Complete itself: only the buyer's return proves the
// buyer went through the Amazon Pay page. Run it every few minutes with
// before = now − a few minutes, so it does not race a buyer's own visit
// (which would be harmless, only wasteful).
func (s *Service) Reconcile(ctx context.Context, before time.Time) (ReconcileReport, error) {
	var rep ReconcileReport
	ms, err := s.store.PendingMoneyMovements(ctx, before, 100)
	if err != nil {
		return rep, err
	}
	var errs []error
	for _, m := range ms {
		id, ok := isCheckoutMovement(m)
		if !ok {
			continue
		}
		rep.Checked++
		out, err := s.settleFromSession(ctx, m.OrderID, m.ID, id)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("order %d: %w", m.OrderID, err))
		case out == OutcomeUnconfirmed:
			rep.Open++
		default:
			rep.Settled++
		}
	}
	return rep, errors.Join(errs...)
}

// RunReconciler calls Reconcile every interval (for movements older than
// grace) until ctx ends, logging what it did.
func (s *Service) RunReconciler(ctx context.Context, interval, grace time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep, err := s.Reconcile(ctx, s.now().Add(-grace))
		if err != nil {
			s.log.Error("checkout: reconcile", "error", err)
		}
		if rep.Settled > 0 {
			s.log.Info("checkout: reconciled", "checked", rep.Checked, "settled", rep.Settled, "open", rep.Open)
		}
	}
}
