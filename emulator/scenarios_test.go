package emulator

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestScenario_PendingAuthorization(t *testing.T) {
	e := newTestEnv(t)
	id := e.checkout("Authorize", "30.00", "USD", "0701", `,"canHandlePendingAuthorization":true`)
	res := e.complete(id, "30.00", "USD")
	cs := wantStatus(t, res, 202)
	chID := str(cs, "chargeId")
	if str(wantStatus(t, e.get("/v2/charges/"+chID), 200), "statusDetails.state") != "AuthorizationInitiated" {
		t.Fatal("not pending")
	}
	wantStatus(t, e.do(req{method: "DELETE", path: "/v2/charges/" + chID + "/cancel", body: `{"cancellationReason":"no"}`}), 200)

	id = e.checkout("Authorize", "30.00", "USD", "4354", `,"canHandlePendingAuthorization":true`)
	chID = str(wantStatus(t, e.complete(id, "30.00", "USD"), 202), "chargeId")
	e.advance(pendingDelay)
	ch := wantStatus(t, e.get("/v2/charges/"+chID), 200)
	if str(ch, "statusDetails.state") != "Declined" || str(ch, "statusDetails.reasonCode") != "HardDeclined" {
		t.Fatalf("%v", ch["statusDetails"])
	}
	cp := wantStatus(t, e.get("/v2/chargePermissions/"+str(ch, "chargePermissionId")), 200)
	if str(cp, "statusDetails.state") != "NonChargeable" {
		t.Fatalf("%v", cp["statusDetails"])
	}
	var sawCharge bool
	for _, n := range e.srv.Notifications() {
		if n.ObjectID == chID && n.State == "Declined" {
			sawCharge = true
		}
	}
	if !sawCharge {
		t.Fatal("no notification for the pending decline")
	}
	// A NonChargeable charge permission refuses charges.
	wantError(t, e.post("/v2/charges", `{"chargePermissionId":"`+str(cp, "chargePermissionId")+`","chargeAmount":{"amount":"1.00","currencyCode":"USD"}}`), 422, "InvalidChargePermissionStatus")
}

func TestScenario_CanceledAndExpiredSessions(t *testing.T) {
	e := newTestEnv(t)
	id := e.checkout("Authorize", "5.00", "USD", "3064", "")
	wantError(t, e.complete(id, "5.00", "USD"), 422, "CheckoutSessionCanceled")
	cs := wantStatus(t, e.get("/v2/checkoutSessions/"+id), 200)
	if str(cs, "statusDetails.reasonCode") != "BuyerCanceled" || cs["buyer"] != nil {
		t.Fatalf("%v", cs)
	}
	id = wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201)["checkoutSessionId"].(string)
	e.advance(24 * time.Hour)
	cs = wantStatus(t, e.get("/v2/checkoutSessions/"+id), 200)
	if str(cs, "statusDetails.state") != "Canceled" || str(cs, "statusDetails.reasonCode") != "Expired" {
		t.Fatalf("%v", cs["statusDetails"])
	}
	// Simulation codes on Complete.
	id = e.checkout("Authorize", "5.00", "USD", "1111", "")
	rec := e.do(req{method: "POST", path: "/v2/checkoutSessions/" + id + "/complete", body: `{"chargeAmount":{"amount":"5.00","currencyCode":"USD"}}`, header: map[string]string{"x-amz-pay-simulation-code": "Declined"}})
	wantError(t, rec, 422, "CheckoutSessionCanceled")
	wantError(t, e.complete(id, "5.00", "USD"), 422, "CheckoutSessionCanceled")
	// Completing twice.
	id = e.checkout("Confirm", "5.00", "USD", "1111", "")
	cs = wantStatus(t, e.complete(id, "5.00", "USD"), 200)
	if cs["chargeId"] != nil {
		t.Fatal("Confirm created a charge")
	}
	wantError(t, e.complete(id, "5.00", "USD"), 422, "InvalidCheckoutSessionStatus")
}

