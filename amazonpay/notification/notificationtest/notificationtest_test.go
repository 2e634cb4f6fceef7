package notificationtest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/amazonpay/notification/notificationtest"
)

var msg = notification.Message{
	MerchantID: "M1", ObjectType: notification.ObjectTypeRefund, ObjectID: "S01-1-2-R1",
	ChargePermissionID: "S01-1-2", NotificationType: notification.NotificationTypeStateChange,
	NotificationID: "n1", NotificationVersion: notification.NotificationVersion2,
}

func TestSignerRoundTrip(t *testing.T) {
	s := notificationtest.NewSigner(t)
	v := s.Verifier(notification.WithTopicARNs(notificationtest.DefaultTopicARN))
	for _, version := range []string{notification.SignatureVersion1, notification.SignatureVersion2} {
		body := s.Sign(msg, notificationtest.WithSignatureVersion(version), notificationtest.WithSubject("IPN"))
		n, err := v.Parse(context.Background(), body)
		if err != nil {
			t.Fatalf("v%s: %v", version, err)
		}
		if n.Message != msg || n.Envelope.SignatureVersion != version || n.Envelope.SigningCertURL != s.CertURL() {
			t.Errorf("v%s: got %+v / %+v", version, n.Message, n.Envelope)
		}
	}
}

func TestSignerOptionsReachTheVerifier(t *testing.T) {
	s := notificationtest.NewSigner(t)
	v := s.Verifier()
	stale := s.Sign(msg, notificationtest.WithTimestamp(time.Now().Add(-2*time.Hour)))
	if _, err := v.Verify(context.Background(), stale); !errors.Is(err, notification.ErrStale) {
		t.Errorf("stale: %v", err)
	}
	topicV := s.Verifier(notification.WithTopicARNs("arn:aws:sns:us-east-1:1:mine"))
	if _, err := topicV.Verify(context.Background(), s.Sign(msg)); !errors.Is(err, notification.ErrTopic) {
		t.Errorf("topic: %v", err)
	}
	if _, err := topicV.Verify(context.Background(), s.Sign(msg, notificationtest.WithTopicARN("arn:aws:sns:us-east-1:1:mine"))); err != nil {
		t.Errorf("own topic: %v", err)
	}
	env := s.Envelope(msg, notificationtest.WithMessageID("fixed-id"))
	if env.MessageID != "fixed-id" {
		t.Errorf("MessageID = %q", env.MessageID)
	}
}

func TestSignersDoNotTrustEachOther(t *testing.T) {
	a, b := notificationtest.NewSigner(t), notificationtest.NewSigner(t)
	// Allow b's host on a's verifier: the chain check must still refuse it.
	host := strings.SplitN(b.CertURL(), "/", 4)[2]
	v := a.Verifier(notification.WithAllowedCertHost(host), notification.WithHTTPClient(insecureClient()))
	if _, err := v.Verify(context.Background(), b.Sign(msg)); !errors.Is(err, notification.ErrCertChain) {
		t.Fatalf("other signer's envelope: %v, want ErrCertChain", err)
	}
	if _, err := a.Verifier().Verify(context.Background(), b.Sign(msg)); !errors.Is(err, notification.ErrCertURL) {
		t.Fatalf("other signer's host: %v, want ErrCertURL", err)
	}
}

// insecureClient reaches any test server; trust comes from the certificate
// chain check, not from TLS, in this test.
func insecureClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.InsecureSkipVerify = true
	return &http.Client{Transport: tr}
}

func TestRequestDrivesAHandler(t *testing.T) {
	s := notificationtest.NewSigner(t)
	var got []string
	h := notification.Handler(s.Verifier(), func(_ context.Context, n *notification.Notification) error {
		got = append(got, n.ObjectID)
		return nil
	})
	rec := httptest.NewRecorder()
	req := s.Request(msg)
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || len(got) != 1 || got[0] != msg.ObjectID {
		t.Fatalf("status %d, delivered %v", rec.Code, got)
	}
	if req.Header.Get("X-Amz-Sns-Message-Type") != notification.TypeNotification {
		t.Errorf("headers: %v", req.Header)
	}
}

func TestSignEnvelopeConfirmation(t *testing.T) {
	s := notificationtest.NewSigner(t)
	env := s.SignEnvelope(&notification.Envelope{
		Type: notification.TypeSubscriptionConfirmation, Message: "confirm", Token: "tok",
		SubscribeURL:     "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
		SignatureVersion: notification.SignatureVersion1,
	})
	got, err := s.Verifier().Verify(context.Background(), notificationtest.Encode(env))
	if err != nil {
		t.Fatal(err)
	}
	if got.SubscribeURL != env.SubscribeURL {
		t.Errorf("SubscribeURL = %q", got.SubscribeURL)
	}
}

func TestNewAuthority(t *testing.T) {
	s, err := notificationtest.NewAuthority()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.Contains(string(s.CAPEM()), "BEGIN CERTIFICATE") {
		t.Errorf("CAPEM = %q", s.CAPEM())
	}
	if _, err := s.Verifier().Parse(context.Background(), s.Sign(msg)); err != nil {
		t.Fatal(err)
	}
}
