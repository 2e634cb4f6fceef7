package checkout

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Outcome is how a checkout ended, as the result page shows it.
type Outcome string

// List of values that Outcome can take.
const (
	// OutcomeAuthorized: paid — the payment is authorized (or captured,
	// with AuthorizeWithCapture).
	OutcomeAuthorized Outcome = "authorized"
	// OutcomeConfirmed: with paymentIntent Confirm, the buyer's consent is
	// recorded and the shop charges later.
	OutcomeConfirmed Outcome = "confirmed"
	// OutcomePending: Amazon Pay is still deciding the authorization
	// ("payment being confirmed"); the page updates on reload.
	OutcomePending Outcome = "pending"
	// OutcomeDeclined: the payment method was declined.
	OutcomeDeclined Outcome = "declined"
	// OutcomeCanceled: the buyer canceled at Amazon Pay.
	OutcomeCanceled Outcome = "canceled"
	// OutcomeExpired: the checkout expired before it was completed.
	OutcomeExpired Outcome = "expired"
	// OutcomeFailed: Amazon Pay canceled or refused the checkout for
	// another reason (ReasonCode says which).
	OutcomeFailed Outcome = "failed"
	// OutcomeUnconfirmed: the checkout could not be completed yet (Amazon
	// Pay was unreachable, or the buyer has not been through the Amazon Pay
	// page); the order stays pending and a reload tries again.
	OutcomeUnconfirmed Outcome = "unconfirmed"
)

// Paid reports whether the order went through (authorized, confirmed, or
// pending a decision that may still succeed).
func (o Outcome) Paid() bool {
	return o == OutcomeAuthorized || o == OutcomeConfirmed || o == OutcomePending
}

// Result is the state of a placed order after the buyer came back.
type Result struct {
	Order   *shop.Order
	Payment *shop.Payment
	Outcome Outcome
	// ChargeID is the order's latest charge, "" if none.
	ChargeID string
	// ReasonCode is Amazon Pay's reason for a failed checkout.
	ReasonCode string
}

// Result is the result URL: it completes the checkout session of a placed
// order (once, whatever happens) and reports the outcome. cartID must be
// the cart the order was placed from (the buyer's cookie): a session id
// from another buyer is ENOTFOUND, as is one that was never placed.
//
// The first visit calls Complete Checkout Session with the idempotency key
// recorded at PlaceOrder and stores the answer — the charge permission and
// charge with their states, the order's new status — in one transaction.
// Later visits read what was stored (refreshing a pending authorization);
// a visit after a crash between Complete and the commit repeats Complete
// with the same key, which Amazon Pay answers with its first result.
func (s *Service) Result(ctx context.Context, cartID, checkoutSessionID string) (*Result, error) {
	if err := validSessionID(checkoutSessionID); err != nil {
		return nil, err
	}
	p, err := s.store.FindPayment(ctx, shop.PaymentLookup{CheckoutSessionID: checkoutSessionID})
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		return nil, shop.Errorf(shop.ENOTFOUND, "%s", msgSessionUnknown)
	}
	if err != nil {
		return nil, err
	}
	o, err := s.store.Order(ctx, p.OrderID)
	if err != nil {
		return nil, err
	}
	if cartID == "" || subtle.ConstantTimeCompare([]byte(o.CartID), []byte(cartID)) != 1 {
		return nil, shop.Errorf(shop.ENOTFOUND, "%s", msgSessionUnknown)
	}
	m, err := s.completeMovement(ctx, s.store, o.ID, checkoutSessionID)
	if err != nil {
		return nil, err
	}
	if m.Status == shop.MovementPending {
		if _, err := s.complete(ctx, o, m, checkoutSessionID); err != nil {
			return nil, err
		}
	} else if o.Status == shop.StatusPaymentPending {
		if err := s.refreshPending(ctx, o.ID); err != nil {
			s.log.Warn("checkout: refresh pending charge", "order", o.Number, "error", err)
		}
	}
	return s.resultOf(ctx, o.ID, m.ID)
}

// Cancel is the cancel URL: the buyer left the Amazon Pay pages. An order
// already placed for the session is settled like at the result URL (Amazon
// Pay reports the session Canceled); without one there is nothing to do and
// the result is nil.
func (s *Service) Cancel(ctx context.Context, cartID, checkoutSessionID string) (*Result, error) {
	if checkoutSessionID == "" {
		return nil, nil
	}
	r, err := s.Result(ctx, cartID, checkoutSessionID)
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		return nil, nil
	}
	return r, err
}

