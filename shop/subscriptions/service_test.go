package subscriptions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/jobs"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/subscriptions"
	"github.com/apaykit/apaykit/shop/throttle"
)

// env is a shop database, an emulator, and the service with its job runner.
type env struct {
	t      testing.TB
	db     *sqlstoretest.DB
	srv    *amazonpaytest.Server
	svc    *subscriptions.Service
	runner *jobs.Runner
	lim    *throttle.Limiter
}

func newEnv(t testing.TB, db *sqlstoretest.DB, quotas map[string]throttle.Quota, opts ...amazonpaytest.Option) *env {
	t.Helper()
	opts = append(opts, amazonpaytest.WithClientOptions(amazonpay.WithRetry(amazonpay.RetryPolicy{MaxAttempts: 1})))
	srv := amazonpaytest.NewServer(t, opts...)
	lim, err := throttle.New(throttle.Config{Store: db, Account: shop.ThrottleAccount(srv.MerchantID, true), Quotas: quotas})
	if err != nil {
		t.Fatal(err)
	}
	if err := lim.Configure(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc, err := subscriptions.New(subscriptions.Config{Store: db, Client: srv.Client, Limiter: lim, StoreID: "amzn1.application-oa2-client.test",
		StoreName: "Test Shop", Currencies: []string{"USD", "EUR"}, Now: db.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r, err := jobs.New(jobs.Config{Store: db, WorkerID: "test", Concurrency: 4, Now: db.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(r)
	return &env{t: t, db: db, srv: srv, svc: svc, runner: r, lim: lim}
}

// advance moves the shop's and the emulator's clocks together.
func (e *env) advance(d time.Duration) {
	e.db.Clock.Advance(d)
	e.srv.AdvanceClock(d)
}

func (e *env) product(sku string, plan shop.BillingPlan, currency string) *shop.Product {
	e.t.Helper()
	p := &shop.Product{SKU: sku, Name: "Plan " + sku, Price: plan.Amount, Currency: currency, Active: true, Plan: &plan}
	if err := e.db.CreateProduct(context.Background(), p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

var urls = subscriptions.ReturnURLs{Review: "https://shop.example/review", Result: "https://shop.example/result"}

// subscribe runs the buyer's whole Recurring checkout.
func (e *env) subscribe(productID int64, buyer amazonpaytest.Buyer) *shop.Subscription {
	e.t.Helper()
	ctx := context.Background()
	co, err := e.svc.StartSubscribe(ctx, productID, urls)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.approve(co.CheckoutSessionID, buyer)
}

func (e *env) approve(csID string, buyer amazonpaytest.Buyer) *shop.Subscription {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.srv.BuyerSignIn(ctx, csID, buyer); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.srv.Confirm(ctx, csID); err != nil {
		e.t.Fatal(err)
	}
	sub, err := e.svc.CompleteCheckout(ctx, csID)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub
}

func (e *env) runJobs() int {
	e.t.Helper()
	n, err := e.runner.RunDue(context.Background(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) sub(id int64) *shop.Subscription {
	e.t.Helper()
	s, err := e.db.Subscription(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) usage(cp string, at time.Time) int64 {
	e.t.Helper()
	u, err := e.db.RecurringUsage(context.Background(), cp, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Amount
}

// control posts to the emulator's control API.
func (e *env) control(path string, body any) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		e.t.Fatalf("control %s: %s", path, resp.Status)
	}
}

func (e *env) jobsOf(kind string, st shop.JobStatus) []*shop.Job {
	e.t.Helper()
	js, err := e.db.Jobs(context.Background(), shop.JobFilter{Kind: kind, Status: []shop.JobStatus{st}})
	if err != nil {
		e.t.Fatal(err)
	}
	return js
}

var monthly = shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 2000}

func TestSubscribeRenewCancel(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		e := newEnv(t, db, nil)
		p := e.product("M", monthly, "USD")
		sub := e.subscribe(p.ID, amazonpaytest.Buyer{})
		if sub.Status != shop.SubscriptionActive || sub.PeriodsPaid != 1 || !strings.HasPrefix(sub.ChargePermissionID, "C") {
			t.Fatalf("new subscription = %+v", sub)
		}
		cp, _, err := e.srv.Client.ChargePermissions.Get(ctx, sub.ChargePermissionID)
		if err != nil || cp.ChargePermissionType != amazonpay.ChargePermissionTypeRecurring {
			t.Fatalf("charge permission: %+v %v", cp, err)
		}
		if got := e.usage(sub.ChargePermissionID, db.Clock.Now()); got != 2000 {
			t.Errorf("usage after checkout = %d", got)
		}
		// Nothing due yet.
		if n := e.runJobs(); n != 0 {
			t.Fatalf("ran %d jobs before the renewal date", n)
		}
		e.advance(31 * 24 * time.Hour)
		if n := e.runJobs(); n != 1 {
			t.Fatalf("ran %d jobs at the renewal date", n)
		}
		got := e.sub(sub.ID)
		if got.PeriodsPaid != 2 || got.Status != shop.SubscriptionActive {
			t.Fatalf("after renewal = %+v", got)
		}
		// Running the due scan again adds nothing: the next renewal is next month.
		if due, created, err := e.svc.EnqueueDue(ctx, 0); err != nil || due != 0 || created != 0 {
			t.Fatalf("EnqueueDue = %d %d %v", due, created, err)
		}

		// Customer cancel closes the permission through a job.
		if _, err := e.svc.Cancel(ctx, sub.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Cancel(ctx, sub.ID, false); shop.ErrorCode(err) != shop.ECONFLICT {
			t.Fatalf("second cancel: %v", err)
		}
		e.runJobs()
		cp, _, _ = e.srv.Client.ChargePermissions.Get(ctx, sub.ChargePermissionID)
		if cp.State() != amazonpay.ChargePermissionState("Closed") {
			t.Fatalf("charge permission after cancel = %s", cp.State())
		}
		// The next renewal job (already scheduled) does nothing for a canceled subscription.
		e.advance(31 * 24 * time.Hour)
		e.runJobs()
		if got := e.sub(sub.ID); got.PeriodsPaid != 2 || got.Status != shop.SubscriptionCanceled {
			t.Fatalf("canceled subscription renewed: %+v", got)
		}
	})
}

// A trial is a zero-total checkout: the buyer still approves a Recurring
// permission at Amazon (Confirm, amount 0); the first charge is at the end
// of the trial.
func TestTrialZeroTotalCheckout(t *testing.T) {
	db := sqlstoretest.SQLite(t)
	e := newEnv(t, db, nil)
	trial := monthly
	trial.TrialDays = 14
	p := e.product("T", trial, "USD")
	co, err := e.svc.StartSubscribe(context.Background(), p.ID, urls)
	if err != nil || co.Amount != 0 {
		t.Fatalf("StartSubscribe = %+v, %v", co, err)
	}
	sub := e.approve(co.CheckoutSessionID, amazonpaytest.Buyer{})
	if sub.PeriodsPaid != 0 || e.usage(sub.ChargePermissionID, db.Clock.Now()) != 0 {
		t.Fatalf("trial subscription = %+v", sub)
	}
	e.advance(13 * 24 * time.Hour)
	if n := e.runJobs(); n != 0 {
		t.Fatalf("charged during the trial")
	}
	e.advance(2 * 24 * time.Hour)
	e.runJobs()
	if got := e.sub(sub.ID); got.PeriodsPaid != 1 || got.Status != shop.SubscriptionActive {
		t.Fatalf("after trial = %+v", got)
	}
}

// Declined renewals follow the dunning schedule and end in suspension; a
// payment-method change through a new checkout replaces the permission,
// closes the old one and charges the unpaid period.
func TestDunningAndPaymentMethodChange(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		e := newEnv(t, db, nil)
		p := e.product("D", monthly, "USD")
		sub := e.subscribe(p.ID, amazonpaytest.Buyer{})
		e.advance(31 * 24 * time.Hour)
		e.control("/_emulator/faults", map[string]any{"operation": "CreateCharge", "status": 422, "reasonCode": "SoftDeclined", "count": 4})
		for i, wantStatus := range []shop.SubscriptionStatus{shop.SubscriptionPastDue, shop.SubscriptionPastDue, shop.SubscriptionPastDue, shop.SubscriptionSuspended} {
			if n := e.runJobs(); n != 1 {
				t.Fatalf("attempt %d: ran %d jobs", i+1, n)
			}
			got := e.sub(sub.ID)
			if got.Status != wantStatus || got.DunningAttempts != i+1 {
				t.Fatalf("attempt %d: %s after %d attempts, want %s", i+1, got.Status, got.DunningAttempts, wantStatus)
			}
			if i < 3 {
				e.advance(shop.DefaultDunningSchedule()[i] + time.Minute)
			}
		}
		if used := e.usage(sub.ChargePermissionID, db.Clock.Now()); used != 0 {
			t.Errorf("declined renewals left %d reserved", used)
		}
		oldCP := sub.ChargePermissionID
		co, err := e.svc.StartPaymentMethodChange(ctx, sub.ID, urls)
		if err != nil {
			t.Fatal(err)
		}
		got := e.approve(co.CheckoutSessionID, amazonpaytest.Buyer{PaymentMethod: "1111"})
		if got.ChargePermissionID == oldCP || got.Status != shop.SubscriptionPastDue {
			t.Fatalf("after payment-method change = %+v", got)
		}
		e.runJobs() // closes the old permission and retries the renewal on the new one
		if got := e.sub(sub.ID); got.Status != shop.SubscriptionActive || got.PeriodsPaid != 2 {
			t.Fatalf("after retry on the new permission = %+v", got)
		}
		old, _, _ := e.srv.Client.ChargePermissions.Get(ctx, oldCP)
		if old.State() != amazonpay.ChargePermissionState("Closed") {
			t.Fatalf("old permission %s", old.State())
		}
	})
}

// Monthly limit: renewals across a month boundary count in their own
// calendar month (UTC) on both sides; a plan above the cap is refused at
// checkout; an upgrade charge that would pass the cap is flagged and not
// sent; Amazon's own PeriodicAmountExceeded is flagged the same way.
func TestRecurringMonthlyLimit(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		e := newEnv(t, db, nil)
		// 200 a week can reach 5 × 200 = 1,000 USD in a month: allowed.
		weekly := e.product("W", shop.BillingPlan{Unit: shop.PeriodWeek, Count: 1, Amount: 20000}, "USD")
		sub := e.subscribe(weekly.ID, amazonpaytest.Buyer{})
		nov := db.Clock.Now()         // Nov 23
		e.advance(7 * 24 * time.Hour) // Nov 30
		e.runJobs()
		e.advance(7 * 24 * time.Hour) // Dec 7
		e.runJobs()
		if got := e.sub(sub.ID); got.PeriodsPaid != 3 {
			t.Fatalf("periods paid = %d", got.PeriodsPaid)
		}
		if n, d := e.usage(sub.ChargePermissionID, nov), e.usage(sub.ChargePermissionID, db.Clock.Now()); n != 40000 || d != 20000 {
			t.Fatalf("usage Nov %d Dec %d, want 40000 and 20000", n, d)
		}
		cp, _, _ := e.srv.Client.ChargePermissions.Get(ctx, sub.ChargePermissionID)
		if cp.Limits == nil || cp.Limits.AmountBalance.Amount != "800.00" {
			t.Fatalf("Amazon's balance for December = %+v", cp.Limits)
		}

		// A cart (here: one plan) whose monthly total passes the cap is refused with a message.
		big := e.product("BIG", shop.BillingPlan{Unit: shop.PeriodWeek, Count: 1, Amount: 25000}, "USD")
		_, err := e.svc.StartSubscribe(ctx, big.ID, urls)
		if shop.ErrorCode(err) != shop.EINVALID || !strings.Contains(shop.ErrorMessage(err), "monthly limit") {
			t.Fatalf("cart above the cap: %v", err)
		}
		if err := subscriptions.CheckRecurringCart("USD", []shop.BillingPlan{monthly, {Unit: shop.PeriodMonth, Count: 1, Amount: 99000}}); shop.ErrorCode(err) != shop.EINVALID {
			t.Fatalf("two plans above the cap: %v", err)
		}

		// Monthly 600, downgraded to 100, then upgraded to 900: the difference (800) would
		// bring this month to 1,400 — flagged, not sent.
		m600 := e.product("M600", shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 60000}, "USD")
		m100 := e.product("M100", shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 10000}, "USD")
		m900 := e.product("M900", shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 90000}, "USD")
		s2 := e.subscribe(m600.ID, amazonpaytest.Buyer{Email: "b2@example.com"})
		if _, err := e.svc.ChangePlan(ctx, s2.ID, m100.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ChangePlan(ctx, s2.ID, m900.ID); err != nil {
			t.Fatal(err)
		}
		e.runJobs()
		dead := e.jobsOf(subscriptions.KindUpgradeCharge, shop.JobDead)
		if len(dead) != 1 || !strings.Contains(dead[0].LastError, "monthly recurring limit") {
			t.Fatalf("upgrade charge not flagged: %+v", dead)
		}
		if got := e.sub(s2.ID); got.Plan.Amount != 90000 || got.ProductID != m900.ID {
			t.Fatalf("plan after upgrade = %+v", got.Plan)
		}
		if u := e.usage(s2.ChargePermissionID, db.Clock.Now()); u != 60000 {
			t.Fatalf("usage after flagged upgrade = %d", u)
		}

		// Amazon's own PeriodicAmountExceeded (the shop's count said yes).
		e.advance(7 * 24 * time.Hour) // Dec 14: weekly renewal due
		e.control("/_emulator/faults", map[string]any{"operation": "CreateCharge", "status": 400, "reasonCode": "PeriodicAmountExceeded"})
		e.runJobs()
		flagged := e.jobsOf(subscriptions.KindRenew, shop.JobDead)
		if len(flagged) != 1 || !strings.Contains(flagged[0].LastError, "PeriodicAmountExceeded") {
			t.Fatalf("PeriodicAmountExceeded not flagged: %+v", flagged)
		}
		got := e.sub(sub.ID)
		if got.PeriodsPaid != 3 || got.Status != shop.SubscriptionActive || got.DunningAttempts != 0 {
			t.Fatalf("flagged renewal changed the subscription: %+v", got)
		}
		if u := e.usage(sub.ChargePermissionID, db.Clock.Now()); u != 20000 {
			t.Fatalf("refused charge still reserved: %d", u)
		}
		// It is tried again when the limit resets: January 1st, 00:00 UTC.
		if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !got.NextRenewalAt.Equal(want) {
			t.Fatalf("next attempt %v, want %v", got.NextRenewalAt, want)
		}
		e.advance(time.Date(2027, 1, 1, 0, 1, 0, 0, time.UTC).Sub(db.Clock.Now()))
		e.runJobs()
		// The deferred week and the two that fell due meanwhile (Dec 21, 28).
		if got := e.sub(sub.ID); got.PeriodsPaid != 6 || !got.NextRenewalAt.After(db.Clock.Now()) {
			t.Fatalf("renewals after the limit reset: %+v", got)
		}
	})
}

func TestBadInput(t *testing.T) {
	db := sqlstoretest.SQLite(t)
	e := newEnv(t, db, nil)
	ctx := context.Background()
	for name, p := range map[string]*shop.Product{
		"zero amount":     {Currency: "USD", Plan: &shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 0}},
		"negative amount": {Currency: "USD", Plan: &shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: -5}},
		"not sold":        {Currency: "GBP", Plan: &monthly},
		"unknown":         {Currency: "XXX", Plan: &monthly},
		"no plan":         {Currency: "USD"},
	} {
		if err := e.svc.CheckPlan(p); shop.ErrorCode(err) != shop.EINVALID {
			t.Errorf("%s: CheckPlan = %v", name, err)
		}
	}
	// A renewal for a permission closed at Amazon (the buyer closed it) is
	// refused by Amazon and never charged; it goes to dunning.
	p := e.product("C", monthly, "USD")
	sub := e.subscribe(p.ID, amazonpaytest.Buyer{})
	if _, _, err := e.srv.Client.ChargePermissions.Close(ctx, sub.ChargePermissionID, &amazonpay.CloseChargePermissionRequest{ClosureReason: "buyer"}); err != nil {
		t.Fatal(err)
	}
	e.advance(31 * 24 * time.Hour)
	e.runJobs()
	got := e.sub(sub.ID)
	if got.PeriodsPaid != 1 || got.Status != shop.SubscriptionPastDue {
		t.Fatalf("renewal on a closed permission: %+v", got)
	}
	if u := e.usage(sub.ChargePermissionID, db.Clock.Now()); u != 0 {
		t.Fatalf("closed permission usage %d", u)
	}
	weekly := e.product("WK", shop.BillingPlan{Unit: shop.PeriodWeek, Count: 1, Amount: 500}, "USD")
	if _, err := e.svc.ChangePlan(ctx, sub.ID, weekly.ID); shop.ErrorCode(err) != shop.EINVALID || !strings.Contains(shop.ErrorMessage(err), "billing period") {
		t.Fatalf("change to another period: %v", err)
	}
	eur := e.product("EU", shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 2000}, "EUR")
	if _, err := e.svc.ChangePlan(ctx, sub.ID, eur.ID); shop.ErrorCode(err) != shop.EINVALID {
		t.Fatalf("change to another currency: %v", err)
	}
	if _, err := e.svc.ChangePlan(ctx, sub.ID, p.ID+100); shop.ErrorCode(err) != shop.ENOTFOUND {
		t.Fatalf("unknown product: %v", err)
	}
}

