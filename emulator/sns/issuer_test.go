package sns

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
)

// testIssuer is made once: RSA key generation dominates these tests.
var testIssuer = sync.OnceValues(func() (*Issuer, error) {
	return NewIssuer(IssuerConfig{CertURL: "https://127.0.0.1:8443" + CertPath})
})

func issuer(t testing.TB) *Issuer {
	t.Helper()
	i, err := testIssuer()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

var chargeMessage = notification.Message{
	MerchantID: "A3URCZVLDMDI45", ObjectType: notification.ObjectTypeCharge,
	ObjectID: "S01-5105180-3221187-C056351", ChargePermissionID: "S01-5105180-3221187",
	NotificationType: notification.NotificationTypeStateChange, NotificationID: "n-1",
	NotificationVersion: notification.NotificationVersion2,
}

func TestIssuerCertificates(t *testing.T) {
	i := issuer(t)
	certs := i.Certificates()
	caBlock, _ := pem.Decode(certs.CA)
	leafBlock, _ := pem.Decode(certs.Signing)
	if caBlock == nil || leafBlock == nil {
		t.Fatalf("PEM missing: %q / %q", certs.CA, certs.Signing)
	}
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("CA: %v %+v", err, ca)
	}
	leaf, err := x509.ParseCertificate(leafBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: i.CertPool(), DNSName: "127.0.0.1"}); err != nil {
		t.Errorf("signing certificate does not chain to the CA: %v", err)
	}
	for _, host := range []string{"localhost", "::1"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("not issued for %s: %v", host, err)
		}
	}
	certs.CA[0] = 'X' // a copy
	if i.Certificates().CA[0] == 'X' {
		t.Error("Certificates exposes internal state")
	}
}

func TestCertHandler(t *testing.T) {
	i := issuer(t)
	rec := httptest.NewRecorder()
	i.CertHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, CertPath, nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || string(body) != string(i.Certificates().Signing) {
		t.Fatalf("GET: %d %q", rec.Code, body)
	}
	rec = httptest.NewRecorder()
	i.CertHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, CertPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", rec.Code)
	}
}

func TestSetCertURL(t *testing.T) {
	i, err := NewIssuer(IssuerConfig{Hosts: []string{"emulator.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := i.Notification(chargeMessage, ""); !errors.Is(err, ErrNoCertURL) {
		t.Fatalf("before SetCertURL: %v", err)
	}
	for _, bad := range []string{"ftp://emulator.test/c.pem", "https://emulator.test/c.crt", "https://other.test/c.pem", "://"} {
		if err := i.SetCertURL(bad); err == nil {
			t.Errorf("SetCertURL(%q) accepted", bad)
		}
	}
	if err := i.SetCertURL("https://emulator.test:9443" + CertPath); err != nil {
		t.Fatal(err)
	}
	if got := i.CertURL(); got != "https://emulator.test:9443"+CertPath {
		t.Errorf("CertURL = %q", got)
	}
}

func TestIssuerEnvelopes(t *testing.T) {
	i := issuer(t)
	for _, version := range []string{"", notification.SignatureVersion1, notification.SignatureVersion2} {
		env, err := i.Notification(chargeMessage, version)
		if err != nil {
			t.Fatal(err)
		}
		want := version
		if want == "" {
			want = notification.SignatureVersion1
		}
		if env.SignatureVersion != want || env.TopicARN != DefaultTopicARN || env.SigningCertURL != i.CertURL() ||
			!strings.HasPrefix(env.UnsubscribeURL, "https://127.0.0.1:8443/_emulator/sns/unsubscribe?") || len(env.MessageID) != 36 {
			t.Errorf("version %q: %+v", version, env)
		}
		m, err := notification.ParseMessage([]byte(env.Message))
		if err != nil || *m != chargeMessage {
			t.Errorf("message %v %+v", err, m)
		}
	}
	a, _ := i.Notification(chargeMessage, "")
	b, _ := i.Notification(chargeMessage, "")
	if a.MessageID == b.MessageID {
		t.Error("MessageIds repeat")
	}
	if _, err := i.Notification(chargeMessage, "7"); err == nil {
		t.Error("SignatureVersion 7 accepted")
	}
}

// TestIssuerTimestamps uses the Issuer's clock, and the verifier refuses
// envelopes stamped with a clock far from its own.
func TestIssuerTimestamps(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.UTC)
	i, err := NewIssuer(IssuerConfig{Now: func() time.Time { return at }, CertURL: "https://localhost" + CertPath, TopicARN: "arn:aws:sns:eu-west-1:1:t"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := i.Notification(chargeMessage, "2")
	if err != nil {
		t.Fatal(err)
	}
	if env.Timestamp != "2030-01-02T03:04:05.006Z" || env.TopicARN != "arn:aws:sns:eu-west-1:1:t" {
		t.Errorf("envelope %+v", env)
	}
	v, err := notification.NewVerifier(i.VerifierOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), mustEncode(t, env)); !errors.Is(err, notification.ErrStale) {
		t.Errorf("far-future envelope: %v", err)
	}
}

func mustEncode(t testing.TB, env *notification.Envelope) []byte {
	t.Helper()
	b, err := encodeEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
