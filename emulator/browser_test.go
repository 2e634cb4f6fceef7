package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Browser tests: Debian's chromium, headless, clicks through checkout as a
// buyer would, with a merchant's pages served by a small httptest server
// that talks to the emulator only from its backend (signed API calls).
// Without chromium they skip, unless APAY_REQUIRE_BROWSER=1 (CI), which
// makes a missing browser a failure. Screenshots of every hosted page are
// written to the test's artifact directory (go test -artifacts) on failure.

const chromiumPath = "/usr/bin/chromium"

// needBrowser returns chromium's path or skips (fails under
// APAY_REQUIRE_BROWSER=1).
func needBrowser(tb testing.TB) string {
	tb.Helper()
	p := chromiumPath
	if _, err := os.Stat(p); err != nil {
		if lp, err := exec.LookPath("chromium"); err == nil {
			p = lp
		} else {
			msg := "chromium not found at " + chromiumPath + " (Debian: apt-get install -y chromium)"
			if os.Getenv("APAY_REQUIRE_BROWSER") == "1" {
				tb.Fatal(msg + "; APAY_REQUIRE_BROWSER=1 requires the browser tests to run")
			}
			tb.Skip(msg + "; set APAY_REQUIRE_BROWSER=1 to make this a failure")
		}
	}
	return p
}

