// Package subscriptions sells products with a billing plan through Amazon
// Pay Recurring charge permissions: the subscribe checkout, renewals as
// Create Charge with captureNow on the stored permission, dunning after
// declines, upgrade and downgrade, cancellation by the buyer or the
// merchant (closing the permission), and the payment-method change that
// WooCommerce's gateway lacks — a new buyer-approved Recurring checkout
// whose permission replaces the old one.
//
// Every state change that calls for Amazon Pay work enqueues a job in the
// same transaction ([shop.JobQueue]); the jobs (kinds [KindRenew],
// [KindCloseChargePermission], [KindUpgradeCharge]) run under shop/jobs and
// take their tokens from shop/throttle, so renewals of many subscriptions
// are spread over Amazon's quota instead of being throttled.
//
// Amazon Pay limits what one Recurring permission may be charged per
// calendar month (UTC). The shop counts it itself (RecurringUsage): a plan
// whose worst-case monthly total passes the limit is refused at checkout;
// a renewal that would pass it is not sent but flagged (its job goes dead
// with the reason, visible on the admin page and in `apay jobs`); Amazon's
// own PeriodicAmountExceeded is handled the same way.
//
// A renewal whose authorization Amazon Pay decides later (pending, up to
// 24 hours) keeps the subscription where it is: its job remembers the
// charge and reads it with Get Charge every PendingRecheck, without using
// up its attempts, until it is Captured (the period is paid) or Declined
// (dunning); a CHARGE notification for it ([Service.WakePending], called
// by the shop's notification endpoint) brings the recheck forward. A charge
// still undecided after 48 hours stops the job, dead with the reason. The
// job never sends Create Charge again for the same attempt: a replay only
// repeats the first (pending) answer, spends a token of the scarcer Create
// Charge quota, and would make a second charge wherever the idempotency key
// had been forgotten (the emulator keeps keys 24 hours; Amazon's documents
// say indefinitely).
package subscriptions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/jobs"
	"github.com/apaykit/apaykit/shop/throttle"
)

// Job kinds this package handles.
const (
	KindRenew                 = "renew_subscription"
	KindCloseChargePermission = "close_charge_permission"
	KindUpgradeCharge         = "subscription_upgrade_charge"
)

// Config configures a [Service]. Store, Client, Limiter and StoreID are
// required.
type Config struct {
	Store   shop.Store
	Client  *amazonpay.Client
	Limiter *throttle.Limiter
	// StoreID is the Login with Amazon client id checkouts are created for.
	StoreID string
	// StoreName is shown to the buyer (merchantStoreName, ≤ 50).
	StoreName string
	// Currencies the store sells; empty means every currency Amazon Pay
	// knows.
	Currencies []string
	// Dunning is the retry schedule after a declined renewal (default
	// shop.DefaultDunningSchedule()).
	Dunning []time.Duration
	// PendingRecheck is how long a renewal whose authorization is pending
	// (AuthorizationInitiated, settled by Amazon within 24 h and announced
	// by a notification) waits before its job reads the charge again
	// (default 10 min). The subscription does not move meanwhile, and the
	// waits do not count against the job's attempts.
	PendingRecheck time.Duration
	// Now is the shop's clock (default time.Now).
	Now func() time.Time
	// Logger gets one line per renewal outcome; no buyer data.
	Logger *slog.Logger
}

// Service runs subscriptions. Safe for concurrent use, also by several
// processes sharing the database.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Client == nil || cfg.Limiter == nil || cfg.StoreID == "" {
		return nil, errors.New("subscriptions: Config needs Store, Client, Limiter and StoreID")
	}
	if cfg.Dunning == nil {
		cfg.Dunning = shop.DefaultDunningSchedule()
	}
	if cfg.PendingRecheck <= 0 {
		cfg.PendingRecheck = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: log}, nil
}

