package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/web"
)

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		ccy   string
		want  string
	}{
		{0, "USD", "$0.00"}, {5, "USD", "$0.05"}, {3750, "USD", "$37.50"}, {123456789, "USD", "$1,234,567.89"},
		{1800, "JPY", "¥1,800"}, {100, "JPY", "¥100"}, {10_000_000, "JPY", "¥10,000,000"},
		{-2500, "EUR", "-€25.00"}, {1200, "CHF", "12.00 CHF"}, {7, "XYZ", "7 XYZ"},
	} {
		if got := web.FormatMoney(tc.minor, tc.ccy); got != tc.want {
			t.Errorf("FormatMoney(%d, %s) = %q, want %q", tc.minor, tc.ccy, got, tc.want)
		}
	}
}

// FuzzFormatMoney: the shown amount always reads back as the same minor
// units once the symbol and the thousands separators are removed.
func FuzzFormatMoney(f *testing.F) {
	for _, s := range []struct {
		minor int64
		ccy   string
	}{{0, "USD"}, {1, "JPY"}, {-1, "EUR"}, {1 << 62, "GBP"}, {-1 << 63, "USD"}} {
		f.Add(s.minor, s.ccy)
	}
	f.Fuzz(func(t *testing.T, minor int64, ccy string) {
		s := web.FormatMoney(minor, ccy)
		if !utf8.ValidString(s) && utf8.ValidString(ccy) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
		if !money.Known(ccy) || minor > 1e15 || minor < -1e15 { // money.Parse takes at most 15 digits
			return
		}
		plain := strings.NewReplacer(",", "", "$", "", "¥", "", "€", "", "£", "", " "+ccy, "").Replace(s)
		neg := strings.HasPrefix(plain, "-")
		back, err := money.Parse(strings.TrimPrefix(plain, "-"), ccy)
		if neg {
			back = -back
		}
		if err != nil {
			t.Fatalf("%q does not parse back: %v", s, err)
		}
		if back != minor {
			t.Fatalf("FormatMoney(%d, %s) = %q reads back as %d", minor, ccy, s, back)
		}
	})
}

// FuzzCartForms sends arbitrary form and JSON bodies to the cart endpoints:
// the answer is never a server error, and never a crash.
func FuzzCartForms(f *testing.F) {
	e := newEnv(f, sqlstoretest.SQLite(f))
	for _, seed := range []struct{ path, ctype, body string }{
		{"/cart/items", "application/x-www-form-urlencoded", "product_id=1&quantity=2"},
		{"/cart/items", "application/x-www-form-urlencoded", "product_id=1&quantity=-99999999999999999999"},
		{"/cart/items", "application/json", `{"productId":1,"quantity":3,"price":"0.01"}`},
		{"/cart/items", "application/json", `{"productId":"1"}`},
		{"/cart/items/1", "application/x-www-form-urlencoded", "quantity=0"},
		{"/cart/items/1/remove", "application/x-www-form-urlencoded", ""},
		{"/checkout/place", "application/x-www-form-urlencoded", "amazonCheckoutSessionId=%00%2F..%2F"},
	} {
		f.Add(seed.path, seed.ctype, seed.body)
	}
	f.Fuzz(func(t *testing.T, path, ctype, body string) {
		if u, err := url.ParseRequestURI(path); err != nil || u.Path != path || strings.ContainsAny(path, " #?%") || len(path) > 200 {
			return
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s (%s) %q: %d\n%s", path, ctype, body, rec.Code, rec.Body)
		}
	})
}

// FuzzAdminSession: no cookie value an attacker can make lets them in.
func FuzzAdminSession(f *testing.F) {
	e := newEnv(f, sqlstoretest.SQLite(f))
	for _, s := range []string{"", "YWRtaW4.9999999999.AAAA", "a.b.c", "....", strings.Repeat("A", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		req := httptest.NewRequest(http.MethodGet, "/admin/", nil)
		req.Header.Set("Cookie", "apay_admin="+value)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			t.Fatalf("cookie %q opened the admin pages", value)
		}
	})
}
