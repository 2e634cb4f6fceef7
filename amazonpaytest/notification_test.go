package amazonpaytest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/amazonpay/notification/notificationtest"
	"github.com/apaykit/apaykit/amazonpaytest"
)

func TestSignedNotification(t *testing.T) {
	msg := notification.Message{ObjectType: notification.ObjectTypeRefund, ObjectID: "S01-1111111-2222222-R000001", ChargePermissionID: "S01-1111111-2222222"}
	req, v := amazonpaytest.SignedNotification(t, msg, notificationtest.WithSignatureVersion(notification.SignatureVersion1))
	var got *notification.Notification
	h := notification.Handler(v, func(_ context.Context, n *notification.Notification) error {
		got = n
		return nil
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || got == nil || got.ObjectID != msg.ObjectID || got.NotificationType != notification.NotificationTypeStateChange ||
		got.NotificationVersion != "V2" || got.NotificationID == "" || got.Envelope.SignatureVersion != "1" {
		t.Fatalf("%d %+v", rec.Code, got)
	}

	// Another test's signer is not trusted.
	forged, _ := amazonpaytest.SignedNotification(t, msg)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, forged)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("a notification from another signer: %d", rec.Code)
	}
}

// TestNotifyTo: the in-process emulator delivers a refund's notification
// to the merchant's endpoint, and the SDK's verifier accepts it.
func TestNotifyTo(t *testing.T) {
	srv := amazonpaytest.NewServer(t)
	var (
		mu  sync.Mutex
		got []string
		v   *notification.Verifier
	)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		notification.Handler(v, func(_ context.Context, n *notification.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, string(n.ObjectType)+" "+n.ObjectID)
			return nil
		}).ServeHTTP(w, r)
	}))
	t.Cleanup(endpoint.Close)
	v = srv.NotifyTo(t, endpoint.URL)

	ctx := t.Context()
	id := checkout(t, srv, amazonpay.PaymentIntentAuthorizeWithCapture, "30.00", amazonpaytest.Buyer{})
	done, _, err := srv.Client.CheckoutSessions.Complete(ctx, id, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: usd(t, "30.00")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.InjectNotificationFault(ctx, "duplicate", 10, ""); err != nil {
		t.Fatal(err)
	}
	rf, _, err := srv.Client.Refunds.Create(ctx, &amazonpay.CreateRefundRequest{ChargeID: done.ChargeID, RefundAmount: usd(t, "5.00")}, amazonpay.WithIdempotencyKey("notify-refund"))
	if err != nil {
		t.Fatal(err)
	}
	srv.AdvanceClock(time.Minute)
	if err := srv.FlushNotifications(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "REFUND " + rf.RefundID
	n := 0
	for _, g := range got {
		if g == want {
			n++
		}
	}
	if n != 2 || !slices.Contains(got, want) {
		t.Fatalf("endpoint got %v, want %q twice (duplicate fault)", got, want)
	}
	for _, nt := range srv.Notifications() {
		if nt.ObjectID == rf.RefundID && nt.Status != "sent" {
			t.Errorf("notification %+v", nt)
		}
	}
}