// Register adds the package's job handlers to r.
func (s *Service) Register(r *jobs.Runner) {
	r.Handle(KindRenew, s.handleRenew)
	r.Handle(KindCloseChargePermission, s.handleClose)
	r.Handle(KindUpgradeCharge, s.handleUpgradeCharge)
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// --- plans and limits -------------------------------------------------------

// MonthlyMax is the most a plan can charge in one calendar month: the
// amount times the largest number of period starts a 31-day month can hold
// (one for monthly and yearly plans, five for weekly, 31 for daily).
func MonthlyMax(p shop.BillingPlan) int64 {
	n := int64(1)
	switch p.Unit {
	case shop.PeriodDay:
		n = int64((31 + p.Count - 1) / p.Count)
	case shop.PeriodWeek:
		n = int64((31 + 7*p.Count - 1) / (7 * p.Count))
	}
	return p.Amount * n
}

// CheckPlan validates a subscription product: a valid plan (positive
// amount, known period), a currency the store sells, and a worst-case
// monthly total within Amazon's recurring limit. Returns EINVALID.
func (s *Service) CheckPlan(p *shop.Product) error {
	if p == nil || p.Plan == nil {
		return shop.Errorf(shop.EINVALID, "This product has no billing plan.")
	}
	if err := p.Plan.Validate(); err != nil {
		return err
	}
	if err := s.checkCurrency(p.Currency); err != nil {
		return err
	}
	return CheckRecurringCart(p.Currency, []shop.BillingPlan{*p.Plan})
}

func (s *Service) checkCurrency(c string) error {
	if !money.Known(c) || (len(s.cfg.Currencies) > 0 && !slices.Contains(s.cfg.Currencies, c)) {
		return shop.Errorf(shop.EINVALID, "This store does not sell in %q.", c)
	}
	return nil
}

// CheckRecurringCart refuses a cart whose recurring items could together
// charge one charge permission more than Amazon Pay's monthly limit for
// currency. The storefront calls it before offering checkout; the message
// tells the buyer what to do instead of hiding Amazon Pay. Returns
// EINVALID.
func CheckRecurringCart(currency string, plans []shop.BillingPlan) error {
	limit := shop.RecurringMonthlyLimit(currency)
	if limit == 0 {
		return shop.Errorf(shop.EINVALID, "Amazon Pay subscriptions are not available in %q.", currency)
	}
	var total int64
	for _, p := range plans {
		if p.Amount <= 0 {
			return shop.Errorf(shop.EINVALID, "Recurring amount must be positive.")
		}
		total += MonthlyMax(p)
	}
	if total > limit {
		return shop.Errorf(shop.EINVALID,
			"Your subscriptions could be charged up to %s %s in one month, above Amazon Pay's monthly limit of %s %s for recurring payments. Please check out fewer subscriptions at once, or choose a longer billing period.",
			money.MustFormat(total, currency), currency, money.MustFormat(limit, currency), currency)
	}
	return nil
}

// --- checkout ---------------------------------------------------------------

// ReturnURLs are where Amazon Pay sends the buyer back to.
type ReturnURLs struct {
	// Review receives the buyer after sign-in (amazonCheckoutSessionId
	// appended).
	Review string
	// Result receives the buyer after Amazon processed the payment.
	Result string
	// Cancel receives a buyer who canceled on Amazon's pages.
	Cancel string
}

// Checkout is a started Recurring checkout.
type Checkout struct {
	CheckoutSessionID string
	// Amount is what the checkout charges now (0 for a trial or a
	// payment-method change).
	Amount   int64
	Currency string
}

// customInformation markers round-trip through merchantMetadata so the
// result page knows what the checkout was for.
const (
	markSubscribe = "apaykit-subscribe:"
	markPMChange  = "apaykit-pmchange:"
)

// StartSubscribe creates a Recurring checkout for a subscription product.
// Without a trial the first period is charged at checkout
// (AuthorizeWithCapture); with a trial — a zero-total checkout — the buyer
// still goes through Amazon Pay, with paymentIntent Confirm and amount 0,
// because only that creates the charge permission the renewals need.
func (s *Service) StartSubscribe(ctx context.Context, productID int64, urls ReturnURLs) (*Checkout, error) {
	p, err := s.cfg.Store.Product(ctx, productID)
	if err != nil {
		return nil, err
	}
	if !p.Active {
		return nil, shop.Errorf(shop.EINVALID, "This product is no longer sold.")
	}
	if err := s.CheckPlan(p); err != nil {
		return nil, err
	}
	amount := p.Plan.Amount
	intent := amazonpay.PaymentIntentAuthorizeWithCapture
	if p.Plan.TrialDays > 0 {
		amount, intent = 0, amazonpay.PaymentIntentConfirm
	}
	return s.createCheckout(ctx, p, amount, intent, markSubscribe+strconv.FormatInt(p.ID, 10), urls)
}

// StartPaymentMethodChange creates a new Recurring checkout for an existing
// subscription: the buyer picks a payment method on Amazon's pages and
// approves a new charge permission, which replaces the old one when the
// checkout completes (the old one is then closed). Nothing is charged.
func (s *Service) StartPaymentMethodChange(ctx context.Context, subID int64, urls ReturnURLs) (*Checkout, error) {
	sub, err := s.cfg.Store.Subscription(ctx, subID)
	if err != nil {
		return nil, err
	}
	if sub.Status == shop.SubscriptionCanceled {
		return nil, shop.Errorf(shop.EINVALID, "Subscription %d is canceled.", sub.ID)
	}
	p, err := s.cfg.Store.Product(ctx, sub.ProductID)
	if err != nil {
		return nil, err
	}
	p.Plan = &sub.Plan
	p.Currency = sub.Currency
	return s.createCheckout(ctx, p, 0, amazonpay.PaymentIntentConfirm, markPMChange+strconv.FormatInt(sub.ID, 10), urls)
}

func (s *Service) createCheckout(ctx context.Context, p *shop.Product, amount int64, intent amazonpay.PaymentIntent, mark string, urls ReturnURLs) (*Checkout, error) {
	charge, err := amazonpay.NewPrice(amount, p.Currency)
	if err != nil {
		return nil, shop.Errorf(shop.EINVALID, "Invalid amount.")
	}
	recurring, err := amazonpay.NewPrice(p.Plan.Amount, p.Currency)
	if err != nil {
		return nil, shop.Errorf(shop.EINVALID, "Invalid amount.")
	}
	req := &amazonpay.CreateCheckoutSessionRequest{
		StoreID: s.cfg.StoreID,
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{
			CheckoutReviewReturnURL: urls.Review, CheckoutResultReturnURL: urls.Result, CheckoutCancelURL: urls.Cancel,
		},
		ChargePermissionType: amazonpay.ChargePermissionTypeRecurring,
		RecurringMetadata: &amazonpay.RecurringMetadata{
			Frequency: &amazonpay.Frequency{Unit: amazonpay.FrequencyUnit(p.Plan.Unit), Value: strconv.Itoa(p.Plan.Count)},
			Amount:    recurring,
		},
		PaymentDetails: &amazonpay.PaymentDetails{PaymentIntent: intent, ChargeAmount: charge, PresentmentCurrency: p.Currency},
		MerchantMetadata: &amazonpay.MerchantMetadata{
			MerchantStoreName: truncate(s.cfg.StoreName, 50), NoteToBuyer: truncate(p.Name+", "+p.Plan.String(), 255),
			CustomInformation: mark,
		},
	}
	cs, _, err := s.cfg.Client.CheckoutSessions.Create(ctx, req)
	if err != nil {
		return nil, amazonError("create the checkout", err)
	}
	return &Checkout{CheckoutSessionID: cs.CheckoutSessionID, Amount: amount, Currency: p.Currency}, nil
}

// CompleteCheckout finishes a Recurring checkout the buyer approved (the
// result page calls it): Complete Checkout Session, then, in one
// transaction, the new subscription (or the permission swap of a
// payment-method change) and the jobs it needs. Calling it again for the
// same session returns the same subscription.
func (s *Service) CompleteCheckout(ctx context.Context, checkoutSessionID string) (*shop.Subscription, error) {
	cs, _, err := s.cfg.Client.CheckoutSessions.Get(ctx, checkoutSessionID)
	if err != nil {
		return nil, amazonError("read the checkout", err)
	}
	mark := ""
	if cs.MerchantMetadata != nil {
		mark = cs.MerchantMetadata.CustomInformation
	}
	switch {
	case strings.HasPrefix(mark, markSubscribe):
		id, _ := strconv.ParseInt(strings.TrimPrefix(mark, markSubscribe), 10, 64)
		return s.completeSubscribe(ctx, cs, id)
	case strings.HasPrefix(mark, markPMChange):
		id, _ := strconv.ParseInt(strings.TrimPrefix(mark, markPMChange), 10, 64)
		return s.completePMChange(ctx, cs, id)
	}
	return nil, shop.Errorf(shop.EINVALID, "This checkout is not a subscription checkout.")
}

// complete calls Complete Checkout Session with the session's own amount
// and returns the charge permission id. An already completed session is
// read back instead (a reload of the result page).
func (s *Service) complete(ctx context.Context, cs *amazonpay.CheckoutSession) (string, error) {
	if cs.ChargePermissionID != "" {
		return cs.ChargePermissionID, nil
	}
	if cs.PaymentDetails == nil {
		return "", shop.Errorf(shop.EINVALID, "The checkout has no payment details.")
	}
	done, _, err := s.cfg.Client.CheckoutSessions.Complete(ctx, cs.CheckoutSessionID,
		&amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: cs.PaymentDetails.ChargeAmount})
	if err != nil {
		return "", amazonError("complete the checkout", err)
	}
	if done.ChargePermissionID == "" {
		return "", shop.Errorf(shop.EINVALID, "Amazon Pay did not create a charge permission.")
	}
	return done.ChargePermissionID, nil
}

