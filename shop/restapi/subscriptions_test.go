package restapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/subscriptions"
	"github.com/apaykit/apaykit/shop/throttle"
)

// The subscription endpoints: read one, change its plan (bad input
// refused), cancel it (closing the permission through a job), and the
// renewal trigger; keys without the write scope are refused.
func TestSubscriptionEndpoints(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.SQLite(t)
	srv := amazonpaytest.NewServer(t)
	pay, err := payments.New(payments.Config{Store: db, Client: srv.Client, Now: db.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	api, err := New(Config{Payments: pay})
	if err != nil {
		t.Fatal(err)
	}
	lim, _ := throttle.New(throttle.Config{Store: db, Account: shop.ThrottleAccount(srv.MerchantID, true)})
	svc, err := subscriptions.New(subscriptions.Config{Store: db, Client: srv.Client, Limiter: lim, StoreID: "store", Now: db.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.Register(mux)
	api.RegisterSubscriptions(mux, svc)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	_, writeTok, _ := db.CreateAPIKey(ctx, "w", []shop.Scope{shop.ScopeRead, shop.ScopeWrite})
	_, readTok, _ := db.CreateAPIKey(ctx, "r", []shop.Scope{shop.ScopeRead})

	plan := shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 1500}
	p := &shop.Product{SKU: "S", Name: "S", Price: 1500, Currency: "USD", Active: true, Plan: &plan}
	big := shop.BillingPlan{Unit: shop.PeriodDay, Count: 1, Amount: 5000} // 31 × 50 > 1,000 a month
	pBig := &shop.Product{SKU: "BIG", Name: "Big", Price: 5000, Currency: "USD", Active: true, Plan: &big}
	for _, x := range []*shop.Product{p, pBig} {
		if err := db.CreateProduct(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	co, err := svc.StartSubscribe(ctx, p.ID, subscriptions.ReturnURLs{Review: "https://s.example/r", Result: "https://s.example/x"})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = srv.BuyerSignIn(ctx, co.CheckoutSessionID, amazonpaytest.Buyer{})
	_, _ = srv.Confirm(ctx, co.CheckoutSessionID)
	sub, err := svc.CompleteCheckout(ctx, co.CheckoutSessionID)
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	id := "/api/v1/subscriptions/" + strconv.FormatInt(sub.ID, 10)
	if code, m := call("GET", id, readTok, ""); code != 200 || m["status"] != "active" || m["amount"] != "15.00" || m["monthly_usage"] != "15.00" || m["monthly_limit"] != "1000.00" {
		t.Fatalf("GET = %d %v", code, m)
	}
	if code, _ := call("GET", "/api/v1/subscriptions/999", readTok, ""); code != 404 {
		t.Fatalf("unknown subscription = %d", code)
	}
	if code, _ := call("POST", id+"/cancel", readTok, ""); code != 403 {
		t.Fatalf("cancel with a read key = %d", code)
	}
	if code, m := call("POST", id+"/plan", writeTok, `{"product_id":`+strconv.FormatInt(pBig.ID, 10)+`}`); code != 400 || !strings.Contains(m["message"].(string), "monthly limit") {
		t.Fatalf("plan above the cap = %d %v", code, m)
	}
	if code, _ := call("POST", id+"/plan", writeTok, `{"product":1}`); code != 400 {
		t.Fatalf("bad body = %d", code)
	}
	if code, m := call("POST", "/api/v1/subscriptions/renewals", writeTok, ""); code != 200 || m["due"] != float64(0) {
		t.Fatalf("renewals = %d %v", code, m)
	}
	db.Clock.Advance(31 * 24 * time.Hour)
	if code, m := call("GET", "/api/v1/subscriptions/due", readTok, ""); code != 200 || len(m["subscriptions"].([]any)) != 1 {
		t.Fatalf("due = %d %v", code, m)
	}
	if code, m := call("POST", id+"/cancel", writeTok, ""); code != 200 || m["status"] != "canceled" || m["next_renewal_at"] != nil {
		t.Fatalf("cancel = %d %v", code, m)
	}
	if code, _ := call("POST", id+"/cancel", writeTok, ""); code != 409 {
		t.Fatalf("second cancel = %d", code)
	}
	js, _ := db.Jobs(ctx, shop.JobFilter{Kind: subscriptions.KindCloseChargePermission})
	if len(js) != 1 {
		t.Fatalf("close jobs %d", len(js))
	}
	_ = amazonpay.ChargePermissionTypeRecurring
}