// pendingRenewal makes a subscription whose first renewal (after a 7-day
// trial) has run once and is pending at Amazon Pay (sandbox card 0701).
func pendingRenewal(t *testing.T) (*env, *shop.Subscription) {
	t.Helper()
	// The limiter sleeps in real time; the sandbox's 1 Get Charge a second
	// would make many rechecks last a minute.
	e := newEnv(t, sqlstoretest.SQLite(t), map[string]throttle.Quota{"GetCharge": {Burst: 100, RateMilli: 100_000}})
	trial := monthly
	trial.TrialDays = 7
	p := e.product("P", trial, "USD")
	sub := e.subscribe(p.ID, amazonpaytest.Buyer{PaymentMethod: "0701"})
	e.advance(8 * 24 * time.Hour)
	e.runJobs()
	return e, sub
}

// A renewal whose authorization is pending (sandbox card 0701) does not
// move the subscription; its job looks at the charge again later — with
// Get Charge, never a second Create Charge — for as long as Amazon Pay
// takes (more rechecks than the job has attempts), and records the charge
// once Amazon settled it.
func TestPendingRenewal(t *testing.T) {
	e, sub := pendingRenewal(t)
	db := e.db
	if got := e.sub(sub.ID); got.PeriodsPaid != 0 || got.Status != shop.SubscriptionActive {
		t.Fatalf("pending renewal moved the subscription: %+v", got)
	}
	queued := e.jobsOf(subscriptions.KindRenew, shop.JobQueued)
	if len(queued) != 1 || !strings.Contains(queued[0].LastError, "pending") || queued[0].Attempts != 0 ||
		!strings.Contains(string(queued[0].Payload), `"pending_charge_id":"S`) {
		t.Fatalf("pending job = %+v", queued)
	}
	// Any further Create Charge would now fail (and show in the job).
	e.control("/_emulator/faults", map[string]any{"operation": "CreateCharge", "status": 500, "reasonCode": "InternalServerError", "count": 1000})
	for i := range 60 { // the renewal job has 50 attempts
		e.db.Clock.Advance(11 * time.Minute) // the shop's clock only: Amazon has not decided yet
		if n := e.runJobs(); n != 1 {
			t.Fatalf("recheck %d ran %d jobs", i, n)
		}
	}
	queued = e.jobsOf(subscriptions.KindRenew, shop.JobQueued)
	if len(queued) != 1 || queued[0].Attempts != 0 || !strings.Contains(queued[0].LastError, "pending") {
		t.Fatalf("after 60 rechecks: %+v", queued)
	}
	e.advance(11 * time.Minute) // Amazon settles (30 s) and the recheck is due (10 min)
	e.runJobs()
	if got := e.sub(sub.ID); got.PeriodsPaid != 1 || got.Status != shop.SubscriptionActive {
		t.Fatalf("after settlement: %+v", got)
	}
	if u := e.usage(sub.ChargePermissionID, db.Clock.Now()); u != 2000 {
		t.Fatalf("usage %d, want one charge", u)
	}
}

