package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"
)

// The buyer's side of checkout, shared by the control API
// (/_emulator/checkoutSessions/{id}/buyer and /confirm) and the hosted
// pages, so both paths run one implementation.

// BuyerInput is what a buyer does on the sign-in and selection pages.
type BuyerInput struct {
	// Email identifies the buyer (default the sandbox buyer); the same
	// email is the same buyerId.
	Email string
	// Name is the buyer's name (default "Test Buyer SBX").
	Name string
	// PaymentMethod names a sandbox card by its last four digits ("3434");
	// default "1111", which succeeds.
	PaymentMethod string
	// SimulationCode overrides the card's behaviour like the header does
	// on Update (BuyerCanceled, Declined, AmazonCanceled,
	// AuthorizationInitiated).
	SimulationCode string
	// ShippingAddress and BillingAddress replace the default addresses.
	ShippingAddress *Address
	BillingAddress  *Address
}

// SignIn does what the buyer does on Amazon's sign-in and selection pages
// for a checkout session, and returns where Amazon sends the browser next:
// checkoutReviewReturnUrl?amazonCheckoutSessionId=… (or, for one-step
// ProcessOrder sessions, amazonPayRedirectUrl).
func (s *Server) SignIn(checkoutSessionID string, in BuyerInput) (string, error) {
	if in.SimulationCode != "" {
		if _, err := checkSimulationCode("UpdateCheckoutSession", in.SimulationCode); err != nil {
			return "", err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	s.runDue(now)
	cs := s.st.CheckoutSessions[checkoutSessionID]
	if cs == nil {
		return "", errNotFound("Checkout Session", truncate(checkoutSessionID, 64))
	}
	ccy := cs.presentmentCurrency()
	shipping, billing := defaultAddresses(ccy)
	if cs.AddressDetails != nil {
		shipping = *cs.AddressDetails
	}
	if in.ShippingAddress != nil {
		shipping = *in.ShippingAddress
	}
	if in.BillingAddress != nil {
		billing = *in.BillingAddress
	}
	if err := cs.signIn(newBuyer(in.Email, in.Name), &shipping, &billing, in.PaymentMethod, in.SimulationCode, now); err != nil {
		return "", err
	}
	s.markDirty()
	if cs.CheckoutMode == "ProcessOrder" {
		return "/checkout/processing?amazonCheckoutSessionId=" + cs.ID, nil
	}
	return withQuery(cs.ReviewReturnURL, "amazonCheckoutSessionId", cs.ID), nil
}

// Confirm does what happens when the buyer reaches amazonPayRedirectUrl:
// Amazon authorizes per paymentIntent and simulation (the outcome is
// applied at Complete), or the buyer cancels. It returns
// checkoutResultReturnUrl?amazonCheckoutSessionId=…, or checkoutCancelUrl
// when the buyer canceled and the merchant gave one.
func (s *Server) Confirm(checkoutSessionID string, cancel bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	s.runDue(now)
	cs := s.st.CheckoutSessions[checkoutSessionID]
	if cs == nil {
		return "", errNotFound("Checkout Session", truncate(checkoutSessionID, 64))
	}
	if err := cs.confirm(cancel, now); err != nil {
		return "", err
	}
	s.markDirty()
	target := cs.ResultReturnURL
	if cs.Status.State == csCanceled && cs.Status.ReasonCode == "BuyerCanceled" && cs.CancelURL != "" {
		target = cs.CancelURL
	}
	return withQuery(target, "amazonCheckoutSessionId", cs.ID), nil
}

// NewBuyerToken does what the Sign-In button flow does and returns the
// buyerToken (for Get Buyer) and the buyer's id.
func (s *Server) NewBuyerToken(email, name string) (token, buyerID string) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	shipping, billing := defaultAddresses("USD")
	t := &BuyerToken{Token: token, Buyer: newBuyer(email, name), PostalCode: shipping.PostalCode, CountryCode: shipping.CountryCode,
		ShippingAddress: &shipping, BillingAddress: &billing, Expires: now.Add(buyerTokenLifetime)}
	s.st.BuyerTokens[token] = t
	s.markDirty()
	return token, t.Buyer.BuyerID
}

// --- control API ----------------------------------------------------------------

type buyerStepIn struct {
	Email          *string          `json:"email"`
	Name           *string          `json:"name"`
	PaymentMethod  *string          `json:"paymentMethod"`
	SimulationCode *string          `json:"simulationCode"`
	Address        *postalAddressIn `json:"address"`
	BillingAddress *postalAddressIn `json:"billingAddress"`
}

func (s *Server) ctlBuyer(r *http.Request, body []byte) response {
	var in buyerStepIn
	if err := decodeStrict(body, &in); err != nil {
		return fail(err)
	}
	bi := BuyerInput{Email: sv(in.Email), Name: sv(in.Name), PaymentMethod: sv(in.PaymentMethod), SimulationCode: sv(in.SimulationCode)}
	a, err := in.Address.address("address")
	if err != nil {
		return fail(err)
	}
	bi.ShippingAddress = a
	if bi.BillingAddress, err = in.BillingAddress.address("billingAddress"); err != nil {
		return fail(err)
	}
	u, e := s.SignIn(r.PathValue("id"), bi)
	if e != nil {
		return fail(e.(*apiError))
	}
	if len(u) > 0 && u[0] == '/' {
		u = s.publicBase(r) + u
	}
	return ok(http.StatusOK, map[string]string{"redirectUrl": u})
}

type confirmIn struct {
	Cancel *bool `json:"cancel"`
}

func (s *Server) ctlConfirm(r *http.Request, body []byte) response {
	var in confirmIn
	if err := decodeStrict(body, &in); err != nil {
		return fail(err)
	}
	u, e := s.Confirm(r.PathValue("id"), in.Cancel != nil && *in.Cancel)
	if e != nil {
		return fail(e.(*apiError))
	}
	return ok(http.StatusOK, map[string]string{"redirectUrl": u})
}

type buyerTokenIn struct {
	Email *string `json:"email"`
	Name  *string `json:"name"`
}

func (s *Server) ctlBuyerToken(_ *http.Request, body []byte) response {
	var in buyerTokenIn
	if err := decodeStrict(body, &in); err != nil {
		return fail(err)
	}
	tok, id := s.NewBuyerToken(sv(in.Email), sv(in.Name))
	return ok(http.StatusCreated, map[string]string{"buyerToken": tok, "buyerId": id})
}

// AdvanceClock moves business time forward by d (d < 0 is ignored) and runs
// what fell due, as POST /_emulator/clock {"advance": …} does.
func (s *Server) AdvanceClock(d time.Duration) {
	if d < 0 {
		return
	}
	now := s.clock.advance(d)
	s.mu.Lock()
	s.runDue(now)
	s.mu.Unlock()
	s.markDirty()
}

// Notifications returns copies of the queued notifications, oldest first.
func (s *Server) Notifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Notification, len(s.st.Notifications))
	for i, n := range s.st.Notifications {
		out[i] = *n
	}
	return s.withDeliveries(out) // delivery status from the SNS sender (notify_sns.go)
}
