package shop

import (
	"github.com/apaykit/apaykit/internal/money"
)

// OrderStatus is where an order stands in its payment life cycle. The
// transitions are the pure function [Order.Apply]; what may be attempted
// with Amazon Pay in each status is [Order.CanStart]. Both are table-tested
// and are the only places that encode the rules.
//
//	pending_payment ──authorization pending──► payment_pending
//	      │  │                                      │
//	      │  └──────────authorized─────────┐        │ authorized
//	      │                                ▼        ▼
//	      │                              authorized ──capture (part)──► partially_captured ─┐
//	      │                                  │   └──capture (all)──► captured ◄─────────────┘
//	      │                                  │                          │ refund
//	      │                                  │                          ▼
//	      ├──expired──► expired ◄──expired───┘               partially_refunded ──► refunded
//	      ├──declined─► declined
//	      └──canceled─► canceled   (also from payment_pending, authorized, declined, expired)
//	                       │
//	                       └──authorized / authorization pending──► authorized / payment_pending
//	                          (only after close-authorization; see below)
//
// declined and expired are not final: the merchant may authorize again
// (a new Charge on the same charge permission — the re-authorization after
// the 30-day authorization expiry). refunded is final, except that a
// refunded order may still receive refunds up to Amazon Pay's over-refund
// margin. canceled is final when the order was canceled unpaid or its
// charge permission was closed; but an order canceled by canceling its
// authorization (close-authorization, CancelCharge) keeps a charge
// permission that Amazon Pay returns to Chargeable, and the merchant may
// create a new charge on it. Which kind of canceled an order is shows only
// in its payment, so that rule is [Order.CanStartOn]'s; [Order.Apply]
// accepts the new authorization as the fact it is.
type OrderStatus string

// List of values that OrderStatus can take.
const (
	// StatusPendingPayment: created, waiting for the buyer's checkout (or,
	// after a Confirm-only checkout, for the merchant's first authorization).
	StatusPendingPayment OrderStatus = "pending_payment"
	// StatusPaymentPending: an authorization was initiated and Amazon Pay
	// has not decided yet (Charge AuthorizationInitiated, up to 24 h).
	StatusPaymentPending OrderStatus = "payment_pending"
	// StatusAuthorized: an authorization is open, nothing captured yet.
	StatusAuthorized OrderStatus = "authorized"
	// StatusPartiallyCaptured: some but not all of the total was captured;
	// a further authorization for the rest may be open.
	StatusPartiallyCaptured OrderStatus = "partially_captured"
	// StatusCaptured: the total was captured.
	StatusCaptured OrderStatus = "captured"
	// StatusPartiallyRefunded: refunds cover part of the captured amount.
	StatusPartiallyRefunded OrderStatus = "partially_refunded"
	// StatusRefunded: refunds cover the whole captured amount.
	StatusRefunded OrderStatus = "refunded"
	// StatusCanceled: canceled before any capture. Final, unless the
	// cancel was of the authorization alone and the charge permission is
	// still Chargeable: then it may be authorized again ([Order.CanStartOn]).
	StatusCanceled OrderStatus = "canceled"
	// StatusDeclined: the last authorization was declined.
	StatusDeclined OrderStatus = "declined"
	// StatusExpired: the checkout session or the authorization expired
	// unused.
	StatusExpired OrderStatus = "expired"
)

// OrderStatuses lists every status, in life-cycle order.
func OrderStatuses() []OrderStatus {
	return []OrderStatus{
		StatusPendingPayment, StatusPaymentPending, StatusAuthorized, StatusPartiallyCaptured,
		StatusCaptured, StatusPartiallyRefunded, StatusRefunded, StatusCanceled, StatusDeclined, StatusExpired,
	}
}

// Valid reports whether s is one of the defined statuses.
func (s OrderStatus) Valid() bool {
	for _, v := range OrderStatuses() {
		if s == v {
			return true
		}
	}
	return false
}

// in reports whether s is one of list.
func (s OrderStatus) in(list ...OrderStatus) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}

// EventKind names something Amazon Pay (or the merchant) did to an order's
// payment. Events are facts, applied after they happened; see [Order.Apply].
type EventKind string

