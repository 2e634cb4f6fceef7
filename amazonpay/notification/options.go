package notification

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Defaults a Verifier starts from.
const (
	// DefaultMaxAge is how old an envelope's Timestamp may be. SNS signs once
	// per publish, so a captured message could otherwise be replayed forever.
	DefaultMaxAge = time.Hour
	// DefaultMaxFuture is how far ahead of the local clock a Timestamp may
	// be, to absorb clock skew without accepting post-dated messages.
	DefaultMaxFuture = 5 * time.Minute
	// DefaultCacheSize is how many signing certificates are kept. SNS
	// rotates its certificate rarely; a handful of regions need a few.
	DefaultCacheSize = 32
	// DefaultFetchTimeout bounds a certificate fetch when no client is given.
	DefaultFetchTimeout = 10 * time.Second
)

// Option configures a [Verifier]. Options validate their arguments, so a bad
// configuration fails in [NewVerifier], not on the first notification.
type Option func(*config) error

type config struct {
	roots      *x509.CertPool
	matchHost  func(host string) bool
	extraHosts map[string]bool
	topics     map[string]bool
	maxAge     time.Duration
	maxFuture  time.Duration
	now        func() time.Time
	client     *http.Client
	cacheSize  int
}

func defaultConfig() config {
	return config{
		matchHost:  IsSNSHost,
		extraHosts: map[string]bool{},
		maxAge:     DefaultMaxAge,
		maxFuture:  DefaultMaxFuture,
		now:        time.Now,
		client:     &http.Client{Timeout: DefaultFetchTimeout},
		cacheSize:  DefaultCacheSize,
	}
}

// WithRoots sets the CA certificates a signing certificate must chain to.
// The default (nil) is the system roots, which is right for real SNS; tests
// and the emulator pass their own CA.
func WithRoots(roots *x509.CertPool) Option {
	return func(c *config) error {
		c.roots = roots
		return nil
	}
}

// WithCertHostMatcher replaces the rule for which SigningCertURL hosts may be
// fetched. match receives the URL's host in lower case, with the port if the
// URL has one. The default is [IsSNSHost]. The scheme is always https and
// the path must end in .pem, whatever the matcher says.
func WithCertHostMatcher(match func(host string) bool) Option {
	return func(c *config) error {
		if match == nil {
			return errors.New("notification: WithCertHostMatcher: nil matcher")
		}
		c.matchHost = match
		return nil
	}
}

// WithAllowedCertHost allows one more exact host (with its port, if the URL
// carries one), in addition to the matcher: e.g. "127.0.0.1:8443" for the
// emulator. It can be given several times. There is deliberately no way to
// allow plain http.
func WithAllowedCertHost(host string) Option {
	return func(c *config) error {
		if host == "" || strings.ContainsAny(host, "/?#@ ") {
			return fmt.Errorf("notification: WithAllowedCertHost: %q is not a host[:port]", host)
		}
		c.extraHosts[strings.ToLower(host)] = true
		return nil
	}
}

// WithTopicARNs accepts only envelopes from these SNS topics. Without it any
// topic is accepted (the signature still has to come from SNS); with it, a
// message some other SNS topic was made to send you is refused with ErrTopic.
func WithTopicARNs(arns ...string) Option {
	return func(c *config) error {
		if len(arns) == 0 {
			return errors.New("notification: WithTopicARNs: no topic given")
		}
		c.topics = make(map[string]bool, len(arns))
		for _, a := range arns {
			c.topics[a] = true
		}
		return nil
	}
}

// WithMaxAge sets how old a Timestamp may be (default [DefaultMaxAge]).
// Deliveries retried after this long are refused as stale, so raise it if
// you must accept late retries.
func WithMaxAge(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("notification: WithMaxAge: %v is not positive", d)
		}
		c.maxAge = d
		return nil
	}
}

// WithMaxFuture sets how far ahead of the clock a Timestamp may be (default
// [DefaultMaxFuture]).
func WithMaxFuture(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("notification: WithMaxFuture: %v is negative", d)
		}
		c.maxFuture = d
		return nil
	}
}

// WithClock sets the clock used for the age check and the certificate
// validity period; tests and emulated time use it.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("notification: WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithHTTPClient sets the client that fetches signing certificates (proxy,
// timeouts, or a test server's client). Redirects are never followed,
// whatever the client's own policy: the certificate must come from the host
// that was checked.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) error {
		if client == nil {
			return errors.New("notification: WithHTTPClient: nil client")
		}
		c.client = client
		return nil
	}
}

// WithCacheSize bounds the number of verified signing certificates kept,
// least recently used first out (default [DefaultCacheSize]).
func WithCacheSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("notification: WithCacheSize: %d is less than 1", n)
		}
		c.cacheSize = n
		return nil
	}
}
