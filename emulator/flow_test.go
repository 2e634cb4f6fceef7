package emulator

import (
	"strings"
	"testing"
)

func TestServer_CheckoutAuthorizeCaptureRefund(t *testing.T) {
	e := newTestEnv(t)
	res := e.post("/v2/checkoutSessions", createCSBody)
	cs := wantStatus(t, res, 201)
	id := cs["checkoutSessionId"].(string)
	if got := str(cs, "statusDetails.state"); got != "Open" {
		t.Fatalf("state %q", got)
	}
	if path(cs, "webCheckoutDetails.amazonPayRedirectUrl") != nil {
		t.Fatalf("redirect URL before constraints clear: %v", cs["webCheckoutDetails"])
	}
	cons := cs["constraints"].([]any)
	if len(cons) != 4 || cons[0].(map[string]any)["constraintId"] != "BuyerNotAssociated" {
		t.Fatalf("constraints %v", cons)
	}
	// Update before the buyer step is refused.
	wantError(t, e.do(req{method: "PATCH", path: "/v2/checkoutSessions/" + id, body: `{}`}), 422, "InvalidCheckoutSessionStatus")

	u, err := e.srv.SignIn(id, BuyerInput{})
	if err != nil {
		t.Fatal(err)
	}
	if u != "https://shop.example/review?amazonCheckoutSessionId="+id {
		t.Fatalf("review URL %q", u)
	}
	res = e.do(req{method: "PATCH", path: "/v2/checkoutSessions/" + id, body: `{"webCheckoutDetails":{"checkoutResultReturnUrl":"https://shop.example/result"},"paymentDetails":{"paymentIntent":"Authorize","chargeAmount":{"amount":"14.00","currencyCode":"USD"}}}`})
	cs = wantStatus(t, res, 200)
	if got := str(cs, "webCheckoutDetails.amazonPayRedirectUrl"); got != "http://emulator.test/checkout/processing?amazonCheckoutSessionId="+id {
		t.Fatalf("amazonPayRedirectUrl %q", got)
	}
	if str(cs, "buyer.email") != defaultBuyerEmail || str(cs, "shippingAddress.city") != "Chicago" {
		t.Fatalf("buyer data: %s", res.Body)
	}
	// Complete before the redirect is refused.
	wantError(t, e.complete(id, "14.00", "USD"), 422, "InvalidCheckoutSessionStatus")
	if _, err := e.srv.Confirm(id, false); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.complete(id, "14.01", "USD"), 409, "AmountMismatch")
	cs = wantStatus(t, e.complete(id, "14.00", "USD"), 200)
	if str(cs, "statusDetails.state") != "Completed" || cs["buyer"] != nil {
		t.Fatalf("complete: %v", cs)
	}
	cpID, chID := str(cs, "chargePermissionId"), str(cs, "chargeId")
	if !strings.HasPrefix(cpID, "S01-") || !strings.HasPrefix(chID, cpID+"-C") {
		t.Fatalf("ids %s %s", cpID, chID)
	}
	ch := wantStatus(t, e.get("/v2/charges/"+chID), 200)
	if str(ch, "statusDetails.state") != "Authorized" {
		t.Fatalf("charge %v", ch)
	}
	ch = wantStatus(t, e.post("/v2/charges/"+chID+"/capture", `{"captureAmount":{"amount":"14.00","currencyCode":"USD"}}`), 200)
	if str(ch, "statusDetails.state") != "Captured" || str(ch, "captureAmount.amount") != "14.00" {
		t.Fatalf("capture %v", ch)
	}
	cp := wantStatus(t, e.get("/v2/chargePermissions/"+cpID), 200)
	if str(cp, "statusDetails.state") != "Closed" || str(cp, "limits.amountBalance.amount") != "0.00" {
		t.Fatalf("charge permission after full capture: %v", cp)
	}
	rf := wantStatus(t, e.post("/v2/refunds", `{"chargeId":"`+chID+`","refundAmount":{"amount":"16.10","currencyCode":"USD"}}`), 201)
	if str(rf, "statusDetails.state") != "RefundInitiated" {
		t.Fatalf("refund %v", rf)
	}
	wantError(t, e.post("/v2/refunds", `{"chargeId":"`+chID+`","refundAmount":{"amount":"0.01","currencyCode":"USD"}}`), 400, "TransactionAmountExceeded")
	e.advance(refundDelay)
	rf = wantStatus(t, e.get("/v2/refunds/"+str(rf, "refundId")), 200)
	if str(rf, "statusDetails.state") != "Refunded" {
		t.Fatalf("refund %v", rf)
	}
	ch = wantStatus(t, e.get("/v2/charges/"+chID), 200)
	if str(ch, "refundedAmount.amount") != "16.10" {
		t.Fatalf("refunded %v", ch)
	}
	n := obj(t, e.control("GET", "/_emulator/notifications", ""))
	if len(n["notifications"].([]any)) == 0 {
		t.Fatalf("no notifications")
	}
}
