package sns

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
)

// CertPath is where the emulator serves the signing certificate.
const CertPath = "/_emulator/sns/cert.pem"

// DefaultTopicARN is the TopicArn of the emulator's notifications.
const DefaultTopicARN = "arn:aws:sns:us-east-1:000000000000:amazon-pay-emulator"

// DefaultValidity is how long the Issuer's certificates are valid from
// start: long enough for the emulator's clock to be advanced by months.
const DefaultValidity = 2 * 365 * 24 * time.Hour

// IssuerConfig configures [NewIssuer]; the zero value is usable.
type IssuerConfig struct {
	// Hosts are the names and IPs the signing certificate is issued for;
	// the SigningCertURL's host must be one. Default 127.0.0.1, ::1 and
	// localhost.
	Hosts []string
	// CertURL is the SigningCertURL to put in envelopes; it can also be set
	// later with SetCertURL, once the listener's port is known.
	CertURL string
	// TopicARN defaults to DefaultTopicARN.
	TopicARN string
	// Now stamps envelopes (default time.Now). Give it real time, not the
	// emulator's advanced business time: receivers check Timestamp against
	// their own clock.
	Now func() time.Time
	// Validity defaults to DefaultValidity.
	Validity time.Duration
}

// Issuer signs SNS envelopes with its own in-memory CA. It is safe for
// concurrent use.
type Issuer struct {
	caPEM    []byte
	certPEM  []byte
	roots    *x509.CertPool
	leaf     *x509.Certificate
	key      *rsa.PrivateKey
	tlsCert  tls.Certificate
	topicARN string
	now      func() time.Time

	mu      sync.RWMutex
	certURL *url.URL
}

// Certificates are the Issuer's public certificates, PEM encoded.
type Certificates struct {
	// CA is what a receiver adds to its trusted roots.
	CA []byte
	// Signing is the certificate served at CertPath (leaf only).
	Signing []byte
}

// NewIssuer makes a CA (ECDSA P-256) and an RSA-2048 signing certificate
// issued by it (SNS signatures are RSA).
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TopicARN == "" {
		cfg.TopicARN = DefaultTopicARN
	}
	if cfg.Validity <= 0 {
		cfg.Validity = DefaultValidity
	}
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	start := cfg.Now().Add(-time.Hour)
	caTmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{Organization: []string{"apaykit emulator"}, CommonName: "apaykit emulator SNS root"},
		NotBefore:             start,
		NotAfter:              start.Add(cfg.Validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
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
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{Organization: []string{"apaykit emulator"}, CommonName: cfg.Hosts[0]},
		NotBefore:    start,
		NotAfter:     start.Add(cfg.Validity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range cfg.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			leafTmpl.IPAddresses = append(leafTmpl.IPAddresses, ip)
		} else {
			leafTmpl.DNSNames = append(leafTmpl.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return nil, err
	}
	i := &Issuer{
		caPEM:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		roots:    x509.NewCertPool(),
		leaf:     leaf,
		key:      key,
		tlsCert:  tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key, Leaf: leaf},
		topicARN: cfg.TopicARN,
		now:      cfg.Now,
	}
	i.roots.AddCert(ca)
	if cfg.CertURL != "" {
		if err := i.SetCertURL(cfg.CertURL); err != nil {
			return nil, err
		}
	}
	return i, nil
}

// Certificates returns copies of the CA and signing certificates.
func (i *Issuer) Certificates() Certificates {
	return Certificates{CA: append([]byte(nil), i.caPEM...), Signing: append([]byte(nil), i.certPEM...)}
}

// CertPool returns a pool holding the Issuer's CA.
func (i *Issuer) CertPool() *x509.CertPool { return i.roots.Clone() }

// TopicARN is the TopicArn of the envelopes this Issuer makes.
func (i *Issuer) TopicARN() string { return i.topicARN }

// TLSCertificate returns the signing certificate and key as a server
// certificate, so an emulator can serve HTTPS (and the certificate URL)
// with a certificate that the same CA vouches for: a client then needs one
// CA file for both.
func (i *Issuer) TLSCertificate() tls.Certificate { return i.tlsCert }

