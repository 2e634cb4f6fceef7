package subscriptions_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/subscriptions"
)

// The customer's pages: subscribe, manage through the signed link, change
// the payment method through a new Amazon checkout, cancel; the admin's
// list and cancel; a forged link is refused.
func TestPages(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.SQLite(t)
	e := newEnv(t, db, nil)
	p := e.product("PG", monthly, "USD")
	var hs *httptest.Server
	pages, err := subscriptions.NewPages(subscriptions.PagesConfig{
		Service: e.svc, BaseURL: "https://shop.invalid", Secret: []byte(strings.Repeat("k", 32)), Limiter: e.lim,
		SignInURL: func(id string) string { return "http://amazon.invalid/signin?amazonCheckoutSessionId=" + id },
		RequireAdmin: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Test-Admin") != "yes" {
					http.Error(w, "login", http.StatusUnauthorized)
					return
				}
				h.ServeHTTP(w, r)
			})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs = httptest.NewServer(pages)
	defer hs.Close()
	client := hs.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	do := func(method, target string, form url.Values, admin bool) (int, string, string) {
		t.Helper()
		u, _ := url.Parse(target)
		req, _ := http.NewRequest(method, hs.URL+u.RequestURI(), strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if admin {
			req.Header.Set("X-Test-Admin", "yes")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	sessionOf := func(loc string) string {
		u, _ := url.Parse(loc)
		return u.Query().Get("amazonCheckoutSessionId")
	}
	// The buyer at Amazon: sign in, then our review page, then approve, then our result page.
	amazon := func(loc string) string {
		t.Helper()
		cs := sessionOf(loc)
		review, err := e.srv.BuyerSignIn(ctx, cs, amazonpaytest.Buyer{})
		if err != nil {
			t.Fatal(err)
		}
		if code, _, body := do("GET", review, nil, false); code != 200 || !strings.Contains(body, `id="confirm"`) {
			t.Fatalf("review page %d\n%s", code, body)
		}
		result, err := e.srv.Confirm(ctx, cs)
		if err != nil {
			t.Fatal(err)
		}
		code, next, body := do("GET", result, nil, false)
		if code != http.StatusSeeOther {
			t.Fatalf("result page %d\n%s", code, body)
		}
		return next
	}

	code, _, _ := do("POST", "/subscriptions/start", url.Values{"product_id": {"999"}}, false)
	if code != http.StatusNotFound {
		t.Fatalf("unknown product: %d", code)
	}
	code, loc, _ := do("POST", "/subscriptions/start", url.Values{"product_id": {itoa(p.ID)}}, false)
	if code != http.StatusSeeOther || sessionOf(loc) == "" {
		t.Fatalf("start = %d %s", code, loc)
	}
	mine := amazon(loc)
	code, _, body := do("GET", mine, nil, false)
	if code != 200 || !strings.Contains(body, `<dd id="status">active</dd>`) || !strings.Contains(body, "20.00 USD every 1 Month") {
		t.Fatalf("customer page %d\n%s", code, body)
	}
	sub, err := db.Subscription(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := do("GET", "/subscriptions/1?t=forged", nil, false); code != http.StatusNotFound {
		t.Fatalf("forged link: %d", code)
	}
	// Payment-method change through a new buyer-approved checkout.
	token := mustQuery(t, mine, "t")
	code, loc, _ = do("POST", "/subscriptions/1/payment-method?t="+token, url.Values{}, false)
	if code != http.StatusSeeOther || sessionOf(loc) == "" {
		t.Fatalf("payment-method = %d %s", code, loc)
	}
	amazon(loc)
	after, _ := db.Subscription(ctx, 1)
	if after.ChargePermissionID == sub.ChargePermissionID {
		t.Fatal("payment-method change kept the old permission")
	}
	// Cancel.
	code, loc, _ = do("POST", "/subscriptions/1/cancel?t="+token, url.Values{}, false)
	if code != http.StatusSeeOther {
		t.Fatalf("cancel = %d", code)
	}
	if _, _, body := do("GET", loc, nil, false); !strings.Contains(body, `<dd id="status">canceled</dd>`) || strings.Contains(body, `id="cancel"`) {
		t.Fatalf("after cancel\n%s", body)
	}
	e.runJobs()
	if js := e.jobsOf(subscriptions.KindCloseChargePermission, shop.JobSucceeded); len(js) != 2 {
		t.Fatalf("closed %d permissions, want 2 (old on change, new on cancel)", len(js))
	}

	// Admin.
	if code, _, _ := do("GET", "/admin/subscriptions", nil, false); code != http.StatusUnauthorized {
		t.Fatalf("admin without login: %d", code)
	}
	other := e.subscribe(p.ID, amazonpaytest.Buyer{Email: "o@example.com"})
	code, _, body = do("GET", "/admin/subscriptions", nil, true)
	if code != 200 || !strings.Contains(body, "close_charge_permission") || !strings.Contains(body, `id="throttle"`) {
		t.Fatalf("admin list %d\n%s", code, body)
	}
	code, loc, _ = do("POST", "/admin/subscriptions/"+itoa(other.ID)+"/cancel", url.Values{}, true)
	if code != http.StatusSeeOther {
		t.Fatalf("admin cancel %d", code)
	}
	if _, _, body := do("GET", loc, nil, true); !strings.Contains(body, `<dd id="status">canceled</dd>`) {
		t.Fatalf("admin page after cancel\n%s", body)
	}
	if code, _, body := do("POST", "/admin/subscriptions/"+itoa(other.ID)+"/plan", url.Values{"product_id": {"x"}}, true); code != 400 || !strings.Contains(body, "subscription product") {
		t.Fatalf("bad plan form %d", code)
	}
}

func mustQuery(t *testing.T, raw, key string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Query().Get(key) == "" {
		t.Fatalf("no %s in %q", key, raw)
	}
	return u.Query().Get(key)
}

func itoa(n int64) string { return strconvFormat(n) }

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }
