package amazonpaytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/amazonpay/notification/notificationtest"
	"github.com/apaykit/apaykit/emulator/sns"
)

// Notifications for merchants' handler tests, two ways.
//
// Unit tests of an IPN handler need a signed notification and a Verifier
// that accepts it (and nothing else): SignedNotification, or a
// NotificationSigner for more than one.
//
//	req, v := amazonpaytest.SignedNotification(t, notification.Message{
//		ObjectType: notification.ObjectTypeCharge, ObjectID: "S01-…-C…", ChargePermissionID: "S01-…",
//	})
//	rec := httptest.NewRecorder()
//	notification.Handler(v, myHandler).ServeHTTP(rec, req)
//
// End-to-end tests let the in-process emulator deliver the real thing:
// Server.NotifyTo(t, url) returns the Verifier for the emulator's own CA.

// NotificationSigner signs SNS envelopes with a throwaway CA only its own
// Verifiers trust (notificationtest.Signer).
type NotificationSigner = notificationtest.Signer

// NotificationSignOption adjusts an envelope before it is signed
// (notificationtest.WithSignatureVersion, WithTimestamp, WithMessageID, …).
type NotificationSignOption = notificationtest.SignOption

// NewNotificationSigner makes a NotificationSigner for one test; it is
// closed when the test ends.
func NewNotificationSigner(t testing.TB) *NotificationSigner {
	t.Helper()
	return notificationtest.NewSigner(t)
}

// SignedNotification returns a POST request carrying msg the way Amazon
// Pay sends it (a v2 message in a signed SNS envelope, text/plain, with the
// x-amz-sns-* headers), and a Verifier that accepts it. Empty
// NotificationType, NotificationId and NotificationVersion are filled in
// (STATE_CHANGE, a random id, V2).
func SignedNotification(t testing.TB, msg notification.Message, opts ...NotificationSignOption) (*http.Request, *notification.Verifier) {
	t.Helper()
	s := NewNotificationSigner(t)
	return s.Request(completeMessage(msg), opts...), s.Verifier()
}

func completeMessage(m notification.Message) notification.Message {
	if m.NotificationType == "" {
		m.NotificationType = notification.NotificationTypeStateChange
	}
	if m.NotificationVersion == "" {
		m.NotificationVersion = notification.NotificationVersion2
	}
	if m.NotificationID == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		m.NotificationID = hex.EncodeToString(b[:])
	}
	return m
}

// NotifyTo makes the emulator deliver its notifications to target as Amazon
// does — signed SNS envelopes whose SigningCertURL is served over HTTPS by
// a listener using the emulator's own CA — and returns a Verifier that
// trusts that CA and host (and nothing else). Call it once per Server.
// amazonPayRedirectUrl then points at the HTTPS listener too.
func (s *Server) NotifyTo(t testing.TB, target string) *notification.Verifier {
	t.Helper()
	iss, err := s.Emulator.NotificationIssuer()
	if err != nil {
		t.Fatalf("amazonpaytest: notification issuer: %v", err)
	}
	tlsSrv := httptest.NewUnstartedServer(s.Emulator.Handler())
	tlsSrv.TLS = &tls.Config{Certificates: []tls.Certificate{iss.TLSCertificate()}}
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	if err := s.Emulator.SetPublicURL(tlsSrv.URL); err != nil {
		t.Fatalf("amazonpaytest: %v", err)
	}
	if err := s.control(context.Background(), "/_emulator/notifications/config", map[string]string{"url": target}); err != nil {
		t.Fatalf("amazonpaytest: notification URL: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: iss.CertPool()}}}
	v, err := notification.NewVerifier(append(iss.VerifierOptions(), notification.WithHTTPClient(client), notification.WithTopicARNs(sns.DefaultTopicARN))...)
	if err != nil {
		t.Fatalf("amazonpaytest: verifier: %v", err)
	}
	return v
}

// FlushNotifications waits until every queued notification was delivered,
// failed or dropped (reordered ones are sent), so a test can look at what
// its endpoint received.
func (s *Server) FlushNotifications(ctx context.Context) error {
	return s.control(ctx, "/_emulator/notifications/flush", nil)
}

// InjectNotificationFault makes the next count notifications misbehave:
// mode is "drop", "duplicate", "delay" (with delay, e.g. "2s") or "reorder".
func (s *Server) InjectNotificationFault(ctx context.Context, mode string, count int, delay string) error {
	body := map[string]any{"mode": mode, "count": count}
	if delay != "" {
		body["delay"] = delay
	}
	return s.control(ctx, "/_emulator/notifications/faults", body)
}

// control POSTs to the emulator's control API.
func (s *Server) control(ctx context.Context, path string, body any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s: %s: %s", path, res.Status, msg)
	}
	return nil
}
