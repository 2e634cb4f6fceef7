package emulator

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// The hosted buyer pages: what Amazon shows the buyer between the button and
// the merchant's return URLs (api-objects.md §16.2), as plain server-rendered
// HTML forms that work without JavaScript (only the processing page uses a
// line of script, to continue on its own as Amazon's does; without script it
// shows a Continue button).
//
//	POST /checkout/start                   the button (checkout.js, checkoutjs.go): verify, create, → sign-in
//	GET  /checkout/signin?amazonCheckoutSessionId=…   pick or type a test buyer
//	GET  /checkout/select?amazonCheckoutSessionId=…   address book and payment method → checkoutReviewReturnUrl
//	GET  /checkout/change-address?amazonCheckoutSessionId=…   bindChangeAction changeAddress → review URL
//	GET  /checkout/change-payment?amazonCheckoutSessionId=…   bindChangeAction changePayment → review URL
//	GET  /checkout/processing?amazonCheckoutSessionId=…       amazonPayRedirectUrl → result (or cancel) URL
//	POST /checkout/signout                 amazon.Pay.signout(): forget the remembered buyer
//
// Every page that changes something posts a form to the same path. The
// changes go through the functions the control API's buyer step uses
// (SignIn and Confirm in buyer_flow.go), so both paths are one
// implementation. Bad input — a missing or unknown session id, an expired
// or finished session, a replayed redirect — gets an error page with the
// right status and changes nothing.

//go:embed web/templates/*.html web/static/*.css web/static/*.js
var webFS embed.FS

// pageTemplates are parsed once; they are never modified afterwards.
var pageTemplates = parsePageTemplates()

// hostedCSS is inlined in every page (one request per page, nothing to cache).
var hostedCSS = template.CSS(mustReadWeb("web/static/hosted.css"))

func mustReadWeb(name string) []byte {
	b, err := webFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

func parsePageTemplates() map[string]*template.Template {
	base := template.Must(template.New("hosted").ParseFS(webFS, "web/templates/layout.html", "web/templates/parts.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"signin", "select", "change_address", "change_payment", "processing", "error"} {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(webFS, "web/templates/"+name+".html"))
	}
	return out
}

// buyerCookie remembers the signed-in test buyer on the emulator's origin,
// as Amazon remembers a sign-in; amazon.Pay.signout() clears it.
const buyerCookie = "apay-emulator-buyer"

// registerBuyerSide adds checkout.js, the hosted pages and the notification
// control endpoints to the root mux.
func (s *Server) registerBuyerSide(mux *http.ServeMux) {
	mux.HandleFunc("GET /checkout.js", s.serveCheckoutJS)
	mux.HandleFunc("POST /checkout/start", s.hosted(s.startCheckout))
	mux.HandleFunc("GET /checkout/signin", s.hosted(s.signinPage))
	mux.HandleFunc("POST /checkout/signin", s.hosted(s.signinSubmit))
	mux.HandleFunc("GET /checkout/select", s.hosted(s.selectPage))
	mux.HandleFunc("POST /checkout/select", s.hosted(s.selectSubmit))
	mux.HandleFunc("GET /checkout/change-address", s.hosted(s.changeAddressPage))
	mux.HandleFunc("POST /checkout/change-address", s.hosted(s.changeAddressSubmit))
	mux.HandleFunc("GET /checkout/change-payment", s.hosted(s.changePaymentPage))
	mux.HandleFunc("POST /checkout/change-payment", s.hosted(s.changePaymentSubmit))
	mux.HandleFunc("GET /checkout/processing", s.hosted(s.processingPage))
	mux.HandleFunc("POST /checkout/processing", s.hosted(s.processingSubmit))
	mux.HandleFunc("POST /checkout/signout", s.signout)
	mux.HandleFunc("GET /checkout/signout", s.signout)
	mux.HandleFunc("/checkout/", s.hosted(func(w http.ResponseWriter, r *http.Request) *pageError {
		return &pageError{Status: http.StatusNotFound, Code: "PageNotFound", Message: "There is no hosted page at " + truncate(r.URL.Path, 100) + "."}
	}))
	s.registerNotificationControl(mux)
}

// pageError is what an error page shows.
type pageError struct {
	Status        int
	Code, Message string
	// Link leads somewhere sensible (the merchant's result page after a
	// replayed redirect, the sign-in page when nobody signed in).
	Link, LinkText string
	// SessionID is shown when known.
	SessionID string
}

// hosted wraps a page handler: body cap, panic recovery, and the error page
// for a returned *pageError.
func (s *Server) hosted(h func(w http.ResponseWriter, r *http.Request) *pageError) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("emulator: hosted page panic", "path", r.URL.Path)
				s.renderError(w, &pageError{Status: http.StatusInternalServerError, Code: "InternalServerError", Message: "The page could not be shown."})
			}
		}()
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		}
		if pe := h(w, r); pe != nil {
			s.log.Info("emulator: hosted page error", "path", r.URL.Path, "status", pe.Status, "code", pe.Code)
			s.renderError(w, pe)
		}
	}
}

