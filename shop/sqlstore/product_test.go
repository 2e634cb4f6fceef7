package sqlstore_test

import (
	"testing"

	"github.com/apaykit/apaykit/shop"
)

func TestProducts(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		p := mustProduct(t, db, "TEA", 1200, "USD")
		if p.ID == 0 || p.CreatedAt.IsZero() {
			t.Fatalf("not stored: %+v", p)
		}
		wantCode(t, db.CreateProduct(ctx, &shop.Product{SKU: "TEA", Name: "Dup", Price: 1, Currency: "USD"}), shop.ECONFLICT)
		wantCode(t, db.CreateProduct(ctx, &shop.Product{SKU: "X", Name: "Bad", Price: 1, Currency: "BTC"}), shop.EINVALID)
		wantCode(t, db.CreateProduct(ctx, &shop.Product{SKU: "", Name: "Bad", Price: 1, Currency: "USD"}), shop.EINVALID)

		sub := &shop.Product{SKU: "BOX", Name: "Monthly box", Price: 0, Currency: "JPY", Active: true,
			Plan: &shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 3000, TrialDays: 7}}
		must(t, db.CreateProduct(ctx, sub))
		got, err := db.Product(ctx, sub.ID)
		must(t, err)
		if got.Plan == nil || *got.Plan != *sub.Plan || got.Currency != "JPY" || !got.Active {
			t.Errorf("subscription product read back as %+v plan %+v", got, got.Plan)
		}

		p.Active = false
		p.Price = 1300
		must(t, db.UpdateProduct(ctx, p))
		got, err = db.ProductBySKU(ctx, "TEA")
		must(t, err)
		if got.Active || got.Price != 1300 || got.Plan != nil {
			t.Errorf("update not stored: %+v", got)
		}
		wantCode(t, db.UpdateProduct(ctx, &shop.Product{ID: 999, SKU: "N", Name: "N", Currency: "USD"}), shop.ENOTFOUND)
		_, err = db.Product(ctx, 999)
		wantCode(t, err, shop.ENOTFOUND)

		all, err := db.Products(ctx, shop.ProductFilter{})
		must(t, err)
		active, err := db.Products(ctx, shop.ProductFilter{ActiveOnly: true})
		must(t, err)
		if len(all) != 2 || len(active) != 1 || active[0].SKU != "BOX" {
			t.Errorf("Products: all %d, active %v", len(all), active)
		}
		page, err := db.Products(ctx, shop.ProductFilter{AfterID: all[0].ID})
		must(t, err)
		if len(page) != 1 || page[0].ID != all[1].ID {
			t.Errorf("paging: %v", page)
		}
	})
}

func TestCarts(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		tea := mustProduct(t, db, "TEA", 1200, "USD")
		mug := mustProduct(t, db, "MUG", 850, "USD")
		yen := mustProduct(t, db, "SENCHA", 1500, "JPY")
		cart, err := db.CreateCart(ctx)
		must(t, err)
		if len(cart.ID) < 20 {
			t.Fatalf("cart id %q is too short to be unguessable", cart.ID)
		}
		other, err := db.CreateCart(ctx)
		must(t, err)
		if other.ID == cart.ID {
			t.Fatal("cart ids repeat")
		}

		_, err = db.SetCartItem(ctx, cart.ID, tea.ID, 2)
		must(t, err)
		cart, err = db.SetCartItem(ctx, cart.ID, mug.ID, 1)
		must(t, err)
		if total, _ := cart.Total(); cart.Currency != "USD" || len(cart.Items) != 2 || total != 3250 {
			t.Fatalf("cart = %+v total %d", cart, total)
		}
		cart, err = db.SetCartItem(ctx, cart.ID, tea.ID, 5)
		must(t, err)
		if cart.Items[0].Quantity != 5 || cart.Items[0].SKU != "TEA" {
			t.Fatalf("quantity not replaced: %+v", cart.Items)
		}
		for _, q := range []int{0, 100, -3} {
			_, err = db.SetCartItem(ctx, cart.ID, tea.ID, q)
			wantCode(t, err, shop.EINVALID)
		}
		_, err = db.SetCartItem(ctx, cart.ID, yen.ID, 1)
		wantCode(t, err, shop.EINVALID) // one currency per cart
		_, err = db.SetCartItem(ctx, cart.ID, 9999, 1)
		wantCode(t, err, shop.ENOTFOUND)
		_, err = db.SetCartItem(ctx, "nope", tea.ID, 1)
		wantCode(t, err, shop.ENOTFOUND)

		// Prices are read from the product, never from the cart.
		tea.Price = 1400
		must(t, db.UpdateProduct(ctx, tea))
		cart, err = db.Cart(ctx, cart.ID)
		must(t, err)
		if cart.Items[0].UnitPrice != 1400 {
			t.Errorf("cart shows stale price %d", cart.Items[0].UnitPrice)
		}
		tea.Active = false
		must(t, db.UpdateProduct(ctx, tea))
		_, err = db.SetCartItem(ctx, cart.ID, tea.ID, 1)
		wantCode(t, err, shop.EINVALID)

		cart, err = db.RemoveCartItem(ctx, cart.ID, tea.ID)
		must(t, err)
		cart, err = db.RemoveCartItem(ctx, cart.ID, mug.ID)
		must(t, err)
		if len(cart.Items) != 0 || cart.Currency != "" {
			t.Fatalf("emptied cart = %+v", cart)
		}
		cart, err = db.SetCartItem(ctx, cart.ID, yen.ID, 3)
		must(t, err)
		if cart.Currency != "JPY" {
			t.Fatalf("empty cart did not take the new currency: %q", cart.Currency)
		}
		must(t, db.SetCartCheckoutSession(ctx, cart.ID, "cs-123"))
		cart, err = db.Cart(ctx, cart.ID)
		must(t, err)
		if cart.CheckoutSessionID != "cs-123" {
			t.Errorf("checkout session = %q", cart.CheckoutSessionID)
		}

		db.clock.Advance(48 * 60 * 60 * 1e9)
		_, err = db.SetCartItem(ctx, other.ID, mug.ID, 1) // touches other
		must(t, err)
		n, err := db.DeleteCartsBefore(ctx, db.clock.Now().Add(-24*60*60*1e9))
		must(t, err)
		if n != 1 {
			t.Errorf("DeleteCartsBefore deleted %d carts, want 1", n)
		}
		_, err = db.Cart(ctx, cart.ID)
		wantCode(t, err, shop.ENOTFOUND)
		must(t, db.DeleteCart(ctx, other.ID))
		_, err = db.Cart(ctx, other.ID)
		wantCode(t, err, shop.ENOTFOUND)
	})
}
