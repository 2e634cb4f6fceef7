package payments

import (
	"context"
	"log/slog"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Close closes the order's Charge Permission (CloseChargePermission) with
// req.Reason as the closure reason: no further charges can be made on it.
// With req.CancelPendingCharges, open authorizations are canceled too; the
// order's charges are read again afterwards so it shows them canceled.
func (s *Service) Close(ctx context.Context, orderID int64, req Request) (*Result, error) {
	key, err := req.clientKey()
	if err != nil {
		return nil, err
	}
	co := callOpts{reason: req.Reason, cancelPending: req.CancelPendingCharges}
	res, _, err := s.drive(ctx, orderID, co, func(ctx context.Context, a *applier, _ map[string]bool) (plan, error) {
		if err := needChargePermission(a); err != nil {
			return plan{}, err
		}
		if err := req.check(a.o); err != nil {
			return plan{}, err
		}
		if m, err := a.find(ctx, shop.OpClose, key); err != nil || m != nil {
			if err != nil {
				return plan{}, err
			}
			return same(m, &req)
		}
		if err := a.o.CanStart(shop.OpClose, 0); err != nil {
			return plan{}, amazonError(amazonpay.ReasonInvalidChargePermissionStatus, "%s", shop.ErrorMessage(err))
		}
		if a.p.ChargePermissionState == string(amazonpay.ChargePermissionClosed) {
			return plan{}, amazonError(amazonpay.ReasonInvalidChargePermissionStatus,
				"The charge permission of order %s is already closed.", a.o.Number)
		}
		m, err := a.begin(ctx, &shop.MoneyMovement{Operation: shop.OpClose, ClientKey: key, Reason: req.Reason})
		return plan{m: m}, err
	}, func(*shop.MoneyMovement) bool { return true })
	if err != nil || res == nil {
		return res, err
	}
	res.Operation = shop.OpClose
	if !res.Replayed && req.CancelPendingCharges {
		if err := s.Sync(ctx, orderID); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "payments: reading charges after closing", slog.Int64("order_id", orderID), slog.String("err", err.Error()))
		}
		s.reload(ctx, res)
	}
	return res, nil
}
