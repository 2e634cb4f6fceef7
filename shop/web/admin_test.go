package web_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop/checkout"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/web"
)

func TestAdmin_Login(t *testing.T) {
	e := newEnv(t, sqlstoretest.SQLite(t))
	// Not signed in: the login page, with the way back.
	p := e.get("/admin/tester/get-charge?chargeId=S01-1")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/login?next="+url.QueryEscape("/admin/tester/get-charge?chargeId=S01-1") {
		t.Fatalf("anonymous tester page: %d %s", p.status, p.header.Get("Location"))
	}
	if p := e.getJSON("/admin/"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, `"unauthorized"`) {
		t.Fatalf("anonymous JSON: %d %s", p.status, p.body)
	}
	if p := e.post("/admin/tester/get-charge", url.Values{"chargeId": {"S01-1"}}); p.status != http.StatusUnauthorized {
		t.Fatalf("anonymous POST: %d", p.status)
	}
	// Wrong passwords and unknown users get the same answer.
	for _, f := range []url.Values{
		{"username": {adminUser}, "password": {"wrong password!"}},
		{"username": {"nobody"}, "password": {adminPass}},
	} {
		p := e.post("/admin/login", f)
		if p.status != http.StatusUnauthorized || byID(p.body, "login-problem") != "Wrong username or password." {
			t.Fatalf("bad login: %d %s", p.status, byID(p.body, "login-problem"))
		}
	}
	// The right one: a session cookie, and back where we were going.
	p = e.post("/admin/login", url.Values{"username": {adminUser}, "password": {adminPass}, "next": {"/admin/tester/get-charge?chargeId=S01-1"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/tester/get-charge?chargeId=S01-1" {
		t.Fatalf("login: %d %s", p.status, p.header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "apay_admin" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || strings.Contains(session.Value, adminPass) {
		t.Fatalf("session cookie = %+v", session)
	}
	if p := e.get("/admin/"); p.status != 200 || !strings.Contains(p.body, `id="tester-button"`) {
		t.Fatalf("admin index: %d", p.status)
	}
	// Redirects after login stay on the admin pages.
	for _, next := range []string{"https://evil.example/", "//evil.example/admin/", "/cart", "/admin\\x"} {
		p := e.post("/admin/login", url.Values{"username": {adminUser}, "password": {adminPass}, "next": {next}})
		if p.header.Get("Location") != "/admin/" {
			t.Errorf("next=%q went to %q", next, p.header.Get("Location"))
		}
	}
	// Logging out ends the session.
	e.post("/admin/logout", nil)
	if p := e.get("/admin/"); p.status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", p.status)
	}
	// The password is in no log line.
	if strings.Contains(e.logs.String(), adminPass) {
		t.Fatal("the password reached the log")
	}
}

func TestAdmin_ForgedOrExpiredSession(t *testing.T) {
	e := newEnv(t, sqlstoretest.SQLite(t))
	e.login()
	u, _ := url.Parse(e.base)
	var value string
	for _, c := range e.client.Jar.Cookies(u) {
		if c.Name == "apay_admin" {
			value = c.Value
		}
	}
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		t.Fatalf("session %q", value)
	}
	forged := []string{
		"YWRtaW4." + parts[1] + "." + parts[2][:len(parts[2])-2] + "AA", // bad MAC
		parts[0] + ".9999999999." + parts[2],                            // extended expiry
		"cm9vdA." + parts[1] + "." + parts[2],                           // another user
		"garbage",
	}
	for _, v := range forged {
		req, _ := http.NewRequest(http.MethodGet, e.base+"/admin/", nil)
		req.AddCookie(&http.Cookie{Name: "apay_admin", Value: v})
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("cookie %q let in: %d", v, res.StatusCode)
		}
	}
	// Sessions expire (8 hours by default).
	h, err := web.New(web.Config{Checkout: e.co, CheckoutJSURL: e.srv.URL + "/checkout.js", Secret: bytes.Repeat([]byte("s"), 32),
		Now: func() time.Time { return time.Now().Add(9 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/admin/", nil)
	req.AddCookie(&http.Cookie{Name: "apay_admin", Value: value})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("expired session let in: %d", rec.Code)
	}
}

// TestCookies_Secure: over https cookies are Secure with the __Host- prefix.
func TestCookies_Secure(t *testing.T) {
	srv := amazonpaytest.NewServer(t)
	db := sqlstoretest.SQLite(t)
	secret := bytes.Repeat([]byte("s"), 32)
	co, err := checkout.New(checkout.Config{Store: db, Client: srv.Client, BaseURL: "https://shop.example", StoreID: testStoreID,
		MerchantID: srv.MerchantID, Currency: "USD", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Config{Checkout: co, CheckoutJSURL: "https://static-na.payments-amazon.com/checkout.js", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, db) // only for the product
	req := httptest.NewRequest(http.MethodPost, "https://shop.example/cart/items", strings.NewReader("product_id="+itoa(e.coffee.ID)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	cs := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cs) != 1 || cs[0].Name != "__Host-apay_cart" || !cs[0].Secure || !cs[0].HttpOnly || cs[0].Path != "/" {
		t.Fatalf("%d cookies %+v", rec.Code, cs)
	}
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Fatal("no HSTS over https")
	}
}

func TestErrorInfo(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{&checkout.PaymentError{Operation: "CompleteCheckoutSession", Retryable: true, Message: "later"}, 503, "amazon_unavailable"},
		{&checkout.PaymentError{Operation: "UpdateCheckoutSession", StatusCode: 400, ReasonCode: "InvalidParameterValue", Message: "no"}, 422, "InvalidParameterValue"},
		{&http.MaxBytesError{Limit: 10}, 413, "invalid"},
		{errString("database is locked: /var/secret/path"), 500, "internal"},
	} {
		status, d := web.ErrorInfo(tc.err)
		if status != tc.status || d.Code != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.err, status, d.Code, tc.status, tc.code)
		}
		if tc.status == 500 && strings.Contains(d.Message, "secret") {
			t.Errorf("internal detail leaked: %q", d.Message)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
