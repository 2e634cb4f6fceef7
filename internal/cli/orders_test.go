package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// ordersShop is a shop REST API against the emulator, and the environment
// apay orders needs to reach it.
func ordersShop(t *testing.T) (*paymentstest.Env, map[string]string) {
	t.Helper()
	db := sqlstoretest.SQLite(t)
	env := paymentstest.New(t, db)
	api, err := restapi.New(restapi.Config{Payments: env.Service})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	_, token, err := db.CreateAPIKey(context.Background(), "cli", []shop.Scope{shop.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	return env, map[string]string{EnvShopURL: srv.URL, EnvShopAPIKey: token}
}

func TestOrdersCommand(t *testing.T) {
	ctx := context.Background()
	env, vars := ordersShop(t)
	o := env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
	other := env.Order(ctx, paymentstest.OrderOptions{Total: 2000})
	id := fmt.Sprint(o.ID)

	r := run(t, vars, "", "orders", "list")
	if r.code != 0 || !strings.Contains(r.stdout, o.Number) || !strings.Contains(r.stdout, "authorized") || !strings.Contains(r.stdout, "STATUS") {
		t.Fatalf("list: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, vars, "", "orders", "capture", id, "--amount", "30.00", "--reason", "first box", "--idempotency-key", "cli-cap")
	if r.code != 0 || !strings.Contains(r.stdout, "capture: done") || !strings.Contains(r.stdout, "partially_captured") {
		t.Fatalf("capture: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// The same key again: replayed, nothing captured twice.
	r = run(t, vars, "", "orders", "capture", id, "--amount", "30.00", "--reason", "first box", "--idempotency-key", "cli-cap", "-o", "json")
	var res restapi.OperationResult
	if err := json.Unmarshal([]byte(r.stdout), &res); r.code != 0 || err != nil || !res.Replayed || !*res.Captured {
		t.Fatalf("replay: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, vars, "", "orders", "refund", o.Number, "--amount", "10.00")
	if r.code != 0 || !strings.Contains(r.stdout, "RefundInitiated") {
		t.Fatalf("refund: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, vars, "", "orders", "show", id)
	if r.code != 0 || !strings.Contains(r.stdout, "partially_refunded") || !strings.Contains(r.stdout, "History") || !strings.Contains(r.stdout, "CaptureCharge") {
		t.Fatalf("show: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// The capture's reason is in the history, on the capture's lines.
	if !strings.Contains(r.stdout, "MERCHANT REASON") || !regexpLine(r.stdout, `movement\s+capture\s+succeeded\s+30\.00\s+\S+\s+-\s+first box`) {
		t.Fatalf("show lacks the capture's reason: %s", r.stdout)
	}
	r = run(t, vars, "", "orders", "cancel", fmt.Sprint(other.ID), "--reason", "out of stock")
	if r.code != 0 || !strings.Contains(r.stdout, "Canceled") {
		t.Fatalf("cancel: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, vars, "", "orders", "list", "--status", "canceled", "-o", "json")
	var list restapi.OrderList
	if err := json.Unmarshal([]byte(r.stdout), &list); r.code != 0 || err != nil || len(list.Orders) != 1 || list.Orders[0].ID != other.ID {
		t.Fatalf("list canceled: %d %s %s", r.code, r.stdout, r.stderr)
	}

	// Refusals: exit 1 with Amazon Pay's code; JSON on stdout with -o json.
	r = run(t, vars, "", "orders", "capture", id, "--amount", "999.00")
	if r.code != 1 || !strings.Contains(r.stderr, "InvalidChargeStatus") {
		t.Fatalf("refused capture: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, vars, "", "orders", "refund", id, "--amount", "-1", "-o", "json")
	if r.code != 1 || !strings.Contains(r.stdout, `"code":"InvalidParameterValue"`) {
		t.Fatalf("bad amount: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, vars, "", "orders", "show", "999999")
	if r.code != 1 || !strings.Contains(r.stderr, "order_not_found") {
		t.Fatalf("unknown order: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr+r.stdout, vars[EnvShopAPIKey]) {
		t.Fatal("the API key was printed")
	}
}

// regexpLine reports whether a line of s matches pattern.
func regexpLine(s, pattern string) bool {
	re := regexp.MustCompile(pattern)
	for _, line := range strings.Split(s, "\n") {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

// TestCellText: merchant text cannot break a table or reach the terminal
// as control sequences.
func TestCellText(t *testing.T) {
	if got := cellText("a\tb\nc\x1b[31md"); got != "a b c [31md" {
		t.Fatalf("cellText = %q", got)
	}
}

func TestOrdersCommandUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"no key", map[string]string{}, []string{"orders", "list"}},
		{"bad output", map[string]string{EnvShopAPIKey: "apay_x"}, []string{"orders", "list", "-o", "yaml"}},
		{"bad shop URL", map[string]string{EnvShopAPIKey: "apay_x"}, []string{"orders", "list", "--shop", "ftp://x"}},
		{"no order", map[string]string{EnvShopAPIKey: "apay_x"}, []string{"orders", "capture"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := run(t, tt.env, "", tt.args...); r.code != ExitUsage {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
		})
	}
}

// TestOrdersCommandRetries: an operation the shop could not finish (Amazon
// Pay unavailable) is retried with the same Idempotency-Key and captures
// once.
func TestOrdersCommandRetries(t *testing.T) {
	ctx := context.Background()
	env, vars := ordersShop(t)
	o := env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
	env.Fault(ctx, paymentstest.Fault{Operation: "CaptureCharge", Status: 503, Count: 5})
	r := run(t, vars, "", "orders", "capture", fmt.Sprint(o.ID), "-o", "json")
	var res restapi.OperationResult
	if err := json.Unmarshal([]byte(r.stdout), &res); r.code != 0 || err != nil || !*res.Captured {
		t.Fatalf("capture: %d %s %s", r.code, r.stdout, r.stderr)
	}
	ch := env.Charge(ctx, res.ChargeID)
	if ch.State() != amazonpay.ChargeCaptured {
		t.Fatalf("charge %s", ch.State())
	}
}
