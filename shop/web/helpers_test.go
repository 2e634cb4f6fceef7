package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/checkout"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/web"
)

const (
	testStoreID  = "amzn1.application-oa2-client.0123456789abcdef0123456789abcdef"
	adminUser    = "admin"
	adminPass    = "correct horse battery"
	testerAmount = "10.00"
)

// env is a shop (web handler + checkout service) on a real listener, with
// an in-process emulator and a browser-like client.
type env struct {
	t      testing.TB
	srv    *amazonpaytest.Server
	db     *sqlstoretest.DB
	co     *checkout.Service
	h      *web.Handler
	shop   *httptest.Server
	base   string
	client *http.Client // keeps cookies, does not follow redirects
	logs   *bytes.Buffer

	coffee, mug, yen *shop.Product
}

func newEnv(t testing.TB, db *sqlstoretest.DB) *env {
	t.Helper()
	srv := amazonpaytest.NewServer(t, amazonpaytest.WithClientOptions(
		amazonpay.WithRetry(amazonpay.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})))
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	secret := bytes.Repeat([]byte("s"), 32)
	co, err := checkout.New(checkout.Config{Store: db, Client: srv.Client, BaseURL: base, StoreID: testStoreID,
		MerchantID: srv.MerchantID, Currency: "USD", Secret: secret, Now: db.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	h, err := web.New(web.Config{Checkout: co, CheckoutJSURL: srv.URL + "/checkout.js", Secret: secret,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	e := &env{t: t, srv: srv, db: db, co: co, h: h, shop: ts, base: base, logs: logs,
		client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	ctx := context.Background()
	mk := func(sku, name string, price int64, ccy string) *shop.Product {
		p := &shop.Product{SKU: sku, Name: name, Price: price, Currency: ccy, Active: true}
		if err := db.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	e.coffee = mk("coffee", "Coffee beans", 1400, "USD")
	e.mug = mk("mug", "Mug <b>&</b>", 950, "USD")
	e.yen = mk("tea-jp", "Sencha", 1200, "JPY")
	if _, err := db.CreateAdminUser(ctx, adminUser, adminPass); err != nil {
		t.Fatal(err)
	}
	return e
}

// otherBuyer is the same shop seen from another browser (its own cookies).
func (e *env) otherBuyer() *env {
	jar, _ := cookiejar.New(nil)
	o := *e
	o.client = &http.Client{Jar: jar, CheckRedirect: e.client.CheckRedirect}
	return &o
}

// lockedWriter serialises log writes from concurrent handlers.
type lockedWriter struct {
	mu chan struct{}
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	if l.mu == nil {
		l.mu = make(chan struct{}, 1)
	}
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return l.w.Write(p)
}

// page is an answer with its body read.
type page struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(req *http.Request) page {
	e.t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (e *env) get(path string) page {
	e.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = e.base + path
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return e.do(req)
}

func (e *env) getJSON(path string) page {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
	req.Header.Set("Accept", "application/json")
	return e.do(req)
}

func (e *env) post(path string, form url.Values, header ...string) page {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

func (e *env) postJSON(path string, body any) page {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return e.do(req)
}

// login signs the client in as the admin.
func (e *env) login() {
	e.t.Helper()
	p := e.post("/admin/login", url.Values{"username": {adminUser}, "password": {adminPass}, "next": {"/admin/"}})
	if p.status != http.StatusSeeOther {
		e.t.Fatalf("login: %d\n%s", p.status, p.body)
	}
}

// byID returns the text inside the element with id, "" if absent.
func byID(body, id string) string {
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(m[1]))
}

// attr returns the value of attribute name on the first element that has
// it, unescaped.
func attr(body, name string) string {
	re := regexp.MustCompile(regexp.QuoteMeta(name) + `="([^"]*)"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// button reads the renderButton config the page passes to checkout.js.
func (e *env) button(body string) *checkout.ButtonRender {
	e.t.Helper()
	raw := attr(body, "data-amazon-pay-button")
	if raw == "" {
		e.t.Fatalf("no Amazon Pay button on the page:\n%s", body)
	}
	var b checkout.ButtonRender
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		e.t.Fatalf("button config %q: %v", raw, err)
	}
	return &b
}

// click does what checkout.js does with a signed button: post it to the
// emulator. It returns the emulator's answer (a 303 to the sign-in page for
// a good checkout button).
func (e *env) click(b *checkout.ButtonRender) *http.Response {
	e.t.Helper()
	form := url.Values{"merchantId": {b.MerchantID}, "productType": {b.ProductType}, "ledgerCurrency": {b.LedgerCurrency}, "placement": {b.Placement}}
	cfg := b.CreateCheckoutSessionConfig
	if b.SignInConfig != nil {
		cfg = b.SignInConfig
	}
	if cfg != nil {
		form.Set("publicKeyId", cfg.PublicKeyID)
		form.Set("algorithm", cfg.Algorithm)
		form.Set("payloadJSON", cfg.PayloadJSON)
		form.Set("signature", cfg.Signature)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.PostForm(e.srv.URL+"/checkout/start", form)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// startCheckout clicks the cart page's button and signs in; it returns the
// checkout session id and the review URL Amazon Pay sends the buyer to.
func (e *env) startCheckout(buyer amazonpaytest.Buyer) (id, review string) {
	e.t.Helper()
	p := e.get("/cart")
	if p.status != http.StatusOK {
		e.t.Fatalf("cart: %d", p.status)
	}
	res := e.click(e.button(p.body))
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("button click: %s", res.Status)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	id = loc.Query().Get("amazonCheckoutSessionId")
	review, err := e.srv.BuyerSignIn(context.Background(), id, buyer)
	if err != nil {
		e.t.Fatal(err)
	}
	return id, review
}

// addToCart adds quantity of a product through the product page's form.
func (e *env) addToCart(p *shop.Product, quantity string, extra ...string) page {
	e.t.Helper()
	form := url.Values{"product_id": {itoa(p.ID)}, "quantity": {quantity}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Add(extra[i], extra[i+1])
	}
	return e.post("/cart/items", form)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Stages of checkoutViaAPI.
const (
	signedIn  = iota // created and signed in
	updated          // amount and result URL set
	confirmed        // the buyer went through amazonPayRedirectUrl
	completed        // Complete Checkout Session done: charge Authorized
)

// checkoutViaAPI makes a checkout with the SDK directly (not the
// storefront), for the tester pages, up to stage: created and signed in,
// updated with testerAmount USD, confirmed, completed.
func (e *env) checkoutViaAPI(stage int) (csID, cpID, chargeID string) {
	e.t.Helper()
	ctx := context.Background()
	c := e.srv.Client
	cs, _, err := c.CheckoutSessions.Create(ctx, &amazonpay.CreateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: e.base + "/admin/tester/result"}, StoreID: testStoreID})
	if err != nil {
		e.t.Fatal(err)
	}
	csID = cs.CheckoutSessionID
	if _, err := e.srv.BuyerSignIn(ctx, csID, amazonpaytest.Buyer{}); err != nil {
		e.t.Fatal(err)
	}
	if stage < updated {
		return csID, "", ""
	}
	price, _ := amazonpay.ParsePrice(testerAmount, "USD")
	if _, _, err := c.CheckoutSessions.Update(ctx, csID, &amazonpay.UpdateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: e.base + "/admin/tester/result"},
		PaymentDetails:     &amazonpay.PaymentDetails{PaymentIntent: amazonpay.PaymentIntentAuthorize, ChargeAmount: price}}); err != nil {
		e.t.Fatal(err)
	}
	if stage < confirmed {
		return csID, "", ""
	}
	if _, err := e.srv.Confirm(ctx, csID); err != nil {
		e.t.Fatal(err)
	}
	if stage < completed {
		return csID, "", ""
	}
	done, _, err := c.CheckoutSessions.Complete(ctx, csID, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: price})
	if err != nil {
		e.t.Fatal(err)
	}
	return csID, done.ChargePermissionID, done.ChargeID
}
