package notification

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestStringToSign(t *testing.T) {
	base := Envelope{
		Type: TypeNotification, MessageID: "id-1", TopicARN: "arn:t", Message: "{\"a\":1}\nline2",
		Timestamp: "2024-05-01T10:00:00.000Z", Token: "tok", SubscribeURL: "https://s/confirm",
	}
	withSubject := base
	withSubject.Subject = "subj"
	confirm := base
	confirm.Type = TypeSubscriptionConfirmation
	unsub := base
	unsub.Type = TypeUnsubscribeConfirmation
	tests := []struct {
		name string
		env  Envelope
		want string
	}{
		{"notification", base, "Message\n{\"a\":1}\nline2\nMessageId\nid-1\nTimestamp\n2024-05-01T10:00:00.000Z\nTopicArn\narn:t\nType\nNotification\n"},
		{"notification with subject", withSubject, "Message\n{\"a\":1}\nline2\nMessageId\nid-1\nSubject\nsubj\nTimestamp\n2024-05-01T10:00:00.000Z\nTopicArn\narn:t\nType\nNotification\n"},
		{"subscription", confirm, "Message\n{\"a\":1}\nline2\nMessageId\nid-1\nSubscribeURL\nhttps://s/confirm\nTimestamp\n2024-05-01T10:00:00.000Z\nToken\ntok\nTopicArn\narn:t\nType\nSubscriptionConfirmation\n"},
		{"unsubscribe", unsub, "Message\n{\"a\":1}\nline2\nMessageId\nid-1\nSubscribeURL\nhttps://s/confirm\nTimestamp\n2024-05-01T10:00:00.000Z\nToken\ntok\nTopicArn\narn:t\nType\nUnsubscribeConfirmation\n"},
	}
	for _, tt := range tests {
		got, err := tt.env.StringToSign()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(got) != tt.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.name, got, tt.want)
		}
	}
	bad := base
	bad.Type = "Other"
	if _, err := bad.StringToSign(); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown Type: %v", err)
	}
}

func TestSignNeedsRSAAndKnownVersion(t *testing.T) {
	env := Envelope{Type: TypeNotification, SignatureVersion: "9"}
	if err := env.Sign(testKeys()[keyLeaf]); !errors.Is(err, ErrMalformed) {
		t.Errorf("version 9: %v", err)
	}
}

func TestIsSNSHost(t *testing.T) {
	tests := map[string]bool{
		"sns.us-east-1.amazonaws.com":         true,
		"sns.eu-west-1.amazonaws.com":         true,
		"sns.us-gov-west-1.amazonaws.com":     true,
		"sns.cn-north-1.amazonaws.com.cn":     true,
		"sns.us-east-1.amazonaws.com:443":     true,
		"sns.us-east-1.amazonaws.com:8443":    false,
		"sns.amazonaws.com":                   false,
		"sns.us.amazonaws.com":                false, // region label too short
		"sns.s3-ap-southeast-2.amazonaws.com": false, // an S3 bucket named sns
		"sns.us-east-1.amazonaws.com.evil.io": false,
		"evil.sns.us-east-1.amazonaws.com":    false,
		"sns.us_east_1.amazonaws.com":         false,
		"sqs.us-east-1.amazonaws.com":         false,
		"127.0.0.1:8443":                      false,
		"":                                    false,
	}
	for host, want := range tests {
		if got := IsSNSHost(host); got != want {
			t.Errorf("IsSNSHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// memTransport answers GETs from a map, standing in for the SNS hosts.
type memTransport struct{ files map[string][]byte }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	data, ok := m.files[r.URL.String()]
	status := http.StatusOK
	if !ok {
		status = http.StatusNotFound
	}
	return &http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(data)), Header: http.Header{}, Request: r}, nil
}

// snsFixture serves certificates as if from real SNS hosts, so the default
// host rule (no WithAllowedCertHost) is exercised.
func snsVerifier(t testing.TB, ca *testCA, now time.Time, files map[string][]byte) *Verifier {
	t.Helper()
	v, err := NewVerifier(WithRoots(ca.pool), WithHTTPClient(&http.Client{Transport: memTransport{files}}),
		WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDefaultRulesForRealSNSCertificates(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	ca := newTestCA(t, "root", testKeys()[keyCA], now)
	leaf := func(hosts ...string) []byte {
		return ca.issue(t, testKeys()[keyLeaf], hosts, now.Add(-time.Hour), now.Add(time.Hour))
	}
	const regional = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123.pem"
	tests := []struct {
		name string
		cert []byte
		url  string
		want error
	}{
		{"issued for the regional host", leaf("sns.eu-west-1.amazonaws.com"), regional, nil},
		{"issued for sns.amazonaws.com", leaf("sns.amazonaws.com"), regional, nil},
		{"issued for another region", leaf("sns.us-east-1.amazonaws.com"), regional, ErrCertChain},
		{"issued for anything else", leaf("example.com"), regional, ErrCertChain},
		{"china partition", leaf("sns.amazonaws.com.cn"), "https://sns.cn-north-1.amazonaws.com.cn/x.pem", nil},
		{"emulator host without opt-in", leaf("127.0.0.1"), "https://127.0.0.1/x.pem", ErrCertURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := snsVerifier(t, ca, now, map[string][]byte{tt.url: tt.cert})
			env := &Envelope{
				Type: TypeNotification, MessageID: "m", TopicARN: "arn:aws:sns:eu-west-1:1:t",
				Message: `{"ObjectType":"CHARGE","ObjectId":"C1"}`, Timestamp: now.Format(TimestampFormat),
				SignatureVersion: SignatureVersion2, SigningCertURL: tt.url,
			}
			_, err := v.Verify(context.Background(), signed(t, env, nil))
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}
