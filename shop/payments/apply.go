package payments

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// applier applies Amazon Pay objects, as read from Amazon Pay, to one
// locked order inside a transaction. It is the only code that moves an
// order's payment state, so the answer to the merchant's own call, a
// notification and the reconciler all move orders the same way.
type applier struct {
	s   *Service
	tx  shop.Tx
	o   *shop.Order
	p   *shop.Payment // nil for an order without payment
	ms  []*shop.MoneyMovement
	was shop.Order // the order as locked, to know whether to save it
	// created is the movement begin recorded in this transaction.
	created *shop.MoneyMovement
}

// lock starts an applier: it locks the order and reads its payment.
func (s *Service) lock(ctx context.Context, tx shop.Tx, orderID int64) (*applier, error) {
	o, err := tx.LockOrderHead(ctx, orderID)
	if err != nil {
		if shop.ErrorCode(err) == shop.ENOTFOUND {
			return nil, &Error{Status: 404, Code: CodeOrderNotFound, Message: fmt.Sprintf("Order %d not found.", orderID)}
		}
		return nil, err
	}
	a := &applier{s: s, tx: tx, o: o, was: *o}
	p, err := tx.Payment(ctx, orderID)
	switch {
	case err == nil:
		a.p = p
	case shop.ErrorCode(err) != shop.ENOTFOUND:
		return nil, err
	}
	return a, nil
}

// movements returns the order's movements, read once.
func (a *applier) movements(ctx context.Context) ([]*shop.MoneyMovement, error) {
	if a.ms != nil {
		return a.ms, nil
	}
	ms, err := a.tx.MoneyMovements(ctx, a.o.ID)
	if err != nil {
		return nil, err
	}
	if ms == nil {
		ms = []*shop.MoneyMovement{}
	}
	a.ms = ms
	return ms, nil
}

// find returns the movement of the order with the key derived from op and
// clientKey, or nil.
func (a *applier) find(ctx context.Context, op shop.Operation, clientKey string) (*shop.MoneyMovement, error) {
	ms, err := a.movements(ctx)
	if err != nil {
		return nil, err
	}
	key := shop.AmazonIdempotencyKey(a.o.ID, a.o.Number, op, clientKey)
	for _, m := range ms {
		if m.AmazonKey == key {
			return m, nil
		}
	}
	return nil, nil
}

// save writes the order if Apply changed it.
func (a *applier) save(ctx context.Context) error {
	if a.o.Status == a.was.Status && a.o.Authorized == a.was.Authorized && a.o.Captured == a.was.Captured && a.o.Refunded == a.was.Refunded {
		return nil
	}
	if err := a.tx.UpdateOrder(ctx, a.o); err != nil {
		return err
	}
	a.was = *a.o
	return nil
}

// event applies one order event. An event the order's state does not
// allow is logged and skipped: Amazon Pay's state is the truth and is
// stored regardless; the order simply keeps its state.
func (a *applier) event(ctx context.Context, ev shop.OrderEvent, object string) {
	if err := a.o.Apply(ev); err != nil {
		a.s.log.LogAttrs(ctx, slog.LevelWarn, "payments: order event not applicable",
			slog.Int64("order_id", a.o.ID), slog.String("event", string(ev.Kind)), slog.String("object", object),
			slog.String("status", string(a.o.Status)), slog.String("reason", shop.ErrorMessage(err)))
	}
}

// openCharges reports whether a charge other than id is open (an
// authorization pending, open or being captured).
func (a *applier) otherOpenCharge(id string) bool {
	if a.p == nil {
		return false
	}
	for _, c := range a.p.Charges {
		if c.ID != id && isOpen(c.State) {
			return true
		}
	}
	return false
}

// isOpen reports whether a charge state holds an authorization.
func isOpen(s shop.ChargeState) bool {
	return s == shop.ChargeAuthorizationInitiated || s == shop.ChargeAuthorized || s == shop.ChargeCaptureInitiated
}

// reauthCancel reports whether the cancellation of charge id was the first
// step of a re-authorization (its movement's key says so): the order then
// treats it as the expiry it anticipated, not as a merchant cancel that
// would end the order.
func (a *applier) reauthCancel(ctx context.Context, id string) bool {
	ms, err := a.movements(ctx)
	if err != nil {
		return false
	}
	for _, m := range ms {
		if m.Operation == shop.OpCancel && m.ChargeID == id && strings.HasPrefix(m.ClientKey, reauthCancelPrefix) {
			return true
		}
	}
	return false
}

