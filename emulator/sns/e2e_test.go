package sns_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/emulator/sns"
)

// emulator stands in for the emulator's HTTPS listener: it serves the
// signing certificate at sns.CertPath with the Issuer's own TLS certificate.
func emulator(t *testing.T) (*sns.Issuer, *http.Client) {
	t.Helper()
	issuer, err := sns.NewIssuer(sns.IssuerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+sns.CertPath, issuer.CertHandler())
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{issuer.TLSCertificate()}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	if err := issuer.SetCertURL(srv.URL + sns.CertPath); err != nil {
		t.Fatal(err)
	}
	// One CA file trusts both the HTTPS listener and the SNS chain.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: issuer.CertPool()}}}
	return issuer, client
}

// merchant is an IPN endpoint built on the SDK's verifier.
type merchant struct {
	mu       sync.Mutex
	received []string // ObjectIds of authentic notifications, in order
	seen     map[string]int
}

func newMerchant(t *testing.T, v *notification.Verifier) (*merchant, string) {
	m := &merchant{seen: map[string]int{}}
	srv := httptest.NewServer(notification.Handler(v, func(_ context.Context, n *notification.Notification) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.received = append(m.received, n.ObjectID)
		m.seen[n.Envelope.MessageID]++
		return nil
	}))
	t.Cleanup(srv.Close)
	return m, srv.URL + "/ipn"
}

func (m *merchant) objects() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.received)
}

func message(id string) notification.Message {
	return notification.Message{
		MerchantID: "A3URCZVLDMDI45", ObjectType: notification.ObjectTypeCharge, ObjectID: id,
		ChargePermissionID: "S01-5105180-3221187", NotificationType: notification.NotificationTypeStateChange,
		NotificationID: "n-" + id, NotificationVersion: notification.NotificationVersion2,
	}
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func TestEndToEnd(t *testing.T) {
	issuer, client := emulator(t)
	v, err := notification.NewVerifier(append(issuer.VerifierOptions(),
		notification.WithHTTPClient(client), notification.WithTopicARNs(sns.DefaultTopicARN))...)
	if err != nil {
		t.Fatal(err)
	}
	m, url := newMerchant(t, v)
	sender := sns.NewSender(sns.SenderConfig{Sleep: noSleep})
	defer func() { _ = sender.Close() }()

	for _, version := range []string{notification.SignatureVersion1, notification.SignatureVersion2} {
		env, err := issuer.Notification(message("C-v"+version), version)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := sender.Send(context.Background(), url, env)
		if err != nil || rec.Status != sns.StatusSent || rec.LastStatusCode != http.StatusOK {
			t.Fatalf("v%s: %+v %v", version, rec, err)
		}
	}
	if got := m.objects(); !slices.Equal(got, []string{"C-v1", "C-v2"}) {
		t.Fatalf("merchant received %v", got)
	}

	t.Run("forged", func(t *testing.T) {
		impostor, err := sns.NewIssuer(sns.IssuerConfig{CertURL: issuer.CertURL()})
		if err != nil {
			t.Fatal(err)
		}
		forged, err := impostor.Notification(message("FORGED"), "2")
		if err != nil {
			t.Fatal(err)
		}
		tampered, err := issuer.Notification(message("C-REAL"), "1")
		if err != nil {
			t.Fatal(err)
		}
		tampered.Message = strings.Replace(tampered.Message, "C-REAL", "C-FAKE", 1)
		for _, env := range []*notification.Envelope{forged, tampered} {
			rec, err := sender.Send(context.Background(), url, env)
			if err == nil || rec.Status != sns.StatusFailed || rec.LastStatusCode != http.StatusForbidden || rec.Attempts != 1 {
				t.Errorf("forged envelope: %+v %v", rec, err)
			}
		}
		if got := m.objects(); len(got) != 2 {
			t.Errorf("merchant accepted a forgery: %v", got)
		}
	})

	t.Run("faults", func(t *testing.T) {
		m, url := newMerchant(t, v)
		dispatch := func(id string) string {
			env, err := issuer.Notification(message(id), "2")
			if err != nil {
				t.Fatal(err)
			}
			sender.Dispatch(url, env)
			return env.MessageID
		}
		for _, f := range []sns.Fault{{Mode: sns.FaultDuplicate}, {Mode: sns.FaultDrop}, {Mode: sns.FaultReorder}} {
			if err := sender.InjectFault(f); err != nil {
				t.Fatal(err)
			}
		}
		dupID := dispatch("A") // duplicated
		dispatch("B")          // dropped
		dispatch("C")          // held, sent after D
		dispatch("D")
		if err := sender.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := m.objects(); !slices.Equal(got, []string{"A", "A", "D", "C"}) {
			t.Errorf("merchant received %v, want [A A D C]", got)
		}
		m.mu.Lock()
		if m.seen[dupID] != 2 {
			t.Errorf("duplicate MessageId seen %d times", m.seen[dupID])
		}
		m.mu.Unlock()
	})
}

// TestEmulatorHostMustBeAllowed: without the explicit host option the SDK's
// default rules refuse the emulator's certificate URL.
func TestEmulatorHostMustBeAllowed(t *testing.T) {
	issuer, client := emulator(t)
	v, err := notification.NewVerifier(notification.WithRoots(issuer.CertPool()), notification.WithHTTPClient(client))
	if err != nil {
		t.Fatal(err)
	}
	env, err := issuer.Notification(message("C1"), "2")
	if err != nil {
		t.Fatal(err)
	}
	m, url := newMerchant(t, v)
	sender := sns.NewSender(sns.SenderConfig{Sleep: noSleep})
	defer func() { _ = sender.Close() }()
	rec, err := sender.Send(context.Background(), url, env)
	if err == nil || rec.LastStatusCode != http.StatusForbidden || len(m.objects()) != 0 {
		t.Fatalf("%+v %v", rec, err)
	}
}
