package shop_test

import (
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
)

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("saving: %w", shop.Errorf(shop.ENOTFOUND, "Order %d not found.", 7))
	if got := shop.ErrorCode(err); got != shop.ENOTFOUND {
		t.Errorf("ErrorCode = %q", got)
	}
	if got := shop.ErrorMessage(err); got != "Order 7 not found." {
		t.Errorf("ErrorMessage = %q", got)
	}
	internal := errors.New("pq: password authentication failed for user secret")
	if shop.ErrorCode(internal) != shop.EINTERNAL || shop.ErrorMessage(internal) != "Internal error." {
		t.Errorf("internal error leaks: %q %q", shop.ErrorCode(internal), shop.ErrorMessage(internal))
	}
	if shop.ErrorCode(nil) != "" || shop.ErrorMessage(nil) != "" {
		t.Error("nil error has a code")
	}
}

func TestAmazonIdempotencyKey(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	k := shop.AmazonIdempotencyKey(1, "AB12-CD34", shop.OpCapture, "client-key-1")
	if !valid.MatchString(k) {
		t.Fatalf("key %q is not a valid Amazon Pay idempotency key", k)
	}
	if k != shop.AmazonIdempotencyKey(1, "AB12-CD34", shop.OpCapture, "client-key-1") {
		t.Error("key is not deterministic")
	}
	seen := map[string]string{k: "base"}
	for name, other := range map[string]string{
		"other order id":     shop.AmazonIdempotencyKey(2, "AB12-CD34", shop.OpCapture, "client-key-1"),
		"other order number": shop.AmazonIdempotencyKey(1, "ZZ12-CD34", shop.OpCapture, "client-key-1"),
		"other operation":    shop.AmazonIdempotencyKey(1, "AB12-CD34", shop.OpRefund, "client-key-1"),
		"other client key":   shop.AmazonIdempotencyKey(1, "AB12-CD34", shop.OpCapture, "client-key-2"),
		"shifted boundary":   shop.AmazonIdempotencyKey(1, "AB12-CD34c", shop.OpCapture, "lient-key-1"),
	} {
		if prev, dup := seen[other]; dup {
			t.Errorf("%s collides with %s", name, prev)
		}
		seen[other] = name
	}
	for _, bad := range []string{"", "has space", string(make([]byte, 256))} {
		if shop.ErrorCode(shop.ValidateClientKey(bad)) != shop.EINVALID {
			t.Errorf("ValidateClientKey(%q) accepted", bad)
		}
	}
}

