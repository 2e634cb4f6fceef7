// Package app assembles a shop server from a [Config]: the store (SQLite or
// PostgreSQL), the Amazon Pay client, the checkout service, the web pages,
// and the background jobs, behind one http.Handler.
//
// It is the one place where the shop's parts meet, so that `apay demo`,
// `apay shop serve`, the Lambda handler and tests build exactly the same
// server. Other parts mount here:
//
//	a, err := app.New(ctx, cfg)
//	a.Handle("/api/", restapi.New(a.Store, …))                      // public (own auth)
//	a.HandleAdmin("GET /admin/orders", ordersPage)                   // behind the admin login
//	a.Web.AddAdminLink("/admin/orders", "Orders")                    // listed on /admin/
//	a.AddJob("reauthorize", time.Hour, func(ctx context.Context) error { … })
//	err = a.Serve(ctx, listener)
//
// Mounted handlers sit behind the same security headers and cross-origin
// protection as the pages, and report errors with [web.Handler.Error] (JSON
// or HTML from one mapping). Register everything before Serve.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/checkout"
	"github.com/apaykit/apaykit/shop/jobs"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/sqlstore"
	"github.com/apaykit/apaykit/shop/subscriptions"
	"github.com/apaykit/apaykit/shop/throttle"
	"github.com/apaykit/apaykit/shop/web"
)

// Config is everything a shop server needs. Client, BaseURL, StoreID,
// MerchantID and one of DB or Store are required.
type Config struct {
	// DB is the database: an SQLite file path (default) or a
	// postgres:// DSN. Ignored when Store is set.
	DB string
	// Store is an already open store (tests); the App does not close it.
	Store shop.Store
	// Client calls Amazon Pay or an emulator.
	Client *amazonpay.Client
	// BaseURL is the shop's public URL (http(s)://host[:port]); Amazon Pay
	// sends buyers back to it.
	BaseURL string
	// StoreID and MerchantID are the Amazon Pay store id (LwA client id)
	// and merchant id.
	StoreID    string
	MerchantID string
	// Currency is the shop's (ledger) currency; default by the client's
	// region: JPY for jp, EUR for eu, USD otherwise.
	Currency string
	// PaymentIntent is Authorize (default), AuthorizeWithCapture or
	// Confirm; CanHandlePendingAuthorization lets Amazon Pay decide later.
	PaymentIntent                 amazonpay.PaymentIntent
	CanHandlePendingAuthorization bool
	// CheckoutJSURL is where browsers load checkout.js; default Amazon's
	// for the client's region.
	CheckoutJSURL string
	// Secret keys the review tokens and admin sessions (at least 32 bytes;
	// keep it stable across restarts). Empty: random per process.
	Secret []byte
	// ShopName is shown on the pages and sent as merchantStoreName.
	ShopName string
	// Logger receives the shop's log lines (default discard). Secrets
	// never reach it.
	Logger *slog.Logger
	// ReconcileInterval is how often checkouts nobody came back from are
	// settled (default 1 minute; negative: never).
	ReconcileInterval time.Duration
	// APIKeys is APAY_API_KEYS: REST API tokens imported at start (see
	// restapi.ParseAPIKeys).
	APIKeys string
	// Notifications verifies Amazon Pay notifications (IPN); nil means
	// Amazon's SNS (restapi.NotificationVerifier).
	Notifications *notification.Verifier
	// PaymentsReconcileInterval is how often pending payments are read
	// again from Amazon Pay (default 1 minute; negative: never).
	PaymentsReconcileInterval time.Duration
}

// App is an assembled shop.
type App struct {
	// Store is the shop's persistence.
	Store shop.Store
	// Client is the Amazon Pay client.
	Client *amazonpay.Client
	// Checkout is the storefront's payment service.
	Checkout *checkout.Service
	// Web serves the pages; routes added with Handle sit behind its
	// security headers and cross-origin protection.
	Web *web.Handler
	// Logger is the shop's logger.
	Logger *slog.Logger
	// Payments moves money for orders (shop/payments); API is the REST API
	// on top of it, mounted at /api/v1 and /amazon-pay/notifications.
	Payments *payments.Service
	API      *restapi.API
	// Subscriptions sells billing plans; Jobs runs the durable jobs
	// (register more kinds before Serve); Limiter spreads Amazon Pay calls
	// over the seller account's quota (shop/app/subscriptions.go).
	Subscriptions *subscriptions.Service
	Jobs          *jobs.Runner
	Limiter       *throttle.Limiter

	ownStore bool
	jobs     []job
}

type job struct {
	name  string
	every time.Duration
	fn    func(ctx context.Context) error
}

