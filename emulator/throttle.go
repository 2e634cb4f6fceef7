package emulator

import (
	"net/http"
	"sync"
	"time"
)

// Throttling configures the emulator's 429 answers. Amazon throttles per
// merchant and operation with a token bucket: a burst ("max quota") that
// refills at a restore rate per second, lower in sandbox (api-objects.md
// §15). Buckets run on real time, not the emulator clock: throttling is about
// request rate, and moving business time by 30 days must not refill them.
type Throttling struct {
	// Enabled turns throttling on (default off).
	Enabled bool
	// Burst and Restore, when > 0, replace Amazon's figures for every
	// operation (the shop's bulk tests use 10 and 10/s).
	Burst   float64
	Restore float64
	// Overrides replace the figures for single operations, by name.
	Overrides map[string]Quota
}

// Quota is one bucket's size and refill rate per second.
type Quota struct {
	Burst   float64 `json:"burst"`
	Restore float64 `json:"restore"`
}

// amazonQuotas is api-objects.md §15 (current page): live and sandbox.
var amazonQuotas = map[string][2]Quota{
	"CancelCharge":            {{10, 2}, {2, 1}},
	"CaptureCharge":           {{20, 4}, {2, 1}},
	"CloseChargePermission":   {{10, 2}, {2, 1}},
	"CompleteCheckoutSession": {{20, 4}, {2, 1}},
	"CreateCharge":            {{10, 4}, {2, 1}},
	"CreateCheckoutSession":   {{40, 16}, {5, 1}},
	"CreateMerchantAccount":   {{10, 1}, {1, 1}},
	"CreateRefund":            {{10, 4}, {2, 1}},
	"DeliveryTrackers":        {{10, 1}, {1, 1}},
	"GetAuthorizationToken":   {{5, 1}, {5, 1}},
	"GetCharge":               {{20, 4}, {5, 1}},
	"GetChargePermission":     {{20, 4}, {10, 1}},
	"GetCheckoutSession":      {{40, 8}, {10, 1}},
	"GetRefund":               {{20, 4}, {5, 1}},
	"UpdateChargePermission":  {{10, 2}, {5, 1}},
	"UpdateCheckoutSession":   {{20, 8}, {5, 1}},
}

// defaultQuota is used for operations Amazon's table does not list.
var defaultQuota = [2]Quota{{10, 2}, {2, 1}}

type bucketKey struct {
	merchant string
	env      Environment
	op       string
}

type bucket struct {
	tokens float64
	last   time.Time
}

// throttler holds the buckets; its own lock keeps it off the state lock.
type throttler struct {
	mu      sync.Mutex
	cfg     Throttling
	buckets map[bucketKey]*bucket
	now     func() time.Time
}

func newThrottler(cfg Throttling) *throttler {
	return &throttler{cfg: cfg, buckets: map[bucketKey]*bucket{}, now: time.Now}
}

// set replaces the configuration and empties the buckets.
func (t *throttler) set(cfg Throttling) {
	t.mu.Lock()
	t.cfg = cfg
	t.buckets = map[bucketKey]*bucket{}
	t.mu.Unlock()
}

func (t *throttler) config() Throttling {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cfg
}

func (t *throttler) quota(env Environment, op string) Quota {
	if q, ok := t.cfg.Overrides[op]; ok {
		return q
	}
	i := 0
	if env == Sandbox {
		i = 1
	}
	q := defaultQuota[i]
	if aq, ok := amazonQuotas[op]; ok {
		q = aq[i]
	}
	if t.cfg.Burst > 0 {
		q.Burst = t.cfg.Burst
	}
	if t.cfg.Restore > 0 {
		q.Restore = t.cfg.Restore
	}
	return q
}

// take spends one token or answers 429 TooManyRequests.
func (t *throttler) take(o Owner, op string) *apiError {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.cfg.Enabled {
		return nil
	}
	q := t.quota(o.Env, op)
	now := t.now()
	k := bucketKey{o.MerchantID, o.Env, op}
	b := t.buckets[k]
	if b == nil {
		b = &bucket{tokens: q.Burst, last: now}
		t.buckets[k] = b
	}
	b.tokens += now.Sub(b.last).Seconds() * q.Restore
	if b.tokens > q.Burst {
		b.tokens = q.Burst
	}
	b.last = now
	if b.tokens < 1 {
		return errorf(http.StatusTooManyRequests, codeTooManyRequests, "The request was throttled: %s allows a burst of %g and %g requests per second.", op, q.Burst, q.Restore)
	}
	b.tokens--
	return nil
}
