package subscriptions_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/subscriptions"
)

// browser starts headless chromium with a throw-away profile, or skips
// (fails under APAY_REQUIRE_BROWSER=1) when there is none.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		if path, err = exec.LookPath("chromium"); err != nil {
			if os.Getenv("APAY_REQUIRE_BROWSER") == "1" {
				t.Fatal("chromium not found; APAY_REQUIRE_BROWSER=1 requires the browser tests")
			}
			t.Skip("chromium not found")
		}
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()))
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// A buyer subscribes, changes the payment method and cancels, all in the
// browser: the shop's pages and the emulator's hosted Amazon Pay pages.
func TestBrowserPaymentMethodChangeAndCancel(t *testing.T) {
	ctx := browser(t)
	db := sqlstoretest.SQLite(t)
	e := newEnv(t, db, nil)
	p := e.product("BR", monthly, "USD")
	mux := http.NewServeMux()
	shopSrv := httptest.NewServer(mux)
	defer shopSrv.Close()
	pages, err := subscriptions.NewPages(subscriptions.PagesConfig{
		Service: e.svc, BaseURL: shopSrv.URL, Secret: []byte(strings.Repeat("s", 32)),
		SignInURL: func(id string) string { return e.srv.URL + "/checkout/signin?amazonCheckoutSessionId=" + id },
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/subscriptions/", pages)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!doctype html><form method="post" action="/subscriptions/start"><input type="hidden" name="product_id" value="` +
			itoa(p.ID) + `"><button id="subscribe" type="submit">Subscribe</button></form>`))
	})
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s: %v (at %s)", what, err, loc)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	// until polls a JavaScript condition, riding over navigations.
	until := func(what, cond string) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
				return
			}
		}
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s: never true: %s (at %s)", what, cond, loc)
	}
	// approve is the buyer's way through Amazon's pages back to the shop:
	// sign in (unless still signed in), choose, review at the shop, approve.
	approve := func(what string) {
		t.Helper()
		do(what+": Amazon page", chromedp.WaitVisible(css("#signin-continue, #select-continue")))
		if v, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('#signin-continue')`)); v {
			do(what+": sign in", chromedp.Click(css("#signin-continue")), chromedp.WaitVisible(css("#select-continue")))
		}
		do(what+": select", chromedp.Click(css("#select-continue")), chromedp.WaitVisible(css("#confirm")))
		do(what+": confirm", chromedp.Click(css("#confirm")))
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#status') ? 'shop' : (document.querySelector('#pay-now') ? 'pay' : 'wait')`))
			switch state {
			case "shop":
				return
			case "pay":
				do(what+": pay now", chromedp.Click(css("#pay-now")))
			}
		}
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s: never back at the shop (at %s)", what, loc)
	}

	do("open the shop", chromedp.Navigate(shopSrv.URL+"/"), chromedp.WaitVisible(css("#subscribe")), chromedp.Click(css("#subscribe")))
	approve("subscribe")
	status, cp1 := text("#status"), text("#cp")
	if status != "active" || !strings.HasPrefix(cp1, "C") {
		t.Fatalf("after subscribing: status %q, permission %q", status, cp1)
	}
	do("change payment method", chromedp.Click(css("#change-payment")))
	approve("payment-method change")
	until("new permission shown", `!!document.querySelector('#cp') && document.querySelector('#cp').textContent !== '`+cp1+`'`)
	cp2 := text("#cp")
	if cp2 == cp1 || !strings.HasPrefix(cp2, "C") {
		t.Fatalf("permission after change %q (was %q)", cp2, cp1)
	}
	do("cancel", chromedp.Click(css("#cancel")))
	until("canceled shown", `!!document.querySelector('#status') && document.querySelector('#status').textContent === 'canceled'`)
	e.runJobs()
	sub, _ := db.Subscription(context.Background(), 1)
	if sub.ChargePermissionID != cp2 || sub.Status != "canceled" {
		t.Fatalf("stored %s %s, page showed %s", sub.ChargePermissionID, sub.Status, cp2)
	}
}
