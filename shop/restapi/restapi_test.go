package restapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

func opPath(id int64, op string) string {
	return fmt.Sprintf("%s/orders/%d/amazon-pay/%s", restapi.Prefix, id, op)
}

func orderPath(id int64) string { return fmt.Sprintf("%s/orders/%d", restapi.Prefix, id) }

func TestAuth(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		f := newFixture(t, db)
		o := f.env.Order(context.Background(), paymentstest.OrderOptions{})
		id, secret, _ := shop.ParseAPIKeyToken(f.read)
		tests := []struct {
			name, method, path, auth string
			status                   int
			code                     string
		}{
			{"no credentials", "GET", orderPath(o.ID), "", 401, "rest_unauthorized"},
			{"unknown scheme", "GET", orderPath(o.ID), "Digest x", 401, "rest_unauthorized"},
			{"wrong secret", "GET", orderPath(o.ID), bearer(f.read[:len(f.read)-2] + "xx"), 401, "rest_unauthorized"},
			{"garbage bearer", "GET", orderPath(o.ID), bearer("nope"), 401, "rest_unauthorized"},
			{"bad basic", "GET", orderPath(o.ID), "Basic !!!", 401, "rest_unauthorized"},
			{"bearer read", "GET", orderPath(o.ID), bearer(f.read), 200, ""},
			{"basic key:secret", "GET", orderPath(o.ID), basic("apay_"+id, secret), 200, ""},
			{"basic token:", "GET", orderPath(o.ID), basic(f.read, ""), 200, ""},
			{"read key cannot write", "POST", opPath(o.ID, "capture"), bearer(f.read), 403, "rest_forbidden"},
			{"write key can read", "GET", restapi.Prefix + "/orders", bearer(f.write), 200, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := f.do(tt.method, tt.path, tt.auth, nil)
				if r.status != tt.status {
					t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
				}
				if tt.code != "" && r.errorCode(t) != tt.code {
					t.Fatalf("code %s", r.body)
				}
				if tt.status == 401 && !strings.Contains(r.header.Get("WWW-Authenticate"), "Basic") {
					t.Fatalf("no challenge")
				}
				if strings.Contains(string(r.body), secret) {
					t.Fatalf("secret echoed")
				}
			})
		}
		if got := f.do("GET", restapi.Prefix+"/openapi.json", "", nil); got.status != 200 || !strings.Contains(string(got.body), `"openapi"`) {
			t.Fatalf("openapi.json: %d", got.status)
		}
	})
}

