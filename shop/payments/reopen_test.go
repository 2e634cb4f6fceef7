package payments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// declineNext makes the emulator refuse the next CreateCharge with
// reasonCode (a synchronous decline).
func declineNext(t *testing.T, env *paymentstest.Env, reasonCode string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"operation": "CreateCharge", "count": 1, "status": 422, "reasonCode": reasonCode})
	resp, err := http.Post(env.Amazon.URL+"/_emulator/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("fault: %d", resp.StatusCode)
	}
}

// TestAuthorizeAfterCloseAuthorization: canceling the authorization leaves
// the charge permission Chargeable, so the canceled order can be authorized
// (or authorized and captured) again on it, once at a time, within its
// total; the history shows the cancel and the new authorization.
func TestAuthorizeAfterCloseAuthorization(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)

		o := env.Order(ctx, paymentstest.OrderOptions{Total: 8000})
		first, err := db.Payment(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := env.Service.CloseAuthorization(ctx, o.ID, payments.Request{IdempotencyKey: "cancel", Reason: "customer asked to wait"})
		if err != nil || res.Order.Status != shop.StatusCanceled || res.Payment.ChargePermissionState != "Chargeable" {
			t.Fatalf("close-authorization: %+v %v", res, err)
		}
		// Above the total: refused before anything is sent.
		if _, err := env.Service.Authorize(ctx, o.ID, payments.Request{Amount: 8001}); code(t, err) != string(amazonpay.ReasonTransactionAmountExceeded) {
			t.Fatalf("authorize above the total: %v", err)
		}
		if c := calls(t, env, o.ID)["CreateCharge"]; c != 0 {
			t.Fatalf("%d CreateCharge calls", c)
		}
		res, err = env.Service.Authorize(ctx, o.ID, payments.Request{IdempotencyKey: "again", Reason: "customer is ready"})
		if err != nil {
			t.Fatalf("authorize after close-authorization: %v", err)
		}
		if res.Order.Status != shop.StatusAuthorized || res.Order.Authorized != 8000 || res.Charge.ID == first.Charges[0].ID || res.Charge.State != shop.ChargeAuthorized {
			t.Fatalf("after re-authorization: %s authorized %d, charge %+v", res.Order.Status, res.Order.Authorized, res.Charge)
		}
		// One open authorization at a time.
		if _, err := env.Service.Authorize(ctx, o.ID, payments.Request{IdempotencyKey: "twice"}); code(t, err) != string(amazonpay.ReasonInvalidChargePermissionStatus) {
			t.Fatalf("second authorization: %v", err)
		}
		res, err = env.Service.Capture(ctx, o.ID, payments.Request{IdempotencyKey: "capture"})
		if err != nil || res.Order.Status != shop.StatusCaptured || res.Order.Captured != 8000 {
			t.Fatalf("capture: %+v %v", res, err)
		}
		if c := calls(t, env, o.ID); c["CreateCharge"] != 1 || c["CaptureCharge"] != 1 || c["CancelCharge"] != 1 {
			t.Fatalf("calls %v", c)
		}
		h, err := payments.History(ctx, db, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for _, e := range h {
			if e.Kind == payments.HistoryMovement && e.Status == "succeeded" {
				ops = append(ops, e.Operation+": "+e.Reason)
			}
		}
		if want := []string{"cancel: customer asked to wait", "authorize: customer is ready", "capture: "}; !equal(ops, want) {
			t.Fatalf("history movements %q, want %q", ops, want)
		}

		// authorize-and-capture on a canceled order, for part of it.
		o2 := env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
		if _, err := env.Service.CloseAuthorization(ctx, o2.ID, payments.Request{}); err != nil {
			t.Fatal(err)
		}
		res, err = env.Service.AuthorizeAndCapture(ctx, o2.ID, payments.Request{Amount: 2000})
		if err != nil || res.Order.Status != shop.StatusPartiallyCaptured || res.Order.Captured != 2000 || res.Order.Authorized != 0 {
			t.Fatalf("authorize-and-capture: %+v %v", res, err)
		}
	})
}

