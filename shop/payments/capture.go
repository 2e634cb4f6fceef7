package payments

import (
	"context"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Capture captures req.Amount (default: all of it) of the order's open
// authorization. If the authorization has expired, or expires within
// ReauthorizeWithin, it is replaced first — the open one canceled, a new
// Charge authorized on the same Charge Permission — provided the Charge
// Permission is still Chargeable; Result.Replaced is then the old charge.
// If the new authorization is pending at Amazon Pay, Result.Pending is set
// and nothing is captured yet.
func (s *Service) Capture(ctx context.Context, orderID int64, req Request) (*Result, error) {
	key, err := req.clientKey()
	if err != nil {
		return nil, err
	}
	run := func() (*Result, []*Result, error) {
		return s.drive(ctx, orderID, callOpts{reason: req.Reason}, func(ctx context.Context, a *applier, refreshed map[string]bool) (plan, error) {
			return s.planCapture(ctx, a, &req, key, refreshed)
		}, func(m *shop.MoneyMovement) bool { return m.Operation == shop.OpCapture })
	}
	res, steps, err := run()
	if hasCode(err, amazonpay.ReasonInvalidChargeStatus) {
		// Amazon Pay may have refused because the authorization expired
		// without the shop knowing (a lost notification, a clock behind
		// Amazon Pay's): the refusal stored the charge as read, and a
		// second pass re-authorizes if that is what it shows.
		if res2, steps2, err2 := run(); !hasCode(err2, amazonpay.ReasonInvalidChargeStatus) {
			res, steps, err = res2, append(steps, steps2...), err2
		}
	}
	if res != nil {
		res.Operation = shop.OpCapture
		res.Replaced = s.replaced(ctx, orderID, key, res, steps)
	}
	return res, err
}

// planCapture decides the next step of a capture.
func (s *Service) planCapture(ctx context.Context, a *applier, req *Request, key string, refreshed map[string]bool) (plan, error) {
	if err := needChargePermission(a); err != nil {
		return plan{}, err
	}
	if err := req.check(a.o); err != nil {
		return plan{}, err
	}
	// What this request did before, newest step first.
	captureKey := key
	if m, err := a.find(ctx, shop.OpCapture, key+afterReauthSuffix); err != nil || m != nil {
		if err != nil {
			return plan{}, err
		}
		return same(m, req)
	}
	m, err := a.find(ctx, shop.OpCapture, key)
	if err != nil {
		return plan{}, err
	}
	if m != nil {
		if m.Status != shop.MovementFailed || !expired(a, chargeOf(a.p, m.ChargeID)) {
			return same(m, req)
		}
		// Amazon Pay refused the capture because the authorization had
		// expired (the shop's clock had not seen it yet): re-authorize
		// and capture under a key of its own.
		captureKey = key + afterReauthSuffix
	}
	for _, step := range []struct {
		op  shop.Operation
		key string
	}{{shop.OpAuthorize, reauthPrefix + key}, {shop.OpCancel, reauthCancelPrefix + key}} {
		m, err := a.find(ctx, step.op, step.key)
		if err != nil {
			return plan{}, err
		}
		if m != nil && m.Status != shop.MovementSucceeded {
			return plan{m: m}, nil // resume, or replay the refusal
		}
	}

	o := a.o
	open := openCharge(a.p, false)
	switch {
	case o.Authorized > 0 && open != nil:
		amount := req.Amount
		if amount == 0 {
			amount = o.Authorized
		}
		if err := captureAllowed(o, amount); err != nil {
			return plan{}, err
		}
		if s.expiring(open) {
			if err := reauthorizable(a); err != nil {
				return plan{}, err
			}
			if !refreshed[open.ID] {
				return plan{refresh: open.ID}, nil // it may have expired already
			}
			m, err := a.begin(ctx, &shop.MoneyMovement{Operation: shop.OpCancel, ClientKey: reauthCancelPrefix + key, ChargeID: open.ID, Reason: req.Reason})
			return plan{m: m}, err
		}
		m, err := a.begin(ctx, &shop.MoneyMovement{Operation: shop.OpCapture, ClientKey: captureKey, ChargeID: open.ID, Amount: amount, Reason: req.Reason})
		return plan{m: m}, err
	case o.Authorized == 0 && expired(a, lastCharge(a.p)) && (o.Status == shop.StatusExpired || o.Status == shop.StatusPartiallyCaptured):
		if err := reauthorizable(a); err != nil {
			return plan{}, err
		}
		rest := o.Total - o.Captured
		amount := req.Amount
		if amount == 0 {
			amount = rest
		}
		if amount > rest {
			return plan{}, amazonError(amazonpay.ReasonTransactionAmountExceeded,
				"The capture amount %s exceeds the uncaptured %s of order %s.", format(amount, o.Currency), format(rest, o.Currency), o.Number)
		}
		// Re-authorize what the expired authorization held (at most the
		// uncaptured rest), so the rest can still be captured later.
		reauth := min(max(lastCharge(a.p).Amount, amount), rest)
		m, err := a.begin(ctx, &shop.MoneyMovement{Operation: shop.OpAuthorize, ClientKey: reauthPrefix + key, Amount: reauth, Reason: req.Reason})
		return plan{m: m}, err
	}
	amount := max(req.Amount, 1)
	if err := captureAllowed(o, amount); err != nil {
		return plan{}, err
	}
	return plan{}, amazonError(amazonpay.ReasonInvalidChargeStatus, "Order %s has no Authorized charge to capture.", o.Number)
}

// captureAllowed maps the order's capture rule to Amazon Pay's refusals.
func captureAllowed(o *shop.Order, amount int64) error {
	err := o.CanStart(shop.OpCapture, amount)
	switch shop.ErrorCode(err) {
	case "":
		return nil
	case shop.EINVALID:
		return amazonError(amazonpay.ReasonTransactionAmountExceeded, "The capture amount %s exceeds the authorized %s of order %s.",
			format(amount, o.Currency), format(o.Authorized, o.Currency), o.Number)
	}
	return amazonError(amazonpay.ReasonInvalidChargeStatus, "%s", shop.ErrorMessage(err))
}

// expiring reports whether an open authorization expires within
// ReauthorizeWithin by the shop's clock.
func (s *Service) expiring(c *shop.Charge) bool {
	return !c.ExpiresAt.IsZero() && !s.now().Add(s.cfg.ReauthorizeWithin).Before(c.ExpiresAt)
}

// expired reports whether c is an authorization that ended unused because
// of its age: Canceled with ExpiredUnused, or canceled by the shop to be
// re-authorized.
func expired(a *applier, c *shop.Charge) bool {
	if c == nil || c.State != shop.ChargeCanceled {
		return false
	}
	return c.ReasonCode == string(amazonpay.ReasonExpiredUnused) || a.reauthCancel(context.Background(), c.ID)
}

// reauthorizable checks that a new Charge can be created on the order's
// Charge Permission, as far as the shop knows.
func reauthorizable(a *applier) error {
	if st := a.p.ChargePermissionState; st != "" && st != string(amazonpay.ChargePermissionChargeable) {
		return amazonError(amazonpay.ReasonInvalidChargePermissionStatus,
			"The authorization of order %s has expired and its charge permission is %s, so it cannot be re-authorized.", a.o.Number, st)
	}
	return nil
}

// needChargePermission refuses operations on orders whose checkout never
// produced a Charge Permission.
func needChargePermission(a *applier) error {
	if a.p == nil || a.p.ChargePermissionID == "" {
		return amazonError(amazonpay.ReasonInvalidChargePermissionStatus,
			"Order %s has no Amazon Pay charge permission: the buyer has not completed the checkout.", a.o.Number)
	}
	return nil
}

// replaced finds the authorization a capture replaced, if it did.
func (s *Service) replaced(ctx context.Context, orderID int64, key string, res *Result, steps []*Result) *shop.Charge {
	for _, st := range steps {
		if st.Operation == shop.OpCancel && st.Charge != nil {
			return st.Charge
		}
	}
	if res.Payment == nil || res.Order == nil {
		return nil
	}
	var cancelID, failedID, newID string
	ms, err := s.store.MoneyMovements(ctx, orderID)
	if err != nil {
		return nil
	}
	o := res.Order
	for _, m := range ms {
		switch m.AmazonKey {
		case shop.AmazonIdempotencyKey(o.ID, o.Number, shop.OpCancel, reauthCancelPrefix+key):
			cancelID = m.ChargeID
		case shop.AmazonIdempotencyKey(o.ID, o.Number, shop.OpCapture, key):
			if m.Status == shop.MovementFailed {
				failedID = m.ChargeID
			}
		case shop.AmazonIdempotencyKey(o.ID, o.Number, shop.OpAuthorize, reauthPrefix+key):
			newID = m.ChargeID
		}
	}
	switch {
	case cancelID != "":
		return chargeOf(res.Payment, cancelID)
	case failedID != "":
		return chargeOf(res.Payment, failedID)
	case newID == "":
		return nil
	}
	// The authorization had expired before this request touched it: the
	// newest expired charge older than the new one.
	var old *shop.Charge
	fresh := chargeOf(res.Payment, newID)
	for i := range res.Payment.Charges {
		c := res.Payment.Charges[i]
		if c.ID == newID || c.State != shop.ChargeCanceled || c.ReasonCode != string(amazonpay.ReasonExpiredUnused) {
			continue
		}
		if fresh != nil && c.ExpiresAt.After(fresh.ExpiresAt) {
			continue
		}
		if old == nil || c.ExpiresAt.After(old.ExpiresAt) {
			old = &c
		}
	}
	return old
}
