package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore"
	"github.com/apaykit/apaykit/shop/subscriptions"
	"github.com/apaykit/apaykit/shop/throttle"
)

// apay subscriptions renew --due charges the due subscription once and
// prints "n/m done" lines when stdout is not a terminal; apay jobs shows
// the outbox.
func TestSubscriptionsRenewDue(t *testing.T) {
	ctx := context.Background()
	srv := amazonpaytest.NewServer(t)
	dbPath := filepath.Join(t.TempDir(), "shop.db")
	db, err := sqlstore.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The subscription was bought 31 days ago (shop clock), so it is due now.
	db.Now = func() time.Time { return time.Now().Add(-31 * 24 * time.Hour) }
	lim, _ := throttle.New(throttle.Config{Store: db, Account: shop.ThrottleAccount(srv.MerchantID, true)})
	svc, err := subscriptions.New(subscriptions.Config{Store: db, Client: srv.Client, Limiter: lim, StoreID: "store", Now: db.Now})
	if err != nil {
		t.Fatal(err)
	}
	plan := shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 1500}
	p := &shop.Product{SKU: "S", Name: "S", Price: 1500, Currency: "USD", Active: true, Plan: &plan}
	if err := db.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	co, err := svc.StartSubscribe(ctx, p.ID, subscriptions.ReturnURLs{Review: "https://s.example/r", Result: "https://s.example/x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.BuyerSignIn(ctx, co.CheckoutSessionID, amazonpaytest.Buyer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Confirm(ctx, co.CheckoutSessionID); err != nil {
		t.Fatal(err)
	}
	sub, err := svc.CompleteCheckout(ctx, co.CheckoutSessionID)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(srv.PrivateKey)
	env := map[string]string{
		"APAY_PUBLIC_KEY_ID": srv.PublicKeyID,
		"APAY_PRIVATE_KEY":   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"APAY_ENDPOINT":      srv.URL,
		"APAY_REGION":        "us",
		"APAY_MERCHANT_ID":   srv.MerchantID,
		"APAY_DB":            dbPath,
	}
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Execute(ctx, Process{Args: args, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
		return code, out.String() + errb.String()
	}
	if code, out := run("subscriptions", "renew"); code != ExitUsage {
		t.Fatalf("renew without --due: %d %s", code, out)
	}
	code, out := run("subscriptions", "renew", "--due")
	if code != ExitOK || !strings.Contains(out, "1 subscriptions due") || !strings.Contains(out, "1/1 done") {
		t.Fatalf("renew --due = %d\n%s", code, out)
	}
	got, _ := db.Subscription(ctx, sub.ID)
	if got.PeriodsPaid != 2 {
		t.Fatalf("periods paid %d", got.PeriodsPaid)
	}
	if code, out := run("jobs"); code != ExitOK || !strings.Contains(out, "renew_subscription") {
		t.Fatalf("jobs = %d\n%s", code, out)
	}
	if code, out := run("jobs", "list", "--status", "succeeded"); code != ExitOK || !strings.Contains(out, "renew_subscription  succeeded") {
		t.Fatalf("jobs list = %d\n%s", code, out)
	}
	// Nothing left: a second run charges nothing.
	if code, out := run("subscriptions", "renew", "--due"); code != ExitOK || !strings.Contains(out, "0 subscriptions due") {
		t.Fatalf("second renew = %d\n%s", code, out)
	}
	if code, out := run("jobs", "quota", "CreateCharge"); code != ExitOK || !strings.Contains(out, "burst 2, restore 1.000/s (") {
		t.Fatalf("jobs quota = %d\n%s", code, out)
	}
	if code, out := run("jobs", "quota", "CreateCharge", "10", "2.5"); code != ExitOK || !strings.Contains(out, "burst 10, restore 2.500/s (shared bucket)") {
		t.Fatalf("jobs quota set = %d\n%s", code, out)
	}
	if code, _ := run("jobs", "quota", "CreateCharge", "0", "x"); code != ExitUsage {
		t.Fatalf("bad quota = %d", code)
	}
	if strings.Contains(out, "PRIVATE KEY") {
		t.Fatal("secret in output")
	}
}
