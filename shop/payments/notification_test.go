package payments_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/amazonpay/notification/notificationtest"
	"github.com/apaykit/apaykit/emulator"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// ipn is an IPN endpoint under test: the verifying handler in front of
// the service, and a signer its verifier trusts.
type ipn struct {
	t       *testing.T
	signer  *notificationtest.Signer
	handler http.Handler
}

func newIPN(t *testing.T, env *paymentstest.Env) *ipn {
	s := notificationtest.NewSigner(t)
	return &ipn{t: t, signer: s, handler: notification.Handler(s.Verifier(), env.Service.HandleNotification)}
}

// deliver posts a signed envelope carrying the emulator's notification n
// and returns the status.
func (i *ipn) deliver(n emulator.Notification) int {
	i.t.Helper()
	return i.post(i.signer.Sign(message(n)))
}

func (i *ipn) post(body []byte) int {
	i.t.Helper()
	rec := httptest.NewRecorder()
	i.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/amazon-pay/notifications", bytes.NewReader(body)))
	return rec.Code
}

func message(n emulator.Notification) notification.Message {
	return notification.Message{MerchantID: n.MerchantID, ObjectType: notification.ObjectType(n.ObjectType), ObjectID: n.ObjectID,
		ChargePermissionID: n.ChargePermissionID, NotificationType: notification.NotificationType(n.NotificationType),
		NotificationID: n.NotificationID, NotificationVersion: "V2"}
}

// notificationFor returns the emulator's latest notification about
// objectID in state.
func notificationFor(t *testing.T, env *paymentstest.Env, objectID, state string) emulator.Notification {
	t.Helper()
	ns := env.Amazon.Notifications()
	for i := len(ns) - 1; i >= 0; i-- {
		if ns[i].ObjectID == objectID && ns[i].State == state {
			return ns[i]
		}
	}
	t.Fatalf("no notification for %s in %s among %d", objectID, state, len(ns))
	return emulator.Notification{}
}

func TestNotifications(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		in := newIPN(t, env)
		// 0701: the authorization is pending for 30 s.
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 4000, Card: "0701"})
		if o.Status != shop.StatusPaymentPending {
			t.Fatalf("order %s", o.Status)
		}
		chargeID := mustPayment(t, env, o.ID).Charges[0].ID
		env.Amazon.AdvanceClock(31 * time.Second)
		n := notificationFor(t, env, chargeID, "Authorized")

		t.Run("forged signature rejected", func(t *testing.T) {
			body := in.signer.Sign(message(n))
			last := "9"
			if strings.HasSuffix(n.ObjectID, "9") {
				last = "8"
			}
			forged := bytes.Replace(body, []byte(n.ObjectID), []byte(n.ObjectID[:len(n.ObjectID)-1]+last), 1)
			if bytes.Equal(forged, body) {
				t.Fatal("the forgery changed nothing")
			}
			if code := in.post(forged); code != http.StatusForbidden {
				t.Fatalf("forged: %d", code)
			}
			other := notificationtest.NewSigner(t)
			if code := in.post(other.Sign(message(n))); code != http.StatusForbidden {
				t.Fatalf("untrusted signer: %d", code)
			}
			if got := mustOrder(t, env, o.ID); got.Status != shop.StatusPaymentPending {
				t.Fatalf("a refused notification moved the order to %s", got.Status)
			}
		})
		if code := in.deliver(n); code != http.StatusOK {
			t.Fatalf("deliver: %d", code)
		}
		if got := mustOrder(t, env, o.ID); got.Status != shop.StatusAuthorized || got.Authorized != 4000 {
			t.Fatalf("after notification: %s authorized %d", got.Status, got.Authorized)
		}
		t.Run("duplicate ignored", func(t *testing.T) {
			before := calls(t, env, o.ID)["GetCharge"]
			if code := in.deliver(n); code != http.StatusOK {
				t.Fatalf("duplicate: %d", code)
			}
			if after := calls(t, env, o.ID)["GetCharge"]; after != before {
				t.Fatalf("duplicate was processed again (%d → %d Get calls)", before, after)
			}
		})
		t.Run("unknown object acknowledged", func(t *testing.T) {
			m := message(n)
			m.ObjectID, m.NotificationID = "S01-0000000-0000000-C000000", "unknown-1"
			if code := in.post(in.signer.Sign(m)); code != http.StatusOK {
				t.Fatalf("unknown object: %d", code)
			}
		})
	})
}

