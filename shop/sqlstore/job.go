package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/apaykit/apaykit/shop"
)

const jobColumns = `id, kind, payload, run_at, attempts, max_attempts, last_error, locked_by, locked_until, idempotency_key, status, created_at, updated_at`

// Enqueue implements [shop.JobQueue].
func (c *conn) Enqueue(ctx context.Context, j *shop.Job) (bool, error) {
	if j.Kind == "" || len(j.Kind) > 100 {
		return false, shop.Errorf(shop.EINVALID, "A job needs a kind of at most 100 characters.")
	}
	if len(j.Payload) == 0 {
		j.Payload = json.RawMessage("null")
	}
	if !json.Valid(j.Payload) {
		return false, shop.Errorf(shop.EINVALID, "Job payload is not valid JSON.")
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = shop.DefaultMaxAttempts
	}
	now := c.now()
	if j.RunAt.IsZero() {
		j.RunAt = now
	}
	j.RunAt = j.RunAt.UTC().Truncate(time.Microsecond)
	var created bool
	err := c.atomic(ctx, func(c *conn) error {
		err := c.q.QueryRowContext(ctx, `
			INSERT INTO jobs (kind, payload, run_at, attempts, max_attempts, idempotency_key, status, created_at, updated_at)
			VALUES ($1, $2, $3, 0, $4, $5, 'queued', $6, $6)
			ON CONFLICT DO NOTHING RETURNING id`,
			j.Kind, string(j.Payload), us(j.RunAt), j.MaxAttempts, nullStr(j.IdempotencyKey), us(now)).Scan(&j.ID)
		if err == nil {
			created = true
			j.Status, j.Attempts, j.CreatedAt, j.UpdatedAt = shop.JobQueued, 0, now, now
			return nil
		}
		if err != sql.ErrNoRows {
			return err
		}
		existing, err := scanJob(c.q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE idempotency_key = $1`, j.IdempotencyKey))
		if err != nil {
			return err
		}
		*j = *existing
		return nil
	})
	return created, wrap("enqueue", err)
}

// ClaimJobs implements [shop.JobQueue]. On PostgreSQL the candidate rows
// are selected FOR UPDATE SKIP LOCKED, so concurrent claimers take disjoint
// sets without waiting; on SQLite the statement runs under the database
// write lock. A job whose lease expired with no attempts left is marked
// dead instead of being handed out again, so a job that kills its worker
// cannot loop forever.
func (c *conn) ClaimJobs(ctx context.Context, workerID string, n int, lease time.Duration) ([]*shop.Job, error) {
	if workerID == "" || n <= 0 || lease <= 0 {
		return nil, shop.Errorf(shop.EINVALID, "ClaimJobs needs a worker id, a positive count and a positive lease.")
	}
	var out []*shop.Job
	err := c.atomic(ctx, func(c *conn) error {
		now := c.now()
		if _, err := c.q.ExecContext(ctx, `
			UPDATE jobs SET status = 'dead', last_error = 'lease expired after the last attempt', locked_by = '', locked_until = NULL, updated_at = $1
			WHERE status = 'running' AND locked_until < $1 AND attempts >= max_attempts`, us(now)); err != nil {
			return err
		}
		rows, err := c.q.QueryContext(ctx, `
			UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3
			WHERE id IN (
				SELECT id FROM jobs
				WHERE (status = 'queued' AND run_at <= $3) OR (status = 'running' AND locked_until < $3)
				ORDER BY run_at, id LIMIT $4`+c.db.dialect.skipLocked()+`)
			RETURNING `+jobColumns,
			workerID, us(now.Add(lease)), us(now), n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("claim jobs", err)
	}
	sortJobs(out)
	return out, nil
}

// sortJobs orders claimed jobs by RunAt then ID (RETURNING has no order).
func sortJobs(js []*shop.Job) {
	for i := 1; i < len(js); i++ {
		for k := i; k > 0 && (js[k].RunAt.Before(js[k-1].RunAt) || js[k].RunAt.Equal(js[k-1].RunAt) && js[k].ID < js[k-1].ID); k-- {
			js[k], js[k-1] = js[k-1], js[k]
		}
	}
}

// ExtendJobLease implements [shop.JobQueue].
func (c *conn) ExtendJobLease(ctx context.Context, id int64, workerID string, lease time.Duration) error {
	now := c.now()
	res, err := c.q.ExecContext(ctx, `UPDATE jobs SET locked_until = $1, updated_at = $2 WHERE id = $3 AND status = 'running' AND locked_by = $4`,
		us(now.Add(lease)), us(now), id, workerID)
	if err != nil {
		return wrap("extend lease", err)
	}
	return c.heldCheck(ctx, res, id)
}

// CompleteJob implements [shop.JobQueue].
func (c *conn) CompleteJob(ctx context.Context, id int64, workerID string) error {
	res, err := c.q.ExecContext(ctx, `
		UPDATE jobs SET status = 'succeeded', locked_until = NULL, updated_at = $1
		WHERE id = $2 AND status = 'running' AND locked_by = $3`, us(c.now()), id, workerID)
	if err != nil {
		return wrap("complete job", err)
	}
	return c.heldCheck(ctx, res, id)
}

// FailJob implements [shop.JobQueue].
func (c *conn) FailJob(ctx context.Context, id int64, workerID, errMsg string, retryAt time.Time) error {
	var retry int64
	if !retryAt.IsZero() {
		retry = retryAt.UnixMicro()
	}
	res, err := c.q.ExecContext(ctx, `
		UPDATE jobs SET
			status = CASE WHEN CAST($1 AS BIGINT) = 0 OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
			run_at = CASE WHEN CAST($1 AS BIGINT) = 0 THEN run_at ELSE CAST($1 AS BIGINT) END,
			last_error = $2, locked_by = '', locked_until = NULL, updated_at = $3
		WHERE id = $4 AND status = 'running' AND locked_by = $5`,
		retry, truncate(strings.TrimSpace(errMsg), 2000), us(c.now()), id, workerID)
	if err != nil {
		return wrap("fail job", err)
	}
	return c.heldCheck(ctx, res, id)
}

// WaitJob implements [shop.JobQueue].
func (c *conn) WaitJob(ctx context.Context, id int64, workerID, note string, payload json.RawMessage, runAt time.Time) error {
	if runAt.IsZero() {
		return shop.Errorf(shop.EINVALID, "A waiting job needs the time to look again.")
	}
	var newPayload any // NULL keeps the payload
	if payload != nil {
		if !json.Valid(payload) {
			return shop.Errorf(shop.EINVALID, "Job payload must be JSON.")
		}
		newPayload = string(payload)
	}
	res, err := c.q.ExecContext(ctx, `
		UPDATE jobs SET status = 'queued', run_at = $1, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
			payload = COALESCE($2, payload), last_error = $3, locked_by = '', locked_until = NULL, updated_at = $4
		WHERE id = $5 AND status = 'running' AND locked_by = $6`,
		us(runAt), newPayload, truncate(strings.TrimSpace(note), 2000), us(c.now()), id, workerID)
	if err != nil {
		return wrap("wait job", err)
	}
	return c.heldCheck(ctx, res, id)
}

// WakeJobs implements [shop.JobQueue].
func (c *conn) WakeJobs(ctx context.Context, kind, field, value string, at time.Time) (int64, error) {
	if kind == "" || !jsonFieldName(field) || at.IsZero() {
		return 0, shop.Errorf(shop.EINVALID, "Waking jobs needs a kind, a payload field name and a time.")
	}
	res, err := c.q.ExecContext(ctx, `
		UPDATE jobs SET run_at = $1, updated_at = $2
		WHERE kind = $3 AND status = 'queued' AND run_at > $1 AND `+c.db.dialect.jsonText("payload", field)+` = $4`,
		us(at), us(c.now()), kind, value)
	if err != nil {
		return 0, wrap("wake jobs", err)
	}
	return affected(res)
}

// jsonFieldName reports whether f can be put in a JSON path as it is.
func jsonFieldName(f string) bool {
	if f == "" || len(f) > 64 {
		return false
	}
	for _, r := range f {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// RetryJob implements [shop.JobQueue].
func (c *conn) RetryJob(ctx context.Context, id int64, runAt time.Time) error {
	now := c.now()
	if runAt.IsZero() {
		runAt = now
	}
	res, err := c.q.ExecContext(ctx, `
		UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, locked_by = '', locked_until = NULL, updated_at = $2
		WHERE id = $3 AND status = 'dead'`,
		us(runAt), us(now), id)
	if err != nil {
		return wrap("retry job", err)
	}
	if n, err := affected(res); err != nil || n == 1 {
		return err
	}
	j, err := c.Job(ctx, id)
	if err != nil {
		return err
	}
	return shop.Errorf(shop.ECONFLICT, "Job %d is %s; only dead jobs can be retried.", id, j.Status)
}

// heldCheck turns "no row updated" into ENOTFOUND or ECONFLICT.
func (c *conn) heldCheck(ctx context.Context, res sql.Result, id int64) error {
	if n, err := affected(res); err != nil || n == 1 {
		return err
	}
	if _, err := c.Job(ctx, id); err != nil {
		return err
	}
	return shop.Errorf(shop.ECONFLICT, "Job %d is no longer held by this worker (its lease expired).", id)
}

// Job implements [shop.JobQueue].
func (c *conn) Job(ctx context.Context, id int64) (*shop.Job, error) {
	j, err := scanJob(c.q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	return j, wrap("job", notFound(err, "Job %d not found.", id))
}

// Jobs implements [shop.JobQueue].
func (c *conn) Jobs(ctx context.Context, f shop.JobFilter) ([]*shop.Job, error) {
	var where []string
	var args []any
	if f.Kind != "" {
		args = append(args, f.Kind)
		where = append(where, "kind = $1")
	}
	if len(f.Status) > 0 {
		var ph []string
		for _, s := range f.Status {
			args = append(args, string(s))
			ph = append(ph, "$"+itoa(len(args)))
		}
		where = append(where, "status IN ("+strings.Join(ph, ", ")+")")
	}
	query := `SELECT ` + jobColumns + ` FROM jobs`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit(f.Limit))
	query += ` ORDER BY id DESC LIMIT $` + itoa(len(args))
	rows, err := c.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap("jobs", err)
	}
	defer rows.Close()
	var out []*shop.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, wrap("jobs", err)
		}
		out = append(out, j)
	}
	return out, wrap("jobs", rows.Err())
}

func scanJob(s scanner) (*shop.Job, error) {
	var j shop.Job
	var payload string
	var key sql.NullString
	err := s.Scan(&j.ID, &j.Kind, &payload, tm(&j.RunAt), &j.Attempts, &j.MaxAttempts, &j.LastError, &j.LockedBy,
		tm(&j.LockedUntil), &key, &j.Status, tm(&j.CreatedAt), tm(&j.UpdatedAt))
	if err != nil {
		return nil, err
	}
	j.Payload = json.RawMessage(payload)
	j.IdempotencyKey = key.String
	return &j, nil
}
