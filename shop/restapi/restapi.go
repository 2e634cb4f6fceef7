// Package restapi is the shop's order REST API, under /api/v1, for the
// merchant's tools (the apay orders command, scripts, an ERP): list and read
// orders with their Amazon Pay state, and authorize, capture, cancel,
// refund and close payments. It also serves the Amazon Pay notification
// endpoint. docs/rest-api.md describes it for users; openapi.json (served
// at /api/v1/openapi.json) is its contract, and the tests validate every
// response against it.
//
// The shape follows the WooCommerce Amazon Pay gateway's REST API, so
// clients written for it need little change: the operation paths
// (/orders/{id}/amazon-pay/capture …), the success fields (captured,
// amazon_capture_id, …) and the error body {"code", "message", "data":
// {"status"}}. Unlike WooCommerce, errors carry their real HTTP status, and
// the code is Amazon Pay's reasonCode whenever the refusal is Amazon Pay's
// (or the shop's on Amazon Pay's rules).
//
// # Authentication
//
// API keys ([shop.APIKey]) as HTTP Basic, the way WooCommerce takes
// consumer key and secret ("apay_<id>" as user, the secret as password,
// or the whole token as user), or as a Bearer token. Secrets are stored
// hashed and compared in constant time by the store. A key has scope read
// (GET) or write (everything); a missing or wrong key is 401, a valid key
// without the scope 403.
//
// # Idempotency
//
// Every POST takes an Idempotency-Key header. A repeated request with the
// same key (per API key) returns the first request's stored answer, marked
// Idempotent-Replayed: true; a concurrent one waits for the first to
// finish. The key also determines the Amazon Pay idempotency key of the
// money movement (see shop/payments), so even a request whose answer was
// never stored (the process died) is resumed, not repeated, at Amazon Pay.
package restapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// NotificationPath is where Amazon Pay's notifications (IPN) are received.
const NotificationPath = "/amazon-pay/notifications"

// Defaults of [Config].
const (
	DefaultIdempotencyLease = 10 * time.Second
	DefaultIdempotencyWait  = 30 * time.Second
	DefaultAuthCacheTTL     = 5 * time.Second
)

// Config configures an [API].
type Config struct {
	// Payments moves the money (and gives the store).
	Payments *payments.Service
	// Notifications verifies notification envelopes. Nil leaves the
	// notification endpoint out.
	Notifications *notification.Verifier
	// Logger receives refused requests and failures; never secrets. Nil
	// discards.
	Logger *slog.Logger
	// AfterNotification, if set, is called with each notification the
	// payments service processed without error, e.g. to wake a
	// subscription renewal waiting on the charge it names. It runs before
	// the answer to SNS; its failure is logged, not answered.
	AfterNotification func(ctx context.Context, n *notification.Notification) error
	// IdempotencyLease is how long a request holds its Idempotency-Key
	// before another request may take it over (its process is presumed
	// dead); default 10 s. Taking over is safe: the money movement
	// underneath is resumed with the same Amazon Pay key.
	IdempotencyLease time.Duration
	// IdempotencyWait is how long a request waits for a concurrent one
	// with the same key before answering 409 (default 30 s).
	IdempotencyWait time.Duration
	// AuthCacheTTL is how long an accepted API key is remembered before
	// the store is asked again (default 5 s; negative: ask every time). A
	// revoked key keeps working for at most this long.
	AuthCacheTTL time.Duration
}

// API serves the REST API. Build it with New.
type API struct {
	pay   *payments.Service
	store shop.Store
	log   *slog.Logger
	cfg   Config
	mux   *http.ServeMux

	authMu    sync.Mutex
	authCache map[[sha256.Size]byte]cachedKey
}

// New checks cfg and builds the API.
func New(cfg Config) (*API, error) {
	if cfg.Payments == nil {
		return nil, errors.New("restapi: Config needs Payments")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IdempotencyLease <= 0 {
		cfg.IdempotencyLease = DefaultIdempotencyLease
	}
	if cfg.IdempotencyWait <= 0 {
		cfg.IdempotencyWait = DefaultIdempotencyWait
	}
	if cfg.AuthCacheTTL == 0 {
		cfg.AuthCacheTTL = DefaultAuthCacheTTL
	}
	a := &API{pay: cfg.Payments, store: cfg.Payments.Store(), log: cfg.Logger, cfg: cfg, mux: http.NewServeMux(),
		authCache: map[[sha256.Size]byte]cachedKey{}}
	a.Register(a.mux)
	return a, nil
}

// Handler returns the API as one handler (for tests and for mounting on
// "/api/v1/" and NotificationPath).
func (a *API) Handler() http.Handler { return a.mux }

// Register adds the API's routes to mux: everything under /api/v1/ and,
// with a verifier configured, POST /amazon-pay/notifications.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix+"/openapi.json", serveOpenAPI)
	mux.Handle("GET "+Prefix+"/orders", a.auth(shop.ScopeRead, http.HandlerFunc(a.listOrders)))
	mux.Handle("GET "+Prefix+"/orders/{id}", a.auth(shop.ScopeRead, http.HandlerFunc(a.getOrder)))
	mux.Handle("POST "+Prefix+"/orders/{id}/amazon-pay/{op}", a.auth(shop.ScopeWrite, a.idempotent(http.HandlerFunc(a.amazonPay))))
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &payments.Error{Status: http.StatusNotFound, Code: "rest_no_route", Message: "No route matches " + r.Method + " " + r.URL.Path + "."})
	})
	if a.cfg.Notifications != nil {
		mux.Handle("POST "+NotificationPath, notification.Handler(a.cfg.Notifications, a.handleNotification,
			notification.WithHandlerLogger(a.log)))
	}
}
