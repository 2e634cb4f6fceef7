package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/jobs"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

func newRunner(t *testing.T, db *sqlstoretest.DB, id string) *jobs.Runner {
	t.Helper()
	r, err := jobs.New(jobs.Config{Store: db, WorkerID: id, Concurrency: 3, Lease: time.Minute, Now: db.Clock.Now,
		BaseBackoff: time.Second, MaxBackoff: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func enqueue(t *testing.T, db *sqlstoretest.DB, kind string, maxAttempts int) *shop.Job {
	t.Helper()
	j := &shop.Job{Kind: kind, MaxAttempts: maxAttempts}
	if _, err := db.Enqueue(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j
}

func TestRunnerOutcomes(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		r := newRunner(t, db, "w1")
		var flaky atomic.Int64
		r.Handle("ok", func(context.Context, *shop.Job) error { return nil })
		r.Handle("flaky", func(context.Context, *shop.Job) error {
			if flaky.Add(1) == 1 {
				return errors.New("transient")
			}
			return nil
		})
		r.Handle("perm", func(context.Context, *shop.Job) error { return jobs.Permanent(shop.Errorf(shop.EINVALID, "bad input")) })
		r.Handle("panic", func(context.Context, *shop.Job) error { panic("boom") })
		r.Handle("later", func(context.Context, *shop.Job) error {
			return jobs.RetryAt(errors.New("throttled"), db.Clock.Now().Add(time.Hour))
		})
		r.Handle("always", func(context.Context, *shop.Job) error { return errors.New("down") })
		ok, fl, perm, pan, later, always, unknown := enqueue(t, db, "ok", 0), enqueue(t, db, "flaky", 0), enqueue(t, db, "perm", 0),
			enqueue(t, db, "panic", 0), enqueue(t, db, "later", 0), enqueue(t, db, "always", 2), enqueue(t, db, "nobody", 0)

		if n, err := r.RunDue(ctx, nil); err != nil || n != 7 {
			t.Fatalf("RunDue = %d, %v; want 7", n, err)
		}
		// The flaky job is queued for its backoff (1 s); the always-failing one too.
		db.Clock.Advance(2 * time.Second)
		if n, err := r.RunDue(ctx, nil); err != nil || n != 2 {
			t.Fatalf("second RunDue = %d, %v; want 2 (flaky, always)", n, err)
		}
		want := map[int64]shop.JobStatus{ok.ID: shop.JobSucceeded, fl.ID: shop.JobSucceeded, perm.ID: shop.JobDead,
			pan.ID: shop.JobDead, later.ID: shop.JobQueued, always.ID: shop.JobDead, unknown.ID: shop.JobDead}
		for id, st := range want {
			j, err := db.Job(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if j.Status != st {
				t.Errorf("job %d (%s) = %s (%q), want %s", id, j.Kind, j.Status, j.LastError, st)
			}
		}
		if j, _ := db.Job(ctx, later.ID); !j.RunAt.Equal(sqlstoretest.Start.Add(time.Hour)) {
			t.Errorf("RetryAt job runs at %v", j.RunAt)
		}
		if j, _ := db.Job(ctx, perm.ID); j.LastError != "bad input" {
			t.Errorf("permanent error text = %q", j.LastError)
		}
		m := r.Metrics()
		if m.Succeeded.Load() != 2 || m.Dead.Load() != 4 || m.Retried.Load() != 3 {
			t.Errorf("metrics succeeded=%d dead=%d retried=%d", m.Succeeded.Load(), m.Dead.Load(), m.Retried.Load())
		}
	})
}

// TestRunnerWait: a handler that waits is run again at its time, however
// often, without using up its attempts, and sees the payload it left.
func TestRunnerWait(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		r := newRunner(t, db, "w1")
		var runs []string
		r.Handle("pending", func(_ context.Context, j *shop.Job) error {
			runs = append(runs, string(j.Payload))
			if len(runs) < 5 {
				return jobs.Wait(errors.New("authorization pending"), db.Clock.Now().Add(time.Minute),
					json.RawMessage(fmt.Sprintf(`{"checks":%d}`, len(runs))))
			}
			return nil
		})
		j := &shop.Job{Kind: "pending", Payload: json.RawMessage(`{}`), MaxAttempts: 2}
		if _, err := db.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if n, err := r.RunDue(ctx, nil); err != nil || n != 1 {
				t.Fatalf("run %d: RunDue = %d, %v", i, n, err)
			}
			got, err := db.Job(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if i < 4 && (got.Status != shop.JobQueued || got.Attempts != 0 || got.LastError != "authorization pending") {
				t.Fatalf("run %d: %+v", i, got)
			}
			if n, _ := r.RunDue(ctx, nil); n != 0 {
				t.Fatalf("run %d: ran again before its time", i)
			}
			db.Clock.Advance(time.Minute)
		}
		if got, _ := db.Job(ctx, j.ID); got.Status != shop.JobSucceeded {
			t.Fatalf("after the wait: %+v", got)
		}
		want := []string{`{}`, `{"checks":1}`, `{"checks":2}`, `{"checks":3}`, `{"checks":4}`}
		if !slices.Equal(runs, want) {
			t.Fatalf("payloads seen %v, want %v", runs, want)
		}
		if m := r.Metrics(); m.Waited.Load() != 4 || m.Succeeded.Load() != 1 || m.Dead.Load() != 0 {
			t.Fatalf("metrics waited=%d succeeded=%d dead=%d", m.Waited.Load(), m.Succeeded.Load(), m.Dead.Load())
		}
	})
}

// A runner that dies holding a job (its lease never extended, its outcome
// never recorded) leaves the job to another runner once the lease expires.
func TestRunnerTakesOverAfterLeaseExpiry(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		j := enqueue(t, db, "work", 0)
		if got, err := db.ClaimJobs(ctx, "dead-worker", 1, time.Minute); err != nil || len(got) != 1 {
			t.Fatalf("claim: %v %v", got, err)
		}
		r := newRunner(t, db, "w2")
		var ran atomic.Int64
		r.Handle("work", func(context.Context, *shop.Job) error { ran.Add(1); return nil })
		if n, _ := r.RunDue(ctx, nil); n != 0 {
			t.Fatalf("took a leased job")
		}
		db.Clock.Advance(2 * time.Minute)
		if n, err := r.RunDue(ctx, nil); n != 1 || err != nil {
			t.Fatalf("RunDue after expiry = %d, %v", n, err)
		}
		got, _ := db.Job(ctx, j.ID)
		if got.Status != shop.JobSucceeded || got.Attempts != 2 || ran.Load() != 1 {
			t.Errorf("job = %s attempts %d ran %d", got.Status, got.Attempts, ran.Load())
		}
	})
}

// Run processes jobs as they come and stops gracefully: a job in flight
// when the context ends still completes and is recorded.
func TestRunGracefulStop(t *testing.T) {
	db := sqlstoretest.SQLite(t)
	r, _ := jobs.New(jobs.Config{Store: db, WorkerID: "w", Concurrency: 2, Poll: 5 * time.Millisecond, Now: db.Clock.Now})
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	r.Handle("slow", func(ctx context.Context, _ *shop.Job) error {
		once.Do(func() { close(started) })
		<-release
		return ctx.Err() // not canceled by the stop
	})
	r.Handle("fast", func(context.Context, *shop.Job) error { return nil })
	slow := enqueue(t, db, "slow", 0)
	for range 5 {
		enqueue(t, db, "fast", 0)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	<-started
	cancel()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	j, _ := db.Job(context.Background(), slow.ID)
	if j.Status != shop.JobSucceeded {
		t.Fatalf("in-flight job = %s %q", j.Status, j.LastError)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {4, 8 * time.Second}, {30, time.Minute}} {
		if got := jobs.Backoff(tc.attempt, time.Second, time.Minute); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.attempt, got, tc.want)
		}
	}
	_ = fmt.Sprint()
}