// charge stores c and moves the order accordingly; it returns the stored
// charge.
func (a *applier) charge(ctx context.Context, c *amazonpay.Charge) (*shop.Charge, error) {
	if a.p == nil {
		return nil, fmt.Errorf("payments: charge %s for order %d without payment", c.ChargeID, a.o.ID)
	}
	sc, err := shopCharge(a.o, c)
	if err != nil {
		return nil, err
	}
	prev, err := a.tx.UpsertCharge(ctx, sc)
	if err != nil {
		return nil, err
	}
	events := shop.ChargeEvents(prev, *sc)
	for _, ev := range events {
		switch ev.Kind {
		case shop.EventCanceled:
			if a.reauthCancel(ctx, sc.ID) {
				ev.Kind = shop.EventExpired
			}
			fallthrough
		case shop.EventDeclined, shop.EventExpired:
			// A charge that never was, or no longer is, the order's
			// authorization must not close the one that is.
			if a.otherOpenCharge(sc.ID) {
				continue
			}
		}
		a.event(ctx, ev, sc.ID)
	}
	a.put(*sc)
	return sc, nil
}

// put replaces or appends a charge in the in-memory payment.
func (a *applier) put(c shop.Charge) {
	for i := range a.p.Charges {
		if a.p.Charges[i].ID == c.ID {
			a.p.Charges[i] = c
			return
		}
	}
	a.p.Charges = append(a.p.Charges, c)
}

// refund stores r and moves the order accordingly.
func (a *applier) refund(ctx context.Context, r *amazonpay.Refund) (*shop.Refund, error) {
	if a.p == nil {
		return nil, fmt.Errorf("payments: refund %s for order %d without payment", r.RefundID, a.o.ID)
	}
	sr, err := shopRefund(a.o, r)
	if err != nil {
		return nil, err
	}
	prev, err := a.tx.UpsertRefund(ctx, sr)
	if err != nil {
		return nil, err
	}
	for _, ev := range shop.RefundEvents(prev, *sr) {
		a.event(ctx, ev, sr.ID)
	}
	replaced := false
	for i := range a.p.Refunds {
		if a.p.Refunds[i].ID == sr.ID {
			a.p.Refunds[i], replaced = *sr, true
		}
	}
	if !replaced {
		a.p.Refunds = append(a.p.Refunds, *sr)
	}
	return sr, nil
}

// chargePermission stores the charge permission's state and closes the
// order's payment when it was closed.
func (a *applier) chargePermission(ctx context.Context, cp *amazonpay.ChargePermission) error {
	if a.p == nil {
		return fmt.Errorf("payments: charge permission %s for order %d without payment", cp.ChargePermissionID, a.o.ID)
	}
	if a.p.ChargePermissionID != "" && a.p.ChargePermissionID != cp.ChargePermissionID {
		return fmt.Errorf("payments: charge permission %s is not order %d's", cp.ChargePermissionID, a.o.ID)
	}
	prev := a.p.ChargePermissionState
	a.p.ChargePermissionID = cp.ChargePermissionID
	a.p.ChargePermissionState = string(cp.State())
	if cp.ChargePermissionType != "" {
		a.p.ChargePermissionType = string(cp.ChargePermissionType)
	}
	a.p.ChargePermissionReason = ""
	if cp.StatusDetails != nil && len(cp.StatusDetails.Reasons) > 0 {
		a.p.ChargePermissionReason = string(cp.StatusDetails.Reasons[0].ReasonCode)
	}
	if err := a.tx.SavePayment(ctx, a.p); err != nil {
		return err
	}
	if a.p.ChargePermissionState == string(amazonpay.ChargePermissionClosed) && prev != a.p.ChargePermissionState {
		a.event(ctx, shop.OrderEvent{Kind: shop.EventClosed}, cp.ChargePermissionID)
	}
	return nil
}

