package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/checkout"
)

// The tester pages are the sample code's test drivers (tester_*.html): one
// page per Amazon Pay call with a form pre-filled sensibly — ids taken from
// the link that led here, amounts from the object they belong to, a fresh
// idempotency key on every render — that sends the call with the shop's
// client and shows Amazon Pay's answer: HTTP status, request id and the
// JSON, with every id in it linked to the pages that use it. They are admin
// pages: they move real money on a live key.

// testerField is one input of a tester form.
type testerField struct {
	// Name is the form field and the query parameter that pre-fills it.
	Name  string
	Label string
	// Kind is "text" (default), "select" or "checkbox".
	Kind    string
	Options []string
	// Default gives the initial value when the query has none.
	Default func(h *Handler) string
	// Key marks an idempotency key: a fresh one on every render.
	Key  bool
	Help string
}

// testerPage is one tester: its form and the call it makes.
type testerPage struct {
	Slug      string
	Title     string
	Operation string
	Method    string
	Path      string
	Intro     string
	Fields    []testerField
	// Resource names the field holding the id the call acts on (for the
	// call log).
	Resource string
	// prefill may fill fields from Amazon Pay when the page is opened with
	// an id (an amount from the charge, an address from the session).
	prefill func(ctx context.Context, h *Handler, v values)
	// run makes the call.
	run func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error)
	// kind is "" for an API call, "button" for the button renderer and
	// "result" for the result page (which calls Get Checkout Session on
	// GET, as a return URL must).
	kind string
}

// URL is the page's address.
func (p *testerPage) URL() string { return "/admin/tester/" + p.Slug }

// IsButton reports the button renderer page.
func (p *testerPage) IsButton() bool { return p.kind == "button" }

// IsResult reports the result page.
func (p *testerPage) IsResult() bool { return p.kind == "result" }

// values are a submitted tester form.
type values map[string]string

func (v values) price(amount, currency string) (amazonpay.Price, error) {
	return amazonpay.ParsePrice(strings.TrimSpace(v[amount]), strings.ToUpper(strings.TrimSpace(v[currency])))
}

func (v values) on(name string) bool { return v[name] == "on" || v[name] == "true" }

// fieldView is a field with its current value, for the template.
type fieldView struct {
	testerField
	Value string
}

// Checked reports a ticked checkbox.
func (f fieldView) Checked() bool { return f.Value == "on" || f.Value == "true" }

// testerResult is Amazon Pay's answer as the page shows it.
type testerResult struct {
	Sent           bool
	NotSent        string // why nothing was sent (bad input)
	Status         int
	StatusText     string
	RequestID      string
	IdempotencyKey string
	Attempts       int
	TransportError string
	JSON           string
	Links          []idLink
	RedirectURL    string
}

// idLink is an id found in a response with the pages that use it.
type idLink struct {
	Field string
	ID    string
	Pages []pageLink
}

type pageLink struct{ Href, Title string }

// testerView is the tester template's data.
type testerView struct {
	Page    *testerPage
	Pages   []*testerPage
	Fields  []fieldView
	Result  *testerResult
	Button  *checkout.ButtonRender
	Session string // the result page's checkout session id
	Problem string
}

// registerTesters adds the tester routes.
func (h *Handler) registerTesters() {
	h.mux.Handle("GET /admin/tester/{slug}", h.RequireAdmin(http.HandlerFunc(h.testerGet)))
	h.mux.Handle("POST /admin/tester/{slug}", h.RequireAdmin(http.HandlerFunc(h.testerPost)))
}

func (h *Handler) tester(slug string) *testerPage {
	for _, p := range h.testers {
		if p.Slug == slug {
			return p
		}
	}
	return nil
}

// testerGet shows a pre-filled form (the result page also calls Get
// Checkout Session).
func (h *Handler) testerGet(w http.ResponseWriter, r *http.Request) {
	p := h.tester(r.PathValue("slug"))
	if p == nil {
		h.Error(w, r, shop.Errorf(shop.ENOTFOUND, "There is no tester page %q.", truncate(r.PathValue("slug"), 64)))
		return
	}
	v := h.initialValues(r, p)
	if p.prefill != nil {
		p.prefill(r.Context(), h, v)
	}
	tv := &testerView{Page: p, Pages: h.testers}
	page := &view{Title: p.Title, Data: tv}
	if p.kind == "result" {
		if id := v["checkoutSessionId"]; id != "" {
			tv.Session = id
			tv.Result = h.runTester(r.Context(), p, v)
			page.CheckoutJS, page.Scripts = h.checkoutJS, []string{"/static/storefront.js"}
		}
	}
	tv.Fields = fieldViews(p, v)
	h.renderView(w, r, http.StatusOK, "tester", page)
}

