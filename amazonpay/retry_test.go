package amazonpay

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitRecorder replaces the client's wait with one that records the
// durations and returns at once.
type waitRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (w *waitRecorder) install(c *Client) {
	c.wait = func(ctx context.Context, d time.Duration) error {
		w.mu.Lock()
		w.waits = append(w.waits, d)
		w.mu.Unlock()
		return ctx.Err()
	}
}

func (w *waitRecorder) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.waits...)
}

// tickingClock advances one second per reading, so each attempt's
// x-amz-pay-date differs.
func tickingClock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return fixedTime.Add(time.Duration(n.Add(1)) * time.Second) }
}

func TestRetryThrottledPOSTKeepsKeyAndResigns(t *testing.T) {
	f := newFakeAPI(t,
		reply{status: 429, body: `{"reasonCode":"TooManyRequests","message":"slow down"}`},
		reply{status: 503, body: `{"reasonCode":"ServiceUnavailable"}`},
		reply{status: 201, body: `{"chargeId":"C1"}`})
	var logs bytes.Buffer
	c := newTestClient(t, f, WithClock(tickingClock()), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	var w waitRecorder
	w.install(c)

	ch, resp, err := c.Charges.Create(t.Context(), &CreateChargeRequest{ChargePermissionID: "S01-1", ChargeAmount: usd14},
		WithIdempotencyKey("order-42-charge-1"))
	if err != nil {
		t.Fatal(err)
	}
	if ch.ChargeID != "C1" || resp.Attempts != 3 || resp.IdempotencyKey != "order-42-charge-1" || resp.StatusCode != 201 {
		t.Fatalf("charge %+v resp %+v", ch, resp)
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	dates := map[string]bool{}
	for i, r := range reqs {
		if r.VerifyErr != nil {
			t.Errorf("attempt %d: signature: %v", i+1, r.VerifyErr)
		}
		if k := r.Header.Get("x-amz-pay-idempotency-key"); k != "order-42-charge-1" {
			t.Errorf("attempt %d: key %q", i+1, k)
		}
		dates[r.Header.Get("x-amz-pay-date")] = true
		if !bytes.Equal(r.Body, reqs[0].Body) {
			t.Errorf("attempt %d: body changed", i+1)
		}
	}
	if len(dates) != 3 {
		t.Errorf("x-amz-pay-date repeated across attempts: %v", dates)
	}
	// No jitter in tests: the waits are the backoff ceilings.
	if got := w.get(); len(got) != 2 || got[0] != 500*time.Millisecond || got[1] != time.Second {
		t.Errorf("waits %v, want [500ms 1s]", got)
	}
	for _, secret := range []string{"order-42", "Signature=", "PRIVATE"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, logs.String())
		}
	}
	if strings.Count(logs.String(), "amazonpay: retrying") != 2 {
		t.Errorf("want two retry log lines:\n%s", logs.String())
	}
}

func TestRetryGeneratedKeyIsReused(t *testing.T) {
	f := newFakeAPI(t, reply{status: 500, body: `{}`}, reply{status: 200, body: `{"checkoutSessionId":"cs"}`})
	c := newTestClient(t, f)
	_, resp, err := c.CheckoutSessions.Complete(t.Context(), "cs", &CompleteCheckoutSessionRequest{ChargeAmount: usd14})
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	k1, k2 := reqs[0].Header.Get("x-amz-pay-idempotency-key"), reqs[1].Header.Get("x-amz-pay-idempotency-key")
	if !hex32.MatchString(k1) || k1 != k2 || resp.IdempotencyKey != k1 {
		t.Errorf("keys %q %q, response %q", k1, k2, resp.IdempotencyKey)
	}
}

func TestRetryExhausted(t *testing.T) {
	f := newFakeAPI(t, reply{status: 503, body: `{"reasonCode":"ServiceUnavailable","message":"down"}`})
	c := newTestClient(t, f, WithRetry(RetryPolicy{MaxAttempts: 3}))
	_, resp, err := c.Charges.Get(t.Context(), "C1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || !errors.Is(err, ErrServiceUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if resp == nil || resp.Attempts != 3 || len(f.requests()) != 3 {
		t.Errorf("attempts: resp %+v, server saw %d", resp, len(f.requests()))
	}
}