// A charge still pending after 48 hours (Amazon Pay decides within 24)
// stops the job, dead with the reason, for the merchant to look at.
func TestPendingRenewalGivesUp(t *testing.T) {
	e, sub := pendingRenewal(t)
	for range 4 {
		e.db.Clock.Advance(12*time.Hour + time.Minute) // the shop's clock only: Amazon never decides
		e.runJobs()
	}
	dead := e.jobsOf(subscriptions.KindRenew, shop.JobDead)
	if len(dead) != 1 || !strings.Contains(dead[0].LastError, "has not decided the authorization of charge S") {
		t.Fatalf("dead jobs %+v; queued %+v", dead, e.jobsOf(subscriptions.KindRenew, shop.JobQueued))
	}
	if got := e.sub(sub.ID); got.PeriodsPaid != 0 {
		t.Fatalf("subscription moved: %+v", got)
	}
}

// An upgrade charge left pending is read again, not sent again, and a
// notification about it settles it.
func TestPendingUpgradeCharge(t *testing.T) {
	e, sub := pendingRenewal(t)
	ctx := context.Background()
	e.srv.AdvanceClock(31 * time.Second) // the renewal's charge is decided
	e.db.Clock.Advance(11 * time.Minute)
	e.runJobs()
	if got := e.sub(sub.ID); got.PeriodsPaid != 1 {
		t.Fatalf("renewal not recorded: %+v", got)
	}
	bigger := e.product("P2", shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 3000}, "USD")
	if _, err := e.svc.ChangePlan(ctx, sub.ID, bigger.ID); err != nil {
		t.Fatal(err)
	}
	e.runJobs()
	queued := e.jobsOf(subscriptions.KindUpgradeCharge, shop.JobQueued)
	if len(queued) != 1 || queued[0].Attempts != 0 || !strings.Contains(queued[0].LastError, "pending") {
		t.Fatalf("upgrade job %+v", queued)
	}
	var payload struct {
		PendingChargeID string `json:"pending_charge_id"`
	}
	if err := json.Unmarshal(queued[0].Payload, &payload); err != nil || payload.PendingChargeID == "" {
		t.Fatalf("payload %s: %v", queued[0].Payload, err)
	}
	e.control("/_emulator/faults", map[string]any{"operation": "CreateCharge", "status": 500, "reasonCode": "InternalServerError", "count": 1000})
	e.srv.AdvanceClock(31 * time.Second)
	if n, err := e.svc.WakePending(ctx, payload.PendingChargeID); err != nil || n != 1 {
		t.Fatalf("WakePending = %d, %v", n, err)
	}
	e.runJobs()
	if done := e.jobsOf(subscriptions.KindUpgradeCharge, shop.JobSucceeded); len(done) != 1 {
		t.Fatalf("upgrade charge not settled: queued %+v dead %+v", e.jobsOf(subscriptions.KindUpgradeCharge, shop.JobQueued),
			e.jobsOf(subscriptions.KindUpgradeCharge, shop.JobDead))
	}
	if u := e.usage(sub.ChargePermissionID, e.db.Clock.Now()); u != 2000+1000 {
		t.Fatalf("usage %d, want the renewal and the upgrade difference", u)
	}
}

