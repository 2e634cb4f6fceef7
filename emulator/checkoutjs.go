package emulator

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// checkout.js and the button's server side (api-objects.md §16.1).
//
// GET /checkout.js is a drop-in for Amazon's script: a merchant switches
// between Amazon and the emulator by changing only the script URL
// (https://static-na.payments-amazon.com/checkout.js →
// http://127.0.0.1:PORT/checkout.js) and the API endpoint. The script finds
// the emulator from its own src. On a click, a signed button
// (createCheckoutSessionConfig or signInConfig) is posted as a form to
// POST /checkout/start, which verifies the payload signature with the
// merchant's registered public key exactly as Amazon does — the string
// "<algorithm>\n" + hex(sha256(payloadJSON)) under RSASSA-PSS — and only
// then creates the checkout session from payloadJSON (the same code as
// Create Checkout Session) and sends the browser to the sign-in page. A
// tampered payload, an unknown key or a key of another merchant gets an
// error page (InvalidSignatureError, 403), never a session. The older pilot
// form (createCheckoutSession: an id, a function returning one, or {url}
// answering one) goes straight to the sign-in page with the session the
// merchant created through the API.

// checkoutJS is the script, embedded (web/static/checkout.js).
var checkoutJS = mustReadWeb("web/static/checkout.js")

func (s *Server) serveCheckoutJS(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(checkoutJS)
}

// buttonForm is what checkout.js posts on a click.
type buttonForm struct {
	MerchantID, PublicKeyID, Algorithm     string
	PayloadJSON, Signature                 string
	ProductType, LedgerCurrency, Placement string
	Sandbox                                bool
}

func readButtonForm(f url.Values) buttonForm {
	return buttonForm{
		MerchantID: strings.TrimSpace(f.Get("merchantId")), PublicKeyID: strings.TrimSpace(f.Get("publicKeyId")),
		Algorithm: strings.TrimSpace(f.Get("algorithm")), PayloadJSON: f.Get("payloadJSON"), Signature: strings.TrimSpace(f.Get("signature")),
		ProductType: strings.TrimSpace(f.Get("productType")), LedgerCurrency: strings.TrimSpace(f.Get("ledgerCurrency")),
		Placement: strings.TrimSpace(f.Get("placement")), Sandbox: f.Get("sandbox") == "true",
	}
}

// buttonProductTypes are the productType values the button takes.
var buttonProductTypes = map[string]bool{"PayAndShip": true, "PayOnly": true, "SignIn": true, "PayAndShipMultiAddress": true}

// verifyButton checks a button the way Amazon does before anything else:
// the parameters are there, the key is registered and belongs to the
// merchant, and the signature matches payloadJSON. It returns the key and
// the environment the session will live in.
func (s *Server) verifyButton(b buttonForm) (*Key, Environment, *pageError) {
	for _, p := range []struct{ name, v string }{{"merchantId", b.MerchantID}, {"publicKeyId", b.PublicKeyID}, {"payloadJSON", b.PayloadJSON}, {"signature", b.Signature}} {
		if p.v == "" {
			return nil, "", errMissingParam(p.name)
		}
	}
	if b.ProductType != "" && !buttonProductTypes[b.ProductType] {
		return nil, "", &pageError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "The productType '" + truncate(b.ProductType, 32) + "' is not valid."}
	}
	algs := []signing.Algorithm{signing.AlgorithmV1, signing.AlgorithmV2} // none given: the older (V1) buttons, or V2
	if b.Algorithm != "" {
		a, err := signing.ParseAlgorithm(b.Algorithm)
		if err != nil {
			return nil, "", &pageError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "The algorithm '" + truncate(b.Algorithm, 40) + "' is not supported; use AMZN-PAY-RSASSA-PSS-V2 or AMZN-PAY-RSASSA-PSS."}
		}
		algs = []signing.Algorithm{a}
	}
	k := s.keys.get(b.PublicKeyID)
	if k == nil {
		return nil, "", &pageError{Status: http.StatusForbidden, Code: "InvalidSignatureError", Message: "The public key id '" + truncate(b.PublicKeyID, 64) + "' is not registered for merchant " + truncate(b.MerchantID, 32) + "."}
	}
	if k.MerchantID != b.MerchantID {
		return nil, "", &pageError{Status: http.StatusForbidden, Code: "InvalidSignatureError", Message: "The public key id '" + truncate(b.PublicKeyID, 64) + "' does not belong to merchant " + truncate(b.MerchantID, 32) + " (it belongs to " + k.MerchantID + ")."}
	}
	var verified bool
	for _, a := range algs {
		if signing.VerifyButtonSignature(k.pub, a, []byte(b.PayloadJSON), b.Signature) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, "", &pageError{Status: http.StatusForbidden, Code: "InvalidSignatureError",
			Message: "Signature " + truncate(b.Signature, 44) + " does not match signedString " + string(algs[len(algs)-1]) + " " + signing.HashHex([]byte(b.PayloadJSON)) + " for merchant " + b.MerchantID + "."}
	}
	env := k.Env()
	if env == "" { // a legacy key id: the button's sandbox flag decides
		env = Live
		if b.Sandbox {
			env = Sandbox
		}
	}
	return k, env, nil
}

