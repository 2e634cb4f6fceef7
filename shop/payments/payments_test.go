package payments_test

import (
	"context"
	"errors"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// code returns the *payments.Error code of err ("" for nil).
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *payments.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *payments.Error", err)
	}
	return e.Code
}

func mustOrder(t *testing.T, env *paymentstest.Env, id int64) *shop.Order {
	t.Helper()
	o, err := env.DB.Order(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCaptureRefundClose(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 10000})
		if o.Status != shop.StatusAuthorized || o.Authorized != 10000 {
			t.Fatalf("after checkout: %s authorized %d", o.Status, o.Authorized)
		}
		res, err := env.Service.Capture(ctx, o.ID, payments.Request{Amount: 6000, IdempotencyKey: "cap-1", Reason: "ship part"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Order.Status != shop.StatusPartiallyCaptured || res.Order.Captured != 6000 || res.Charge.State != shop.ChargeCaptured {
			t.Fatalf("after capture: %s captured %d charge %s", res.Order.Status, res.Order.Captured, res.Charge.State)
		}
		// Same key: the stored result, nothing sent.
		again, err := env.Service.Capture(ctx, o.ID, payments.Request{Amount: 6000, IdempotencyKey: "cap-1"})
		if err != nil || !again.Replayed || again.Charge.ID != res.Charge.ID {
			t.Fatalf("replay: %+v %v", again, err)
		}
		// Partial refunds add up; the over-refund margin caps them.
		for i, amt := range []int64{1000, 2000} {
			r, err := env.Service.Refund(ctx, o.ID, payments.Request{Amount: amt, IdempotencyKey: "ref-" + string(rune('a'+i))})
			if err != nil {
				t.Fatal(err)
			}
			if r.Refund.State != shop.RefundInitiated {
				t.Fatalf("refund state %s", r.Refund.State)
			}
		}
		if got := mustOrder(t, env, o.ID); got.Refunded != 3000 || got.Status != shop.StatusPartiallyRefunded {
			t.Fatalf("after refunds: %s refunded %d", got.Status, got.Refunded)
		}
		// 6000 captured + 15 % (900) − 3000 refunded = 3900 left.
		_, err = env.Service.Refund(ctx, o.ID, payments.Request{Amount: 3901, IdempotencyKey: "ref-over"})
		if code(t, err) != string(amazonpay.ReasonTransactionAmountExceeded) {
			t.Fatalf("over-refund: %v", err)
		}
		if _, err := env.Service.Refund(ctx, o.ID, payments.Request{Amount: 3900, IdempotencyKey: "ref-max"}); err != nil {
			t.Fatalf("refund up to the margin: %v", err)
		}
		if got := mustOrder(t, env, o.ID); got.Refunded != 6900 || got.Status != shop.StatusRefunded {
			t.Fatalf("after refunds: %s refunded %d", got.Status, got.Refunded)
		}
		res, err = env.Service.Close(ctx, o.ID, payments.Request{Reason: "done", IdempotencyKey: "close"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Payment.ChargePermissionState != "Closed" {
			t.Fatalf("charge permission %s", res.Payment.ChargePermissionState)
		}
	})
}