// New opens (and migrates) the store and builds the shop.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Client == nil {
		return nil, errors.New("app: Config.Client is required")
	}
	a := &App{Client: cfg.Client, Logger: cfg.Logger}
	if a.Logger == nil {
		a.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Currency == "" {
		cfg.Currency = DefaultCurrency(cfg.Client.Region())
	}
	if cfg.CheckoutJSURL == "" {
		cfg.CheckoutJSURL = CheckoutJSURL(cfg.Client.Region())
	}
	if len(cfg.Secret) == 0 {
		cfg.Secret = make([]byte, 32)
		_, _ = rand.Read(cfg.Secret)
	}
	a.Store = cfg.Store
	if a.Store == nil {
		if cfg.DB == "" {
			return nil, errors.New("app: Config.DB (APAY_DB) is required")
		}
		db, err := sqlstore.Open(ctx, cfg.DB)
		if err != nil {
			return nil, err
		}
		db.Logger = a.Logger
		a.Store, a.ownStore = db, true
	}
	co, err := checkout.New(checkout.Config{
		Store: a.Store, Client: cfg.Client, BaseURL: cfg.BaseURL, StoreID: cfg.StoreID, MerchantID: cfg.MerchantID,
		Currency: cfg.Currency, StoreName: cfg.ShopName, PaymentIntent: cfg.PaymentIntent,
		CanHandlePendingAuthorization: cfg.CanHandlePendingAuthorization, Secret: cfg.Secret, Logger: a.Logger,
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.Checkout = co
	if a.Web, err = web.New(web.Config{Checkout: co, CheckoutJSURL: cfg.CheckoutJSURL, Secret: cfg.Secret, ShopName: cfg.ShopName, Logger: a.Logger}); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.mountPayments(ctx, cfg); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.mountSubscriptions(ctx, cfg); err != nil {
		a.Close()
		return nil, err
	}
	if every := cfg.ReconcileInterval; every >= 0 {
		if every == 0 {
			every = time.Minute
		}
		a.AddJob("reconcile-checkouts", every, func(ctx context.Context) error {
			_, err := co.Reconcile(ctx, time.Now().Add(-2*time.Minute))
			return err
		})
	}
	return a, nil
}

// Handle mounts a handler on the shop (a net/http ServeMux pattern, e.g.
// "/api/" or "POST /amazonpay/notifications"), behind the shop's security
// headers and cross-origin protection. Call it before Serve.
func (a *App) Handle(pattern string, h http.Handler) { a.Web.Handle(pattern, h) }

// HandleAdmin mounts a handler that only signed-in admins reach (others are
// sent to the login page, or get 401 JSON).
func (a *App) HandleAdmin(pattern string, h http.Handler) {
	a.Web.Handle(pattern, a.Web.RequireAdmin(h))
}

// AddJob runs fn every interval while the App serves (the first run one
// interval after start). Errors are logged; a panic is logged and the job
// keeps its schedule. Call it before Serve.
func (a *App) AddJob(name string, every time.Duration, fn func(ctx context.Context) error) {
	a.jobs = append(a.jobs, job{name: name, every: every, fn: fn})
}

// Handler is the shop as an http.Handler (for Lambda adapters and tests).
func (a *App) Handler() http.Handler { return a.Web }

// Serve serves the shop on l and runs the jobs until ctx ends, then shuts
// down gracefully (in-flight requests get 10 seconds).
func (a *App) Serve(ctx context.Context, l net.Listener) error {
	jobCtx, stopJobs := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, j := range a.jobs {
		wg.Go(func() { a.runJob(jobCtx, j) })
	}
	err := Serve(ctx, l, a.Handler(), a.Logger)
	stopJobs()
	wg.Wait()
	return err
}

// Serve serves h on l with the shop's timeouts until ctx ends, then shuts
// down gracefully: in-flight requests get 10 seconds, and connections that
// were opened but never sent a request (browsers open them speculatively)
// are closed at once rather than waited for.
func Serve(ctx context.Context, l net.Listener, h http.Handler, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var mu sync.Mutex
	fresh := map[net.Conn]bool{}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(slogWriter{logger}, "", 0),
		ConnState: func(c net.Conn, s http.ConnState) {
			mu.Lock()
			defer mu.Unlock()
			if s == http.StateNew {
				fresh[c] = true
			} else {
				delete(fresh, c)
			}
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(shutdownCtx) }()
	mu.Lock()
	for c := range fresh {
		_ = c.Close()
	}
	mu.Unlock()
	if err := <-done; err != nil {
		_ = srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (a *App) runJob(ctx context.Context, j job) {
	t := time.NewTicker(j.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		func() {
			defer func() {
				if v := recover(); v != nil {
					a.Logger.Error("app: job panicked", "job", j.name, "panic", fmt.Sprint(v))
				}
			}()
			if err := j.fn(ctx); err != nil && ctx.Err() == nil {
				a.Logger.Error("app: job failed", "job", j.name, "error", err)
			}
		}()
	}
}

// Close closes the store if the App opened it.
func (a *App) Close() error {
	if a.ownStore && a.Store != nil {
		return a.Store.Close()
	}
	return nil
}

// CheckoutJSURL is Amazon's checkout.js for a region (api-objects.md
// §16.1).
func CheckoutJSURL(r amazonpay.Region) string {
	switch r {
	case amazonpay.RegionEU:
		return "https://static-eu.payments-amazon.com/checkout.js"
	case amazonpay.RegionJP:
		return "https://static-fe.payments-amazon.com/checkout.js"
	}
	return "https://static-na.payments-amazon.com/checkout.js"
}

// DefaultCurrency is the ledger currency of a region: JPY in Japan, EUR in
// Europe (GBP stores set it), USD in North America.
func DefaultCurrency(r amazonpay.Region) string {
	switch r {
	case amazonpay.RegionEU:
		return "EUR"
	case amazonpay.RegionJP:
		return "JPY"
	}
	return "USD"
}

// slogWriter routes net/http's server errors to the logger.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn("http: " + strings.TrimSpace(string(p)))
	return len(p), nil
}