// startCheckout is POST /checkout/start, the button click.
func (s *Server) startCheckout(w http.ResponseWriter, r *http.Request) *pageError {
	if err := r.ParseForm(); err != nil {
		return badForm(err)
	}
	b := readButtonForm(r.PostForm)
	k, env, pe := s.verifyButton(b)
	if pe != nil {
		return pe
	}
	if b.ProductType == "SignIn" {
		return s.signInOnlyPage(w, b, env, "", http.StatusOK)
	}
	id, pe := s.createFromButton(r, b, Owner{MerchantID: k.MerchantID, Env: env})
	if pe != nil {
		return pe
	}
	q := url.Values{"amazonCheckoutSessionId": {id}}
	if b.LedgerCurrency != "" {
		q.Set("ledgerCurrency", b.LedgerCurrency)
	}
	http.Redirect(w, r, "/checkout/signin?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// createFromButton creates the checkout session from payloadJSON with the
// Create Checkout Session handler itself, so the button and the API accept
// and refuse exactly the same payloads.
func (s *Server) createFromButton(r *http.Request, b buttonForm, o Owner) (string, *pageError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	s.runDue(now)
	req := &request{Op: "CreateCheckoutSession", Owner: o, Now: now, Body: []byte(b.PayloadJSON), Query: url.Values{}, Header: http.Header{},
		BaseURL: s.publicBase(r), http: r}
	resp := s.createCheckoutSession(req)
	if resp.status != http.StatusCreated {
		eb, _ := resp.body.(errorBody)
		return "", &pageError{Status: http.StatusBadRequest, Code: eb.ReasonCode, Message: "The button's payloadJSON was refused: " + eb.Message}
	}
	wire, _ := resp.body.(checkoutSessionWire)
	cs := s.st.CheckoutSessions[wire.CheckoutSessionID]
	if cs == nil {
		return "", &pageError{Status: http.StatusInternalServerError, Code: "InternalServerError", Message: "The checkout session was not stored."}
	}
	cs.ProductType = b.ProductType
	if cs.ProductType == "" {
		cs.ProductType = "PayAndShip"
	}
	s.markDirty()
	return cs.ID, nil
}

// signInPayload is signInConfig.payloadJSON (api-objects.md §2.6).
type signInPayload struct {
	SignInReturnURL *string  `json:"signInReturnUrl"`
	StoreID         *string  `json:"storeId"`
	SignInScopes    []string `json:"signInScopes"`
}

func (p *signInPayload) check() *pageError {
	if p.SignInReturnURL == nil || *p.SignInReturnURL == "" {
		return errMissingParam("signInReturnUrl")
	}
	if err := checkURL("signInReturnUrl", *p.SignInReturnURL); err != nil {
		return &pageError{Status: http.StatusBadRequest, Code: err.ReasonCode, Message: err.Message}
	}
	if p.StoreID == nil || *p.StoreID == "" {
		return errMissingParam("storeId")
	}
	for _, sc := range p.SignInScopes {
		if !checkoutScopes[sc] {
			return &pageError{Status: http.StatusBadRequest, Code: codeInvalidParameterValue, Message: "The signInScopes value '" + truncate(sc, 32) + "' is not valid."}
		}
	}
	return nil
}

func parseSignInPayload(raw string) (*signInPayload, *pageError) {
	var p signInPayload
	if err := decodeStrict([]byte(raw), &p); err != nil {
		return nil, &pageError{Status: http.StatusBadRequest, Code: err.ReasonCode, Message: "The button's payloadJSON was refused: " + err.Message}
	}
	if pe := p.check(); pe != nil {
		return nil, pe
	}
	return &p, nil
}

// signInOnlyPage is the sign-in page of the Sign-In button: no checkout
// session, the verified button travels along in hidden fields and is
// verified again on submit.
func (s *Server) signInOnlyPage(w http.ResponseWriter, b buttonForm, env Environment, notice string, status int) *pageError {
	if _, pe := parseSignInPayload(b.PayloadJSON); pe != nil {
		return pe
	}
	d := s.signinData("", env == Sandbox, "", "")
	d.Notice = notice
	d.Hidden = []hiddenField{{"merchantId", b.MerchantID}, {"publicKeyId", b.PublicKeyID}, {"algorithm", b.Algorithm},
		{"payloadJSON", b.PayloadJSON}, {"signature", b.Signature}, {"productType", "SignIn"}}
	if b.Sandbox {
		d.Hidden = append(d.Hidden, hiddenField{"sandbox", "true"})
	}
	s.render(w, status, "signin", d)
	return nil
}

// signInOnlySubmit finishes the Sign-In button: a buyerToken for Get Buyer,
// handed to signInReturnUrl as Amazon does.
func (s *Server) signInOnlySubmit(w http.ResponseWriter, r *http.Request) *pageError {
	b := readButtonForm(r.PostForm)
	_, env, pe := s.verifyButton(b)
	if pe != nil {
		return pe
	}
	p, pe := parseSignInPayload(b.PayloadJSON)
	if pe != nil {
		return pe
	}
	email, name, problem := chosenBuyer(r.PostForm)
	if problem != "" {
		return s.signInOnlyPage(w, b, env, problem, http.StatusBadRequest)
	}
	rememberBuyer(w, r, email, name)
	token, _ := s.NewBuyerToken(email, name)
	http.Redirect(w, r, withQuery(*p.SignInReturnURL, "buyerToken", token), http.StatusSeeOther)
	return nil
}