// completeMovement finds the Complete movement of an order's checkout.
func (s *Service) completeMovement(ctx context.Context, r shop.Repository, orderID int64, checkoutSessionID string) (*shop.MoneyMovement, error) {
	ms, err := r.MoneyMovements(ctx, orderID)
	if err != nil {
		return nil, err
	}
	key := clientKeyFor(checkoutSessionID)
	for _, m := range ms {
		if m.Operation == shop.OpComplete && m.ClientKey == key {
			return m, nil
		}
	}
	return nil, errors.New("checkout: order has no Complete money movement for its checkout session")
}

// complete calls Complete Checkout Session for a pending movement and
// stores the outcome. It returns OutcomeUnconfirmed (and the movement stays
// pending) when the outcome could not be established.
func (s *Service) complete(ctx context.Context, o *shop.Order, m *shop.MoneyMovement, checkoutSessionID string) (Outcome, error) {
	// From here on the answer must be stored even if the buyer goes away.
	ctx, cancel := withoutCancel(ctx)
	defer cancel()
	amount, err := s.price(m.Amount, m.Currency)
	if err != nil {
		return "", err
	}
	cs, _, err := callAmazon(ctx, s, o.ID, "CompleteCheckoutSession", checkoutSessionID, func(ctx context.Context) (*amazonpay.CheckoutSession, *amazonpay.Response, error) {
		return s.client.CheckoutSessions.Complete(ctx, checkoutSessionID, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: amount},
			amazonpay.WithIdempotencyKey(m.AmazonKey))
	})
	reason := reasonOf(err)
	switch {
	case err == nil:
		return s.settle(ctx, o.ID, m.ID, cs)
	case reason == amazonpay.ReasonCheckoutSessionCanceled || reason == amazonpay.ReasonInvalidCheckoutSessionStatus || !answered(err):
		// Ask the session itself what happened.
		return s.settleFromSession(ctx, o.ID, m.ID, checkoutSessionID)
	default:
		// A definite refusal (AmountMismatch, CurrencyMismatch, …): the
		// checkout cannot be completed with this order.
		if ferr := s.fail(ctx, o.ID, m.ID, checkoutSessionID, string(reason)); ferr != nil {
			return "", ferr
		}
		return OutcomeFailed, nil
	}
}

// settleFromSession reads the checkout session and settles the movement
// from its state: Completed (Complete happened, perhaps in an earlier
// attempt whose answer was lost), Canceled (declined, buyer canceled,
// expired), or still Open (nothing to settle yet).
func (s *Service) settleFromSession(ctx context.Context, orderID, movementID int64, checkoutSessionID string) (Outcome, error) {
	cs, err := s.getSession(ctx, orderID, checkoutSessionID)
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		// Amazon Pay deletes sessions after 30 days: it never completed.
		return OutcomeExpired, s.fail(ctx, orderID, movementID, checkoutSessionID, string(amazonpay.ReasonExpired))
	}
	if err != nil {
		return OutcomeUnconfirmed, nil
	}
	switch cs.State() {
	case amazonpay.CheckoutSessionCompleted:
		return s.settle(ctx, orderID, movementID, cs)
	case amazonpay.CheckoutSessionCanceled:
		reason := reasonCodeOf(cs)
		if err := s.fail(ctx, orderID, movementID, checkoutSessionID, reason); err != nil {
			return "", err
		}
		return failureOutcome(reason), nil
	}
	return OutcomeUnconfirmed, nil
}

// settle stores a completed checkout: the charge permission and charge as
// Amazon Pay now reports them, the order moved by the charge's state, the
// buyer's final address, the movement finished and the cart deleted — one
// transaction, skipped if another visit settled the movement first.
func (s *Service) settle(ctx context.Context, orderID, movementID int64, cs *amazonpay.CheckoutSession) (Outcome, error) {
	var cp *amazonpay.ChargePermission
	if cs.ChargePermissionID != "" {
		var err error
		cp, _, err = callAmazon(ctx, s, orderID, "GetChargePermission", cs.ChargePermissionID, func(ctx context.Context) (*amazonpay.ChargePermission, *amazonpay.Response, error) {
			return s.client.ChargePermissions.Get(ctx, cs.ChargePermissionID)
		})
		if err != nil {
			return OutcomeUnconfirmed, nil
		}
	}
	var ch *amazonpay.Charge
	if cs.ChargeID != "" {
		var err error
		ch, _, err = callAmazon(ctx, s, orderID, "GetCharge", cs.ChargeID, func(ctx context.Context) (*amazonpay.Charge, *amazonpay.Response, error) {
			return s.client.Charges.Get(ctx, cs.ChargeID)
		})
		if err != nil {
			return OutcomeUnconfirmed, nil
		}
	}
	err := s.store.WithTx(ctx, func(tx shop.Tx) error {
		o, err := tx.LockOrder(ctx, orderID)
		if err != nil {
			return err
		}
		m, err := tx.MoneyMovement(ctx, movementID)
		if err != nil {
			return err
		}
		if m.Status != shop.MovementPending {
			return nil // another visit (or the reconciler) settled it
		}
		p, err := tx.Payment(ctx, orderID)
		if err != nil {
			return err
		}
		applyChargePermission(p, cp, cs.ChargePermissionID)
		if err := tx.SavePayment(ctx, p); err != nil {
			return err
		}
		if ch != nil {
			if err := applyCharge(ctx, tx, o, ch); err != nil {
				return err
			}
		}
		if cp != nil {
			if cp.Buyer != nil && cp.Buyer.Email != "" {
				o.BuyerName, o.BuyerEmail = cp.Buyer.Name, cp.Buyer.Email
			}
			if a := toAddress(cp.ShippingAddress); a != nil {
				o.Shipping = a
			}
		}
		if err := tx.UpdateOrder(ctx, o); err != nil {
			return err
		}
		if err := tx.FinishMoneyMovement(ctx, m.ID, shop.MovementSucceeded, cs.ChargeID, "", ""); err != nil {
			return err
		}
		return tx.DeleteCart(ctx, o.CartID)
	})
	if err != nil {
		return "", err
	}
	return OutcomeAuthorized, nil
}