func TestThrottleBucketTake(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	// Sandbox-like: burst 2, half a request per second.
	b := shop.ThrottleBucket{Burst: 2, RateMilli: 500, TokensMilli: 2000, UpdatedAt: t0}
	for i := range 2 {
		if ok, _ := b.Take(t0); !ok {
			t.Fatalf("take %d of the burst refused", i)
		}
	}
	ok, wait := b.Take(t0)
	if ok || wait != 2*time.Second {
		t.Fatalf("empty bucket: ok=%v wait=%v, want refused for 2s", ok, wait)
	}
	// 1.5 s later: 0.75 of a request, still 0.5 s to wait.
	if ok, wait := b.Take(t0.Add(1500 * time.Millisecond)); ok || wait != 500*time.Millisecond {
		t.Fatalf("after 1.5s: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if ok, _ := b.Take(t0.Add(2 * time.Second)); !ok {
		t.Fatal("after 2s a request should be available")
	}
	// Idle for an hour: refilled to the burst, not beyond.
	later := t0.Add(time.Hour)
	for i := range 2 {
		if ok, _ := b.Take(later); !ok {
			t.Fatalf("refilled take %d refused", i)
		}
	}
	if ok, _ := b.Take(later); ok {
		t.Fatal("bucket issued more than its burst after idling")
	}
	// A clock behind UpdatedAt adds nothing.
	if ok, _ := b.Take(later.Add(-time.Minute)); ok {
		t.Fatal("clock going backwards refilled the bucket")
	}
}

// TestThrottleBucketNeverOverIssues takes at many irregular instants and
// checks the total against burst + rate × elapsed.
func TestThrottleBucketNeverOverIssues(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, rate := range []int64{500, 1000, 4000, 16000, 333} {
		b := shop.ThrottleBucket{Burst: 10, RateMilli: rate, TokensMilli: 10000, UpdatedAt: t0}
		now := t0
		var got int64
		for i := range 5000 {
			now = now.Add(time.Duration(i%7*137+1) * time.Microsecond * 97)
			if ok, wait := b.Take(now); ok {
				got++
			} else if wait <= 0 {
				t.Fatalf("refused with wait %v", wait)
			}
		}
		elapsed := now.Sub(t0)
		limit := 10 + int64(elapsed)*rate/int64(time.Second)/1000
		if got > limit {
			t.Errorf("rate %d: issued %d in %v, limit %d", rate, got, elapsed, limit)
		}
		if got < limit-2 {
			t.Errorf("rate %d: issued only %d in %v, expected about %d (refill lost)", rate, got, elapsed, limit)
		}
	}
}

func TestDefaultThrottleLimit(t *testing.T) {
	t.Parallel()
	if b, r := shop.DefaultThrottleLimit(shop.ThrottleAccount("M1", false), "CaptureCharge"); b != 20 || r != 4000 {
		t.Errorf("live CaptureCharge = %d, %d", b, r)
	}
	if b, r := shop.DefaultThrottleLimit(shop.ThrottleAccount("M1", true), "CaptureCharge"); b != 2 || r != 1000 {
		t.Errorf("sandbox CaptureCharge = %d, %d", b, r)
	}
	if b, r := shop.DefaultThrottleLimit("live/M1", "Unlisted"); b != 10 || r != 1000 {
		t.Errorf("unlisted = %d, %d", b, r)
	}
}

func TestBillingPlanPeriodEnd(t *testing.T) {
	t.Parallel()
	jan31 := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	monthly := shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 1000}
	want := []string{"2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"}
	for i, w := range want {
		if got := monthly.PeriodEnd(jan31, i+1).Format("2006-01-02"); got != w {
			t.Errorf("monthly period %d ends %s, want %s", i+1, got, w)
		}
	}
	leap := time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)
	yearly := shop.BillingPlan{Unit: shop.PeriodYear, Count: 1, Amount: 1000}
	if got := yearly.PeriodEnd(leap, 1).Format("2006-01-02"); got != "2029-02-28" {
		t.Errorf("yearly from Feb 29 = %s", got)
	}
	weekly := shop.BillingPlan{Unit: shop.PeriodWeek, Count: 2, Amount: 1000}
	if got := weekly.PeriodEnd(jan31, 1).Format("2006-01-02"); got != "2026-02-14" {
		t.Errorf("fortnightly = %s", got)
	}
	for _, bad := range []shop.BillingPlan{{Unit: "Fortnight", Count: 1, Amount: 1}, {Unit: shop.PeriodDay, Count: 0, Amount: 1}, {Unit: shop.PeriodDay, Count: 1, Amount: 0}, {Unit: shop.PeriodDay, Count: 1, Amount: 1, TrialDays: -1}} {
		if shop.ErrorCode(bad.Validate()) != shop.EINVALID {
			t.Errorf("plan %+v accepted", bad)
		}
	}
}

func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
	plan := shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 1500}
	s := shop.NewSubscription(now, plan, "USD")
	if s.PeriodsPaid != 1 || !s.NextRenewalAt.Equal(time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("new subscription: %+v", s)
	}
	if err := s.RenewalSucceeded(); err != nil {
		t.Fatal(err)
	}
	if !s.CurrentPeriodStart.Equal(time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC)) || !s.NextRenewalAt.Equal(time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("after renewal: start %v next %v", s.CurrentPeriodStart, s.NextRenewalAt)
	}
	sched := shop.DefaultDunningSchedule()
	fail := now.AddDate(0, 2, 0)
	for i := range sched {
		if err := s.RenewalFailed(fail, sched); err != nil {
			t.Fatal(err)
		}
		if s.Status != shop.SubscriptionPastDue || !s.NextRenewalAt.Equal(fail.Add(sched[i])) {
			t.Fatalf("failure %d: %s next %v", i+1, s.Status, s.NextRenewalAt)
		}
	}
	if err := s.RenewalFailed(fail, sched); err != nil || s.Status != shop.SubscriptionSuspended || !s.NextRenewalAt.IsZero() {
		t.Fatalf("after schedule: %s %v %v", s.Status, s.NextRenewalAt, err)
	}
	if shop.ErrorCode(s.RenewalSucceeded()) != shop.ECONFLICT {
		t.Error("suspended subscription renewed")
	}
	if err := s.Resume(fail); err != nil || s.Status != shop.SubscriptionPastDue {
		t.Fatalf("resume: %v %s", err, s.Status)
	}
	if err := s.RenewalSucceeded(); err != nil || s.Status != shop.SubscriptionActive || s.DunningAttempts != 0 || s.PeriodsPaid != 3 {
		t.Fatalf("renewal after resume: %v %+v", err, s)
	}
	if err := s.Cancel(fail); err != nil || shop.ErrorCode(s.Cancel(fail)) != shop.ECONFLICT {
		t.Fatalf("cancel: %v", err)
	}
	trial := shop.NewSubscription(now, shop.BillingPlan{Unit: shop.PeriodMonth, Count: 1, Amount: 1500, TrialDays: 14}, "USD")
	if trial.PeriodsPaid != 0 || !trial.NextRenewalAt.Equal(now.AddDate(0, 0, 14)) {
		t.Fatalf("trial: %+v", trial)
	}
}

