package payments_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// lockedBuffer is a log sink safe for the service's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// movementReasons maps each movement of an order to its stored reason,
// by operation and client key.
func movementReasons(t *testing.T, env *paymentstest.Env, orderID int64) map[string]string {
	t.Helper()
	ms, err := env.DB.MoneyMovements(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range ms {
		out[string(m.Operation)+" "+m.ClientKey] = m.Reason
	}
	return out
}

// TestReasonStored: every operation stores the merchant's reason with its
// movement, the history shows it, and it never reaches the log.
func TestReasonStored(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		var logs lockedBuffer
		env := paymentstest.New(t, db, func(c *payments.Config) {
			c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 10000, Intent: amazonpay.PaymentIntentConfirm})
		steps := []struct {
			key, reason string
			run         func(context.Context, int64, payments.Request) (*payments.Result, error)
			amount      int64
		}{
			{"a", "reserve stock <a href=x>", env.Service.Authorize, 10000},
			{"c", "first parcel & co", env.Service.Capture, 6000},
			{"r", "damaged — ünïcode", env.Service.Refund, 1000},
			{"x", "order finished", env.Service.Close, 0},
		}
		for _, s := range steps {
			res, err := s.run(ctx, o.ID, payments.Request{IdempotencyKey: s.key, Reason: s.reason, Amount: s.amount})
			if err != nil {
				t.Fatalf("%s: %v", s.key, err)
			}
			if res.Movement == nil || res.Movement.Reason != s.reason {
				t.Fatalf("%s: result movement %+v", s.key, res.Movement)
			}
		}
		got := movementReasons(t, env, o.ID)
		want := map[string]string{"authorize a": steps[0].reason, "capture c": steps[1].reason, "refund r": steps[2].reason, "close x": steps[3].reason}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("movement %s: reason %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		// A cancel of another order's authorization, and an operation
		// without a reason.
		o2 := env.Order(ctx, paymentstest.OrderOptions{Total: 3000})
		if _, err := env.Service.CloseAuthorization(ctx, o2.ID, payments.Request{IdempotencyKey: "k", Reason: "out of stock"}); err != nil {
			t.Fatal(err)
		}
		if r := movementReasons(t, env, o2.ID); r["cancel k"] != "out of stock" {
			t.Fatalf("cancel reason: %v", r)
		}

		h, err := payments.History(ctx, env.DB, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, e := range h {
			if e.Kind == payments.HistoryCall && e.Reason != "" {
				t.Fatalf("a call carries a reason: %+v", e)
			}
			if e.Kind == payments.HistoryMovement {
				seen[e.Operation+" "+e.Reason]++
			}
		}
		for op, i := range map[string]int{"authorize": 0, "capture": 1, "refund": 2, "close": 3} {
			if seen[op+" "+steps[i].reason] != 2 { // requested and succeeded
				t.Errorf("history: %s with its reason %d times: %v", op, seen[op+" "+steps[i].reason], seen)
			}
		}

		// A refusal by Amazon Pay is logged, without the reason.
		o3 := env.Order(ctx, paymentstest.OrderOptions{Total: 2000})
		env.Fault(ctx, paymentstest.Fault{Operation: "CaptureCharge", Status: 422, Count: 1})
		if _, err := env.Service.Capture(ctx, o3.ID, payments.Request{IdempotencyKey: "refused", Reason: "secret-ish merchant note"}); err == nil {
			t.Fatal("capture succeeded through the fault")
		}
		if !strings.Contains(logs.String(), "refused") {
			t.Fatalf("no refusal logged:\n%s", logs.String())
		}
		if r := movementReasons(t, env, o3.ID); r["capture refused"] != "secret-ish merchant note" {
			t.Fatalf("refused capture's reason: %v", r)
		}
		for _, s := range append(steps, struct {
			key, reason string
			run         func(context.Context, int64, payments.Request) (*payments.Result, error)
			amount      int64
		}{reason: "secret-ish merchant note"}, struct {
			key, reason string
			run         func(context.Context, int64, payments.Request) (*payments.Result, error)
			amount      int64
		}{reason: "out of stock"}) {
			if strings.Contains(logs.String(), s.reason) {
				t.Fatalf("the reason %q was logged:\n%s", s.reason, logs.String())
			}
		}
	})
}

// TestReasonSurvivesCrashAndReplay: the reason is written before Amazon
// Pay is called, so a movement left pending (no answer) has it; the retry
// with the same key but another reason resumes the movement, is not
// refused, and keeps the first reason. A replay of the finished movement
// with yet another reason answers with the first one too.
func TestReasonSurvivesCrashAndReplay(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
		// As many failures as the client makes attempts (see the REST
		// API's TestAmazonFaults): the call gets no answer.
		env.Fault(ctx, paymentstest.Fault{Operation: "CaptureCharge", Status: 503, Count: 4})
		_, err := env.Service.Capture(ctx, o.ID, payments.Request{IdempotencyKey: "flaky", Amount: 5000, Reason: "first words"})
		if err == nil {
			t.Fatal("capture succeeded through the fault")
		}
		ms, err := env.DB.MoneyMovements(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].Status != shop.MovementPending || ms[0].Reason != "first words" {
			t.Fatalf("pending movement: %+v", ms)
		}
		res, err := env.Service.Capture(ctx, o.ID, payments.Request{IdempotencyKey: "flaky", Amount: 5000, Reason: "second thoughts"})
		for i := 0; i < 3 && err != nil && payments.AsError(err).Status == 503; i++ {
			// Should the fault outlast the first request's attempts.
			res, err = env.Service.Capture(ctx, o.ID, payments.Request{IdempotencyKey: "flaky", Amount: 5000, Reason: "second thoughts"})
		}
		if err != nil {
			t.Fatalf("retry with another reason: %v", err)
		}
		if res.Movement.Reason != "first words" || res.Order.Captured != 5000 {
			t.Fatalf("retry: movement %+v, captured %d", res.Movement, res.Order.Captured)
		}
		again, err := env.Service.Capture(ctx, o.ID, payments.Request{IdempotencyKey: "flaky", Reason: "third"})
		if err != nil || !again.Replayed || again.Movement.Reason != "first words" {
			t.Fatalf("replay: %+v %v", again, err)
		}
		if r := movementReasons(t, env, o.ID); len(r) != 1 || r["capture flaky"] != "first words" {
			t.Fatalf("movements: %v", r)
		}
		if c := calls(t, env, o.ID)["CaptureCharge"]; c < 1 {
			t.Fatalf("%d CaptureCharge calls", c)
		}
		if ch := env.Charge(ctx, res.Charge.ID); ch.CaptureAmount.Amount != "50.00" {
			t.Fatalf("captured at Amazon Pay: %s", ch.CaptureAmount.Amount)
		}
	})
}

// TestReasonValidation: too long, invalid UTF-8 or NUL is refused before
// anything is recorded or sent.
func TestReasonValidation(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
		for _, reason := range []string{strings.Repeat("x", 256), "bad \xff byte", "nul \x00 char"} {
			_, err := env.Service.Capture(ctx, o.ID, payments.Request{Reason: reason})
			if code(t, err) != string(amazonpay.ReasonInvalidParameterValue) {
				t.Fatalf("reason %q: %v", reason, err)
			}
		}
		if r := movementReasons(t, env, o.ID); len(r) != 0 {
			t.Fatalf("movements recorded: %v", r)
		}
		if _, err := env.Service.Capture(ctx, o.ID, payments.Request{Reason: strings.Repeat("é", 127)}); err != nil {
			t.Fatalf("254-byte reason: %v", err)
		}
	})
}
