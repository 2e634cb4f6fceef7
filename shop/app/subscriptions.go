package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/jobs"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/subscriptions"
	"github.com/apaykit/apaykit/shop/throttle"
)

// mountSubscriptions adds the subscriptions engineer's part: the
// quota-aware limiter over the database-shared token bucket, the durable
// job runner (renewals, charge-permission closes, upgrade charges; other
// packages register their kinds on App.Jobs), the subscription service
// with its customer pages (/subscriptions/…) and admin pages
// (/admin/subscriptions), the REST endpoints beside the order ones
// (/api/v1/subscriptions/…) and GET /metrics (Prometheus text format: job
// and quota counters, no buyer data).
func (a *App) mountSubscriptions(ctx context.Context, cfg Config) error {
	lim, err := throttle.New(throttle.Config{Store: a.Store, Account: shop.ThrottleAccount(cfg.MerchantID, a.Client.Sandbox())})
	if err != nil {
		return err
	}
	svc, err := subscriptions.New(subscriptions.Config{Store: a.Store, Client: a.Client, Limiter: lim, StoreID: cfg.StoreID,
		StoreName: cfg.ShopName, Currencies: []string{cfg.Currency}, Logger: a.Logger})
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	runner, err := jobs.New(jobs.Config{Store: a.Store, Logger: a.Logger, WorkerID: "shop-" + host + "-" + randomID()})
	if err != nil {
		return err
	}
	svc.Register(runner)
	a.Subscriptions, a.Jobs, a.Limiter = svc, runner, lim

	pages, err := subscriptions.NewPages(subscriptions.PagesConfig{
		Service: svc, BaseURL: cfg.BaseURL, Secret: cfg.Secret, Limiter: lim, Logger: a.Logger,
		RequireAdmin: a.Web.RequireAdmin,
		// The hosted sign-in page of a server-created session: the
		// emulator's. Against Amazon the buyer starts at the button.
		SignInURL: func(id string) string {
			return strings.TrimRight(a.Client.BaseURL(), "/") + "/checkout/signin?amazonCheckoutSessionId=" + url.QueryEscape(id)
		},
	})
	if err != nil {
		return err
	}
	a.Handle(subscriptions.CustomerBase+"/", pages)
	a.Handle(subscriptions.AdminBase, pages)
	a.Handle(subscriptions.AdminBase+"/", pages)
	a.Web.AddAdminLink(subscriptions.AdminBase, "Subscriptions and jobs")
	if a.API != nil {
		mux := http.NewServeMux()
		a.API.RegisterSubscriptions(mux, svc)
		a.Handle(restapi.Prefix+"/subscriptions/", mux)
	}
	a.Handle("GET /metrics", jobs.MetricsHandler(a.Store, runner, lim.Gauges))
	// The runner claims jobs for as long as the shop serves and, at
	// shutdown, lets the jobs in flight finish (Serve waits for it).
	a.AddJob("job-runner", 100*time.Millisecond, func(ctx context.Context) error { return runner.Run(ctx) })
	_ = ctx
	return nil
}

func randomID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