func TestScenario_ChargesOnChargePermission(t *testing.T) {
	e := newTestEnv(t)
	id := e.checkout("Confirm", "100.00", "USD", "1111", "")
	cpID := str(wantStatus(t, e.complete(id, "100.00", "USD"), 200), "chargePermissionId")
	charge := func(amount string, h map[string]string, extra string) *httptest.ResponseRecorder {
		if h == nil {
			h = map[string]string{}
		}
		h["x-amz-pay-idempotency-key"] = idem()
		return e.do(req{method: "POST", path: "/v2/charges", body: `{"chargePermissionId":"` + cpID + `","chargeAmount":{"amount":"` + amount + `","currencyCode":"USD"}` + extra + `}`, header: h})
	}
	for code, status := range map[string]int{"SoftDeclined": 422, "TransactionTimedOut": 422, "PaymentMethodNotAllowed": 422, "MFANotCompleted": 422, "ProcessingFailure": 500} {
		wantError(t, charge("1.00", map[string]string{"x-amz-pay-simulation-code": code}, ""), status, code)
	}
	wantError(t, charge("1.00", nil, `,"softDescriptor":"x"`), 400, "InvalidParameterCombination")
	wantError(t, charge("100.01", nil, ""), 400, "TransactionAmountExceeded")
	wantError(t, e.post("/v2/charges", `{"chargePermissionId":"`+cpID+`","chargeAmount":{"amount":"1.00","currencyCode":"EUR"}}`), 400, "CurrencyMismatch")
	ch := wantStatus(t, charge("40.00", nil, `,"captureNow":true,"softDescriptor":"SHOP"`), 201)
	if str(ch, "statusDetails.state") != "Captured" || !strings.HasPrefix(str(ch, "chargeId"), cpID+"-C") {
		t.Fatalf("%v", ch)
	}
	// Pending simulation with canHandlePendingAuthorization.
	pend := wantStatus(t, charge("10.00", map[string]string{"x-amz-pay-simulation-code": "AuthorizationInitiated"}, `,"canHandlePendingAuthorization":true`), 201)
	if str(pend, "statusDetails.state") != "AuthorizationInitiated" {
		t.Fatalf("%v", pend["statusDetails"])
	}
	wantError(t, charge("1.00", nil, ""), 422, "InvalidChargePermissionStatus") // charge in progress
	e.advance(pendingDelay)
	if str(wantStatus(t, e.get("/v2/charges/"+str(pend, "chargeId")), 200), "statusDetails.state") != "Authorized" {
		t.Fatal("pending did not authorize")
	}
	// Update CP, close with pending charges canceled, then refuse updates.
	wantStatus(t, e.do(req{method: "PATCH", path: "/v2/chargePermissions/" + cpID, body: `{"merchantMetadata":{"merchantReferenceId":"order-1"}}`}), 200)
	cp := wantStatus(t, e.do(req{method: "DELETE", path: "/v2/chargePermissions/" + cpID + "/close", body: `{"closureReason":"done","cancelPendingCharges":true}`}), 200)
	if str(cp, "statusDetails.state") != "Closed" || str(cp, "merchantMetadata.merchantReferenceId") != "order-1" {
		t.Fatalf("%v", cp)
	}
	if str(wantStatus(t, e.get("/v2/charges/"+str(pend, "chargeId")), 200), "statusDetails.reasonCode") != "ChargePermissionCanceled" {
		t.Fatal("pending charge not canceled with the charge permission")
	}
	wantError(t, e.do(req{method: "PATCH", path: "/v2/chargePermissions/" + cpID, body: `{}`}), 422, "ChargePermissionNotModifiable")
	wantError(t, e.do(req{method: "DELETE", path: "/v2/chargePermissions/" + cpID + "/close", body: `{}`}), 422, "InvalidChargePermissionStatus")

	// HardDeclined makes it NonChargeable; the idempotent retry replays the decline.
	id = e.checkout("Confirm", "100.00", "USD", "1111", "")
	cpID = str(wantStatus(t, e.complete(id, "100.00", "USD"), 200), "chargePermissionId")
	h := map[string]string{"x-amz-pay-simulation-code": "HardDeclined", "x-amz-pay-idempotency-key": "hard1"}
	body := `{"chargePermissionId":"` + cpID + `","chargeAmount":{"amount":"1.00","currencyCode":"USD"}}`
	first := e.do(req{method: "POST", path: "/v2/charges", body: body, header: h})
	wantError(t, first, 422, "HardDeclined")
	if again := e.do(req{method: "POST", path: "/v2/charges", body: body, header: h}); again.Body.String() != first.Body.String() {
		t.Fatal("decline not replayed")
	}
	id = e.checkout("Confirm", "100.00", "USD", "1111", "")
	cpID = str(wantStatus(t, e.complete(id, "100.00", "USD"), 200), "chargePermissionId")
	wantError(t, e.do(req{method: "POST", path: "/v2/charges", body: `{"chargePermissionId":"` + cpID + `","chargeAmount":{"amount":"1.00","currencyCode":"USD"}}`, header: map[string]string{"x-amz-pay-simulation-code": "AmazonRejected"}}), 422, "AmazonRejected")
	if str(wantStatus(t, e.get("/v2/chargePermissions/"+cpID), 200), "statusDetails.state") != "Closed" {
		t.Fatal("AmazonRejected did not close the charge permission")
	}
}

