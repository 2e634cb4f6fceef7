// Package jobs runs the shop's durable background work: it claims jobs from
// the outbox table ([shop.JobQueue]) under a lease, runs the handler
// registered for each job's kind, keeps the lease alive while the handler
// runs, and records the outcome — done, retry later with backoff, or dead
// (kept for the merchant to inspect).
//
// Several runners, in one process or in many sharing the database, can run
// at once: ClaimJobs hands each job to exactly one of them, and a runner
// that dies (kill -9) leaves its jobs running until their lease expires,
// when another runner claims them again. Delivery is therefore at least
// once, and handlers must be idempotent; the money-moving ones are, because
// the Amazon Pay idempotency key is derived from the job's payload, not made
// fresh per attempt — a retried job sends the same key and Amazon Pay
// answers with the first result instead of charging twice.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apaykit/apaykit/internal/ctxsleep"
	"github.com/apaykit/apaykit/shop"
)

// Handler does one job. A nil error completes it; [Permanent] marks it
// dead at once; [RetryAt] asks for a retry at a given time (a 429);
// [Wait] puts it back for later without using up an attempt (a pending
// authorization); any other error retries with backoff until MaxAttempts.
type Handler func(ctx context.Context, j *shop.Job) error

// Defaults of [Config].
const (
	DefaultConcurrency = 4
	DefaultLease       = 15 * time.Second
	DefaultPoll        = time.Second
	DefaultBaseBackoff = 5 * time.Second
	DefaultMaxBackoff  = time.Hour
)

// Config configures a [Runner]. Store is required.
type Config struct {
	// Store is the job outbox.
	Store shop.JobQueue
	// WorkerID identifies this runner in the jobs table (locked_by);
	// default "<random>". Must differ between runners.
	WorkerID string
	// Concurrency is how many jobs run at once (default 4).
	Concurrency int
	// Lease is how long a claimed job is reserved; it is extended every
	// Lease/3 while the handler runs (default 15 s: a runner killed with
	// SIGKILL leaves its jobs to the others that much later).
	Lease time.Duration
	// Poll is how often an idle runner looks for due jobs (default 1 s).
	Poll time.Duration
	// BaseBackoff and MaxBackoff shape the retry delay of a failed job:
	// BaseBackoff·2^(attempt-1), capped (default 5 s and 1 h).
	BaseBackoff, MaxBackoff time.Duration
	// Now is the clock retry times are computed from (default time.Now);
	// use the store's clock.
	Now func() time.Time
	// Logger receives one line per failed job (default discard).
	Logger *slog.Logger
}

// Runner claims and runs jobs. Register handlers with Handle before Run.
type Runner struct {
	cfg      Config
	handlers map[string]Handler
	log      *slog.Logger
	metrics  Metrics
}

// Metrics counts what a Runner did since it started. Safe to read while it
// runs.
type Metrics struct {
	Claimed   atomic.Int64
	Succeeded atomic.Int64
	Retried   atomic.Int64
	Dead      atomic.Int64
	// Waited counts runs that put their job back to wait ([Wait]).
	Waited atomic.Int64
	// LostLease counts outcomes that could not be recorded because the
	// lease had passed to another runner.
	LostLease atomic.Int64
}

// New returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Store == nil {
		return nil, errors.New("jobs: Config needs a Store")
	}
	if cfg.WorkerID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		cfg.WorkerID = "worker-" + hex.EncodeToString(b[:])
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = DefaultBaseBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg, handlers: map[string]Handler{}, log: log}, nil
}

// WorkerID returns the id this runner claims jobs under.
func (r *Runner) WorkerID() string { return r.cfg.WorkerID }

// Metrics returns the runner's counters.
func (r *Runner) Metrics() *Metrics { return &r.metrics }

// Handle registers h for jobs of kind. Not safe concurrently with Run.
func (r *Runner) Handle(kind string, h Handler) { r.handlers[kind] = h }

// Kinds lists the registered kinds.
func (r *Runner) Kinds() []string {
	out := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		out = append(out, k)
	}
	return out
}

