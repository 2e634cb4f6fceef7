package shop

import (
	"context"
	"strings"
	"time"
)

// ThrottleBucket is a token bucket for one seller account and one Amazon Pay
// operation class, shared by every shop instance through the database:
// Amazon Pay throttles per seller account, not per process, so a per-process
// limiter would let N instances send N times the quota and collect 429s.
//
// Tokens are counted in thousandths (1000 = one request) and the refill rate
// in thousandths per second, so fractional refill (0.5 requests per second
// in some sandbox quotas) is exact integer arithmetic with no float.
type ThrottleBucket struct {
	Account string
	// OpClass is the Amazon Pay operation name the quota is for, e.g.
	// "CreateCharge", or a class the caller defines.
	OpClass string
	// TokensMilli is the current fill in thousandths of a request.
	TokensMilli int64
	// Burst is the maximum quota in whole requests.
	Burst int64
	// RateMilli is the restore rate in thousandths of a request per second.
	RateMilli int64
	UpdatedAt time.Time
}

// Take refills the bucket for the time since UpdatedAt and takes one request
// if there is one. It returns ok, or how long until one request is
// available. A clock that went backwards (another instance's now) adds
// nothing. Refill is exact: UpdatedAt advances only by the time that
// produced whole thousandths, so the remainder carries over to the next call
// and the bucket never issues more than Burst plus Rate × elapsed.
func (b *ThrottleBucket) Take(now time.Time) (ok bool, wait time.Duration) {
	capMilli := b.Burst * 1000
	b.TokensMilli = min(b.TokensMilli, capMilli)
	if b.RateMilli <= 0 {
		if b.TokensMilli >= 1000 {
			b.TokensMilli -= 1000
			return true, 0
		}
		return false, 24 * time.Hour
	}
	second := int64(time.Second)
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = now
	}
	if elapsed := int64(now.Sub(b.UpdatedAt)); elapsed > 0 {
		fill := ceilDiv((capMilli-b.TokensMilli)*second, b.RateMilli) // ns until full
		if elapsed >= fill {
			b.TokensMilli, b.UpdatedAt = capMilli, now
		} else {
			add := elapsed * b.RateMilli / second // < capMilli, no overflow
			b.TokensMilli += add
			b.UpdatedAt = b.UpdatedAt.Add(time.Duration(ceilDiv(add*second, b.RateMilli)))
		}
	}
	if b.TokensMilli >= 1000 {
		b.TokensMilli -= 1000
		return true, 0
	}
	ready := b.UpdatedAt.Add(time.Duration(ceilDiv((1000-b.TokensMilli)*second, b.RateMilli)))
	return false, max(ready.Sub(now), time.Nanosecond)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// ThrottleAccount names the bucket owner: the environment and the merchant
// (seller) id, e.g. "sandbox/A2BCDEF". The environment prefix selects the
// default quotas, which are lower in the sandbox.
func ThrottleAccount(merchantID string, sandbox bool) string {
	if sandbox {
		return "sandbox/" + merchantID
	}
	return "live/" + merchantID
}

// throttleLimits is Amazon Pay's published quota table (api-objects.md §15):
// live burst, live restore per second, sandbox burst, sandbox restore per
// second.
var throttleLimits = map[string][4]int64{
	"CancelCharge":             {10, 2, 2, 1},
	"CaptureCharge":            {20, 4, 2, 1},
	"CloseChargePermission":    {10, 2, 2, 1},
	"CompleteCheckoutSession":  {20, 4, 2, 1},
	"CreateCharge":             {10, 4, 2, 1},
	"CreateCheckoutSession":    {40, 16, 5, 1},
	"CreateMerchantAccount":    {10, 1, 1, 1},
	"CreateRefund":             {10, 4, 2, 1},
	"DeliveryTrackers":         {10, 1, 1, 1},
	"GetAuthorizationToken":    {5, 1, 5, 1},
	"GetCharge":                {20, 4, 5, 1},
	"GetChargePermission":      {20, 4, 10, 1},
	"GetCheckoutSession":       {40, 8, 10, 1},
	"GetRefund":                {20, 4, 5, 1},
	"UpdateChargePermission":   {10, 2, 5, 1},
	"UpdateCheckoutSession":    {20, 8, 5, 1},
	"FinalizeCheckoutSession":  {10, 2, 2, 1},
	"GetBuyer":                 {10, 2, 2, 1},
	"UpdateCharge":             {10, 2, 2, 1},
	"GetMerchantAccountStatus": {10, 1, 1, 1},
}

// DefaultThrottleLimit returns the quota of an operation class for an
// account made by [ThrottleAccount]: burst in requests and restore rate in
// thousandths of a request per second. Operations Amazon Pay does not list
// get a conservative 10 burst / 1 per second (2 / 1 in the sandbox).
func DefaultThrottleLimit(account, opClass string) (burst, rateMilli int64) {
	l, ok := throttleLimits[opClass]
	if !ok {
		l = [4]int64{10, 1, 2, 1}
	}
	if strings.HasPrefix(account, "sandbox/") {
		return l[2], l[3] * 1000
	}
	return l[0], l[1] * 1000
}

// Throttle is the token-bucket part of the store.
type Throttle interface {
	// TakeToken takes one request from the bucket of account and opClass
	// at now, atomically across every process sharing the database. It
	// returns ok, or how long to wait before trying again. A bucket that
	// does not exist yet is created full with [DefaultThrottleLimit].
	TakeToken(ctx context.Context, account, opClass string, now time.Time) (ok bool, waitFor time.Duration, err error)
	// SetThrottleLimit sets (creating if needed) the burst and rate of a
	// bucket, e.g. when Amazon Pay raised a quota. Returns EINVALID for a
	// non-positive burst or rate.
	SetThrottleLimit(ctx context.Context, account, opClass string, burst, rateMilli int64) error
	// ThrottleBucket returns a bucket as stored. Returns ENOTFOUND.
	ThrottleBucket(ctx context.Context, account, opClass string) (*ThrottleBucket, error)
}
