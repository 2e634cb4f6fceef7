package checkout

import (
	"context"
	"errors"
	"strings"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Review is what the review page shows: the cart as the server holds it and
// the buyer's choices as Amazon Pay reports them.
type Review struct {
	Cart              *CartView
	CheckoutSessionID string
	BuyerName         string
	BuyerEmail        string
	// Shipping is nil when the checkout has no shipping address (PayOnly).
	Shipping *shop.Address
	// PaymentDescriptor is the buyer's payment method as Amazon Pay
	// describes it ("Visa ****1111"); show it verbatim.
	PaymentDescriptor string
}

// Messages for a checkout session that cannot be used with this cart.
const (
	msgSessionUnknown = "We could not find this Amazon Pay checkout. Please start again from your cart."
	msgSessionForeign = "This Amazon Pay checkout was not started from your cart. Please start again from your cart."
	msgCartEmpty      = "Your cart is empty (or it has expired). Add something and check out again."
)

// validSessionID rejects ids that cannot be Amazon Pay checkout session ids
// before anything is sent.
func validSessionID(id string) error {
	if id == "" {
		return shop.Errorf(shop.EINVALID, "The Amazon Pay checkout session id is missing. Please start again from your cart.")
	}
	if len(id) > 100 || strings.ContainsAny(id, "/\\?#% \t\r\n") {
		return shop.Errorf(shop.EINVALID, "%s", msgSessionUnknown)
	}
	return nil
}

// Review reads the checkout session the buyer returned with and binds it to
// the cart. Returns EINVALID for an empty cart, a session that has ended
// (Completed, Canceled, expired), one without a signed-in buyer, or one
// created from another cart's button; ENOTFOUND for a session Amazon Pay
// does not know (or that belongs to another merchant); *PaymentError when
// Amazon Pay could not be asked.
func (s *Service) Review(ctx context.Context, cartID, checkoutSessionID string) (*Review, error) {
	if err := validSessionID(checkoutSessionID); err != nil {
		return nil, err
	}
	cart, err := s.loadCartForCheckout(ctx, cartID)
	if err != nil {
		return nil, err
	}
	cs, err := s.openSession(ctx, 0, cartID, checkoutSessionID)
	if err != nil {
		return nil, err
	}
	if cart.CheckoutSessionID != checkoutSessionID {
		if err := s.store.SetCartCheckoutSession(ctx, cart.ID, checkoutSessionID); err != nil {
			return nil, err
		}
		cart.CheckoutSessionID = checkoutSessionID
	}
	r := &Review{Cart: cart, CheckoutSessionID: checkoutSessionID, Shipping: toAddress(cs.ShippingAddress)}
	if cs.Buyer != nil {
		r.BuyerName, r.BuyerEmail = cs.Buyer.Name, cs.Buyer.Email
	}
	for _, p := range cs.PaymentPreferences {
		if p != nil && p.PaymentDescriptor != "" {
			r.PaymentDescriptor = p.PaymentDescriptor
			break
		}
	}
	return r, nil
}

// loadCartForCheckout returns the cart with its total, checked for
// checkout: not empty, in the shop's currency, a positive total.
func (s *Service) loadCartForCheckout(ctx context.Context, cartID string) (*CartView, error) {
	c, err := s.existingCart(ctx, cartID)
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		return nil, shop.Errorf(shop.EINVALID, "%s", msgCartEmpty)
	}
	if err != nil {
		return nil, err
	}
	v, err := s.view(c)
	if err != nil {
		return nil, err
	}
	switch {
	case v.Empty():
		return nil, shop.Errorf(shop.EINVALID, "%s", msgCartEmpty)
	case v.Currency != s.currency:
		return nil, shop.Errorf(shop.EINVALID, "This shop sells in %s; your cart is in %s.", s.currency, v.Currency)
	case v.Total <= 0:
		return nil, shop.Errorf(shop.EINVALID, "%s", ZeroTotalMessage)
	}
	return v, nil
}

// openSession gets a checkout session and checks that it is Open, has a
// buyer, and was created from cartID's button.
func (s *Service) openSession(ctx context.Context, orderID int64, cartID, id string) (*amazonpay.CheckoutSession, error) {
	cs, err := s.getSession(ctx, orderID, id)
	if err != nil {
		return nil, err
	}
	if st := cs.State(); st != amazonpay.CheckoutSessionOpen {
		return nil, shop.Errorf(shop.EINVALID, "This Amazon Pay checkout has ended (%s). Please start again from your cart.", endedText(cs))
	}
	if cs.WebCheckoutDetails == nil || cs.WebCheckoutDetails.CheckoutReviewReturnURL != s.reviewURL(cartID) {
		return nil, shop.Errorf(shop.EINVALID, "%s", msgSessionForeign)
	}
	if cs.Buyer == nil {
		return nil, shop.Errorf(shop.EINVALID, "You have not signed in with Amazon Pay for this checkout yet. Please start again from your cart.")
	}
	return cs, nil
}

// getSession is Get Checkout Session, logged, with Amazon Pay's "not
// found" as ENOTFOUND.
func (s *Service) getSession(ctx context.Context, orderID int64, id string) (*amazonpay.CheckoutSession, error) {
	cs, _, err := callAmazon(ctx, s, orderID, "GetCheckoutSession", id, func(ctx context.Context) (*amazonpay.CheckoutSession, *amazonpay.Response, error) {
		return s.client.CheckoutSessions.Get(ctx, id)
	})
	if errors.Is(err, amazonpay.ErrNotFound) {
		return nil, shop.Errorf(shop.ENOTFOUND, "%s", msgSessionUnknown)
	}
	if err != nil {
		return nil, newPaymentError("GetCheckoutSession", err, "")
	}
	return cs, nil
}

// endedText says why a session is no longer Open, for the buyer.
func endedText(cs *amazonpay.CheckoutSession) string {
	if cs.State() == amazonpay.CheckoutSessionCompleted {
		return "it was already completed"
	}
	switch amazonpay.ReasonCode(reasonCodeOf(cs)) {
	case amazonpay.ReasonBuyerCanceled:
		return "it was canceled"
	case amazonpay.ReasonExpired:
		return "it expired"
	case amazonpay.ReasonDeclined:
		return "the payment was declined"
	case amazonpay.ReasonAmazonCanceled:
		return "Amazon Pay canceled it"
	}
	return "it is " + strings.ToLower(string(cs.State()))
}

func reasonCodeOf(cs *amazonpay.CheckoutSession) string {
	if cs == nil || cs.StatusDetails == nil {
		return ""
	}
	return string(cs.StatusDetails.ReasonCode)
}

// toAddress copies an Amazon Pay address into the shop's type.
func toAddress(a *amazonpay.Address) *shop.Address {
	if a == nil {
		return nil
	}
	return &shop.Address{
		Name: a.Name, AddressLine1: a.AddressLine1, AddressLine2: a.AddressLine2, AddressLine3: a.AddressLine3,
		City: a.City, County: a.County, District: a.District, StateOrRegion: a.StateOrRegion,
		PostalCode: a.PostalCode, CountryCode: a.CountryCode, PhoneNumber: a.PhoneNumber,
	}
}
