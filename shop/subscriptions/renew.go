package subscriptions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/jobs"
	"github.com/apaykit/apaykit/shop/throttle"
)

// outcome is what a Create Charge came to.
type outcome int

const (
	charged   outcome = iota // Captured
	pending                  // AuthorizationInitiated / Authorized / CaptureInitiated: wait
	declined                 // SoftDeclined, HardDeclined, …: dunning
	overLimit                // PeriodicAmountExceeded: flag, do not retry
)

// amazonError turns an Amazon Pay error into a shop error whose message is
// safe for the buyer; anything unexpected stays internal.
func amazonError(what string, err error) error {
	var apiErr *amazonpay.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode < 500 && apiErr.StatusCode != 429 {
		return shop.Errorf(shop.EINVALID, "Amazon Pay could not %s (%s).", what, apiErr.ReasonCode)
	}
	return fmt.Errorf("subscriptions: %s: %w", what, err)
}

// charge takes a throttle token and creates a captureNow charge on the
// permission with idempotency key key, reserving the amount against the
// month's recurring limit first. The reservation is kept only when the
// charge is Captured. A 429 shrinks the shared rate and asks the job to
// retry later with the same key; other transport or 5xx errors are
// returned for the runner's backoff.
func (s *Service) charge(ctx context.Context, cpID, currency string, amount int64, key, ref string) (outcome, string, error) {
	now := s.now()
	limit := shop.RecurringMonthlyLimit(currency)
	if _, err := s.cfg.Store.ReserveRecurringUsage(ctx, cpID, now, currency, amount, limit); err != nil {
		if shop.ErrorCode(err) == shop.EINVALID {
			used, _ := s.cfg.Store.RecurringUsage(ctx, cpID, now)
			var u int64
			if used != nil {
				u = used.Amount
			}
			return overLimit, fmt.Sprintf("not sent: %s %s would bring charge permission %s to %s %s in %s, above Amazon Pay's monthly recurring limit of %s %s",
				money.MustFormat(amount, currency), currency, cpID, money.MustFormat(u+amount, currency), currency,
				shop.UsageMonth(now), money.MustFormat(limit, currency), currency), nil
		}
		return 0, "", err
	}
	release := func() { _ = s.cfg.Store.ReleaseRecurringUsage(context.WithoutCancel(ctx), cpID, now, amount) }
	price, err := amazonpay.NewPrice(amount, currency)
	if err != nil {
		release()
		return 0, "", jobs.Permanent(shop.Errorf(shop.EINVALID, "Invalid amount %d %s.", amount, currency))
	}
	if err := s.cfg.Limiter.Wait(ctx, "CreateCharge"); err != nil {
		release()
		return 0, "", err
	}
	ch, _, err := s.cfg.Client.Charges.Create(ctx, &amazonpay.CreateChargeRequest{
		ChargePermissionID: cpID, ChargeAmount: price, CaptureNow: true,
		// No buyer is waiting: let Amazon take its time rather than
		// answer TransactionTimedOut; the job looks again later.
		CanHandlePendingAuthorization: true,
		ChargeInitiator:               amazonpay.ChargeInitiator("MITR"), Channel: amazonpay.Channel("Web"),
		MerchantMetadata: &amazonpay.MerchantMetadata{MerchantReferenceID: ref},
	}, amazonpay.WithIdempotencyKey(key))
	if err != nil {
		release()
		var apiErr *amazonpay.APIError
		switch {
		case throttle.IsThrottled(err):
			wait, terr := s.cfg.Limiter.Throttled(ctx, "CreateCharge")
			if terr != nil {
				return 0, "", terr
			}
			return 0, "", jobs.RetryAt(err, s.now().Add(wait))
		case errors.As(err, &apiErr) && apiErr.ReasonCode == amazonpay.ReasonPeriodicAmountExceeded:
			return overLimit, "refused by Amazon Pay: PeriodicAmountExceeded (monthly recurring limit of " + cpID + ")", nil
		case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500:
			return declined, string(apiErr.ReasonCode), nil
		}
		return 0, "", err
	}
	_ = s.cfg.Limiter.Succeeded(ctx, "CreateCharge")
	state := ch.State()
	if state == amazonpay.ChargeState("AuthorizationInitiated") || state == amazonpay.ChargeState("Authorized") || state == amazonpay.ChargeState("CaptureInitiated") {
		// A replay returns the first answer; ask for the charge's state now.
		if cur, _, gerr := s.cfg.Client.Charges.Get(ctx, ch.ChargeID); gerr == nil {
			state = cur.State()
		}
	}
	switch state {
	case amazonpay.ChargeState("Captured"):
		return charged, ch.ChargeID, nil
	case amazonpay.ChargeState("Declined"), amazonpay.ChargeState("Canceled"):
		release()
		reason := ""
		if ch.StatusDetails != nil {
			reason = string(ch.StatusDetails.ReasonCode)
		}
		return declined, reason, nil
	}
	release()
	return pending, ch.ChargeID, nil
}

