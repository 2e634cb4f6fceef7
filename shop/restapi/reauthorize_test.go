package restapi_test

import (
	"context"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestAuthorizeAfterCloseAuthorization: authorize, close-authorization,
// authorize again on the Chargeable charge permission, capture: the order
// is captured with exactly one capture at Amazon Pay, and its history
// shows the cancel and the new authorization with their reasons.
func TestAuthorizeAfterCloseAuthorization(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		w := bearer(f.write)
		o := f.env.Order(ctx, paymentstest.OrderOptions{Total: 4200, Intent: amazonpay.PaymentIntentConfirm})

		var first, cancel, again, capture restapi.OperationResult
		r := f.do("POST", opPath(o.ID, "authorize"), w, nil, "Idempotency-Key", "auth-1")
		if r.decode(t, &first); r.status != 200 || !*first.Authorized || first.OrderStatus != "authorized" {
			t.Fatalf("authorize: %d %s", r.status, r.body)
		}
		r = f.do("POST", opPath(o.ID, "close-authorization"), w, map[string]any{"reason": "payment on hold"}, "Idempotency-Key", "cancel-1")
		if r.decode(t, &cancel); r.status != 200 || !*cancel.AuthorizationClosed || cancel.OrderStatus != "canceled" ||
			cancel.ChargePermissionState != "Chargeable" || cancel.Reason != "payment on hold" {
			t.Fatalf("close-authorization: %d %s", r.status, r.body)
		}
		r = f.do("POST", opPath(o.ID, "authorize"), w, map[string]any{"reason": "hold lifted"}, "Idempotency-Key", "auth-2")
		if r.decode(t, &again); r.status != 200 || !*again.Authorized || again.OrderStatus != "authorized" ||
			again.ChargeID == first.ChargeID || again.Amount != "42.00" || again.Reason != "hold lifted" {
			t.Fatalf("authorize after close-authorization: %d %s", r.status, r.body)
		}
		r = f.do("POST", opPath(o.ID, "capture"), w, nil, "Idempotency-Key", "cap-1")
		if r.decode(t, &capture); r.status != 200 || !*capture.Captured || capture.OrderStatus != "captured" || capture.ChargeID != again.ChargeID {
			t.Fatalf("capture: %d %s", r.status, r.body)
		}
		if n := countCalls(t, f, o.ID, "CaptureCharge"); n != 1 {
			t.Fatalf("%d CaptureCharge calls", n)
		}
		if ch := f.env.Charge(ctx, again.ChargeID); ch.State() != amazonpay.ChargeCaptured || ch.CaptureAmount.Amount != "42.00" {
			t.Fatalf("at Amazon Pay: %s %s", ch.State(), ch.CaptureAmount.Amount)
		}
		if ch := f.env.Charge(ctx, first.ChargeID); ch.State() != amazonpay.ChargeCanceled {
			t.Fatalf("first charge at Amazon Pay: %s", ch.State())
		}

		var got restapi.Order
		r = f.do("GET", orderPath(o.ID), bearer(f.read), nil)
		r.decode(t, &got)
		if got.Status != "captured" || got.Captured != "42.00" || len(got.AmazonReference.Charges) != 2 {
			t.Fatalf("order: %s", r.body)
		}
		var steps []string
		for _, h := range got.History {
			if h.Kind == "movement" && h.Status == "succeeded" {
				steps = append(steps, h.Operation+"/"+h.ObjectID+"/"+h.Reason)
			}
		}
		want := []string{"authorize/" + first.ChargeID + "/", "cancel/" + first.ChargeID + "/payment on hold",
			"authorize/" + again.ChargeID + "/hold lifted", "capture/" + again.ChargeID + "/"}
		if len(steps) != len(want) {
			t.Fatalf("history movements %q, want %q", steps, want)
		}
		for i := range want {
			if steps[i] != want[i] {
				t.Fatalf("history movements %q, want %q", steps, want)
			}
		}
	})
}

