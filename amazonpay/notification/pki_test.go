package notification

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKeys are generated once per test binary: RSA key generation is the
// slow part of these tests and the keys' identity is all that matters.
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 4)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// Key roles in testKeys.
const (
	keyCA = iota
	keyOtherCA
	keyLeaf
	keyForger
)

// testCA is a certificate authority made by a test.
type testCA struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB, name string, key *rsa.PrivateKey, now time.Time) *testCA {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a leaf for hosts (DNS names or IPs) valid in [notBefore, notAfter].
func (ca *testCA) issue(t testing.TB, key *rsa.PrivateKey, hosts []string, notBefore, notAfter time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// fileServer serves certificate files from memory and counts requests per path.
type fileServer struct {
	mu     sync.Mutex
	files  map[string][]byte
	status map[string]int
	hits   map[string]int
}

func newFileServer() *fileServer {
	return &fileServer{files: map[string][]byte{}, status: map[string]int{}, hits: map[string]int{}}
}

func (s *fileServer) put(path string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = data
}

func (s *fileServer) fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[path] = status
}

func (s *fileServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	data, ok := s.files[r.URL.Path]
	status := s.status[r.URL.Path]
	s.mu.Unlock()
	switch {
	case status != 0:
		http.Error(w, "nope", status)
	case !ok:
		http.NotFound(w, r)
	default:
		_, _ = w.Write(data)
	}
}

// fixture is a trusted CA, a signing certificate for 127.0.0.1 served over
// TLS at /cert.pem, and a fixed clock.
type fixture struct {
	t     testing.TB
	now   time.Time
	ca    *testCA
	files *fileServer
	srv   *httptest.Server
	host  string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	f := &fixture{t: t, now: now, files: newFileServer()}
	f.ca = newTestCA(t, "apaykit test CA", testKeys()[keyCA], now)
	f.srv = httptest.NewTLSServer(f.files)
	t.Cleanup(f.srv.Close)
	f.host = strings.TrimPrefix(f.srv.URL, "https://")
	f.files.put("/cert.pem", f.ca.issue(t, testKeys()[keyLeaf], []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(24*time.Hour)))
	return f
}

func (f *fixture) url(path string) string { return f.srv.URL + path }

func (f *fixture) verifier(opts ...Option) *Verifier {
	f.t.Helper()
	base := []Option{
		WithRoots(f.ca.pool),
		WithHTTPClient(f.srv.Client()),
		WithAllowedCertHost(f.host),
		WithClock(func() time.Time { return f.now }),
	}
	v, err := NewVerifier(append(base, opts...)...)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// notification returns an unsigned Notification envelope for msg.
func (f *fixture) notification(version string, msg Message) *Envelope {
	var b bytes.Buffer
	writeJSON(f.t, &b, msg)
	return &Envelope{
		Type:             TypeNotification,
		MessageID:        "6f1b1a4e-6c36-5b7d-9a1e-2f7f1f3b6c11",
		TopicARN:         "arn:aws:sns:us-east-1:123456789012:amazon-pay-ipn",
		Message:          strings.TrimSpace(b.String()),
		Timestamp:        f.now.Format(TimestampFormat),
		SignatureVersion: version,
		SigningCertURL:   f.url("/cert.pem"),
		UnsubscribeURL:   f.url("/unsubscribe"),
	}
}

// signed signs env with key (the leaf key by default) and encodes it.
func signed(t testing.TB, env *Envelope, key *rsa.PrivateKey) []byte {
	t.Helper()
	if key == nil {
		key = testKeys()[keyLeaf]
	}
	if err := env.Sign(key); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	writeJSON(t, &b, env)
	return b.Bytes()
}

// writeJSON encodes v the way SNS does: without HTML-escaping <, > and &.
func writeJSON(t testing.TB, w io.Writer, v any) {
	t.Helper()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
}

var sampleMessage = Message{
	MerchantID:          "A3URCZVLDMDI45",
	ObjectType:          ObjectTypeCharge,
	ObjectID:            "S01-5105180-3221187-C056351",
	ChargePermissionID:  "S01-5105180-3221187",
	NotificationType:    NotificationTypeStateChange,
	NotificationID:      "0d4b6b2c-27e5-4b8e-9a0f-9b0d8a3c2f11",
	NotificationVersion: NotificationVersion2,
}