// TestOperations runs every operation through the API against the
// emulator and checks the WooCommerce fields, the Amazon states and the
// order afterwards.
func TestOperations(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		w := bearer(f.write)
		var res restapi.OperationResult

		// authorize a Confirm-only checkout, capture part, refund part.
		o := f.env.Order(ctx, paymentstest.OrderOptions{Total: 10000, Intent: amazonpay.PaymentIntentConfirm})
		r := f.do("POST", opPath(o.ID, "authorize"), w, nil, "Idempotency-Key", "auth-1")
		r.decode(t, &res)
		if r.status != 200 || res.Authorized == nil || !*res.Authorized || res.AmazonAuthorizationID == "" || res.ChargeState != "Authorized" {
			t.Fatalf("authorize: %d %s", r.status, r.body)
		}
		r = f.do("POST", opPath(o.ID, "capture"), w, map[string]any{"amount": "60.00", "reason": "first parcel"}, "Idempotency-Key", "cap-1")
		res = restapi.OperationResult{}
		r.decode(t, &res)
		if r.status != 200 || res.Captured == nil || !*res.Captured || res.AmazonCaptureID != res.ChargeID || res.Amount != "60.00" ||
			res.OrderStatus != "partially_captured" || res.Reason != "first parcel" {
			t.Fatalf("capture: %d %s", r.status, r.body)
		}
		r = f.do("POST", opPath(o.ID, "refund"), w, map[string]any{"amount": 12.5, "reason": "damaged"}, "Idempotency-Key", "ref-1")
		res = restapi.OperationResult{}
		r.decode(t, &res)
		if r.status != 200 || res.Refunded == nil || !*res.Refunded || res.AmazonRefundID == "" || res.RefundState != "RefundInitiated" || res.Amount != "12.50" {
			t.Fatalf("refund: %d %s", r.status, r.body)
		}
		// The order shows it all.
		var got restapi.Order
		r = f.do("GET", orderPath(o.ID), bearer(f.read), nil)
		r.decode(t, &got)
		ref := got.AmazonReference
		if got.Status != "partially_refunded" || got.Captured != "60.00" || got.Refunded != "12.50" || ref == nil ||
			ref.ChargePermissionState != "Chargeable" || ref.CapturedAmount != "60.00" || ref.RefundedAmount != "12.50" ||
			len(ref.ChargeIDs) != 1 || len(ref.RefundIDs) != 1 || ref.Charges[0].State != "Captured" || got.PaymentMethod != "amazon_pay" {
			t.Fatalf("order: %s", r.body)
		}
		if len(got.History) < 6 {
			t.Fatalf("history: %d entries", len(got.History))
		}
		// By number too.
		if r := f.do("GET", restapi.Prefix+"/orders/"+o.Number, bearer(f.read), nil); r.status != 200 {
			t.Fatalf("by number: %d", r.status)
		}

		// authorize-and-capture, then close.
		o2 := f.env.Order(ctx, paymentstest.OrderOptions{Total: 2500, Intent: amazonpay.PaymentIntentConfirm})
		r = f.do("POST", opPath(o2.ID, "authorize-and-capture"), w, nil)
		res = restapi.OperationResult{}
		r.decode(t, &res)
		if r.status != 200 || !*res.Authorized || !*res.Captured || res.AmazonCaptureID != res.AmazonAuthorizationID || res.OrderStatus != "captured" {
			t.Fatalf("authorize-and-capture: %d %s", r.status, r.body)
		}
		r = f.do("POST", opPath(o2.ID, "close"), w, map[string]any{"reason": "done"})
		res = restapi.OperationResult{}
		r.decode(t, &res)
		if r.status != 200 || !*res.Closed || res.OrderStatus != "captured" {
			t.Fatalf("close: %d %s", r.status, r.body)
		}
		// Closed once, it stays closed: the shop refuses without asking.
		r = f.do("POST", opPath(o2.ID, "close"), w, map[string]any{"reason": "again"})
		if r.status != 422 || r.errorCode(t) != "InvalidChargePermissionStatus" {
			t.Fatalf("second close: %d %s", r.status, r.body)
		}

		// close-authorization, then close.
		o3 := f.env.Order(ctx, paymentstest.OrderOptions{Total: 2500})
		r = f.do("POST", opPath(o3.ID, "close-authorization"), w, map[string]any{"reason": "out of stock"})
		res = restapi.OperationResult{}
		r.decode(t, &res)
		if r.status != 200 || !*res.AuthorizationClosed || res.ChargeState != "Canceled" || res.ChargePermissionState != "Chargeable" || res.OrderStatus != "canceled" {
			t.Fatalf("close-authorization: %d %s", r.status, r.body)
		}
		r = f.do("POST", opPath(o3.ID, "close"), w, map[string]any{"reason": "order canceled"})
		res = restapi.OperationResult{}
		r.decode(t, &res)
		if r.status != 200 || !*res.Closed || res.ChargePermissionState != "Closed" {
			t.Fatalf("close: %d %s", r.status, r.body)
		}

		// A pending authorization answers 202.
		o4 := f.env.Order(ctx, paymentstest.OrderOptions{Total: 2500, Card: "0701", Intent: amazonpay.PaymentIntentConfirm})
		r = f.do("POST", opPath(o4.ID, "authorize"), w, nil)
		res = restapi.OperationResult{}
		r.decode(t, &res)
		if r.status != 202 || !res.Pending || res.ChargeState != "AuthorizationInitiated" || *res.Authorized {
			t.Fatalf("pending authorize: %d %s", r.status, r.body)
		}
	})
}

