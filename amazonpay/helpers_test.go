package amazonpay

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// testKey is one RSA key for the whole test binary: generating 2048-bit
// keys is slow.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func testKeyPKCS1PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey())})
}

func testKeyPKCS8PEM(t testing.TB) []byte {
	t.Helper()
	b, err := signing.EncodePrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixedTime is the clock of most tests.
var fixedTime = time.Date(2024, 1, 15, 12, 34, 56, 0, time.UTC)

// recorded is what the test server saw of one request, after verifying
// its signature.
type recorded struct {
	Method    string
	Path      string // escaped, as on the wire
	RawQuery  string
	Header    http.Header
	Body      []byte
	Verified  *signing.Verified
	VerifyErr error
}

// reply is a canned answer.
type reply struct {
	status int
	header map[string]string
	body   string
	// hijack closes the connection without answering, after reading the
	// whole request: a connection reset once the request was sent.
	hijack bool
}

// fakeAPI is an httptest server that records requests, verifies their
// signature with the test key, and answers from a script (the last reply
// repeats).
type fakeAPI struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	script []reply
}

func newFakeAPI(t testing.TB, script ...reply) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v, verr := signing.VerifyRequest(r, body, func(string) (*rsa.PublicKey, error) { return &testKey().PublicKey, nil })
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body, Verified: v, VerifyErr: verr})
	rep := reply{status: 200, body: "{}"}
	if len(f.script) > 0 {
		rep = f.script[min(n, len(f.script)-1)]
	}
	f.mu.Unlock()
	if rep.hijack {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amz-pay-request-id", "req-"+string(rune('A'+n%26)))
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// newTestClient builds a client against f with a fixed clock, instant
// waits and no jitter (the full backoff ceiling), unless opts say
// otherwise.
func newTestClient(t testing.TB, f *fakeAPI, opts ...Option) *Client {
	t.Helper()
	base := []Option{
		WithPublicKeyID("SANDBOX-AEXAMPLEPUBLICKEYID"),
		WithRSAPrivateKey(testKey()),
		WithRegion("us"),
		WithClock(func() time.Time { return fixedTime }),
	}
	if f != nil {
		base = append(base, WithBaseURL(f.srv.URL))
	}
	c, err := NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c.wait = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	c.jitter = func(d time.Duration) time.Duration { return d }
	return c
}

// roundTripFunc lets a test see requests without any network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

type rsaPublicKey = rsa.PublicKey
