package shop

import (
	"context"
	"time"
)

// Payment is the Amazon Pay side of one order: its checkout session, the
// charge permission (the buyer's consent to be charged) and the charges and
// refunds made under it, each with the state string Amazon Pay last
// reported. The store keeps one Payment per order.
type Payment struct {
	OrderID           int64
	CheckoutSessionID string
	// ChargePermissionID is set once the checkout completed.
	ChargePermissionID string
	// ChargePermissionType is OneTime, Recurring or PaymentMethodOnFile.
	ChargePermissionType string
	// ChargePermissionState is Chargeable, NonChargeable or Closed.
	ChargePermissionState string
	// ChargePermissionReason is the first statusDetails reason, if any
	// (e.g. MerchantClosed, PaymentMethodInvalid).
	ChargePermissionReason string
	Charges                []Charge
	Refunds                []Refund

	CreatedAt time.Time
	UpdatedAt time.Time
}

// ChargeState is a Charge's state as Amazon Pay names it.
type ChargeState string

// List of values that ChargeState can take (api-objects.md §9.3).
const (
	ChargeAuthorizationInitiated ChargeState = "AuthorizationInitiated"
	ChargeAuthorized             ChargeState = "Authorized"
	ChargeCaptureInitiated       ChargeState = "CaptureInitiated"
	ChargeCaptured               ChargeState = "Captured"
	ChargeCanceled               ChargeState = "Canceled"
	ChargeDeclined               ChargeState = "Declined"
)

// RefundState is a Refund's state as Amazon Pay names it.
type RefundState string

// List of values that RefundState can take (api-objects.md §9.4).
const (
	RefundInitiated RefundState = "RefundInitiated"
	RefundRefunded  RefundState = "Refunded"
	RefundDeclined  RefundState = "Declined"
)

// Charge is one Amazon Pay Charge (an authorization, possibly captured).
type Charge struct {
	ID      string
	OrderID int64
	// Amount is the authorized chargeAmount, CapturedAmount what was
	// captured (0 until then), both in minor units of the order currency.
	Amount         int64
	CapturedAmount int64
	State          ChargeState
	// ReasonCode is statusDetails.reasonCode (e.g. ExpiredUnused,
	// SoftDeclined), "" if none.
	ReasonCode string
	// ExpiresAt is when an Authorized charge expires unused (30 days after
	// authorization); the re-authorization job looks for it.
	ExpiresAt time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Refund is one Amazon Pay Refund.
type Refund struct {
	ID         string
	OrderID    int64
	ChargeID   string
	Amount     int64
	State      RefundState
	ReasonCode string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// PaymentLookup finds the payment (and so the order) an Amazon Pay object
// belongs to, e.g. for a notification. Exactly one field must be set.
type PaymentLookup struct {
	CheckoutSessionID  string
	ChargePermissionID string
	ChargeID           string
	RefundID           string
}

// ChargeEvents translates a Charge's state change into the order events to
// apply, in order. prev is the state stored before ("" for a new charge);
// c is the charge as Amazon Pay now reports it. A charge that goes straight
// to Captured (AuthorizeWithCapture, or a missed notification) yields
// EventAuthorized then EventCaptured. No change yields no events.
func ChargeEvents(prev ChargeState, c Charge) []OrderEvent {
	if prev == c.State {
		return nil
	}
	authorizedBefore := prev == ChargeAuthorized || prev == ChargeCaptureInitiated
	switch c.State {
	case ChargeAuthorizationInitiated:
		return []OrderEvent{{Kind: EventAuthorizationPending}}
	case ChargeAuthorized:
		return []OrderEvent{{Kind: EventAuthorized, Amount: c.Amount}}
	case ChargeCaptureInitiated:
		if authorizedBefore {
			return nil
		}
		return []OrderEvent{{Kind: EventAuthorized, Amount: c.Amount}}
	case ChargeCaptured:
		if authorizedBefore {
			return []OrderEvent{{Kind: EventCaptured, Amount: c.CapturedAmount}}
		}
		return []OrderEvent{{Kind: EventAuthorized, Amount: c.Amount}, {Kind: EventCaptured, Amount: c.CapturedAmount}}
	case ChargeCanceled:
		if c.ReasonCode == "ExpiredUnused" {
			return []OrderEvent{{Kind: EventExpired}}
		}
		return []OrderEvent{{Kind: EventCanceled}}
	case ChargeDeclined:
		return []OrderEvent{{Kind: EventDeclined}}
	}
	return nil
}

// RefundEvents translates a Refund's state change into order events. A
// refund counts from the moment Amazon Pay accepts it (RefundInitiated or
// Refunded) and stops counting if it is declined.
func RefundEvents(prev RefundState, r Refund) []OrderEvent {
	counted := func(s RefundState) bool { return s == RefundInitiated || s == RefundRefunded }
	switch {
	case counted(r.State) && !counted(prev):
		return []OrderEvent{{Kind: EventRefunded, Amount: r.Amount}}
	case r.State == RefundDeclined && counted(prev):
		return []OrderEvent{{Kind: EventRefundDeclined, Amount: r.Amount}}
	}
	return nil
}

// PaymentStore is the payment part of the store.
type PaymentStore interface {
	// SavePayment creates or updates the payment row of p.OrderID (not its
	// charges and refunds). Returns ENOTFOUND for an unknown order and
	// ECONFLICT if the checkout session or charge permission already
	// belongs to another order.
	SavePayment(ctx context.Context, p *Payment) error
	// Payment returns the payment of an order with its charges and
	// refunds. Returns ENOTFOUND.
	Payment(ctx context.Context, orderID int64) (*Payment, error)
	// FindPayment returns the payment holding an Amazon Pay object.
	// Returns ENOTFOUND, EINVALID for an empty lookup.
	FindPayment(ctx context.Context, l PaymentLookup) (*Payment, error)
	// UpsertCharge creates or updates a charge of c.OrderID and returns
	// the state stored before ("" if new), for [ChargeEvents]. Returns
	// ENOTFOUND for an order without payment, ECONFLICT if the charge
	// belongs to another order.
	UpsertCharge(ctx context.Context, c *Charge) (prev ChargeState, err error)
	// UpsertRefund creates or updates a refund and returns the state stored
	// before ("" if new), for [RefundEvents]. Returns ENOTFOUND,
	// ECONFLICT.
	UpsertRefund(ctx context.Context, r *Refund) (prev RefundState, err error)
	// ExpiringCharges lists Authorized charges whose ExpiresAt is before
	// before (candidates for capture or re-authorization), soonest first,
	// at most limit (0 means 100).
	ExpiringCharges(ctx context.Context, before time.Time, limit int) ([]*Charge, error)
}
