// Package notificationtest lets merchants unit-test their Amazon Pay IPN
// handlers with real signatures: a Signer is a throwaway certificate
// authority plus an SNS-style signing certificate served over an httptest
// TLS server, which signs envelopes exactly as SNS does and hands out a
// [notification.Verifier] that trusts it (and nothing else).
//
//	s := notificationtest.NewSigner(t)
//	h := notification.Handler(s.Verifier(), myHandler)
//	rec := httptest.NewRecorder()
//	h.ServeHTTP(rec, s.Request(notification.Message{
//		ObjectType: notification.ObjectTypeCharge, ObjectID: "S01-…-C…",
//	}))
package notificationtest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
)

// DefaultTopicARN is the TopicArn of envelopes a Signer makes unless told
// otherwise.
const DefaultTopicARN = "arn:aws:sns:us-east-1:000000000000:amazon-pay-notificationtest"

// Signer signs SNS envelopes with a certificate only its own Verifiers
// trust. It is safe for concurrent use.
type Signer struct {
	t        testing.TB // nil when made by NewAuthority
	caPEM    []byte
	roots    *x509.CertPool
	key      *rsa.PrivateKey
	server   *httptest.Server
	certURL  string
	topicARN string
}

// NewSigner makes a Signer for one test; it is closed by t.Cleanup and
// failures are reported through t.
func NewSigner(t testing.TB) *Signer {
	t.Helper()
	s, err := NewAuthority()
	if err != nil {
		t.Fatalf("notificationtest: %v", err)
	}
	s.t = t
	t.Cleanup(s.Close)
	return s
}

// NewAuthority is NewSigner for code without a testing.TB (examples, local
// tools). The caller must Close it; a failure in a later method panics.
func NewAuthority() (*Signer, error) {
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	leafKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"apaykit notificationtest"}, CommonName: "notificationtest root"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	leafPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})

	s := &Signer{
		caPEM:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		roots:    x509.NewCertPool(),
		key:      leafKey,
		topicARN: DefaultTopicARN,
	}
	s.roots.AddCert(ca)
	const path = "/SimpleNotificationService-notificationtest.pem"
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(leafPEM)
	})
	s.server = httptest.NewTLSServer(mux)
	s.certURL = s.server.URL + path
	return s, nil
}

// Close stops the certificate server.
func (s *Signer) Close() { s.server.Close() }

// CAPEM returns the root certificate, for configuring a Verifier by hand.
func (s *Signer) CAPEM() []byte { return bytes.Clone(s.caPEM) }

// CertURL is the SigningCertURL of every envelope this Signer makes.
func (s *Signer) CertURL() string { return s.certURL }

// Options are the Verifier options that trust this Signer: its root, its
// certificate server's host and an HTTP client that trusts that server.
// Add your own (a clock, topics) after them.
func (s *Signer) Options() []notification.Option {
	return []notification.Option{
		notification.WithRoots(s.roots),
		notification.WithHTTPClient(s.server.Client()),
		notification.WithAllowedCertHost(strings.TrimPrefix(s.server.URL, "https://")),
	}
}

// Verifier returns a Verifier that accepts this Signer's envelopes, with
// opts applied after [Signer.Options].
func (s *Signer) Verifier(opts ...notification.Option) *notification.Verifier {
	v, err := notification.NewVerifier(append(s.Options(), opts...)...)
	if err != nil {
		s.fail(err)
	}
	return v
}

// SignOption adjusts an envelope before it is signed.
type SignOption func(*notification.Envelope)

// WithSignatureVersion selects SignatureVersion 1 (SHA-1) or 2 (SHA-256,
// the default).
func WithSignatureVersion(v string) SignOption {
	return func(e *notification.Envelope) { e.SignatureVersion = v }
}

// WithTimestamp sets the envelope's Timestamp (default now), e.g. to test
// that a stale message is refused.
func WithTimestamp(t time.Time) SignOption {
	return func(e *notification.Envelope) { e.Timestamp = t.UTC().Format(notification.TimestampFormat) }
}

// WithSubject sets the optional Subject.
func WithSubject(subject string) SignOption {
	return func(e *notification.Envelope) { e.Subject = subject }
}

// WithTopicARN sets the TopicArn (default [DefaultTopicARN]).
func WithTopicARN(arn string) SignOption {
	return func(e *notification.Envelope) { e.TopicARN = arn }
}

// WithMessageID sets the MessageId (default random), e.g. to test that a
// duplicate delivery is handled once.
func WithMessageID(id string) SignOption {
	return func(e *notification.Envelope) { e.MessageID = id }
}

// Envelope returns a signed Notification envelope carrying msg.
func (s *Signer) Envelope(msg notification.Message, opts ...SignOption) *notification.Envelope {
	body, err := json.Marshal(msg)
	if err != nil {
		s.fail(err)
	}
	env := &notification.Envelope{Type: notification.TypeNotification, Message: string(body)}
	for _, opt := range opts {
		opt(env)
	}
	return s.SignEnvelope(env)
}

// SignEnvelope fills what env leaves empty (MessageId, TopicArn, Timestamp,
// SignatureVersion 2, SigningCertURL, UnsubscribeURL), signs it and returns
// it. Use it for confirmation messages or hand-made envelopes.
func (s *Signer) SignEnvelope(env *notification.Envelope) *notification.Envelope {
	if env.MessageID == "" {
		env.MessageID = randomID()
	}
	if env.TopicARN == "" {
		env.TopicARN = s.topicARN
	}
	if env.Timestamp == "" {
		env.Timestamp = time.Now().UTC().Format(notification.TimestampFormat)
	}
	if env.SignatureVersion == "" {
		env.SignatureVersion = notification.SignatureVersion2
	}
	if env.SigningCertURL == "" {
		env.SigningCertURL = s.certURL
	}
	if env.UnsubscribeURL == "" {
		env.UnsubscribeURL = s.server.URL + "/?Action=Unsubscribe&SubscriptionArn=" + env.TopicARN + ":notificationtest"
	}
	if err := env.Sign(s.key); err != nil {
		s.fail(err)
	}
	return env
}

// Sign returns the body SNS would POST for msg.
func (s *Signer) Sign(msg notification.Message, opts ...SignOption) []byte {
	return Encode(s.Envelope(msg, opts...))
}

// Request returns a POST request carrying msg the way SNS sends it (body,
// content type and x-amz-sns-* headers), ready for a handler's ServeHTTP.
func (s *Signer) Request(msg notification.Message, opts ...SignOption) *http.Request {
	env := s.Envelope(msg, opts...)
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(Encode(env)))
	r.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	r.Header.Set("X-Amz-Sns-Message-Type", env.Type)
	r.Header.Set("X-Amz-Sns-Message-Id", env.MessageID)
	r.Header.Set("X-Amz-Sns-Topic-Arn", env.TopicARN)
	return r
}

// Encode marshals an envelope as SNS does (no HTML escaping).
func Encode(env *notification.Envelope) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(env) // an Envelope holds only strings
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func (s *Signer) fail(err error) {
	if s.t != nil {
		s.t.Helper()
		s.t.Fatalf("notificationtest: %v", err)
	}
	panic(fmt.Sprintf("notificationtest: %v", err))
}

// randomID returns a random UUID-shaped id, like SNS MessageIds.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
