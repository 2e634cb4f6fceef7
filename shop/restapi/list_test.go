package restapi_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestListOrders checks every filter and the cursor pagination.
func TestListOrders(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		// The store keeps its own clock here, so created times are set.
		f := newFixture(t, db)
		db.DB.Now = db.Clock.Now
		start := db.Clock.Now()
		pay := f.env.Service

		authorized := f.env.Order(ctx, paymentstest.OrderOptions{})
		db.Clock.Advance(time.Hour)
		captured := f.env.Order(ctx, paymentstest.OrderOptions{Intent: amazonpay.PaymentIntentAuthorizeWithCapture})
		db.Clock.Advance(time.Hour)
		refunded := f.env.Order(ctx, paymentstest.OrderOptions{Intent: amazonpay.PaymentIntentAuthorizeWithCapture})
		if _, err := pay.Refund(ctx, refunded.ID, payments.Request{Amount: 100}); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Hour)
		canceled := f.env.Order(ctx, paymentstest.OrderOptions{})
		if _, err := pay.CloseAuthorization(ctx, canceled.ID, payments.Request{}); err != nil {
			t.Fatal(err)
		}
		if _, err := pay.Close(ctx, canceled.ID, payments.Request{}); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Hour)
		unpaid := &shop.Order{Currency: "USD", Total: 500, Items: []shop.OrderItem{{ProductID: 1, SKU: "X", Name: "X", UnitPrice: 500, Quantity: 1}}}
		if err := db.CreateOrder(ctx, unpaid); err != nil {
			t.Fatal(err)
		}
		all := []int64{unpaid.ID, canceled.ID, refunded.ID, captured.ID, authorized.ID} // newest first

		tests := []struct {
			query string
			want  []int64
		}{
			{"", all},
			{"status=captured", []int64{captured.ID}},
			{"status=captured,partially_refunded", []int64{refunded.ID, captured.ID}},
			{"status=authorized&status=canceled", []int64{canceled.ID, authorized.ID}},
			{"payment_method=amazon_pay", all[1:]},
			{"filter[_payment_method]=amazon_payments_advanced", all[1:]},
			{"payment_method=none", []int64{unpaid.ID}},
			// A OneTime charge permission captured in full is closed by
			// Amazon Pay (AmazonClosed).
			{"charge_permission_state=Closed", []int64{canceled.ID, refunded.ID, captured.ID}},
			{"charge_permission_state=Chargeable", []int64{authorized.ID}},
			{"charge_state=Authorized", []int64{authorized.ID}},
			{"charge_state=Canceled", []int64{canceled.ID}},
			{"refund_state=RefundInitiated", []int64{refunded.ID}},
			{"refund_state=Refunded", nil},
			{"created_after=" + url.QueryEscape(start.Add(90*time.Minute).Format(time.RFC3339)), all[:3]},
			{"created_before=" + url.QueryEscape(start.Add(90*time.Minute).Format(time.RFC3339)), all[3:]},
			{"status=captured&created_after=" + url.QueryEscape(start.Add(90*time.Minute).Format(time.RFC3339)), nil},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				got := listAll(t, f, tt.query, 0)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		}
		t.Run("cursor pagination", func(t *testing.T) {
			if got := listAll(t, f, "", 2); !slices.Equal(got, all) {
				t.Fatalf("pages of 2: %v, want %v", got, all)
			}
		})
		for _, bad := range []string{"status=shipped", "charge_state=Open", "payment_method=card", "created_after=yesterday", "limit=0", "limit=201", "cursor=xyz"} {
			t.Run("bad "+bad, func(t *testing.T) {
				r := f.do("GET", restapi.Prefix+"/orders?"+bad, bearer(f.read), nil)
				if r.status != 400 || r.errorCode(t) != "InvalidParameterValue" {
					t.Fatalf("%d %s", r.status, r.body)
				}
			})
		}
	})
}

