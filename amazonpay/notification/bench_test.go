package notification

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// BenchmarkVerify measures verifying a notification once its signing
// certificate is cached: the cost every IPN pays.
func BenchmarkVerify(b *testing.B) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	ca := newTestCA(b, "bench root", testKeys()[keyCA], now)
	const certURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-bench.pem"
	leaf := ca.issue(b, testKeys()[keyLeaf], []string{"sns.us-east-1.amazonaws.com"}, now.Add(-time.Hour), now.Add(time.Hour))
	v, err := NewVerifier(WithRoots(ca.pool), WithClock(func() time.Time { return now }),
		WithHTTPClient(&http.Client{Transport: memTransport{map[string][]byte{certURL: leaf}}}))
	if err != nil {
		b.Fatal(err)
	}
	for _, version := range versions {
		b.Run("SignatureVersion"+version, func(b *testing.B) {
			body := signed(b, &Envelope{
				Type: TypeNotification, MessageID: "m", TopicARN: "arn:aws:sns:us-east-1:1:t",
				Message:   `{"MerchantID":"M","ObjectType":"CHARGE","ObjectId":"S01-1-2-C3","NotificationType":"STATE_CHANGE","NotificationVersion":"V2"}`,
				Timestamp: now.Format(TimestampFormat), SignatureVersion: version, SigningCertURL: certURL,
			}, nil)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Parse(ctx, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
