// Package paymentstest sets up what tests of the payment layers need: a
// migrated store, an in-process emulator, a [payments.Service] joining them,
// and orders that went through a real checkout at the emulator (create
// checkout session, buyer step, confirm, complete), so every test starts
// from an order exactly as the storefront leaves it.
package paymentstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/emulator"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// Env is a store, an emulator and a payments service wired together.
type Env struct {
	T       testing.TB
	DB      *sqlstoretest.DB
	Amazon  *amazonpaytest.Server
	Service *payments.Service
}

// Option adjusts the payments configuration of an Env.
type Option func(*payments.Config)

// New wires db to a fresh emulator. The store's clock and the service's
// clock are the emulator's business clock, so moving the emulator's time
// moves the shop's too (pass a Config.Now option to decouple them). The
// client retries quickly, so fault tests stay fast.
func New(t testing.TB, db *sqlstoretest.DB, opts ...Option) *Env {
	t.Helper()
	srv := amazonpaytest.NewServer(t, amazonpaytest.WithClientOptions(
		amazonpay.WithRetry(amazonpay.RetryPolicy{BaseDelay: 2 * time.Millisecond, MaxDelay: 10 * time.Millisecond})))
	db.DB.Now = srv.Emulator.Now
	// Tests run in parallel against one PostgreSQL server; bound each
	// store's share of its connections, as a deployment would. On SQLite
	// a small pool keeps writers from starving in its busy handler.
	conns := 16
	if db.Dialect() == "sqlite" {
		conns = 4
	}
	db.SQLDB().SetMaxOpenConns(conns)
	cfg := payments.Config{Store: db, Client: srv.Client, Now: srv.Emulator.Now, BusyWait: 20 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := payments.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{T: t, DB: db, Amazon: srv, Service: svc}
}

// OrderOptions describes an order to make.
type OrderOptions struct {
	// Total in minor units (default 10000, i.e. 100.00 USD).
	Total int64
	// Currency (default USD).
	Currency string
	// Intent is the checkout's paymentIntent (default Authorize).
	Intent amazonpay.PaymentIntent
	// Card is the emulator's simulated payment method (default "1111",
	// which succeeds; "0701" authorizes after 30 s, "3434" declines).
	Card string
}

func (o OrderOptions) withDefaults() OrderOptions {
	if o.Total == 0 {
		o.Total = 10000
	}
	if o.Currency == "" {
		o.Currency = "USD"
	}
	if o.Intent == "" {
		o.Intent = amazonpay.PaymentIntentAuthorize
	}
	return o
}

// Order makes an order in the store and pays it through a checkout at the
// emulator, then attaches the checkout to it (payments.Service.Attach). It
// fails the test on any error.
func (e *Env) Order(ctx context.Context, opts OrderOptions) *shop.Order {
	e.T.Helper()
	o, err := e.TryOrder(ctx, opts)
	if err != nil {
		e.T.Fatalf("paymentstest: order: %v", err)
	}
	return o
}

// TryOrder is Order returning its error, for use from goroutines.
func (e *Env) TryOrder(ctx context.Context, opts OrderOptions) (*shop.Order, error) {
	opts = opts.withDefaults()
	o := &shop.Order{Currency: opts.Currency, Total: opts.Total, BuyerEmail: "buyer@example.com", BuyerName: "Test Buyer",
		Items: []shop.OrderItem{{ProductID: 1, SKU: "SKU-1", Name: "Test product", UnitPrice: opts.Total, Quantity: 1}}}
	if err := e.DB.CreateOrder(ctx, o); err != nil {
		return nil, err
	}
	csID, err := e.Checkout(ctx, o, opts)
	if err != nil {
		return nil, err
	}
	if err := e.DB.SavePayment(ctx, &shop.Payment{OrderID: o.ID, CheckoutSessionID: csID}); err != nil {
		return nil, err
	}
	if err := e.Service.Attach(ctx, o.ID, csID); err != nil {
		return nil, err
	}
	return e.DB.Order(ctx, o.ID)
}

// Checkout runs a checkout for o at the emulator and returns the completed
// checkout session's id.
func (e *Env) Checkout(ctx context.Context, o *shop.Order, opts OrderOptions) (string, error) {
	return Checkout(ctx, e.Amazon.Client, e.Amazon.Emulator, o, opts)
}

// Checkout runs a checkout for o with client at the emulator emu (the buyer
// steps are emu's methods) and returns the completed checkout session's
// id. It is Env.Checkout for tests that run the emulator themselves.
func Checkout(ctx context.Context, c *amazonpay.Client, emu *emulator.Server, o *shop.Order, opts OrderOptions) (string, error) {
	opts = opts.withDefaults()
	price, err := amazonpay.NewPrice(o.Total, o.Currency)
	if err != nil {
		return "", err
	}
	cs, _, err := c.CheckoutSessions.Create(ctx, &amazonpay.CreateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review"},
		StoreID:            "amzn1.application-oa2-client.paymentstest",
	}, amazonpay.WithIdempotencyKey(randomKey()))
	if err != nil {
		return "", fmt.Errorf("create checkout session: %w", err)
	}
	id := cs.CheckoutSessionID
	if _, err := emu.SignIn(id, emulator.BuyerInput{PaymentMethod: opts.Card}); err != nil {
		return "", fmt.Errorf("buyer sign-in: %w", err)
	}
	pending := opts.Intent != amazonpay.PaymentIntentAuthorizeWithCapture
	_, _, err = c.CheckoutSessions.Update(ctx, id, &amazonpay.UpdateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: "https://shop.example/result"},
		PaymentDetails: &amazonpay.PaymentDetails{PaymentIntent: opts.Intent, ChargeAmount: price,
			CanHandlePendingAuthorization: &pending},
		MerchantMetadata: &amazonpay.MerchantMetadata{MerchantReferenceID: o.Number},
	})
	if err != nil {
		return "", fmt.Errorf("update checkout session: %w", err)
	}
	if _, err := emu.Confirm(id, false); err != nil {
		return "", fmt.Errorf("confirm: %w", err)
	}
	if _, _, err := c.CheckoutSessions.Complete(ctx, id, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: price}); err != nil {
		return "", fmt.Errorf("complete checkout session: %w", err)
	}
	return id, nil
}

// Fault asks the emulator's control API to fail the next calls: operation
// (e.g. "CaptureCharge"), count, and either a status (429, 500, 503) or
// kind "reset-after-commit".
func (e *Env) Fault(ctx context.Context, f Fault) {
	e.T.Helper()
	body, _ := json.Marshal(f)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.Amazon.URL+"/_emulator/faults", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatalf("paymentstest: fault: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		e.T.Fatalf("paymentstest: fault: status %d", resp.StatusCode)
	}
}

// Fault is a body of POST /_emulator/faults.
type Fault struct {
	Operation string `json:"operation,omitempty"`
	Count     int    `json:"count,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Status    int    `json:"status,omitempty"`
}

// Charge reads a charge at the emulator.
func (e *Env) Charge(ctx context.Context, id string) *amazonpay.Charge {
	e.T.Helper()
	ch, _, err := e.Amazon.Client.Charges.Get(ctx, id)
	if err != nil {
		e.T.Fatalf("paymentstest: get charge %s: %v", id, err)
	}
	return ch
}

func randomKey() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
