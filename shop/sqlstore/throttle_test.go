package sqlstore_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
)

func TestThrottleBuckets(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		acct := shop.ThrottleAccount("M1", true)
		now := db.clock.Now()
		// Sandbox CaptureCharge: burst 2, 1 per second.
		for i := range 2 {
			ok, _, err := db.TakeToken(ctx, acct, "CaptureCharge", now)
			must(t, err)
			if !ok {
				t.Fatalf("take %d refused", i)
			}
		}
		ok, wait, err := db.TakeToken(ctx, acct, "CaptureCharge", now)
		must(t, err)
		if ok || wait != time.Second {
			t.Fatalf("empty bucket: ok=%v wait=%v", ok, wait)
		}
		ok, wait, err = db.TakeToken(ctx, acct, "CaptureCharge", now.Add(250*time.Millisecond))
		must(t, err)
		if ok || wait != 750*time.Millisecond {
			t.Fatalf("fractional refill: ok=%v wait=%v", ok, wait)
		}
		ok, _, err = db.TakeToken(ctx, acct, "CaptureCharge", now.Add(time.Second))
		must(t, err)
		if !ok {
			t.Fatal("refilled token refused")
		}
		// Other operation classes and accounts have their own buckets.
		ok, _, err = db.TakeToken(ctx, acct, "CreateRefund", now)
		must(t, err)
		ok2, _, err := db.TakeToken(ctx, shop.ThrottleAccount("M2", true), "CaptureCharge", now)
		must(t, err)
		if !ok || !ok2 {
			t.Fatal("buckets are not separate")
		}
		must(t, db.SetThrottleLimit(ctx, acct, "CaptureCharge", 5, 500))
		b, err := db.ThrottleBucket(ctx, acct, "CaptureCharge")
		must(t, err)
		if b.Burst != 5 || b.RateMilli != 500 {
			t.Fatalf("bucket %+v", b)
		}
		wantCode(t, db.SetThrottleLimit(ctx, acct, "X", 0, 1), shop.EINVALID)
		_, err = db.ThrottleBucket(ctx, acct, "Nothing")
		wantCode(t, err, shop.ENOTFOUND)
		_, _, err = db.TakeToken(ctx, "", "X", now)
		wantCode(t, err, shop.EINVALID)
	})
}

// TestThrottleConcurrentTakers: many takers (as if in several instances)
// share one bucket; together they never get more than burst + refill.
func TestThrottleConcurrentTakers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		acct := shop.ThrottleAccount("M1", false)
		must(t, db.SetThrottleLimit(ctx, acct, "CreateCharge", 10, 4000)) // 10 burst, 4/s
		start := db.clock.Now()
		take := func(at time.Time, goroutines, each int) int64 {
			var ok atomic.Int64
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					for range each {
						got, _, err := db.TakeToken(ctx, acct, "CreateCharge", at)
						if err != nil {
							t.Errorf("take: %v", err)
							return
						}
						if got {
							ok.Add(1)
						}
					}
				})
			}
			wg.Wait()
			return ok.Load()
		}
		if got := take(start, 8, 5); got != 10 {
			t.Fatalf("40 takes on a full bucket of 10 issued %d", got)
		}
		if got := take(start.Add(time.Second), 8, 5); got != 4 {
			t.Fatalf("after 1s at 4/s issued %d, want 4", got)
		}
		if got := take(start.Add(1500*time.Millisecond), 6, 3); got != 2 {
			t.Fatalf("after 0.5s more issued %d, want 2", got)
		}
	})
}
