package payments_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestFaults injects Amazon Pay failures into captures and refunds: 429s
// and 5xx that the client's retries absorb or outlast, and connections
// reset after Amazon Pay committed. Whatever the fault, the final state is
// right and nothing is captured or refunded twice. A request that ended
// without a definitive answer is finished either by the client's retry
// (same idempotency key) or by the reconciler.
func TestFaults(t *testing.T) {
	faults := []struct {
		name  string
		fault paymentstest.Fault
		// fails: the request itself ends without a definitive answer (the
		// fault outlasts the client's 4 attempts).
		fails bool
	}{
		{"429 absorbed", paymentstest.Fault{Status: 429, Count: 2}, false},
		{"503 absorbed", paymentstest.Fault{Status: 503, Count: 3}, false},
		{"reset after commit absorbed", paymentstest.Fault{Kind: "reset-after-commit", Count: 1}, false},
		{"429 outlasting retries", paymentstest.Fault{Status: 429, Count: 4}, true},
		{"500 outlasting retries", paymentstest.Fault{Status: 500, Count: 4}, true},
		{"reset after commit outlasting retries", paymentstest.Fault{Kind: "reset-after-commit", Count: 4}, true},
	}
	type finisher string
	const (
		retry     finisher = "retry"
		reconcile finisher = "reconciler"
	)
	for _, op := range []string{"CaptureCharge", "CreateRefund"} {
		for _, f := range faults {
			for _, fin := range []finisher{retry, reconcile} {
				if !f.fails && fin == reconcile {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/%s", op, f.name, fin), func(t *testing.T) {
					sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
						faultCase(t, db, op, f.fault, f.fails, fin == reconcile)
					})
				})
			}
		}
	}
}

func faultCase(t *testing.T, db *sqlstoretest.DB, op string, fault paymentstest.Fault, fails, byReconciler bool) {
	ctx := context.Background()
	env := paymentstest.New(t, db, func(c *payments.Config) { c.ResumeAfter = time.Minute })
	intent := amazonpay.PaymentIntentAuthorize
	if op == "CreateRefund" {
		intent = amazonpay.PaymentIntentAuthorizeWithCapture
	}
	o := env.Order(ctx, paymentstest.OrderOptions{Total: 6000, Intent: intent})
	do := func() (*payments.Result, error) {
		if op == "CaptureCharge" {
			return env.Service.Capture(ctx, o.ID, payments.Request{Amount: 6000, IdempotencyKey: "faulty"})
		}
		return env.Service.Refund(ctx, o.ID, payments.Request{Amount: 2500, IdempotencyKey: "faulty"})
	}
	fault.Operation = op
	env.Fault(ctx, fault)
	_, err := do()
	switch {
	case !fails && err != nil:
		t.Fatalf("first attempt: %v", err)
	case fails:
		e := payments.AsError(err)
		if e == nil || !e.Retryable {
			t.Fatalf("first attempt: %v, want a retryable error", err)
		}
		if byReconciler {
			env.Amazon.AdvanceClock(2 * time.Minute) // the shop's clock too
			rep, err := env.Service.Reconcile(ctx)
			if err != nil || rep.Resumed != 1 {
				t.Fatalf("reconcile: %+v %v", rep, err)
			}
		} else if _, err := do(); err != nil {
			t.Fatalf("retry: %v", err)
		}
	}
	got := mustOrder(t, env, o.ID)
	p, err := db.Payment(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if op == "CaptureCharge" {
		if got.Status != shop.StatusCaptured || got.Captured != 6000 {
			t.Fatalf("order %s captured %d", got.Status, got.Captured)
		}
		ch := env.Charge(ctx, p.Charges[0].ID)
		if ch.State() != amazonpay.ChargeCaptured || ch.CaptureAmount.Amount != "60.00" {
			t.Fatalf("at Amazon Pay: %s %s", ch.State(), ch.CaptureAmount.Amount)
		}
	} else {
		if got.Refunded != 2500 || len(p.Refunds) != 1 {
			t.Fatalf("order refunded %d with %d refunds", got.Refunded, len(p.Refunds))
		}
		// Settle the refund and read it: Amazon Pay refunded 25.00 once.
		env.Amazon.AdvanceClock(time.Minute)
		if err := env.Service.Sync(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		ch := env.Charge(ctx, p.Charges[0].ID)
		if ch.RefundedAmount.Amount != "25.00" {
			t.Fatalf("Amazon Pay refunded %s", ch.RefundedAmount.Amount)
		}
	}
	// The answer a client gets now is the stored one.
	res, err := do()
	if err != nil || !res.Replayed {
		t.Fatalf("replay: %+v %v", res, err)
	}
	ms, _ := db.MoneyMovements(ctx, o.ID)
	for _, m := range ms {
		if m.Status != shop.MovementSucceeded {
			t.Fatalf("movement %d is %s", m.ID, m.Status)
		}
	}
}
