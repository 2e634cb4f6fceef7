package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// The buyer's journey in a real browser (Debian's chromium, headless) on the
// demo wiring: the storefront, the emulator's checkout.js and hosted pages,
// and the shop's database. Without chromium the tests skip, unless
// APAY_REQUIRE_BROWSER=1 (CI), which makes a missing browser a failure.

const chromiumPath = "/usr/bin/chromium"

func needChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	msg := "chromium not found at " + chromiumPath + " (Debian: apt-get install -y chromium)"
	if os.Getenv("APAY_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; APAY_REQUIRE_BROWSER=1 requires the browser tests to run")
	}
	t.Skip(msg + "; set APAY_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// newChromium starts headless chromium with a throwaway profile.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(needChromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// runDemoInProcess starts the demo wiring (what apay demo runs) on free
// ports with a fresh directory, optionally on a given store.
func runDemoInProcess(t *testing.T, store shop.Store) *demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := startDemo(ctx, demoFlags{addr: "127.0.0.1:0", emulatorAddr: "127.0.0.1:0", dir: t.TempDir(), currency: "USD",
		intent: "Authorize", store: store, passwordCost: 4}, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	})
	return d
}

// buyer drives one tab.
type buyer struct {
	t   *testing.T
	ctx context.Context
}

func newBuyer(t *testing.T, browser context.Context) *buyer {
	ctx, cancel := chromedp.NewContext(browser) // a new tab
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	return &buyer{t: t, ctx: ctx}
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// do runs actions; on failure it reports where the browser was and what it
// showed.
func (b *buyer) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		where, _ := chromedp.Run(context.WithoutCancel(b.ctx), chromedp.Location())
		text, _ := chromedp.Run(context.WithoutCancel(b.ctx), chromedp.Text(css("body")))
		b.t.Fatalf("browser at %s: %v\npage text:\n%s", where, err, text)
	}
}

