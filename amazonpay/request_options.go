package amazonpay

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// RequestOption adjusts one call: its idempotency key or extra headers.
// Options are checked before anything is sent.
type RequestOption func(*requestOptions)

type requestOptions struct {
	idempotencyKey string
	keySet         bool
	header         http.Header
	simulationCode string
}

// WithIdempotencyKey sets the x-amz-pay-idempotency-key of a call. Every
// POST carries a key: this one, or one the client generates once per call.
// Either way every retry of the call sends the same key, so Amazon Pay
// answers a repeat with the first result instead of acting twice. A key is
// at most 32 characters of A–Z a–z 0–9 - _; derive it from your own record
// ("order-42-capture-1") so a retry after a crash reuses it. GET, PATCH and
// DELETE are idempotent by definition and send a key only when given one.
func WithIdempotencyKey(key string) RequestOption {
	return func(o *requestOptions) {
		o.idempotencyKey = key
		o.keySet = true
	}
}

// WithHeader adds a header to the call and signs it, for example
// WithHeader("x-amz-pay-authtoken", token) when a solution provider calls on
// behalf of a merchant. Headers the client sets itself (authorization,
// x-amz-pay-date, x-amz-pay-host, x-amz-pay-region, accept, content-type,
// the idempotency key, user-agent, host, content-length) cannot be
// overridden this way.
func WithHeader(name, value string) RequestOption {
	return func(o *requestOptions) {
		if o.header == nil {
			o.header = http.Header{}
		}
		o.header.Add(name, value)
	}
}

// WithSimulationCode sends x-amz-pay-simulation-code to make the sandbox
// produce a specific outcome (for example "HardDeclined" on Create Charge,
// "BuyerCanceled" on a Checkout Session). It is refused on a live client.
func WithSimulationCode(code string) RequestOption {
	return func(o *requestOptions) { o.simulationCode = code }
}

// reservedHeaders are set by the client and may not come from WithHeader.
var reservedHeaders = map[string]bool{
	signing.HeaderAuthorization: true, signing.HeaderAccept: true, signing.HeaderContentType: true,
	signing.HeaderDate: true, signing.HeaderHost: true, signing.HeaderRegion: true,
	signing.HeaderIdempotencyKey: true, signing.HeaderSimulationCode: true,
	"user-agent": true, "host": true, "content-length": true, "transfer-encoding": true, "connection": true,
}

// resolveOptions applies and validates the per-call options.
func (c *Client) resolveOptions(opts []RequestOption) (requestOptions, error) {
	var o requestOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.keySet {
		if err := ValidateIdempotencyKey(o.idempotencyKey); err != nil {
			return o, err
		}
	}
	for name, values := range o.header {
		lname := strings.ToLower(name)
		if !validHeaderName(name) {
			return o, &InputError{Field: "header", Reason: "name " + truncate(name, 40) + " is not a valid header name"}
		}
		if reservedHeaders[lname] {
			return o, &InputError{Field: "header", Reason: lname + " is set by the client and cannot be overridden"}
		}
		for _, v := range values {
			if !validHeaderValue(v) {
				// The value may be a token: never echo it.
				return o, &InputError{Field: "header", Reason: "value of " + lname + " contains control characters"}
			}
		}
	}
	if o.simulationCode != "" {
		if !c.sandbox {
			return o, &InputError{Field: "simulationCode", Reason: "simulation codes only work in the sandbox environment"}
		}
		if !validHeaderValue(o.simulationCode) {
			return o, &InputError{Field: "simulationCode", Reason: "contains control characters"}
		}
	}
	return o, nil
}

// ValidateIdempotencyKey checks a key against Amazon Pay's rule: 1 to 32
// characters, each one of A–Z a–z 0–9 - _.
func ValidateIdempotencyKey(key string) error {
	if key == "" {
		return &InputError{Field: "idempotencyKey", Reason: "is empty"}
	}
	if len(key) > 32 {
		return &InputError{Field: "idempotencyKey", Reason: "is longer than 32 characters"}
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return &InputError{Field: "idempotencyKey", Reason: "may only contain A-Z a-z 0-9 - _"}
		}
	}
	return nil
}

// NewIdempotencyKey returns 32 random hex characters from crypto/rand, the
// form the Java and .NET SDKs generate.
func NewIdempotencyKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