func TestNoRetry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		policy RetryPolicy
	}{
		{"400 is final", 400, RetryPolicy{}},
		{"404 is final", 404, RetryPolicy{}},
		{"409 is final", 409, RetryPolicy{}},
		{"422 is final", 422, RetryPolicy{}},
		{"501 is final", 501, RetryPolicy{}},
		{"retries disabled", 503, RetryPolicy{MaxAttempts: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, reply{status: tc.status, body: `{"reasonCode":"X"}`})
			c := newTestClient(t, f, WithRetry(tc.policy))
			_, resp, err := c.Charges.Get(t.Context(), "C1")
			if err == nil || len(f.requests()) != 1 || resp.Attempts != 1 {
				t.Errorf("err %v, %d requests", err, len(f.requests()))
			}
		})
	}
}

func TestRetryStatuses(t *testing.T) {
	for _, status := range []int{408, 425, 429, 500, 502, 503, 504} {
		f := newFakeAPI(t, reply{status: status, body: `{}`}, reply{status: 200, body: `{"chargeId":"C1"}`})
		c := newTestClient(t, f)
		if _, resp, err := c.Charges.Get(t.Context(), "C1"); err != nil || resp.Attempts != 2 {
			t.Errorf("status %d: err %v resp %+v", status, err, resp)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"seconds", "2", 2 * time.Second},
		{"zero", "0", 0},
		{"http date", fixedTime.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{"date in the past", fixedTime.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"capped", "3600", 7 * time.Second},
		{"garbage falls back to backoff", "soon", 500 * time.Millisecond},
		{"negative falls back to backoff", "-3", 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, reply{status: 429, header: map[string]string{"Retry-After": tc.value}, body: `{}`},
				reply{status: 200, body: `{"chargeId":"C1"}`})
			c := newTestClient(t, f, WithRetry(RetryPolicy{MaxRetryAfter: 7 * time.Second}))
			var w waitRecorder
			w.install(c)
			if _, _, err := c.Charges.Get(t.Context(), "C1"); err != nil {
				t.Fatal(err)
			}
			if got := w.get(); len(got) != 1 || got[0] != tc.want {
				t.Errorf("waits %v, want [%v]", got, tc.want)
			}
		})
	}
}

func TestBackoffCeilingAndJitter(t *testing.T) {
	p := RetryPolicy{BaseDelay: time.Second, MaxDelay: 5 * time.Second}.withDefaults()
	identity := func(d time.Duration) time.Duration { return d }
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 80: 5 * time.Second} {
		if got := p.delay(attempt, identity); got != want {
			t.Errorf("attempt %d: %v, want %v", attempt, got, want)
		}
	}
	for range 1000 {
		if d := fullJitter(time.Second); d < 0 || d > time.Second {
			t.Fatalf("jitter %v out of [0, 1s]", d)
		}
	}
	if fullJitter(0) != 0 {
		t.Error("jitter of 0")
	}
}

// TestRetryAfterConnectionReset: the server reads the whole request, then
// drops the connection without answering. The POST is retried with the
// same key, because the key makes the repeat safe.
func TestRetryAfterConnectionReset(t *testing.T) {
	f := newFakeAPI(t, reply{hijack: true}, reply{status: 200, body: `{"chargeId":"C1"}`})
	c := newTestClient(t, f)
	_, resp, err := c.Charges.Capture(t.Context(), "C1", &CaptureChargeRequest{CaptureAmount: usd14})
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || resp.Attempts != 2 {
		t.Fatalf("%d requests, %d attempts", len(reqs), resp.Attempts)
	}
	if reqs[0].Header.Get("x-amz-pay-idempotency-key") != reqs[1].Header.Get("x-amz-pay-idempotency-key") {
		t.Error("the retry after a reset used another key")
	}
}

