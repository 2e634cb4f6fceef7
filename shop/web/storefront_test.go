package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestStorefront_Journey walks the buyer's journey over HTTP (without a
// browser: the emulator's buyer steps stand in for its pages), on SQLite
// and PostgreSQL.
func TestStorefront_Journey(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		home := e.get("/")
		if home.status != 200 || !strings.Contains(home.body, `id="add-coffee"`) || strings.Contains(home.body, "Sencha") {
			t.Fatalf("home page: %d\n%s", home.status, home.body)
		}
		if !strings.Contains(home.body, "Mug &lt;b&gt;&amp;&lt;/b&gt;") {
			t.Fatal("a product name was not escaped")
		}
		if p := e.addToCart(e.coffee, "2"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/cart" {
			t.Fatalf("add: %d %s", p.status, p.body)
		}
		e.addToCart(e.mug, "1")
		cart := e.get("/cart")
		if byID(cart.body, "cart-total") != "$37.50" {
			t.Fatalf("cart total %q", byID(cart.body, "cart-total"))
		}
		b := e.button(cart.body)
		if b.MerchantID != e.srv.MerchantID || b.LedgerCurrency != "USD" || b.Placement != "Cart" || b.CreateCheckoutSessionConfig == nil ||
			b.EstimatedOrderAmount == nil || b.EstimatedOrderAmount.Amount != "37.50" {
			t.Fatalf("button = %+v", b)
		}
		if !strings.Contains(cart.body, `<script src="`+e.srv.URL+`/checkout.js"></script>`) {
			t.Fatal("the cart page does not load the emulator's checkout.js")
		}

		id, review := e.startCheckout(amazonpaytest.Buyer{})
		rev := e.get(review)
		if rev.status != 200 {
			t.Fatalf("review: %d\n%s", rev.status, rev.body)
		}
		for _, want := range []string{"buyer-name", "buyer-email", "payment-descriptor"} {
			if byID(rev.body, want) == "" {
				t.Errorf("review page: empty #%s", want)
			}
		}
		if !strings.Contains(rev.body, `id="shipping-address"`) || !strings.Contains(rev.body, `data-amazon-pay-change="changeAddress"`) ||
			!strings.Contains(rev.body, `data-amazon-pay-change="changePayment"`) || byID(rev.body, "order-total") != "$37.50" {
			t.Fatalf("review page:\n%s", rev.body)
		}

		place := e.post("/checkout/place", url.Values{"amazonCheckoutSessionId": {id}})
		if place.status != http.StatusSeeOther || !strings.HasPrefix(place.header.Get("Location"), e.srv.URL+"/checkout/processing") {
			t.Fatalf("place: %d %s\n%s", place.status, place.header.Get("Location"), place.body)
		}
		result, err := e.srv.Confirm(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		done := e.get(result)
		number := byID(done.body, "order-number")
		if done.status != 200 || number == "" || byID(done.body, "charge-id") == "" {
			t.Fatalf("confirmation: %d\n%s", done.status, done.body)
		}
		o, err := db.OrderByNumber(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := db.Payment(ctx, o.ID)
		if o.Status != shop.StatusAuthorized || o.Total != 3750 || p.ChargePermissionID == "" || len(p.Charges) != 1 || p.Charges[0].ID != byID(done.body, "charge-id") {
			t.Fatalf("order %+v payment %+v", o, p)
		}
		// Reloading the result shows the same page and completes nothing.
		again := e.get(result)
		if again.status != 200 || byID(again.body, "order-number") != number {
			t.Fatalf("reload: %d", again.status)
		}
		if c := e.get("/cart"); !strings.Contains(c.body, `id="cart-empty"`) {
			t.Fatal("the cart was not emptied")
		}
	})
}

