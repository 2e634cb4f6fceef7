package sqlstore_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
)

func TestJobQueue(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		now := db.clock.Now()
		a := &shop.Job{Kind: "reauthorize", Payload: json.RawMessage(`{"orderId":1}`), IdempotencyKey: "reauth:1"}
		created, err := db.Enqueue(ctx, a)
		must(t, err)
		dup := &shop.Job{Kind: "reauthorize", Payload: json.RawMessage(`{"orderId":1}`), IdempotencyKey: "reauth:1"}
		again, err := db.Enqueue(ctx, dup)
		must(t, err)
		if !created || again || dup.ID != a.ID {
			t.Fatalf("idempotent enqueue: created=%v again=%v ids %d/%d", created, again, a.ID, dup.ID)
		}
		later := &shop.Job{Kind: "renew", RunAt: now.Add(time.Hour), MaxAttempts: 2}
		_, err = db.Enqueue(ctx, later)
		must(t, err)
		_, err = db.Enqueue(ctx, &shop.Job{Kind: "bad", Payload: json.RawMessage(`{`)})
		wantCode(t, err, shop.EINVALID)
		_, err = db.Enqueue(ctx, &shop.Job{})
		wantCode(t, err, shop.EINVALID)

		jobs, err := db.ClaimJobs(ctx, "w1", 10, time.Minute)
		must(t, err)
		if len(jobs) != 1 || jobs[0].ID != a.ID || jobs[0].Attempts != 1 || jobs[0].LockedBy != "w1" ||
			jobs[0].Status != shop.JobRunning || string(jobs[0].Payload) != `{"orderId":1}` {
			t.Fatalf("claimed %+v", jobs)
		}
		if more, _ := db.ClaimJobs(ctx, "w2", 10, time.Minute); len(more) != 0 {
			t.Fatalf("claimed a job twice or too early: %+v", more)
		}
		wantCode(t, db.CompleteJob(ctx, a.ID, "w2"), shop.ECONFLICT)
		must(t, db.CompleteJob(ctx, a.ID, "w1"))
		wantCode(t, db.CompleteJob(ctx, 999, "w1"), shop.ENOTFOUND)

		// Failure with retry, then failure at MaxAttempts: dead.
		db.clock.Advance(time.Hour)
		jobs, err = db.ClaimJobs(ctx, "w1", 10, time.Minute)
		must(t, err)
		if len(jobs) != 1 || jobs[0].ID != later.ID {
			t.Fatalf("due job not claimed: %+v", jobs)
		}
		must(t, db.FailJob(ctx, later.ID, "w1", "Amazon Pay 503", db.clock.Now().Add(time.Minute)))
		j, err := db.Job(ctx, later.ID)
		must(t, err)
		if j.Status != shop.JobQueued || j.LastError != "Amazon Pay 503" || j.LockedBy != "" {
			t.Fatalf("after failure %+v", j)
		}
		if early, _ := db.ClaimJobs(ctx, "w1", 10, time.Minute); len(early) != 0 {
			t.Fatal("retry claimed before retryAt")
		}
		db.clock.Advance(time.Minute)
		jobs, err = db.ClaimJobs(ctx, "w1", 10, time.Minute)
		must(t, err)
		if len(jobs) != 1 || jobs[0].Attempts != 2 {
			t.Fatalf("retry: %+v", jobs)
		}
		must(t, db.FailJob(ctx, later.ID, "w1", "again", db.clock.Now().Add(time.Minute)))
		j, _ = db.Job(ctx, later.ID)
		if j.Status != shop.JobDead {
			t.Fatalf("after MaxAttempts: %s", j.Status)
		}
		dead, err := db.Jobs(ctx, shop.JobFilter{Status: []shop.JobStatus{shop.JobDead}, Kind: "renew"})
		must(t, err)
		done, err := db.Jobs(ctx, shop.JobFilter{Status: []shop.JobStatus{shop.JobSucceeded}})
		must(t, err)
		if len(dead) != 1 || len(done) != 1 {
			t.Fatalf("Jobs: dead %d, succeeded %d", len(dead), len(done))
		}
	})
}