// testerPost sends the call and shows the answer under the form.
func (h *Handler) testerPost(w http.ResponseWriter, r *http.Request) {
	p := h.tester(r.PathValue("slug"))
	if p == nil {
		h.Error(w, r, shop.Errorf(shop.ENOTFOUND, "There is no tester page %q.", truncate(r.PathValue("slug"), 64)))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.Error(w, r, err)
		return
	}
	v := values{}
	for _, f := range p.Fields {
		v[f.Name] = strings.TrimSpace(r.PostForm.Get(f.Name))
	}
	tv := &testerView{Page: p, Pages: h.testers}
	page := &view{Title: p.Title, Data: tv}
	switch p.kind {
	case "button":
		b, err := h.testerButton(v)
		if err != nil {
			tv.Problem = err.Error()
		} else {
			tv.Button = b
			page.CheckoutJS, page.Scripts = h.checkoutJS, []string{"/static/storefront.js"}
		}
	default:
		tv.Result = h.runTester(r.Context(), p, v)
		if p.kind == "result" {
			tv.Session = v["checkoutSessionId"]
			page.CheckoutJS, page.Scripts = h.checkoutJS, []string{"/static/storefront.js"}
		}
	}
	// The next submission is a new request: a fresh idempotency key.
	for _, f := range p.Fields {
		if f.Key {
			v[f.Name] = newKey()
		}
	}
	tv.Fields = fieldViews(p, v)
	status := http.StatusOK
	if tv.Problem != "" {
		status = http.StatusBadRequest
	}
	h.renderView(w, r, status, "tester", page)
}

// initialValues are the defaults, overridden by the query (links from
// other testers carry ids). Amazon's amazonCheckoutSessionId counts as
// checkoutSessionId.
func (h *Handler) initialValues(r *http.Request, p *testerPage) values {
	q := r.URL.Query()
	if q.Get("checkoutSessionId") == "" && q.Get("amazonCheckoutSessionId") != "" {
		q.Set("checkoutSessionId", q.Get("amazonCheckoutSessionId"))
	}
	v := values{}
	for _, f := range p.Fields {
		switch {
		case f.Key:
			v[f.Name] = newKey()
		case q.Has(f.Name):
			v[f.Name] = truncate(strings.TrimSpace(q.Get(f.Name)), 2048)
		case f.Default != nil:
			v[f.Name] = f.Default(h)
		}
	}
	return v
}

func fieldViews(p *testerPage, v values) []fieldView {
	out := make([]fieldView, len(p.Fields))
	for i, f := range p.Fields {
		out[i] = fieldView{testerField: f, Value: v[f.Name]}
	}
	return out
}

// runTester makes the page's call, logs it, and shapes the answer.
func (h *Handler) runTester(ctx context.Context, p *testerPage, v values) *testerResult {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	at, start := h.now(), time.Now()
	resp, err := p.run(ctx, h.co.Client(), v)
	h.recordCall(ctx, p.Operation, v[p.Resource], at, time.Since(start), resp, err)
	return testerOutcome(resp, err)
}

// recordCall appends a tester call to the shop's Amazon call log.
func (h *Handler) recordCall(ctx context.Context, op, resource string, at time.Time, d time.Duration, resp *amazonpay.Response, err error) {
	c := checkout.CallRecord(0, op, resource, at, d, resp, err)
	if c == nil {
		return
	}
	if aerr := h.store.AppendAmazonCall(context.WithoutCancel(ctx), c); aerr != nil {
		h.log.Error("web: append amazon call", "operation", op, "error", aerr)
	}
}

// testerOutcome turns what the SDK returned into the page's result.
func testerOutcome(resp *amazonpay.Response, err error) *testerResult {
	res := &testerResult{}
	var inErr *amazonpay.InputError
	if errors.As(err, &inErr) {
		res.NotSent = inErr.Field + " " + inErr.Reason
		return res
	}
	res.Sent = true
	var reqErr *amazonpay.RequestError
	if errors.As(err, &reqErr) {
		res.TransportError = reqErr.Error()
		res.IdempotencyKey, res.Attempts = reqErr.IdempotencyKey, reqErr.Attempts
		return res
	}
	if resp == nil || resp.Response == nil {
		if err != nil {
			res.TransportError = err.Error()
		}
		return res
	}
	res.Status, res.StatusText = resp.StatusCode, http.StatusText(resp.StatusCode)
	res.RequestID, res.IdempotencyKey, res.Attempts = resp.RequestID, resp.IdempotencyKey, resp.Attempts
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		res.JSON = pretty.String()
		res.Links, res.RedirectURL = idLinks(body)
	} else {
		res.JSON = string(body)
	}
	return res
}

