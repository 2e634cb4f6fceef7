package subscriptions

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/jobs"
	"github.com/apaykit/apaykit/shop/throttle"
)

//go:embed templates/*.html
var templateFS embed.FS

// PagesConfig configures [Pages]. Service, BaseURL, Secret and SignInURL
// are required.
type PagesConfig struct {
	Service *Service
	// BaseURL is the shop's public URL (https://shop.example), for the
	// return URLs given to Amazon Pay.
	BaseURL string
	// Secret keys the customer links (at least 32 bytes): the shop has no
	// customer accounts, so a buyer reaches their subscription through a
	// link with an HMAC of its id, shown after checkout.
	Secret []byte
	// SignInURL is where the buyer goes to sign in to Amazon Pay for a
	// checkout session created by the server (with an emulator:
	// <emulator>/checkout/signin?amazonCheckoutSessionId=ID).
	SignInURL func(checkoutSessionID string) string
	// RequireAdmin protects the admin pages (the web package's
	// Handler.RequireAdmin). Nil refuses every admin request.
	RequireAdmin func(http.Handler) http.Handler
	// Limiter, if set, adds the quota counters to the admin page.
	Limiter *throttle.Limiter
	// Logger receives internal errors (default discard).
	Logger *slog.Logger
}

// Pages serves the customer pages under /subscriptions/ and the admin pages
// under /admin/subscriptions/. Every POST passes
// http.CrossOriginProtection.
type Pages struct {
	cfg  PagesConfig
	tmpl *template.Template
	mux  *http.ServeMux
	h    http.Handler
	log  *slog.Logger
}

// Routes the pages use.
const (
	CustomerBase = "/subscriptions"
	AdminBase    = "/admin/subscriptions"
)

// NewPages checks cfg and builds the pages.
func NewPages(cfg PagesConfig) (*Pages, error) {
	if cfg.Service == nil || cfg.BaseURL == "" || len(cfg.Secret) < 32 || cfg.SignInURL == nil {
		return nil, errors.New("subscriptions: PagesConfig needs Service, BaseURL, a Secret of 32+ bytes and SignInURL")
	}
	if cfg.RequireAdmin == nil {
		cfg.RequireAdmin = func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "Forbidden.", http.StatusForbidden) })
		}
	}
	tmpl, err := template.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &Pages{cfg: cfg, tmpl: tmpl, mux: http.NewServeMux(), log: cfg.Logger}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.Register(p.mux)
	p.h = http.NewCrossOriginProtection().Handler(p.mux)
	return p, nil
}

// ServeHTTP implements http.Handler.
func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.h.ServeHTTP(w, r) }

// Register adds the pages' routes to mux (for a mux that already has
// cross-origin protection, such as the web package's Handle).
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+CustomerBase+"/start", p.start)
	mux.HandleFunc("GET "+CustomerBase+"/review", p.review)
	mux.HandleFunc("GET "+CustomerBase+"/result", p.result)
	mux.HandleFunc("GET "+CustomerBase+"/{id}", p.customer)
	mux.HandleFunc("POST "+CustomerBase+"/{id}/payment-method", p.customerPM)
	mux.HandleFunc("POST "+CustomerBase+"/{id}/cancel", p.customerCancel)
	admin := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, p.cfg.RequireAdmin(f)) }
	admin("GET "+AdminBase, p.adminList)
	admin("GET "+AdminBase+"/find", p.adminFind)
	admin("GET "+AdminBase+"/{id}", p.adminSub)
	admin("POST "+AdminBase+"/{id}/cancel", p.adminAction)
	admin("POST "+AdminBase+"/{id}/resume", p.adminAction)
	admin("POST "+AdminBase+"/{id}/plan", p.adminAction)
}