func TestScenario_RecurringMonthlyLimit(t *testing.T) {
	e := newTestEnv(t)
	res := e.post("/v2/checkoutSessions", `{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://shop.example/r"},"storeId":"s","chargePermissionType":"Recurring","recurringMetadata":{"frequency":{"unit":"Month","value":"1"}}}`)
	id := wantStatus(t, res, 201)["checkoutSessionId"].(string)
	if _, err := e.srv.SignIn(id, BuyerInput{}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do(req{method: "PATCH", path: "/v2/checkoutSessions/" + id, body: `{"webCheckoutDetails":{"checkoutResultReturnUrl":"https://shop.example/res"},"paymentDetails":{"paymentIntent":"AuthorizeWithCapture","chargeAmount":{"amount":"600.00","currencyCode":"USD"}}}`}), 200)
	if _, err := e.srv.Confirm(id, false); err != nil {
		t.Fatal(err)
	}
	cs := wantStatus(t, e.complete(id, "600.00", "USD"), 200)
	cpID := str(cs, "chargePermissionId")
	if !strings.HasPrefix(cpID, "C01-") || strings.HasPrefix(str(cs, "chargeId"), cpID) {
		t.Fatalf("recurring ids %s %s", cpID, str(cs, "chargeId"))
	}
	body := `{"chargePermissionId":"` + cpID + `","chargeAmount":{"amount":"400.01","currencyCode":"USD"},"captureNow":true}`
	rec := e.post("/v2/charges", body)
	wantError(t, rec, 400, "PeriodicAmountExceeded")
	if obj(t, rec)["message"] != "You've exceeded the monthly limit for the Charge Permission and must wait until the next month to charge this buyer." {
		t.Fatalf("message %v", obj(t, rec)["message"])
	}
	cp := wantStatus(t, e.get("/v2/chargePermissions/"+cpID), 200)
	if str(cp, "limits.amountLimit.amount") != "1000.00" || str(cp, "limits.amountBalance.amount") != "400.00" || str(cp, "recurringMetadata.frequency.value") != "1" {
		t.Fatalf("limits %v %v", cp["limits"], cp["recurringMetadata"])
	}
	e.advance(20 * 24 * time.Hour) // into December
	wantStatus(t, e.post("/v2/charges", body), 201)
}

