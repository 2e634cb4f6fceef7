package shop

import (
	"context"
	"time"
)

// SubscriptionStatus is where a subscription stands.
type SubscriptionStatus string

// List of values that SubscriptionStatus can take.
const (
	// SubscriptionActive: paid up; renews at NextRenewalAt.
	SubscriptionActive SubscriptionStatus = "active"
	// SubscriptionPastDue: the last renewal charge failed; it is retried at
	// NextRenewalAt (dunning).
	SubscriptionPastDue SubscriptionStatus = "past_due"
	// SubscriptionSuspended: dunning gave up; no more attempts until the
	// buyer fixes the payment method and the merchant resumes it.
	SubscriptionSuspended SubscriptionStatus = "suspended"
	// SubscriptionCanceled: ended by buyer or merchant. Final.
	SubscriptionCanceled SubscriptionStatus = "canceled"
)

// DefaultDunningSchedule is how long after each failed renewal the next
// attempt is made (1, 3 and 7 days); after the last one the subscription is
// suspended.
func DefaultDunningSchedule() []time.Duration {
	return []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour}
}

// Subscription is a buyer's subscription to a product with a billing plan,
// charged through a Recurring charge permission.
//
// Periods are counted from AnchorAt (the start of the first paid period,
// after any trial): period n runs from Plan.PeriodEnd(AnchorAt, n-1) to
// Plan.PeriodEnd(AnchorAt, n), so dates never drift.
type Subscription struct {
	ID                 int64
	BuyerEmail         string
	BuyerName          string
	ProductID          int64
	Plan               BillingPlan
	Currency           string
	ChargePermissionID string
	Status             SubscriptionStatus
	AnchorAt           time.Time
	// PeriodsPaid counts paid periods; the current period is number
	// PeriodsPaid (0 during a trial).
	PeriodsPaid        int
	CurrentPeriodStart time.Time
	CurrentPeriodEnd   time.Time
	// NextRenewalAt is when the renewal job charges next; zero when none
	// is scheduled (suspended, canceled).
	NextRenewalAt   time.Time
	DunningAttempts int
	CanceledAt      time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
	// Version is checked by UpdateSubscription like Order.Version.
	Version int64
}

// NewSubscription starts a subscription at now. With a trial, the first
// charge is due when the trial ends; without one, the checkout charged the
// first period, which is therefore paid.
func NewSubscription(now time.Time, plan BillingPlan, currency string) *Subscription {
	now = now.UTC()
	s := &Subscription{Plan: plan, Currency: currency, Status: SubscriptionActive}
	if plan.TrialDays > 0 {
		s.AnchorAt = now.AddDate(0, 0, plan.TrialDays)
		s.CurrentPeriodStart, s.CurrentPeriodEnd = now, s.AnchorAt
		s.NextRenewalAt = s.AnchorAt
		return s
	}
	s.AnchorAt = now
	s.PeriodsPaid = 1
	s.CurrentPeriodStart, s.CurrentPeriodEnd = now, plan.PeriodEnd(now, 1)
	s.NextRenewalAt = s.CurrentPeriodEnd
	return s
}

// RenewalSucceeded records a paid renewal: the next period starts and the
// following renewal is scheduled at its end. Returns ECONFLICT for a
// suspended or canceled subscription.
func (s *Subscription) RenewalSucceeded() error {
	if s.Status != SubscriptionActive && s.Status != SubscriptionPastDue {
		return Errorf(ECONFLICT, "Subscription %d is %s and cannot renew.", s.ID, s.Status)
	}
	s.PeriodsPaid++
	s.CurrentPeriodStart = s.Plan.PeriodEnd(s.AnchorAt, s.PeriodsPaid-1)
	s.CurrentPeriodEnd = s.Plan.PeriodEnd(s.AnchorAt, s.PeriodsPaid)
	s.NextRenewalAt = s.CurrentPeriodEnd
	s.Status = SubscriptionActive
	s.DunningAttempts = 0
	return nil
}

// RenewalFailed records a failed renewal at now: the subscription is past
// due and retried after schedule[attempt-1], or suspended once the schedule
// is exhausted. Returns ECONFLICT for a suspended or canceled subscription.
func (s *Subscription) RenewalFailed(now time.Time, schedule []time.Duration) error {
	if s.Status != SubscriptionActive && s.Status != SubscriptionPastDue {
		return Errorf(ECONFLICT, "Subscription %d is %s and cannot renew.", s.ID, s.Status)
	}
	s.DunningAttempts++
	if s.DunningAttempts > len(schedule) {
		s.Status = SubscriptionSuspended
		s.NextRenewalAt = time.Time{}
		return nil
	}
	s.Status = SubscriptionPastDue
	s.NextRenewalAt = now.UTC().Add(schedule[s.DunningAttempts-1])
	return nil
}

// Resume reactivates a suspended subscription with a renewal attempt at
// now. Returns ECONFLICT unless it is suspended.
func (s *Subscription) Resume(now time.Time) error {
	if s.Status != SubscriptionSuspended {
		return Errorf(ECONFLICT, "Only a suspended subscription can be resumed.")
	}
	s.Status = SubscriptionPastDue
	s.DunningAttempts = 0
	s.NextRenewalAt = now.UTC()
	return nil
}

// Cancel ends the subscription at now. Returns ECONFLICT if already
// canceled.
func (s *Subscription) Cancel(now time.Time) error {
	if s.Status == SubscriptionCanceled {
		return Errorf(ECONFLICT, "Subscription %d is already canceled.", s.ID)
	}
	s.Status = SubscriptionCanceled
	s.CanceledAt = now.UTC()
	s.NextRenewalAt = time.Time{}
	return nil
}

// SubscriptionStore is the subscription part of the store.
type SubscriptionStore interface {
	// CreateSubscription stores s and sets ID, timestamps and Version 1.
	// Returns EINVALID for a bad plan, ECONFLICT if the charge permission
	// already has a subscription.
	CreateSubscription(ctx context.Context, s *Subscription) error
	// Subscription returns a subscription. Returns ENOTFOUND.
	Subscription(ctx context.Context, id int64) (*Subscription, error)
	// SubscriptionByChargePermission returns the subscription of a
	// Recurring charge permission. Returns ENOTFOUND.
	SubscriptionByChargePermission(ctx context.Context, chargePermissionID string) (*Subscription, error)
	// UpdateSubscription saves s if s.Version is current and increments it.
	// Returns ENOTFOUND, ECONFLICT.
	UpdateSubscription(ctx context.Context, s *Subscription) error
	// DueSubscriptions lists active and past-due subscriptions whose
	// NextRenewalAt is at or before now, earliest first, at most limit
	// (0 means 100).
	DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]*Subscription, error)
}