// CertHandler serves the signing certificate (PEM), for CertPath.
func (i *Issuer) CertHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(i.certPEM)
	})
}

// SetCertURL sets the SigningCertURL of later envelopes, typically
// "https://127.0.0.1:PORT" + CertPath once the TLS listener is up. The path
// must end in .pem and the host must be one the certificate was issued
// for. An http URL is accepted (the emulator may run without TLS), but the
// SDK's verifier, like SNS's rules, only fetches https.
func (i *Issuer) SetCertURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("sns: cert URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("sns: cert URL %q: scheme must be https (or http)", raw)
	}
	if !strings.HasSuffix(u.Path, ".pem") {
		return fmt.Errorf("sns: cert URL %q: path must end in .pem", raw)
	}
	if err := i.leaf.VerifyHostname(u.Hostname()); err != nil {
		return fmt.Errorf("sns: cert URL %q: %w (set IssuerConfig.Hosts)", raw, err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.certURL = u
	return nil
}

// CertURL returns the SigningCertURL in use ("" before SetCertURL).
func (i *Issuer) CertURL() string {
	i.mu.RLock()
	defer i.mu.RUnlock()
	if i.certURL == nil {
		return ""
	}
	return i.certURL.String()
}

// VerifierOptions are the notification.Verifier options that trust this
// Issuer: its CA as root and the certificate URL's host allowed. The caller
// still needs an HTTP client that trusts the emulator's TLS certificate
// (with TLSCertificate in use, CertPool does).
func (i *Issuer) VerifierOptions() []notification.Option {
	opts := []notification.Option{notification.WithRoots(i.CertPool())}
	i.mu.RLock()
	defer i.mu.RUnlock()
	if i.certURL != nil {
		opts = append(opts, notification.WithAllowedCertHost(i.certURL.Host))
	}
	return opts
}

// ErrNoCertURL is returned when an envelope is requested before the
// certificate URL is known.
var ErrNoCertURL = errors.New("sns: no certificate URL set (IssuerConfig.CertURL or SetCertURL)")

// Notification returns a signed Notification envelope carrying msg.
// version is "1" (SHA-1, SNS's default, and the only one some merchant
// plugins accept) or "2" (SHA-256); "" means "1".
func (i *Issuer) Notification(msg notification.Message, version string) (*notification.Envelope, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	env := &notification.Envelope{
		Type:             notification.TypeNotification,
		MessageID:        newUUID(),
		Message:          string(body),
		SignatureVersion: version,
	}
	if err := i.Sign(env); err != nil {
		return nil, err
	}
	return env, nil
}

// Sign fills the envelope's TopicArn, Timestamp, SigningCertURL and
// UnsubscribeURL when empty (SignatureVersion "" becomes "1") and signs it.
// Use it for envelopes Notification does not make, such as a
// SubscriptionConfirmation.
func (i *Issuer) Sign(env *notification.Envelope) error {
	certURL := i.CertURL()
	if certURL == "" {
		return ErrNoCertURL
	}
	if env.MessageID == "" {
		env.MessageID = newUUID()
	}
	if env.TopicARN == "" {
		env.TopicARN = i.topicARN
	}
	if env.Timestamp == "" {
		env.Timestamp = i.now().UTC().Format(notification.TimestampFormat)
	}
	if env.SignatureVersion == "" {
		env.SignatureVersion = notification.SignatureVersion1
	}
	if env.SigningCertURL == "" {
		env.SigningCertURL = certURL
	}
	if env.UnsubscribeURL == "" {
		u, _ := url.Parse(certURL)
		u.Path, u.RawQuery = "/_emulator/sns/unsubscribe", url.Values{"SubscriptionArn": {env.TopicARN + ":emulator"}}.Encode()
		env.UnsubscribeURL = u.String()
	}
	return env.Sign(i.key)
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n.Add(n, big.NewInt(1))
}

// newUUID returns a random (version 4) UUID, the shape of SNS MessageIds.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
