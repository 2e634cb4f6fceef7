package shop

import (
	"context"
	"encoding/json"
	"time"
)

// JobStatus is where a job stands in the queue.
type JobStatus string

// List of values that JobStatus can take.
const (
	// JobQueued: waiting for RunAt.
	JobQueued JobStatus = "queued"
	// JobRunning: claimed by a worker until LockedUntil. A worker that dies
	// leaves it running; once the lease has passed, ClaimJobs hands it out
	// again.
	JobRunning JobStatus = "running"
	// JobSucceeded: done.
	JobSucceeded JobStatus = "succeeded"
	// JobDead: failed MaxAttempts times, or failed with no retry; kept
	// for inspection.
	JobDead JobStatus = "dead"
)

// Job is a durable unit of background work (re-authorization, renewal,
// notification processing, bulk capture) in the shop's own database: an
// outbox. It is enqueued in the same transaction as the state change that
// calls for it, so the two commit or roll back together — no lost jobs, no
// jobs for changes that never happened.
//
// Why an outbox table and not River: River's SQLite driver is served only
// in an older version and is described as early testing, so River would
// give PostgreSQL a different queue than SQLite — two code paths for the
// part of the system that most needs testing. The outbox is one table and
// the same four operations on both databases (FOR UPDATE SKIP LOCKED on
// PostgreSQL, BEGIN IMMEDIATE on SQLite), and the shop's volume (a few jobs
// per order) is far below what a polling table handles.
//
// Delivery is at least once: a job whose worker dies after doing the work but
// before CompleteJob runs again after its lease. Handlers must therefore be
// idempotent; the money-moving ones are, through [MoneyMovement] keys.
type Job struct {
	ID int64
	// Kind selects the handler, e.g. "reauthorize", "renew_subscription".
	Kind string
	// Payload is the handler's input as JSON. No secrets, no buyer data
	// beyond IDs.
	Payload     json.RawMessage
	RunAt       time.Time
	Attempts    int
	MaxAttempts int
	LastError   string
	LockedBy    string
	LockedUntil time.Time
	// IdempotencyKey, if set, makes Enqueue a no-op when a job with the
	// same key exists (in any status), e.g. "renew:42:2026-12".
	IdempotencyKey string
	Status         JobStatus
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// DefaultMaxAttempts is used when a job is enqueued with MaxAttempts 0.
const DefaultMaxAttempts = 10

// JobFilter selects jobs for [Store.Jobs].
type JobFilter struct {
	Status []JobStatus
	Kind   string
	Limit  int // 0 means 100, at most 1000
}

// JobQueue is the job part of the store.
type JobQueue interface {
	// Enqueue adds j (Kind, Payload, RunAt — zero means now —,
	// MaxAttempts, IdempotencyKey) in status queued and sets its ID. If
	// IdempotencyKey is set and a job with that key exists, j is filled
	// from the existing job and created is false. Call it on the Tx of the
	// state change. Returns EINVALID for an empty kind or invalid payload.
	Enqueue(ctx context.Context, j *Job) (created bool, err error)
	// ClaimJobs hands at most n due jobs (queued with RunAt ≤ now, or
	// running with an expired lease) to workerID for lease: status running,
	// LockedBy workerID, LockedUntil now+lease, Attempts+1. Safe with many
	// workers in many processes: each job goes to exactly one of them.
	ClaimJobs(ctx context.Context, workerID string, n int, lease time.Duration) ([]*Job, error)
	// ExtendJobLease pushes LockedUntil to now+lease for a long job.
	// Returns ECONFLICT if workerID no longer holds the job.
	ExtendJobLease(ctx context.Context, id int64, workerID string, lease time.Duration) error
	// CompleteJob marks a job succeeded. Returns ECONFLICT if workerID no
	// longer holds it (its lease expired and another worker took it), and
	// ENOTFOUND.
	CompleteJob(ctx context.Context, id int64, workerID string) error
	// FailJob records errMsg (truncated; no secrets) and requeues the job
	// for retryAt, or marks it dead if retryAt is zero or MaxAttempts is
	// reached. Returns ECONFLICT if workerID no longer holds it, ENOTFOUND.
	FailJob(ctx context.Context, id int64, workerID, errMsg string, retryAt time.Time) error
	// WaitJob puts a running job back in the queue for runAt without
	// counting the run as an attempt, with note as its last error and
	// payload, if not nil, replacing its payload: for a job waiting on
	// something outside that may take longer than its retries would last,
	// such as an authorization Amazon Pay decides within 24 hours. Returns
	// ECONFLICT if workerID no longer holds it, ENOTFOUND, EINVALID for a
	// zero runAt or a payload that is not JSON.
	WaitJob(ctx context.Context, id int64, workerID, note string, payload json.RawMessage, runAt time.Time) error
	// WakeJobs moves the queued jobs of kind whose payload holds the
	// string value at the top-level field, and that are due after at, to
	// run at at; it returns how many. For news that ends a wait early: a
	// notification that the charge a renewal waits on was decided. field
	// must be a JSON field name of letters, digits and underscores
	// (EINVALID otherwise).
	WakeJobs(ctx context.Context, kind, field, value string, at time.Time) (int64, error)
	// RetryJob puts a dead job back in the queue, due at runAt (zero
	// means now), with its attempts counted from zero again and its last
	// error kept until it runs. For an operator who fixed what made it
	// fail; handlers are idempotent, so a retry never repeats work that
	// was done. Returns ENOTFOUND, and ECONFLICT unless the job is dead.
	RetryJob(ctx context.Context, id int64, runAt time.Time) error
	// Job returns a job. Returns ENOTFOUND.
	Job(ctx context.Context, id int64) (*Job, error)
	// Jobs lists jobs, newest first.
	Jobs(ctx context.Context, f JobFilter) ([]*Job, error)
}