// idPages lists, per id field, the testers that take that id.
var idPages = map[string][]struct{ slug, param, title string }{
	"checkoutSessionId": {
		{"get-checkout-session", "checkoutSessionId", "Get"}, {"update-checkout-session", "checkoutSessionId", "Update"},
		{"complete-checkout-session", "checkoutSessionId", "Complete"}, {"finalize-checkout-session", "checkoutSessionId", "Finalize"},
		{"result", "amazonCheckoutSessionId", "Result page"}, {"button", "checkoutSessionId", "Button (sign in)"},
	},
	"chargePermissionId": {
		{"get-charge-permission", "chargePermissionId", "Get"}, {"update-charge-permission", "chargePermissionId", "Update"},
		{"close-charge-permission", "chargePermissionId", "Close"}, {"create-charge", "chargePermissionId", "Create charge"},
	},
	"chargeId": {
		{"get-charge", "chargeId", "Get"}, {"capture-charge", "chargeId", "Capture"},
		{"cancel-charge", "chargeId", "Cancel"}, {"create-refund", "chargeId", "Refund"},
	},
	"refundId": {{"get-refund", "refundId", "Get"}},
}

// idLinks finds the ids in a JSON answer (at any depth) and links each to
// the testers that use it; it also returns amazonPayRedirectUrl.
func idLinks(body []byte) ([]idLink, string) {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return nil, ""
	}
	seen := map[string]bool{}
	var links []idLink
	var redirect string
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				val := t[k]
				if s, ok := val.(string); ok && s != "" {
					if k == "amazonPayRedirectUrl" {
						redirect = s
					}
					if pages, ok := idPages[k]; ok && !seen[k+"="+s] {
						seen[k+"="+s] = true
						l := idLink{Field: k, ID: s}
						for _, p := range pages {
							l.Pages = append(l.Pages, pageLink{Href: "/admin/tester/" + p.slug + "?" + url.Values{p.param: {s}}.Encode(), Title: p.title})
						}
						links = append(links, l)
					}
				}
				walk(val)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(doc)
	return links, redirect
}

// newKey is a fresh idempotency key (32 hex characters).
func newKey() string {
	k, err := amazonpay.NewIdempotencyKey()
	if err != nil {
		return ""
	}
	return k
}

// newReference is a fresh merchantReferenceId for tests.
func newReference() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "TEST-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// testerButton builds the button of the "sign-in / button render" page:
// a signed createCheckoutSessionConfig, a signed signInConfig for the
// SignIn product type, or the pilot form with a session created on the
// Create Checkout Session page.
func (h *Handler) testerButton(v values) (*checkout.ButtonRender, error) {
	c := h.co.Client()
	b := &checkout.ButtonRender{
		MerchantID: v["merchantId"], PublicKeyID: c.PublicKeyID(), LedgerCurrency: v["ledgerCurrency"],
		CheckoutLanguage: v["checkoutLanguage"], ProductType: v["productType"], Placement: v["placement"],
		ButtonColor: "Gold", Sandbox: c.Sandbox(),
	}
	if b.MerchantID == "" {
		return nil, errors.New("merchantId is required")
	}
	switch {
	case b.ProductType == "SignIn":
		payload := map[string]any{"signInReturnUrl": v["signInReturnUrl"], "storeId": v["storeId"], "signInScopes": []string{"name", "email"}}
		cfg, err := c.SignButtonPayload(payload)
		if err != nil {
			return nil, err
		}
		b.SignInConfig = &cfg
	case v["checkoutSessionId"] != "":
		b.CreateCheckoutSession = v["checkoutSessionId"]
	default:
		cfg, err := c.SignButtonPayload(&amazonpay.CreateCheckoutSessionRequest{
			WebCheckoutDetails: &amazonpay.WebCheckoutDetails{
				CheckoutReviewReturnURL: v["checkoutReviewReturnUrl"],
				CheckoutResultReturnURL: v["checkoutResultReturnUrl"],
			},
			StoreID: v["storeId"],
		})
		if err != nil {
			return nil, err
		}
		b.CreateCheckoutSessionConfig = &cfg
	}
	return b, nil
}
