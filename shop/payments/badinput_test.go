package payments_test

import (
	"context"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// callCount is the number of Amazon Pay calls logged for an order.
func callCount(t *testing.T, env *paymentstest.Env, orderID int64) int {
	t.Helper()
	calls, err := env.DB.AmazonCalls(context.Background(), shop.AmazonCallFilter{OrderID: orderID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(calls)
}

// TestBadInput checks that requests the shop can tell will fail get Amazon
// Pay's reason code (or the shop's) and send nothing to Amazon Pay.
func TestBadInput(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		svc := env.Service
		authorized := env.Order(ctx, paymentstest.OrderOptions{Total: 5000})
		confirmed := env.Order(ctx, paymentstest.OrderOptions{Total: 5000, Intent: amazonpay.PaymentIntentConfirm})
		captured := env.Order(ctx, paymentstest.OrderOptions{Total: 5000, Intent: amazonpay.PaymentIntentAuthorizeWithCapture})
		unpaid := &shop.Order{Currency: "USD", Total: 100, Items: []shop.OrderItem{{ProductID: 1, SKU: "X", Name: "X", UnitPrice: 100, Quantity: 1}}}
		if err := db.CreateOrder(ctx, unpaid); err != nil {
			t.Fatal(err)
		}
		if confirmed.Status != shop.StatusPendingPayment || captured.Status != shop.StatusCaptured {
			t.Fatalf("setup: %s %s", confirmed.Status, captured.Status)
		}
		type op func(context.Context, int64, payments.Request) (*payments.Result, error)
		tests := []struct {
			name   string
			op     op
			order  int64
			req    payments.Request
			code   string
			status int
		}{
			{"unknown order", svc.Capture, 999999, payments.Request{}, payments.CodeOrderNotFound, 404},
			{"capture of an unauthorized order", svc.Capture, confirmed.ID, payments.Request{}, "InvalidChargeStatus", 422},
			{"capture of an order never paid", svc.Capture, unpaid.ID, payments.Request{}, "InvalidChargePermissionStatus", 422},
			{"capture above the authorization", svc.Capture, authorized.ID, payments.Request{Amount: 5001}, "TransactionAmountExceeded", 400},
			{"negative amount", svc.Capture, authorized.ID, payments.Request{Amount: -1}, "InvalidParameterValue", 400},
			{"wrong currency", svc.Capture, authorized.ID, payments.Request{Amount: 100, Currency: "EUR"}, "CurrencyMismatch", 400},
			{"reason too long", svc.Capture, authorized.ID, payments.Request{Reason: string(make([]byte, 256))}, "InvalidParameterValue", 400},
			{"idempotency key too long", svc.Capture, authorized.ID, payments.Request{IdempotencyKey: string(make([]byte, 201))}, payments.CodeInvalidRequest, 400},
			{"idempotency key with a space", svc.Capture, authorized.ID, payments.Request{IdempotencyKey: "a b"}, payments.CodeInvalidRequest, 400},
			{"refund of an uncaptured order", svc.Refund, authorized.ID, payments.Request{Amount: 100}, "InvalidChargeStatus", 422},
			{"refund above captured plus margin", svc.Refund, captured.ID, payments.Request{Amount: 5751}, "TransactionAmountExceeded", 400},
			{"second capture", svc.Capture, captured.ID, payments.Request{}, "InvalidChargeStatus", 422},
			{"cancel without authorization", svc.CloseAuthorization, captured.ID, payments.Request{}, "InvalidChargeStatus", 422},
			{"authorize with an open authorization", svc.Authorize, authorized.ID, payments.Request{}, "InvalidChargePermissionStatus", 422},
			{"authorize above the order", svc.Authorize, confirmed.ID, payments.Request{Amount: 5001}, "TransactionAmountExceeded", 400},
			{"close before checkout", svc.Close, unpaid.ID, payments.Request{}, "InvalidChargePermissionStatus", 422},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := 0
				if tt.order != 999999 {
					before = callCount(t, env, tt.order)
				}
				_, err := tt.op(ctx, tt.order, tt.req)
				e := payments.AsError(err)
				if e == nil || e.Code != tt.code || e.Status != tt.status {
					t.Fatalf("got %v, want %d %s", err, tt.status, tt.code)
				}
				if tt.order != 999999 && callCount(t, env, tt.order) != before {
					t.Fatalf("a call went to Amazon Pay")
				}
			})
		}
		// The same key with another amount is the client's mistake.
		if _, err := svc.Capture(ctx, authorized.ID, payments.Request{Amount: 100, IdempotencyKey: "k"}); err != nil {
			t.Fatal(err)
		}
		_, err := svc.Refund(ctx, authorized.ID, payments.Request{Amount: 100, IdempotencyKey: "k"})
		if err != nil {
			t.Fatal(err) // another operation: its own key space
		}
		_, err = svc.Refund(ctx, authorized.ID, payments.Request{Amount: 200, IdempotencyKey: "k"})
		if e := payments.AsError(err); e == nil || e.Code != "idempotency_key_reused" {
			t.Fatalf("reused key: %v", err)
		}
	})
}