// newBrowser starts headless chromium with a throwaway profile.
func newBrowser(tb testing.TB) context.Context {
	tb.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(needBrowser(tb)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // start the browser without a deadline
		tb.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// rig is an emulator, a merchant site and a browser.
type rig struct {
	tb       testing.TB
	emu      *Server
	emuURL   string
	shop     *httptest.Server
	api      *merchantAPI
	browser  context.Context
	merchant string // merchantId
	signer   *signing.Signer
}

func newRig(tb testing.TB) *rig {
	tb.Helper()
	browser := newBrowser(tb)
	k, _ := keys(tb)
	emu, err := New(Options{TickInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	es := httptest.NewServer(emu.Handler())
	tb.Cleanup(func() {
		es.Close()
		_ = emu.Close()
	})
	if err := emu.RegisterPublicKey(sandboxKeyID, &k.PublicKey, ""); err != nil {
		tb.Fatal(err)
	}
	signer, err := signing.NewSigner(sandboxKeyID, k, signing.AlgorithmV2)
	if err != nil {
		tb.Fatal(err)
	}
	u, _ := url.Parse(es.URL)
	r := &rig{tb: tb, emu: emu, emuURL: es.URL, browser: browser, merchant: emu.MerchantID(sandboxKeyID), signer: signer,
		api: &merchantAPI{base: es.URL, host: u.Host, signer: signer, hc: es.Client()}}
	r.shop = httptest.NewServer(r.shopHandler())
	tb.Cleanup(r.shop.Close)
	return r
}

// merchantAPI is the merchant's backend calling the emulator, signed.
type merchantAPI struct {
	base, host string
	signer     *signing.Signer
	hc         *http.Client
}

func (m *merchantAPI) call(method, path, body string) (int, map[string]any, error) {
	req, err := http.NewRequest(method, m.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	h := http.Header{}
	h.Set("accept", "application/json")
	h.Set("content-type", "application/json")
	h.Set("x-amz-pay-date", signing.FormatDate(time.Now()))
	h.Set("x-amz-pay-host", m.host)
	h.Set("x-amz-pay-region", "na")
	if method == http.MethodPost {
		h.Set("x-amz-pay-idempotency-key", strings.ReplaceAll(newUUID(), "-", ""))
	}
	auth, err := m.signer.Authorization(method, req.URL.EscapedPath(), signing.CanonicalQuery(req.URL.Query()), h, []byte(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = h
	req.Header.Set("Authorization", auth)
	res, err := m.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return res.StatusCode, nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return res.StatusCode, out, nil
}

// flows are the merchant's checkout cases: the card the buyer switches to
// on the change-payment round trip, and the payment details.
var flows = map[string]struct {
	card, details string
}{
	"success": {"4444", `"paymentIntent":"Authorize"`},
	"decline": {"3434", `"paymentIntent":"Authorize"`},
	"cancel":  {"3064", `"paymentIntent":"Authorize"`},
	"pending": {"0701", `"paymentIntent":"Authorize","canHandlePendingAuthorization":true`},
}

func (r *rig) payload(flow string) string {
	return `{"webCheckoutDetails":{"checkoutReviewReturnUrl":"` + r.shop.URL + `/review?flow=` + flow + `","checkoutCancelUrl":"` + r.shop.URL + `/cancel"},` +
		`"storeId":"amzn1.application-oa2-client.browsertest","merchantMetadata":{"merchantStoreName":"Browser Test Shop"}}`
}

// buttonConfig is the config a merchant passes to renderButton.
func (r *rig) buttonConfig(payload, signature string) map[string]any {
	return map[string]any{
		"merchantId": r.merchant, "publicKeyId": sandboxKeyID, "ledgerCurrency": "USD", "checkoutLanguage": "en_US",
		"productType": "PayAndShip", "placement": "Cart", "buttonColor": "Gold",
		"estimatedOrderAmount":        map[string]string{"amount": "14.00", "currencyCode": "USD"},
		"createCheckoutSessionConfig": map[string]string{"payloadJSON": payload, "signature": signature, "algorithm": string(signing.AlgorithmV2)},
	}
}

func jsValue(v any) string {
	b, _ := json.Marshal(v) // escapes <, > and &: safe inside <script>
	return string(b)
}

func (r *rig) htmlPage(w http.ResponseWriter, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title><script src="%s/checkout.js"></script></head><body><h1>%s</h1>%s</body></html>`,
		html.EscapeString(title), r.emuURL, html.EscapeString(title), body)
}

// shopHandler is the merchant's site.
func (r *rig) shopHandler() http.Handler {
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter, err error) { http.Error(w, err.Error(), http.StatusBadGateway) }
	// The cart page with a signed button (?tamper=1 alters the payload after
	// signing, ?wrongkey=1 signs with another merchant's key).
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, q *http.Request) {
		flow := q.URL.Query().Get("flow")
		payload := r.payload(flow)
		signer := r.signer
		if q.URL.Query().Get("wrongkey") == "1" {
			_, other := keys(r.tb)
			signer, _ = signing.NewSigner(sandboxKeyID, other, signing.AlgorithmV2)
		}
		sig, err := signer.SignButtonPayload([]byte(payload))
		if err != nil {
			fail(w, err)
			return
		}
		if q.URL.Query().Get("tamper") == "1" {
			payload = strings.Replace(payload, "Browser Test Shop", "Tampered Shop", 1)
		}
		r.htmlPage(w, "Cart", `<div id="AmazonPayButton"></div><script>var button = amazon.Pay.renderButton('#AmazonPayButton', `+jsValue(r.buttonConfig(payload, sig))+`);</script>`)
	})
	// The older pilot button: a session the backend created, given as an
	// id from a function, or fetched from a URL.
	mux.HandleFunc("GET /pilot", func(w http.ResponseWriter, q *http.Request) {
		cfg := `{merchantId: ` + jsValue(r.merchant) + `, ledgerCurrency: 'USD', placement: 'Cart', createCheckoutSession: {url: '/create'}}`
		if q.URL.Query().Get("form") == "function" {
			status, cs, err := r.api.call("POST", "/v2/checkoutSessions", r.payload("success"))
			if err != nil || status != 201 {
				fail(w, fmt.Errorf("create: %d %v", status, err))
				return
			}
			cfg = `{merchantId: ` + jsValue(r.merchant) + `, createCheckoutSession: function () { return ` + jsValue(cs["checkoutSessionId"]) + `; }}`
		}
		r.htmlPage(w, "Cart", `<div id="AmazonPayButton"></div><script>amazon.Pay.renderButton('#AmazonPayButton', `+cfg+`);</script>`)
	})
	mux.HandleFunc("POST /create", func(w http.ResponseWriter, _ *http.Request) {
		status, cs, err := r.api.call("POST", "/v2/checkoutSessions", r.payload("success"))
		if err != nil || status != 201 {
			fail(w, fmt.Errorf("create: %d %v", status, err))
			return
		}
		// The seed's createCheckoutSession.php answers {"status":…, "response":{…}}.
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "response": cs})
	})
	// A decoupled button: rendered without a payload, onClick signs one and
	// calls initCheckout; updateButtonInfo changes the amount.
	mux.HandleFunc("GET /decoupled", func(w http.ResponseWriter, _ *http.Request) {
		cfg := r.buttonConfig("", "")
		delete(cfg, "createCheckoutSessionConfig")
		r.htmlPage(w, "Product", `<div id="AmazonPayButton"></div><button id="signout" type="button">Sign out</button><p id="signed-out"></p>
<script>
var button = amazon.Pay.renderButton('#AmazonPayButton', `+jsValue(cfg)+`);
button.updateButtonInfo({amount: '28.00', currencyCode: 'USD'});
button.onClick(function () {
  fetch('/sign', {method: 'POST'}).then(function (r) { return r.json(); }).then(function (c) {
    button.initCheckout({createCheckoutSessionConfig: c});
  });
});
document.getElementById('signout').addEventListener('click', function () {
  amazon.Pay.signout().then(function () { document.getElementById('signed-out').textContent = 'signed out'; });
});
</script>`)
	})
	mux.HandleFunc("POST /sign", func(w http.ResponseWriter, _ *http.Request) {
		payload := r.payload("success")
		sig, err := r.signer.SignButtonPayload([]byte(payload))
		if err != nil {
			fail(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"payloadJSON": payload, "signature": sig, "algorithm": string(signing.AlgorithmV2)})
	})
	// The review page: Get Checkout Session, change links, place order.
	mux.HandleFunc("GET /review", func(w http.ResponseWriter, q *http.Request) {
		id := q.URL.Query().Get("amazonCheckoutSessionId")
		status, cs, err := r.api.call("GET", "/v2/checkoutSessions/"+url.PathEscape(id), "")
		if err != nil || status != 200 {
			fail(w, fmt.Errorf("get: %d %v", status, err))
			return
		}
		pref := ""
		if p, _ := cs["paymentPreferences"].([]any); len(p) > 0 {
			pref, _ = p[0].(map[string]any)["paymentDescriptor"].(string)
		}
		r.htmlPage(w, "Review your order", `<p id="buyer-name">`+html.EscapeString(str(cs, "buyer.name"))+`</p>
<p id="address">`+html.EscapeString(str(cs, "shippingAddress.addressLine1")+", "+str(cs, "shippingAddress.city"))+`</p>
<p id="payment">`+html.EscapeString(pref)+`</p>
<button type="button" id="change-payment">Change payment</button> <button type="button" id="change-address">Change address</button>
<form method="post" action="/place"><input type="hidden" name="id" value="`+html.EscapeString(id)+`"><input type="hidden" name="flow" value="`+html.EscapeString(q.URL.Query().Get("flow"))+`">
<button type="submit" id="place-order">Place order</button></form>
<script>
amazon.Pay.bindChangeAction('#change-payment', {amazonCheckoutSessionId: `+jsValue(id)+`, changeAction: 'changePayment'});
amazon.Pay.bindChangeAction('#change-address', {amazonCheckoutSessionId: `+jsValue(id)+`, changeAction: 'changeAddress'});
</script>`)
	})
	// Place order: Update Checkout Session, then amazonPayRedirectUrl.
	mux.HandleFunc("POST /place", func(w http.ResponseWriter, q *http.Request) {
		id, flow := q.FormValue("id"), q.FormValue("flow")
		body := `{"webCheckoutDetails":{"checkoutResultReturnUrl":"` + r.shop.URL + `/result"},"paymentDetails":{` + flows[flow].details + `,"chargeAmount":{"amount":"14.00","currencyCode":"USD"}}}`
		status, cs, err := r.api.call("PATCH", "/v2/checkoutSessions/"+url.PathEscape(id), body)
		if err != nil || status != 200 {
			fail(w, fmt.Errorf("update: %d %v", status, err))
			return
		}
		http.Redirect(w, q, str(cs, "webCheckoutDetails.amazonPayRedirectUrl"), http.StatusSeeOther)
	})
	// The result page: Complete Checkout Session, show the outcome.
	mux.HandleFunc("GET /result", func(w http.ResponseWriter, q *http.Request) {
		id := q.URL.Query().Get("amazonCheckoutSessionId")
		status, done, err := r.api.call("POST", "/v2/checkoutSessions/"+url.PathEscape(id)+"/complete", `{"chargeAmount":{"amount":"14.00","currencyCode":"USD"}}`)
		if err != nil {
			fail(w, err)
			return
		}
		_, cs, err := r.api.call("GET", "/v2/checkoutSessions/"+url.PathEscape(id), "")
		if err != nil {
			fail(w, err)
			return
		}
		r.htmlPage(w, "Thank you", fmt.Sprintf(`<p id="complete-status">%d</p><p id="reason-code">%s</p><p id="state">%s</p><p id="reason">%s</p><p id="charge-id">%s</p>`,
			status, html.EscapeString(str(done, "reasonCode")), html.EscapeString(str(cs, "statusDetails.state")), html.EscapeString(str(cs, "statusDetails.reasonCode")), html.EscapeString(str(cs, "chargeId"))))
	})
	mux.HandleFunc("GET /cancel", func(w http.ResponseWriter, q *http.Request) {
		id := q.URL.Query().Get("amazonCheckoutSessionId")
		_, cs, err := r.api.call("GET", "/v2/checkoutSessions/"+url.PathEscape(id), "")
		if err != nil {
			fail(w, err)
			return
		}
		r.htmlPage(w, "Checkout canceled", fmt.Sprintf(`<p id="state">%s</p><p id="reason">%s</p>`,
			html.EscapeString(str(cs, "statusDetails.state")), html.EscapeString(str(cs, "statusDetails.reasonCode"))))
	})
	return mux
}

// tab is one browser tab for one flow, keeping a screenshot of every page
// it saw; they are written out if the test fails.
type tab struct {
	t     *testing.T
	ctx   context.Context
	mu    sync.Mutex
	shots []shot
}

type shot struct {
	name string
	png  []byte
}

func (r *rig) newTab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(r.browser)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	tb := &tab{t: t, ctx: ctx}
	t.Cleanup(func() {
		defer cancel()
		defer cancelTimeout()
		if !t.Failed() {
			return
		}
		tb.snap("at-failure")
		dir := t.ArtifactDir()
		for i, s := range tb.shots {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.png", i, s.name)), s.png, 0o644); err != nil {
				t.Logf("screenshot: %v", err)
			}
		}
		t.Logf("%d screenshots in %s (keep them with go test -artifacts)", len(tb.shots), dir)
	})
	return tb
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		loc, _ := chromedp.Run(tb.ctx, chromedp.Location())
		tb.t.Fatalf("at %s: %v", loc, err)
	}
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("text %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (tb *tab) location() *url.URL {
	tb.t.Helper()
	loc, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		tb.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		tb.t.Fatal(err)
	}
	return u
}

// snap keeps a screenshot of the current page.
func (tb *tab) snap(name string) {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return
	}
	tb.mu.Lock()
	tb.shots = append(tb.shots, shot{name, png})
	tb.mu.Unlock()
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// TestBrowser_Checkout: button → sign-in → address and card → review →
// change-payment round trip → processing → result, for a success, a
// decline (…3434), a buyer cancel (…3064) and a pending authorization
// (…0701) that the clock resolves.
func TestBrowser_Checkout(t *testing.T) {
	r := newRig(t)
	for _, name := range []string{"success", "decline", "cancel", "pending"} {
		t.Run(name, func(t *testing.T) {
			f := flows[name]
			tb := r.newTab(t)
			tb.do(chromedp.Navigate(r.shop.URL+"/cart?flow="+name), chromedp.WaitVisible(css("button.amazonpay-button")))
			tb.snap("cart")
			tb.do(chromedp.Click(css("button.amazonpay-button")), chromedp.WaitVisible(css("#signin-continue")))
			tb.snap("signin")
			if loc := tb.location(); loc.Path != "/checkout/signin" || loc.Query().Get("amazonCheckoutSessionId") == "" {
				t.Fatalf("button went to %s", loc)
			}
			tb.do(chromedp.Click(css("#buyer-b")), chromedp.Click(css("#signin-continue")), chromedp.WaitVisible(css("#select-continue")))
			tb.snap("select")
			tb.do(chromedp.Click(css("#address-a2")), chromedp.Click(css("#card-1111")), chromedp.Click(css("#select-continue")), chromedp.WaitVisible(css("#place-order")))
			tb.snap("review")
			review := tb.location()
			id := review.Query().Get("amazonCheckoutSessionId")
			if review.Host != strings.TrimPrefix(r.shop.URL, "http://") || review.Path != "/review" || id == "" {
				t.Fatalf("back on %s", review)
			}
			if got := tb.text("#payment"); !strings.Contains(got, "1111") {
				t.Errorf("review shows payment %q", got)
			}
			if got := tb.text("#buyer-name"); got != "Sandbox Guillot" {
				t.Errorf("review shows buyer %q", got)
			}
			if got := tb.text("#address"); !strings.Contains(got, "Seattle") {
				t.Errorf("review shows address %q", got)
			}

			// The "change payment" round trip.
			tb.do(chromedp.Click(css("#change-payment")), chromedp.WaitVisible(css("#change-payment-form")))
			tb.snap("change-payment")
			if loc := tb.location(); loc.Path != "/checkout/change-payment" || loc.Query().Get("amazonCheckoutSessionId") != id {
				t.Fatalf("change payment at %s", loc)
			}
			tb.do(chromedp.Click(css("#card-"+f.card)), chromedp.Click(css("#change-continue")), chromedp.WaitVisible(css("#place-order")))
			if got := tb.text("#payment"); !strings.Contains(got, f.card) {
				t.Fatalf("after changing payment the review shows %q", got)
			}
			if loc := tb.location(); loc.Query().Get("amazonCheckoutSessionId") != id {
				t.Fatalf("back on %s", loc)
			}

			tb.do(chromedp.Click(css("#place-order")), chromedp.WaitVisible(css("#state")))
			tb.snap("outcome")
			loc := tb.location()
			if loc.Query().Get("amazonCheckoutSessionId") != id {
				t.Errorf("outcome page %s lacks the session id", loc)
			}
			state, reason := tb.text("#state"), tb.text("#reason")
			switch name {
			case "success":
				if loc.Path != "/result" || tb.text("#complete-status") != "200" || state != "Completed" {
					t.Errorf("success: %s %s %s", loc.Path, tb.text("#complete-status"), state)
				}
				r.wantCharge(t, tb.text("#charge-id"), "Authorized")
			case "decline":
				if loc.Path != "/result" || tb.text("#complete-status") != "422" || tb.text("#reason-code") != "CheckoutSessionCanceled" || state != "Canceled" || reason != "Declined" {
					t.Errorf("decline: %s %s %s %s", loc.Path, tb.text("#complete-status"), state, reason)
				}
			case "cancel":
				if loc.Path != "/cancel" || state != "Canceled" || reason != "BuyerCanceled" {
					t.Errorf("cancel: %s %s %s", loc.Path, state, reason)
				}
			case "pending":
				if loc.Path != "/result" || tb.text("#complete-status") != "202" || state != "Completed" {
					t.Errorf("pending: %s %s %s", loc.Path, tb.text("#complete-status"), state)
				}
				chargeID := tb.text("#charge-id")
				r.wantCharge(t, chargeID, "AuthorizationInitiated")
				res, err := http.Post(r.emuURL+"/_emulator/clock", "application/json", strings.NewReader(`{"advance":"31s"}`))
				if err != nil || res.StatusCode != 200 {
					t.Fatalf("clock: %v %v", res, err)
				}
				_ = res.Body.Close()
				r.wantCharge(t, chargeID, "Authorized")
			}

			// The browser's back button to amazonPayRedirectUrl: an error
			// page, and nothing changes.
			tb.do(chromedp.Navigate(r.emuURL+"/checkout/processing?amazonCheckoutSessionId="+url.QueryEscape(id)), chromedp.WaitVisible(css("#error-code")))
			tb.snap("replayed-processing")
			if got := tb.text("#error-code"); got != "CheckoutAlreadyProcessed" && got != "InvalidCheckoutSessionStatus" && got != "CheckoutSessionCanceled" {
				t.Errorf("replayed redirect: %q", got)
			}
		})
	}
}

func (r *rig) wantCharge(t *testing.T, id, state string) {
	t.Helper()
	status, ch, err := r.api.call("GET", "/v2/charges/"+url.PathEscape(id), "")
	if err != nil || status != 200 || str(ch, "statusDetails.state") != state {
		t.Errorf("charge %s: %d %v %v, want %s", id, status, str(ch, "statusDetails.state"), err, state)
	}
}

// TestBrowser_RefusedButtons: a tampered payload or a key that did not sign
// it shows Amazon's error page, never a session.
func TestBrowser_RefusedButtons(t *testing.T) {
	r := newRig(t)
	for _, q := range []string{"tamper=1", "wrongkey=1"} {
		t.Run(q, func(t *testing.T) {
			tb := r.newTab(t)
			tb.do(chromedp.Navigate(r.shop.URL+"/cart?flow=success&"+q), chromedp.WaitVisible(css("button.amazonpay-button")))
			before := r.sessions()
			resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(css("button.amazonpay-button")))
			if err != nil {
				t.Fatal(err)
			}
			tb.do(chromedp.WaitVisible(css("#error-code")))
			tb.snap("refused")
			if resp.Status != http.StatusForbidden || tb.text("#error-code") != "InvalidSignatureError" {
				t.Errorf("status %d, code %q", resp.Status, tb.text("#error-code"))
			}
			if !strings.Contains(tb.text("#error-message"), "does not match signedString") {
				t.Errorf("message %q", tb.text("#error-message"))
			}
			if r.sessions() != before {
				t.Error("a refused button made a checkout session")
			}
		})
	}
}

func (r *rig) sessions() int {
	r.emu.mu.Lock()
	defer r.emu.mu.Unlock()
	return len(r.emu.st.CheckoutSessions)
}

// TestBrowser_ButtonForms: the pilot forms (a function returning a session
// id, {url} answered by AJAX), the decoupled button (onClick +
// initCheckout, updateButtonInfo), signout, the keyboard, and a phone-sized
// screen.
func TestBrowser_ButtonForms(t *testing.T) {
	r := newRig(t)
	for _, form := range []string{"function", "url"} {
		t.Run("pilot "+form, func(t *testing.T) {
			tb := r.newTab(t)
			tb.do(chromedp.Navigate(r.shop.URL+"/pilot?form="+form), chromedp.WaitVisible(css("button.amazonpay-button")),
				chromedp.Click(css("button.amazonpay-button")), chromedp.WaitVisible(css("#signin-continue")))
			tb.snap("signin")
			if loc := tb.location(); loc.Path != "/checkout/signin" || loc.Query().Get("amazonCheckoutSessionId") == "" {
				t.Fatalf("pilot button went to %s", loc)
			}
		})
	}
	t.Run("decoupled, keyboard, signout, phone", func(t *testing.T) {
		tb := r.newTab(t)
		tb.do(chromedp.Navigate(r.shop.URL+"/decoupled"), chromedp.WaitVisible(css("button.amazonpay-button")))
		amount, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector('button.amazonpay-button').getAttribute('data-estimated-order-amount')`))
		if err != nil || amount != "28.00 USD" {
			t.Errorf("updateButtonInfo: %q %v", amount, err)
		}
		// Keyboard only: focus the button, Enter; type an email, Enter.
		tb.do(chromedp.Focus(css("button.amazonpay-button")), chromedp.KeyEvent("\r"), chromedp.WaitVisible(css("#signin-continue")))
		tb.do(chromedp.Focus(css("#email")), chromedp.KeyEvent("keys@example.com\r"), chromedp.WaitVisible(css("#select-continue")))
		tb.snap("select")
		if got := tb.text("#buyer-name"); got != "Test Buyer SBX" {
			t.Errorf("signed in as %q", got)
		}
		// A phone: nothing wider than the screen.
		tb.do(chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(css("#select-continue")))
		tb.snap("select-phone")
		fits, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		if err != nil || !fits {
			t.Errorf("the selection page is wider than a phone: %v", err)
		}
		tb.do(chromedp.EmulateReset())
		// Arrow keys move within the card group; Enter on Continue submits.
		tb.do(chromedp.Focus(css("#card-1111")), chromedp.KeyEvent(kb.ArrowDown), chromedp.Focus(css("#select-continue")), chromedp.KeyEvent("\r"), chromedp.WaitVisible(css("#place-order")))
		if got := tb.text("#payment"); !strings.Contains(got, "0005") {
			t.Errorf("the arrow key chose %q, want the card after 1111", got)
		}
		// signout forgets the remembered buyer.
		tb.do(chromedp.Navigate(r.shop.URL+"/decoupled"), chromedp.WaitVisible(css("#signout")), chromedp.Click(css("#signout")))
		if _, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](`document.getElementById('signed-out').textContent === 'signed out'`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("signout: %v", err)
		}
		tb.do(chromedp.Click(css("button.amazonpay-button")), chromedp.WaitVisible(css("#signin-continue")))
		if v, _ := chromedp.Run(tb.ctx, chromedp.Value(css("#email"))); v != "" {
			t.Errorf("after signout the sign-in page still remembers %q", v)
		}
	})
}

// BenchmarkHeadlessCheckout times a checkout click-through from the button
// click to the merchant's result page: sign-in, selection, review (Update
// Checkout Session), processing, result (Complete Checkout Session).
// Compare with BenchmarkHeadlessCheckoutStatic, the same clicks through
// static pages.
func BenchmarkHeadlessCheckout(b *testing.B) {
	r := newRig(b)
	ctx, cancel := chromedp.NewContext(r.browser)
	defer cancel()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := chromedp.Do(ctx, chromedp.Navigate(r.shop.URL+"/cart?flow=success"), chromedp.WaitVisible(css("button.amazonpay-button"))); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := chromedp.Do(ctx,
			chromedp.Click(css("button.amazonpay-button")), chromedp.WaitVisible(css("#signin-continue")),
			chromedp.Click(css("#signin-continue")), chromedp.WaitVisible(css("#select-continue")),
			chromedp.Click(css("#select-continue")), chromedp.WaitVisible(css("#place-order")),
			chromedp.Click(css("#place-order")), chromedp.WaitVisible(css("#state")),
		); err != nil {
			b.Fatal(err)
		}
	}
}

// staticSite has the same pages and navigations as a checkout, as static
// files: the reference for BenchmarkHeadlessCheckout.
var staticSite = fstest.MapFS{
	"cart.html":       {Data: []byte(`<!doctype html><html><body><button id="pay" type="button" onclick="location.href='/signin.html'">pay</button></body></html>`)},
	"signin.html":     {Data: []byte(`<!doctype html><html><body><form action="/select.html"><input type="radio" name="b" checked><button id="signin-continue">Continue</button></form></body></html>`)},
	"select.html":     {Data: []byte(`<!doctype html><html><body><form action="/review.html"><input type="radio" name="c" checked><button id="select-continue">Continue</button></form></body></html>`)},
	"review.html":     {Data: []byte(`<!doctype html><html><body><form action="/processing.html"><button id="place-order">Place order</button></form></body></html>`)},
	"processing.html": {Data: []byte(`<!doctype html><html><body><form id="f" action="/result.html"></form><script>document.getElementById("f").submit();</script></body></html>`)},
	"result.html":     {Data: []byte(`<!doctype html><html><body><p id="state">Completed</p></body></html>`)},
}

// BenchmarkHeadlessCheckoutStatic is the reference: the same click-through
// against static pages.
func BenchmarkHeadlessCheckoutStatic(b *testing.B) {
	browser := newBrowser(b)
	site := httptest.NewServer(http.FileServerFS(fs.FS(staticSite)))
	defer site.Close()
	ctx, cancel := chromedp.NewContext(browser)
	defer cancel()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := chromedp.Do(ctx, chromedp.Navigate(site.URL+"/cart.html"), chromedp.WaitVisible(css("#pay"))); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := chromedp.Do(ctx,
			chromedp.Click(css("#pay")), chromedp.WaitVisible(css("#signin-continue")),
			chromedp.Click(css("#signin-continue")), chromedp.WaitVisible(css("#select-continue")),
			chromedp.Click(css("#select-continue")), chromedp.WaitVisible(css("#place-order")),
			chromedp.Click(css("#place-order")), chromedp.WaitVisible(css("#state")),
		); err != nil {
			b.Fatal(err)
		}
	}
}