// TestNotificationsReordered delivers a charge's notifications newest
// first: the older one, arriving late, must not move the order back.
func TestNotificationsReordered(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		in := newIPN(t, env)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 4000, Card: "0701"})
		chargeID := mustPayment(t, env, o.ID).Charges[0].ID
		env.Amazon.AdvanceClock(31 * time.Second)    // Authorized
		env.Amazon.AdvanceClock(31 * 24 * time.Hour) // then expired unused
		authorized := notificationFor(t, env, chargeID, "Authorized")
		canceled := notificationFor(t, env, chargeID, "Canceled")
		if code := in.deliver(canceled); code != http.StatusOK {
			t.Fatalf("deliver: %d", code)
		}
		if code := in.deliver(authorized); code != http.StatusOK {
			t.Fatalf("deliver: %d", code)
		}
		got := mustOrder(t, env, o.ID)
		if got.Status != shop.StatusExpired || got.Authorized != 0 {
			t.Fatalf("order %s authorized %d", got.Status, got.Authorized)
		}
		if c := findCharge(t, env, o.ID, chargeID); c.State != shop.ChargeCanceled || c.ReasonCode != "ExpiredUnused" {
			t.Fatalf("charge %s %s", c.State, c.ReasonCode)
		}
	})
}

// TestReconcilerRecoversLostNotifications: nothing is delivered; the
// reconciler finds the pending authorization and the initiated refund and
// reads them, and it processes a notification whose first processing
// failed.
func TestReconcilerRecoversLostNotifications(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		pending := env.Order(ctx, paymentstest.OrderOptions{Total: 4000, Card: "0701"})
		refunded := env.Order(ctx, paymentstest.OrderOptions{Total: 4000})
		if _, err := env.Service.Capture(ctx, refunded.ID, payments.Request{}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Service.Refund(ctx, refunded.ID, payments.Request{Amount: 1000}); err != nil {
			t.Fatal(err)
		}
		env.Amazon.AdvanceClock(31 * time.Second)
		rep, err := env.Service.Reconcile(ctx)
		if err != nil || rep.Synced != 2 {
			t.Fatalf("reconcile: %+v %v", rep, err)
		}
		if got := mustOrder(t, env, pending.ID); got.Status != shop.StatusAuthorized {
			t.Fatalf("pending order is %s", got.Status)
		}
		if r := mustPayment(t, env, refunded.ID).Refunds[0]; r.State != shop.RefundRefunded {
			t.Fatalf("refund is %s", r.State)
		}
		// Settled objects are not read again.
		if rep, _ := env.Service.Reconcile(ctx); rep.Synced != 0 {
			t.Fatalf("second pass: %+v", rep)
		}

		// A notification whose processing failed (Amazon Pay unreachable)
		// is answered 500 for SNS to retry, and processed by the
		// reconciler if SNS gives up.
		in := newIPN(t, env)
		late := env.Order(ctx, paymentstest.OrderOptions{Total: 4000, Card: "0701"})
		chargeID := mustPayment(t, env, late.ID).Charges[0].ID
		env.Amazon.AdvanceClock(31 * time.Second)
		env.Fault(ctx, paymentstest.Fault{Operation: "GetCharge", Status: 503, Count: 4})
		if code := in.deliver(notificationFor(t, env, chargeID, "Authorized")); code != http.StatusInternalServerError {
			t.Fatalf("deliver with Amazon Pay down: %d", code)
		}
		env.Amazon.AdvanceClock(2 * time.Minute)
		rep, err = env.Service.Reconcile(ctx)
		if err != nil || rep.Notifications != 1 {
			t.Fatalf("reconcile: %+v %v", rep, err)
		}
		if got := mustOrder(t, env, late.ID); got.Status != shop.StatusAuthorized {
			t.Fatalf("order is %s", got.Status)
		}
	})
}

func mustPayment(t *testing.T, env *paymentstest.Env, orderID int64) *shop.Payment {
	t.Helper()
	p, err := env.DB.Payment(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
