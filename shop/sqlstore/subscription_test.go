package sqlstore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
)

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		plan := shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 1500}
		p := &shop.Product{SKU: "SUB", Name: "Sub", Price: 1500, Currency: "USD", Active: true, Plan: &plan}
		must(t, db.CreateProduct(ctx, p))
		s := shop.NewSubscription(db.clock.Now(), plan, "USD")
		s.ProductID, s.ChargePermissionID, s.BuyerEmail = p.ID, "C01-1", "buyer@example.com"
		must(t, db.CreateSubscription(ctx, s))
		dup := *s
		wantCode(t, db.CreateSubscription(ctx, &dup), shop.ECONFLICT)

		got, err := db.SubscriptionByChargePermission(ctx, "C01-1")
		must(t, err)
		if got.ID != s.ID || got.Plan != plan || !got.NextRenewalAt.Equal(s.NextRenewalAt) || got.Version != 1 {
			t.Fatalf("read back %+v", got)
		}
		if due, _ := db.DueSubscriptions(ctx, db.clock.Now(), 0); len(due) != 0 {
			t.Fatalf("due too early: %d", len(due))
		}
		db.clock.Advance(31 * 24 * time.Hour)
		due, err := db.DueSubscriptions(ctx, db.clock.Now(), 0)
		must(t, err)
		if len(due) != 1 {
			t.Fatalf("due = %d", len(due))
		}
		must(t, due[0].RenewalFailed(db.clock.Now(), shop.DefaultDunningSchedule()))
		must(t, db.UpdateSubscription(ctx, due[0]))
		// A stale copy loses.
		must(t, got.RenewalSucceeded())
		wantCode(t, db.UpdateSubscription(ctx, got), shop.ECONFLICT)
		again, err := db.Subscription(ctx, s.ID)
		must(t, err)
		if again.Status != shop.SubscriptionPastDue || again.DunningAttempts != 1 || again.Version != 2 {
			t.Fatalf("after failure: %+v", again)
		}
		must(t, again.Cancel(db.clock.Now()))
		must(t, db.UpdateSubscription(ctx, again))
		db.clock.Advance(365 * 24 * time.Hour)
		if due, _ := db.DueSubscriptions(ctx, db.clock.Now(), 0); len(due) != 0 {
			t.Fatal("canceled subscription is due")
		}
		_, err = db.Subscription(ctx, 999)
		wantCode(t, err, shop.ENOTFOUND)
	})
}

func TestRecurringUsage(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		limit := shop.RecurringMonthlyLimit("USD") // 1,000.00
		nov := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)
		dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		u, err := db.ReserveRecurringUsage(ctx, "C01-1", nov, "USD", 60000, limit)
		must(t, err)
		if u.Amount != 60000 || u.Month != "2026-11" {
			t.Fatalf("usage %+v", u)
		}
		_, err = db.ReserveRecurringUsage(ctx, "C01-1", nov, "USD", 40001, limit)
		wantCode(t, err, shop.EINVALID)
		_, err = db.ReserveRecurringUsage(ctx, "C01-1", nov, "EUR", 1, limit)
		wantCode(t, err, shop.EINVALID)
		u, err = db.ReserveRecurringUsage(ctx, "C01-1", nov, "USD", 40000, limit)
		must(t, err)
		if u.Amount != limit || u.Charges != 2 {
			t.Fatalf("at the limit: %+v", u)
		}
		// A new calendar month (UTC) starts from zero.
		u, err = db.ReserveRecurringUsage(ctx, "C01-1", dec, "USD", 100000, limit)
		must(t, err)
		if u.Month != "2026-12" || u.Amount != 100000 {
			t.Fatalf("december %+v", u)
		}
		_, err = db.ReserveRecurringUsage(ctx, "C01-1", dec, "USD", limit+1, limit)
		wantCode(t, err, shop.EINVALID)
		must(t, db.ReleaseRecurringUsage(ctx, "C01-1", nov, 40000))
		cur, err := db.RecurringUsage(ctx, "C01-1", nov)
		must(t, err)
		if cur.Amount != 60000 {
			t.Fatalf("after release %+v", cur)
		}
		must(t, db.ReleaseRecurringUsage(ctx, "C01-1", nov, 1_000_000)) // never below zero
		cur, _ = db.RecurringUsage(ctx, "C01-1", nov)
		empty, err := db.RecurringUsage(ctx, "C01-other", nov)
		must(t, err)
		if cur.Amount != 0 || empty.Amount != 0 {
			t.Fatalf("release floor %d, empty %d", cur.Amount, empty.Amount)
		}
	})
}

// TestRecurringUsageConcurrent: concurrent renewals on one charge
// permission never reserve more than the monthly limit together.
func TestRecurringUsageConcurrent(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		at := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
		const limit, each, n = 100000, 15000, 12 // room for 6 of 12
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range n {
			wg.Go(func() {
				_, err := db.ReserveRecurringUsage(ctx, "C01-race", at, "USD", each, limit)
				if err != nil && shop.ErrorCode(err) != shop.EINVALID {
					t.Errorf("reserve: %v", err)
				}
				if err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		u, err := db.RecurringUsage(ctx, "C01-race", at)
		must(t, err)
		if ok != 6 || u.Amount != 6*each {
			t.Fatalf("reserved %d times, amount %d; want 6 and %d", ok, u.Amount, 6*each)
		}
	})
}
