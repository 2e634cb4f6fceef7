package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// The subscription part is mounted: /metrics, the admin pages behind the
// login, the REST endpoints behind API keys, and a job runner that runs
// while the shop serves.
func TestSubscriptionsMounted(t *testing.T) {
	srv := amazonpaytest.NewServer(t)
	db := sqlstoretest.SQLite(t)
	db.Now = time.Now
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	a, err := New(context.Background(), Config{Store: db, Client: srv.Client, BaseURL: base, StoreID: "store", MerchantID: srv.MerchantID,
		ReconcileInterval: -1, PaymentsReconcileInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{}, 1)
	a.Jobs.Handle("ping", func(context.Context, *shop.Job) error { ran <- struct{}{}; return nil })
	if _, err := db.Enqueue(context.Background(), &shop.Job{Kind: "ping"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, l) }()
	defer func() { cancel(); <-done }()
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the job runner did not run a due job")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "apay_job_runs_total") || !strings.Contains(body, "apay_throttle_429_total") {
		t.Fatalf("/metrics = %d\n%s", code, body)
	}
	if code, _ := get("/admin/subscriptions"); code == 200 {
		t.Fatal("admin page without login")
	}
	if code, _ := get("/api/v1/subscriptions/due"); code != http.StatusUnauthorized {
		t.Fatalf("REST without key = %d", code)
	}
	if code, _ := get("/subscriptions/1?t=x"); code != http.StatusNotFound {
		t.Fatalf("forged customer link = %d", code)
	}
}
