package app

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/amazonpay/notification/notificationtest"
	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/subscriptions"
)

// The shop's notification endpoint is wired to the subscriptions: a
// CHARGE notification wakes the renewal waiting on that charge; other
// objects wake nothing.
func TestNotificationWakesPendingRenewal(t *testing.T) {
	srv := amazonpaytest.NewServer(t)
	db := sqlstoretest.SQLite(t)
	db.Now = time.Now // the app's services keep the real clock
	ctx := context.Background()
	a, err := New(ctx, Config{Store: db, Client: srv.Client, BaseURL: "http://127.0.0.1:1", StoreID: "store", MerchantID: srv.MerchantID,
		ReconcileInterval: -1, PaymentsReconcileInterval: -1, Notifications: notificationtest.NewSigner(t).Verifier()})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(10 * time.Minute).UTC().Truncate(time.Microsecond)
	j := &shop.Job{Kind: subscriptions.KindRenew, RunAt: later,
		Payload: json.RawMessage(`{"subscription_id":1,"period":2,"pending_charge_id":"S01-1111111-1111111-C111111"}`)}
	if _, err := db.Enqueue(ctx, j); err != nil {
		t.Fatal(err)
	}
	runAt := func() time.Time {
		got, err := db.Job(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.RunAt
	}
	for _, n := range []*notification.Notification{
		{Message: notification.Message{ObjectType: notification.ObjectTypeRefund, ObjectID: "S01-1111111-1111111-C111111"}},
		{Message: notification.Message{ObjectType: notification.ObjectTypeCharge, ObjectID: "S01-2222222-2222222-C222222"}},
	} {
		if err := a.afterNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		if !runAt().Equal(later) {
			t.Fatalf("%s %s woke the renewal", n.ObjectType, n.ObjectID)
		}
	}
	n := &notification.Notification{Message: notification.Message{ObjectType: notification.ObjectTypeCharge, ObjectID: "S01-1111111-1111111-C111111"}}
	if err := a.afterNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	if got := runAt(); got.After(time.Now()) || time.Since(got) > time.Minute {
		t.Fatalf("renewal runs at %v after the notification, want now (%v)", got, time.Now())
	}
}