// handleRenew charges one renewal attempt and records the outcome:
// success starts the next period; a decline follows the dunning schedule
// (the next attempt is enqueued in the same transaction) and ends in
// suspension; a pending authorization is looked at again later; a charge
// that would pass the monthly limit is not sent and the job goes dead with
// the reason, for the merchant.
func (s *Service) handleRenew(ctx context.Context, j *shop.Job) error {
	var p renewPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return jobs.Permanent(shop.Errorf(shop.EINVALID, "Bad renewal payload."))
	}
	sub, err := s.cfg.Store.Subscription(ctx, p.SubscriptionID)
	if err != nil {
		if shop.ErrorCode(err) == shop.ENOTFOUND {
			return jobs.Permanent(err)
		}
		return err
	}
	if stale(sub, p) {
		return nil // canceled, suspended, or this attempt was superseded
	}
	if s.now().Before(sub.NextRenewalAt) {
		return jobs.RetryAt(errors.New("not due yet"), sub.NextRenewalAt)
	}
	var out outcome
	var detail string
	if p.PendingChargeID != "" {
		out, detail, err = s.settle(ctx, sub.ChargePermissionID, sub.Currency, sub.Plan.Amount, p.PendingChargeID)
	} else {
		key := amazonKey(sub.ChargePermissionID, "renew", strconv.FormatInt(sub.ID, 10), strconv.Itoa(p.Period), strconv.Itoa(p.Attempt), strconv.FormatInt(p.At, 10))
		ref := fmt.Sprintf("sub-%d-%d", sub.ID, p.Period)
		out, detail, err = s.charge(ctx, sub.ChargePermissionID, sub.Currency, sub.Plan.Amount, key, ref)
	}
	if err != nil {
		return err
	}
	switch out {
	case pending:
		return s.waitFor(&p.pendingCharge, detail, &p)
	case overLimit:
		s.log.Warn("renewal flagged", "subscription", sub.ID, "period", p.Period)
		next, err := s.deferToNextMonth(ctx, p)
		if err != nil {
			return err
		}
		return jobs.Permanent(shop.Errorf(shop.EINVALID, "Renewal of subscription %d flagged for the merchant: %s; it will be tried again on %s, when the monthly limit resets.",
			sub.ID, detail, next.Format("2006-01-02")))
	}
	return s.record(ctx, p, out == charged, detail)
}

// stale reports whether a renewal job no longer matches its subscription.
func stale(sub *shop.Subscription, p renewPayload) bool {
	p.pendingCharge = pendingCharge{} // what the attempt learnt, not which attempt it is
	return (sub.Status != shop.SubscriptionActive && sub.Status != shop.SubscriptionPastDue) || renewalOf(sub) != p
}

// maxPending is how long a job waits on a pending authorization before it
// gives up for the merchant to look: Amazon Pay decides within 24 hours.
const maxPending = 48 * time.Hour

