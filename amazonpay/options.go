package amazonpay

import (
	"crypto/rsa"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"
)

// Option configures a Client in NewClient. Options only record and check
// their own argument; NewClient validates the combination, so a client that
// was built is a client that can sign and send.
type Option func(*config) error

// config collects options before NewClient validates them together.
type config struct {
	publicKeyID    string
	privateKeyPEM  []byte
	privateKeyFile string
	rsaKey         *rsa.PrivateKey
	region         string
	sandbox        bool
	algorithm      string
	baseURL        string
	httpClient     *http.Client
	caPEM          [][]byte
	caFiles        []string
	logger         *slog.Logger
	clock          func() time.Time
	retry          RetryPolicy
	userAgent      string
}

// WithPublicKeyID sets the public key id Amazon Pay issued for the key pair
// (required). Ids starting with "LIVE-" or "SANDBOX-" (any case) are
// environment-specific: they select the environment and use /v2/ paths, and
// WithSandbox is ignored. Other (legacy) ids use /live/v2/ or /sandbox/v2/.
func WithPublicKeyID(id string) Option {
	return func(c *config) error {
		c.publicKeyID = strings.TrimSpace(id)
		return nil
	}
}

// WithPrivateKey sets the RSA private key from PEM bytes (PKCS#1 "RSA
// PRIVATE KEY" or PKCS#8 "PRIVATE KEY").
func WithPrivateKey(pem []byte) Option {
	return func(c *config) error {
		if len(pem) == 0 {
			return &InputError{Field: "privateKey", Reason: "is empty"}
		}
		c.privateKeyPEM = append([]byte(nil), pem...)
		return nil
	}
}

// WithPrivateKeyFile reads the RSA private key PEM from a file when the
// client is built.
func WithPrivateKeyFile(path string) Option {
	return func(c *config) error {
		if path == "" {
			return &InputError{Field: "privateKeyFile", Reason: "is empty"}
		}
		c.privateKeyFile = path
		return nil
	}
}

// WithRSAPrivateKey sets an already parsed key, for callers (tests, key
// stores) that never hold it as PEM.
func WithRSAPrivateKey(key *rsa.PrivateKey) Option {
	return func(c *config) error {
		if key == nil {
			return &InputError{Field: "privateKey", Reason: "is nil"}
		}
		c.rsaKey = key
		return nil
	}
}

// WithRegion selects the Amazon Pay region (required): "us" or "na" (North
// America, pay-api.amazon.com), "eu", "de" or "uk" (Europe,
// pay-api.amazon.eu), "jp" (Japan, pay-api.amazon.jp); case-insensitive.
func WithRegion(region string) Option {
	return func(c *config) error {
		c.region = region
		return nil
	}
}

// WithSandbox selects the sandbox environment for a legacy public key id.
// It is ignored for LIVE-/SANDBOX- ids, whose prefix decides.
func WithSandbox(sandbox bool) Option {
	return func(c *config) error {
		c.sandbox = sandbox
		return nil
	}
}

// WithAlgorithm selects the signature algorithm: "AMZN-PAY-RSASSA-PSS-V2"
// (the default, recommended by Amazon) or "AMZN-PAY-RSASSA-PSS". The same
// algorithm signs API requests and button payloads.
func WithAlgorithm(alg string) Option {
	return func(c *config) error {
		c.algorithm = alg
		return nil
	}
}

// WithBaseURL sends requests to another server, such as the apaykit
// emulator: scheme and host[:port] only ("http://127.0.0.1:8080"). The path
// prefix rules still apply, and x-amz-pay-host carries this host:port.
func WithBaseURL(baseURL string) Option {
	return func(c *config) error {
		c.baseURL = baseURL
		return nil
	}
}

// WithHTTPClient sets the *http.Client used for every request. The default
// client has its own transport (not http.DefaultTransport), a 60-second
// per-attempt timeout, and does not follow redirects, so that a 303 from
// Claim Merchant Account reaches the caller.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return &InputError{Field: "httpClient", Reason: "is nil"}
		}
		c.httpClient = hc
		return nil
	}
}

// WithCACertPEM trusts the given PEM certificates in addition to the system
// roots, for an emulator's self-signed certificate. It applies to the
// default HTTP client only and cannot be combined with WithHTTPClient.
func WithCACertPEM(pem []byte) Option {
	return func(c *config) error {
		if len(pem) == 0 {
			return &InputError{Field: "caCert", Reason: "is empty"}
		}
		c.caPEM = append(c.caPEM, append([]byte(nil), pem...))
		return nil
	}
}

// WithCAFile is WithCACertPEM reading the certificates from a file.
func WithCAFile(path string) Option {
	return func(c *config) error {
		if path == "" {
			return &InputError{Field: "caFile", Reason: "is empty"}
		}
		c.caFiles = append(c.caFiles, path)
		return nil
	}
}

// WithLogger sets the logger for retry decisions and request summaries. The
// default discards everything. Headers, keys and bodies are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return &InputError{Field: "logger", Reason: "is nil"}
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the clock used for x-amz-pay-date and Retry-After dates;
// tests pin it.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return &InputError{Field: "clock", Reason: "is nil"}
		}
		c.clock = now
		return nil
	}
}

// WithRetry sets the retry policy; zero fields take their defaults (see
// RetryPolicy). WithRetry(RetryPolicy{MaxAttempts: 1}) turns retries off.
func WithRetry(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithUserAgent replaces the User-Agent header. It is not signed, because
// proxies may rewrite it.
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if ua == "" || !validHeaderValue(ua) {
			return &InputError{Field: "userAgent", Reason: "must be a non-empty header value without control characters"}
		}
		c.userAgent = ua
		return nil
	}
}

func readFileOption(field, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{Field: field, Reason: "cannot be read: " + err.Error()}
	}
	return b, nil
}
