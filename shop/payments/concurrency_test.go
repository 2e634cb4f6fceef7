package payments_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// calls counts the logged Amazon Pay calls of an order by operation.
func calls(t *testing.T, env *paymentstest.Env, orderID int64) map[string]int {
	t.Helper()
	cs, err := env.DB.AmazonCalls(context.Background(), shop.AmazonCallFilter{OrderID: orderID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range cs {
		out[c.Operation]++
	}
	return out
}

// TestConcurrentCaptures sends 100 captures of one order at once, with one
// idempotency key and with a key each: Amazon Pay sees one capture, and
// every answer agrees with it.
func TestConcurrentCaptures(t *testing.T) {
	for _, sameKey := range []bool{true, false} {
		t.Run(fmt.Sprintf("sameKey=%v", sameKey), func(t *testing.T) {
			sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
				ctx := context.Background()
				env := paymentstest.New(t, db)
				o := env.Order(ctx, paymentstest.OrderOptions{Total: 7000})
				const n = 100
				results := make([]*payments.Result, n)
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						key := fmt.Sprintf("capture-%d", i)
						if sameKey {
							key = "capture-once"
						}
						results[i], errs[i] = env.Service.Capture(ctx, o.ID, payments.Request{IdempotencyKey: key})
					})
				}
				wg.Wait()
				var ok int
				chargeID := ""
				for i := range n {
					switch {
					case errs[i] == nil:
						ok++
						if chargeID == "" {
							chargeID = results[i].Charge.ID
						}
						if results[i].Charge.ID != chargeID || results[i].Charge.CapturedAmount != 7000 {
							t.Errorf("answer %d: charge %s captured %d", i, results[i].Charge.ID, results[i].Charge.CapturedAmount)
						}
					case code(t, errs[i]) != string(amazonpay.ReasonInvalidChargeStatus):
						t.Errorf("answer %d: %v", i, errs[i])
					}
				}
				if sameKey && ok != n || !sameKey && ok != 1 {
					t.Fatalf("%d successful answers", ok)
				}
				if got := calls(t, env, o.ID)["CaptureCharge"]; got != 1 {
					t.Fatalf("%d CaptureCharge calls", got)
				}
				got := mustOrder(t, env, o.ID)
				if got.Captured != 7000 || got.Status != shop.StatusCaptured {
					t.Fatalf("order %s captured %d", got.Status, got.Captured)
				}
				if ch := env.Charge(ctx, chargeID); ch.State() != amazonpay.ChargeCaptured || ch.CaptureAmount.Amount != "70.00" {
					t.Fatalf("at Amazon Pay: %s %s", ch.State(), ch.CaptureAmount.Amount)
				}
			})
		})
	}
}

// TestConcurrentRefunds sends refunds of one order at once, each with its
// own key: they are serialised, every accepted one reaches Amazon Pay once,
// and the sum stops at what Amazon Pay allows.
func TestConcurrentRefunds(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 4000, Intent: amazonpay.PaymentIntentAuthorizeWithCapture})
		// 4000 captured + 600 margin = 4600: four refunds of 1000 fit, a
		// fifth does not.
		const n = 12
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = env.Service.Refund(ctx, o.ID, payments.Request{Amount: 1000, IdempotencyKey: fmt.Sprintf("refund-%d", i)})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case code(t, err) != string(amazonpay.ReasonTransactionAmountExceeded):
				t.Errorf("refund: %v", err)
			}
		}
		got := mustOrder(t, env, o.ID)
		if ok != 4 || got.Refunded != 4000 {
			t.Fatalf("%d refunds accepted, order refunded %d", ok, got.Refunded)
		}
		if c := calls(t, env, o.ID)["CreateRefund"]; c != 4 {
			t.Fatalf("%d CreateRefund calls", c)
		}
		p, err := db.Payment(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, r := range p.Refunds {
			sum += r.Amount
		}
		if len(p.Refunds) != 4 || sum != 4000 {
			t.Fatalf("%d refunds stored, sum %d", len(p.Refunds), sum)
		}
	})
}