// pageData is what every template gets; a page uses the fields it needs.
type pageData struct {
	Heading   string
	CSS       template.CSS
	Sandbox   bool
	SessionID string
	Store     string
	Amount    string
	Notice    string
	CancelURL string
	BackURL   string
	Hidden    []hiddenField
	Err       *pageError

	// Sign-in.
	Buyers      []buyerChoice
	Email, Name string

	// Selection and change pages.
	Buyer         *BuyerInfo
	ShowAddresses bool
	Addresses     []addressChoice
	FixedAddress  *Address
	Cards         []cardChoice

	// Processing.
	Shipping     *Address
	PaymentLabel string
	PayNow       bool
}

type hiddenField struct{ Name, Value string }

type buyerChoice struct {
	ID, Email, Name string
	Checked         bool
}

type addressChoice struct {
	ID      string
	Address Address
	Checked bool
}

type cardChoice struct {
	Last4, Label, Describe string
	Simulated, Checked     bool
}

// render writes a page. Pages are never cached: they show live state.
func (s *Server) render(w http.ResponseWriter, status int, name string, d *pageData) {
	d.CSS = hostedCSS
	var buf bytes.Buffer
	if err := pageTemplates[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.Error("emulator: rendering hosted page", "page", name, "error", err)
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) renderError(w http.ResponseWriter, pe *pageError) {
	heading := "Something went wrong"
	switch {
	case pe.Status == http.StatusNotFound:
		heading = "Not found"
	case pe.Status == http.StatusGone:
		heading = "This checkout has ended"
	case pe.Status == http.StatusConflict:
		heading = "This step is already done"
	case pe.Status == http.StatusForbidden:
		heading = "The checkout could not start"
	case pe.Status < 500:
		heading = "The request is not valid"
	}
	s.render(w, pe.Status, "error", &pageData{Heading: heading, Err: pe, SessionID: pe.SessionID})
}

// --- reading a session --------------------------------------------------------------

// sessionView is what the pages show of a session, copied under the lock so
// rendering never touches shared state.
type sessionView struct {
	ID, State, Reason, ReasonText     string
	Owner                             Owner
	ProductType, CheckoutMode         string
	Currency, Amount, Store           string
	ReviewURL, ResultURL, CancelURL   string
	Buyer                             *BuyerInfo
	Shipping, Billing, AddressDetails *Address
	PaymentMethod                     string
	Redirected                        bool
	Constraint                        string // the first open constraint, "" when none
	ConstraintText                    string
}

// viewSession reads a session (after due timers, like every call).
func (s *Server) viewSession(id string) (sessionView, *pageError) {
	if id == "" {
		return sessionView{}, errMissingParam("amazonCheckoutSessionId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runDue(s.clock.now())
	cs := s.st.CheckoutSessions[id]
	if cs == nil {
		return sessionView{}, &pageError{Status: http.StatusNotFound, Code: "CheckoutSessionNotFound",
			Message: "There is no checkout session with the id '" + truncate(id, 64) + "'. Return to the merchant and start the checkout again."}
	}
	v := sessionView{
		ID: cs.ID, State: cs.Status.State, Reason: cs.Status.ReasonCode, ReasonText: cs.Status.ReasonDescription, Owner: cs.Owner,
		ProductType: cs.ProductType, CheckoutMode: cs.CheckoutMode, Currency: cs.presentmentCurrency(),
		ReviewURL: cs.ReviewReturnURL, ResultURL: cs.ResultReturnURL, CancelURL: cs.CancelURL,
		PaymentMethod: cs.PaymentMethod, Redirected: cs.Redirected,
		Buyer: copyPtr(cs.Buyer), Shipping: copyPtr(cs.ShippingAddress), Billing: copyPtr(cs.BillingAddress), AddressDetails: copyPtr(cs.AddressDetails),
	}
	if cs.ChargeAmount != nil {
		p := cs.ChargeAmount.wire()
		v.Amount = p.Amount + " " + p.CurrencyCode
	}
	if cs.Merchant != nil {
		v.Store = cs.Merchant.MerchantStoreName
	}
	if c := cs.constraints(); len(c) > 0 {
		v.Constraint, v.ConstraintText = c[0].ConstraintID, c[0].Description
	}
	return v, nil
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func errMissingParam(name string) *pageError {
	return &pageError{Status: http.StatusBadRequest, Code: "MissingParameterValue", Message: "The parameter '" + name + "' is missing."}
}

// ended refuses a session that is no longer Open: 410 for a canceled or
// expired one, 409 for a completed one.
func (v sessionView) ended() *pageError {
	switch v.State {
	case csOpen:
		return nil
	case csCanceled:
		code := "CheckoutSessionCanceled"
		if v.Reason == "Expired" {
			code = "CheckoutSessionExpired"
		}
		msg := "This checkout was canceled (" + v.Reason + ")"
		if v.ReasonText != "" {
			msg += ": " + v.ReasonText
		}
		return &pageError{Status: http.StatusGone, Code: code, Message: msg + " Return to the merchant and start a new checkout.", SessionID: v.ID}
	}
	return &pageError{Status: http.StatusConflict, Code: "InvalidCheckoutSessionStatus", SessionID: v.ID,
		Message: "This checkout is already " + v.State + "; there is nothing left to do on Amazon Pay's pages."}
}

// beforeRedirect is the check of the sign-in, selection and change pages:
// the session is Open and the buyer has not gone on to amazonPayRedirectUrl.
func (v sessionView) beforeRedirect() *pageError {
	if pe := v.ended(); pe != nil {
		return pe
	}
	if v.Redirected {
		pe := &pageError{Status: http.StatusConflict, Code: "InvalidCheckoutSessionStatus", SessionID: v.ID,
			Message: "The buyer already went on to payment processing; the address and payment method can no longer be changed."}
		if v.ResultURL != "" {
			pe.Link, pe.LinkText = withQuery(v.ResultURL, "amazonCheckoutSessionId", v.ID), "Return to the merchant"
		}
		return pe
	}
	return nil
}

// pageErrorOf turns an error of SignIn or Confirm (the state changed
// between showing the page and submitting it) into an error page.
func pageErrorOf(err error, id string) *pageError {
	var ae *apiError
	if !errors.As(err, &ae) {
		return &pageError{Status: http.StatusInternalServerError, Code: "InternalServerError", Message: "The checkout could not continue.", SessionID: id}
	}
	pe := &pageError{Status: ae.Status, Code: ae.ReasonCode, Message: ae.Message, SessionID: id}
	switch {
	case ae.ReasonCode == codeCheckoutSessionCanceled:
		pe.Status = http.StatusGone
	case ae.Status == http.StatusUnprocessableEntity:
		pe.Status = http.StatusConflict
	}
	return pe
}

// --- sign-in -----------------------------------------------------------------------

// testBuyers are offered on the sign-in page; any other email works too.
var testBuyers = []struct{ Email, Name string }{
	{defaultBuyerEmail, "Test Buyer SBX"},
	{"sandbox.guillot@example.com", "Sandbox Guillot"},
	{"yamada.taro@example.jp", "山田 太郎"},
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) *pageError {
	v, pe := s.viewSession(r.URL.Query().Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	if pe := v.beforeRedirect(); pe != nil {
		return pe
	}
	if mid := r.URL.Query().Get("merchantId"); mid != "" && mid != v.Owner.MerchantID {
		return &pageError{Status: http.StatusForbidden, Code: "InvalidMerchantId", SessionID: v.ID,
			Message: "The checkout session does not belong to the merchant '" + truncate(mid, 32) + "' the button names."}
	}
	email, name := rememberedBuyer(r)
	if v.Buyer != nil {
		email, name = v.Buyer.Email, v.Buyer.Name
	}
	d := s.signinData(v.ID, v.Owner.Env == Sandbox, email, name)
	d.Store, d.Amount, d.CancelURL = v.Store, v.Amount, cancelLink(v)
	if lc := r.URL.Query().Get("ledgerCurrency"); lc != "" {
		d.Hidden = append(d.Hidden, hiddenField{"ledgerCurrency", lc})
	}
	s.render(w, http.StatusOK, "signin", d)
	return nil
}

// signinData lists the test buyers with the remembered (or current) one
// checked; an email that is not a listed test buyer fills the text field.
func (s *Server) signinData(id string, sandbox bool, email, name string) *pageData {
	d := &pageData{Heading: "Sign in", Sandbox: sandbox, SessionID: id}
	listed := false
	for i, b := range testBuyers {
		c := buyerChoice{ID: string(rune('a' + i)), Email: b.Email, Name: b.Name, Checked: strings.EqualFold(b.Email, email)}
		listed = listed || c.Checked
		d.Buyers = append(d.Buyers, c)
	}
	if !listed {
		d.Email, d.Name = email, name
		if email == "" {
			d.Buyers[0].Checked = true
		}
	}
	return d
}

func (s *Server) signinSubmit(w http.ResponseWriter, r *http.Request) *pageError {
	if err := r.ParseForm(); err != nil {
		return badForm(err)
	}
	if r.PostForm.Get("payloadJSON") != "" {
		return s.signInOnlySubmit(w, r)
	}
	v, pe := s.viewSession(r.PostForm.Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	if pe := v.beforeRedirect(); pe != nil {
		return pe
	}
	email, name, problem := chosenBuyer(r.PostForm)
	if problem != "" {
		d := s.signinData(v.ID, v.Owner.Env == Sandbox, r.PostForm.Get("email"), r.PostForm.Get("name"))
		d.Notice, d.Store, d.Amount, d.CancelURL = problem, v.Store, v.Amount, cancelLink(v)
		s.render(w, http.StatusBadRequest, "signin", d)
		return nil
	}
	rememberBuyer(w, r, email, name)
	q := url.Values{"amazonCheckoutSessionId": {v.ID}, "email": {email}}
	if name != "" {
		q.Set("name", name)
	}
	if lc := r.PostForm.Get("ledgerCurrency"); lc != "" {
		q.Set("ledgerCurrency", lc)
	}
	http.Redirect(w, r, "/checkout/select?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// chosenBuyer reads the sign-in form: a typed email wins over the radio
// choice. problem is what to tell the buyer when the input is unusable.
func chosenBuyer(f url.Values) (email, name, problem string) {
	email, name = strings.TrimSpace(f.Get("email")), strings.TrimSpace(f.Get("name"))
	if email == "" {
		email = strings.TrimSpace(f.Get("buyer"))
		name = ""
		for _, b := range testBuyers {
			if strings.EqualFold(b.Email, email) {
				name = b.Name
			}
		}
	}
	switch {
	case email == "":
		return "", "", "Choose a test buyer or type an email."
	case !validEmail(email):
		return "", "", "The email '" + truncate(email, 64) + "' is not valid."
	case len(name) > 100 || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", "", "The name is too long or contains control characters."
	}
	return email, name, ""
}

func validEmail(e string) bool {
	at := strings.LastIndexByte(e, '@')
	return len(e) <= 254 && at > 0 && at < len(e)-1 && strings.IndexFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

func rememberBuyer(w http.ResponseWriter, r *http.Request, email, name string) {
	c := &http.Cookie{Name: buyerCookie, Value: url.Values{"e": {email}, "n": {name}}.Encode(), Path: "/", HttpOnly: true, MaxAge: 24 * 3600, SameSite: http.SameSiteLaxMode}
	if r.TLS != nil {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode // signout() fetches cross-site
	}
	http.SetCookie(w, c)
}

func rememberedBuyer(r *http.Request) (email, name string) {
	c, err := r.Cookie(buyerCookie)
	if err != nil {
		return "", ""
	}
	q, err := url.ParseQuery(c.Value)
	if err != nil || !validEmail(q.Get("e")) {
		return "", ""
	}
	return q.Get("e"), q.Get("n")
}

// signout is amazon.Pay.signout(): the remembered buyer is forgotten. It
// answers 204 with CORS headers so a fetch from the merchant's page works.
func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	c := &http.Cookie{Name: buyerCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1, SameSite: http.SameSiteLaxMode}
	if r.TLS != nil {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Vary", "Origin")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func cancelLink(v sessionView) string {
	if v.CancelURL == "" {
		return ""
	}
	return withQuery(v.CancelURL, "amazonCheckoutSessionId", v.ID)
}

func badForm(err error) *pageError {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return &pageError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: "The form is too large."}
	}
	return &pageError{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: "The form could not be read."}
}

// --- address book and payment methods ------------------------------------------------

// paymentMethodOrder is how the simulated cards are listed: the succeeding
// ones first, then those that simulate an outcome (api-objects.md §13.2).
var paymentMethodOrder = []string{"1111", "0005", "4444", "9424", "0000", "3064", "3434", "0701", "4354"}

// outcomeText says what a simulated card does, as the sandbox docs do.
var outcomeText = map[string]string{
	outcomeSuccess:         "Authorization succeeds.",
	outcomeBuyerCanceled:   "The buyer cancels: the checkout session is Canceled (BuyerCanceled) on return.",
	outcomeDeclined:        "The payment is declined: the checkout session is Canceled (Declined) on return.",
	outcomePendingAuth:     "The authorization is pending (AuthorizationInitiated) and turns Authorized after 30 seconds. Needs paymentIntent Authorize and canHandlePendingAuthorization true.",
	outcomePendingDeclined: "The authorization is pending (AuthorizationInitiated) and turns Declined (HardDeclined) after 30 seconds. Needs paymentIntent Authorize and canHandlePendingAuthorization true.",
}

// cards lists the payment methods with current checked; sandbox sessions
// mark and describe the simulated ones.
func cards(sandbox bool, current string) []cardChoice {
	if current == "" {
		current = defaultPaymentMethod
	}
	out := make([]cardChoice, 0, len(paymentMethodOrder))
	for _, last4 := range paymentMethodOrder {
		pm := paymentMethods[last4]
		c := cardChoice{Last4: last4, Label: pm.brand + " ending in " + last4, Checked: last4 == current}
		if sandbox {
			c.Simulated, c.Describe = true, outcomeText[pm.outcome]
		}
		out = append(out, c)
	}
	return out
}

func validCard(last4 string) bool {
	_, ok := paymentMethods[last4]
	return ok
}

// extraAddresses are more entries of the test buyer's address book, after
// the sandbox's default shipping and billing addresses.
var extraAddresses = map[string]Address{
	"USD": {Name: "Jane Doe", AddressLine1: "410 Terry Ave N", City: "Seattle", StateOrRegion: "WA", PostalCode: "98109", CountryCode: "US", PhoneNumber: "206-000-0000"},
	"JPY": {Name: "佐藤 花子", AddressLine1: "北区梅田3-1-1", City: "大阪市", StateOrRegion: "大阪府", PostalCode: "530-0001", CountryCode: "JP", PhoneNumber: "06-0000-0000"},
	"EUR": {Name: "Max Mustermann", AddressLine1: "Friedrichstraße 43", City: "Berlin", PostalCode: "10117", CountryCode: "DE", PhoneNumber: "030000000"},
	"GBP": {Name: "John Smith", AddressLine1: "1 Example Road", City: "Manchester", PostalCode: "M1 1AA", CountryCode: "GB", PhoneNumber: "01610000000"},
}

// regionCurrency picks the address book: the session's currency, else the
// button's ledgerCurrency, else USD.
func regionCurrency(sessionCcy, ledger string) string {
	for _, c := range []string{sessionCcy, ledger} {
		if _, ok := extraAddresses[c]; ok {
			return c
		}
	}
	return "USD"
}

// addressBook is the buyer's address book: the current shipping address
// first if it is not one of the book's, then the region's addresses.
func addressBook(ccy string, current *Address) []Address {
	ship, bill := defaultAddresses(ccy)
	book := []Address{ship, bill, extraAddresses[ccy]}
	if current != nil {
		for _, a := range book {
			if sameAddress(&a, current) {
				return book
			}
		}
		c := *current
		c.AddressID = ""
		book = append([]Address{c}, book...)
	}
	return book
}

func addressChoices(book []Address, current *Address) []addressChoice {
	out := make([]addressChoice, len(book))
	for i, a := range book {
		out[i] = addressChoice{ID: "a" + string(rune('0'+i)), Address: a, Checked: (current == nil && i == 0) || (current != nil && sameAddress(&a, current))}
	}
	if current != nil && !anyChecked(out) {
		out[0].Checked = true
	}
	return out
}

func anyChecked(cs []addressChoice) bool {
	for _, c := range cs {
		if c.Checked {
			return true
		}
	}
	return false
}

// pickAddress finds the chosen entry of the book.
func pickAddress(book []Address, id string) (*Address, bool) {
	for i, a := range book {
		if id == "a"+string(rune('0'+i)) {
			return &a, true
		}
	}
	return nil, false
}

// shipsTo reports whether the buyer chooses a shipping address for v: not
// for PayOnly, nor when the merchant fixed it (addressDetails, APB).
func (v sessionView) shipsTo() bool {
	return v.ProductType != "PayOnly" && v.AddressDetails == nil
}

// --- selection (first visit) ----------------------------------------------------------

func (s *Server) selectPage(w http.ResponseWriter, r *http.Request) *pageError {
	q := r.URL.Query()
	v, pe := s.viewSession(q.Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	if pe := v.beforeRedirect(); pe != nil {
		return pe
	}
	email, name := q.Get("email"), q.Get("name")
	if email == "" {
		email, name = rememberedBuyer(r)
	}
	if email == "" && v.Buyer != nil {
		email, name = v.Buyer.Email, v.Buyer.Name
	}
	if !validEmail(email) {
		http.Redirect(w, r, "/checkout/signin?"+url.Values{"amazonCheckoutSessionId": {v.ID}}.Encode(), http.StatusSeeOther)
		return nil
	}
	s.render(w, http.StatusOK, "select", s.selectData(v, email, name, q.Get("ledgerCurrency"), ""))
	return nil
}

func (s *Server) selectData(v sessionView, email, name, ledger, notice string) *pageData {
	shown := newBuyer(email, name)
	d := &pageData{Heading: "Choose how to pay", Sandbox: v.Owner.Env == Sandbox, SessionID: v.ID, Store: v.Store, Amount: v.Amount,
		CancelURL: cancelLink(v), Buyer: &shown, Notice: notice,
		Hidden: []hiddenField{{"email", email}, {"name", name}, {"ledgerCurrency", ledger}}}
	ccy := regionCurrency(v.Currency, ledger)
	if v.shipsTo() {
		d.Heading = "Choose an address and a payment method"
		d.ShowAddresses = true
		d.Addresses = addressChoices(addressBook(ccy, v.Shipping), v.Shipping)
	} else if v.AddressDetails != nil && v.ProductType != "PayOnly" {
		d.FixedAddress = v.AddressDetails
	}
	d.Cards = cards(d.Sandbox, v.PaymentMethod)
	return d
}

func (s *Server) selectSubmit(w http.ResponseWriter, r *http.Request) *pageError {
	if err := r.ParseForm(); err != nil {
		return badForm(err)
	}
	f := r.PostForm
	v, pe := s.viewSession(f.Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	if pe := v.beforeRedirect(); pe != nil {
		return pe
	}
	email, name, ledger := f.Get("email"), f.Get("name"), f.Get("ledgerCurrency")
	if !validEmail(email) {
		return &pageError{Status: http.StatusBadRequest, Code: "MissingParameterValue", SessionID: v.ID, Message: "Nobody is signed in: the parameter 'email' is missing or not valid.",
			Link: "/checkout/signin?" + url.Values{"amazonCheckoutSessionId": {v.ID}}.Encode(), LinkText: "Sign in"}
	}
	in := BuyerInput{Email: email, Name: name, PaymentMethod: f.Get("paymentMethod")}
	ccy := regionCurrency(v.Currency, ledger)
	_, in.BillingAddress = addressesFor(ccy)
	problem := ""
	if v.shipsTo() {
		a, found := pickAddress(addressBook(ccy, v.Shipping), f.Get("address"))
		if !found {
			problem = "Choose a shipping address."
		}
		in.ShippingAddress = a
	}
	if !validCard(in.PaymentMethod) {
		problem = strings.TrimSpace(problem + " Choose a payment method.")
	}
	if problem != "" {
		s.render(w, http.StatusBadRequest, "select", s.selectData(v, email, name, ledger, problem))
		return nil
	}
	next, err := s.SignIn(v.ID, in)
	if err != nil {
		return pageErrorOf(err, v.ID)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// addressesFor returns the region's default shipping and billing addresses
// as pointers (billing goes with the payment method on Amazon's side).
func addressesFor(ccy string) (*Address, *Address) {
	ship, bill := defaultAddresses(ccy)
	return &ship, &bill
}

// --- change pages (bindChangeAction) ----------------------------------------------------

// changeView is the common check of the change pages: before the redirect,
// with a buyer signed in.
func (s *Server) changeView(id string) (sessionView, *pageError) {
	v, pe := s.viewSession(id)
	if pe != nil {
		return v, pe
	}
	if pe := v.beforeRedirect(); pe != nil {
		return v, pe
	}
	if v.Buyer == nil {
		return v, &pageError{Status: http.StatusConflict, Code: "BuyerNotAssociated", SessionID: v.ID,
			Message: "No buyer has signed in to this checkout yet, so there is nothing to change.",
			Link:    "/checkout/signin?" + url.Values{"amazonCheckoutSessionId": {v.ID}}.Encode(), LinkText: "Sign in"}
	}
	return v, nil
}

func (v sessionView) backToReview() string {
	if v.ReviewURL == "" {
		return "/checkout/processing?" + url.Values{"amazonCheckoutSessionId": {v.ID}}.Encode()
	}
	return withQuery(v.ReviewURL, "amazonCheckoutSessionId", v.ID)
}

func (s *Server) changeAddressPage(w http.ResponseWriter, r *http.Request) *pageError {
	v, pe := s.changeView(r.URL.Query().Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	if !v.shipsTo() {
		return &pageError{Status: http.StatusConflict, Code: "InvalidChangeAction", SessionID: v.ID, Message: "This checkout has no shipping address the buyer can change.",
			Link: v.backToReview(), LinkText: "Return to the merchant"}
	}
	s.render(w, http.StatusOK, "change_address", s.changeAddressData(v, ""))
	return nil
}

func (s *Server) changeAddressData(v sessionView, notice string) *pageData {
	return &pageData{Heading: "Change the shipping address", Sandbox: v.Owner.Env == Sandbox, SessionID: v.ID, Store: v.Store, Amount: v.Amount, Notice: notice,
		BackURL: v.backToReview(), Addresses: addressChoices(addressBook(regionCurrency(v.Currency, ""), v.Shipping), v.Shipping)}
}

func (s *Server) changeAddressSubmit(w http.ResponseWriter, r *http.Request) *pageError {
	if err := r.ParseForm(); err != nil {
		return badForm(err)
	}
	v, pe := s.changeView(r.PostForm.Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	if !v.shipsTo() {
		return &pageError{Status: http.StatusConflict, Code: "InvalidChangeAction", SessionID: v.ID, Message: "This checkout has no shipping address the buyer can change."}
	}
	a, found := pickAddress(addressBook(regionCurrency(v.Currency, ""), v.Shipping), r.PostForm.Get("address"))
	if !found {
		s.render(w, http.StatusBadRequest, "change_address", s.changeAddressData(v, "Choose a shipping address."))
		return nil
	}
	return s.reselect(w, r, v, a, v.PaymentMethod)
}

func (s *Server) changePaymentPage(w http.ResponseWriter, r *http.Request) *pageError {
	v, pe := s.changeView(r.URL.Query().Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	s.render(w, http.StatusOK, "change_payment", s.changePaymentData(v, ""))
	return nil
}

func (s *Server) changePaymentData(v sessionView, notice string) *pageData {
	return &pageData{Heading: "Change the payment method", Sandbox: v.Owner.Env == Sandbox, SessionID: v.ID, Store: v.Store, Amount: v.Amount, Notice: notice,
		BackURL: v.backToReview(), Cards: cards(v.Owner.Env == Sandbox, v.PaymentMethod)}
}

func (s *Server) changePaymentSubmit(w http.ResponseWriter, r *http.Request) *pageError {
	if err := r.ParseForm(); err != nil {
		return badForm(err)
	}
	v, pe := s.changeView(r.PostForm.Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	last4 := r.PostForm.Get("paymentMethod")
	if !validCard(last4) {
		s.render(w, http.StatusBadRequest, "change_payment", s.changePaymentData(v, "Choose a payment method."))
		return nil
	}
	return s.reselect(w, r, v, v.Shipping, last4)
}

// reselect runs the buyer step again with one choice changed and the rest
// as the buyer left it, then goes back to the merchant's review page.
func (s *Server) reselect(w http.ResponseWriter, r *http.Request, v sessionView, shipping *Address, last4 string) *pageError {
	in := BuyerInput{Email: v.Buyer.Email, Name: v.Buyer.Name, PaymentMethod: last4, ShippingAddress: shipping, BillingAddress: v.Billing}
	next, err := s.SignIn(v.ID, in)
	if err != nil {
		return pageErrorOf(err, v.ID)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// --- processing (amazonPayRedirectUrl) ---------------------------------------------------

// processingCheck refuses what Confirm would refuse, before showing the page.
func (v sessionView) processingCheck() *pageError {
	if pe := v.ended(); pe != nil {
		return pe
	}
	if v.Redirected {
		pe := &pageError{Status: http.StatusConflict, Code: "CheckoutAlreadyProcessed", SessionID: v.ID,
			Message: "This payment was already processed; the redirect cannot be used twice."}
		if v.ResultURL != "" {
			pe.Link, pe.LinkText = withQuery(v.ResultURL, "amazonCheckoutSessionId", v.ID), "Return to the merchant"
		}
		return pe
	}
	if v.Constraint != "" {
		return &pageError{Status: http.StatusConflict, Code: v.Constraint, SessionID: v.ID,
			Message: "The checkout is not ready for payment processing: " + v.ConstraintText}
	}
	return nil
}

func (s *Server) processingPage(w http.ResponseWriter, r *http.Request) *pageError {
	v, pe := s.viewSession(r.URL.Query().Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	if pe := v.processingCheck(); pe != nil {
		return pe
	}
	d := &pageData{Heading: "Processing your payment", Sandbox: v.Owner.Env == Sandbox, SessionID: v.ID, Store: v.Store, Amount: v.Amount,
		Buyer: v.Buyer, Shipping: v.Shipping, PaymentLabel: paymentDescriptor(v.PaymentMethod)}
	if v.CheckoutMode == "ProcessOrder" {
		d.Heading, d.PayNow = "Review and pay", true
	}
	s.render(w, http.StatusOK, "processing", d)
	return nil
}

func (s *Server) processingSubmit(w http.ResponseWriter, r *http.Request) *pageError {
	if err := r.ParseForm(); err != nil {
		return badForm(err)
	}
	v, pe := s.viewSession(r.PostForm.Get("amazonCheckoutSessionId"))
	if pe != nil {
		return pe
	}
	if pe := v.processingCheck(); pe != nil {
		return pe
	}
	next, err := s.Confirm(v.ID, r.PostForm.Get("cancel") != "")
	if err != nil {
		return pageErrorOf(err, v.ID)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// --- scopes -----------------------------------------------------------------------------

// Buyer data the merchant sees (api-objects.md §2.2 scopes): buyerId always;
// name, email and phoneNumber when the session's scopes ask for them (no
// scopes: all three, Amazon's default); billingAddress only with the
// billingAddress scope, or for PayOnly, where it is the only address.
// The hosted pages keep the full buyer so the buyer can change choices.

// sharedBuyer is the buyer as Get Checkout Session and the charge
// permission show it.
func (cs *CheckoutSession) sharedBuyer() *BuyerInfo {
	if cs.Buyer == nil || len(cs.Scopes) == 0 {
		return cs.Buyer
	}
	b := BuyerInfo{BuyerID: cs.Buyer.BuyerID}
	for _, sc := range cs.Scopes {
		switch sc {
		case "name":
			b.Name = cs.Buyer.Name
		case "email":
			b.Email = cs.Buyer.Email
		case "phoneNumber":
			b.PhoneNumber = cs.Buyer.PhoneNumber
		}
	}
	return &b
}

// sharedBillingAddress is the billing address the merchant sees.
func (cs *CheckoutSession) sharedBillingAddress() *Address {
	if cs.ProductType == "PayOnly" {
		return cs.BillingAddress
	}
	for _, sc := range cs.Scopes {
		if sc == "billingAddress" {
			return cs.BillingAddress
		}
	}
	return nil
}