// TestAuthorizeAfterClose: once the charge permission is closed, a
// canceled order stays canceled: authorize is refused with Amazon Pay's
// reasonCode without any call to Amazon Pay.
func TestAuthorizeAfterClose(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		w := bearer(f.write)
		o := f.env.Order(ctx, paymentstest.OrderOptions{Total: 2500})
		if r := f.do("POST", opPath(o.ID, "close-authorization"), w, nil); r.status != 200 {
			t.Fatalf("close-authorization: %d %s", r.status, r.body)
		}
		var closed restapi.OperationResult
		r := f.do("POST", opPath(o.ID, "close"), w, map[string]any{"reason": "buyer withdrew"})
		if r.decode(t, &closed); r.status != 200 || !*closed.Closed || closed.ChargePermissionState != "Closed" || closed.OrderStatus != "canceled" {
			t.Fatalf("close: %d %s", r.status, r.body)
		}
		before := callCount(t, f, o.ID)
		for _, op := range []string{"authorize", "authorize-and-capture"} {
			r = f.do("POST", opPath(o.ID, op), w, map[string]any{"amount": "25.00"}, "Idempotency-Key", op+"-after-close")
			if r.status != 422 || r.errorCode(t) != string(amazonpay.ReasonInvalidChargePermissionStatus) {
				t.Fatalf("%s after close: %d %s", op, r.status, r.body)
			}
		}
		if after := callCount(t, f, o.ID); after != before {
			t.Fatalf("%d calls went to Amazon Pay", after-before)
		}
		var got restapi.Order
		f.do("GET", orderPath(o.ID), bearer(f.read), nil).decode(t, &got)
		if got.Status != "canceled" || got.Authorized != "0.00" {
			t.Fatalf("order %s authorized %s", got.Status, got.Authorized)
		}
	})
}

// TestReasonReplay: the reason is a note on the movement. Within the REST
// layer's idempotency record a different body, reason included, is a
// different request (422, as for any field); but when the first answer was
// not stored (503: Amazon Pay did not answer) the retry with the same key
// and another reason resumes the movement, is not refused, and the first
// reason is kept, in the answer and in the history.
func TestReasonReplay(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		w := bearer(f.write)
		o := f.env.Order(ctx, paymentstest.OrderOptions{Total: 5000})

		f.env.Fault(ctx, paymentstest.Fault{Operation: "CaptureCharge", Status: 503, Count: 4})
		r := f.do("POST", opPath(o.ID, "capture"), w, map[string]any{"amount": "50.00", "reason": "<b>first</b> parcel"}, "Idempotency-Key", "cap")
		if r.status != 503 {
			t.Fatalf("capture through the fault: %d %s", r.status, r.body)
		}
		var res restapi.OperationResult
		r = f.do("POST", opPath(o.ID, "capture"), w, map[string]any{"amount": "50.00", "reason": "changed my mind"}, "Idempotency-Key", "cap")
		if r.decode(t, &res); r.status != 200 || !*res.Captured || res.Reason != "<b>first</b> parcel" {
			t.Fatalf("retry with another reason: %d %s", r.status, r.body)
		}
		// The answer is stored now: another reason is another request.
		r = f.do("POST", opPath(o.ID, "capture"), w, map[string]any{"amount": "50.00", "reason": "third"}, "Idempotency-Key", "cap")
		if r.status != 422 || r.errorCode(t) != "idempotency_key_reused" {
			t.Fatalf("reuse with another reason: %d %s", r.status, r.body)
		}
		if n := countCalls(t, f, o.ID, "CaptureCharge"); n < 1 {
			t.Fatalf("%d CaptureCharge calls", n)
		}
		if ch := f.env.Charge(ctx, res.ChargeID); ch.CaptureAmount.Amount != "50.00" {
			t.Fatalf("captured at Amazon Pay: %s", ch.CaptureAmount.Amount)
		}
		var got restapi.Order
		f.do("GET", orderPath(o.ID), bearer(f.read), nil).decode(t, &got)
		reasons := map[string]bool{}
		for _, h := range got.History {
			if h.Kind == "movement" {
				reasons[h.Reason] = true
			}
		}
		if !reasons["<b>first</b> parcel"] || reasons["changed my mind"] || reasons["third"] || got.Captured != "50.00" {
			t.Fatalf("history reasons %v, captured %s", reasons, got.Captured)
		}
	})
}
