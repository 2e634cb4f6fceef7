package checkout

import (
	"context"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// ButtonRender is the config object of amazon.Pay.renderButton (the JSON
// keys are checkout.js's). The page passes it to checkout.js unchanged;
// CreateCheckoutSessionConfig.PayloadJSON holds the exact bytes that were
// signed.
type ButtonRender struct {
	MerchantID                  string                  `json:"merchantId"`
	PublicKeyID                 string                  `json:"publicKeyId,omitempty"`
	LedgerCurrency              string                  `json:"ledgerCurrency"`
	CheckoutLanguage            string                  `json:"checkoutLanguage,omitempty"`
	ProductType                 string                  `json:"productType"`
	Placement                   string                  `json:"placement"`
	ButtonColor                 string                  `json:"buttonColor,omitempty"`
	Sandbox                     bool                    `json:"sandbox,omitempty"`
	EstimatedOrderAmount        *amazonpay.Price        `json:"estimatedOrderAmount,omitempty"`
	CreateCheckoutSessionConfig *amazonpay.ButtonConfig `json:"createCheckoutSessionConfig,omitempty"`
	SignInConfig                *amazonpay.ButtonConfig `json:"signInConfig,omitempty"`
	// CreateCheckoutSession is the pilot form: the id of a checkout
	// session created with the API (the seed's tester_signin page).
	CreateCheckoutSession string `json:"createCheckoutSession,omitempty"`
}

// ZeroTotalMessage is why a cart with a zero total has no Amazon Pay
// button: Amazon Pay cannot charge nothing, and the buyer's address is only
// available through a checkout (the rule of the WooCommerce gateway notes,
// seed 004: Amazon Pay is not offered for zero-total checkouts).
const ZeroTotalMessage = "Amazon Pay is not available for an order with a total of zero."

// Button returns the Amazon Pay button for a cart: the payload signed on the
// server (review and cancel URLs and the store id, no amounts) and the
// render options for checkout.js. Returns EINVALID for an empty cart, a
// zero total ([ZeroTotalMessage]) or a cart in a foreign currency.
func (s *Service) Button(ctx context.Context, cart *CartView) (*ButtonRender, error) {
	if cart == nil || cart.Empty() {
		return nil, shop.Errorf(shop.EINVALID, "Your cart is empty.")
	}
	if cart.Currency != s.currency {
		return nil, shop.Errorf(shop.EINVALID, "This shop sells in %s; your cart is in %s.", s.currency, cart.Currency)
	}
	if cart.Total <= 0 {
		return nil, shop.Errorf(shop.EINVALID, "%s", ZeroTotalMessage)
	}
	cfg, ok := s.buttons.get(cart.ID)
	if !ok {
		payload := &amazonpay.CreateCheckoutSessionRequest{
			WebCheckoutDetails: &amazonpay.WebCheckoutDetails{
				CheckoutReviewReturnURL: s.reviewURL(cart.ID),
				CheckoutCancelURL:       s.base + CancelPath,
			},
			StoreID: s.storeID,
		}
		var err error
		if cfg, err = s.client.SignButtonPayload(payload); err != nil {
			return nil, err
		}
		s.buttons.put(cart.ID, cfg)
	}
	est, err := s.price(cart.Total, cart.Currency)
	if err != nil {
		return nil, err
	}
	return &ButtonRender{
		MerchantID:                  s.merchantID,
		PublicKeyID:                 cfg.PublicKeyID,
		LedgerCurrency:              s.currency,
		CheckoutLanguage:            s.CheckoutLanguage(),
		ProductType:                 string(amazonpay.ProductTypePayAndShip),
		Placement:                   "Cart",
		ButtonColor:                 "Gold",
		Sandbox:                     s.client.Sandbox(),
		EstimatedOrderAmount:        &est,
		CreateCheckoutSessionConfig: &cfg,
	}, nil
}