// TestStorefront_TamperedAmounts sends amounts and currencies in every form
// and query the storefront has; none of them changes what is charged.
func TestStorefront_TamperedAmounts(t *testing.T) {
	e := newEnv(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	tamper := []string{"amount", "0.01", "price", "0.01", "unitPrice", "1", "total", "0.01", "currency", "JPY", "currencyCode", "JPY", "chargeAmount", "0.01"}
	e.addToCart(e.coffee, "2", tamper...)
	if p := e.postJSON("/cart/items", map[string]any{"productId": e.mug.ID, "quantity": 1, "price": "0.01", "unitPrice": 1, "currency": "JPY"}); p.status != 200 {
		t.Fatalf("JSON add: %d %s", p.status, p.body)
	}
	e.post("/cart/items/"+itoa(e.mug.ID), url.Values{"quantity": {"1"}, "price": {"0.01"}, "amount": {"0.01"}})
	var cart struct{ Total, Currency string }
	if err := json.Unmarshal([]byte(e.getJSON("/cart?amount=0.01&currency=JPY").body), &cart); err != nil || cart.Total != "37.50" || cart.Currency != "USD" {
		t.Fatalf("cart = %+v, %v", cart, err)
	}
	id, review := e.startCheckout(amazonpaytest.Buyer{})
	e.get(review + "&amount=0.01&currencyCode=JPY")
	form := url.Values{"amazonCheckoutSessionId": {id}}
	for i := 0; i < len(tamper); i += 2 {
		form.Set(tamper[i], tamper[i+1])
	}
	if p := e.post("/checkout/place?amount=0.01&chargeAmount=1&currencyCode=JPY", form); p.status != http.StatusSeeOther {
		t.Fatalf("place: %d %s", p.status, p.body)
	}
	result, _ := e.srv.Confirm(ctx, id)
	done := e.get(result + "&amount=0.01&chargeAmount=0.01")
	chargeID := byID(done.body, "charge-id")
	ch, _, err := e.srv.Client.Charges.Get(ctx, chargeID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.ChargeAmount.Amount != "37.50" || ch.ChargeAmount.CurrencyCode != "USD" {
		t.Fatalf("charged %v, want 37.50 USD", ch.ChargeAmount)
	}
}

// TestStorefront_BadInput: each bad request gets a clear page or JSON
// error, and none leaves an order behind.
func TestStorefront_BadInput(t *testing.T) {
	e := newEnv(t, sqlstoretest.SQLite(t))
	ctx := context.Background()
	// Another buyer's checkout session, for the "foreign session" cases,
	// and one of another shop (another merchant at Amazon Pay).
	other := e.otherBuyer()
	other.addToCart(other.coffee, "1")
	foreignID, foreignReview := other.startCheckout(amazonpaytest.Buyer{})
	elsewhere := newEnv(t, sqlstoretest.SQLite(t))
	elsewhere.addToCart(elsewhere.coffee, "1")
	otherShopID, _ := elsewhere.startCheckout(amazonpaytest.Buyer{})

	type check struct {
		name   string
		do     func() page
		status int
		code   string
		msg    string
	}
	jsonAdd := func(body map[string]any) func() page { return func() page { return e.postJSON("/cart/items", body) } }
	for _, tc := range []check{
		{"unknown product (JSON)", jsonAdd(map[string]any{"productId": 424242, "quantity": 1}), 404, "not_found", "no such product"},
		{"no product (JSON)", jsonAdd(map[string]any{"quantity": 1}), 404, "not_found", "no such product"},
		{"quantity zero (JSON)", jsonAdd(map[string]any{"productId": e.coffee.ID, "quantity": 0}), 400, "invalid", "Quantity"},
		{"quantity 100 (JSON)", jsonAdd(map[string]any{"productId": e.coffee.ID, "quantity": 100}), 400, "invalid", "Quantity"},
		{"foreign currency (JSON)", jsonAdd(map[string]any{"productId": e.yen.ID, "quantity": 1}), 400, "invalid", "sells in USD"},
		{"malformed JSON", func() page {
			req, _ := http.NewRequest(http.MethodPost, e.base+"/cart/items", strings.NewReader("{"))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			return e.do(req)
		}, 400, "invalid", "not valid JSON"},
		{"quantity not a number (form)", func() page { return e.addToCart(e.coffee, "two") }, 400, "", "whole number"},
		{"unknown product (form)", func() page { return e.post("/cart/items", url.Values{"product_id": {"x1"}}) }, 404, "", "no such product"},
		{"foreign currency (form)", func() page { return e.addToCart(e.yen, "1") }, 400, "", "sells in USD"},
		{"set quantity of an empty cart", func() page { return e.post("/cart/items/"+itoa(e.coffee.ID), url.Values{"quantity": {"2"}}) }, 404, "", "empty"},
		{"review with an empty cart", func() page { return e.get("/checkout/review?amazonCheckoutSessionId=" + foreignID) }, 400, "", "empty"},
		{"place with an empty cart", func() page {
			return e.post("/checkout/place", url.Values{"amazonCheckoutSessionId": {foreignID}})
		}, 400, "", "empty"},
		{"result of an unknown session", func() page { return e.get("/checkout/result?amazonCheckoutSessionId=" + foreignID) }, 404, "", "could not find"},
		{"result without session", func() page { return e.get("/checkout/result") }, 400, "", "missing"},
		{"unknown page", func() page { return e.get("/nope") }, 404, "", "no page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.do()
			if p.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", p.status, tc.status, p.body)
			}
			if tc.code != "" {
				var body struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal([]byte(p.body), &body); err != nil || body.Error.Code != tc.code || !strings.Contains(body.Error.Message, tc.msg) {
					t.Fatalf("JSON error %s, want code %s with %q", p.body, tc.code, tc.msg)
				}
				return
			}
			if !strings.Contains(p.header.Get("Content-Type"), "text/html") || !strings.Contains(strings.ToLower(byID(p.body, "error-message")), strings.ToLower(tc.msg)) {
				t.Fatalf("error page without %q:\n%s", tc.msg, p.body)
			}
		})
	}

	// With a cart: a stale or foreign checkout session.
	e.addToCart(e.coffee, "1")
	for _, tc := range []check{
		{"review of a foreign session", func() page { return e.get("/checkout/review?amazonCheckoutSessionId=" + foreignID) }, 400, "", "not started from your cart"},
		{"review of an unknown session", func() page {
			return e.get("/checkout/review?amazonCheckoutSessionId=9d7bb2b3-0000-4000-8000-000000000000")
		}, 404, "", "could not find"},
		{"review of another shop's session", func() page { return e.get("/checkout/review?amazonCheckoutSessionId=" + otherShopID) }, 404, "", "could not find"},
		{"result of another buyer's placed order", func() page {
			other.get(foreignReview)
			if p := other.post("/checkout/place", url.Values{"amazonCheckoutSessionId": {foreignID}}); p.status != http.StatusSeeOther {
				t.Fatalf("the other buyer could not place: %d", p.status)
			}
			return e.get("/checkout/result?amazonCheckoutSessionId=" + foreignID)
		}, 404, "", "could not find"},
		{"place a foreign session", func() page { return e.post("/checkout/place", url.Values{"amazonCheckoutSessionId": {foreignID}}) }, 400, "", "check out again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.do()
			if p.status != tc.status || !strings.Contains(byID(p.body, "error-message"), tc.msg) {
				t.Fatalf("status %d, want %d with %q\n%s", p.status, tc.status, tc.msg, p.body)
			}
		})
	}
	// A completed session is stale.
	id, review := e.startCheckout(amazonpaytest.Buyer{})
	e.get(review)
	e.post("/checkout/place", url.Values{"amazonCheckoutSessionId": {id}})
	result, _ := e.srv.Confirm(ctx, id)
	e.get(result)
	e.addToCart(e.coffee, "1")
	if p := e.get(review); p.status != 400 || !strings.Contains(byID(p.body, "error-message"), "ended") {
		t.Fatalf("review of a completed session: %d %s", p.status, byID(p.body, "error-message"))
	}
	os, _ := e.db.Orders(ctx, shop.OrderFilter{})
	if len(os) != 2 {
		t.Fatalf("%d orders; only the other buyer's placed order and the completed checkout should exist", len(os))
	}
}