// waitFor puts the job back until the pending authorization of chargeID
// may be decided, noting the charge in pc for the next run; payload points
// to the job's payload, which holds pc. The wait does not use up the
// job's attempts: Amazon Pay may take up to 24 hours. After maxPending the
// job goes dead with the reason.
func (s *Service) waitFor(pc *pendingCharge, chargeID string, payload any) error {
	now := s.now()
	if pc.PendingChargeID == "" {
		pc.PendingChargeID, pc.PendingSince = chargeID, now.UnixMicro()
	}
	if since := time.UnixMicro(pc.PendingSince).UTC(); pc.PendingSince != 0 && now.Sub(since) > maxPending {
		return jobs.Permanent(shop.Errorf(shop.EINVALID,
			"Amazon Pay has not decided the authorization of charge %s since %s; look at the charge in Seller Central before retrying this job.",
			chargeID, since.Format(time.RFC3339)))
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return jobs.Wait(fmt.Errorf("authorization of charge %s pending", chargeID), now.Add(s.cfg.PendingRecheck), b)
}

// WakePending brings forward the renewal or upgrade job waiting on the
// pending charge chargeID, so that it reads the charge now rather than at
// its next recheck: call it when a notification says the charge changed.
// Jobs waiting on other charges, and renewals not yet due or in dunning,
// are left alone. It returns how many jobs it woke.
func (s *Service) WakePending(ctx context.Context, chargeID string) (int64, error) {
	if chargeID == "" {
		return 0, nil
	}
	var woke int64
	for _, kind := range []string{KindRenew, KindUpgradeCharge} {
		n, err := s.cfg.Store.WakeJobs(ctx, kind, "pending_charge_id", chargeID, s.now())
		if err != nil {
			return woke, err
		}
		woke += n
	}
	return woke, nil
}

// settle reads a charge a previous run created and left pending. A
// Captured one counts against the month's recurring usage whatever the
// limit says: the money has moved.
func (s *Service) settle(ctx context.Context, cpID, currency string, amount int64, chargeID string) (outcome, string, error) {
	if err := s.cfg.Limiter.Wait(ctx, "GetCharge"); err != nil {
		return 0, "", err
	}
	ch, _, err := s.cfg.Client.Charges.Get(ctx, chargeID)
	if err != nil {
		if throttle.IsThrottled(err) {
			wait, terr := s.cfg.Limiter.Throttled(ctx, "GetCharge")
			if terr != nil {
				return 0, "", terr
			}
			return 0, "", jobs.RetryAt(err, s.now().Add(wait))
		}
		return 0, "", fmt.Errorf("subscriptions: reading pending charge %s: %w", chargeID, err)
	}
	_ = s.cfg.Limiter.Succeeded(ctx, "GetCharge")
	switch ch.State() {
	case amazonpay.ChargeState("Captured"):
		if _, err := s.cfg.Store.ReserveRecurringUsage(ctx, cpID, s.now(), currency, amount, math.MaxInt64); err != nil {
			return 0, "", err
		}
		return charged, chargeID, nil
	case amazonpay.ChargeState("Declined"), amazonpay.ChargeState("Canceled"):
		reason := ""
		if ch.StatusDetails != nil {
			reason = string(ch.StatusDetails.ReasonCode)
		}
		return declined, reason, nil
	}
	return pending, chargeID, nil
}

// record applies a renewal outcome in one transaction with the next job.
// If another runner recorded it first (the job ran twice after a lost
// lease), nothing changes.
func (s *Service) record(ctx context.Context, p renewPayload, ok bool, detail string) error {
	return s.cfg.Store.WithTx(ctx, func(tx shop.Tx) error {
		sub, err := tx.Subscription(ctx, p.SubscriptionID)
		if err != nil {
			return err
		}
		if stale(sub, p) {
			if ok {
				// Counted twice; the first recorder kept its reservation.
				_ = tx.ReleaseRecurringUsage(ctx, sub.ChargePermissionID, s.now(), sub.Plan.Amount)
			}
			return nil
		}
		amount := sub.Plan.Amount
		if ok {
			err = sub.RenewalSucceeded()
			s.log.Info("renewal charged", "subscription", sub.ID, "period", p.Period, "charge", detail)
		} else {
			err = sub.RenewalFailed(s.now(), s.cfg.Dunning)
			s.log.Info("renewal declined", "subscription", sub.ID, "period", p.Period, "reason", detail, "status", sub.Status)
		}
		if err != nil {
			return err
		}
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		if err := renewalOrder(ctx, tx, sub, amount, ok); err != nil {
			return err
		}
		return enqueueRenewal(ctx, tx, sub)
	})
}

// handleUpgradeCharge charges the difference of an upgrade once.
func (s *Service) handleUpgradeCharge(ctx context.Context, j *shop.Job) error {
	var p upgradePayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Amount <= 0 {
		return jobs.Permanent(shop.Errorf(shop.EINVALID, "Bad upgrade payload."))
	}
	sub, err := s.cfg.Store.Subscription(ctx, p.SubscriptionID)
	if err != nil {
		return err
	}
	if sub.Status == shop.SubscriptionCanceled {
		return nil
	}
	var out outcome
	var detail string
	if p.PendingChargeID != "" {
		out, detail, err = s.settle(ctx, sub.ChargePermissionID, sub.Currency, p.Amount, p.PendingChargeID)
	} else {
		key := amazonKey(sub.ChargePermissionID, "upgrade", strconv.FormatInt(sub.ID, 10), strconv.FormatInt(p.Version, 10))
		out, detail, err = s.charge(ctx, sub.ChargePermissionID, sub.Currency, p.Amount, key, fmt.Sprintf("sub-%d-upgrade-%d", sub.ID, p.Version))
	}
	if err != nil {
		return err
	}
	switch out {
	case charged:
		return nil
	case pending:
		return s.waitFor(&p.pendingCharge, detail, &p)
	case overLimit:
		return jobs.Permanent(shop.Errorf(shop.EINVALID, "Upgrade charge of subscription %d flagged for the merchant: %s.", sub.ID, detail))
	}
	return jobs.Permanent(shop.Errorf(shop.EINVALID, "Upgrade charge of subscription %d declined (%s).", sub.ID, detail))
}

// handleClose closes a charge permission; one that is already closed counts
// as done.
func (s *Service) handleClose(ctx context.Context, j *shop.Job) error {
	var p closePayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.ChargePermissionID == "" {
		return jobs.Permanent(shop.Errorf(shop.EINVALID, "Bad close payload."))
	}
	if err := s.cfg.Limiter.Wait(ctx, "CloseChargePermission"); err != nil {
		return err
	}
	_, _, err := s.cfg.Client.ChargePermissions.Close(ctx, p.ChargePermissionID,
		&amazonpay.CloseChargePermissionRequest{ClosureReason: truncate(p.Reason, 255)})
	var apiErr *amazonpay.APIError
	switch {
	case err == nil:
		_ = s.cfg.Limiter.Succeeded(ctx, "CloseChargePermission")
		return nil
	case throttle.IsThrottled(err):
		wait, terr := s.cfg.Limiter.Throttled(ctx, "CloseChargePermission")
		if terr != nil {
			return terr
		}
		return jobs.RetryAt(err, s.now().Add(wait))
	case errors.As(err, &apiErr) && apiErr.ReasonCode == amazonpay.ReasonInvalidChargePermissionStatus:
		return nil // already closed
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500:
		return jobs.Permanent(amazonError("close the charge permission", err))
	}
	return err
}

// renewalOrder records a renewal attempt in the buyer's order history: an
// order linked to the subscription, captured when the charge went through
// and declined when it did not — so the buyer (and the merchant's order
// list) sees every attempt of the dunning schedule.
func renewalOrder(ctx context.Context, tx shop.Tx, sub *shop.Subscription, amount int64, paid bool) error {
	name := "Subscription renewal"
	sku := ""
	if p, err := tx.Product(ctx, sub.ProductID); err == nil {
		name, sku = p.Name+" ("+sub.Plan.String()+")", p.SKU
	}
	o := &shop.Order{
		Items: []shop.OrderItem{{ProductID: sub.ProductID, SKU: sku, Name: name, UnitPrice: amount, Quantity: 1}},
		Total: amount, Currency: sub.Currency, BuyerEmail: sub.BuyerEmail, BuyerName: sub.BuyerName,
		SubscriptionID: sub.ID,
	}
	if err := tx.CreateOrder(ctx, o); err != nil {
		return err
	}
	if paid {
		o.Status, o.Authorized, o.Captured = shop.StatusCaptured, amount, amount
	} else {
		o.Status = shop.StatusDeclined
	}
	return tx.UpdateOrder(ctx, o)
}

// deferToNextMonth moves a renewal that the monthly limit refused to the
// first moment of the next calendar month (UTC), when Amazon resets the
// limit, and schedules it there, in one transaction. The period and the
// dunning count stay as they are: the buyer did nothing wrong.
func (s *Service) deferToNextMonth(ctx context.Context, p renewPayload) (time.Time, error) {
	y, m, _ := s.now().Date()
	next := time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
	err := s.cfg.Store.WithTx(ctx, func(tx shop.Tx) error {
		sub, err := tx.Subscription(ctx, p.SubscriptionID)
		if err != nil {
			return err
		}
		if stale(sub, p) {
			return nil
		}
		sub.NextRenewalAt = next
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		return enqueueRenewal(ctx, tx, sub)
	})
	return next, err
}