// listAll pages through a listing and returns the order ids.
func listAll(t *testing.T, f *fixture, query string, limit int) []int64 {
	t.Helper()
	var ids []int64
	if limit > 0 {
		query += "&limit=" + itoa(limit)
	}
	path := restapi.Prefix + "/orders?" + query
	for range 20 {
		var page restapi.OrderList
		r := f.do("GET", path, bearer(f.read), nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		r.decode(t, &page)
		if limit > 0 && len(page.Orders) > limit {
			t.Fatalf("page of %d", len(page.Orders))
		}
		for _, o := range page.Orders {
			ids = append(ids, o.ID)
		}
		if page.NextCursor == nil {
			return ids
		}
		if link := r.header.Get("Link"); link == "" {
			t.Fatal("no Link header with a next cursor")
		}
		path = restapi.Prefix + "/orders?" + query + "&cursor=" + *page.NextCursor
	}
	t.Fatal("too many pages")
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestNotificationEndpoint posts IPNs to the shop's endpoint: forged ones
// are refused with 403 and change nothing; a valid one moves the order.
func TestNotificationEndpoint(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.env.Order(ctx, paymentstest.OrderOptions{Card: "0701"})
		p, _ := db.Payment(ctx, o.ID)
		chargeID := p.Charges[0].ID
		f.env.Amazon.AdvanceClock(31 * time.Second)
		msg := notification.Message{ObjectType: notification.ObjectTypeCharge, ObjectID: chargeID, ChargePermissionID: p.ChargePermissionID,
			NotificationType: notification.NotificationTypeStateChange, NotificationID: "n-1", NotificationVersion: "V2"}
		// The message names another notification: the signature no
		// longer matches.
		forged := bytes.Replace(f.signer.Sign(msg), []byte("n-1"), []byte("n-2"), 1)
		if r := f.do("POST", restapi.NotificationPath, "", string(forged)); r.status != http.StatusForbidden {
			t.Fatalf("forged: %d", r.status)
		}
		if r := f.do("POST", restapi.NotificationPath, "", string(f.signer.Sign(msg))); r.status != http.StatusOK {
			t.Fatalf("valid: %d %s", r.status, r.body)
		}
		got, _ := db.Order(ctx, o.ID)
		if got.Status != shop.StatusAuthorized {
			t.Fatalf("order %s", got.Status)
		}
	})
}

// TestAfterNotification: the hook hears each notification the payments
// service processed, not a forged one, and its failure does not make SNS
// deliver again.
func TestAfterNotification(t *testing.T) {
	db := sqlstoretest.SQLite(t)
	ctx := context.Background()
	f := newFixture(t, db)
	var mu sync.Mutex
	var heard []string
	api, err := restapi.New(restapi.Config{Payments: f.env.Service, Notifications: f.signer.Verifier(),
		AfterNotification: func(_ context.Context, n *notification.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			heard = append(heard, string(n.ObjectType)+" "+n.ObjectID)
			return errors.New("subscriptions unavailable")
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	o := f.env.Order(ctx, paymentstest.OrderOptions{Card: "0701"})
	p, _ := db.Payment(ctx, o.ID)
	msg := notification.Message{ObjectType: notification.ObjectTypeCharge, ObjectID: p.Charges[0].ID, ChargePermissionID: p.ChargePermissionID,
		NotificationType: notification.NotificationTypeStateChange, NotificationID: "hook-1", NotificationVersion: "V2"}
	post := func(body []byte) int {
		resp, err := http.Post(srv.URL+restapi.NotificationPath, "text/plain", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(bytes.Replace(f.signer.Sign(msg), []byte("hook-1"), []byte("hook-2"), 1)); code != http.StatusForbidden {
		t.Fatalf("forged: %d", code)
	}
	if code := post(f.signer.Sign(msg)); code != http.StatusOK {
		t.Fatalf("valid: %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"CHARGE " + p.Charges[0].ID}; !slices.Equal(heard, want) {
		t.Fatalf("hook heard %v, want %v", heard, want)
	}
}
