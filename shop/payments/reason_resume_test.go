package payments_test

import (
	"context"
	"testing"

	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestResumedCancelSendsStoredReason: a close-authorization that got no
// answer is resumed by a retry carrying another reason; Amazon Pay gets the
// reason stored with the movement (the first), as a resume by the
// reconciler would send it, so the charge and the order history agree.
func TestResumedCancelSendsStoredReason(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
		env.Fault(ctx, paymentstest.Fault{Operation: "CancelCharge", Status: 503, Count: 4})
		if _, err := env.Service.CloseAuthorization(ctx, o.ID, payments.Request{IdempotencyKey: "oos", Reason: "out of stock"}); err == nil {
			t.Fatal("cancel succeeded through the fault")
		}
		res, err := env.Service.CloseAuthorization(ctx, o.ID, payments.Request{IdempotencyKey: "oos", Reason: "changed my mind"})
		for i := 0; i < 3 && err != nil && payments.AsError(err).Status == 503; i++ {
			res, err = env.Service.CloseAuthorization(ctx, o.ID, payments.Request{IdempotencyKey: "oos", Reason: "changed my mind"})
		}
		if err != nil {
			t.Fatalf("resumed cancel: %v", err)
		}
		if res.Movement.Reason != "out of stock" {
			t.Fatalf("movement reason %q", res.Movement.Reason)
		}
		ch := env.Charge(ctx, res.Charge.ID)
		if got := ch.StatusDetails.ReasonDescription; got != "out of stock" {
			t.Fatalf("Amazon Pay got cancellation reason %q, want the stored %q", got, "out of stock")
		}
	})
}