func (s *Service) completeSubscribe(ctx context.Context, cs *amazonpay.CheckoutSession, productID int64) (*shop.Subscription, error) {
	p, err := s.cfg.Store.Product(ctx, productID)
	if err != nil {
		return nil, err
	}
	if p.Plan == nil {
		return nil, shop.Errorf(shop.EINVALID, "This product has no billing plan.")
	}
	email, name := "", ""
	if cs.Buyer != nil {
		email, name = cs.Buyer.Email, cs.Buyer.Name
	}
	cpID, err := s.complete(ctx, cs)
	if err != nil {
		return nil, err
	}
	if existing, err := s.cfg.Store.SubscriptionByChargePermission(ctx, cpID); err == nil {
		return existing, nil
	}
	now := s.now()
	sub := shop.NewSubscription(now, *p.Plan, p.Currency)
	sub.ProductID, sub.ChargePermissionID, sub.BuyerEmail, sub.BuyerName = p.ID, cpID, email, name
	err = s.cfg.Store.WithTx(ctx, func(tx shop.Tx) error {
		if err := tx.CreateSubscription(ctx, sub); err != nil {
			return err
		}
		if sub.PeriodsPaid > 0 {
			// The checkout charged the first period: it counts toward this month.
			if _, err := tx.ReserveRecurringUsage(ctx, cpID, now, sub.Currency, sub.Plan.Amount, 1<<62); err != nil {
				return err
			}
		}
		return enqueueRenewal(ctx, tx, sub)
	})
	if shop.ErrorCode(err) == shop.ECONFLICT {
		return s.cfg.Store.SubscriptionByChargePermission(ctx, cpID)
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("subscription created", "subscription", sub.ID, "trial", sub.PeriodsPaid == 0)
	return sub, nil
}

func (s *Service) completePMChange(ctx context.Context, cs *amazonpay.CheckoutSession, subID int64) (*shop.Subscription, error) {
	cpID, err := s.complete(ctx, cs)
	if err != nil {
		return nil, err
	}
	var sub *shop.Subscription
	err = s.cfg.Store.WithTx(ctx, func(tx shop.Tx) error {
		sub, err = tx.Subscription(ctx, subID)
		if err != nil {
			return err
		}
		if sub.ChargePermissionID == cpID {
			return nil // already swapped (result page reloaded)
		}
		if sub.Status == shop.SubscriptionCanceled {
			return shop.Errorf(shop.EINVALID, "Subscription %d was canceled meanwhile.", sub.ID)
		}
		old := sub.ChargePermissionID
		sub.ChargePermissionID = cpID
		if sub.Status == shop.SubscriptionSuspended || sub.Status == shop.SubscriptionPastDue {
			// A new payment method: try the unpaid period again now.
			sub.Status, sub.DunningAttempts, sub.NextRenewalAt = shop.SubscriptionPastDue, 0, s.now()
		}
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		if err := enqueueClose(ctx, tx, old, "Payment method replaced by a new charge permission."); err != nil {
			return err
		}
		return enqueueRenewal(ctx, tx, sub)
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// --- changes ----------------------------------------------------------------

// Cancel ends a subscription and closes its charge permission (through a
// job, so a throttled or failed Close is retried). byMerchant selects the
// closure reason shown to the buyer.
func (s *Service) Cancel(ctx context.Context, subID int64, byMerchant bool) (*shop.Subscription, error) {
	var sub *shop.Subscription
	err := s.cfg.Store.WithTx(ctx, func(tx shop.Tx) error {
		var err error
		if sub, err = tx.Subscription(ctx, subID); err != nil {
			return err
		}
		if err := sub.Cancel(s.now()); err != nil {
			return err
		}
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		reason := "Subscription canceled by the buyer."
		if byMerchant {
			reason = "Subscription canceled by the merchant."
		}
		return enqueueClose(ctx, tx, sub.ChargePermissionID, reason)
	})
	return sub, err
}

// Resume reactivates a suspended subscription with a renewal attempt now.
func (s *Service) Resume(ctx context.Context, subID int64) (*shop.Subscription, error) {
	var sub *shop.Subscription
	err := s.cfg.Store.WithTx(ctx, func(tx shop.Tx) error {
		var err error
		if sub, err = tx.Subscription(ctx, subID); err != nil {
			return err
		}
		if err := sub.Resume(s.now()); err != nil {
			return err
		}
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		return enqueueRenewal(ctx, tx, sub)
	})
	return sub, err
}

// ChangePlan moves a subscription to another subscription product of the
// same currency and billing period. The new plan applies from the next renewal; an upgrade
// also charges the difference of one period now (a job). A plan whose
// worst-case monthly total passes Amazon's limit is refused; an upgrade
// charge that would pass this month's remaining limit is not sent but
// flagged (its job goes dead with the reason).
func (s *Service) ChangePlan(ctx context.Context, subID, productID int64) (*shop.Subscription, error) {
	p, err := s.cfg.Store.Product(ctx, productID)
	if err != nil {
		return nil, err
	}
	if err := s.CheckPlan(p); err != nil {
		return nil, err
	}
	if !p.Active {
		return nil, shop.Errorf(shop.EINVALID, "This product is no longer sold.")
	}
	var sub *shop.Subscription
	err = s.cfg.Store.WithTx(ctx, func(tx shop.Tx) error {
		if sub, err = tx.Subscription(ctx, subID); err != nil {
			return err
		}
		if sub.Status == shop.SubscriptionCanceled {
			return shop.Errorf(shop.EINVALID, "Subscription %d is canceled.", sub.ID)
		}
		if p.Currency != sub.Currency {
			return shop.Errorf(shop.EINVALID, "The new plan is in %s; the subscription is in %s.", p.Currency, sub.Currency)
		}
		if p.Plan.Unit != sub.Plan.Unit || p.Plan.Count != sub.Plan.Count {
			// Periods are counted from the anchor in the plan's unit; a
			// different period would move every past period end.
			return shop.Errorf(shop.EINVALID, "The new plan renews %s; the subscription renews %s. A different billing period needs a new subscription.", p.Plan, sub.Plan)
		}
		diff := p.Plan.Amount - sub.Plan.Amount
		sub.ProductID = p.ID
		sub.Plan.Unit, sub.Plan.Count, sub.Plan.Amount = p.Plan.Unit, p.Plan.Count, p.Plan.Amount
		if err := tx.UpdateSubscription(ctx, sub); err != nil {
			return err
		}
		if diff <= 0 || sub.PeriodsPaid == 0 {
			return nil // downgrade, or still in the trial: nothing to charge now
		}
		payload, _ := json.Marshal(upgradePayload{SubscriptionID: sub.ID, Amount: diff, Version: sub.Version})
		_, err := tx.Enqueue(ctx, &shop.Job{Kind: KindUpgradeCharge, Payload: payload, MaxAttempts: 20,
			IdempotencyKey: fmt.Sprintf("upgrade:%d:%d", sub.ID, sub.Version)})
		return err
	})
	return sub, err
}

// --- renewal scheduling -----------------------------------------------------

// renewPayload names one renewal attempt: a subscription, the period it
// pays for and the dunning attempt. The Amazon idempotency key is derived
// from these, so every retry of the job sends the same key.
//
// At (NextRenewalAt in Unix microseconds) and the charge permission make an
// attempt unique even when period and attempt repeat: a resumed
// subscription starts its dunning count again, and a payment-method change
// retries the same period on a new permission — each must be a new charge
// at Amazon, not the replay of the declined one.
type renewPayload struct {
	SubscriptionID     int64  `json:"subscription_id"`
	Period             int    `json:"period"`
	Attempt            int    `json:"attempt"`
	At                 int64  `json:"at"`
	ChargePermissionID string `json:"charge_permission_id"`
	pendingCharge
}

// pendingCharge is what a renewal or upgrade job remembers of the charge
// it created whose authorization Amazon Pay is still deciding: later runs
// read that charge rather than send Create Charge again (see the package
// documentation).
type pendingCharge struct {
	PendingChargeID string `json:"pending_charge_id,omitempty"`
	// PendingSince is when the charge was first seen pending (Unix µs).
	PendingSince int64 `json:"pending_since,omitempty"`
}

// renewalOf is the renewal attempt sub is waiting for.
func renewalOf(sub *shop.Subscription) renewPayload {
	return renewPayload{SubscriptionID: sub.ID, Period: sub.PeriodsPaid + 1, Attempt: sub.DunningAttempts,
		At: sub.NextRenewalAt.UnixMicro(), ChargePermissionID: sub.ChargePermissionID}
}

type closePayload struct {
	ChargePermissionID string `json:"charge_permission_id"`
	Reason             string `json:"reason"`
}

type upgradePayload struct {
	SubscriptionID int64 `json:"subscription_id"`
	Amount         int64 `json:"amount"`
	Version        int64 `json:"version"`
	pendingCharge
}

// renewalKey is the outbox key of a renewal attempt: enqueuing it twice
// (the scheduled job and the due scan) makes one job.
func renewalKey(p renewPayload) string {
	return fmt.Sprintf("renew:%d:%d:%d:%d:%s", p.SubscriptionID, p.Period, p.Attempt, p.At, p.ChargePermissionID)
}

// enqueueRenewal schedules the next renewal attempt of sub at its
// NextRenewalAt, on the transaction of the change that set it.
func enqueueRenewal(ctx context.Context, tx shop.JobQueue, sub *shop.Subscription) error {
	if sub.NextRenewalAt.IsZero() || (sub.Status != shop.SubscriptionActive && sub.Status != shop.SubscriptionPastDue) {
		return nil
	}
	p := renewalOf(sub)
	payload, _ := json.Marshal(p)
	_, err := tx.Enqueue(ctx, &shop.Job{Kind: KindRenew, Payload: payload, RunAt: sub.NextRenewalAt, MaxAttempts: 50, IdempotencyKey: renewalKey(p)})
	return err
}

func enqueueClose(ctx context.Context, tx shop.JobQueue, cpID, reason string) error {
	payload, _ := json.Marshal(closePayload{ChargePermissionID: cpID, Reason: reason})
	_, err := tx.Enqueue(ctx, &shop.Job{Kind: KindCloseChargePermission, Payload: payload, MaxAttempts: 50, IdempotencyKey: "close:" + cpID})
	return err
}

// EnqueueDue makes sure every subscription due at now has its renewal job
// (the scheduled jobs normally exist already; this is the safety net and
// what `apay subscriptions renew --due` starts from). It returns the number
// of due subscriptions and how many jobs it created.
func (s *Service) EnqueueDue(ctx context.Context, limit int) (due, created int, err error) {
	if limit <= 0 {
		limit = 1000
	}
	subs, err := s.cfg.Store.DueSubscriptions(ctx, s.now(), limit)
	if err != nil {
		return 0, 0, err
	}
	for _, sub := range subs {
		p := renewalOf(sub)
		payload, _ := json.Marshal(p)
		j := &shop.Job{Kind: KindRenew, Payload: payload, RunAt: sub.NextRenewalAt, MaxAttempts: 50, IdempotencyKey: renewalKey(p)}
		ok, err := s.cfg.Store.Enqueue(ctx, j)
		if err != nil {
			return len(subs), created, err
		}
		if ok {
			created++
		}
	}
	return len(subs), created, nil
}

// amazonKey derives the Amazon Pay idempotency key of a charge from its
// purpose: 32 hex digits of SHA-256 over the charge permission (unique at
// Amazon, so two shop databases on one seller account cannot collide) and
// the parts that identify the attempt.
func amazonKey(cpID string, parts ...string) string {
	h := sha256.New()
	for _, p := range append([]string{"apaykit/subscription-charge/v1", cpID}, parts...) {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Due lists the subscriptions due now by the service's clock (at most
// limit; 0 means 100), for the admin page and the REST API.
func (s *Service) Due(ctx context.Context, limit int) ([]*shop.Subscription, error) {
	return s.cfg.Store.DueSubscriptions(ctx, s.now(), limit)
}

// MonthlyUsage is what sub's charge permission was charged (or has
// reserved) in the current calendar month, UTC, and Amazon's limit.
func (s *Service) MonthlyUsage(ctx context.Context, sub *shop.Subscription) (used, limit int64, err error) {
	u, err := s.cfg.Store.RecurringUsage(ctx, sub.ChargePermissionID, s.now())
	if err != nil {
		return 0, 0, err
	}
	return u.Amount, shop.RecurringMonthlyLimit(sub.Currency), nil
}