// TestJobLeaseExpiry: a worker that dies leaves its job running; once the
// lease has passed the job is handed out again, and the dead worker can no
// longer complete it.
func TestJobLeaseExpiry(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		j := &shop.Job{Kind: "capture", MaxAttempts: 3}
		_, err := db.Enqueue(ctx, j)
		must(t, err)
		first, err := db.ClaimJobs(ctx, "dies", 1, 30*time.Second)
		must(t, err)
		if len(first) != 1 {
			t.Fatal("not claimed")
		}
		db.clock.Advance(29 * time.Second)
		if got, _ := db.ClaimJobs(ctx, "rescuer", 1, 30*time.Second); len(got) != 0 {
			t.Fatal("job handed out while its lease holds")
		}
		must(t, db.ExtendJobLease(ctx, j.ID, "dies", 30*time.Second))
		db.clock.Advance(29 * time.Second)
		if got, _ := db.ClaimJobs(ctx, "rescuer", 1, 30*time.Second); len(got) != 0 {
			t.Fatal("extended lease ignored")
		}
		db.clock.Advance(2 * time.Second)
		got, err := db.ClaimJobs(ctx, "rescuer", 1, 30*time.Second)
		must(t, err)
		if len(got) != 1 || got[0].ID != j.ID || got[0].Attempts != 2 || got[0].LockedBy != "rescuer" {
			t.Fatalf("expired job not returned: %+v", got)
		}
		wantCode(t, db.CompleteJob(ctx, j.ID, "dies"), shop.ECONFLICT)
		wantCode(t, db.ExtendJobLease(ctx, j.ID, "dies", time.Minute), shop.ECONFLICT)

		// The rescuer dies too, and then the third worker: no attempts left,
		// so the job is dead rather than handed out forever.
		db.clock.Advance(time.Minute)
		third, err := db.ClaimJobs(ctx, "third", 1, 30*time.Second)
		must(t, err)
		if len(third) != 1 || third[0].Attempts != 3 {
			t.Fatalf("third claim %+v", third)
		}
		db.clock.Advance(time.Minute)
		if got, _ := db.ClaimJobs(ctx, "fourth", 1, 30*time.Second); len(got) != 0 {
			t.Fatalf("job with no attempts left handed out: %+v", got)
		}
		final, err := db.Job(ctx, j.ID)
		must(t, err)
		if final.Status != shop.JobDead {
			t.Fatalf("status %s", final.Status)
		}
	})
}

// TestJobsClaimedExactlyOnce: two workers drain 200 jobs concurrently; each
// job is claimed exactly once.
func TestJobsClaimedExactlyOnce(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		const n = 200
		must(t, db.WithTx(ctx, func(tx shop.Tx) error {
			for i := range n {
				if _, err := tx.Enqueue(ctx, &shop.Job{Kind: "k", Payload: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}); err != nil {
					return err
				}
			}
			return nil
		}))
		var mu sync.Mutex
		claims := map[int64][]string{}
		var wg sync.WaitGroup
		for w := range 2 {
			worker := fmt.Sprintf("worker-%d", w)
			wg.Go(func() {
				for {
					jobs, err := db.ClaimJobs(ctx, worker, 7, time.Minute)
					if err != nil {
						t.Errorf("%s: %v", worker, err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					for _, j := range jobs {
						mu.Lock()
						claims[j.ID] = append(claims[j.ID], worker)
						mu.Unlock()
						if err := db.CompleteJob(ctx, j.ID, worker); err != nil {
							t.Errorf("%s complete %d: %v", worker, j.ID, err)
						}
					}
				}
			})
		}
		wg.Wait()
		per := map[string]int{}
		for id, ws := range claims {
			if len(ws) != 1 {
				t.Errorf("job %d claimed by %v", id, ws)
			}
			per[ws[0]]++
		}
		if len(claims) != n {
			t.Fatalf("%d of %d jobs claimed", len(claims), n)
		}
		done, err := db.Jobs(ctx, shop.JobFilter{Status: []shop.JobStatus{shop.JobSucceeded}, Limit: 1000})
		must(t, err)
		if len(done) != n {
			t.Fatalf("%d succeeded", len(done))
		}
		t.Logf("claims per worker: %v", per)
	})
}

