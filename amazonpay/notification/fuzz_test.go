package notification

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary bodies to a Verifier whose certificate source
// is in memory: it must never panic, and anything it accepts must really be
// signed by the trusted key (re-verifying the accepted envelope succeeds and
// its fields round-trip).
func FuzzVerify(f *testing.F) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ca := newTestCA(f, "fuzz root", testKeys()[keyCA], now)
	const certURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-fuzz.pem"
	leaf := ca.issue(f, testKeys()[keyLeaf], []string{"sns.us-east-1.amazonaws.com"}, now.Add(-time.Hour), now.Add(time.Hour))
	v, err := NewVerifier(WithRoots(ca.pool), WithClock(func() time.Time { return now }),
		WithHTTPClient(&http.Client{Transport: memTransport{map[string][]byte{certURL: leaf}}}))
	if err != nil {
		f.Fatal(err)
	}
	for _, version := range versions {
		env := &Envelope{
			Type: TypeNotification, MessageID: "m", TopicARN: "arn:aws:sns:us-east-1:1:t", Subject: "s",
			Message: `{"ObjectType":"CHARGE","ObjectId":"C1"}`, Timestamp: now.Format(TimestampFormat),
			SignatureVersion: version, SigningCertURL: certURL,
		}
		f.Add(signed(f, env, nil))
		env.Type, env.Token, env.SubscribeURL = TypeSubscriptionConfirmation, "t", "https://example.com/c"
		f.Add(signed(f, env, nil))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"Type":"Notification","Type":"x"}`))
	f.Add([]byte(`[1,2,{"a":null}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := v.Verify(context.Background(), body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			return
		}
		again, err := v.Verify(context.Background(), encode(t, env))
		if err != nil {
			t.Fatalf("accepted envelope does not re-verify: %v", err)
		}
		if *again != *env {
			t.Fatalf("round trip changed the envelope: %+v vs %+v", again, env)
		}
		if _, err := Decode(env); err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSubscription) {
			t.Fatalf("Decode: %v", err)
		}
	})
}

// FuzzParseMessage: no panics, and a decoded message always has the two
// fields a handler needs.
func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(`{"MerchantID":"M","ObjectType":"CHARGE","ObjectId":"C1","NotificationVersion":"V2"}`))
	f.Add([]byte(`{"objectType":"REFUND","objectId":"R1"}`))
	f.Add([]byte(`{"ObjectType":"CHARGE","objectType":"CHARGE","ObjectId":"C"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMessage(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		if m.ObjectType == "" || m.ObjectID == "" {
			t.Fatalf("accepted %q without ObjectType/ObjectId", data)
		}
	})
}
