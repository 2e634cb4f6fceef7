package payments_test

import (
	"context"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestReconcileLeavesCheckoutMovementsToTheStorefront: a pending Complete
// Checkout Session movement belongs to the storefront (shop/checkout), which
// settles it by reading the checkout session; the payments reconciler must
// neither fail on it every pass nor give it up.
func TestReconcileLeavesCheckoutMovementsToTheStorefront(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db, func(c *payments.Config) { c.ResumeAfter = time.Second })
		o := &shop.Order{Currency: "USD", Total: 1500, BuyerEmail: "buyer@example.com", BuyerName: "Test Buyer",
			Items: []shop.OrderItem{{ProductID: 1, SKU: "SKU-1", Name: "Test product", UnitPrice: 1500, Quantity: 1}}}
		if err := db.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
		m := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpComplete, Amount: 1500, Currency: "USD", ClientKey: "checkout:test-session"}
		if _, err := db.BeginMoneyMovement(ctx, m); err != nil {
			t.Fatal(err)
		}
		env.Amazon.AdvanceClock(time.Minute) // the movement now looks abandoned
		rep, err := env.Service.Reconcile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Errors != 0 || rep.Resumed != 0 || rep.GivenUp != 0 {
			t.Fatalf("reconcile touched the checkout movement: %+v", rep)
		}
		got, err := db.MoneyMovement(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != shop.MovementPending {
			t.Fatalf("checkout movement is %s, want still pending", got.Status)
		}
	})
}