// TestRetryJob: only a dead job goes back in the queue, with its attempts
// from zero, and is then claimed like any other.
func TestRetryJob(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		j := &shop.Job{Kind: "renew_subscription", Payload: []byte(`{"subscription_id":1}`), MaxAttempts: 3}
		_, err := db.Enqueue(ctx, j)
		must(t, err)
		wantCode(t, db.RetryJob(ctx, j.ID, time.Time{}), shop.ECONFLICT) // queued
		claimed, err := db.ClaimJobs(ctx, "w1", 1, time.Minute)
		must(t, err)
		if len(claimed) != 1 {
			t.Fatalf("claimed %d", len(claimed))
		}
		wantCode(t, db.RetryJob(ctx, j.ID, time.Time{}), shop.ECONFLICT) // running
		must(t, db.FailJob(ctx, j.ID, "w1", "charge permission closed", time.Time{}))
		dead, err := db.Job(ctx, j.ID)
		must(t, err)
		if dead.Status != shop.JobDead {
			t.Fatalf("status %s, want dead", dead.Status)
		}

		later := db.clock.Now().Add(time.Hour)
		must(t, db.RetryJob(ctx, j.ID, later))
		got, err := db.Job(ctx, j.ID)
		must(t, err)
		if got.Status != shop.JobQueued || got.Attempts != 0 || !got.RunAt.Equal(later) || got.LastError != "charge permission closed" {
			t.Fatalf("after retry: %+v", got)
		}
		if early, _ := db.ClaimJobs(ctx, "w2", 1, time.Minute); len(early) != 0 {
			t.Fatal("retried job claimed before its run time")
		}
		db.clock.Advance(time.Hour)
		again, err := db.ClaimJobs(ctx, "w2", 1, time.Minute)
		must(t, err)
		if len(again) != 1 || again[0].ID != j.ID || again[0].Attempts != 1 {
			t.Fatalf("claimed after retry: %+v", again)
		}
		must(t, db.CompleteJob(ctx, j.ID, "w2"))
		wantCode(t, db.RetryJob(ctx, j.ID, time.Time{}), shop.ECONFLICT) // succeeded
		wantCode(t, db.RetryJob(ctx, 999999, time.Time{}), shop.ENOTFOUND)
	})
}