// applyChargePermission copies a charge permission's id, type, state and
// first reason into the payment record.
func applyChargePermission(p *shop.Payment, cp *amazonpay.ChargePermission, id string) {
	if id != "" {
		p.ChargePermissionID = id
	}
	if cp == nil {
		return
	}
	p.ChargePermissionType = string(cp.ChargePermissionType)
	p.ChargePermissionState = string(cp.State())
	p.ChargePermissionReason = ""
	if cp.StatusDetails != nil && len(cp.StatusDetails.Reasons) > 0 {
		p.ChargePermissionReason = string(cp.StatusDetails.Reasons[0].ReasonCode)
	}
}

// ToCharge converts an Amazon Pay Charge into the shop's record for an
// order in currency; amounts become minor units.
func ToCharge(orderID int64, ch *amazonpay.Charge) (*shop.Charge, error) {
	c := &shop.Charge{ID: ch.ChargeID, OrderID: orderID, State: shop.ChargeState(ch.State()), ExpiresAt: ch.ExpirationTimestamp.Time}
	if ch.StatusDetails != nil {
		c.ReasonCode = string(ch.StatusDetails.ReasonCode)
	}
	var err error
	if !ch.ChargeAmount.IsZero() {
		if c.Amount, err = ch.ChargeAmount.MinorUnits(); err != nil {
			return nil, err
		}
	}
	if !ch.CaptureAmount.IsZero() {
		if c.CapturedAmount, err = ch.CaptureAmount.MinorUnits(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// applyCharge stores a charge's state and moves the order (in memory; the
// caller saves it) by the events between the stored and the new state.
// Applying the same state twice changes nothing.
func applyCharge(ctx context.Context, tx shop.Tx, o *shop.Order, ch *amazonpay.Charge) error {
	c, err := ToCharge(o.ID, ch)
	if err != nil {
		return err
	}
	if ch.ChargeAmount.CurrencyCode != "" && ch.ChargeAmount.CurrencyCode != o.Currency {
		return shop.Errorf(shop.EINVALID, "Charge %s is in %s, order %s in %s.", c.ID, ch.ChargeAmount.CurrencyCode, o.Number, o.Currency)
	}
	prev, err := tx.UpsertCharge(ctx, c)
	if err != nil {
		return err
	}
	for _, ev := range shop.ChargeEvents(prev, *c) {
		if err := o.Apply(ev); err != nil {
			return err
		}
	}
	return nil
}

// fail settles a pending movement as failed with Amazon Pay's reason: the
// order is declined, canceled or expired (it was never paid), and the cart
// forgets the session so the buyer can check out again.
func (s *Service) fail(ctx context.Context, orderID, movementID int64, checkoutSessionID, reason string) error {
	ev := shop.OrderEvent{Kind: shop.EventCanceled}
	switch failureOutcome(reason) {
	case OutcomeDeclined:
		ev.Kind = shop.EventDeclined
	case OutcomeExpired:
		ev.Kind = shop.EventExpired
	}
	return s.store.WithTx(ctx, func(tx shop.Tx) error {
		o, err := tx.LockOrder(ctx, orderID)
		if err != nil {
			return err
		}
		m, err := tx.MoneyMovement(ctx, movementID)
		if err != nil {
			return err
		}
		if m.Status != shop.MovementPending {
			return nil
		}
		if o.Status == shop.StatusPendingPayment {
			if err := o.Apply(ev); err != nil {
				return err
			}
			if err := tx.UpdateOrder(ctx, o); err != nil {
				return err
			}
		}
		if err := tx.FinishMoneyMovement(ctx, m.ID, shop.MovementFailed, "", "", reason); err != nil {
			return err
		}
		c, err := tx.Cart(ctx, o.CartID)
		if err == nil && c.CheckoutSessionID == checkoutSessionID {
			return tx.SetCartCheckoutSession(ctx, c.ID, "")
		}
		if shop.ErrorCode(err) == shop.ENOTFOUND {
			return nil
		}
		return err
	})
}

// failureOutcome classifies Amazon Pay's reason for a failed checkout.
func failureOutcome(reason string) Outcome {
	switch amazonpay.ReasonCode(reason) {
	case amazonpay.ReasonDeclined, amazonpay.ReasonSoftDeclined, amazonpay.ReasonHardDeclined,
		amazonpay.ReasonPaymentMethodNotAllowed, amazonpay.ReasonAmazonRejected, amazonpay.ReasonMFANotCompleted,
		amazonpay.ReasonMFAFailed, amazonpay.ReasonTransactionTimedOut, amazonpay.ReasonProcessingFailure:
		return OutcomeDeclined
	case amazonpay.ReasonBuyerCanceled:
		return OutcomeCanceled
	case amazonpay.ReasonExpired:
		return OutcomeExpired
	}
	return OutcomeFailed
}

// refreshPending asks Amazon Pay about an order's pending authorization
// and applies the answer, so the result page turns from "payment being
// confirmed" to the outcome on reload.
func (s *Service) refreshPending(ctx context.Context, orderID int64) error {
	p, err := s.store.Payment(ctx, orderID)
	if err != nil {
		return err
	}
	for i := len(p.Charges) - 1; i >= 0; i-- {
		if p.Charges[i].State == shop.ChargeAuthorizationInitiated {
			_, err := s.SyncCharge(ctx, orderID, p.Charges[i].ID)
			return err
		}
	}
	return nil
}

// SyncCharge reads a charge of an order from Amazon Pay and applies its
// state to the order (idempotently: a state already stored changes
// nothing). The back office uses it after a notification.
func (s *Service) SyncCharge(ctx context.Context, orderID int64, chargeID string) (*shop.Order, error) {
	ch, _, err := callAmazon(ctx, s, orderID, "GetCharge", chargeID, func(ctx context.Context) (*amazonpay.Charge, *amazonpay.Response, error) {
		return s.client.Charges.Get(ctx, chargeID)
	})
	if err != nil {
		return nil, newPaymentError("GetCharge", err, "")
	}
	var out *shop.Order
	err = s.store.WithTx(ctx, func(tx shop.Tx) error {
		o, err := tx.LockOrder(ctx, orderID)
		if err != nil {
			return err
		}
		before := *o
		if err := applyCharge(ctx, tx, o, ch); err != nil {
			return err
		}
		if o.Status != before.Status || o.Authorized != before.Authorized || o.Captured != before.Captured {
			if err := tx.UpdateOrder(ctx, o); err != nil {
				return err
			}
		}
		out = o
		return nil
	})
	return out, err
}

// resultOf reads an order's stored outcome.
func (s *Service) resultOf(ctx context.Context, orderID, movementID int64) (*Result, error) {
	o, err := s.store.Order(ctx, orderID)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Payment(ctx, orderID)
	if err != nil {
		return nil, err
	}
	m, err := s.store.MoneyMovement(ctx, movementID)
	if err != nil {
		return nil, err
	}
	r := &Result{Order: o, Payment: p}
	if n := len(p.Charges); n > 0 {
		r.ChargeID = p.Charges[n-1].ID
		r.ReasonCode = p.Charges[n-1].ReasonCode
	}
	switch m.Status {
	case shop.MovementPending:
		r.Outcome = OutcomeUnconfirmed
	case shop.MovementFailed:
		r.Outcome, r.ReasonCode = failureOutcome(m.ReasonCode), m.ReasonCode
	default:
		r.Outcome = statusOutcome(o.Status)
	}
	return r, nil
}

// statusOutcome is the outcome of a completed checkout by its order's
// status now.
func statusOutcome(st shop.OrderStatus) Outcome {
	switch st {
	case shop.StatusPendingPayment:
		return OutcomeConfirmed
	case shop.StatusPaymentPending:
		return OutcomePending
	case shop.StatusDeclined:
		return OutcomeDeclined
	case shop.StatusCanceled:
		return OutcomeCanceled
	case shop.StatusExpired:
		return OutcomeExpired
	}
	return OutcomeAuthorized
}

// isCheckoutMovement reports whether a money movement is a storefront
// checkout's Complete, and returns its checkout session id.
func isCheckoutMovement(m *shop.MoneyMovement) (string, bool) {
	if m.Operation != shop.OpComplete || !strings.HasPrefix(m.ClientKey, "checkout:") {
		return "", false
	}
	return strings.TrimPrefix(m.ClientKey, "checkout:"), true
}