// TestAuthorizeAfterCloseAuthorizationDeclined: a declined re-authorization
// leaves the order canceled and, the charge permission still Chargeable
// (a soft decline), it may be tried again.
func TestAuthorizeAfterCloseAuthorizationDeclined(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 3000})
		if _, err := env.Service.CloseAuthorization(ctx, o.ID, payments.Request{}); err != nil {
			t.Fatal(err)
		}
		declineNext(t, env, "SoftDeclined")
		if _, err := env.Service.Authorize(ctx, o.ID, payments.Request{IdempotencyKey: "try-1"}); code(t, err) != "SoftDeclined" {
			t.Fatalf("declined authorize: %v", err)
		}
		if got := mustOrder(t, env, o.ID); got.Status != shop.StatusCanceled || got.Authorized != 0 {
			t.Fatalf("after the decline: %s authorized %d", got.Status, got.Authorized)
		}
		res, err := env.Service.Authorize(ctx, o.ID, payments.Request{IdempotencyKey: "try-2"})
		if err != nil || res.Order.Status != shop.StatusAuthorized {
			t.Fatalf("second try: %+v %v", res, err)
		}
	})
}

// TestCanceledStaysFinal: after the charge permission is closed, or for an
// order whose checkout never produced a charge, authorize is refused with
// InvalidChargePermissionStatus and nothing is sent to Amazon Pay.
func TestCanceledStaysFinal(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)

		closed := env.Order(ctx, paymentstest.OrderOptions{Total: 3000})
		if _, err := env.Service.CloseAuthorization(ctx, closed.ID, payments.Request{}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Service.Close(ctx, closed.ID, payments.Request{Reason: "done"}); err != nil {
			t.Fatal(err)
		}
		before := calls(t, env, closed.ID)
		for _, run := range []func(context.Context, int64, payments.Request) (*payments.Result, error){env.Service.Authorize, env.Service.AuthorizeAndCapture} {
			if _, err := run(ctx, closed.ID, payments.Request{}); code(t, err) != string(amazonpay.ReasonInvalidChargePermissionStatus) {
				t.Fatalf("authorize after close: %v", err)
			}
		}
		if after := calls(t, env, closed.ID); !equalCounts(before, after) {
			t.Fatalf("calls went to Amazon Pay: %v → %v", before, after)
		}

		// Closed with cancelPendingCharges while authorized: canceled, final.
		withPending := env.Order(ctx, paymentstest.OrderOptions{Total: 3000})
		res, err := env.Service.Close(ctx, withPending.ID, payments.Request{CancelPendingCharges: true})
		if err != nil || res.Order.Status != shop.StatusCanceled {
			t.Fatalf("close with pending charges: %+v %v", res, err)
		}
		if _, err := env.Service.Authorize(ctx, withPending.ID, payments.Request{}); code(t, err) != string(amazonpay.ReasonInvalidChargePermissionStatus) {
			t.Fatalf("authorize after close with pending charges: %v", err)
		}

		// A Confirm-only checkout canceled unpaid (the merchant applies
		// EventCanceled; no charge exists): final although the charge
		// permission is Chargeable.
		unpaid := env.Order(ctx, paymentstest.OrderOptions{Total: 3000, Intent: amazonpay.PaymentIntentConfirm})
		err = db.WithTx(ctx, func(tx shop.Tx) error {
			o, err := tx.LockOrder(ctx, unpaid.ID)
			if err != nil {
				return err
			}
			if err := o.Apply(shop.OrderEvent{Kind: shop.EventCanceled}); err != nil {
				return err
			}
			return tx.UpdateOrder(ctx, o)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Service.Authorize(ctx, unpaid.ID, payments.Request{}); code(t, err) != string(amazonpay.ReasonInvalidChargePermissionStatus) {
			t.Fatalf("authorize of an order canceled unpaid: %v", err)
		}
		if c := calls(t, env, unpaid.ID)["CreateCharge"]; c != 0 {
			t.Fatalf("%d CreateCharge calls", c)
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
