package payments

import (
	"context"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Authorize creates a Charge (an authorization) for req.Amount (default: the
// order's uncaptured rest) on the order's Charge Permission: after a
// Confirm-only checkout, after a decline, after an expiry, after a
// CloseAuthorization that left the Charge Permission Chargeable (the
// canceled order is authorized again; see [shop.Order.CanStartOn]), or for
// the rest of a partially captured order. Result.Pending is set when Amazon
// Pay decides later (AuthorizationInitiated); a decline is an *Error with
// Amazon Pay's reason code and moves the order to declined (a canceled
// order stays canceled). A Charge Permission that is not Chargeable, as far
// as the shop knows, is refused with InvalidChargePermissionStatus before
// anything is sent.
func (s *Service) Authorize(ctx context.Context, orderID int64, req Request) (*Result, error) {
	return s.createCharge(ctx, orderID, shop.OpAuthorize, req)
}

// AuthorizeAndCapture creates a Charge with captureNow: authorized and
// captured in one call.
func (s *Service) AuthorizeAndCapture(ctx context.Context, orderID int64, req Request) (*Result, error) {
	return s.createCharge(ctx, orderID, shop.OpAuthorizeCapture, req)
}

func (s *Service) createCharge(ctx context.Context, orderID int64, op shop.Operation, req Request) (*Result, error) {
	key, err := req.clientKey()
	if err != nil {
		return nil, err
	}
	res, _, err := s.drive(ctx, orderID, callOpts{}, func(ctx context.Context, a *applier, _ map[string]bool) (plan, error) {
		if err := needChargePermission(a); err != nil {
			return plan{}, err
		}
		if err := req.check(a.o); err != nil {
			return plan{}, err
		}
		if m, err := a.find(ctx, op, key); err != nil || m != nil {
			if err != nil {
				return plan{}, err
			}
			return same(m, &req)
		}
		o := a.o
		amount := req.Amount
		if amount == 0 {
			amount = o.Total - o.Captured
		}
		notChargeable := func() error {
			return amazonError(amazonpay.ReasonInvalidChargePermissionStatus,
				"The charge permission of order %s is %s; a new charge needs a Chargeable one.", o.Number, a.p.ChargePermissionState)
		}
		cpState := a.p.ChargePermissionState
		switch err := o.CanStartOn(a.p, op, amount); shop.ErrorCode(err) {
		case "":
		case shop.EINVALID:
			return plan{}, amazonError(amazonpay.ReasonTransactionAmountExceeded,
				"The authorization amount %s exceeds the uncaptured %s of order %s.", format(amount, o.Currency), format(o.Total-o.Captured, o.Currency), o.Number)
		default:
			if o.Status == shop.StatusCanceled && cpState != "" && cpState != string(amazonpay.ChargePermissionChargeable) {
				return plan{}, notChargeable() // the reason a canceled order stays canceled
			}
			return plan{}, amazonError(amazonpay.ReasonInvalidChargePermissionStatus, "%s", shop.ErrorMessage(err))
		}
		if cpState != "" && cpState != string(amazonpay.ChargePermissionChargeable) {
			return plan{}, notChargeable()
		}
		m, err := a.begin(ctx, &shop.MoneyMovement{Operation: op, ClientKey: key, Amount: amount, Reason: req.Reason})
		return plan{m: m}, err
	}, func(*shop.MoneyMovement) bool { return true })
	if res != nil {
		res.Operation = op
	}
	return res, err
}
