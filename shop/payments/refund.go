package payments

import (
	"context"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Refund refunds req.Amount (default: everything captured and not yet
// refunded) from one captured Charge of the order. Refunds may exceed the
// captured amount by Amazon Pay's over-refund margin (15 %, capped) and no
// more: a larger one is refused with TransactionAmountExceeded before
// anything is sent. The refund counts from the moment Amazon Pay accepts
// it (RefundInitiated) and stops counting if it is declined later.
func (s *Service) Refund(ctx context.Context, orderID int64, req Request) (*Result, error) {
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
		if m, err := a.find(ctx, shop.OpRefund, key); err != nil || m != nil {
			if err != nil {
				return plan{}, err
			}
			return same(m, &req)
		}
		o := a.o
		amount := req.Amount
		if amount == 0 {
			amount = o.Captured - o.Refunded
		}
		switch err := o.CanStart(shop.OpRefund, max(amount, 1)); shop.ErrorCode(err) {
		case "":
		case shop.EINVALID:
			return plan{}, amazonError(amazonpay.ReasonTransactionAmountExceeded,
				"The refund amount %s exceeds what order %s can still refund (%s: captured %s plus Amazon Pay's over-refund margin, less %s refunded).",
				format(amount, o.Currency), o.Number,
				format(max(o.Captured+shop.RefundMargin(o.Captured, o.Currency)-o.Refunded, 0), o.Currency),
				format(o.Captured, o.Currency), format(o.Refunded, o.Currency))
		default:
			return plan{}, amazonError(amazonpay.ReasonInvalidChargeStatus, "%s", shop.ErrorMessage(err))
		}
		if amount == 0 {
			return plan{}, amazonError(amazonpay.ReasonInvalidParameterValue, "Order %s has nothing left to refund; give an amount.", o.Number)
		}
		ch, most := refundCharge(a.p, o.Currency, amount)
		if ch == nil {
			return plan{}, amazonError(amazonpay.ReasonTransactionAmountExceeded,
				"A refund is made from one charge, and no charge of order %s can take %s (at most %s); refund in several parts.",
				o.Number, format(amount, o.Currency), format(most, o.Currency))
		}
		m, err := a.begin(ctx, &shop.MoneyMovement{Operation: shop.OpRefund, ClientKey: key, ChargeID: ch.ID, Amount: amount, Reason: req.Reason})
		return plan{m: m}, err
	}, func(*shop.MoneyMovement) bool { return true })
	if res != nil {
		res.Operation = shop.OpRefund
	}
	return res, err
}

// refundCharge picks the oldest captured charge that can take amount: its
// capture plus Amazon Pay's margin, less the refunds counted against it.
// If none can, it returns the largest amount one could take.
func refundCharge(p *shop.Payment, currency string, amount int64) (*shop.Charge, int64) {
	var most int64
	for i := range p.Charges {
		c := p.Charges[i]
		if c.State != shop.ChargeCaptured {
			continue
		}
		room := c.CapturedAmount + shop.RefundMargin(c.CapturedAmount, currency)
		for _, r := range p.Refunds {
			if r.ChargeID == c.ID && r.State != shop.RefundDeclined {
				room -= r.Amount
			}
		}
		if room >= amount {
			return &c, room
		}
		most = max(most, room)
	}
	return nil, most
}