// List of values that EventKind can take.
const (
	// EventAuthorizationPending: a Charge is AuthorizationInitiated.
	EventAuthorizationPending EventKind = "authorization_pending"
	// EventAuthorized: a Charge of Amount is Authorized.
	EventAuthorized EventKind = "authorized"
	// EventDeclined: the pending or open authorization was declined.
	EventDeclined EventKind = "declined"
	// EventCaptured: Amount was captured from the open authorization
	// (which is then used up: Amazon Pay captures a Charge once).
	EventCaptured EventKind = "captured"
	// EventRefunded: Amazon Pay accepted a refund of Amount
	// (RefundInitiated or Refunded). Counting refunds when they are accepted
	// rather than when they complete keeps the over-refund check safe.
	EventRefunded EventKind = "refunded"
	// EventRefundDeclined: a refund of Amount counted by EventRefunded was
	// declined, so it no longer counts.
	EventRefundDeclined EventKind = "refund_declined"
	// EventCanceled: the open or pending authorization was canceled, or an
	// unpaid order was canceled by the merchant.
	EventCanceled EventKind = "canceled"
	// EventExpired: the checkout session expired before completion, or the
	// authorization expired unused (Canceled/ExpiredUnused after 30 days).
	EventExpired EventKind = "expired"
	// EventClosed: the charge permission was closed; no further charges.
	EventClosed EventKind = "closed"
)

// OrderEvent is an event with its amount (minor units of the order
// currency; 0 for events without one).
type OrderEvent struct {
	Kind   EventKind
	Amount int64
}

// Apply applies ev to o: on success it updates Status and the amount fields;
// on error o is unchanged. It returns ECONFLICT when the event cannot happen
// in the current status and EINVALID when the amount is out of range.
//
// Apply is not idempotent (applying EventCaptured twice captures twice):
// callers apply an event when a Charge or Refund changes state, which
// UpsertCharge and UpsertRefund report.
func (o *Order) Apply(ev OrderEvent) error {
	n := *o
	if err := n.apply(ev); err != nil {
		return err
	}
	o.Status, o.Authorized, o.Captured, o.Refunded = n.Status, n.Authorized, n.Captured, n.Refunded
	return nil
}

func (o *Order) apply(ev OrderEvent) error {
	conflict := func() error {
		return Errorf(ECONFLICT, "Order %s is %s; %s is not possible.", o.Number, o.Status, ev.Kind)
	}
	switch ev.Kind {
	case EventAuthorizationPending:
		switch {
		case o.Status.in(StatusPendingPayment, StatusDeclined, StatusExpired, StatusPaymentPending, StatusCanceled):
			o.Status = StatusPaymentPending
		case o.Status == StatusPartiallyCaptured && o.Authorized == 0:
		default:
			return conflict()
		}
	case EventAuthorized:
		// From canceled: a new charge on a charge permission that a
		// close-authorization left Chargeable. Amazon Pay holds the money,
		// so the order shows it whoever created the charge.
		if !o.Status.in(StatusPendingPayment, StatusPaymentPending, StatusDeclined, StatusExpired, StatusPartiallyCaptured, StatusCanceled) {
			return conflict()
		}
		if o.Authorized != 0 {
			return Errorf(ECONFLICT, "Order %s already has an open authorization.", o.Number)
		}
		if err := o.checkAuthorizeAmount(ev.Amount); err != nil {
			return err
		}
		if o.Status != StatusPartiallyCaptured {
			o.Status = StatusAuthorized
		}
		o.Authorized = ev.Amount
	case EventDeclined:
		switch {
		case o.Status.in(StatusPendingPayment, StatusPaymentPending, StatusAuthorized, StatusDeclined, StatusExpired):
			o.Status = StatusDeclined
		case o.Status == StatusPartiallyCaptured:
		default:
			return conflict()
		}
		o.Authorized = 0
	case EventCaptured:
		if !o.Status.in(StatusAuthorized, StatusPartiallyCaptured) || o.Authorized == 0 {
			return Errorf(ECONFLICT, "Order %s is %s with no open authorization; it cannot be captured.", o.Number, o.Status)
		}
		if ev.Amount <= 0 || ev.Amount > o.Authorized {
			return Errorf(EINVALID, "Capture amount must be between 1 and the authorized %d.", o.Authorized)
		}
		o.Captured += ev.Amount
		o.Authorized = 0
		o.Status = StatusPartiallyCaptured
		if o.Captured >= o.Total {
			o.Status = StatusCaptured
		}
	case EventRefunded:
		if !o.Status.in(StatusCaptured, StatusPartiallyCaptured, StatusPartiallyRefunded, StatusRefunded) {
			return Errorf(ECONFLICT, "Order %s is %s; only captured orders can be refunded.", o.Number, o.Status)
		}
		if err := o.checkRefundAmount(ev.Amount); err != nil {
			return err
		}
		o.Refunded += ev.Amount
		o.Authorized = 0
		o.Status = o.refundStatus()
	case EventRefundDeclined:
		if !o.Status.in(StatusPartiallyRefunded, StatusRefunded) {
			return conflict()
		}
		if ev.Amount <= 0 || ev.Amount > o.Refunded {
			return Errorf(EINVALID, "Declined refund amount must be between 1 and the refunded %d.", o.Refunded)
		}
		o.Refunded -= ev.Amount
		o.Status = o.refundStatus()
	case EventCanceled:
		switch {
		case o.Status.in(StatusPendingPayment, StatusPaymentPending, StatusAuthorized, StatusDeclined, StatusExpired):
			o.Status = StatusCanceled
		case o.Status == StatusPartiallyCaptured:
		default:
			return conflict()
		}
		o.Authorized = 0
	case EventExpired:
		switch {
		case o.Status.in(StatusPendingPayment, StatusPaymentPending, StatusAuthorized):
			o.Status = StatusExpired
		case o.Status == StatusPartiallyCaptured:
		default:
			return conflict()
		}
		o.Authorized = 0
	case EventClosed:
		switch {
		case o.Status.in(StatusPendingPayment, StatusPaymentPending, StatusAuthorized, StatusDeclined, StatusExpired):
			o.Status = StatusCanceled
		case o.Status.in(StatusPartiallyCaptured, StatusCaptured, StatusPartiallyRefunded, StatusRefunded, StatusCanceled):
		default:
			return conflict()
		}
		o.Authorized = 0
	default:
		return Errorf(EINVALID, "Unknown order event %q.", ev.Kind)
	}
	return nil
}