// TestBadInput: every kind of bad request gets the documented error, with
// Amazon Pay's code where Amazon Pay has one, and nothing reaches Amazon Pay.
func TestBadInput(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		w := bearer(f.write)
		authorized := f.env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
		confirmed := f.env.Order(ctx, paymentstest.OrderOptions{Total: 5000, Intent: amazonpay.PaymentIntentConfirm})
		captured := f.env.Order(ctx, paymentstest.OrderOptions{Total: 5000, Intent: amazonpay.PaymentIntentAuthorizeWithCapture})
		tests := []struct {
			name   string
			path   string
			body   any
			status int
			code   string
		}{
			{"unknown order", restapi.Prefix + "/orders/999999/amazon-pay/capture", nil, 404, "order_not_found"},
			{"unknown order number", restapi.Prefix + "/orders/ZZZZ-ZZZZ/amazon-pay/capture", nil, 404, "order_not_found"},
			{"unknown operation", opPath(authorized.ID, "void"), nil, 404, "rest_no_route"},
			{"capture of an unauthorized order", opPath(confirmed.ID, "capture"), nil, 422, "InvalidChargeStatus"},
			{"amount above the authorization", opPath(authorized.ID, "capture"), map[string]any{"amount": "50.01"}, 400, "TransactionAmountExceeded"},
			{"negative amount", opPath(authorized.ID, "capture"), map[string]any{"amount": "-1.00"}, 400, "InvalidParameterValue"},
			{"negative number", opPath(authorized.ID, "capture"), `{"amount": -1}`, 400, "InvalidParameterValue"},
			{"zero amount", opPath(authorized.ID, "capture"), map[string]any{"amount": "0.00"}, 400, "InvalidParameterValue"},
			{"malformed amount", opPath(authorized.ID, "capture"), map[string]any{"amount": "12,50"}, 400, "InvalidParameterValue"},
			{"too many decimals", opPath(authorized.ID, "capture"), `{"amount": 10.005}`, 400, "InvalidParameterValue"},
			{"exponent", opPath(authorized.ID, "capture"), `{"amount": 1e3}`, 400, "InvalidParameterValue"},
			{"amount of the wrong type", opPath(authorized.ID, "capture"), `{"amount": true}`, 400, "InvalidParameterValue"},
			{"wrong currency", opPath(authorized.ID, "capture"), map[string]any{"amount": "10.00", "currency": "EUR"}, 400, "CurrencyMismatch"},
			{"unknown field", opPath(authorized.ID, "capture"), map[string]any{"amount": "10.00", "amout": 1}, 400, "UnrecognizedField"},
			{"malformed JSON", opPath(authorized.ID, "capture"), `{"amount": `, 400, "InvalidRequestFormat"},
			{"amount on close-authorization", opPath(authorized.ID, "close-authorization"), map[string]any{"amount": "1.00"}, 400, "InvalidParameterValue"},
			{"refund of an uncaptured order", opPath(authorized.ID, "refund"), map[string]any{"amount": "1.00"}, 422, "InvalidChargeStatus"},
			{"over-refund", opPath(captured.ID, "refund"), map[string]any{"amount": "57.51"}, 400, "TransactionAmountExceeded"},
			{"reason too long", opPath(authorized.ID, "capture"), map[string]any{"reason": strings.Repeat("x", 256)}, 400, "InvalidParameterValue"},
		}
		before := map[int64]int{}
		for _, o := range []*shop.Order{authorized, confirmed, captured} {
			before[o.ID] = callCount(t, f, o.ID)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := f.do("POST", tt.path, w, tt.body)
				if r.status != tt.status || r.errorCode(t) != tt.code {
					t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.code)
				}
			})
		}
		for id, n := range before {
			if got := callCount(t, f, id); got != n {
				t.Fatalf("order %d: %d calls went to Amazon Pay", id, got-n)
			}
		}
		// Bad Idempotency-Keys.
		r := f.do("POST", opPath(authorized.ID, "capture"), w, nil, "Idempotency-Key", strings.Repeat("k", 129))
		if r.status != 400 || r.errorCode(t) != "InvalidHeaderValue" {
			t.Fatalf("long key: %d %s", r.status, r.body)
		}
		// Partial refunds add up to Amazon Pay's cap (captured + 15 %)
		// exactly; one cent more is refused with Amazon Pay's code.
		for _, amt := range []string{"20.00", "30.00", "7.50"} {
			if r := f.do("POST", opPath(captured.ID, "refund"), w, map[string]any{"amount": amt}); r.status != 200 {
				t.Fatalf("refund %s: %d %s", amt, r.status, r.body)
			}
		}
		var got restapi.Order
		f.do("GET", orderPath(captured.ID), w, nil).decode(t, &got)
		if got.Refunded != "57.50" || got.Status != "refunded" || got.AmazonReference.RefundedAmount != "57.50" {
			t.Fatalf("after refunds: %s refunded %s", got.Status, got.Refunded)
		}
		r = f.do("POST", opPath(captured.ID, "refund"), w, map[string]any{"amount": "0.01"})
		if r.status != 400 || r.errorCode(t) != "TransactionAmountExceeded" {
			t.Fatalf("refund beyond the cap: %d %s", r.status, r.body)
		}
	})
}