// Token is the customer-link token of a subscription.
func (p *Pages) Token(subID int64) string {
	m := hmac.New(sha256.New, p.cfg.Secret)
	m.Write([]byte("apaykit/subscription-link/v1:" + strconv.FormatInt(subID, 10)))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// CustomerURL is the link a buyer manages a subscription with.
func (p *Pages) CustomerURL(subID int64) string {
	return strings.TrimRight(p.cfg.BaseURL, "/") + CustomerBase + "/" + strconv.FormatInt(subID, 10) + "?t=" + p.Token(subID)
}

func (p *Pages) urls() ReturnURLs {
	b := strings.TrimRight(p.cfg.BaseURL, "/") + CustomerBase
	return ReturnURLs{Review: b + "/review", Result: b + "/result", Cancel: strings.TrimRight(p.cfg.BaseURL, "/") + "/"}
}

type page struct {
	Title, Flash, Base, Token string
	Sub                       *shop.Subscription
	Used, Limit               int64
	Note, RedirectURL         string
	CustomerURL               string
	Due                       []*shop.Subscription
	Counts                    []jobs.JobCount
	Flagged                   []*shop.Job
	Throttle                  *throttle.Stats
	Orders                    []*shop.Order
}

// Money formats minor units for people.
func (page) Money(minor int64, currency string) string {
	s, err := money.Format(minor, currency)
	if err != nil {
		return strconv.FormatInt(minor, 10) + " " + currency
	}
	return s + " " + currency
}

// Date formats a time for people (UTC).
func (page) Date(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func (p *Pages) render(w http.ResponseWriter, name string, pg page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var b strings.Builder
	if err := p.tmpl.ExecuteTemplate(&b, name, pg); err != nil {
		p.log.Error("subscriptions: render", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	_, _ = w.Write([]byte(b.String()))
}

// fail shows err: the shop's message for a shop error, a generic one
// otherwise (logged).
func (p *Pages) fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch shop.ErrorCode(err) {
	case shop.EINVALID:
		status = http.StatusBadRequest
	case shop.ENOTFOUND:
		status = http.StatusNotFound
	case shop.ECONFLICT:
		status = http.StatusConflict
	case shop.EINTERNAL:
		p.log.Error("subscriptions: page", "err", err)
	}
	w.WriteHeader(status)
	p.render(w, "review.html", page{Title: "Sorry", Note: shop.ErrorMessage(err)})
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// --- customer ---------------------------------------------------------------

func (p *Pages) start(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PostFormValue("product_id"), 10, 64)
	if err != nil || id <= 0 {
		p.fail(w, shop.Errorf(shop.EINVALID, "Choose a subscription product."))
		return
	}
	co, err := p.cfg.Service.StartSubscribe(r.Context(), id, p.urls())
	if err != nil {
		p.fail(w, err)
		return
	}
	http.Redirect(w, r, p.cfg.SignInURL(co.CheckoutSessionID), http.StatusSeeOther)
}

// review is where Amazon sends the buyer after sign-in: the session now
// has an amazonPayRedirectUrl, where the buyer approves the charge
// permission.
func (p *Pages) review(w http.ResponseWriter, r *http.Request) {
	cs, _, err := p.cfg.Service.cfg.Client.CheckoutSessions.Get(r.Context(), r.URL.Query().Get("amazonCheckoutSessionId"))
	if err != nil {
		p.fail(w, amazonError("read the checkout", err))
		return
	}
	pg := page{Title: "Review your subscription"}
	if cs.MerchantMetadata != nil {
		pg.Note = cs.MerchantMetadata.NoteToBuyer
	}
	if cs.WebCheckoutDetails != nil {
		if u, err := url.Parse(cs.WebCheckoutDetails.AmazonPayRedirectURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
			pg.RedirectURL = u.String()
		}
	}
	p.render(w, "review.html", pg)
}

func (p *Pages) result(w http.ResponseWriter, r *http.Request) {
	sub, err := p.cfg.Service.CompleteCheckout(r.Context(), r.URL.Query().Get("amazonCheckoutSessionId"))
	if err != nil {
		p.fail(w, err)
		return
	}
	http.Redirect(w, r, p.CustomerURL(sub.ID)+"&done=1", http.StatusSeeOther)
}

// customerSub checks the link token and loads the subscription.
func (p *Pages) customerSub(w http.ResponseWriter, r *http.Request) (*shop.Subscription, bool) {
	id, ok := pathID(r)
	if !ok || !hmac.Equal([]byte(r.URL.Query().Get("t")), []byte(p.Token(id))) {
		p.fail(w, shop.Errorf(shop.ENOTFOUND, "This subscription link is not valid."))
		return nil, false
	}
	sub, err := p.cfg.Service.cfg.Store.Subscription(r.Context(), id)
	if err != nil {
		p.fail(w, err)
		return nil, false
	}
	return sub, true
}

func (p *Pages) customer(w http.ResponseWriter, r *http.Request) {
	sub, ok := p.customerSub(w, r)
	if !ok {
		return
	}
	pg, err := p.subPage(r.Context(), "Your subscription", sub)
	if err != nil {
		p.fail(w, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "1":
		pg.Flash = "Thank you — your subscription is set up. Keep this page's address to manage it."
	case "canceled":
		pg.Flash = "Your subscription is canceled; Amazon Pay will not charge you for it again."
	}
	p.render(w, "customer.html", pg)
}

func (p *Pages) subPage(ctx context.Context, title string, sub *shop.Subscription) (page, error) {
	used, limit, err := p.cfg.Service.MonthlyUsage(ctx, sub)
	if err != nil {
		return page{}, err
	}
	pg := page{Title: title, Base: CustomerBase, Token: p.Token(sub.ID), Sub: sub, Used: used, Limit: limit, CustomerURL: p.CustomerURL(sub.ID)}
	if sub.BuyerEmail != "" {
		orders, err := p.cfg.Service.cfg.Store.Orders(ctx, shop.OrderFilter{BuyerEmail: sub.BuyerEmail, Limit: 200})
		if err != nil {
			return page{}, err
		}
		for _, o := range orders {
			if o.SubscriptionID == sub.ID {
				pg.Orders = append(pg.Orders, o)
			}
		}
	}
	return pg, nil
}

func (p *Pages) customerPM(w http.ResponseWriter, r *http.Request) {
	sub, ok := p.customerSub(w, r)
	if !ok {
		return
	}
	co, err := p.cfg.Service.StartPaymentMethodChange(r.Context(), sub.ID, p.urls())
	if err != nil {
		p.fail(w, err)
		return
	}
	http.Redirect(w, r, p.cfg.SignInURL(co.CheckoutSessionID), http.StatusSeeOther)
}

func (p *Pages) customerCancel(w http.ResponseWriter, r *http.Request) {
	sub, ok := p.customerSub(w, r)
	if !ok {
		return
	}
	if _, err := p.cfg.Service.Cancel(r.Context(), sub.ID, false); err != nil {
		p.fail(w, err)
		return
	}
	http.Redirect(w, r, p.CustomerURL(sub.ID)+"&done=canceled", http.StatusSeeOther)
}

// --- admin ------------------------------------------------------------------

func (p *Pages) adminList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	store := p.cfg.Service.cfg.Store
	due, err := p.cfg.Service.Due(ctx, 200)
	if err != nil {
		p.fail(w, err)
		return
	}
	counts, err := jobs.JobCounts(ctx, store)
	if err != nil {
		p.fail(w, err)
		return
	}
	dead, err := store.Jobs(ctx, shop.JobFilter{Status: []shop.JobStatus{shop.JobDead}, Limit: 100})
	if err != nil {
		p.fail(w, err)
		return
	}
	pg := page{Title: "Subscriptions", Base: AdminBase, Due: due, Counts: counts}
	for _, j := range dead {
		if j.Kind == KindRenew || j.Kind == KindUpgradeCharge || j.Kind == KindCloseChargePermission {
			pg.Flagged = append(pg.Flagged, j)
		}
	}
	if p.cfg.Limiter != nil {
		st := p.cfg.Limiter.Stats()
		pg.Throttle = &st
	}
	p.render(w, "admin_list.html", pg)
}

func (p *Pages) adminFind(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimSpace(r.URL.Query().Get("id")), 10, 64)
	if err != nil || id <= 0 {
		p.fail(w, shop.Errorf(shop.EINVALID, "A subscription id is a positive number."))
		return
	}
	http.Redirect(w, r, AdminBase+"/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (p *Pages) adminSub(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		p.fail(w, shop.Errorf(shop.ENOTFOUND, "No such subscription."))
		return
	}
	sub, err := p.cfg.Service.cfg.Store.Subscription(r.Context(), id)
	if err != nil {
		p.fail(w, err)
		return
	}
	pg, err := p.subPage(r.Context(), "Subscription "+strconv.FormatInt(id, 10), sub)
	if err != nil {
		p.fail(w, err)
		return
	}
	pg.Base = AdminBase
	pg.Flash = r.URL.Query().Get("msg")
	p.render(w, "admin_sub.html", pg)
}

func (p *Pages) adminAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		p.fail(w, shop.Errorf(shop.ENOTFOUND, "No such subscription."))
		return
	}
	var err error
	msg := ""
	switch {
	case strings.HasSuffix(r.URL.Path, "/cancel"):
		_, err = p.cfg.Service.Cancel(r.Context(), id, true)
		msg = "Canceled; the charge permission is being closed."
	case strings.HasSuffix(r.URL.Path, "/resume"):
		_, err = p.cfg.Service.Resume(r.Context(), id)
		msg = "Resumed; a renewal is attempted now."
	default:
		pid, perr := strconv.ParseInt(r.PostFormValue("product_id"), 10, 64)
		if perr != nil || pid <= 0 {
			err = shop.Errorf(shop.EINVALID, "Give the id of a subscription product.")
			break
		}
		_, err = p.cfg.Service.ChangePlan(r.Context(), id, pid)
		msg = "Plan changed."
	}
	if err != nil {
		p.fail(w, err)
		return
	}
	http.Redirect(w, r, AdminBase+"/"+strconv.FormatInt(id, 10)+"?msg="+url.QueryEscape(msg), http.StatusSeeOther)
}