// Run claims and runs jobs until ctx ends, then stops claiming and waits for
// the jobs in flight to finish (graceful stop: their handlers see a context
// that is not canceled, so an Amazon call in progress completes and its
// outcome is recorded). It returns nil after a graceful stop.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	work := context.WithoutCancel(ctx)
	finished := make(chan struct{}, r.cfg.Concurrency)
	running := 0
	for ctx.Err() == nil {
		if running == r.cfg.Concurrency {
			select {
			case <-finished:
				running--
			case <-ctx.Done():
			}
			continue
		}
		free := r.cfg.Concurrency - running
		js, err := r.cfg.Store.ClaimJobs(ctx, r.cfg.WorkerID, free, r.cfg.Lease)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("claim jobs failed", "err", err)
		}
		for _, j := range js {
			running++
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.runOne(work, j)
				finished <- struct{}{}
			}()
		}
		if len(js) == free && err == nil {
			continue // there may be more due right now
		}
		t := time.NewTimer(r.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-finished:
			running--
		}
		t.Stop()
	}
	return nil
}

// RunDue claims and runs due jobs until none is left (or ctx ends), with
// Concurrency in parallel, and returns how many it ran. progress, if not
// nil, is called after each job. It is what `apay jobs run` and tests use.
func (r *Runner) RunDue(ctx context.Context, progress func(done int)) (int, error) {
	var done atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, r.cfg.Concurrency)
	for range r.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				js, err := r.cfg.Store.ClaimJobs(ctx, r.cfg.WorkerID, 1, r.cfg.Lease)
				if err != nil {
					errc <- err
					return
				}
				if len(js) == 0 {
					return
				}
				r.runOne(ctx, js[0])
				n := done.Add(1)
				if progress != nil {
					progress(int(n))
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return int(done.Load()), err
	}
	return int(done.Load()), ctx.Err()
}

// runOne runs j's handler with its lease kept alive, and records the
// outcome.
func (r *Runner) runOne(ctx context.Context, j *shop.Job) {
	r.metrics.Claimed.Add(1)
	h, ok := r.handlers[j.Kind]
	if !ok {
		r.fail(ctx, j, Permanent(fmt.Errorf("no handler for job kind %q", j.Kind)))
		return
	}
	hctx, cancel := context.WithCancel(ctx)
	stop := r.keepLease(hctx, cancel, j)
	err := safeCall(hctx, h, j)
	stop()
	cancel()
	if err == nil {
		if cerr := r.cfg.Store.CompleteJob(ctx, j.ID, r.cfg.WorkerID); cerr != nil {
			r.lost(j, cerr)
			return
		}
		r.metrics.Succeeded.Add(1)
		return
	}
	r.fail(ctx, j, err)
}

// keepLease extends j's lease every Lease/3 until stop is called. If the
// lease was lost (another runner took the job), the handler's context is
// canceled so it stops early.
func (r *Runner) keepLease(ctx context.Context, cancel context.CancelFunc, j *shop.Job) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				err := r.cfg.Store.ExtendJobLease(ctx, j.ID, r.cfg.WorkerID, r.cfg.Lease)
				if shop.ErrorCode(err) == shop.ECONFLICT {
					r.log.Warn("job lease lost", "job", j.ID, "kind", j.Kind)
					cancel()
					return
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// fail records a failed attempt: dead for a Permanent error or the last
// attempt, otherwise queued again at the requested time or after backoff.
func (r *Runner) fail(ctx context.Context, j *shop.Job, err error) {
	var wait *waitError
	if errors.As(err, &wait) {
		r.wait(ctx, j, wait)
		return
	}
	var retryAt time.Time
	var perm *permanentError
	var at *retryAtError
	switch {
	case errors.As(err, &perm):
	case errors.As(err, &at):
		retryAt = at.at
	default:
		retryAt = r.cfg.Now().Add(Backoff(j.Attempts, r.cfg.BaseBackoff, r.cfg.MaxBackoff))
	}
	dead := retryAt.IsZero() || j.Attempts >= j.MaxAttempts
	if ferr := r.cfg.Store.FailJob(ctx, j.ID, r.cfg.WorkerID, shop.ErrorMessage(err)+detail(err), retryAt); ferr != nil {
		r.lost(j, ferr)
		return
	}
	if dead {
		r.metrics.Dead.Add(1)
		r.log.Warn("job dead", "job", j.ID, "kind", j.Kind, "attempts", j.Attempts, "err", err)
		return
	}
	r.metrics.Retried.Add(1)
	r.log.Info("job retried", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "at", retryAt, "err", err)
}

// wait queues j again for later without counting the run as an attempt.
func (r *Runner) wait(ctx context.Context, j *shop.Job, w *waitError) {
	note := w.err.Error() // a reason to wait, not an internal error
	if shop.ErrorCode(w.err) != shop.EINTERNAL {
		note = shop.ErrorMessage(w.err)
	}
	if err := r.cfg.Store.WaitJob(ctx, j.ID, r.cfg.WorkerID, note, w.payload, w.at); err != nil {
		r.lost(j, err)
		return
	}
	r.metrics.Waited.Add(1)
	r.log.Info("job waiting", "job", j.ID, "kind", j.Kind, "until", w.at, "reason", w.err)
}

// detail adds the text of a non-shop error (a shop.Error's message is
// already the whole story). Handlers return no secrets in errors.
func detail(err error) string {
	if shop.ErrorCode(err) != shop.EINTERNAL {
		return ""
	}
	return ": " + err.Error()
}

func (r *Runner) lost(j *shop.Job, err error) {
	r.metrics.LostLease.Add(1)
	r.log.Warn("job outcome not recorded", "job", j.ID, "kind", j.Kind, "err", err)
}

// safeCall runs h, turning a panic into a permanent failure so one bad job
// cannot take the runner down.
func safeCall(ctx context.Context, h Handler, j *shop.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("handler panicked: %v", p))
		}
	}()
	return h(ctx, j)
}