func TestRecurringMonthlyLimit(t *testing.T) {
	t.Parallel()
	for cur, want := range map[string]int64{"USD": 100000, "JPY": 100000, "EUR": 100000, "SEK": 1000000, "XXX": 0} {
		if got := shop.RecurringMonthlyLimit(cur); got != want {
			t.Errorf("RecurringMonthlyLimit(%s) = %d, want %d", cur, got, want)
		}
	}
	if got := shop.UsageMonth(time.Date(2026, 3, 31, 23, 30, 0, 0, time.FixedZone("JST", -9*3600))); got != "2026-04" {
		t.Errorf("UsageMonth is not UTC: %s", got)
	}
}

func TestAPIKeyToken(t *testing.T) {
	t.Parallel()
	id, token := shop.NewAPIKeyToken()
	gotID, secret, err := shop.ParseAPIKeyToken(token)
	if err != nil || gotID != id {
		t.Fatalf("ParseAPIKeyToken(%q) = %q, %v", token, gotID, err)
	}
	if !shop.VerifyAPIKeySecret(secret, shop.HashAPIKeySecret(secret)) || shop.VerifyAPIKeySecret(secret+"x", shop.HashAPIKeySecret(secret)) {
		t.Error("VerifyAPIKeySecret is wrong")
	}
	for _, bad := range []string{"", "apay_", "apay_zzzzzzzzzzzzzzzz_secretsecretsecret", "Bearer x", "apay_0123456789abcdef_short"} {
		if _, _, err := shop.ParseAPIKeyToken(bad); shop.ErrorCode(err) != shop.EUNAUTHORIZED {
			t.Errorf("ParseAPIKeyToken(%q) = %v", bad, err)
		}
	}
	k := shop.APIKey{Scopes: []shop.Scope{shop.ScopeWrite}}
	if !k.Allows(shop.ScopeRead) || !k.Allows(shop.ScopeWrite) {
		t.Error("write does not imply read")
	}
	if (&shop.APIKey{Scopes: []shop.Scope{shop.ScopeRead}}).Allows(shop.ScopeWrite) {
		t.Error("read allows write")
	}
	if _, err := shop.ParseScopes("read,admin"); shop.ErrorCode(err) != shop.EINVALID {
		t.Error("unknown scope accepted")
	}
}

func TestCartTotalAndValidation(t *testing.T) {
	t.Parallel()
	c := shop.Cart{Currency: "USD", Items: []shop.CartItem{{UnitPrice: 1999, Quantity: 3}, {UnitPrice: 500, Quantity: 1}}}
	if got, err := c.Total(); err != nil || got != 6497 {
		t.Errorf("Total = %d, %v", got, err)
	}
	big := shop.Cart{Currency: "USD", Items: []shop.CartItem{{UnitPrice: 15_000_000, Quantity: 2}}}
	if _, err := big.Total(); shop.ErrorCode(err) != shop.EINVALID {
		t.Errorf("total above Amazon Pay maximum accepted: %v", err)
	}
	for _, q := range []int{0, -1, 100} {
		if shop.ErrorCode(shop.ValidateQuantity(q)) != shop.EINVALID {
			t.Errorf("quantity %d accepted", q)
		}
	}
	o := shop.Order{Currency: "USD", Total: 6497, Items: []shop.OrderItem{{UnitPrice: 1999, Quantity: 3}, {UnitPrice: 500, Quantity: 1}}}
	if err := o.Validate(); err != nil {
		t.Errorf("valid order refused: %v", err)
	}
	o.Total = 6498
	if shop.ErrorCode(o.Validate()) != shop.EINVALID {
		t.Error("order with wrong total accepted")
	}
	if shop.HashRequest("POST", "/a", []byte("b")) == shop.HashRequest("POST", "/ab", nil) {
		t.Error("HashRequest is ambiguous")
	}
	if u, err := shop.ValidateAdminCredentials(" Admin ", "correct horse battery"); err != nil || u != "admin" {
		t.Errorf("ValidateAdminCredentials = %q, %v", u, err)
	}
}