// refundStatus is the status implied by the captured and refunded amounts
// once refunds exist (or have all been declined again).
func (o *Order) refundStatus() OrderStatus {
	switch {
	case o.Refunded >= o.Captured:
		return StatusRefunded
	case o.Refunded > 0:
		return StatusPartiallyRefunded
	case o.Captured >= o.Total:
		return StatusCaptured
	default:
		return StatusPartiallyCaptured
	}
}

func (o *Order) checkAuthorizeAmount(amount int64) error {
	if rest := o.Total - o.Captured; amount <= 0 || amount > rest {
		return Errorf(EINVALID, "Authorization amount must be between 1 and the uncaptured %d.", rest)
	}
	return nil
}

func (o *Order) checkRefundAmount(amount int64) error {
	limit := o.Captured + RefundMargin(o.Captured, o.Currency) - o.Refunded
	if amount <= 0 || amount > limit {
		return Errorf(EINVALID, "Refund amount must be between 1 and %d (captured plus Amazon Pay's over-refund margin, less earlier refunds).", max(limit, 0))
	}
	if amount > MaxRefund(o.Currency) {
		return Errorf(EINVALID, "Refund amount exceeds the largest single refund Amazon Pay accepts.")
	}
	return nil
}

// CanStart reports whether the money movement op for amount may be
// attempted now; the REST and job layers call it (on the locked order)
// before writing the [MoneyMovement] and calling Amazon Pay. It returns
// ECONFLICT when the status forbids the operation (capture of an
// unauthorized order, refund of an uncaptured one, a second open
// authorization) and EINVALID when the amount is out of range (capture above
// the authorization, refund above captured plus Amazon Pay's margin).
//
// Cancelling an order that was never paid needs no Amazon Pay call: apply
// EventCanceled directly.
//
// CanStart judges by the order alone, so it refuses every operation but
// close on a canceled order; [Order.CanStartOn] also knows the payment and
// allows the new authorization after a close-authorization.
func (o *Order) CanStart(op Operation, amount int64) error {
	deny := func() error {
		return Errorf(ECONFLICT, "Order %s is %s; %s is not possible.", o.Number, o.Status, op)
	}
	switch op {
	case OpComplete:
		if o.Status != StatusPendingPayment {
			return deny()
		}
		if amount != o.Total {
			return Errorf(EINVALID, "Checkout amount %d does not match the order total %d.", amount, o.Total)
		}
	case OpAuthorize, OpAuthorizeCapture:
		if !o.Status.in(StatusPendingPayment, StatusDeclined, StatusExpired, StatusPartiallyCaptured) {
			return deny()
		}
		if o.Authorized != 0 {
			return Errorf(ECONFLICT, "Order %s already has an open authorization; capture or cancel it first.", o.Number)
		}
		return o.checkAuthorizeAmount(amount)
	case OpCapture:
		if !o.Status.in(StatusAuthorized, StatusPartiallyCaptured) || o.Authorized == 0 {
			return Errorf(ECONFLICT, "Order %s is %s with no open authorization; it cannot be captured.", o.Number, o.Status)
		}
		if amount <= 0 || amount > o.Authorized {
			return Errorf(EINVALID, "Capture amount must be between 1 and the authorized %d.", o.Authorized)
		}
	case OpRefund:
		if !o.Status.in(StatusCaptured, StatusPartiallyCaptured, StatusPartiallyRefunded, StatusRefunded) {
			return Errorf(ECONFLICT, "Order %s is %s; only captured orders can be refunded.", o.Number, o.Status)
		}
		if o.Authorized != 0 {
			return Errorf(ECONFLICT, "Order %s has an open authorization; capture or cancel it before refunding.", o.Number)
		}
		return o.checkRefundAmount(amount)
	case OpCancel:
		if !(o.Status.in(StatusPaymentPending, StatusAuthorized) || (o.Status == StatusPartiallyCaptured && o.Authorized > 0)) {
			return Errorf(ECONFLICT, "Order %s is %s with no open or pending authorization to cancel.", o.Number, o.Status)
		}
	case OpClose:
		if o.Status == StatusPendingPayment {
			return deny()
		}
	default:
		return Errorf(EINVALID, "Unknown operation %q.", op)
	}
	return nil
}