func TestScenario_FinalizeAndBuyer(t *testing.T) {
	e := newTestEnv(t)
	id := wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201)["checkoutSessionId"].(string)
	if _, err := e.srv.SignIn(id, BuyerInput{Email: "fin@example.com"}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do(req{method: "PATCH", path: "/v2/checkoutSessions/" + id, body: `{"paymentDetails":{"chargeAmount":{"amount":"9.99","currencyCode":"USD"}}}`}), 200)
	wrong := `{"paymentIntent":"AuthorizeWithCapture","chargeAmount":{"amount":"9.99","currencyCode":"USD"},"shippingAddress":{"name":"X","addressLine1":"Elsewhere 1","countryCode":"US"}}`
	wantError(t, e.post("/v2/checkoutSessions/"+id+"/finalize", wrong), 400, "InvalidParameterValue")
	okBody := `{"paymentIntent":"AuthorizeWithCapture","chargeAmount":{"amount":"9.99","currencyCode":"USD"},"shippingAddress":{"name":"Susie Smith","addressLine1":"10 Ditka Ave","postalCode":"60602","countryCode":"US"}}`
	cs := wantStatus(t, e.post("/v2/checkoutSessions/"+id+"/finalize", okBody), 200)
	ch := wantStatus(t, e.get("/v2/charges/"+str(cs, "chargeId")), 200)
	if str(ch, "statusDetails.state") != "Captured" {
		t.Fatalf("%v", ch["statusDetails"])
	}
	if str(wantStatus(t, e.get("/v2/chargePermissions/"+str(cs, "chargePermissionId")), 200), "statusDetails.state") != "Closed" {
		t.Fatal("fully captured OneTime not closed")
	}
	tok := obj(t, e.control("POST", "/_emulator/buyerTokens", `{"email":"fin@example.com"}`))
	b := wantStatus(t, e.get("/v2/buyers/"+tok["buyerToken"].(string)), 200)
	if b["buyerId"] != tok["buyerId"] || b["buyerId"] != buyerID("fin@example.com") {
		t.Fatalf("buyer %v", b)
	}
	wantError(t, e.get("/v2/buyers/nope"), 404, "ResourceNotFound")
}

func TestScenario_ControlAPIBuyerStep(t *testing.T) {
	e := newTestEnv(t)
	body := `{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://shop.example/review","checkoutCancelUrl":"https://shop.example/cancel"},"storeId":"s"}`
	id := wantStatus(t, e.post("/v2/checkoutSessions", body), 201)["checkoutSessionId"].(string)
	wantError(t, e.control("POST", "/_emulator/checkoutSessions/"+id+"/buyer", `{"paymentMethod":"1234"}`), 400, "InvalidParameterValue")
	r := wantStatus(t, e.control("POST", "/_emulator/checkoutSessions/"+id+"/buyer", `{"email":"a@example.com","paymentMethod":"4444","address":{"name":"A","addressLine1":"1 Road","countryCode":"US","postalCode":"10001"}}`), 200)
	if r["redirectUrl"] != "https://shop.example/review?amazonCheckoutSessionId="+id {
		t.Fatalf("%v", r)
	}
	cs := wantStatus(t, e.get("/v2/checkoutSessions/"+id), 200)
	if str(cs, "shippingAddress.postalCode") != "10001" || str(cs, "paymentPreferences") != "" {
		pp := cs["paymentPreferences"].([]any)
		if len(pp) != 1 || !strings.Contains(pp[0].(map[string]any)["paymentDescriptor"].(string), "4444") {
			t.Fatalf("%v", cs)
		}
	}
	wantError(t, e.control("POST", "/_emulator/checkoutSessions/"+id+"/confirm", `{}`), 422, "InvalidCheckoutSessionStatus") // constraints open
	wantStatus(t, e.do(req{method: "PATCH", path: "/v2/checkoutSessions/" + id, body: `{"webCheckoutDetails":{"checkoutResultReturnUrl":"https://shop.example/result"},"paymentDetails":{"paymentIntent":"Authorize","chargeAmount":{"amount":"1.00","currencyCode":"USD"}}}`}), 200)
	r = wantStatus(t, e.control("POST", "/_emulator/checkoutSessions/"+id+"/confirm", `{"cancel":true}`), 200)
	if r["redirectUrl"] != "https://shop.example/cancel?amazonCheckoutSessionId="+id {
		t.Fatalf("%v", r)
	}
	wantError(t, e.control("POST", "/_emulator/checkoutSessions/nope/buyer", `{}`), 404, "ResourceNotFound")
	wantError(t, e.control("POST", "/_emulator/clock", `{"now":"2020-01-01T00:00:00Z"}`), 400, "InvalidParameterValue")
	wantError(t, e.control("POST", "/_emulator/clock", `{}`), 400, "InvalidParameterCombination")
	wantStatus(t, e.control("POST", "/_emulator/clock", `{"now":"2030-01-01T00:00:00Z"}`), 200)
	wantStatus(t, e.control("POST", "/_emulator/reset", ``), 200)
	wantError(t, e.get("/v2/checkoutSessions/"+id), 404, "ResourceNotFound")
	wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201) // keys survive reset
	wantStatus(t, e.control("GET", "/_emulator/health", ``), 200)
	wantError(t, e.control("GET", "/_emulator/nothing", ``), 404, "ResourceNotFound")
}