// TestWaitJob: a job waiting on Amazon Pay is queued again for the given
// time without using up an attempt, however often it waits, and can carry
// what it learnt in its payload; only the worker holding it may do so.
func TestWaitJob(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		j := &shop.Job{Kind: "renew", Payload: json.RawMessage(`{"period":1}`), MaxAttempts: 2}
		_, err := db.Enqueue(ctx, j)
		must(t, err)
		for i := range 5 { // more waits than MaxAttempts
			claimed, err := db.ClaimJobs(ctx, "w1", 1, time.Minute)
			must(t, err)
			if len(claimed) != 1 || claimed[0].Attempts != 1 {
				t.Fatalf("wait %d: claimed %+v", i, claimed)
			}
			wantCode(t, db.WaitJob(ctx, j.ID, "w2", "pending", nil, db.clock.Now().Add(time.Minute)), shop.ECONFLICT)
			var payload json.RawMessage
			if i == 2 {
				payload = json.RawMessage(`{"period":1,"pending_charge_id":"S01-1"}`)
			}
			must(t, db.WaitJob(ctx, j.ID, "w1", " authorization pending ", payload, db.clock.Now().Add(time.Minute)))
			got, err := db.Job(ctx, j.ID)
			must(t, err)
			if got.Status != shop.JobQueued || got.Attempts != 0 || got.LastError != "authorization pending" || got.LockedBy != "" ||
				!got.RunAt.Equal(db.clock.Now().Add(time.Minute)) {
				t.Fatalf("wait %d: %+v", i, got)
			}
			if want := `{"period":1}`; i >= 2 {
				want = `{"period":1,"pending_charge_id":"S01-1"}`
				if string(got.Payload) != want {
					t.Fatalf("wait %d: payload %s, want %s", i, got.Payload, want)
				}
			} else if string(got.Payload) != want {
				t.Fatalf("wait %d: payload %s, want %s", i, got.Payload, want)
			}
			if early, _ := db.ClaimJobs(ctx, "w1", 1, time.Minute); len(early) != 0 {
				t.Fatalf("wait %d: claimed before its time: %+v", i, early)
			}
			db.clock.Advance(time.Minute)
		}
		claimed, err := db.ClaimJobs(ctx, "w1", 1, time.Minute)
		must(t, err)
		if len(claimed) != 1 {
			t.Fatalf("claimed %+v", claimed)
		}
		wantCode(t, db.WaitJob(ctx, j.ID, "w1", "x", nil, time.Time{}), shop.EINVALID)
		wantCode(t, db.WaitJob(ctx, j.ID, "w1", "x", json.RawMessage(`{`), db.clock.Now()), shop.EINVALID)
		wantCode(t, db.WaitJob(ctx, 999, "w1", "x", nil, db.clock.Now()), shop.ENOTFOUND)
		must(t, db.CompleteJob(ctx, j.ID, "w1"))
		wantCode(t, db.WaitJob(ctx, j.ID, "w1", "x", nil, db.clock.Now()), shop.ECONFLICT)
	})
}

// TestWakeJobs: only queued jobs of the kind whose payload field holds the
// value, and that would run later, are brought forward.
func TestWakeJobs(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		now := db.clock.Now()
		later := now.Add(time.Hour)
		enqueue := func(kind, payload string, runAt time.Time) *shop.Job {
			j := &shop.Job{Kind: kind, Payload: json.RawMessage(payload), RunAt: runAt}
			_, err := db.Enqueue(ctx, j)
			must(t, err)
			return j
		}
		waiting := enqueue("renew", `{"period":2,"pending_charge_id":"S01-A"}`, later)
		other := enqueue("renew", `{"period":3,"pending_charge_id":"S01-B"}`, later)
		none := enqueue("renew", `{"period":4}`, later)
		otherKind := enqueue("upgrade", `{"pending_charge_id":"S01-A"}`, later)
		due := enqueue("renew", `{"pending_charge_id":"S01-A"}`, now.Add(-time.Minute))
		n, err := db.WakeJobs(ctx, "renew", "pending_charge_id", "S01-A", now)
		must(t, err)
		if n != 1 {
			t.Fatalf("woke %d jobs, want 1", n)
		}
		for _, c := range []struct {
			j    *shop.Job
			want time.Time
		}{{waiting, now}, {other, later}, {none, later}, {otherKind, later}, {due, now.Add(-time.Minute)}} {
			got, err := db.Job(ctx, c.j.ID)
			must(t, err)
			if !got.RunAt.Equal(c.want) || got.Status != shop.JobQueued {
				t.Errorf("job %s %s: run at %v (%s), want %v", got.Kind, got.Payload, got.RunAt, got.Status, c.want)
			}
		}
		for _, field := range []string{"", "a.b", "x' OR '1'='1", "$.x"} {
			_, err := db.WakeJobs(ctx, "renew", field, "v", now)
			wantCode(t, err, shop.EINVALID)
		}
	})
}
