package amazonpay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry defaults: four attempts like the PHP, Java and .NET SDKs, but with
// jittered waits that are shorter on average and a cap on each wait.
const (
	DefaultMaxAttempts   = 4
	DefaultBaseDelay     = 500 * time.Millisecond
	DefaultMaxDelay      = 8 * time.Second
	DefaultMaxRetryAfter = 30 * time.Second
	maxAllowedAttempts   = 20
)

// RetryPolicy says how often and how patiently a call is retried. Zero
// fields take the defaults. See the package documentation for what is
// retried and why that is safe.
type RetryPolicy struct {
	// MaxAttempts is the total number of requests per call, the first
	// included (default 4). 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the first retry; it doubles with each
	// retry (default 500ms). The actual wait is uniformly random between 0
	// and that value ("full jitter"), so many clients hitting the same
	// throttle do not retry in lockstep.
	BaseDelay time.Duration
	// MaxDelay caps the doubled backoff (default 8s).
	MaxDelay time.Duration
	// MaxRetryAfter caps how long a server's Retry-After header can make
	// the client wait (default 30s); longer requests are shortened to it.
	MaxRetryAfter time.Duration
}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxAttempts < 0 || p.MaxAttempts > maxAllowedAttempts:
		return &InputError{Field: "retry.MaxAttempts", Reason: fmt.Sprintf("must be between 1 and %d (0 for the default)", maxAllowedAttempts)}
	case p.BaseDelay < 0:
		return &InputError{Field: "retry.BaseDelay", Reason: "must not be negative"}
	case p.MaxDelay < 0:
		return &InputError{Field: "retry.MaxDelay", Reason: "must not be negative"}
	case p.MaxRetryAfter < 0:
		return &InputError{Field: "retry.MaxRetryAfter", Reason: "must not be negative"}
	}
	q := p.withDefaults()
	if q.BaseDelay > q.MaxDelay {
		return &InputError{Field: "retry.BaseDelay", Reason: "must not exceed MaxDelay"}
	}
	return nil
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = max(DefaultMaxDelay, p.BaseDelay)
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return p
}

// delay is the jittered exponential backoff after the given attempt
// (1-based): jitter(min(MaxDelay, BaseDelay·2^(attempt-1))).
func (p RetryPolicy) delay(attempt int, jitter func(time.Duration) time.Duration) time.Duration {
	ceiling := p.MaxDelay
	if shift := attempt - 1; shift < 62 {
		if d := p.BaseDelay << shift; d > 0 && d < ceiling && d>>shift == p.BaseDelay {
			ceiling = d
		}
	}
	return jitter(ceiling)
}

// retryableStatus lists the statuses the official SDKs retry: request
// timeout, too early, throttling and transient server errors. Other 5xx
// (501, 505, …) are permanent.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableTransportError decides whether a failed round trip is worth
// repeating. Certificate and TLS handshake failures, redirect limits and
// malformed URLs fail the same way every time; connection resets, refused
// connections, timeouts and truncated responses may not.
func retryableTransportError(err error) (bool, string) {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalidCert      x509.CertificateInvalidError
		verifyErr        *tls.CertificateVerificationError
		recordHeader     tls.RecordHeaderError
		alert            tls.AlertError
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalidCert),
		errors.As(err, &verifyErr):
		return false, "certificate not trusted"
	case errors.As(err, &recordHeader), errors.As(err, &alert):
		return false, "TLS handshake failed"
	case errors.Is(err, errBodyTooLarge):
		return false, "response too large"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "stopped after") && strings.Contains(msg, "redirects"):
		return false, "too many redirects"
	case strings.Contains(msg, "unsupported protocol scheme"):
		return false, "bad URL"
	}
	return true, "transport error: " + truncate(msg, 200)
}

// retryAfter reads Retry-After as seconds or an HTTP date, capped at
// MaxRetryAfter. ok is false when the header is absent or unreadable.
func (c *Client) retryAfter(resp *http.Response) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(c.retry.MaxRetryAfter/time.Second) {
			return c.retry.MaxRetryAfter, true
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(c.now()), 0)
	} else {
		return 0, false
	}
	return min(d, c.retry.MaxRetryAfter), true
}

// waitContext waits for d or until ctx ends, whichever is first. It never
// sleeps past a cancellation.
func waitContext(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