// CanStartOn is [Order.CanStart] with what the order's payment p (nil if
// none) tells and the order's status cannot: whether a canceled order was
// canceled by canceling its authorization. Amazon Pay returns a OneTime
// charge permission to Chargeable when its charge is canceled (unless it is
// closed or expired), and a new charge may then be created on it; so a
// canceled order may take OpAuthorize or OpAuthorizeCapture, for at most
// its total less what was captured, when p shows
//
//   - the charge permission known Chargeable (not Closed, not
//     NonChargeable, not unknown),
//   - the newest charge Canceled by the merchant (reasonCode
//     MerchantCanceled, what CancelCharge leaves), and
//   - no charge still open (AuthorizationInitiated, Authorized,
//     CaptureInitiated).
//
// An order canceled unpaid (no charge) or by closing its charge permission
// stays final. Everything else is exactly CanStart.
func (o *Order) CanStartOn(p *Payment, op Operation, amount int64) error {
	if o.Status != StatusCanceled || (op != OpAuthorize && op != OpAuthorizeCapture) || !authorizationCanceled(p) {
		return o.CanStart(op, amount)
	}
	if o.Authorized != 0 {
		return Errorf(ECONFLICT, "Order %s already has an open authorization; capture or cancel it first.", o.Number)
	}
	return o.checkAuthorizeAmount(amount)
}

// authorizationCanceled reports whether p is what a close-authorization
// leaves behind and a new charge may follow (see [Order.CanStartOn]).
func authorizationCanceled(p *Payment) bool {
	if p == nil || p.ChargePermissionID == "" || p.ChargePermissionState != "Chargeable" || len(p.Charges) == 0 {
		return false
	}
	newest := 0
	for i, c := range p.Charges {
		switch c.State {
		case ChargeAuthorizationInitiated, ChargeAuthorized, ChargeCaptureInitiated:
			return false
		}
		// Newest by Amazon Pay's clock (expiry is creation + 30 days),
		// then by the shop's; the later one in the list on a tie.
		n := p.Charges[newest]
		if c.ExpiresAt.After(n.ExpiresAt) || (c.ExpiresAt.Equal(n.ExpiresAt) && !c.CreatedAt.Before(n.CreatedAt)) {
			newest = i
		}
	}
	c := p.Charges[newest]
	return c.State == ChargeCanceled && c.ReasonCode == "MerchantCanceled"
}

// RefundMargin is how much Amazon Pay lets refunds exceed the captured
// amount: 15 % of it, but at most 75.00 in USD, EUR and GBP and at most
// 8,400 in JPY (api-objects.md §8). For other currencies no margin is
// documented, so none is allowed: refunds stop at the captured amount.
func RefundMargin(captured int64, currency string) int64 {
	if captured <= 0 {
		return 0
	}
	pct := money.Percent(captured, 15)
	switch currency {
	case "USD", "EUR", "GBP":
		return min(pct, 7500)
	case "JPY":
		return min(pct, 8400)
	default:
		return 0
	}
}

// MaxRefund is the largest single refund Amazon Pay accepts: 150,000 in
// USD, EUR and GBP; elsewhere the largest charge ([MaxOrderTotal]).
func MaxRefund(currency string) int64 {
	return MaxOrderTotal(currency)
}
