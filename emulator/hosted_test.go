package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// page sends an unsigned browser request (a form post when form is set).
func (e *testEnv) page(method, target string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "http://"+e.host+target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, r)
	return rec
}

// wantPage checks a page's status and that it is HTML; it returns the body.
func wantPage(t testing.TB, rec *httptest.ResponseRecorder, status int) string {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
	return rec.Body.String()
}

// wantRedirect checks a 303 and returns its Location.
func wantRedirect(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303: %s", rec.Code, rec.Body)
	}
	return rec.Header().Get("Location")
}

// errorCode reads the Error Code of an error page.
func errorCode(body string) string {
	m := regexp.MustCompile(`id="error-code">([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// snapshot is the emulator's objects as JSON, to prove that a refused
// request changed nothing.
func (e *testEnv) snapshot() string {
	e.t.Helper()
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	b, err := json.Marshal([]any{e.srv.st.CheckoutSessions, e.srv.st.ChargePermissions, e.srv.st.Charges, e.srv.st.BuyerTokens, e.srv.st.Notifications})
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *testEnv) sessionCount() int {
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	return len(e.srv.st.CheckoutSessions)
}

// button is what checkout.js posts for a signed button.
func (e *testEnv) button(payload string, mutate func(url.Values)) url.Values {
	e.t.Helper()
	sig, err := e.signer[sandboxKeyID].SignButtonPayload([]byte(payload))
	if err != nil {
		e.t.Fatal(err)
	}
	f := url.Values{
		"merchantId": {e.srv.MerchantID(sandboxKeyID)}, "publicKeyId": {sandboxKeyID}, "algorithm": {string(signing.AlgorithmV2)},
		"payloadJSON": {payload}, "signature": {sig}, "productType": {"PayAndShip"}, "ledgerCurrency": {"USD"}, "placement": {"Cart"},
	}
	if mutate != nil {
		mutate(f)
	}
	return f
}

const buttonPayload = `{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://shop.example/review","checkoutCancelUrl":"https://shop.example/cancel"},"storeId":"amzn1.application-oa2-client.test","merchantMetadata":{"merchantStoreName":"Example Store"}}`

// startButton clicks a valid button and returns the new session id.
func (e *testEnv) startButton(payload string) string {
	e.t.Helper()
	loc := wantRedirect(e.t, e.page("POST", "/checkout/start", e.button(payload, nil)))
	u, err := url.Parse(loc)
	if err != nil || u.Path != "/checkout/signin" {
		e.t.Fatalf("button went to %q", loc)
	}
	return u.Query().Get("amazonCheckoutSessionId")
}

// update sets the result URL and payment details, as the review page does.
func (e *testEnv) update(id, intent, extra string) {
	e.t.Helper()
	upd := `{"webCheckoutDetails":{"checkoutResultReturnUrl":"https://shop.example/result"},"paymentDetails":{"paymentIntent":"` + intent + `","chargeAmount":{"amount":"14.00","currencyCode":"USD"}` + extra + `}}`
	wantStatus(e.t, e.do(req{method: "PATCH", path: "/v2/checkoutSessions/" + id, body: upd}), 200)
}

func TestHosted_CheckoutJSServed(t *testing.T) {
	e := newTestEnv(t)
	rec := e.page("GET", "/checkout.js", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, api := range []string{"renderButton", "initCheckout", "updateButtonInfo", "onClick", "bindChangeAction", "signout", "createCheckoutSession"} {
		if !strings.Contains(rec.Body.String(), api) {
			t.Errorf("checkout.js lacks %s", api)
		}
	}
}

// TestHosted_FullFlow walks every page as a browser without JavaScript
// would: button, sign-in, selection, review, change payment, change
// address, processing, result; then Complete.
func TestHosted_FullFlow(t *testing.T) {
	e := newTestEnv(t)
	id := e.startButton(buttonPayload)

	body := wantPage(t, e.page("GET", "/checkout/signin?amazonCheckoutSessionId="+id, nil), 200)
	for _, want := range []string{"Sandbox", "Example Store", `name="buyer"`, `for="email"`, "sandbox.guillot@example.com"} {
		if !strings.Contains(body, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	rec := e.page("POST", "/checkout/signin", url.Values{"amazonCheckoutSessionId": {id}, "buyer": {"sandbox.guillot@example.com"}})
	loc := wantRedirect(t, rec)
	if !strings.HasPrefix(loc, "/checkout/select?") || !strings.Contains(loc, "email=sandbox.guillot%40example.com") {
		t.Fatalf("sign-in went to %q", loc)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != buyerCookie {
		t.Fatalf("cookies %v", cookies)
	}

	body = wantPage(t, e.page("GET", loc, nil), 200)
	for _, last4 := range paymentMethodOrder {
		if !strings.Contains(body, `id="card-`+last4+`"`) {
			t.Errorf("selection page lacks card %s", last4)
		}
	}
	for _, want := range []string{"Sandbox Guillot", "10 Ditka Ave", "410 Terry Ave N", `aria-label="simulated payment method"`, "Canceled (Declined)"} {
		if !strings.Contains(body, want) {
			t.Errorf("selection page lacks %q", want)
		}
	}
	rec = e.page("POST", "/checkout/select", url.Values{"amazonCheckoutSessionId": {id}, "email": {"sandbox.guillot@example.com"}, "name": {"Sandbox Guillot"},
		"address": {"a2"}, "paymentMethod": {"1111"}})
	if loc := wantRedirect(t, rec); loc != "https://shop.example/review?amazonCheckoutSessionId="+id {
		t.Fatalf("selection went to %q", loc)
	}
	cs := wantStatus(t, e.get("/v2/checkoutSessions/"+id), 200)
	if str(cs, "buyer.name") != "Sandbox Guillot" || str(cs, "shippingAddress.city") != "Seattle" || str(cs, "productType") != "PayAndShip" ||
		!strings.Contains(jsonString(cs["paymentPreferences"]), "1111") {
		t.Fatalf("after selection: %v", cs)
	}

	// bindChangeAction: change payment, then address; each returns to review.
	body = wantPage(t, e.page("GET", "/checkout/change-payment?amazonCheckoutSessionId="+id, nil), 200)
	if !regexp.MustCompile(`id="card-1111" value="1111" checked`).MatchString(body) {
		t.Errorf("change-payment page does not check the current card")
	}
	rec = e.page("POST", "/checkout/change-payment", url.Values{"amazonCheckoutSessionId": {id}, "paymentMethod": {"4444"}})
	if loc := wantRedirect(t, rec); loc != "https://shop.example/review?amazonCheckoutSessionId="+id {
		t.Fatalf("change payment went to %q", loc)
	}
	wantPage(t, e.page("GET", "/checkout/change-address?amazonCheckoutSessionId="+id, nil), 200)
	wantRedirect(t, e.page("POST", "/checkout/change-address", url.Values{"amazonCheckoutSessionId": {id}, "address": {"a0"}}))
	cs = wantStatus(t, e.get("/v2/checkoutSessions/"+id), 200)
	if !strings.Contains(jsonString(cs["paymentPreferences"]), "4444") || str(cs, "shippingAddress.city") != "Chicago" {
		t.Fatalf("after changes: %v", cs)
	}
	if str(cs, "buyer.name") != "Sandbox Guillot" {
		t.Fatalf("the change pages changed the buyer: %v", cs)
	}

	e.update(id, "Authorize", "")
	cs = wantStatus(t, e.get("/v2/checkoutSessions/"+id), 200)
	redirect := str(cs, "webCheckoutDetails.amazonPayRedirectUrl")
	if redirect != "http://emulator.test/checkout/processing?amazonCheckoutSessionId="+id {
		t.Fatalf("amazonPayRedirectUrl %q", redirect)
	}
	body = wantPage(t, e.page("GET", strings.TrimPrefix(redirect, "http://emulator.test"), nil), 200)
	if !strings.Contains(body, "4444") || !strings.Contains(body, "14.00 USD") || !strings.Contains(body, "<noscript>") {
		t.Errorf("processing page: %s", body)
	}
	rec = e.page("POST", "/checkout/processing", url.Values{"amazonCheckoutSessionId": {id}})
	if loc := wantRedirect(t, rec); loc != "https://shop.example/result?amazonCheckoutSessionId="+id {
		t.Fatalf("processing went to %q", loc)
	}

	// A replayed redirect: an error page, nothing changes.
	before := e.snapshot()
	for _, r := range []*httptest.ResponseRecorder{
		e.page("GET", "/checkout/processing?amazonCheckoutSessionId="+id, nil),
		e.page("POST", "/checkout/processing", url.Values{"amazonCheckoutSessionId": {id}}),
		e.page("POST", "/checkout/processing", url.Values{"amazonCheckoutSessionId": {id}, "cancel": {"1"}}),
	} {
		body := wantPage(t, r, http.StatusConflict)
		if errorCode(body) != "CheckoutAlreadyProcessed" || !strings.Contains(body, "https://shop.example/result?amazonCheckoutSessionId="+id) {
			t.Errorf("replay page: %s", body)
		}
	}
	if e.snapshot() != before {
		t.Fatal("a replayed redirect changed the state")
	}
	cs = wantStatus(t, e.complete(id, "14.00", "USD"), 200)
	if str(cs, "statusDetails.state") != "Completed" {
		t.Fatalf("complete: %v", cs)
	}
	wantPage(t, e.page("GET", "/checkout/signin?amazonCheckoutSessionId="+id, nil), http.StatusConflict)
}

// TestHosted_SameAsControlAPI runs the same buyer through the pages and
// through POST /_emulator/checkoutSessions/{id}/buyer and /confirm, and
// compares what the merchant then sees.
func TestHosted_SameAsControlAPI(t *testing.T) {
	for _, card := range []string{"1111", "3434", "3064", "0701"} {
		t.Run(card, func(t *testing.T) {
			e := newTestEnv(t)
			viaPages := e.startButton(buttonPayload)
			viaControl := e.startButton(buttonPayload)

			wantRedirect(t, e.page("POST", "/checkout/signin", url.Values{"amazonCheckoutSessionId": {viaPages}, "email": {"same@example.com"}, "name": {"Same Buyer"}}))
			wantRedirect(t, e.page("POST", "/checkout/select", url.Values{"amazonCheckoutSessionId": {viaPages}, "email": {"same@example.com"}, "name": {"Same Buyer"},
				"address": {"a0"}, "paymentMethod": {card}}))
			res := e.control("POST", "/_emulator/checkoutSessions/"+viaControl+"/buyer", `{"email":"same@example.com","name":"Same Buyer","paymentMethod":"`+card+`"}`)
			if res.Code != 200 {
				t.Fatalf("control buyer: %d %s", res.Code, res.Body)
			}

			for _, id := range []string{viaPages, viaControl} {
				e.update(id, "Authorize", `,"canHandlePendingAuthorization":true`)
			}
			a := wantStatus(t, e.get("/v2/checkoutSessions/"+viaPages), 200)
			b := wantStatus(t, e.get("/v2/checkoutSessions/"+viaControl), 200)
			for _, k := range []string{"buyer", "shippingAddress", "billingAddress", "paymentPreferences", "paymentDetails", "productType", "constraints"} {
				if jsonString(a[k]) != jsonString(b[k]) {
					t.Errorf("%s differs:\npages   %s\ncontrol %s", k, jsonString(a[k]), jsonString(b[k]))
				}
			}

			pageLoc := wantRedirect(t, e.page("POST", "/checkout/processing", url.Values{"amazonCheckoutSessionId": {viaPages}}))
			res = e.control("POST", "/_emulator/checkoutSessions/"+viaControl+"/confirm", `{}`)
			ctlLoc := str(obj(t, res), "redirectUrl")
			if strings.Replace(pageLoc, viaPages, "ID", 1) != strings.Replace(ctlLoc, viaControl, "ID", 1) {
				t.Errorf("redirects differ: %s vs %s", pageLoc, ctlLoc)
			}
			a = wantStatus(t, e.get("/v2/checkoutSessions/"+viaPages), 200)
			b = wantStatus(t, e.get("/v2/checkoutSessions/"+viaControl), 200)
			if jsonString(a["statusDetails"]) != jsonString(b["statusDetails"]) {
				t.Errorf("outcomes differ: %v vs %v", a["statusDetails"], b["statusDetails"])
			}
			if card == "3064" && !strings.HasPrefix(pageLoc, "https://shop.example/cancel?") {
				t.Errorf("a buyer cancel went to %q, want the cancel URL", pageLoc)
			}
		})
	}
}

// TestHosted_BadInput: a page that says what went wrong, the right status,
// and no state change.
func TestHosted_BadInput(t *testing.T) {
	e := newTestEnv(t)
	open := e.startButton(buttonPayload)
	signedIn := e.startButton(buttonPayload)
	if _, err := e.srv.SignIn(signedIn, BuyerInput{}); err != nil {
		t.Fatal(err)
	}
	expired := e.startButton(buttonPayload)
	completed := e.checkout("Authorize", "14.00", "USD", "1111", "")
	wantStatus(t, e.complete(completed, "14.00", "USD"), 200)
	e.srv.mu.Lock()
	e.srv.st.CheckoutSessions[expired].expire(e.srv.st.CheckoutSessions[expired].Expires)
	e.srv.mu.Unlock()
	const unknown = "0b9d1c36-0000-4000-8000-000000000000"

	cases := []struct {
		name, method, target string
		form                 url.Values
		status               int
		code                 string
	}{
		{"sign-in without id", "GET", "/checkout/signin", nil, 400, "MissingParameterValue"},
		{"selection without id", "GET", "/checkout/select", nil, 400, "MissingParameterValue"},
		{"processing without id", "GET", "/checkout/processing", nil, 400, "MissingParameterValue"},
		{"change-payment without id", "GET", "/checkout/change-payment", nil, 400, "MissingParameterValue"},
		{"sign-in unknown", "GET", "/checkout/signin?amazonCheckoutSessionId=" + unknown, nil, 404, "CheckoutSessionNotFound"},
		{"selection unknown", "GET", "/checkout/select?amazonCheckoutSessionId=" + unknown + "&email=a%40b.c", nil, 404, "CheckoutSessionNotFound"},
		{"change-address unknown", "GET", "/checkout/change-address?amazonCheckoutSessionId=" + unknown, nil, 404, "CheckoutSessionNotFound"},
		{"processing unknown", "GET", "/checkout/processing?amazonCheckoutSessionId=" + unknown, nil, 404, "CheckoutSessionNotFound"},
		{"processing post unknown", "POST", "/checkout/processing", url.Values{"amazonCheckoutSessionId": {unknown}}, 404, "CheckoutSessionNotFound"},
		{"sign-in expired", "GET", "/checkout/signin?amazonCheckoutSessionId=" + expired, nil, 410, "CheckoutSessionExpired"},
		{"selection post expired", "POST", "/checkout/select", url.Values{"amazonCheckoutSessionId": {expired}, "email": {"a@b.c"}, "address": {"a0"}, "paymentMethod": {"1111"}}, 410, "CheckoutSessionExpired"},
		{"processing expired", "GET", "/checkout/processing?amazonCheckoutSessionId=" + expired, nil, 410, "CheckoutSessionExpired"},
		{"sign-in completed", "GET", "/checkout/signin?amazonCheckoutSessionId=" + completed, nil, 409, "InvalidCheckoutSessionStatus"},
		{"processing completed", "GET", "/checkout/processing?amazonCheckoutSessionId=" + completed, nil, 409, "InvalidCheckoutSessionStatus"},
		{"processing before update", "GET", "/checkout/processing?amazonCheckoutSessionId=" + signedIn, nil, 409, "ChargeAmountNotSet"},
		{"processing before sign-in", "POST", "/checkout/processing", url.Values{"amazonCheckoutSessionId": {open}}, 409, "BuyerNotAssociated"},
		{"change before sign-in", "GET", "/checkout/change-payment?amazonCheckoutSessionId=" + open, nil, 409, "BuyerNotAssociated"},
		{"selection without buyer", "POST", "/checkout/select", url.Values{"amazonCheckoutSessionId": {open}, "address": {"a0"}, "paymentMethod": {"1111"}}, 400, "MissingParameterValue"},
		{"no such page", "GET", "/checkout/nowhere", nil, 404, "PageNotFound"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot()
			body := wantPage(t, e.page(c.method, c.target, c.form), c.status)
			if got := errorCode(body); got != c.code {
				t.Errorf("error code %q, want %q", got, c.code)
			}
			if !strings.Contains(body, `id="error-message"`) {
				t.Error("the page does not say what went wrong")
			}
			if e.snapshot() != before {
				t.Error("the state changed")
			}
		})
	}

	// Invalid choices re-show the form with the problem, 400, no change.
	forms := []struct {
		name, target string
		form         url.Values
	}{
		{"unknown card", "/checkout/select", url.Values{"amazonCheckoutSessionId": {open}, "email": {"a@b.c"}, "address": {"a0"}, "paymentMethod": {"9999"}}},
		{"unknown address", "/checkout/select", url.Values{"amazonCheckoutSessionId": {open}, "email": {"a@b.c"}, "address": {"a9"}, "paymentMethod": {"1111"}}},
		{"bad email", "/checkout/signin", url.Values{"amazonCheckoutSessionId": {open}, "email": {"not-an-email"}}},
		{"no buyer", "/checkout/signin", url.Values{"amazonCheckoutSessionId": {open}}},
		{"change to unknown card", "/checkout/change-payment", url.Values{"amazonCheckoutSessionId": {signedIn}, "paymentMethod": {"12"}}},
		{"change to unknown address", "/checkout/change-address", url.Values{"amazonCheckoutSessionId": {signedIn}, "address": {"x"}}},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			before := e.snapshot()
			body := wantPage(t, e.page("POST", f.target, f.form), 400)
			if !strings.Contains(body, `id="notice"`) {
				t.Errorf("no notice: %s", body)
			}
			if e.snapshot() != before {
				t.Error("the state changed")
			}
		})
	}
}

// TestHosted_ButtonSignature: the button payload is verified with the
// merchant's registered key, exactly as Amazon does; anything else is an
// error page and no session.
func TestHosted_ButtonSignature(t *testing.T) {
	e := newTestEnv(t)
	_, other := keys(t)
	otherSigner, err := signing.NewSigner(sandboxKeyID, other, signing.AlgorithmV2)
	if err != nil {
		t.Fatal(err)
	}
	v1Signer, _ := signing.NewSigner(sandboxKeyID, testKey, signing.AlgorithmV1)
	v1Sig, _ := v1Signer.SignButtonPayload([]byte(buttonPayload))
	cases := []struct {
		name   string
		mutate func(url.Values)
		status int
		code   string
	}{
		{"tampered payload", func(f url.Values) {
			f.Set("payloadJSON", strings.Replace(f.Get("payloadJSON"), "shop.example/review", "evil.example/review", 1))
		}, 403, "InvalidSignatureError"},
		{"wrong key", func(f url.Values) {
			sig, _ := otherSigner.SignButtonPayload([]byte(f.Get("payloadJSON")))
			f.Set("signature", sig)
		}, 403, "InvalidSignatureError"},
		{"algorithm mismatch", func(f url.Values) { f.Set("signature", v1Sig) }, 403, "InvalidSignatureError"},
		{"unknown key", func(f url.Values) { f.Set("publicKeyId", "SANDBOX-NOTREGISTERED0000000") }, 403, "InvalidSignatureError"},
		{"key of another merchant", func(f url.Values) { f.Set("merchantId", "AOTHERMERCHANT1") }, 403, "InvalidSignatureError"},
		{"garbage signature", func(f url.Values) { f.Set("signature", "!!not base64!!") }, 403, "InvalidSignatureError"},
		{"unknown algorithm", func(f url.Values) { f.Set("algorithm", "RSA-SHA1") }, 400, "InvalidParameterValue"},
		{"unknown productType", func(f url.Values) { f.Set("productType", "PayLater") }, 400, "InvalidParameterValue"},
		{"no signature", func(f url.Values) { f.Del("signature") }, 400, "MissingParameterValue"},
		{"no payload", func(f url.Values) { f.Del("payloadJSON") }, 400, "MissingParameterValue"},
		{"no merchantId", func(f url.Values) { f.Del("merchantId") }, 400, "MissingParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot()
			body := wantPage(t, e.page("POST", "/checkout/start", e.button(buttonPayload, c.mutate)), c.status)
			if got := errorCode(body); got != c.code {
				t.Errorf("error code %q, want %q: %s", got, c.code, body)
			}
			if e.snapshot() != before {
				t.Error("a session was made")
			}
		})
	}
	t.Run("signed but invalid payload", func(t *testing.T) {
		n := e.sessionCount()
		body := wantPage(t, e.page("POST", "/checkout/start", e.button(`{"storeId":"x","unknownField":1}`, nil)), 400)
		if errorCode(body) != "UnrecognizedField" || e.sessionCount() != n {
			t.Errorf("%s", body)
		}
	})
	t.Run("V1 without algorithm", func(t *testing.T) {
		n := e.sessionCount()
		wantRedirect(t, e.page("POST", "/checkout/start", e.button(buttonPayload, func(f url.Values) { f.Del("algorithm"); f.Set("signature", v1Sig) })))
		if e.sessionCount() != n+1 {
			t.Error("no session")
		}
	})
}

// TestHosted_Scopes: scopes decide what buyer data the merchant sees, on
// the session and on the charge permission.
func TestHosted_Scopes(t *testing.T) {
	cases := []struct {
		name, extra, productType                    string
		wantName, wantEmail, wantPhone, wantBilling bool
	}{
		{"default", ``, "PayAndShip", true, true, true, false},
		{"name only", `,"scopes":["name"]`, "PayAndShip", true, false, false, false},
		{"email and billing", `,"scopes":["email","billingAddress"]`, "PayAndShip", false, true, false, true},
		{"PayOnly keeps billing", `,"scopes":["name"]`, "PayOnly", true, false, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newTestEnv(t)
			payload := strings.TrimSuffix(buttonPayload, "}") + c.extra + "}"
			loc := wantRedirect(t, e.page("POST", "/checkout/start", e.button(payload, func(f url.Values) { f.Set("productType", c.productType) })))
			id, _ := url.Parse(loc)
			sid := id.Query().Get("amazonCheckoutSessionId")
			wantRedirect(t, e.page("POST", "/checkout/select", url.Values{"amazonCheckoutSessionId": {sid}, "email": {"scoped@example.com"}, "name": {"Scoped"}, "address": {"a0"}, "paymentMethod": {"1111"}}))
			check := func(what string, m map[string]any) {
				t.Helper()
				if (str(m, "buyer.name") != "") != c.wantName || (str(m, "buyer.email") != "") != c.wantEmail || (str(m, "buyer.phoneNumber") != "") != c.wantPhone ||
					(path(m, "billingAddress") != nil) != c.wantBilling || str(m, "buyer.buyerId") == "" {
					t.Errorf("%s: buyer %v billing %v", what, m["buyer"], m["billingAddress"])
				}
			}
			check("session", wantStatus(t, e.get("/v2/checkoutSessions/"+sid), 200))
			e.update(sid, "Confirm", "")
			wantRedirect(t, e.page("POST", "/checkout/processing", url.Values{"amazonCheckoutSessionId": {sid}}))
			cs := wantStatus(t, e.complete(sid, "14.00", "USD"), 200)
			check("charge permission", wantStatus(t, e.get("/v2/chargePermissions/"+str(cs, "chargePermissionId")), 200))
		})
	}
}

func TestHosted_ProcessOrderAndCancel(t *testing.T) {
	e := newTestEnv(t)
	payload := `{"webCheckoutDetails":{"checkoutMode":"ProcessOrder","checkoutResultReturnUrl":"https://shop.example/result","checkoutCancelUrl":"https://shop.example/cancel"},` +
		`"storeId":"amzn1.application-oa2-client.test","paymentDetails":{"paymentIntent":"AuthorizeWithCapture","chargeAmount":{"amount":"1200","currencyCode":"JPY"}},` +
		`"addressDetails":{"name":"山田 太郎","addressLine1":"目黒区下目黒1-8-1","city":"東京都","stateOrRegion":"東京都","postalCode":"153-0064","countryCode":"JP","phoneNumber":"03-0000-0000"}}`
	for _, cancel := range []bool{false, true} {
		id := e.startButton(payload)
		body := wantPage(t, e.page("GET", "/checkout/select?amazonCheckoutSessionId="+id+"&email=jp%40example.jp", nil), 200)
		if strings.Contains(body, `name="address"`) || !strings.Contains(body, "目黒区下目黒1-8-1") {
			t.Errorf("APB selection page should show the fixed address only")
		}
		loc := wantRedirect(t, e.page("POST", "/checkout/select", url.Values{"amazonCheckoutSessionId": {id}, "email": {"jp@example.jp"}, "paymentMethod": {"0000"}}))
		if loc != "/checkout/processing?amazonCheckoutSessionId="+id {
			t.Fatalf("APB selection went to %q", loc)
		}
		body = wantPage(t, e.page("GET", loc, nil), 200)
		if !strings.Contains(body, `id="pay-now"`) || !strings.Contains(body, "1200 JPY") || strings.Contains(body, "<script>") {
			t.Errorf("APB processing page: %s", body)
		}
		form := url.Values{"amazonCheckoutSessionId": {id}}
		want := "https://shop.example/result?amazonCheckoutSessionId=" + id
		if cancel {
			form.Set("cancel", "1")
			want = "https://shop.example/cancel?amazonCheckoutSessionId=" + id
		}
		if got := wantRedirect(t, e.page("POST", "/checkout/processing", form)); got != want {
			t.Errorf("went to %q, want %q", got, want)
		}
	}
}

func TestHosted_SignInButtonAndSignout(t *testing.T) {
	e := newTestEnv(t)
	payload := `{"signInReturnUrl":"https://shop.example/signin","storeId":"amzn1.application-oa2-client.test","signInScopes":["name","email"]}`
	f := e.button(payload, func(f url.Values) { f.Set("productType", "SignIn") })
	n := e.sessionCount()
	body := wantPage(t, e.page("POST", "/checkout/start", f), 200)
	if !strings.Contains(body, `name="payloadJSON"`) || e.sessionCount() != n {
		t.Fatalf("sign-in page: %s", body)
	}
	post := url.Values{}
	for k, v := range f {
		post[k] = v
	}
	post.Set("email", "signin@example.com")
	tampered := url.Values{}
	for k, v := range post {
		tampered[k] = v
	}
	tampered.Set("payloadJSON", strings.Replace(payload, "shop.example", "evil.example", 1))
	if got := errorCode(wantPage(t, e.page("POST", "/checkout/signin", tampered), 403)); got != "InvalidSignatureError" {
		t.Errorf("tampered sign-in: %q", got)
	}
	rec := e.page("POST", "/checkout/signin", post)
	loc, err := url.Parse(wantRedirect(t, rec))
	if err != nil || loc.Host != "shop.example" || loc.Query().Get("buyerToken") == "" {
		t.Fatalf("went to %v", loc)
	}
	buyer := wantStatus(t, e.get("/v2/buyers/"+url.PathEscape(loc.Query().Get("buyerToken"))), 200)
	if str(buyer, "email") != "signin@example.com" {
		t.Fatalf("buyer %v", buyer)
	}

	// The remembered buyer is pre-selected until signout.
	cookie := rec.Result().Cookies()[0]
	id := e.startButton(buttonPayload)
	body = wantPage(t, e.page("GET", "/checkout/signin?amazonCheckoutSessionId="+id, nil, cookie), 200)
	if !strings.Contains(body, `value="signin@example.com"`) {
		t.Error("the remembered buyer is not pre-filled")
	}
	out := e.page("POST", "/checkout/signout", nil, cookie)
	if out.Code != http.StatusNoContent || len(out.Result().Cookies()) != 1 || out.Result().Cookies()[0].MaxAge >= 0 {
		t.Fatalf("signout: %d %v", out.Code, out.Result().Cookies())
	}
}

// TestHosted_PilotButton: the older button form names a session the
// merchant created through the API; the sign-in page takes it as is and
// checks the merchant.
func TestHosted_PilotButton(t *testing.T) {
	e := newTestEnv(t)
	cs := wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201)
	id := str(cs, "checkoutSessionId")
	wantPage(t, e.page("GET", "/checkout/signin?amazonCheckoutSessionId="+id+"&merchantId="+e.srv.MerchantID(sandboxKeyID)+"&ledgerCurrency=JPY", nil), 200)
	body := wantPage(t, e.page("GET", "/checkout/signin?amazonCheckoutSessionId="+id+"&merchantId=AOTHER", nil), 403)
	if errorCode(body) != "InvalidMerchantId" {
		t.Errorf("%s", body)
	}
	// ledgerCurrency picks the address book before the session has a currency.
	body = wantPage(t, e.page("GET", "/checkout/select?amazonCheckoutSessionId="+id+"&email=a%40b.c&ledgerCurrency=JPY", nil), 200)
	if !strings.Contains(body, "目黒区下目黒1-8-1") {
		t.Error("JPY address book not shown")
	}
}

// TestHosted_Accessible checks what can be checked without a browser:
// every form control has a label, the language and viewport are set, and
// radio groups are fieldsets with legends.
func TestHosted_Accessible(t *testing.T) {
	e := newTestEnv(t)
	id := e.startButton(buttonPayload)
	if _, err := e.srv.SignIn(id, BuyerInput{}); err != nil {
		t.Fatal(err)
	}
	e.update(id, "Authorize", "")
	ids := regexp.MustCompile(`<input type="(?:radio|email|text)"[^>]* id="([^"]+)"`)
	for _, p := range []string{"/checkout/signin", "/checkout/select", "/checkout/change-address", "/checkout/change-payment", "/checkout/processing"} {
		body := wantPage(t, e.page("GET", p+"?amazonCheckoutSessionId="+id+"&email=a%40b.c", nil), 200)
		for _, want := range []string{`<html lang="en">`, `name="viewport"`, `<main id="main"`, `<h1`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", p, want)
			}
		}
		if strings.Count(body, "<fieldset") != strings.Count(body, "<legend>") {
			t.Errorf("%s: a fieldset without legend", p)
		}
		for _, m := range ids.FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `for="`+m[1]+`"`) {
				t.Errorf("%s: input %s has no label", p, m[1])
			}
		}
	}
}

func TestHosted_PublicURL(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.PublicURL = "https://pay.example.test:8443/" })
	id2 := e.startButton(buttonPayload)
	if _, err := e.srv.SignIn(id2, BuyerInput{}); err != nil {
		t.Fatal(err)
	}
	e.update(id2, "Authorize", "")
	cs := wantStatus(t, e.get("/v2/checkoutSessions/"+id2), 200)
	if got := str(cs, "webCheckoutDetails.amazonPayRedirectUrl"); got != "https://pay.example.test:8443/checkout/processing?amazonCheckoutSessionId="+id2 {
		t.Errorf("amazonPayRedirectUrl %q", got)
	}
	for _, bad := range []string{"ftp://x", "https://x/path", "no scheme"} {
		if err := e.srv.SetPublicURL(bad); err == nil {
			t.Errorf("SetPublicURL(%q) accepted", bad)
		}
	}
	if _, err := New(Options{PublicURL: "https://x/y", TickInterval: -1}); err == nil {
		t.Error("New accepted a public URL with a path")
	}
}