// TestStorefront_Outcomes: a decline and a buyer cancel end on the error
// page, with no paid order; a pending authorization shows "being
// confirmed".
func TestStorefront_Outcomes(t *testing.T) {
	for _, tc := range []struct {
		card   string
		cancel bool
		status int
		want   string
		order  shop.OrderStatus
	}{
		{"3434", false, http.StatusPaymentRequired, "declined", shop.StatusDeclined},
		{"3064", false, http.StatusConflict, "canceled", shop.StatusCanceled},
		{"", true, http.StatusConflict, "canceled", shop.StatusCanceled},
	} {
		t.Run(tc.card+map[bool]string{true: "cancel"}[tc.cancel], func(t *testing.T) {
			e := newEnv(t, sqlstoretest.SQLite(t))
			ctx := context.Background()
			e.addToCart(e.coffee, "1")
			id, review := e.startCheckout(amazonpaytest.Buyer{PaymentMethod: tc.card})
			e.get(review)
			e.post("/checkout/place", url.Values{"amazonCheckoutSessionId": {id}})
			var back string
			var err error
			if tc.cancel {
				back, err = e.srv.Cancel(ctx, id)
			} else {
				back, err = e.srv.Confirm(ctx, id)
			}
			if err != nil {
				t.Fatal(err)
			}
			p := e.get(back)
			if p.status != tc.status || !strings.Contains(byID(p.body, "error-message"), tc.want) || attr(p.body, "href") == "" {
				t.Fatalf("%s: %d\n%s", back, p.status, p.body)
			}
			if !strings.Contains(p.body, `href="/cart" id="error-link"`) {
				t.Fatal("the error page does not lead back to the cart")
			}
			os, _ := e.db.Orders(ctx, shop.OrderFilter{})
			if len(os) != 1 || os[0].Status != tc.order || os[0].Authorized != 0 || os[0].Captured != 0 {
				t.Fatalf("orders = %+v", os)
			}
			if c := e.get("/cart"); strings.Contains(c.body, `id="cart-empty"`) {
				t.Fatal("the cart was emptied after a failed payment")
			}
		})
	}
	t.Run("cancel before placing", func(t *testing.T) {
		e := newEnv(t, sqlstoretest.SQLite(t))
		p := e.get("/checkout/cancel?amazonCheckoutSessionId=9d7bb2b3-0000-4000-8000-000000000000")
		if p.status != 200 || !strings.Contains(byID(p.body, "error-message"), "Nothing was charged") {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
	})
}

func TestStorefront_ZeroTotalHasNoButton(t *testing.T) {
	e := newEnv(t, sqlstoretest.SQLite(t))
	free := &shop.Product{SKU: "free", Name: "Sticker", Price: 0, Currency: "USD", Active: true}
	if err := e.db.CreateProduct(context.Background(), free); err != nil {
		t.Fatal(err)
	}
	e.addToCart(free, "3")
	p := e.get("/cart")
	if strings.Contains(p.body, "data-amazon-pay-button") || !strings.Contains(byID(p.body, "no-button"), "total of zero") || strings.Contains(p.body, "checkout.js") {
		t.Fatalf("zero-total cart page:\n%s", p.body)
	}
}

// TestStorefront_Security checks the headers, cookies and cross-origin
// protection every page has, and that no page carries inline script.
func TestStorefront_Security(t *testing.T) {
	e := newEnv(t, sqlstoretest.SQLite(t))
	add := e.addToCart(e.coffee, "1")
	var cart *http.Cookie
	for _, c := range (&http.Response{Header: add.header}).Cookies() {
		if c.Name == "apay_cart" {
			cart = c
		}
	}
	if cart == nil || !cart.HttpOnly || cart.SameSite != http.SameSiteLaxMode || cart.Path != "/" {
		t.Fatalf("cart cookie = %+v", cart)
	}
	p := e.get("/cart")
	csp := p.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self' " + e.srv.URL, "form-action 'self' " + e.srv.URL, "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline script: %s", csp)
	}
	if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers = %v", p.header)
	}
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(p.body) || strings.Contains(p.body, " onclick=") {
		t.Error("inline script on the cart page")
	}
	// A form posted from another site is refused, whatever it carries.
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		r := e.post("/cart/items", url.Values{"product_id": {itoa(e.coffee.ID)}, "quantity": {"5"}}, h...)
		if r.status != http.StatusForbidden || !strings.Contains(byID(r.body, "error-message"), "another site") {
			t.Fatalf("cross-origin POST with %v: %d\n%s", h, r.status, r.body)
		}
	}
	var body struct{ Total string }
	_ = json.Unmarshal([]byte(e.getJSON("/cart").body), &body)
	if body.Total != "14.00" {
		t.Fatalf("a cross-origin POST changed the cart: total %s", body.Total)
	}
	// No secret on a page or in the log: the private key's PEM never shows.
	if strings.Contains(p.body, "PRIVATE KEY") || strings.Contains(e.logs.String(), "PRIVATE KEY") {
		t.Fatal("private key material on a page or in the log")
	}
}