func TestScenario_ShippingAddressListIsStrings(t *testing.T) {
	e := newTestEnv(t)
	id := wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201)["checkoutSessionId"].(string)
	e.srv.mu.Lock()
	e.srv.st.CheckoutSessions[id].ProductType = "PayAndShipMultiAddress"
	e.srv.mu.Unlock()
	if _, err := e.srv.SignIn(id, BuyerInput{}); err != nil {
		t.Fatal(err)
	}
	cs := wantStatus(t, e.get("/v2/checkoutSessions/"+id), 200)
	list := cs["shippingAddressList"].([]any)
	var a map[string]any
	if err := json.Unmarshal([]byte(list[0].(string)), &a); err != nil || a["city"] != "Chicago" {
		t.Fatalf("element is not a JSON-encoded address: %v %v", list[0], err)
	}
}

func TestScenario_StatePersists(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.db")
	e := newTestEnv(t, func(o *Options) { o.StatePath = file })
	id := e.checkout("Authorize", "12.00", "USD", "1111", "")
	chID := str(wantStatus(t, e.complete(id, "12.00", "USD"), 200), "chargeId")
	e.advance(time.Hour)
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv2, err := New(Options{Clock: ClockFunc(e.clock), TickInterval: -1, StatePath: file})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	e.srv = srv2 // keys came back from the file
	ch := wantStatus(t, e.get("/v2/charges/"+chID), 200)
	if str(ch, "statusDetails.state") != "Authorized" {
		t.Fatalf("%v", ch)
	}
	e.advance(30 * 24 * time.Hour) // timers were rebuilt
	if str(wantStatus(t, e.get("/v2/charges/"+chID), 200), "statusDetails.reasonCode") != "ExpiredUnused" {
		t.Fatal("expiry lost across restart")
	}
}

// TestReasonCodesCovered: every reason code constant in errors.go appears
// in some test of this package.
func TestReasonCodesCovered(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var tests strings.Builder
	files, _ := filepath.Glob("*_test.go")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		tests.Write(b)
	}
	src := tests.String()
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || !strings.HasPrefix(name.Name, "code") {
					continue
				}
				val, _ := strconv.Unquote(lit.Value)
				if !strings.Contains(src, `"`+val+`"`) && !strings.Contains(src, name.Name) {
					t.Errorf("reason code %s (%s) is not exercised by any test", val, name.Name)
				}
			}
		}
	}
}

// TestNotifierDelivery: with a Notifier and a URL, due notifications are
// delivered (outside the lock) and marked sent; Close waits for them.
func TestNotifierDelivery(t *testing.T) {
	var mu sync.Mutex
	var got []Notification
	e := newTestEnv(t, func(o *Options) {
		o.NotifyURL = "https://shop.example/ipn"
		o.Notifier = NotifierFunc(func(_ context.Context, n Notification) error {
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
			return nil
		})
	})
	id := e.checkout("AuthorizeWithCapture", "8.00", "USD", "1111", "")
	chID := str(wantStatus(t, e.complete(id, "8.00", "USD"), 200), "chargeId")
	rf := wantStatus(t, e.post("/v2/refunds", `{"chargeId":"`+chID+`","refundAmount":{"amount":"8.00","currencyCode":"USD"}}`), 201)
	e.advance(refundDelay)
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The fully captured OneTime charge permission closed too; each
	// notification is delivered on its own goroutine, in either order.
	got = slices.DeleteFunc(got, func(n Notification) bool {
		return n.ObjectType == "CHARGE_PERMISSION" && n.State == "Closed"
	})
	if len(got) != 1 || got[0].ObjectType != "REFUND" || got[0].ObjectID != str(rf, "refundId") || got[0].URL != "https://shop.example/ipn" {
		t.Fatalf("delivered %+v", got)
	}
	if m := got[0].Message(); m["NotificationVersion"] != "V2" || m["ObjectId"] != got[0].ObjectID {
		t.Fatalf("message %v", m)
	}
	for _, n := range e.srv.Notifications() {
		if n.Status != "sent" {
			t.Fatalf("recorded %+v", n)
		}
	}
}