func TestTransportFailureKeepsKey(t *testing.T) {
	f := newFakeAPI(t, reply{hijack: true})
	c := newTestClient(t, f, WithRetry(RetryPolicy{MaxAttempts: 2}))
	_, resp, err := c.Refunds.Create(t.Context(), &CreateRefundRequest{ChargeID: "C1", RefundAmount: usd14}, WithIdempotencyKey("refund-7"))
	var re *RequestError
	if !errors.As(err, &re) || re.Attempts != 2 || re.IdempotencyKey != "refund-7" || re.Operation != "CreateRefund" || resp != nil {
		t.Fatalf("err %v (%#v), resp %v", err, re, resp)
	}
}

// TestContextCanceledDuringBackoff cancels the context while the client
// waits a one-hour backoff, and checks by structure, not timing, that the
// real wait returned the context's error and no second request was sent.
func TestContextCanceledDuringBackoff(t *testing.T) {
	f := newFakeAPI(t, reply{status: 503, body: `{}`})
	c := newTestClient(t, f, WithRetry(RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour}))
	entered := make(chan time.Duration, 1)
	c.wait = func(ctx context.Context, d time.Duration) error {
		entered <- d
		return waitContext(ctx, d) // the real wait
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Charges.Capture(ctx, "C1", &CaptureChargeRequest{CaptureAmount: usd14})
		done <- err
	}()
	if d := <-entered; d != time.Hour {
		t.Errorf("backoff %v, want 1h", d)
	}
	cancel()
	err := <-done
	var re *RequestError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &re) || re.Attempts != 1 || !hex32.MatchString(re.IdempotencyKey) {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestWaitContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := waitContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled ctx: %v", err)
	}
	if err := waitContext(t.Context(), 0); err != nil {
		t.Errorf("zero wait: %v", err)
	}
	if err := waitContext(t.Context(), time.Microsecond); err != nil {
		t.Errorf("short wait: %v", err)
	}
}

func TestContextAlreadyDone(t *testing.T) {
	f := newFakeAPI(t)
	c := newTestClient(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := c.Charges.Get(ctx, "C1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server saw %d requests", n)
	}
}

func TestTLSErrorNotRetried(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := newTestClient(t, nil, WithBaseURL(srv.URL)) // default client: does not trust the test CA
	_, _, err := c.Charges.Get(t.Context(), "C1")
	var re *RequestError
	if !errors.As(err, &re) || re.Attempts != 1 {
		t.Fatalf("err = %v", err)
	}
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	if !errors.As(err, &verr) && !errors.As(err, &uerr) {
		t.Errorf("not a certificate error: %v", err)
	}
	if hits.Load() != 0 {
		t.Error("handler ran")
	}
}

func TestCAFileTrustsEmulator(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"chargeId":"C1"}`))
	}))
	t.Cleanup(srv.Close)
	certPEM := pemCert(srv.Certificate())
	c := newTestClient(t, nil, WithBaseURL(srv.URL), WithCACertPEM(certPEM))
	if _, _, err := c.Charges.Get(t.Context(), "C1"); err != nil {
		t.Fatal(err)
	}
}

func TestRetryableTransportError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{errors.New("read tcp: connection reset by peer"), true},
		{errors.New("EOF"), true},
		{x509.UnknownAuthorityError{}, false},
		{x509.HostnameError{}, false},
		{&tls.CertificateVerificationError{}, false},
		{tls.RecordHeaderError{}, false},
		{errors.New(`Get "x": stopped after 10 redirects`), false},
		{errors.New(`unsupported protocol scheme "ftp"`), false},
		{errBodyTooLarge, false},
	} {
		if got, _ := retryableTransportError(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRetryPolicyValidation(t *testing.T) {
	for _, p := range []RetryPolicy{
		{MaxAttempts: -1}, {MaxAttempts: 21}, {BaseDelay: -1}, {MaxDelay: -1}, {MaxRetryAfter: -1},
		{BaseDelay: time.Minute, MaxDelay: time.Second},
	} {
		if _, err := NewClient(WithRetry(p)); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if got := (RetryPolicy{BaseDelay: time.Minute}).withDefaults(); got.MaxDelay != time.Minute || got.MaxAttempts != 4 {
		t.Errorf("defaults: %+v", got)
	}
}
