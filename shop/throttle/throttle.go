// Package throttle spreads the shop's calls to Amazon Pay over the quota
// Amazon Pay grants each seller account, so bulk work (renewals,
// cancellations, re-authorizations) runs at the quota's full speed without
// collecting 429 TooManyRequests answers.
//
// The bucket itself lives in the shop's database ([shop.Throttle]): every
// shop instance takes its tokens from the same row, so two instances
// together never send more than the quota (a per-process limiter would let
// N instances send N times the quota). This package adds the waiting: a
// [Limiter] asks the shared bucket for a token and, when there is none,
// sleeps exactly as long as the bucket says the next token needs — so the
// burst is used at once and nobody waits longer than the quota requires.
//
// Amazon Pay can still answer 429 (another integration on the same seller
// account, or a quota lowered without notice). [Limiter.Throttled] then
// halves the bucket's restore rate (multiplicative decrease), and every
// later success adds back a tenth of the configured rate, at most once a
// second, until it is back to the configured rate (additive increase): the
// AIMD rule TCP uses for the same problem. The caller retries the 429'd
// request later with the same idempotency key.
package throttle

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/internal/ctxsleep"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/jobs"
)

// Quota is one operation's burst (maximum quota, requests) and restore rate
// (thousandths of a request per second; 1000 = one per second).
type Quota struct {
	Burst     int64
	RateMilli int64
}

// Config configures a [Limiter]. Store and Account are required.
type Config struct {
	// Store holds the shared buckets.
	Store shop.Throttle
	// Account names the seller account, see [shop.ThrottleAccount]; its
	// "sandbox/" or "live/" prefix selects Amazon's default quotas.
	Account string
	// Quotas overrides the published quotas per operation name (e.g. the
	// bulk test's 10 burst and 10/s). Applied by [Limiter.Configure].
	Quotas map[string]Quota
	// Now is the clock the bucket is refilled by (default time.Now). It
	// must be real time in production: the bucket mirrors Amazon's, which
	// refills in real time.
	Now func() time.Time
	// Sleep waits d or until ctx ends (default: a timer). Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Slack is added to every wait for a token (default 25 ms; negative
	// for none). It does not lower the rate — the bucket refills in
	// absolute time, so the next token is due at the same instant however
	// late this one was taken — but it keeps the request from reaching
	// Amazon before Amazon's own bucket, which started counting when the
	// first request of the burst arrived (a network latency after ours),
	// has refilled: without it the first request after the burst meets
	// 0.99 of a token and is throttled.
	Slack time.Duration
	// MinRateFraction bounds the multiplicative decrease: the rate never
	// goes below configured/MinRateFraction (default 8).
	MinRateFraction int64
}

// Limiter waits for tokens of the shared bucket. It is safe for concurrent
// use.
type Limiter struct {
	cfg Config

	mu         sync.Mutex
	configured map[string]Quota     // the rate each op recovers to
	current    map[string]int64     // the rate currently set after a decrease
	lastRaise  map[string]time.Time // last additive increase
	stats      Stats
}

// Stats counts what a Limiter did, for /metrics.
type Stats struct {
	// Waits is the number of Wait calls that had to sleep at least once.
	Waits int64
	// WaitedNanos is the total time slept in Wait.
	WaitedNanos int64
	// Tokens is the number of tokens taken.
	Tokens int64
	// Throttled is the number of 429 answers reported.
	Throttled int64
}

// New returns a Limiter.
func New(cfg Config) (*Limiter, error) {
	if cfg.Store == nil || cfg.Account == "" {
		return nil, errors.New("throttle: Config needs a Store and an Account")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = ctxsleep.Sleep
	}
	if cfg.Slack == 0 {
		cfg.Slack = 25 * time.Millisecond
	}
	if cfg.Slack < 0 {
		cfg.Slack = 0
	}
	if cfg.MinRateFraction <= 0 {
		cfg.MinRateFraction = 8
	}
	return &Limiter{cfg: cfg, configured: map[string]Quota{}, current: map[string]int64{}, lastRaise: map[string]time.Time{}}, nil
}

// Account returns the bucket owner the Limiter takes tokens from.
func (l *Limiter) Account() string { return l.cfg.Account }

// Configure writes the configured quotas (Config.Quotas) to the shared
// buckets, so every instance uses them. Operations not listed keep the
// published defaults, created on first use.
func (l *Limiter) Configure(ctx context.Context) error {
	for op, q := range l.cfg.Quotas {
		if err := l.cfg.Store.SetThrottleLimit(ctx, l.cfg.Account, op, q.Burst, q.RateMilli); err != nil {
			return err
		}
	}
	return nil
}

