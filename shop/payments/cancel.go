package payments

import (
	"context"
	"log/slog"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// CloseAuthorization cancels the order's open (or pending) authorization
// with CancelCharge, sending req.Reason as the cancellation reason. The
// order is canceled (or, partially captured, keeps what it captured), and
// the Charge Permission returns to Chargeable: it is read again afterwards
// so the order shows that, and so that a later Authorize or
// AuthorizeAndCapture may create a new charge on the canceled order. req.Reason
// is also stored with the movement.
func (s *Service) CloseAuthorization(ctx context.Context, orderID int64, req Request) (*Result, error) {
	key, err := req.clientKey()
	if err != nil {
		return nil, err
	}
	res, _, err := s.drive(ctx, orderID, callOpts{reason: req.Reason}, func(ctx context.Context, a *applier, _ map[string]bool) (plan, error) {
		if err := needChargePermission(a); err != nil {
			return plan{}, err
		}
		if err := req.check(a.o); err != nil {
			return plan{}, err
		}
		if m, err := a.find(ctx, shop.OpCancel, key); err != nil || m != nil {
			if err != nil {
				return plan{}, err
			}
			return same(m, &req)
		}
		if err := a.o.CanStart(shop.OpCancel, 0); err != nil {
			return plan{}, amazonError(amazonpay.ReasonInvalidChargeStatus, "%s", shop.ErrorMessage(err))
		}
		open := openCharge(a.p, true)
		if open == nil {
			return plan{}, amazonError(amazonpay.ReasonInvalidChargeStatus, "Order %s has no open authorization to cancel.", a.o.Number)
		}
		m, err := a.begin(ctx, &shop.MoneyMovement{Operation: shop.OpCancel, ClientKey: key, ChargeID: open.ID, Reason: req.Reason})
		return plan{m: m}, err
	}, func(*shop.MoneyMovement) bool { return true })
	if err != nil || res == nil {
		return res, err
	}
	res.Operation = shop.OpCancel
	if !res.Replayed && res.Payment != nil {
		if err := s.observe(ctx, orderID, []object{{kind: objChargePermission, id: res.Payment.ChargePermissionID}}); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "payments: reading the charge permission after a cancel",
				slog.Int64("order_id", orderID), slog.String("err", err.Error()))
		}
		s.reload(ctx, res)
	}
	return res, nil
}

// reload refreshes a result's order and payment from the store.
func (s *Service) reload(ctx context.Context, res *Result) {
	if res.Order == nil {
		return
	}
	if o, err := s.store.Order(ctx, res.Order.ID); err == nil {
		res.Order = o
	}
	if p, err := s.store.Payment(ctx, res.Order.ID); err == nil {
		res.Payment = p
		if res.Charge != nil {
			res.Charge = chargeOf(p, res.Charge.ID)
		}
		if res.Refund != nil {
			res.Refund = refundOf(p, res.Refund.ID)
		}
	}
}