// shopCharge converts a Charge read from Amazon Pay.
func shopCharge(o *shop.Order, c *amazonpay.Charge) (*shop.Charge, error) {
	if c.ChargeID == "" {
		return nil, fmt.Errorf("payments: Amazon Pay returned a charge without id")
	}
	if c.ChargeAmount.CurrencyCode != o.Currency {
		return nil, fmt.Errorf("payments: charge %s is in %q, order %d in %s", c.ChargeID, c.ChargeAmount.CurrencyCode, o.ID, o.Currency)
	}
	amount, err := c.ChargeAmount.MinorUnits()
	if err != nil {
		return nil, fmt.Errorf("payments: charge %s amount: %w", c.ChargeID, err)
	}
	sc := &shop.Charge{ID: c.ChargeID, OrderID: o.ID, Amount: amount, State: shop.ChargeState(c.State()),
		ExpiresAt: c.ExpirationTimestamp.Time}
	if c.StatusDetails != nil {
		sc.ReasonCode = string(c.StatusDetails.ReasonCode)
	}
	if !c.CaptureAmount.IsZero() && (sc.State == shop.ChargeCaptured) {
		if sc.CapturedAmount, err = c.CaptureAmount.MinorUnits(); err != nil {
			return nil, fmt.Errorf("payments: charge %s capture amount: %w", c.ChargeID, err)
		}
	}
	if sc.State == "" {
		return nil, fmt.Errorf("payments: charge %s without state", c.ChargeID)
	}
	return sc, nil
}

// shopRefund converts a Refund read from Amazon Pay.
func shopRefund(o *shop.Order, r *amazonpay.Refund) (*shop.Refund, error) {
	if r.RefundID == "" || r.ChargeID == "" {
		return nil, fmt.Errorf("payments: Amazon Pay returned a refund without id or charge id")
	}
	if r.RefundAmount.CurrencyCode != o.Currency {
		return nil, fmt.Errorf("payments: refund %s is in %q, order %d in %s", r.RefundID, r.RefundAmount.CurrencyCode, o.ID, o.Currency)
	}
	amount, err := r.RefundAmount.MinorUnits()
	if err != nil {
		return nil, fmt.Errorf("payments: refund %s amount: %w", r.RefundID, err)
	}
	sr := &shop.Refund{ID: r.RefundID, OrderID: o.ID, ChargeID: r.ChargeID, Amount: amount, State: shop.RefundState(r.State())}
	if r.StatusDetails != nil {
		sr.ReasonCode = string(r.StatusDetails.ReasonCode)
	}
	if sr.State == "" {
		return nil, fmt.Errorf("payments: refund %s without state", r.RefundID)
	}
	return sr, nil
}

// chargeOf returns the stored charge id of the payment, or nil.
func chargeOf(p *shop.Payment, id string) *shop.Charge {
	if p == nil || id == "" {
		return nil
	}
	for i := range p.Charges {
		if p.Charges[i].ID == id {
			c := p.Charges[i]
			return &c
		}
	}
	return nil
}

// refundOf returns the stored refund id of the payment, or nil.
func refundOf(p *shop.Payment, id string) *shop.Refund {
	if p == nil || id == "" {
		return nil
	}
	for i := range p.Refunds {
		if p.Refunds[i].ID == id {
			r := p.Refunds[i]
			return &r
		}
	}
	return nil
}

// openCharge returns the order's open authorization: the newest charge in
// Authorized (or, with pending true, also AuthorizationInitiated).
func openCharge(p *shop.Payment, pending bool) *shop.Charge {
	if p == nil {
		return nil
	}
	for i := len(p.Charges) - 1; i >= 0; i-- {
		c := p.Charges[i]
		if c.State == shop.ChargeAuthorized || (pending && c.State == shop.ChargeAuthorizationInitiated) {
			return &c
		}
	}
	return nil
}

// lastCharge returns the newest charge, or nil. Newest is by Amazon Pay's
// expiration timestamp (creation + 30 days), which orders charges by
// Amazon Pay's clock regardless of when the shop stored them.
func lastCharge(p *shop.Payment) *shop.Charge {
	if p == nil || len(p.Charges) == 0 {
		return nil
	}
	best := 0
	for i, c := range p.Charges {
		if !c.ExpiresAt.Before(p.Charges[best].ExpiresAt) {
			best = i
		}
	}
	c := p.Charges[best]
	return &c
}
