package throttle_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
	"github.com/apaykit/apaykit/shop/throttle"
)

// fakeTime is a clock that Sleep moves forward, so Wait is tested without
// sleeping.
type fakeTime struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func (f *fakeTime) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeTime) Sleep(_ context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
	f.slept = append(f.slept, d)
	return nil
}

func newLimiter(t *testing.T, db *sqlstoretest.DB, ft *fakeTime) *throttle.Limiter {
	t.Helper()
	l, err := throttle.New(throttle.Config{Store: db, Account: "sandbox/M1", Now: ft.Now, Sleep: ft.Sleep, Slack: -1,
		Quotas: map[string]throttle.Quota{"CreateCharge": {Burst: 10, RateMilli: 10_000}}})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Two limiters (two shop instances) share one bucket: together they get
// the burst at once and then exactly one token per 100 ms — never more,
// and never a wait longer than the next token needs.
func TestWaitSharedBucket(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		ft := &fakeTime{t: sqlstoretest.Start}
		a, b := newLimiter(t, db, ft), newLimiter(t, db, ft)
		if err := a.Configure(ctx); err != nil {
			t.Fatal(err)
		}
		start := ft.Now()
		for i := range 30 {
			l := a
			if i%2 == 1 {
				l = b
			}
			if err := l.Wait(ctx, "CreateCharge"); err != nil {
				t.Fatal(err)
			}
		}
		// 10 at once, 20 more at 10/s: 2 s exactly.
		if got := ft.Now().Sub(start); got != 2*time.Second {
			t.Fatalf("30 tokens took %v, want 2s", got)
		}
		for _, d := range ft.slept {
			if d > 100*time.Millisecond {
				t.Fatalf("slept %v, longer than one token needs", d)
			}
		}
		// Published defaults for an operation not configured: sandbox Get Charge Permission 10 burst.
		for range 10 {
			if err := a.Wait(ctx, "GetChargePermission"); err != nil {
				t.Fatal(err)
			}
		}
		if st := a.Stats(); st.Tokens != 25 || st.Waits != 10 {
			t.Errorf("stats %+v", st)
		}
	})
}

// A 429 halves the shared rate (every instance slows down); successes add
// a tenth back once a second until the configured rate.
func TestAIMD(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		ft := &fakeTime{t: sqlstoretest.Start}
		l := newLimiter(t, db, ft)
		if err := l.Configure(ctx); err != nil {
			t.Fatal(err)
		}
		wait, err := l.Throttled(ctx, "CreateCharge")
		if err != nil || wait != 200*time.Millisecond {
			t.Fatalf("Throttled = %v, %v", wait, err)
		}
		rate := func() int64 {
			b, err := db.ThrottleBucket(ctx, "sandbox/M1", "CreateCharge")
			if err != nil {
				t.Fatal(err)
			}
			return b.RateMilli
		}
		if r := rate(); r != 5000 {
			t.Fatalf("rate after 429 = %d", r)
		}
		for range 5 {
			_, _ = l.Throttled(ctx, "CreateCharge")
		}
		if r := rate(); r != 1250 {
			t.Fatalf("rate floor = %d, want 1250 (1/8)", r)
		}
		_ = l.Succeeded(ctx, "CreateCharge") // within a second of the decrease: no change
		if r := rate(); r != 1250 {
			t.Fatalf("raised too early: %d", r)
		}
		for range 20 {
			ft.Sleep(ctx, time.Second)
			_ = l.Succeeded(ctx, "CreateCharge")
		}
		if r := rate(); r != 10_000 {
			t.Fatalf("rate after recovery = %d", r)
		}
	})
}