// quota is the rate op recovers to: an override or the published default.
func (l *Limiter) quota(op string) Quota {
	if q, ok := l.cfg.Quotas[op]; ok {
		return q
	}
	b, r := shop.DefaultThrottleLimit(l.cfg.Account, op)
	return Quota{Burst: b, RateMilli: r}
}

// Wait blocks until a request of opClass may be sent: it takes one token
// from the shared bucket, sleeping exactly as long as the bucket says the
// next token needs. It returns ctx's error if ctx ends first.
func (l *Limiter) Wait(ctx context.Context, opClass string) error {
	slept := false
	for {
		ok, wait, err := l.cfg.Store.TakeToken(ctx, l.cfg.Account, opClass, l.cfg.Now())
		if err != nil {
			return err
		}
		if ok {
			l.mu.Lock()
			l.stats.Tokens++
			if slept {
				l.stats.Waits++
			}
			l.mu.Unlock()
			return nil
		}
		slept = true
		start := time.Now()
		err = l.cfg.Sleep(ctx, wait+l.cfg.Slack)
		l.mu.Lock()
		l.stats.WaitedNanos += int64(time.Since(start))
		l.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// Throttled records a 429 for opClass: the shared bucket's restore rate is
// halved (not below configured/MinRateFraction) and emptied of nothing —
// the next Wait sees the slower rate at once, in every instance. It returns
// how long the caller should wait before retrying: one token at the new
// rate.
func (l *Limiter) Throttled(ctx context.Context, opClass string) (time.Duration, error) {
	q := l.quota(opClass)
	l.mu.Lock()
	l.stats.Throttled++
	cur, ok := l.current[opClass]
	if !ok {
		cur = q.RateMilli
	}
	next := max(cur/2, q.RateMilli/l.cfg.MinRateFraction, 1)
	l.current[opClass] = next
	l.lastRaise[opClass] = l.cfg.Now()
	l.mu.Unlock()
	if err := l.cfg.Store.SetThrottleLimit(ctx, l.cfg.Account, opClass, q.Burst, next); err != nil {
		return 0, err
	}
	return time.Duration(int64(time.Second) * 1000 / next), nil
}

// Succeeded records an accepted request of opClass. After a decrease, it
// adds a tenth of the configured rate back, at most once a second, until
// the configured rate is reached. Without a previous decrease it does not
// touch the database.
func (l *Limiter) Succeeded(ctx context.Context, opClass string) error {
	q := l.quota(opClass)
	l.mu.Lock()
	cur, ok := l.current[opClass]
	now := l.cfg.Now()
	if !ok || now.Sub(l.lastRaise[opClass]) < time.Second {
		l.mu.Unlock()
		return nil
	}
	next := min(cur+max(q.RateMilli/10, 1), q.RateMilli)
	if next >= q.RateMilli {
		delete(l.current, opClass)
	} else {
		l.current[opClass] = next
	}
	l.lastRaise[opClass] = now
	l.mu.Unlock()
	return l.cfg.Store.SetThrottleLimit(ctx, l.cfg.Account, opClass, q.Burst, next)
}

// Stats returns the counters so far.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// IsThrottled reports whether err is Amazon Pay's 429 TooManyRequests.
func IsThrottled(err error) bool {
	var apiErr *amazonpay.APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == 429 || apiErr.ReasonCode == amazonpay.ReasonTooManyRequests)
}

// Gauges returns the limiter's counters as /metrics samples.
func (l *Limiter) Gauges() []jobs.Gauge {
	st := l.Stats()
	acct := map[string]string{"account": l.cfg.Account}
	return []jobs.Gauge{
		{Name: "apay_throttle_tokens_total", Help: "Tokens taken from the shared Amazon Pay quota buckets.", Type: "counter", Labels: acct, Value: float64(st.Tokens)},
		{Name: "apay_throttle_waits_total", Help: "Calls that waited for a token.", Type: "counter", Labels: acct, Value: float64(st.Waits)},
		{Name: "apay_throttle_wait_seconds_total", Help: "Time spent waiting for tokens.", Type: "counter", Labels: acct, Value: float64(st.WaitedNanos) / 1e9},
		{Name: "apay_throttle_429_total", Help: "TooManyRequests answers from Amazon Pay (each shrinks the rate).", Type: "counter", Labels: acct, Value: float64(st.Throttled)},
	}
}