func (b *buyer) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(css(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// toReview adds coffee to the cart, clicks the Amazon Pay button, signs in on
// the emulator's page and chooses the card; it ends on the review page.
func (b *buyer) toReview(d *demo, card string) {
	b.t.Helper()
	b.do(chromedp.Navigate(d.StorefrontURL+"/"), chromedp.WaitVisible(css("#add-coffee-250g")),
		chromedp.Click(css("#add-coffee-250g")), chromedp.WaitVisible(css("#AmazonPayButton button.amazonpay-button")))
	if got := b.text("#cart-total"); got != "$14.00" {
		b.t.Fatalf("cart total %q", got)
	}
	b.do(chromedp.Click(css("#AmazonPayButton button.amazonpay-button")), chromedp.WaitVisible(css("#signin-continue")),
		chromedp.Click(css("#signin-continue")), chromedp.WaitVisible(css("#select-continue")),
		chromedp.Click(css("#card-"+card)), chromedp.Click(css("#select-continue")), chromedp.WaitVisible(css("#placeOrder")))
	if b.text("#buyer-name") == "" || b.text("#payment-descriptor") == "" || b.text("#order-total") != "$14.00" {
		b.t.Fatal("the review page lacks the buyer, the payment method or the total")
	}
}

// changeAddress uses the review page's "change address" (bindChangeAction)
// to pick the address book's Jane Doe.
func (b *buyer) changeAddress() {
	b.t.Helper()
	before := b.text("#shipping-address")
	b.do(chromedp.Click(css("#changeAddress")), chromedp.WaitVisible(css("#change-continue")))
	picked, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => {
		for (const l of document.querySelectorAll('#addresses label')) {
			if (l.textContent.includes('Jane Doe')) { document.getElementById(l.htmlFor).click(); return true; }
		}
		return false;
	})()`))
	if err != nil || !picked {
		b.t.Fatalf("no other address to pick: %v", err)
	}
	b.do(chromedp.Click(css("#change-continue")), chromedp.WaitVisible(css("#placeOrder")))
	after := b.text("#shipping-address")
	if after == before || !strings.Contains(after, "Jane Doe") {
		b.t.Fatalf("address after the change: %q (before %q)", after, before)
	}
}

// TestDemoBrowser_Journey: the full buyer journey with a succeeding card
// and one address change, ending on the confirmation page, then the order
// row in the database — on SQLite and on PostgreSQL.
func TestDemoBrowser_Journey(t *testing.T) {
	browser := newChromium(t)
	for _, dbName := range []string{"sqlite", "postgres"} {
		t.Run(dbName, func(t *testing.T) {
			var store shop.Store
			if dbName == "postgres" {
				dsn := os.Getenv(sqlstoretest.EnvPostgres)
				if dsn == "" {
					t.Skip(sqlstoretest.EnvPostgres + " not set")
				}
				store = sqlstoretest.Postgres(t, dsn)
			}
			d := runDemoInProcess(t, store)
			b := newBuyer(t, browser)
			b.toReview(d, "1111")
			b.changeAddress()
			b.do(chromedp.Click(css("#placeOrder")), chromedp.WaitVisible(css("#order-number")))
			number, chargeID := b.text("#order-number"), b.text("#charge-id")
			if chargeID == "" || b.text("#order-status") != string(shop.StatusAuthorized) {
				t.Fatalf("confirmation page: order %s charge %q status %q", number, chargeID, b.text("#order-status"))
			}
			ctx := context.Background()
			o, err := d.App.Store.OrderByNumber(ctx, number)
			if err != nil {
				t.Fatal(err)
			}
			p, err := d.App.Store.Payment(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if o.Status != shop.StatusAuthorized || o.Total != 1400 || o.Authorized != 1400 || o.Currency != "USD" ||
				o.Shipping == nil || o.Shipping.Name != "Jane Doe" {
				t.Fatalf("order row = %+v shipping %+v", o, o.Shipping)
			}
			if p.CheckoutSessionID == "" || p.ChargePermissionID == "" || len(p.Charges) != 1 || p.Charges[0].ID != chargeID ||
				p.Charges[0].State != shop.ChargeAuthorized {
				t.Fatalf("payment row = %+v", p)
			}
			// Reloading the result page shows the same order; Complete ran once.
			b.do(chromedp.Reload(), chromedp.WaitVisible(css("#order-number")))
			if b.text("#order-number") != number {
				t.Fatal("reload showed another order")
			}
			calls, _ := d.App.Store.AmazonCalls(ctx, shop.AmazonCallFilter{OrderID: o.ID})
			n := 0
			for _, c := range calls {
				if c.Operation == "CompleteCheckoutSession" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("Complete Checkout Session called %d times", n)
			}
		})
	}
}

// TestDemoBrowser_Failures: a declined card (…3434) and a buyer cancel
// (…3064) end on the error page with no paid order.
func TestDemoBrowser_Failures(t *testing.T) {
	browser := newChromium(t)
	for _, tc := range []struct {
		card, want string
		status     shop.OrderStatus
	}{
		{"3434", "declined", shop.StatusDeclined},
		{"3064", "canceled", shop.StatusCanceled},
	} {
		t.Run(tc.card, func(t *testing.T) {
			d := runDemoInProcess(t, nil)
			b := newBuyer(t, browser)
			b.toReview(d, tc.card)
			b.do(chromedp.Click(css("#placeOrder")), chromedp.WaitVisible(css("#error-message")))
			if msg := b.text("#error-message"); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "Nothing was charged") {
				t.Fatalf("error page says %q", msg)
			}
			os, err := d.App.Store.Orders(context.Background(), shop.OrderFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range os {
				if o.Authorized != 0 || o.Captured != 0 || o.Status == shop.StatusAuthorized {
					t.Fatalf("a paid order exists: %+v", o)
				}
			}
			if len(os) != 1 || os[0].Status != tc.status {
				t.Fatalf("orders = %s", describe(os))
			}
			// The cart is still there for another try.
			b.do(chromedp.Click(css("#error-link")), chromedp.WaitVisible(css("#AmazonPayButton button.amazonpay-button")))
		})
	}
}

func describe(os []*shop.Order) string {
	var b strings.Builder
	for _, o := range os {
		fmt.Fprintf(&b, "%s %s; ", o.Number, o.Status)
	}
	return b.String()
}