// A notification about the pending charge (WakePending) brings the
// renewal's recheck forward to now; news about another charge does not.
func TestPendingRenewalWoken(t *testing.T) {
	e, sub := pendingRenewal(t)
	queued := e.jobsOf(subscriptions.KindRenew, shop.JobQueued)
	if len(queued) != 1 {
		t.Fatalf("pending job = %+v", queued)
	}
	var payload struct {
		PendingChargeID string `json:"pending_charge_id"`
	}
	if err := json.Unmarshal(queued[0].Payload, &payload); err != nil || payload.PendingChargeID == "" {
		t.Fatalf("payload %s: %v", queued[0].Payload, err)
	}
	ctx := context.Background()
	if n, err := e.svc.WakePending(ctx, "S01-0000000-0000000-C000000"); err != nil || n != 0 {
		t.Fatalf("another charge woke %d jobs (%v)", n, err)
	}
	e.srv.AdvanceClock(31 * time.Second) // Amazon decides; the shop's clock stays
	if n := e.runJobs(); n != 0 {
		t.Fatalf("ran %d jobs before the recheck was due", n)
	}
	if n, err := e.svc.WakePending(ctx, payload.PendingChargeID); err != nil || n != 1 {
		t.Fatalf("WakePending = %d, %v; want 1", n, err)
	}
	if n := e.runJobs(); n != 1 {
		t.Fatalf("ran %d jobs after the wake, want 1", n)
	}
	if got := e.sub(sub.ID); got.PeriodsPaid != 1 || got.Status != shop.SubscriptionActive {
		t.Fatalf("after the wake: %+v", got)
	}
	if n, err := e.svc.WakePending(ctx, payload.PendingChargeID); err != nil || n != 0 {
		t.Fatalf("a second wake woke %d jobs (%v): the next renewal must keep its date", n, err)
	}
}