// Backoff is the delay before retry number attempt (1-based):
// base·2^(attempt-1), at most limit.
func Backoff(attempt int, base, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying: the job goes dead at once, with
// err's message, for the merchant to look at.
func Permanent(err error) error { return &permanentError{err} }

type retryAtError struct {
	err error
	at  time.Time
}

func (e *retryAtError) Error() string { return e.err.Error() }
func (e *retryAtError) Unwrap() error { return e.err }

// RetryAt asks for the job to run again at at (unless it has used all its
// attempts), e.g. after a 429.
func RetryAt(err error, at time.Time) error { return &retryAtError{err, at} }

type waitError struct {
	err     error
	at      time.Time
	payload json.RawMessage
}

func (e *waitError) Error() string { return e.err.Error() }
func (e *waitError) Unwrap() error { return e.err }

// Wait asks for the job to run again at at without counting this run as
// an attempt: the job is not failing, it is waiting on something outside,
// such as an authorization Amazon Pay may take up to 24 hours to decide,
// longer than MaxAttempts retries would last. payload, if not nil,
// replaces the job's payload, so the next run knows what this one learnt
// (the charge to look at rather than create again).
func Wait(reason error, at time.Time, payload json.RawMessage) error {
	return &waitError{err: reason, at: at, payload: payload}
}

// Drain runs due jobs until no job is queued to run within horizon of now:
// unlike RunDue it also waits for jobs that were put back for a short while
// (a 429's retry, a backoff), so `apay subscriptions renew --due` ends with
// the work done, not merely attempted. It returns how many job runs it made.
func (r *Runner) Drain(ctx context.Context, horizon time.Duration, progress func(done int)) (int, error) {
	total := 0
	for {
		n, err := r.RunDue(ctx, func(done int) {
			if progress != nil {
				progress(total + done)
			}
		})
		total += n
		if err != nil {
			return total, err
		}
		next, ok, err := r.nextQueued(ctx)
		if err != nil {
			return total, err
		}
		wait := next.Sub(r.cfg.Now())
		if !ok || wait > horizon {
			return total, nil
		}
		if err := ctxsleep.Sleep(ctx, max(wait, time.Millisecond)); err != nil {
			return total, err
		}
	}
}

// nextQueued returns the earliest RunAt of a queued job, or of a running
// job's lease end (its runner may have died).
func (r *Runner) nextQueued(ctx context.Context) (time.Time, bool, error) {
	js, err := r.cfg.Store.Jobs(ctx, shop.JobFilter{Status: []shop.JobStatus{shop.JobQueued, shop.JobRunning}, Limit: 1000})
	if err != nil {
		return time.Time{}, false, err
	}
	var next time.Time
	for _, j := range js {
		at := j.RunAt
		if j.Status == shop.JobRunning {
			at = j.LockedUntil
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, !next.IsZero(), nil
}