func callCount(t testing.TB, f *fixture, orderID int64) int {
	t.Helper()
	calls, err := f.env.DB.AmazonCalls(context.Background(), shop.AmazonCallFilter{OrderID: orderID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(calls)
}

func countCalls(t testing.TB, f *fixture, orderID int64, op string) int {
	t.Helper()
	calls, err := f.env.DB.AmazonCalls(context.Background(), shop.AmazonCallFilter{OrderID: orderID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range calls {
		if c.Operation == op {
			n++
		}
	}
	return n
}

// TestIdempotencyKey: a repeat gets the first answer; the same key for
// another request is refused; 100 concurrent captures of one order, with
// one key and with none, make one capture at Amazon Pay and agree.
func TestIdempotencyKey(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		w := bearer(f.write)
		o := f.env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
		first := f.do("POST", opPath(o.ID, "capture"), w, map[string]any{"amount": "10.00"}, "Idempotency-Key", "k1")
		again := f.do("POST", opPath(o.ID, "capture"), w, map[string]any{"amount": "10.00"}, "Idempotency-Key", "k1")
		if first.status != 200 || again.status != 200 || string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
		}
		other := f.do("POST", opPath(o.ID, "capture"), w, map[string]any{"amount": "11.00"}, "Idempotency-Key", "k1")
		if other.status != 422 || other.errorCode(t) != "idempotency_key_reused" {
			t.Fatalf("reuse: %d %s", other.status, other.body)
		}
		// Another API key has its own keys.
		_, tok, _ := db.CreateAPIKey(ctx, "other", []shop.Scope{shop.ScopeWrite})
		if r := f.do("POST", opPath(o.ID, "capture"), bearer(tok), map[string]any{"amount": "10.00"}, "Idempotency-Key", "k1"); r.status != 422 || r.errorCode(t) != "InvalidChargeStatus" {
			t.Fatalf("other key: %d %s", r.status, r.body)
		}
		if n := countCalls(t, f, o.ID, "CaptureCharge"); n != 1 {
			t.Fatalf("%d CaptureCharge calls", n)
		}
	})
}

func TestConcurrentCaptures(t *testing.T) {
	for _, withKey := range []bool{true, false} {
		t.Run(fmt.Sprintf("withKey=%v", withKey), func(t *testing.T) {
			sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
				ctx := context.Background()
				f := newFixture(t, db)
				o := f.env.Order(ctx, paymentstest.OrderOptions{Total: 9900})
				const n = 100
				answers := make([]*response, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						var h []string
						if withKey {
							h = []string{"Idempotency-Key", "one-capture"}
						}
						answers[i] = f.do("POST", opPath(o.ID, "capture"), bearer(f.write), nil, h...)
					})
				}
				wg.Wait()
				var ok []*response
				for _, a := range answers {
					switch {
					case a.status == 200:
						ok = append(ok, a)
					case withKey:
						t.Fatalf("answer %d: %s", a.status, a.body)
					case a.status != 422 || a.errorCode(t) != "InvalidChargeStatus":
						t.Fatalf("answer %d: %s", a.status, a.body)
					}
				}
				if withKey && len(ok) != n || !withKey && len(ok) != 1 {
					t.Fatalf("%d successes", len(ok))
				}
				var res restapi.OperationResult
				ok[0].decode(t, &res)
				for _, a := range ok[1:] {
					var r restapi.OperationResult
					a.decode(t, &r)
					if r.AmazonCaptureID != res.AmazonCaptureID || !*r.Captured {
						t.Fatalf("answers disagree: %s vs %s", a.body, ok[0].body)
					}
				}
				if c := countCalls(t, f, o.ID, "CaptureCharge"); c != 1 {
					t.Fatalf("%d CaptureCharge calls", c)
				}
				if ch := f.env.Charge(ctx, res.ChargeID); ch.State() != amazonpay.ChargeCaptured || ch.CaptureAmount.Amount != "99.00" {
					t.Fatalf("at Amazon Pay: %s %s", ch.State(), ch.CaptureAmount.Amount)
				}
			})
		})
	}
}

