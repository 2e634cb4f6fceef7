package checkout

import (
	"context"
	"strings"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Placed is the outcome of [Service.PlaceOrder].
type Placed struct {
	Order *shop.Order
	// RedirectURL is amazonPayRedirectUrl: send the buyer's browser there.
	RedirectURL string
}

// NoteToBuyer is merchantMetadata.noteToBuyer (the seed's text).
const NoteToBuyer = "Thank you for your order!"

// PlaceOrder turns the reviewed cart into an order and hands the payment to
// Amazon Pay: the order is created in pending_payment from the cart as the
// server holds it (never from anything the browser sent), with its payment
// record and the Complete money movement (and so its Amazon idempotency
// key) in the same transaction; then the checkout session is updated with
// the order total, the result URL and the order number, and its
// amazonPayRedirectUrl returned.
//
// Placing the same checkout again (a double click, the back button) reuses
// the order. Returns EINVALID for an empty cart, a zero total, a session
// that is not the one reviewed for this cart (the cart changed since, or the
// id is another cart's), or one that has ended; ENOTFOUND for a session
// Amazon Pay does not know; *PaymentError when Amazon Pay refused the update
// (the order is then canceled) or could not be reached (the order stays
// pending and placing again retries).
func (s *Service) PlaceOrder(ctx context.Context, cartID, checkoutSessionID string) (*Placed, error) {
	if err := validSessionID(checkoutSessionID); err != nil {
		return nil, err
	}
	cart, err := s.loadCartForCheckout(ctx, cartID)
	if err != nil {
		return nil, err
	}
	if cart.CheckoutSessionID != checkoutSessionID {
		return nil, shop.Errorf(shop.EINVALID, "Your cart changed since you reviewed your order (or this checkout is not your cart's). Please check out again from your cart.")
	}
	o, m, err := s.existingOrder(ctx, cart, checkoutSessionID)
	if err != nil {
		return nil, err
	}
	var orderID int64
	if o != nil {
		orderID = o.ID
	}
	cs, err := s.openSession(ctx, orderID, cartID, checkoutSessionID)
	if err != nil {
		return nil, err
	}
	reused := o != nil
	if reused {
		if err := s.refreshBuyer(ctx, o, cs); err != nil {
			return nil, err
		}
	} else {
		o, m, err = s.createOrder(ctx, cart, checkoutSessionID, cs)
		if shop.ErrorCode(err) == shop.ECONFLICT {
			// A concurrent PlaceOrder of the same checkout won the race:
			// continue with its order.
			o, m, err = s.existingOrder(ctx, cart, checkoutSessionID)
			if err == nil && o == nil {
				err = shop.Errorf(shop.ECONFLICT, "The order is being placed; please wait a moment and reload.")
			}
			reused = true
		}
		if err != nil {
			return nil, err
		}
	}
	return s.handOver(ctx, o, m, checkoutSessionID, reused)
}

// existingOrder returns the order already placed for a checkout session,
// if any, with its Complete movement. An order of another cart is refused;
// one whose cart changed since is canceled (a session carries one amount).
func (s *Service) existingOrder(ctx context.Context, cart *CartView, checkoutSessionID string) (*shop.Order, *shop.MoneyMovement, error) {
	p, err := s.store.FindPayment(ctx, shop.PaymentLookup{CheckoutSessionID: checkoutSessionID})
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := s.store.Order(ctx, p.OrderID)
	if err != nil {
		return nil, nil, err
	}
	if o.CartID != cart.ID {
		return nil, nil, shop.Errorf(shop.EINVALID, "%s", msgSessionForeign)
	}
	m, err := s.completeMovement(ctx, s.store, o.ID, checkoutSessionID)
	if err != nil {
		return nil, nil, err
	}
	if o.Status != shop.StatusPendingPayment || m.Status != shop.MovementPending {
		return nil, nil, shop.Errorf(shop.EINVALID, "Order %s was already placed with this checkout. Please start again from your cart for a new order.", o.Number)
	}
	if !sameSnapshot(o, cart) {
		if err := s.fail(ctx, o.ID, m.ID, checkoutSessionID, "CartChanged"); err != nil {
			return nil, nil, err
		}
		_ = s.store.SetCartCheckoutSession(ctx, cart.ID, "")
		return nil, nil, shop.Errorf(shop.EINVALID, "Your cart changed after order %s was placed, so that order was canceled. Please check out again from your cart.", o.Number)
	}
	return o, m, nil
}

// sameSnapshot reports whether an order was made from the cart as it is.
func sameSnapshot(o *shop.Order, c *CartView) bool {
	if o.Total != c.Total || o.Currency != c.Currency || len(o.Items) != len(c.Items) {
		return false
	}
	for i, it := range o.Items {
		ci := c.Items[i]
		if it.ProductID != ci.ProductID || it.Quantity != ci.Quantity || it.UnitPrice != ci.UnitPrice {
			return false
		}
	}
	return true
}

// createOrder stores the order, its payment record and the Complete money
// movement in one transaction.
func (s *Service) createOrder(ctx context.Context, cart *CartView, checkoutSessionID string, cs *amazonpay.CheckoutSession) (*shop.Order, *shop.MoneyMovement, error) {
	o := &shop.Order{Total: cart.Total, Currency: cart.Currency, CartID: cart.ID, Shipping: toAddress(cs.ShippingAddress)}
	if cs.Buyer != nil {
		o.BuyerName, o.BuyerEmail = cs.Buyer.Name, cs.Buyer.Email
	}
	for _, it := range cart.Items {
		o.Items = append(o.Items, shop.OrderItem{ProductID: it.ProductID, SKU: it.SKU, Name: it.Name, UnitPrice: it.UnitPrice, Quantity: it.Quantity})
	}
	m := &shop.MoneyMovement{Operation: shop.OpComplete, Amount: cart.Total, Currency: cart.Currency, ClientKey: clientKeyFor(checkoutSessionID)}
	err := s.store.WithTx(ctx, func(tx shop.Tx) error {
		if err := tx.CreateOrder(ctx, o); err != nil {
			return err
		}
		if err := tx.SavePayment(ctx, &shop.Payment{OrderID: o.ID, CheckoutSessionID: checkoutSessionID}); err != nil {
			return err
		}
		m.OrderID = o.ID
		_, err := tx.BeginMoneyMovement(ctx, m)
		return err
	})
	if err != nil {
		if shop.ErrorCode(err) == shop.EINTERNAL && strings.Contains(strings.ToLower(err.Error()), "unique") {
			return nil, nil, shop.Errorf(shop.ECONFLICT, "The checkout session belongs to another order.")
		}
		return nil, nil, err
	}
	return o, m, nil
}

// refreshBuyer keeps a reused order's buyer and address in step with the
// session (the buyer may have changed the address since placing).
func (s *Service) refreshBuyer(ctx context.Context, o *shop.Order, cs *amazonpay.CheckoutSession) error {
	ship := toAddress(cs.ShippingAddress)
	name, email := o.BuyerName, o.BuyerEmail
	if cs.Buyer != nil {
		name, email = cs.Buyer.Name, cs.Buyer.Email
	}
	if name == o.BuyerName && email == o.BuyerEmail && sameAddress(ship, o.Shipping) {
		return nil
	}
	return s.store.WithTx(ctx, func(tx shop.Tx) error {
		cur, err := tx.LockOrder(ctx, o.ID)
		if err != nil {
			return err
		}
		cur.BuyerName, cur.BuyerEmail, cur.Shipping = name, email, ship
		if err := tx.UpdateOrder(ctx, cur); err != nil {
			return err
		}
		*o = *cur
		return nil
	})
}

func sameAddress(a, b *shop.Address) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// handOver updates the checkout session with the order and returns
// amazonPayRedirectUrl.
func (s *Service) handOver(ctx context.Context, o *shop.Order, m *shop.MoneyMovement, checkoutSessionID string, reused bool) (*Placed, error) {
	amount, err := s.price(o.Total, o.Currency)
	if err != nil {
		return nil, err
	}
	req := &amazonpay.UpdateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: s.base + ResultPath},
		PaymentDetails: &amazonpay.PaymentDetails{
			PaymentIntent:                 s.intent,
			CanHandlePendingAuthorization: amazonpay.Bool(s.canPending),
			ChargeAmount:                  amount,
		},
		MerchantMetadata: &amazonpay.MerchantMetadata{
			MerchantReferenceID: o.Number,
			MerchantStoreName:   s.storeName,
			NoteToBuyer:         NoteToBuyer,
		},
	}
	cs, _, err := callAmazon(ctx, s, o.ID, "UpdateCheckoutSession", checkoutSessionID, func(ctx context.Context) (*amazonpay.CheckoutSession, *amazonpay.Response, error) {
		return s.client.CheckoutSessions.Update(ctx, checkoutSessionID, req)
	})
	if err != nil {
		if !answered(err) {
			// The update may or may not have happened; the order stays
			// pending and placing again repeats it (a PATCH).
			return nil, newPaymentError("UpdateCheckoutSession", err, "")
		}
		if reused && reasonOf(err) == amazonpay.ReasonInvalidCheckoutSessionStatus {
			return nil, newPaymentError("UpdateCheckoutSession", err,
				"This checkout was already handed over to Amazon Pay. Please finish it on the Amazon Pay page, or start again from your cart.")
		}
		if ferr := s.fail(ctx, o.ID, m.ID, checkoutSessionID, string(reasonOf(err))); ferr != nil {
			return nil, ferr
		}
		return nil, newPaymentError("UpdateCheckoutSession", err, "Amazon Pay did not accept the order. Please start again from your cart.")
	}
	redirect := ""
	if cs.WebCheckoutDetails != nil {
		redirect = cs.WebCheckoutDetails.AmazonPayRedirectURL
	}
	if redirect == "" {
		missing := make([]string, 0, len(cs.Constraints))
		for _, c := range cs.Constraints {
			missing = append(missing, c.ConstraintID)
		}
		return nil, shop.Errorf(shop.EINVALID, "Amazon Pay cannot take the order yet (%s). Please start again from your cart.", strings.Join(missing, ", "))
	}
	return &Placed{Order: o, RedirectURL: redirect}, nil
}
