// Package web is the shop's HTML side: the storefront (products, cart with
// the Amazon Pay button, review, place order, result), the admin login and
// session, and the tester pages — one page per Amazon Pay call, as in the
// sample code's test drivers. Pages are html/template files and static
// assets embedded in the binary.
//
// # Security
//
//   - Every unsafe request (POST…) passes http.CrossOriginProtection, so a
//     form cannot be submitted from another origin.
//   - Templates are html/template; nothing is concatenated into HTML, and
//     there is no inline script: pages pass data to the static scripts in
//     data attributes, under a strict Content-Security-Policy.
//   - Cookies are HttpOnly and SameSite=Lax, Secure (with the __Host-
//     prefix) whenever the shop's base URL is https.
//   - Amounts and currencies are never read from the browser: the storefront
//     forms carry product ids and quantities, and the checkout service
//     takes every amount from the server's cart.
//   - Admin pages (the testers and whatever the back office mounts with
//     [Handler.RequireAdmin]) need a login; passwords are bcrypt hashes in
//     the store, sessions are HMAC-signed cookies.
//   - No secret reaches a page or a log line: errors that are not
//     *shop.Error are logged and shown as "Internal error.".
//
// # Errors
//
// [ErrorInfo] is the one mapping from an error to an HTTP status, a code
// and a message; [Handler.Error] writes it as JSON (when the client asks for
// JSON) or as the HTML error page. Other packages mounted on the same
// handler use it too.
package web

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/checkout"
)

// Config configures a [Handler].
type Config struct {
	// Checkout is the storefront's payment service (it also provides the
	// store, the Amazon Pay client and the base URL).
	Checkout *checkout.Service
	// CheckoutJSURL is where browsers load checkout.js: Amazon's
	// (https://static-na.payments-amazon.com/checkout.js, static-eu,
	// static-fe) or an emulator's (http://127.0.0.1:PORT/checkout.js).
	CheckoutJSURL string
	// Secret keys the admin session cookies (at least 32 bytes). Keep it
	// stable across restarts, or admins log in again.
	Secret []byte
	// ShopName is shown in the page header (default "apaykit shop").
	ShopName string
	// Logger receives internal errors (default discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// SessionTTL is how long an admin login lasts (default 8 hours).
	SessionTTL time.Duration
}

// Handler serves the storefront, the admin login and the tester pages. It
// is an http.Handler; other packages add routes with Handle and protect
// them with RequireAdmin.
type Handler struct {
	co         *checkout.Service
	store      shop.Store
	checkoutJS string
	jsOrigin   string
	secret     []byte
	shopName   string
	log        *slog.Logger
	now        func() time.Time
	sessionTTL time.Duration
	secure     bool

	pages      map[string]*template.Template
	mux        *http.ServeMux
	handler    http.Handler
	csp        string
	logins     chan struct{} // bounds concurrent bcrypt comparisons
	testers    []*testerPage
	adminLinks []AdminLink
}

// New builds the handler and its routes.
func New(cfg Config) (*Handler, error) {
	if cfg.Checkout == nil {
		return nil, errors.New("web: Config.Checkout is required")
	}
	if len(cfg.Secret) < 32 {
		return nil, errors.New("web: Config.Secret must be at least 32 bytes")
	}
	js, err := url.Parse(cfg.CheckoutJSURL)
	if err != nil || (js.Scheme != "https" && js.Scheme != "http") || js.Host == "" {
		return nil, fmt.Errorf("web: Config.CheckoutJSURL %q is not an http(s) URL", cfg.CheckoutJSURL)
	}
	h := &Handler{
		co: cfg.Checkout, store: cfg.Checkout.Store(), checkoutJS: js.String(), jsOrigin: js.Scheme + "://" + js.Host,
		secret: append([]byte(nil), cfg.Secret...), shopName: cfg.ShopName, log: cfg.Logger, now: cfg.Now,
		sessionTTL: cfg.SessionTTL, secure: strings.HasPrefix(cfg.Checkout.BaseURL(), "https://"),
		logins: make(chan struct{}, 4),
	}
	if h.shopName == "" {
		h.shopName = "apaykit shop"
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.sessionTTL <= 0 {
		h.sessionTTL = 8 * time.Hour
	}
	if h.pages, err = parsePages(); err != nil {
		return nil, err
	}
	h.testers = testerPages()
	h.csp = contentSecurityPolicy(h.jsOrigin)
	h.mux = http.NewServeMux()
	h.routes()
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Error(w, r, shop.Errorf(shop.EFORBIDDEN, "This form was sent from another site and was refused."))
	}))
	h.handler = h.recoverer(h.headers(cop.Handler(h.mux)))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.handler.ServeHTTP(w, r) }

// Handle adds a route (a net/http ServeMux pattern such as
// "GET /admin/orders/{id}" or "/api/") to the shop's handler, behind the
// same security headers and cross-origin protection as the pages. Wrap
// admin pages in RequireAdmin. Call it before serving.
func (h *Handler) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

// routes registers every page.
func (h *Handler) routes() {
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})

	// Storefront.
	h.mux.HandleFunc("GET /{$}", h.productsPage)
	h.mux.HandleFunc("GET /cart", h.cartPage)
	h.mux.HandleFunc("POST /cart/items", h.addToCart)
	h.mux.HandleFunc("POST /cart/items/{product}", h.setQuantity)
	h.mux.HandleFunc("POST /cart/items/{product}/remove", h.removeFromCart)
	h.mux.HandleFunc("GET "+checkout.ReviewPath, h.reviewPage)
	h.mux.HandleFunc("POST /checkout/place", h.placeOrder)
	h.mux.HandleFunc("GET "+checkout.ResultPath, h.resultPage)
	h.mux.HandleFunc("GET "+checkout.CancelPath, h.cancelPage)

	// Admin.
	h.mux.HandleFunc("GET /admin/login", h.loginPage)
	h.mux.HandleFunc("POST /admin/login", h.login)
	h.mux.HandleFunc("POST /admin/logout", h.logout)
	h.mux.Handle("GET /admin/{$}", h.RequireAdmin(http.HandlerFunc(h.adminIndex)))
	h.registerTesters()

	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.Error(w, r, shop.Errorf(shop.ENOTFOUND, "There is no page at %s.", truncate(r.URL.Path, 100)))
	})
}

// headers sets the security headers every answer carries.
func (h *Handler) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", h.csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		if h.secure {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a logged 500.
func (h *Handler) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.Error("web: panic", "panic", fmt.Sprint(v), "path", r.URL.Path)
				h.Error(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// amazonOrigins are where Amazon Pay's own pages and scripts live; the
// policy lets checkout.js and the redirect to amazonPayRedirectUrl reach
// them.
const amazonOrigins = "https://*.payments-amazon.com https://*.amazon.com https://*.amazon.co.jp https://*.amazon.co.uk https://*.amazon.de https://*.amazon.eu"

// contentSecurityPolicy allows scripts only from the shop and checkout.js's
// origin, no inline script, and form submissions (and the redirects that
// follow them) only to the shop and Amazon Pay.
func contentSecurityPolicy(jsOrigin string) string {
	pay := jsOrigin + " " + amazonOrigins
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self' " + pay,
		"style-src 'self'",
		"img-src 'self' data: " + pay,
		"connect-src 'self' " + pay,
		"frame-src " + pay,
		"form-action 'self' " + pay,
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"object-src 'none'",
	}, "; ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
