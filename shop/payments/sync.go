package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// objKind is a kind of Amazon Pay object an order holds.
type objKind int

const (
	objCharge objKind = iota
	objRefund
	objChargePermission
)

// object names one Amazon Pay object to read.
type object struct {
	kind objKind
	id   string
}

// reading is one object as read from Amazon Pay.
type reading struct {
	charge *amazonpay.Charge
	refund *amazonpay.Refund
	cp     *amazonpay.ChargePermission
}

// get reads one object with a Get call and returns it with the call's log
// entry (for order orderID).
func (s *Service) get(ctx context.Context, orderID int64, ob object) (reading, *shop.AmazonCall, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	start := time.Now()
	var r reading
	var resp *amazonpay.Response
	var err error
	var op string
	switch ob.kind {
	case objCharge:
		op = "GetCharge"
		r.charge, resp, err = s.client.Charges.Get(ctx, ob.id)
	case objRefund:
		op = "GetRefund"
		r.refund, resp, err = s.client.Refunds.Get(ctx, ob.id)
	case objChargePermission:
		op = "GetChargePermission"
		r.cp, resp, err = s.client.ChargePermissions.Get(ctx, ob.id)
	}
	return r, s.callRecord(orderID, op, ob.id, "", resp, err, start), err
}

// observe reads objects of an order from Amazon Pay and applies what it
// read in one transaction with the order locked. Objects that could not be
// read are skipped; the first such error is returned after the others
// were applied.
func (s *Service) observe(ctx context.Context, orderID int64, objs []object) error {
	var reads []reading
	var calls []*shop.AmazonCall
	var firstErr error
	for _, ob := range objs {
		if ob.id == "" {
			continue
		}
		r, call, err := s.get(ctx, orderID, ob)
		calls = append(calls, call)
		if err != nil {
			if firstErr == nil {
				firstErr = fromAmazon(err)
			}
			continue
		}
		reads = append(reads, r)
	}
	if err := s.applyReads(ctx, orderID, reads, calls); err != nil {
		return err
	}
	return firstErr
}

// applyReads applies objects read from Amazon Pay to the order and logs
// the calls that read them, in one transaction.
func (s *Service) applyReads(ctx context.Context, orderID int64, reads []reading, calls []*shop.AmazonCall) error {
	return s.withTx(ctx, func(tx shop.Tx) error {
		a, err := s.lock(ctx, tx, orderID)
		if err != nil {
			return err
		}
		// Charges and refunds first: a charge permission that Amazon Pay
		// closed because its charge was captured in full must find the
		// order captured, not close an order it thinks unpaid.
		for _, r := range reads {
			switch {
			case r.charge != nil:
				_, err = a.charge(ctx, r.charge)
			case r.refund != nil:
				_, err = a.refund(ctx, r.refund)
			}
			if err != nil {
				return err
			}
		}
		for _, r := range reads {
			if r.cp != nil {
				if err := a.chargePermission(ctx, r.cp); err != nil {
					return err
				}
			}
		}
		for _, c := range calls {
			c.OrderID = orderID
			if err := tx.AppendAmazonCall(ctx, c); err != nil {
				return err
			}
		}
		return a.save(ctx)
	})
}

// Sync reads the order's Charge Permission and every charge and refund
// that can still change (authorizations pending, open or being captured;
// refunds initiated) from Amazon Pay and applies them. It is what a
// notification, the reconciler and an operator's "refresh" do.
func (s *Service) Sync(ctx context.Context, orderID int64) error {
	p, err := s.store.Payment(ctx, orderID)
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		if _, err := s.store.Order(ctx, orderID); err != nil {
			return AsError(err)
		}
		return nil // an order never checked out has nothing at Amazon Pay
	}
	if err != nil {
		return err
	}
	objs := []object{{kind: objChargePermission, id: p.ChargePermissionID}}
	return s.observe(ctx, orderID, append(objs, pendingObjects(p, true)...))
}

// pendingObjects lists the charges and refunds of p that Amazon Pay may
// still change; withOpen includes open authorizations (which expire).
func pendingObjects(p *shop.Payment, withOpen bool) []object {
	var objs []object
	for _, c := range p.Charges {
		if c.State == shop.ChargeAuthorizationInitiated || c.State == shop.ChargeCaptureInitiated ||
			(withOpen && c.State == shop.ChargeAuthorized) {
			objs = append(objs, object{kind: objCharge, id: c.ID})
		}
	}
	for _, r := range p.Refunds {
		if r.State == shop.RefundInitiated {
			objs = append(objs, object{kind: objRefund, id: r.ID})
		}
	}
	return objs
}

// Attach links an order to its completed checkout: it reads the Checkout
// Session, stores its Charge Permission and Charge (if the checkout
// authorized or captured) with the order, and moves the order. The
// storefront calls it after Complete Checkout Session; tests use it to
// make orders.
func (s *Service) Attach(ctx context.Context, orderID int64, checkoutSessionID string) error {
	start := time.Now()
	cs, resp, err := s.client.CheckoutSessions.Get(ctx, checkoutSessionID)
	call := s.callRecord(orderID, "GetCheckoutSession", checkoutSessionID, "", resp, err, start)
	if err != nil {
		_ = s.store.AppendAmazonCall(ctx, call)
		return fromAmazon(err)
	}
	if cs.ChargePermissionID == "" {
		_ = s.store.AppendAmazonCall(ctx, call)
		return amazonError(amazonpay.ReasonInvalidCheckoutSessionStatus, "Checkout session is %s, not completed.", cs.State())
	}
	p, err := s.store.Payment(ctx, orderID)
	switch {
	case shop.ErrorCode(err) == shop.ENOTFOUND:
		p = &shop.Payment{OrderID: orderID}
	case err != nil:
		return err
	}
	if p.ChargePermissionID != "" && p.ChargePermissionID != cs.ChargePermissionID {
		return fmt.Errorf("payments: order %d already has charge permission %s", orderID, p.ChargePermissionID)
	}
	p.CheckoutSessionID, p.ChargePermissionID = checkoutSessionID, cs.ChargePermissionID
	if err := s.store.SavePayment(ctx, p); err != nil {
		return err
	}
	if err := s.store.AppendAmazonCall(ctx, call); err != nil {
		return err
	}
	objs := []object{{kind: objChargePermission, id: cs.ChargePermissionID}}
	if cs.ChargeID != "" {
		objs = append(objs, object{kind: objCharge, id: cs.ChargeID})
	}
	return s.observe(ctx, orderID, objs)
}

// findOrder returns the order an Amazon Pay object belongs to, or 0.
func (s *Service) findOrder(ctx context.Context, l shop.PaymentLookup) (int64, error) {
	p, err := s.store.FindPayment(ctx, l)
	switch {
	case err == nil:
		return p.OrderID, nil
	case shop.ErrorCode(err) == shop.ENOTFOUND:
		return 0, nil
	}
	return 0, err
}

// isNotFound reports Amazon Pay's 404.
func isNotFound(err error) bool { return errors.Is(err, amazonpay.ErrNotFound) }

// logf logs at level with the order's id.
func (s *Service) logf(ctx context.Context, level slog.Level, msg string, orderID int64, attrs ...slog.Attr) {
	s.log.LogAttrs(ctx, level, msg, append([]slog.Attr{slog.Int64("order_id", orderID)}, attrs...)...)
}
