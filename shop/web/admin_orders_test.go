package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/checkout"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/web"
)

// backOffice is the shop's pages with the order pages mounted, an emulator
// behind them and a logged-out browser.
type backOffice struct {
	t      *testing.T
	pay    *paymentstest.Env
	srv    *httptest.Server
	client *http.Client
}

func newBackOffice(t *testing.T, db *sqlstoretest.DB) *backOffice {
	t.Helper()
	pay := paymentstest.New(t, db)
	secret := bytes.Repeat([]byte("k"), 32)
	ts := httptest.NewUnstartedServer(nil)
	co, err := checkout.New(checkout.Config{Store: db, Client: pay.Amazon.Client, BaseURL: "http://" + ts.Listener.Addr().String(),
		StoreID: "amzn1.application-oa2-client.backoffice", MerchantID: pay.Amazon.MerchantID, Currency: "USD", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Config{Checkout: co, CheckoutJSURL: pay.Amazon.URL + "/checkout.js", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	h.MountOrders(pay.Service)
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	if _, err := db.CreateAdminUser(context.Background(), "boss", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	return &backOffice{t: t, pay: pay, srv: ts,
		client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *backOffice) get(path string) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.client.Get(b.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *backOffice) post(path string, form url.Values) (int, http.Header) {
	b.t.Helper()
	resp, err := b.client.PostForm(b.srv.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

func (b *backOffice) login() {
	b.t.Helper()
	if status, _ := b.post("/admin/login", url.Values{"username": {"boss"}, "password": {"a long enough password"}, "next": {"/admin/orders"}}); status != http.StatusSeeOther {
		b.t.Fatalf("login: %d", status)
	}
}

// formKey finds the idempotency key of an action's form on a page.
func formKey(t *testing.T, body, op string) string {
	t.Helper()
	m := regexp.MustCompile(`id="action-` + op + `">\s*<input type="hidden" name="key" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s form on the page", op)
	}
	return m[1]
}

// act submits an action form and follows the redirect to the order page.
func (b *backOffice) act(orderID int64, op string, form url.Values) string {
	b.t.Helper()
	status, hdr := b.post(fmt.Sprintf("/admin/orders/%d/%s", orderID, op), form)
	if status != http.StatusSeeOther {
		b.t.Fatalf("%s: %d", op, status)
	}
	_, body, _ := b.get(hdr.Get("Location"))
	return html.UnescapeString(body)
}

func TestAdminOrders(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		b := newBackOffice(t, db)
		authorized := b.pay.Order(ctx, paymentstest.OrderOptions{Total: 10000})
		captured := b.pay.Order(ctx, paymentstest.OrderOptions{Total: 5000, Intent: amazonpay.PaymentIntentAuthorizeWithCapture})
		other := b.pay.Order(ctx, paymentstest.OrderOptions{Total: 3000})

		// Behind the admin login.
		if status, _, hdr := b.get("/admin/orders"); status != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/admin/login") {
			t.Fatalf("logged out: %d %s", status, hdr.Get("Location"))
		}
		if status, _ := b.post(fmt.Sprintf("/admin/orders/%d/capture", authorized.ID), url.Values{"amount": {"1.00"}}); status == http.StatusSeeOther {
			t.Fatal("a logged-out POST was accepted")
		}
		b.login()

		// The list and its filters.
		_, body, _ := b.get("/admin/orders")
		for _, o := range []*shop.Order{authorized, captured, other} {
			if !strings.Contains(body, o.Number) {
				t.Fatalf("list misses %s", o.Number)
			}
		}
		if _, body, _ = b.get("/admin/orders?status=captured"); !strings.Contains(body, captured.Number) || strings.Contains(body, authorized.Number) {
			t.Fatal("status filter")
		}
		if _, body, _ = b.get("/admin/orders?charge_state=Authorized"); strings.Contains(body, captured.Number) || !strings.Contains(body, authorized.Number) {
			t.Fatal("charge state filter")
		}
		if status, body, _ := b.get("/admin/orders?from=yesterday"); status != http.StatusBadRequest || !strings.Contains(body, "YYYY-MM-DD") {
			t.Fatalf("bad date: %d", status)
		}

		// Capture part, with the amount typed in; sending the form twice
		// captures once.
		_, body, _ = b.get(fmt.Sprintf("/admin/orders/%d", authorized.ID))
		if !strings.Contains(body, `value="100.00"`) || !strings.Contains(body, "Cancel authorization") {
			t.Fatal("detail page lacks the capture amount or the cancel button")
		}
		key := formKey(t, body, "capture")
		form := url.Values{"key": {key}, "amount": {"40.00"}, "reason": {"first parcel"}}
		if page := b.act(authorized.ID, "capture", form); !strings.Contains(page, "capture done: order partially_captured") {
			t.Fatalf("capture: %s", page)
		}
		if page := b.act(authorized.ID, "capture", form); !strings.Contains(page, "already been done") {
			t.Fatalf("second submit: %s", page)
		}
		calls, _ := db.AmazonCalls(ctx, shop.AmazonCallFilter{OrderID: authorized.ID})
		n := 0
		for _, c := range calls {
			if c.Operation == "CaptureCharge" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d CaptureCharge calls", n)
		}

		// Refunds: bad amounts are refused with Amazon Pay's codes.
		_, body, _ = b.get(fmt.Sprintf("/admin/orders/%d", authorized.ID))
		if page := b.act(authorized.ID, "refund", url.Values{"key": {formKey(t, body, "refund")}, "amount": {"12,50"}}); !strings.Contains(page, "InvalidParameterValue") {
			t.Fatalf("malformed amount: %s", page)
		}
		if page := b.act(authorized.ID, "refund", url.Values{"key": {formKey(t, body, "refund")}, "amount": {"999.00"}}); !strings.Contains(page, "TransactionAmountExceeded") {
			t.Fatalf("over-refund: %s", page)
		}
		page := b.act(authorized.ID, "refund", url.Values{"key": {formKey(t, body, "refund")}, "amount": {"10.00"}, "reason": {"damaged"}})
		if !strings.Contains(page, "refund done: order partially_refunded") || !strings.Contains(page, "CreateRefund") || !strings.Contains(page, "RefundInitiated") {
			t.Fatalf("refund: %s", page)
		}
		got, _ := db.Order(ctx, authorized.ID)
		if got.Captured != 4000 || got.Refunded != 1000 {
			t.Fatalf("order captured %d refunded %d", got.Captured, got.Refunded)
		}

		// Cancel another order's authorization.
		_, body, _ = b.get(fmt.Sprintf("/admin/orders/%d", other.ID))
		page = b.act(other.ID, "cancel", url.Values{"key": {formKey(t, body, "cancel")}, "reason": {"out of stock"}})
		if !strings.Contains(page, "cancel done: order canceled") || !strings.Contains(page, "Chargeable") {
			t.Fatalf("cancel: %s", page)
		}
		if status, _, _ := b.get("/admin/orders/999999"); status != http.StatusNotFound {
			t.Fatalf("unknown order: %d", status)
		}
	})
}
