package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// BenchmarkStorefrontPages serves the product page and a cart page (with
// the server-signed Amazon Pay button) from the handler in process, in
// parallel, on SQLite. The end-to-end figure under load, against a bare
// net/http handler, comes from bench/storefront.
func BenchmarkStorefrontPages(b *testing.B) {
	b.Run("products", func(b *testing.B) { benchPage(b, "/") })
	b.Run("cart", func(b *testing.B) { benchPage(b, "/cart") })
}

func benchPage(b *testing.B, path string) {
	db := sqlstoretest.SQLite(b)
	e := newEnv(b, db)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/cart/items", strings.NewReader(url.Values{"product_id": {itoa(e.coffee.ID)}, "quantity": {"2"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	e.h.ServeHTTP(rec, req)
	cookie := rec.Result().Cookies()[0]
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.AddCookie(cookie)
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("GET %s: %d", path, rec.Code)
			}
		}
	})
}