// TestAmazonFaults: a capture whose Amazon Pay call outlasts the client's
// retries answers 503 (not stored); the retry with the same key resumes
// the same movement and captures once.
func TestAmazonFaults(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
		for _, fault := range []paymentstest.Fault{{Status: 429, Count: 4}, {Status: 503, Count: 4}, {Kind: "reset-after-commit", Count: 4}} {
			fault.Operation = "CaptureCharge"
			f.env.Fault(ctx, fault)
			r := f.do("POST", opPath(o.ID, "capture"), bearer(f.write), map[string]any{"amount": "50.00"}, "Idempotency-Key", "flaky")
			want := 503
			if fault.Status == 429 {
				want = 429
			}
			if r.status != want {
				t.Fatalf("%+v: %d %s", fault, r.status, r.body)
			}
			if fault.Kind != "" {
				break // Amazon Pay captured; the next retry sees it
			}
		}
		r := f.do("POST", opPath(o.ID, "capture"), bearer(f.write), map[string]any{"amount": "50.00"}, "Idempotency-Key", "flaky")
		var res restapi.OperationResult
		r.decode(t, &res)
		if r.status != 200 || !*res.Captured {
			t.Fatalf("retry: %d %s", r.status, r.body)
		}
		got, _ := db.Order(ctx, o.ID)
		if got.Captured != 5000 {
			t.Fatalf("captured %d", got.Captured)
		}
	})
}

// TestReauthorization through the API: authorize, 31 days later capture.
func TestReauthorization(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		o := f.env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
		f.env.Amazon.AdvanceClock(31 * 24 * time.Hour)
		r := f.do("POST", opPath(o.ID, "capture"), bearer(f.write), nil, "Idempotency-Key", "late")
		var res restapi.OperationResult
		r.decode(t, &res)
		if r.status != 200 || !*res.Captured || res.Reauthorization == nil || res.Reauthorization.ReplacedReasonCode != "ExpiredUnused" ||
			res.Reauthorization.ReplacedChargeID == res.ChargeID || res.OrderStatus != "captured" {
			t.Fatalf("capture: %d %s", r.status, r.body)
		}
		var got restapi.Order
		f.do("GET", orderPath(o.ID), bearer(f.read), nil).decode(t, &got)
		if len(got.AmazonReference.Charges) != 2 || got.Captured != "50.00" {
			t.Fatalf("order: %+v", got)
		}
		notes := 0
		for _, h := range got.History {
			if h.Note != "" {
				notes++
			}
		}
		if notes == 0 {
			t.Fatal("history shows no re-authorization")
		}
	})
}
