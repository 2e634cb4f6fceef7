package checkout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/emulator"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/checkout"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

const testStoreID = "amzn1.application-oa2-client.0123456789abcdef0123456789abcdef"

// fixture is a checkout service on a fresh store and emulator, with a few
// products in USD and one in JPY.
type fixture struct {
	svc      *checkout.Service
	srv      *amazonpaytest.Server
	db       *sqlstoretest.DB
	coffee   *shop.Product // USD 14.00
	mug      *shop.Product // USD 9.50
	free     *shop.Product // USD 0.00
	yenTea   *shop.Product // JPY 1200
	inactive *shop.Product
}

func newFixture(t *testing.T, db *sqlstoretest.DB, mod ...func(*checkout.Config)) *fixture {
	t.Helper()
	srv := amazonpaytest.NewServer(t, amazonpaytest.WithClientOptions(
		amazonpay.WithRetry(amazonpay.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})))
	cfg := checkout.Config{
		Store: db, Client: srv.Client, BaseURL: "https://shop.test", StoreID: testStoreID, MerchantID: srv.MerchantID,
		Currency: "USD", Secret: bytes.Repeat([]byte("k"), 32), Now: db.Clock.Now,
	}
	for _, m := range mod {
		m(&cfg)
	}
	svc, err := checkout.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{svc: svc, srv: srv, db: db}
	ctx := context.Background()
	mk := func(sku, name string, price int64, ccy string, active bool) *shop.Product {
		p := &shop.Product{SKU: sku, Name: name, Price: price, Currency: ccy, Active: true}
		if err := db.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		if !active {
			p.Active = false
			if err := db.UpdateProduct(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	f.coffee = mk("coffee", "Coffee beans", 1400, "USD", true)
	f.mug = mk("mug", "Mug", 950, "USD", true)
	f.free = mk("sticker", "Sticker", 0, "USD", true)
	f.yenTea = mk("tea-jp", "Sencha", 1200, "JPY", true)
	f.inactive = mk("old", "Old thing", 500, "USD", false)
	return f
}

// startCheckout does what checkout.js does on a click: post the signed
// button to the emulator, which verifies it and creates the session. It
// returns the checkout session id.
func startCheckout(t *testing.T, f *fixture, b *checkout.ButtonRender) string {
	t.Helper()
	form := url.Values{
		"merchantId": {b.MerchantID}, "publicKeyId": {b.CreateCheckoutSessionConfig.PublicKeyID},
		"algorithm": {b.CreateCheckoutSessionConfig.Algorithm}, "payloadJSON": {b.CreateCheckoutSessionConfig.PayloadJSON},
		"signature": {b.CreateCheckoutSessionConfig.Signature}, "productType": {b.ProductType}, "ledgerCurrency": {b.LedgerCurrency},
		"placement": {b.Placement},
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.PostForm(f.srv.URL+"/checkout/start", form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("POST /checkout/start: %s\n%s", res.Status, body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	id := loc.Query().Get("amazonCheckoutSessionId")
	if id == "" {
		t.Fatalf("no session id in %s", loc)
	}
	return id
}

// journey is one buyer's checkout up to amazonPayRedirectUrl.
type journey struct {
	cartID  string
	session string
	placed  *checkout.Placed
}

// reviewAndPlace fills a cart, clicks the button, signs in with buyer and
// places the order.
func reviewAndPlace(t *testing.T, f *fixture, buyer amazonpaytest.Buyer) *journey {
	t.Helper()
	ctx := context.Background()
	cart, err := f.svc.AddItem(ctx, "", f.coffee.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if cart, err = f.svc.AddItem(ctx, cart.ID, f.mug.ID, 1); err != nil {
		t.Fatal(err)
	}
	j := &journey{cartID: cart.ID}
	j.session = signIn(t, f, cart, buyer)
	rev, err := f.svc.Review(ctx, j.cartID, j.session)
	if err != nil {
		t.Fatalf("Review: %v", err)
	}
	if rev.Cart.Total != 3750 || rev.BuyerEmail == "" || rev.Shipping == nil || rev.PaymentDescriptor == "" {
		t.Fatalf("review = %+v (cart %+v)", rev, rev.Cart)
	}
	if j.placed, err = f.svc.PlaceOrder(ctx, j.cartID, j.session); err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	if j.placed.Order.Status != shop.StatusPendingPayment || !strings.Contains(j.placed.RedirectURL, "/checkout/processing") {
		t.Fatalf("placed = %+v", j.placed)
	}
	return j
}

// signIn renders the cart's button, starts the checkout and signs in at
// the emulator; it checks the review URL Amazon Pay sends the buyer to.
func signIn(t *testing.T, f *fixture, cart *checkout.CartView, buyer amazonpaytest.Buyer) string {
	t.Helper()
	ctx := context.Background()
	b, err := f.svc.Button(ctx, cart)
	if err != nil {
		t.Fatalf("Button: %v", err)
	}
	if strings.Contains(b.CreateCheckoutSessionConfig.PayloadJSON, "amount") {
		t.Fatalf("the button payload carries an amount: %s", b.CreateCheckoutSessionConfig.PayloadJSON)
	}
	id := startCheckout(t, f, b)
	review, err := f.srv.BuyerSignIn(ctx, id, buyer)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(review)
	if u.Path != checkout.ReviewPath || u.Query().Get("ref") == "" || u.Query().Get("amazonCheckoutSessionId") != id {
		t.Fatalf("review URL %s", review)
	}
	return id
}

// returnFromAmazon confirms at amazonPayRedirectUrl and visits the result.
func returnFromAmazon(t *testing.T, f *fixture, j *journey) *checkout.Result {
	t.Helper()
	ctx := context.Background()
	if _, err := f.srv.Confirm(ctx, j.session); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Result(ctx, j.cartID, j.session)
	if err != nil {
		t.Fatalf("Result: %v", err)
	}
	return r
}

// calls counts logged Amazon calls of an operation.
func calls(t *testing.T, f *fixture, op string) int {
	t.Helper()
	all, err := f.db.AmazonCalls(context.Background(), shop.AmazonCallFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range all {
		if c.Operation == op {
			n++
		}
	}
	return n
}

func orders(t *testing.T, f *fixture) []*shop.Order {
	t.Helper()
	os, err := f.db.Orders(context.Background(), shop.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return os
}

func TestCheckout_Authorized(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
		r := returnFromAmazon(t, f, j)
		if r.Outcome != checkout.OutcomeAuthorized || r.ChargeID == "" {
			t.Fatalf("result = %+v", r)
		}
		o := r.Order
		if o.Status != shop.StatusAuthorized || o.Authorized != 3750 || o.Total != 3750 || o.Currency != "USD" {
			t.Fatalf("order = %+v", o)
		}
		if r.Payment.ChargePermissionID == "" || r.Payment.ChargePermissionState == "" || len(r.Payment.Charges) != 1 ||
			r.Payment.Charges[0].State != shop.ChargeAuthorized || r.Payment.Charges[0].Amount != 3750 {
			t.Fatalf("payment = %+v", r.Payment)
		}
		// Amazon Pay holds the server's amount and the order number.
		ch, _, err := f.srv.Client.Charges.Get(ctx, r.ChargeID)
		if err != nil {
			t.Fatal(err)
		}
		if ch.ChargeAmount.Amount != "37.50" || ch.ChargeAmount.CurrencyCode != "USD" {
			t.Fatalf("charged %v", ch.ChargeAmount)
		}
		cp, _, err := f.srv.Client.ChargePermissions.Get(ctx, r.Payment.ChargePermissionID)
		if err != nil {
			t.Fatal(err)
		}
		if cp.MerchantMetadata == nil || cp.MerchantMetadata.MerchantReferenceID != o.Number {
			t.Fatalf("merchantMetadata = %+v, want reference %s", cp.MerchantMetadata, o.Number)
		}
		// The cart is gone; the call log has every call with its request id.
		if v, _ := f.svc.Cart(ctx, j.cartID); !v.Empty() {
			t.Fatalf("cart still has %d items", len(v.Items))
		}
		log, err := db.AmazonCalls(ctx, shop.AmazonCallFilter{OrderID: o.ID})
		if err != nil {
			t.Fatal(err)
		}
		ops := map[string]bool{}
		for _, c := range log {
			ops[c.Operation] = true
			if c.RequestID == "" || c.HTTPStatus == 0 {
				t.Errorf("log entry without request id or status: %+v", c)
			}
			if c.Operation == "CompleteCheckoutSession" && c.IdempotencyKey == "" {
				t.Errorf("Complete logged without idempotency key")
			}
		}
		for _, op := range []string{"UpdateCheckoutSession", "CompleteCheckoutSession", "GetCharge", "GetChargePermission"} {
			if !ops[op] {
				t.Errorf("no %s in the order's call log (%v)", op, ops)
			}
		}
		// The review's Get Checkout Session happens before there is an order.
		if n := calls(t, f, "GetCheckoutSession"); n < 2 {
			t.Errorf("%d GetCheckoutSession calls logged", n)
		}
	})
}

func TestCheckout_ReloadCompletesOnce(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
	first := returnFromAmazon(t, f, j)
	for range 3 {
		r, err := f.svc.Result(ctx, j.cartID, j.session)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != first.Outcome || r.ChargeID != first.ChargeID || r.Order.Version != first.Order.Version {
			t.Fatalf("reload = %+v, first %+v", r, first)
		}
	}
	if n := calls(t, f, "CompleteCheckoutSession"); n != 1 {
		t.Fatalf("Complete called %d times", n)
	}
}

func TestCheckout_ConcurrentResultVisits(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
		if _, err := f.srv.Confirm(ctx, j.session); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]*checkout.Result, 8)
		errs := make([]error, 8)
		for i := range results {
			wg.Go(func() { results[i], errs[i] = f.svc.Result(ctx, j.cartID, j.session) })
		}
		wg.Wait()
		for i, r := range results {
			if errs[i] != nil {
				t.Fatalf("visit %d: %v", i, errs[i])
			}
			if r.Outcome != checkout.OutcomeAuthorized {
				t.Fatalf("visit %d: outcome %s", i, r.Outcome)
			}
		}
		o, err := db.Order(ctx, j.placed.Order.ID)
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.Payment(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != shop.StatusAuthorized || o.Authorized != o.Total || len(p.Charges) != 1 {
			t.Fatalf("order %+v, charges %+v", o, p.Charges)
		}
	})
}

func TestCheckout_Declined(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	j := reviewAndPlace(t, f, amazonpaytest.Buyer{PaymentMethod: "3434"})
	r := returnFromAmazon(t, f, j)
	if r.Outcome != checkout.OutcomeDeclined || r.Order.Status != shop.StatusDeclined || r.Order.Authorized != 0 || r.ChargeID != "" {
		t.Fatalf("result = %+v order %+v", r, r.Order)
	}
	// The cart is kept for another try, without the spent session.
	v, err := f.svc.Cart(ctx, j.cartID)
	if err != nil || v.Empty() || v.CheckoutSessionID != "" {
		t.Fatalf("cart after decline = %+v, %v", v, err)
	}
	// A second checkout from the same cart succeeds with a new order.
	id := signIn(t, f, v, amazonpaytest.Buyer{})
	if _, err := f.svc.Review(ctx, j.cartID, id); err != nil {
		t.Fatal(err)
	}
	placed, err := f.svc.PlaceOrder(ctx, j.cartID, id)
	if err != nil {
		t.Fatal(err)
	}
	if placed.Order.ID == r.Order.ID {
		t.Fatal("the declined order was reused")
	}
	r2 := returnFromAmazon(t, f, &journey{cartID: j.cartID, session: id, placed: placed})
	if r2.Outcome != checkout.OutcomeAuthorized {
		t.Fatalf("second try = %s", r2.Outcome)
	}
}

func TestCheckout_BuyerCanceled(t *testing.T) {
	t.Run("card 3064", func(t *testing.T) {
		f := newFixture(t, sqlstoretest.SQLite(t))
		j := reviewAndPlace(t, f, amazonpaytest.Buyer{PaymentMethod: "3064"})
		r := returnFromAmazon(t, f, j)
		if r.Outcome != checkout.OutcomeCanceled || r.Order.Status != shop.StatusCanceled || r.ReasonCode != "BuyerCanceled" {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("cancel link", func(t *testing.T) {
		f := newFixture(t, sqlstoretest.SQLite(t))
		ctx := context.Background()
		j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
		to, err := f.srv.Cancel(ctx, j.session)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(to, "https://shop.test"+checkout.CancelPath) {
			t.Fatalf("cancel went to %s", to)
		}
		r, err := f.svc.Cancel(ctx, j.cartID, j.session)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != checkout.OutcomeCanceled || r.Order.Status != shop.StatusCanceled {
			t.Fatalf("result = %+v", r)
		}
		// Canceling before any order exists is nothing to settle.
		if r, err := f.svc.Cancel(ctx, j.cartID, "0f9b6bd3-unknown"); r != nil || err != nil {
			t.Fatalf("Cancel unknown = %v, %v", r, err)
		}
	})
}

func TestCheckout_PendingAuthorization(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t), func(c *checkout.Config) { c.CanHandlePendingAuthorization = true })
	ctx := context.Background()
	j := reviewAndPlace(t, f, amazonpaytest.Buyer{PaymentMethod: "0701"})
	r := returnFromAmazon(t, f, j)
	if r.Outcome != checkout.OutcomePending || r.Order.Status != shop.StatusPaymentPending {
		t.Fatalf("result = %+v, order %+v", r, r.Order)
	}
	f.srv.AdvanceClock(time.Minute)
	r, err := f.svc.Result(ctx, j.cartID, j.session)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != checkout.OutcomeAuthorized || r.Order.Status != shop.StatusAuthorized {
		t.Fatalf("after 30 s: %+v, order %+v", r, r.Order)
	}
	if n := calls(t, f, "CompleteCheckoutSession"); n != 1 {
		t.Fatalf("Complete called %d times", n)
	}
}

func TestCheckout_IntentConfirmAndCapture(t *testing.T) {
	for _, tc := range []struct {
		intent amazonpay.PaymentIntent
		want   shop.OrderStatus
		out    checkout.Outcome
	}{
		{amazonpay.PaymentIntentConfirm, shop.StatusPendingPayment, checkout.OutcomeConfirmed},
		{amazonpay.PaymentIntentAuthorizeWithCapture, shop.StatusCaptured, checkout.OutcomeAuthorized},
	} {
		t.Run(string(tc.intent), func(t *testing.T) {
			f := newFixture(t, sqlstoretest.SQLite(t), func(c *checkout.Config) { c.PaymentIntent = tc.intent })
			r := returnFromAmazon(t, f, reviewAndPlace(t, f, amazonpaytest.Buyer{}))
			if r.Outcome != tc.out || r.Order.Status != tc.want || r.Payment.ChargePermissionID == "" {
				t.Fatalf("result = %+v, order %+v", r, r.Order)
			}
		})
	}
}

// TestCheckout_CrashAfterComplete: Amazon Pay completed the session but the
// answer never reached the database (the process died, or the connection
// was reset after Amazon Pay committed). The next visit, or the reconciler,
// finishes the order without charging twice.
func TestCheckout_CrashAfterComplete(t *testing.T) {
	completeBehindOurBack := func(t *testing.T, f *fixture, j *journey) {
		t.Helper()
		ctx := context.Background()
		if _, err := f.srv.Confirm(ctx, j.session); err != nil {
			t.Fatal(err)
		}
		ms, err := f.db.MoneyMovements(ctx, j.placed.Order.ID)
		if err != nil || len(ms) != 1 {
			t.Fatalf("movements = %v, %v", ms, err)
		}
		price, _ := amazonpay.NewPrice(ms[0].Amount, ms[0].Currency)
		if _, _, err := f.srv.Client.CheckoutSessions.Complete(ctx, j.session, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: price},
			amazonpay.WithIdempotencyKey(ms[0].AmazonKey)); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("next visit", func(t *testing.T) {
		f := newFixture(t, sqlstoretest.SQLite(t))
		j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
		completeBehindOurBack(t, f, j)
		r, err := f.svc.Result(context.Background(), j.cartID, j.session)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != checkout.OutcomeAuthorized || len(r.Payment.Charges) != 1 {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("reconciler", func(t *testing.T) {
		sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
			f := newFixture(t, db)
			ctx := context.Background()
			j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
			open := reviewAndPlace(t, f, amazonpaytest.Buyer{}) // still at Amazon Pay
			completeBehindOurBack(t, f, j)
			rep, err := f.svc.Reconcile(ctx, db.Clock.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Checked != 2 || rep.Settled != 1 || rep.Open != 1 {
				t.Fatalf("report = %+v", rep)
			}
			o, _ := db.Order(ctx, j.placed.Order.ID)
			if o.Status != shop.StatusAuthorized {
				t.Fatalf("order = %s", o.Status)
			}
			if o2, _ := db.Order(ctx, open.placed.Order.ID); o2.Status != shop.StatusPendingPayment {
				t.Fatalf("open order = %s", o2.Status)
			}
			// The buyer's own visit afterwards shows the stored outcome.
			r, err := f.svc.Result(ctx, j.cartID, j.session)
			if err != nil || r.Outcome != checkout.OutcomeAuthorized {
				t.Fatalf("visit after reconcile = %+v, %v", r, err)
			}
			if n := calls(t, f, "CompleteCheckoutSession"); n != 0 {
				t.Fatalf("the shop called Complete %d times; the session was already complete", n)
			}
		})
	})
	t.Run("connection reset after commit", func(t *testing.T) {
		f := newFixture(t, sqlstoretest.SQLite(t))
		ctx := context.Background()
		j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
		if _, err := f.srv.Confirm(ctx, j.session); err != nil {
			t.Fatal(err)
		}
		fault(t, f, map[string]any{"operation": "CompleteCheckoutSession", "count": 2, "kind": "reset-after-commit"})
		r, err := f.svc.Result(ctx, j.cartID, j.session)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != checkout.OutcomeAuthorized || len(r.Payment.Charges) != 1 {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("Amazon unavailable", func(t *testing.T) {
		f := newFixture(t, sqlstoretest.SQLite(t))
		ctx := context.Background()
		j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
		if _, err := f.srv.Confirm(ctx, j.session); err != nil {
			t.Fatal(err)
		}
		fault(t, f, map[string]any{"count": 4, "status": 503})
		r, err := f.svc.Result(ctx, j.cartID, j.session)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != checkout.OutcomeUnconfirmed || r.Order.Status != shop.StatusPendingPayment {
			t.Fatalf("while Amazon Pay is down: %+v", r)
		}
		r, err = f.svc.Result(ctx, j.cartID, j.session)
		if err != nil || r.Outcome != checkout.OutcomeAuthorized {
			t.Fatalf("reload = %+v, %v", r, err)
		}
	})
}

// fault injects an emulator fault through its control API.
func fault(t *testing.T, f *fixture, spec map[string]any) {
	t.Helper()
	b, _ := json.Marshal(spec)
	res, err := http.Post(f.srv.URL+"/_emulator/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 300 {
		t.Fatalf("POST /_emulator/faults: %s", res.Status)
	}
}

func TestCheckout_PlaceTwiceReusesOrder(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
	again, err := f.svc.PlaceOrder(ctx, j.cartID, j.session)
	if err != nil {
		t.Fatal(err)
	}
	if again.Order.ID != j.placed.Order.ID || again.RedirectURL != j.placed.RedirectURL {
		t.Fatalf("second place = %+v, first %+v", again, j.placed)
	}
	if n := len(orders(t, f)); n != 1 {
		t.Fatalf("%d orders", n)
	}
}

func TestCheckout_ChangeAddressAfterPlacing(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
	// The buyer goes back to the review page and changes the address.
	addr := &emulator.Address{Name: "Mary Major", AddressLine1: "1 Main St", City: "Seattle", StateOrRegion: "WA", PostalCode: "98101", CountryCode: "US"}
	if _, err := f.srv.BuyerSignIn(ctx, j.session, amazonpaytest.Buyer{ShippingAddress: addr}); err != nil {
		t.Fatal(err)
	}
	placed, err := f.svc.PlaceOrder(ctx, j.cartID, j.session)
	if err != nil {
		t.Fatal(err)
	}
	if placed.Order.Shipping == nil || placed.Order.Shipping.Name != addr.Name {
		t.Fatalf("shipping = %+v", placed.Order.Shipping)
	}
}

func TestCheckout_BadInput(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	cart, err := f.svc.AddItem(ctx, "", f.coffee.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.svc.AddItem(ctx, "", f.mug.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	otherSession := signIn(t, f, other, amazonpaytest.Buyer{})
	for _, tc := range []struct {
		name string
		do   func() error
		code string
		msg  string
	}{
		{"unknown product", func() error { _, err := f.svc.AddItem(ctx, cart.ID, 99999, 1); return err }, shop.ENOTFOUND, "no such product"},
		{"product id zero", func() error { _, err := f.svc.AddItem(ctx, cart.ID, 0, 1); return err }, shop.ENOTFOUND, "no such product"},
		{"quantity zero", func() error { _, err := f.svc.AddItem(ctx, cart.ID, f.coffee.ID, 0); return err }, shop.EINVALID, "Quantity"},
		{"quantity negative", func() error { _, err := f.svc.AddItem(ctx, cart.ID, f.coffee.ID, -3); return err }, shop.EINVALID, "Quantity"},
		{"quantity too large", func() error { _, err := f.svc.AddItem(ctx, cart.ID, f.coffee.ID, 100); return err }, shop.EINVALID, "Quantity"},
		{"line above 99", func() error { _, err := f.svc.AddItem(ctx, cart.ID, f.coffee.ID, 99); return err }, shop.EINVALID, "at most 99"},
		{"set quantity too large", func() error { _, err := f.svc.SetQuantity(ctx, cart.ID, f.coffee.ID, 1000); return err }, shop.EINVALID, "Quantity"},
		{"foreign currency", func() error { _, err := f.svc.AddItem(ctx, cart.ID, f.yenTea.ID, 1); return err }, shop.EINVALID, "sells in USD"},
		{"inactive product", func() error { _, err := f.svc.AddItem(ctx, cart.ID, f.inactive.ID, 1); return err }, shop.EINVALID, "no longer available"},
		{"review empty cart", func() error { _, err := f.svc.Review(ctx, "", otherSession); return err }, shop.EINVALID, "empty"},
		{"review unknown cart", func() error { _, err := f.svc.Review(ctx, "nope", otherSession); return err }, shop.EINVALID, "empty"},
		{"review without session", func() error { _, err := f.svc.Review(ctx, cart.ID, ""); return err }, shop.EINVALID, "missing"},
		{"review malformed session", func() error { _, err := f.svc.Review(ctx, cart.ID, "../charges/x"); return err }, shop.EINVALID, "could not find"},
		{"review unknown session", func() error {
			_, err := f.svc.Review(ctx, cart.ID, "c2f36d5c-0000-4000-8000-000000000000")
			return err
		}, shop.ENOTFOUND, "could not find"},
		{"review foreign session", func() error { _, err := f.svc.Review(ctx, cart.ID, otherSession); return err }, shop.EINVALID, "not started from your cart"},
		{"place unreviewed session", func() error { _, err := f.svc.PlaceOrder(ctx, cart.ID, otherSession); return err }, shop.EINVALID, "check out again"},
		{"place empty cart", func() error { _, err := f.svc.PlaceOrder(ctx, "", otherSession); return err }, shop.EINVALID, "empty"},
		{"result unknown session", func() error { _, err := f.svc.Result(ctx, cart.ID, otherSession); return err }, shop.ENOTFOUND, "could not find"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if shop.ErrorCode(err) != tc.code || !strings.Contains(strings.ToLower(shop.ErrorMessage(err)), strings.ToLower(tc.msg)) {
				t.Fatalf("err = %v (code %s), want %s containing %q", err, shop.ErrorCode(err), tc.code, tc.msg)
			}
		})
	}
	if n := len(orders(t, f)); n != 0 {
		t.Fatalf("bad input left %d orders", n)
	}
	if v, _ := f.svc.Cart(ctx, cart.ID); len(v.Items) != 1 || v.Items[0].Quantity != 1 {
		t.Fatalf("cart changed: %+v", v.Items)
	}
}

func TestCheckout_StaleAndForeignSessions(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	j := reviewAndPlace(t, f, amazonpaytest.Buyer{})
	returnFromAmazon(t, f, j)

	// A completed session cannot be reviewed or placed again.
	cart, err := f.svc.AddItem(ctx, j.cartID, f.coffee.ID, 1) // the old cart id; a fresh cart results
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Review(ctx, cart.ID, j.session); shop.ErrorCode(err) != shop.EINVALID || !strings.Contains(shop.ErrorMessage(err), "ended") {
		t.Fatalf("review of a completed session: %v", err)
	}
	// Another buyer's cart cannot see the result of this one.
	if _, err := f.svc.Result(ctx, cart.ID, j.session); shop.ErrorCode(err) != shop.ENOTFOUND {
		t.Fatalf("result with a foreign cart: %v", err)
	}
	if _, err := f.svc.Result(ctx, "", j.session); shop.ErrorCode(err) != shop.ENOTFOUND {
		t.Fatalf("result without cart: %v", err)
	}
	if n := len(orders(t, f)); n != 1 {
		t.Fatalf("%d orders", n)
	}
}

func TestCheckout_CartChangedAfterReview(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	cart, _ := f.svc.AddItem(ctx, "", f.coffee.ID, 1)
	id := signIn(t, f, cart, amazonpaytest.Buyer{})
	if _, err := f.svc.Review(ctx, cart.ID, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddItem(ctx, cart.ID, f.mug.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PlaceOrder(ctx, cart.ID, id); shop.ErrorCode(err) != shop.EINVALID {
		t.Fatalf("place after a change: %v", err)
	}
	if n := len(orders(t, f)); n != 0 {
		t.Fatalf("%d orders", n)
	}
	// Reviewing again shows the new total and places it.
	rev, err := f.svc.Review(ctx, cart.ID, id)
	if err != nil || rev.Cart.Total != 2350 {
		t.Fatalf("review again = %+v, %v", rev, err)
	}
	placed, err := f.svc.PlaceOrder(ctx, cart.ID, id)
	if err != nil || placed.Order.Total != 2350 {
		t.Fatalf("place = %+v, %v", placed, err)
	}
	// Changing the cart after placing cancels the placed order.
	if _, err := f.svc.AddItem(ctx, cart.ID, f.mug.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Review(ctx, cart.ID, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PlaceOrder(ctx, cart.ID, id); shop.ErrorCode(err) != shop.EINVALID || !strings.Contains(shop.ErrorMessage(err), "canceled") {
		t.Fatalf("place after changing a placed cart: %v", err)
	}
	if o, _ := f.db.Order(ctx, placed.Order.ID); o.Status != shop.StatusCanceled {
		t.Fatalf("superseded order is %s", o.Status)
	}
}

func TestCheckout_ZeroTotal(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	cart, err := f.svc.AddItem(ctx, "", f.free.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Button(ctx, cart); shop.ErrorCode(err) != shop.EINVALID || shop.ErrorMessage(err) != checkout.ZeroTotalMessage {
		t.Fatalf("Button for a zero total: %v", err)
	}
	if _, err := f.svc.PlaceOrder(ctx, cart.ID, "c2f36d5c-0000-4000-8000-000000000000"); shop.ErrorCode(err) != shop.EINVALID {
		t.Fatalf("PlaceOrder for a zero total: %v", err)
	}
	if _, err := f.svc.Button(ctx, &checkout.CartView{Currency: "USD"}); shop.ErrorCode(err) != shop.EINVALID {
		t.Fatalf("Button for an empty cart: %v", err)
	}
}

func TestCheckout_UpdateRefusedCancelsOrder(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	cart, _ := f.svc.AddItem(ctx, "", f.coffee.ID, 1)
	id := signIn(t, f, cart, amazonpaytest.Buyer{})
	if _, err := f.svc.Review(ctx, cart.ID, id); err != nil {
		t.Fatal(err)
	}
	fault(t, f, map[string]any{"operation": "UpdateCheckoutSession", "status": 400, "reasonCode": "InvalidParameterValue"})
	_, err := f.svc.PlaceOrder(ctx, cart.ID, id)
	var pe *checkout.PaymentError
	if !errors.As(err, &pe) || pe.ReasonCode != "InvalidParameterValue" || pe.Retryable {
		t.Fatalf("err = %v", err)
	}
	os := orders(t, f)
	if len(os) != 1 || os[0].Status != shop.StatusCanceled {
		t.Fatalf("orders = %+v", os)
	}
}

func TestCheckout_Products(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t))
	ps, err := f.svc.Products(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var skus []string
	for _, p := range ps {
		skus = append(skus, p.SKU)
	}
	if strings.Join(skus, ",") != "coffee,mug,sticker" {
		t.Fatalf("products = %v", skus)
	}
}

func TestNew_Config(t *testing.T) {
	srv := amazonpaytest.NewServer(t)
	db := sqlstoretest.SQLite(t)
	ok := checkout.Config{Store: db, Client: srv.Client, BaseURL: "https://shop.example", StoreID: "s", MerchantID: "m", Currency: "JPY", Secret: make([]byte, 32)}
	if _, err := checkout.New(ok); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*checkout.Config){
		"no store":       func(c *checkout.Config) { c.Store = nil },
		"no client":      func(c *checkout.Config) { c.Client = nil },
		"no store id":    func(c *checkout.Config) { c.StoreID = "" },
		"no merchant":    func(c *checkout.Config) { c.MerchantID = "" },
		"short secret":   func(c *checkout.Config) { c.Secret = make([]byte, 8) },
		"base with path": func(c *checkout.Config) { c.BaseURL = "https://shop.example/x" },
		"base ftp":       func(c *checkout.Config) { c.BaseURL = "ftp://shop.example" },
		"currency":       func(c *checkout.Config) { c.Currency = "XYZ" },
		"intent":         func(c *checkout.Config) { c.PaymentIntent = "Sell" },
		"awc pending": func(c *checkout.Config) {
			c.PaymentIntent, c.CanHandlePendingAuthorization = amazonpay.PaymentIntentAuthorizeWithCapture, true
		},
		"long name": func(c *checkout.Config) { c.StoreName = strings.Repeat("x", 51) },
	} {
		c := ok
		mod(&c)
		if _, err := checkout.New(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestCheckout_JPYStore: a Japanese store sells in JPY (no decimals) with
// checkout.js in Japanese; USD products are foreign there.
func TestCheckout_JPYStore(t *testing.T) {
	f := newFixture(t, sqlstoretest.SQLite(t), func(c *checkout.Config) { c.Currency = "JPY" })
	ctx := context.Background()
	if _, err := f.svc.AddItem(ctx, "", f.coffee.ID, 1); shop.ErrorCode(err) != shop.EINVALID || !strings.Contains(shop.ErrorMessage(err), "sells in JPY") {
		t.Fatalf("USD product in a JPY shop: %v", err)
	}
	cart, err := f.svc.AddItem(ctx, "", f.yenTea.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.Button(ctx, cart)
	if err != nil {
		t.Fatal(err)
	}
	if b.LedgerCurrency != "JPY" || b.CheckoutLanguage != "ja_JP" || b.EstimatedOrderAmount.Amount != "3600" {
		t.Fatalf("button = %+v", b)
	}
	id := startCheckout(t, f, b)
	if _, err := f.srv.BuyerSignIn(ctx, id, amazonpaytest.Buyer{}); err != nil {
		t.Fatal(err)
	}
	rev, err := f.svc.Review(ctx, cart.ID, id)
	if err != nil || rev.Shipping == nil || rev.Cart.Total != 3600 {
		t.Fatalf("review = %+v, %v", rev, err)
	}
	placed, err := f.svc.PlaceOrder(ctx, cart.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	r := returnFromAmazon(t, f, &journey{cartID: cart.ID, session: id, placed: placed})
	ch, _, err := f.srv.Client.Charges.Get(ctx, r.ChargeID)
	if err != nil || r.Order.Status != shop.StatusAuthorized || ch.ChargeAmount.Amount != "3600" || ch.ChargeAmount.CurrencyCode != "JPY" {
		t.Fatalf("order %+v charge %+v, %v", r.Order, ch, err)
	}
}
