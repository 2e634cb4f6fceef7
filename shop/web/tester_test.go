package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// formOf reads the tester form's current values (what a browser would
// submit unchanged), so each test submits the page's own pre-filled form.
func formOf(t testing.TB, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="text" id="f-[^"]*" name="([^"]*)" value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	for _, m := range regexp.MustCompile(`<input type="checkbox" id="f-[^"]*" name="([^"]*)" checked`).FindAllStringSubmatch(body, -1) {
		v.Set(m[1], "on")
	}
	for _, sel := range regexp.MustCompile(`(?s)<select id="f-[^"]*" name="([^"]*)">(.*?)</select>`).FindAllStringSubmatch(body, -1) {
		if m := regexp.MustCompile(`<option selected>([^<]*)</option>`).FindStringSubmatch(sel[2]); m != nil {
			v.Set(sel[1], htmlUnescape(m[1]))
		}
	}
	return v
}

func htmlUnescape(s string) string { return attr(`x="`+s+`"`, "x") }

// testerCall opens a tester page with query, submits its pre-filled form
// with changes, and checks that Amazon Pay's answer is shown: status, request
// id and JSON. It returns the page and the decoded JSON.
func (e *env) testerCall(slug string, query url.Values, changes url.Values, wantStatus int) (page, map[string]any) {
	e.t.Helper()
	form := e.get("/admin/tester/" + slug + "?" + query.Encode())
	if form.status != 200 {
		e.t.Fatalf("GET %s: %d\n%s", slug, form.status, form.body)
	}
	v := formOf(e.t, form.body)
	if key := v.Get("idempotencyKey"); slug != "button" && strings.Contains(form.body, `name="idempotencyKey"`) && len(key) != 32 {
		e.t.Fatalf("%s: idempotency key %q not pre-filled", slug, key)
	}
	for k := range changes {
		v.Set(k, changes.Get(k))
	}
	p := e.post("/admin/tester/"+slug, v)
	return e.checkResponse(slug, p, wantStatus)
}

func (e *env) checkResponse(slug string, p page, wantStatus int) (page, map[string]any) {
	e.t.Helper()
	if p.status != 200 {
		e.t.Fatalf("%s: page status %d\n%s", slug, p.status, p.body)
	}
	status := byID(p.body, "response-status")
	if !strings.HasPrefix(status, itoa(int64(wantStatus))+" ") {
		e.t.Fatalf("%s: Amazon Pay answered %q, want %d\n%s", slug, status, wantStatus, byID(p.body, "response-json"))
	}
	if byID(p.body, "response-request-id") == "" {
		e.t.Fatalf("%s: no request id shown", slug)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(byID(p.body, "response-json")), &doc); err != nil {
		e.t.Fatalf("%s: response JSON: %v\n%s", slug, err, p.body)
	}
	return p, doc
}

// link reports whether the page links an id to another tester.
func hasLink(body, slug, param, id string) bool {
	return strings.Contains(body, `href="/admin/tester/`+slug+`?`+url.Values{param: {id}}.Encode()+`"`)
}

func state(doc map[string]any) string {
	sd, _ := doc["statusDetails"].(map[string]any)
	s, _ := sd["state"].(string)
	return s
}

// TestTesterPages: every tester page submits its form and shows a real
// emulator answer, one subtest per page.
func TestTesterPages(t *testing.T) {
	e := newEnv(t, sqlstoretest.SQLite(t))
	e.login()
	ctx := context.Background()
	covered := map[string]bool{}
	run := func(slug string, fn func(t *testing.T)) {
		covered[slug] = true
		t.Run(slug, fn)
	}
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	sub := func(t *testing.T) *env { te := *e; te.t = t; return &te }

	run("button", func(t *testing.T) {
		e := sub(t)
		for _, tc := range []struct {
			productType, session string
			status               int
		}{{"PayAndShip", "", http.StatusSeeOther}, {"SignIn", "", http.StatusOK}} {
			form := formOf(t, e.get("/admin/tester/button").body)
			form.Set("productType", tc.productType)
			p := e.post("/admin/tester/button", form)
			if p.status != 200 {
				t.Fatalf("%s: %d %s", tc.productType, p.status, byID(p.body, "tester-problem"))
			}
			b := e.button(p.body)
			if b.MerchantID != e.srv.MerchantID || b.ProductType != tc.productType {
				t.Fatalf("button = %+v", b)
			}
			if res := e.click(b); res.StatusCode != tc.status {
				t.Fatalf("%s button refused by the emulator: %s", tc.productType, res.Status)
			}
		}
		// The pilot form takes a session created on the API page.
		id, _, _ := e.checkoutViaAPI(signedIn)
		form := formOf(t, e.get("/admin/tester/button?checkoutSessionId="+id).body)
		if form.Get("checkoutSessionId") != id {
			t.Fatalf("session not pre-filled: %v", form)
		}
		if b := e.button(e.post("/admin/tester/button", form).body); b.CreateCheckoutSession != id {
			t.Fatalf("pilot button = %+v", b)
		}
	})
	run("create-checkout-session", func(t *testing.T) {
		e := sub(t)
		p, doc := e.testerCall("create-checkout-session", nil, nil, 201)
		id, _ := doc["checkoutSessionId"].(string)
		if id == "" || state(doc) != "Open" || !hasLink(p.body, "get-checkout-session", "checkoutSessionId", id) || !hasLink(p.body, "button", "checkoutSessionId", id) {
			t.Fatalf("answer %v\n%s", doc, byID(p.body, "response-json"))
		}
		// A new idempotency key for the next submission.
		if formOf(t, p.body).Get("idempotencyKey") == byID(p.body, "response-idempotency-key") {
			t.Fatal("the idempotency key was not renewed")
		}
	})
	run("get-checkout-session", func(t *testing.T) {
		e := sub(t)
		id, _, _ := e.checkoutViaAPI(signedIn)
		_, doc := e.testerCall("get-checkout-session", q("checkoutSessionId", id), nil, 200)
		if doc["checkoutSessionId"] != id || doc["buyer"] == nil {
			t.Fatalf("answer %v", doc)
		}
	})
	run("update-checkout-session", func(t *testing.T) {
		e := sub(t)
		id, _, _ := e.checkoutViaAPI(signedIn)
		p, doc := e.testerCall("update-checkout-session", q("checkoutSessionId", id), q("amount", "12.34"), 200)
		pd, _ := doc["paymentDetails"].(map[string]any)
		ca, _ := pd["chargeAmount"].(map[string]any)
		if ca["amount"] != "12.34" || !strings.Contains(p.body, `id="redirect-url"`) {
			t.Fatalf("answer %v", doc)
		}
	})
	run("result", func(t *testing.T) {
		e := sub(t)
		id, _, _ := e.checkoutViaAPI(confirmed)
		p := e.get("/admin/tester/result?amazonCheckoutSessionId=" + id)
		_, doc := e.checkResponse("result", p, 200)
		if doc["checkoutSessionId"] != id || !strings.Contains(p.body, `data-amazon-pay-change="changeAddress"`) ||
			!strings.Contains(p.body, `src="`+e.srv.URL+`/checkout.js"`) || !hasLink(p.body, "complete-checkout-session", "checkoutSessionId", id) {
			t.Fatalf("result page:\n%s", p.body)
		}
		// Without an id it is a form.
		if p := e.get("/admin/tester/result"); p.status != 200 || strings.Contains(p.body, `id="response"`) {
			t.Fatalf("empty result page: %d", p.status)
		}
	})
	run("complete-checkout-session", func(t *testing.T) {
		e := sub(t)
		id, _, _ := e.checkoutViaAPI(confirmed)
		form := formOf(t, e.get("/admin/tester/complete-checkout-session?checkoutSessionId="+id).body)
		if form.Get("amount") != testerAmount || form.Get("currencyCode") != "USD" {
			t.Fatalf("amount not pre-filled from the session: %v", form)
		}
		p, doc := e.testerCall("complete-checkout-session", q("checkoutSessionId", id), nil, 200)
		charge, _ := doc["chargeId"].(string)
		cp, _ := doc["chargePermissionId"].(string)
		if state(doc) != "Completed" || !hasLink(p.body, "capture-charge", "chargeId", charge) || !hasLink(p.body, "get-charge-permission", "chargePermissionId", cp) {
			t.Fatalf("answer %v", doc)
		}
	})
	run("finalize-checkout-session", func(t *testing.T) {
		e := sub(t)
		id, _, _ := e.checkoutViaAPI(updated)
		form := formOf(t, e.get("/admin/tester/finalize-checkout-session?checkoutSessionId="+id).body)
		if form.Get("addressLine1") == "" || form.Get("amount") != testerAmount {
			t.Fatalf("address or amount not pre-filled: %v", form)
		}
		_, doc := e.testerCall("finalize-checkout-session", q("checkoutSessionId", id), nil, 200)
		if doc["chargePermissionId"] == nil {
			t.Fatalf("answer %v", doc)
		}
	})
	_, cpID, chargeID := e.checkoutViaAPI(completed)
	run("get-charge-permission", func(t *testing.T) {
		e := sub(t)
		p, doc := e.testerCall("get-charge-permission", q("chargePermissionId", cpID), nil, 200)
		if doc["chargePermissionId"] != cpID || !hasLink(p.body, "create-charge", "chargePermissionId", cpID) {
			t.Fatalf("answer %v", doc)
		}
	})
	run("update-charge-permission", func(t *testing.T) {
		e := sub(t)
		_, doc := e.testerCall("update-charge-permission", q("chargePermissionId", cpID), q("merchantReferenceId", "ORDER-42"), 200)
		mm, _ := doc["merchantMetadata"].(map[string]any)
		if mm["merchantReferenceId"] != "ORDER-42" {
			t.Fatalf("answer %v", doc)
		}
	})
	run("get-charge", func(t *testing.T) {
		e := sub(t)
		p, doc := e.testerCall("get-charge", q("chargeId", chargeID), nil, 200)
		if state(doc) != "Authorized" || !hasLink(p.body, "cancel-charge", "chargeId", chargeID) {
			t.Fatalf("answer %v", doc)
		}
	})
	run("cancel-charge", func(t *testing.T) {
		e := sub(t)
		_, doc := e.testerCall("cancel-charge", q("chargeId", chargeID), nil, 200)
		if state(doc) != "Canceled" {
			t.Fatalf("answer %v", doc)
		}
	})
	var newCharge string
	run("create-charge", func(t *testing.T) {
		e := sub(t)
		form := formOf(t, e.get("/admin/tester/create-charge?chargePermissionId="+cpID).body)
		if form.Get("amount") == "" {
			t.Fatalf("amount not pre-filled from the charge permission: %v", form)
		}
		p, doc := e.testerCall("create-charge", q("chargePermissionId", cpID), q("amount", "5.00"), 201)
		newCharge, _ = doc["chargeId"].(string)
		if state(doc) != "Authorized" || !hasLink(p.body, "capture-charge", "chargeId", newCharge) {
			t.Fatalf("answer %v", doc)
		}
	})
	run("capture-charge", func(t *testing.T) {
		e := sub(t)
		if newCharge == "" {
			t.Skip("create-charge failed")
		}
		form := formOf(t, e.get("/admin/tester/capture-charge?chargeId="+newCharge).body)
		if form.Get("amount") != "5.00" {
			t.Fatalf("amount not pre-filled from the charge: %v", form)
		}
		_, doc := e.testerCall("capture-charge", q("chargeId", newCharge), nil, 200)
		if state(doc) != "Captured" {
			t.Fatalf("answer %v", doc)
		}
	})
	var refundID string
	run("create-refund", func(t *testing.T) {
		e := sub(t)
		if newCharge == "" {
			t.Skip("create-charge failed")
		}
		p, doc := e.testerCall("create-refund", q("chargeId", newCharge), q("amount", "2.00"), 201)
		refundID, _ = doc["refundId"].(string)
		if refundID == "" || !hasLink(p.body, "get-refund", "refundId", refundID) {
			t.Fatalf("answer %v", doc)
		}
	})
	run("get-refund", func(t *testing.T) {
		e := sub(t)
		if refundID == "" {
			t.Skip("create-refund failed")
		}
		_, doc := e.testerCall("get-refund", q("refundId", refundID), nil, 200)
		if doc["refundId"] != refundID {
			t.Fatalf("answer %v", doc)
		}
	})
	run("close-charge-permission", func(t *testing.T) {
		e := sub(t)
		_, doc := e.testerCall("close-charge-permission", q("chargePermissionId", cpID), nil, 200)
		sd, _ := doc["statusDetails"].(map[string]any)
		if sd["state"] != "Closed" {
			t.Fatalf("answer %v", doc)
		}
	})
	run("get-buyer", func(t *testing.T) {
		e := sub(t)
		token, buyerID := e.srv.NewBuyerToken("buyer@example.com")
		form := formOf(t, e.get("/admin/tester/get-buyer?buyerToken="+url.QueryEscape(token)).body)
		if form.Get("buyerToken") != token {
			t.Fatalf("token not pre-filled")
		}
		_, doc := e.testerCall("get-buyer", q("buyerToken", token), nil, 200)
		if doc["buyerId"] != buyerID {
			t.Fatalf("answer %v", doc)
		}
	})

	t.Run("errors are shown too", func(t *testing.T) {
		e := sub(t)
		_, doc := e.testerCall("get-charge", q("chargeId", "S01-0000000-0000000-C000000"), nil, 404)
		if doc["reasonCode"] != "ResourceNotFound" {
			t.Fatalf("answer %v", doc)
		}
		p := e.post("/admin/tester/capture-charge", url.Values{"chargeId": {chargeID}, "amount": {"ten"}, "currencyCode": {"USD"}})
		if !strings.Contains(byID(p.body, "not-sent"), "Not sent") {
			t.Fatalf("bad amount:\n%s", p.body)
		}
		if p := e.get("/admin/tester/nope"); p.status != 404 {
			t.Fatalf("unknown tester: %d", p.status)
		}
	})
	t.Run("every page is tested", func(t *testing.T) {
		p := e.get("/admin/")
		for _, m := range regexp.MustCompile(`id="tester-([a-z-]+)"`).FindAllStringSubmatch(p.body, -1) {
			if !covered[m[1]] {
				t.Errorf("tester page %s has no test", m[1])
			}
		}
		if len(covered) != 17 {
			t.Errorf("%d tester pages tested, want 17", len(covered))
		}
	})
	t.Run("calls are logged", func(t *testing.T) {
		calls, err := e.db.AmazonCalls(ctx, shop.AmazonCallFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		ops := map[string]bool{}
		for _, c := range calls {
			ops[c.Operation] = true
		}
		for _, op := range []string{"CreateCheckoutSession", "CaptureCharge", "CreateRefund", "GetBuyer", "FinalizeCheckoutSession", "CloseChargePermission"} {
			if !ops[op] {
				t.Errorf("%s not in the call log", op)
			}
		}
		if p := e.get("/admin/"); !strings.Contains(p.body, "CaptureCharge") {
			t.Error("the admin index does not show the call log")
		}
	})
}