// Every renewal attempt appears in the buyer's order history, linked to
// the subscription: declined ones (dunning) and the captured one.
func TestRenewalOrderHistory(t *testing.T) {
	db := sqlstoretest.SQLite(t)
	e := newEnv(t, db, nil)
	p := e.product("H", monthly, "USD")
	sub := e.subscribe(p.ID, amazonpaytest.Buyer{Email: "hist@example.com"})
	e.advance(31 * 24 * time.Hour)
	e.control("/_emulator/faults", map[string]any{"operation": "CreateCharge", "status": 422, "reasonCode": "SoftDeclined"})
	e.runJobs()
	e.advance(25 * time.Hour)
	e.runJobs()
	orders, err := db.Orders(context.Background(), shop.OrderFilter{BuyerEmail: "hist@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 2 || orders[0].Status != shop.StatusCaptured || orders[1].Status != shop.StatusDeclined ||
		orders[0].SubscriptionID != sub.ID || orders[0].Total != 2000 {
		for _, o := range orders {
			t.Logf("order %d %s %d sub %d", o.ID, o.Status, o.Total, o.SubscriptionID)
		}
		t.Fatalf("order history: %d orders", len(orders))
	}
}

// A payment-method change on an active subscription moves the scheduled
// renewal to the new permission: the old permission is closed and never
// charged again, the renewal date is kept.
func TestPaymentMethodChangeWhileActive(t *testing.T) {
	ctx := context.Background()
	db := sqlstoretest.SQLite(t)
	e := newEnv(t, db, nil)
	p := e.product("A", monthly, "USD")
	sub := e.subscribe(p.ID, amazonpaytest.Buyer{})
	co, err := e.svc.StartPaymentMethodChange(ctx, sub.ID, urls)
	if err != nil {
		t.Fatal(err)
	}
	changed := e.approve(co.CheckoutSessionID, amazonpaytest.Buyer{PaymentMethod: "4444"})
	if changed.Status != shop.SubscriptionActive || !changed.NextRenewalAt.Equal(sub.NextRenewalAt) {
		t.Fatalf("after change: %+v", changed)
	}
	e.runJobs() // closes the old permission
	e.advance(31 * 24 * time.Hour)
	e.runJobs()
	got := e.sub(sub.ID)
	if got.PeriodsPaid != 2 || got.ChargePermissionID == sub.ChargePermissionID {
		t.Fatalf("renewal after change: %+v", got)
	}
	if u := e.usage(got.ChargePermissionID, db.Clock.Now()); u != 2000 {
		t.Fatalf("new permission usage %d", u)
	}
}
