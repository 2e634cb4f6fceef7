package subscriptions_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpaytest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/throttle"
)

// The bulk quota: the emulator's throttling with burst 10 and 10 per
// second for every operation, and the shop's buckets set to the same.
const (
	bulkBurst = 10
	bulkRate  = 10
)

var bulkQuotas = map[string]throttle.Quota{
	"CreateCharge":          {Burst: bulkBurst, RateMilli: bulkRate * 1000},
	"CloseChargePermission": {Burst: bulkBurst, RateMilli: bulkRate * 1000},
}

// bulkSetup subscribes n buyers (throttling off) and moves both clocks to
// when all n renewals are due.
func bulkSetup(t testing.TB, db *sqlstoretest.DB, n int) (*env, []*shop.Subscription) {
	e := newEnv(t, db, bulkQuotas)
	p := e.product("BULK", monthly, "USD")
	subs := make([]*shop.Subscription, n)
	for i := range subs {
		subs[i] = e.subscribe(p.ID, amazonpaytest.Buyer{Email: fmt.Sprintf("bulk%d@example.com", i)})
	}
	e.advance(31 * 24 * time.Hour)
	// From here the shop's clock follows real time, like the throttle's:
	// retries after a 429 are due a fraction of a second later.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		last := time.Now()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				db.Clock.Advance(now.Sub(last))
				last = now
			}
		}
	}()
	return e, subs
}

// drain runs jobs until none is due within a minute.
func (e *env) drain() int {
	e.t.Helper()
	n, err := e.runner.Drain(context.Background(), time.Minute, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) throttling(on bool) {
	e.t.Helper()
	e.control("/_emulator/throttling", map[string]any{"enabled": on, "burst": bulkBurst, "restore": bulkRate})
}

// bulkVerify checks that every subscription was renewed once and that
// Amazon charged each permission exactly once in the renewal month.
// wantBalance is Amazon's amountBalance after the renewal: "980.00" when
// only the renewal (20 USD) falls in its month, "960.00" when the checkout
// charge does too.
func bulkVerify(t testing.TB, e *env, subs []*shop.Subscription, wantBalance string) {
	t.Helper()
	e.throttling(false)
	ctx := context.Background()
	if dead := e.jobsOf("", shop.JobDead); len(dead) != 0 {
		t.Fatalf("%d jobs dead, first: %s %q", len(dead), dead[0].Kind, dead[0].LastError)
	}
	for _, s := range subs {
		got := e.sub(s.ID)
		if got.PeriodsPaid != 2 || got.Status != shop.SubscriptionActive {
			t.Fatalf("subscription %d: %s, %d periods paid", s.ID, got.Status, got.PeriodsPaid)
		}
		cp, _, err := e.srv.Client.ChargePermissions.Get(ctx, s.ChargePermissionID)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Limits == nil || cp.Limits.AmountBalance.Amount != wantBalance {
			t.Fatalf("subscription %d: Amazon's balance %+v, want %s", s.ID, cp.Limits, wantBalance)
		}
	}
}

// lowerBound is the least time the quota allows for n calls: the burst at
// once, the rest at the restore rate.
func lowerBound(n int) time.Duration {
	return time.Duration(float64(n-bulkBurst) / bulkRate * float64(time.Second))
}

// TestBulkRenewalsThrottled renews n due subscriptions (200 in CI; set
// APAY_BULK_N for more) with the emulator's throttling on: every renewal is
// charged exactly once and no job fails. The ratio of wall time to the
// quota's lower bound is logged (BenchmarkBulkRenew reports it).
func TestBulkRenewalsThrottled(t *testing.T) {
	if testing.Short() {
		t.Skip("bulk run takes about 20 s")
	}
	n := 200
	if v, err := strconv.Atoi(os.Getenv("APAY_BULK_N")); err == nil && v > bulkBurst {
		n = v
	}
	db := sqlstoretest.SQLite(t)
	e, subs := bulkSetup(t, db, n)
	e.throttling(true)
	start := time.Now()
	if _, _, err := e.svc.EnqueueDue(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	ran := e.drain()
	wall := time.Since(start)
	bulkVerify(t, e, subs, "980.00")
	st := e.lim.Stats()
	t.Logf("n=%d jobs=%d wall=%v lower bound=%v ratio=%.3f 429s=%d", n, ran, wall.Round(time.Millisecond), lowerBound(n), wall.Seconds()/lowerBound(n).Seconds(), st.Throttled)
}

// BenchmarkBulkRenew measures the bulk figure for docs/benchmarks.md: n
// renewals (APAY_BULK_N, default 1000) through the job runner and the
// shared limiter, and WooCommerce's strategy — one call at a time, each
// after sleeping the restore interval — against the same emulator with the
// same quota, in the same run. Metrics: ratio of wall time to the quota's
// lower bound ((n − burst) ÷ rate) for each.
//
//	go test -run '^$' -bench BulkRenew -benchtime 1x ./shop/subscriptions/
//
// APAY_BULK_LATENCY (a duration, e.g. 50ms) makes the emulator delay every
// Create Charge by that much, standing in for the network distance to
// Amazon: the runner overlaps calls, one-at-a-time sleeping does not.
func BenchmarkBulkRenew(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("APAY_BULK_N")); err == nil && v > bulkBurst {
		n = v
	}
	latency, _ := time.ParseDuration(os.Getenv("APAY_BULK_LATENCY"))
	slow := func(e *env) {
		if latency > 0 {
			e.control("/_emulator/faults", map[string]any{"operation": "CreateCharge", "kind": "delay", "delay": latency.String(), "count": 2 * n})
		}
	}
	for b.Loop() {
		db := sqlstoretest.SQLite(b)
		e, subs := bulkSetup(b, db, n)
		e.throttling(true)
		slow(e)
		start := time.Now()
		if _, _, err := e.svc.EnqueueDue(context.Background(), n); err != nil {
			b.Fatal(err)
		}
		e.drain()
		wall := time.Since(start)
		bulkVerify(b, e, subs, "980.00")
		b.ReportMetric(wall.Seconds()/lowerBound(n).Seconds(), "apaykit-ratio")
		b.ReportMetric(float64(e.lim.Stats().Throttled), "apaykit-429s")

		// WooCommerce: sleep the restore interval, then call; one at a time.
		db2 := sqlstoretest.SQLite(b)
		e2, subs2 := bulkSetup(b, db2, n)
		e2.throttling(true)
		slow(e2)
		start = time.Now()
		var throttled int
		for i, s := range subs2 {
			time.Sleep(time.Second / bulkRate)
			price, _ := amazonpay.NewPrice(s.Plan.Amount, s.Currency)
			_, _, err := e2.srv.Client.Charges.Create(context.Background(), &amazonpay.CreateChargeRequest{
				ChargePermissionID: s.ChargePermissionID, ChargeAmount: price, CaptureNow: true,
			}, amazonpay.WithIdempotencyKey(fmt.Sprintf("woo-%d-%d", s.ID, i)))
			if throttle.IsThrottled(err) {
				throttled++
			} else if err != nil {
				b.Fatal(err)
			}
		}
		woo := time.Since(start)
		b.ReportMetric(woo.Seconds()/lowerBound(n).Seconds(), "woo-ratio")
		b.ReportMetric(float64(throttled), "woo-429s")
		b.Logf("n=%d latency=%v apaykit %v, woocommerce strategy %v, lower bound %v", n, latency, wall.Round(time.Millisecond), woo.Round(time.Millisecond), lowerBound(n))
	}
}
