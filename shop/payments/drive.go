package payments

import (
	"context"
	"errors"
	"fmt"

	"github.com/apaykit/apaykit/shop"
)

// plan is what an operation does next, decided with the order locked.
type plan struct {
	// m is the movement to run: new (pending, just recorded), or one that
	// this request (same key) made before, to resume or replay.
	m *shop.MoneyMovement
	// refresh is a charge to read from Amazon Pay before planning again
	// (an authorization that may have expired).
	refresh string
	// result ends the operation without a call.
	result *Result
	// snap is the order and payment as locked when m was recorded by this
	// plan (nil for a movement made before): the call needs nothing else.
	snap *snapshot
}

// snapshot is an order with its payment, as read in a transaction.
type snapshot struct {
	o *shop.Order
	p *shop.Payment
}

// planner decides the next step of an operation; refreshed holds the
// charges read from Amazon Pay during this request.
type planner func(ctx context.Context, a *applier, refreshed map[string]bool) (plan, error)

// maxSteps bounds the steps of one operation: the longest is a capture
// with re-authorization (read, cancel, authorize, capture).
const maxSteps = 8

// drive runs an operation step by step: plan in a transaction with the
// order locked (recording the movement), commit, call Amazon Pay, apply,
// and plan again until the planner's final movement has run. final says
// which movement ends the operation. An order busy with another request's
// movement is waited for (BusyWait); a movement abandoned by a dead
// process is resumed on the way.
func (s *Service) drive(ctx context.Context, orderID int64, co callOpts, plan planner, final func(*shop.MoneyMovement) bool) (*Result, []*Result, error) {
	refreshed := map[string]bool{}
	var steps []*Result
	for range maxSteps {
		pl, err := s.plan(ctx, orderID, refreshed, plan)
		if isBusy(err) {
			abandoned, werr := s.waitIdle(ctx, orderID)
			switch {
			case errors.Is(werr, errBusyTimeout):
				return nil, steps, err
			case werr != nil:
				return nil, steps, werr
			case abandoned != nil:
				_, _ = s.exec(ctx, abandoned, nil, callOpts{})
			}
			continue
		}
		if err != nil {
			return nil, steps, err
		}
		switch {
		case pl.result != nil:
			return pl.result, steps, nil
		case pl.refresh != "":
			refreshed[pl.refresh] = true
			if err := s.observe(ctx, orderID, []object{{kind: objCharge, id: pl.refresh}}); err != nil {
				return nil, steps, err
			}
			continue
		}
		var res *Result
		if pl.snap != nil {
			res, err = s.exec(ctx, pl.m, pl.snap, co)
		} else {
			res, err = s.replay(ctx, pl.m, co)
		}
		if err != nil {
			return res, steps, err
		}
		steps = append(steps, res)
		if final(pl.m) || res.Pending {
			return res, steps, nil
		}
	}
	return nil, steps, fmt.Errorf("payments: order %d: operation did not finish in %d steps", orderID, maxSteps)
}

// plan runs one planner call in a transaction.
func (s *Service) plan(ctx context.Context, orderID int64, refreshed map[string]bool, fn planner) (plan, error) {
	var pl plan
	err := s.withTx(ctx, func(tx shop.Tx) error {
		a, err := s.lock(ctx, tx, orderID)
		if err != nil {
			return err
		}
		pl, err = fn(ctx, a, refreshed)
		if err == nil && pl.m != nil && pl.m == a.created {
			o := *a.o
			pl.snap = &snapshot{o: &o, p: a.p}
		}
		return err
	})
	return pl, err
}

// isBusy reports the operation_in_progress refusal.
func isBusy(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeOperationInProgress
}

// same refuses a request that reuses the key of an earlier one with
// another amount: a retry must repeat the request, not change it.
func same(m *shop.MoneyMovement, req *Request) (plan, error) {
	if req.Amount != 0 && m.Amount != req.Amount {
		return plan{}, &Error{Status: 422, Code: "idempotency_key_reused",
			Message: "This idempotency key was already used for a " + string(m.Operation) + " of another amount on this order."}
	}
	return plan{m: m}, nil
}
