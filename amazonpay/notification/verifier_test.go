package notification

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

var versions = []string{SignatureVersion1, SignatureVersion2}

func TestVerifyAcceptsBothSignatureVersions(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	for _, version := range versions {
		t.Run("v"+version, func(t *testing.T) {
			for _, subject := range []string{"", "Amazon Pay IPN"} {
				env := f.notification(version, sampleMessage)
				env.Subject = subject
				body := signed(t, env, nil)
				got, err := v.Verify(context.Background(), body)
				if err != nil {
					t.Fatalf("Verify(subject %q): %v", subject, err)
				}
				if got.MessageID != env.MessageID || got.Subject != subject || got.SignatureVersion != version {
					t.Errorf("Verify returned %+v", got)
				}
				n, err := v.Parse(context.Background(), body)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if n.Message != sampleMessage {
					t.Errorf("Parse message = %+v, want %+v", n.Message, sampleMessage)
				}
				if n.Envelope == nil || n.Envelope.TopicARN != env.TopicARN {
					t.Errorf("Parse envelope = %+v", n.Envelope)
				}
			}
		})
	}
}

// TestVerifyRejects covers every way an envelope can fail, for both
// signature versions. mutate changes the signed envelope (or re-signs it).
func TestVerifyRejects(t *testing.T) {
	f := newFixture(t)
	other := newTestCA(t, "someone else's CA", testKeys()[keyOtherCA], f.now)
	leafKey := testKeys()[keyLeaf]
	f.files.put("/unknown-ca.pem", other.issue(t, leafKey, []string{"127.0.0.1"}, f.now.Add(-time.Hour), f.now.Add(time.Hour)))
	f.files.put("/wrong-host.pem", f.ca.issue(t, leafKey, []string{"sns.us-east-1.amazonaws.com"}, f.now.Add(-time.Hour), f.now.Add(time.Hour)))
	f.files.put("/expired.pem", f.ca.issue(t, leafKey, []string{"127.0.0.1"}, f.now.Add(-48*time.Hour), f.now.Add(-time.Second)))
	f.files.put("/not-yet.pem", f.ca.issue(t, leafKey, []string{"127.0.0.1"}, f.now.Add(time.Hour), f.now.Add(48*time.Hour)))
	f.files.put("/garbage.pem", []byte("<html>not a certificate</html>"))
	f.files.put("/cert.pem.txt", []byte("irrelevant"))
	f.files.fail("/gone.pem", http.StatusNotFound)

	type resign func(e *Envelope) []byte
	sign := func(e *Envelope) []byte { return signed(t, e, nil) }
	tests := []struct {
		name string
		opts []Option
		// build returns the body to verify, starting from a fresh envelope.
		build func(e *Envelope, sign resign) []byte
		want  error
	}{
		{"tampered Message", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			e.Message = strings.Replace(e.Message, "C056351", "C056352", 1)
			return encode(t, e)
		}, ErrInvalidSignature},
		{"tampered Subject", nil, func(e *Envelope, sign resign) []byte {
			e.Subject = "original"
			sign(e)
			e.Subject = "changed"
			return encode(t, e)
		}, ErrInvalidSignature},
		{"Subject removed", nil, func(e *Envelope, sign resign) []byte {
			e.Subject = "original"
			sign(e)
			e.Subject = ""
			return encode(t, e)
		}, ErrInvalidSignature},
		{"Subject added", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			e.Subject = "added"
			return encode(t, e)
		}, ErrInvalidSignature},
		{"tampered Timestamp", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			e.Timestamp = f.now.Add(time.Second).Format(TimestampFormat)
			return encode(t, e)
		}, ErrInvalidSignature},
		{"tampered TopicArn", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			e.TopicARN += "-2"
			return encode(t, e)
		}, ErrInvalidSignature},
		{"tampered MessageId", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			e.MessageID = "x"
			return encode(t, e)
		}, ErrInvalidSignature},
		{"SignatureVersion switched", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			e.SignatureVersion = map[string]string{"1": "2", "2": "1"}[e.SignatureVersion]
			return encode(t, e)
		}, ErrInvalidSignature},
		{"signed by another key", nil, func(e *Envelope, _ resign) []byte {
			return signed(t, e, testKeys()[keyForger])
		}, ErrInvalidSignature},
		{"signature not base64", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			e.Signature = "!!" + e.Signature
			return encode(t, e)
		}, ErrInvalidSignature},
		{"signature truncated", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			raw, _ := base64.StdEncoding.DecodeString(e.Signature)
			e.Signature = base64.StdEncoding.EncodeToString(raw[:len(raw)-1])
			return encode(t, e)
		}, ErrInvalidSignature},
		{"unsupported SignatureVersion", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			e.SignatureVersion = "3"
			return encode(t, e)
		}, ErrMalformed},
		{"http cert URL", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = "http://" + f.host + "/cert.pem"
			return sign(e)
		}, ErrCertURL},
		{"non-.pem path", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = f.url("/cert.pem.txt")
			return sign(e)
		}, ErrCertURL},
		{"query on cert URL", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = f.url("/cert.pem?x=.pem")
			return sign(e)
		}, ErrCertURL},
		{"userinfo in cert URL", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = "https://sns.us-east-1.amazonaws.com@" + f.host + "/cert.pem"
			return sign(e)
		}, ErrCertURL},
		{"host not allowed", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"
			return sign(e)
		}, ErrCertURL},
		{"same IP, other port", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = "https://127.0.0.1:1/cert.pem"
			return sign(e)
		}, ErrCertURL},
		{"cert URL does not parse", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = "https://[::1/cert.pem"
			return sign(e)
		}, ErrCertURL},
		{"certificate from unknown CA", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = f.url("/unknown-ca.pem")
			return sign(e)
		}, ErrCertChain},
		{"certificate for another host", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = f.url("/wrong-host.pem")
			return sign(e)
		}, ErrCertChain},
		{"expired certificate", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = f.url("/expired.pem")
			return sign(e)
		}, ErrCertChain},
		{"certificate not yet valid", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = f.url("/not-yet.pem")
			return sign(e)
		}, ErrCertChain},
		{"not a certificate", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = f.url("/garbage.pem")
			return sign(e)
		}, ErrCertChain},
		{"certificate 404", nil, func(e *Envelope, sign resign) []byte {
			e.SigningCertURL = f.url("/gone.pem")
			return sign(e)
		}, ErrCertFetch},
		{"stale", nil, func(e *Envelope, sign resign) []byte {
			e.Timestamp = f.now.Add(-DefaultMaxAge - time.Millisecond).Format(TimestampFormat)
			return sign(e)
		}, ErrStale},
		{"stale under a shorter max age", []Option{WithMaxAge(time.Minute)}, func(e *Envelope, sign resign) []byte {
			e.Timestamp = f.now.Add(-2 * time.Minute).Format(TimestampFormat)
			return sign(e)
		}, ErrStale},
		{"from the future", nil, func(e *Envelope, sign resign) []byte {
			e.Timestamp = f.now.Add(DefaultMaxFuture + time.Millisecond).Format(TimestampFormat)
			return sign(e)
		}, ErrStale},
		{"Timestamp not a time", nil, func(e *Envelope, sign resign) []byte {
			e.Timestamp = "yesterday"
			return sign(e)
		}, ErrMalformed},
		{"unexpected topic", []Option{WithTopicARNs("arn:aws:sns:us-east-1:123456789012:other")}, func(e *Envelope, sign resign) []byte {
			return sign(e)
		}, ErrTopic},
		{"unknown Type", nil, func(e *Envelope, sign resign) []byte {
			sign(e)
			e.Type = "Advertisement"
			return encode(t, e)
		}, ErrMalformed},
	}
	for _, version := range versions {
		for _, tt := range tests {
			t.Run("v"+version+"/"+tt.name, func(t *testing.T) {
				v := f.verifier(tt.opts...)
				body := tt.build(f.notification(version, sampleMessage), sign)
				_, err := v.Verify(context.Background(), body)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Verify error = %v, want %v", err, tt.want)
				}
				var e *Error
				if !errors.As(err, &e) || e.Kind != tt.want {
					t.Fatalf("error %T %v is not an *Error of kind %v", err, err, tt.want)
				}
				if _, err := v.Parse(context.Background(), body); !errors.Is(err, tt.want) {
					t.Fatalf("Parse error = %v, want %v", err, tt.want)
				}
			})
		}
	}
}

func encode(t testing.TB, e any) []byte {
	t.Helper()
	var b strings.Builder
	writeJSON(t, &b, e)
	return []byte(b.String())
}

func TestVerifyAllowsClockSkewWithinLimits(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	for _, d := range []time.Duration{-DefaultMaxAge, -time.Minute, 0, DefaultMaxFuture} {
		env := f.notification(SignatureVersion2, sampleMessage)
		env.Timestamp = f.now.Add(d).Format(TimestampFormat)
		if _, err := v.Verify(context.Background(), signed(t, env, nil)); err != nil {
			t.Errorf("Timestamp now%+v: %v", d, err)
		}
	}
}

func TestVerifyAcceptsAllowedTopic(t *testing.T) {
	f := newFixture(t)
	env := f.notification(SignatureVersion2, sampleMessage)
	v := f.verifier(WithTopicARNs("arn:aws:sns:us-east-1:1:x", env.TopicARN))
	if _, err := v.Verify(context.Background(), signed(t, env, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	good := string(signed(t, f.notification(SignatureVersion2, sampleMessage), nil))
	without := func(key string) string {
		e, err := ParseEnvelope([]byte(good))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{
			"Type": e.Type, "MessageId": e.MessageID, "TopicArn": e.TopicARN, "Message": e.Message,
			"Timestamp": e.Timestamp, "SignatureVersion": e.SignatureVersion, "Signature": e.Signature,
			"SigningCertURL": e.SigningCertURL,
		}
		delete(m, key)
		return string(encode(t, m))
	}
	tests := map[string]string{
		"empty":                "",
		"not JSON":             "Type=Notification",
		"array":                "[" + good + "]",
		"string":               `"` + strings.ReplaceAll(good, `"`, `\"`) + `"`,
		"truncated":            good[:len(good)/2],
		"trailing data":        good + "{}",
		"duplicate key":        strings.Replace(good, `{"Type":"Notification",`, `{"Type":"Notification","Type":"Notification",`, 1),
		"number Message":       strings.Replace(good, `"TopicArn":`, `"Subject":7,"TopicArn":`, 1),
		"conflicting spelling": strings.Replace(good, `"SigningCertURL":`, `"SigningCertUrl":"https://sns.us-east-1.amazonaws.com/x.pem","SigningCertURL":`, 1),
		"missing Type":         without("Type"),
		"missing MessageId":    without("MessageId"),
		"missing TopicArn":     without("TopicArn"),
		"missing Message":      without("Message"),
		"missing Timestamp":    without("Timestamp"),
		"missing Signature":    without("Signature"),
		"missing version":      without("SignatureVersion"),
		"missing cert URL":     without("SigningCertURL"),
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Verify(context.Background(), []byte(body)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Verify = %v, want ErrMalformed", err)
			}
		})
	}
	if got := f.files.count("/cert.pem"); got != 0 {
		t.Errorf("malformed envelopes fetched the certificate %d times", got)
	}
}

func TestVerifyAcceptsLambdaSpellingsAndNullSubject(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	body := string(signed(t, f.notification(SignatureVersion1, sampleMessage), nil))
	body = strings.Replace(body, `"SigningCertURL"`, `"SigningCertUrl"`, 1)
	body = strings.Replace(body, `"UnsubscribeURL"`, `"UnsubscribeUrl"`, 1)
	body = strings.Replace(body, `{`, `{"Subject":null,"MessageAttributes":{"k":{"Type":"String","Value":"v"}},`, 1)
	env, err := v.Verify(context.Background(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if env.SigningCertURL != f.url("/cert.pem") || env.UnsubscribeURL != f.url("/unsubscribe") {
		t.Errorf("URLs not read from Lambda spellings: %+v", env)
	}
}

func TestVerifySubscriptionConfirmation(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	for _, typ := range []string{TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation} {
		for _, version := range versions {
			env := f.notification(version, sampleMessage)
			env.Type = typ
			env.Message = "You have chosen to subscribe to the topic."
			env.Token = "2336412f37fb687f5d51e6e2425c464de12884a5"
			env.SubscribeURL = f.url("/confirm?Action=ConfirmSubscription")
			body := signed(t, env, nil)
			got, err := v.Verify(context.Background(), body)
			if err != nil {
				t.Fatalf("%s v%s: %v", typ, version, err)
			}
			if got.SubscribeURL != env.SubscribeURL || got.Token != env.Token {
				t.Errorf("%s: got %+v", typ, got)
			}
			if _, err := v.Parse(context.Background(), body); !errors.Is(err, ErrSubscription) {
				t.Errorf("Parse(%s) = %v, want ErrSubscription", typ, err)
			}
			env.Token = "other"
			if _, err := v.Verify(context.Background(), encode(t, env)); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("tampered Token: %v", err)
			}
			env.SubscribeURL = ""
			if _, err := v.Verify(context.Background(), encode(t, env)); !errors.Is(err, ErrMalformed) {
				t.Errorf("missing SubscribeURL: %v", err)
			}
		}
	}
	if n := f.files.count("/confirm"); n != 0 {
		t.Errorf("SubscribeURL was visited %d times", n)
	}
}

func TestParseMessageFormats(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	tests := []struct {
		name    string
		message string
		want    Message
		err     error
	}{
		{"v2 keys", `{"MerchantID":"M1","ObjectType":"REFUND","ObjectId":"S01-1-2-R1","ChargePermissionId":"S01-1-2","NotificationType":"STATE_CHANGE","NotificationId":"n1","NotificationVersion":"V2"}`,
			Message{"M1", ObjectTypeRefund, "S01-1-2-R1", "S01-1-2", NotificationTypeStateChange, "n1", "V2"}, nil},
		{"v1 keys", `{"merchantID":"M1","objectType":"CHARGE","objectId":"S01-1-2-C1","chargePermissionId":"S01-1-2","notificationType":"STATE_CHANGE","notificationId":"n2","notificationVersion":"V1"}`,
			Message{"M1", ObjectTypeCharge, "S01-1-2-C1", "S01-1-2", NotificationTypeStateChange, "n2", "V1"}, nil},
		{"unknown object type passes through", `{"ObjectType":"DISPUTE","ObjectId":"D1","NotificationType":"ATTRIBUTE_CHANGE"}`,
			Message{ObjectType: "DISPUTE", ObjectID: "D1", NotificationType: NotificationTypeAttributeChange}, nil},
		{"extra keys ignored", `{"ObjectType":"CHARGEBACK","ObjectId":"CB1","Extra":{"a":[1,2]}}`,
			Message{ObjectType: ObjectTypeChargeback, ObjectID: "CB1"}, nil},
		{"missing ObjectType", `{"ObjectId":"C1"}`, Message{}, ErrMalformed},
		{"missing ObjectId", `{"ObjectType":"CHARGE"}`, Message{}, ErrMalformed},
		{"not JSON", `hello`, Message{}, ErrMalformed},
		{"ObjectId a number", `{"ObjectType":"CHARGE","ObjectId":5}`, Message{}, ErrMalformed},
		{"both spellings disagree", `{"ObjectType":"CHARGE","objectType":"REFUND","ObjectId":"C1"}`, Message{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := f.notification(SignatureVersion2, sampleMessage)
			env.Message = tt.message
			n, err := v.Parse(context.Background(), signed(t, env, nil))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.Message != tt.want {
				t.Errorf("got %+v, want %+v", n.Message, tt.want)
			}
		})
	}
}

func TestCertificateCache(t *testing.T) {
	f := newFixture(t)
	f.files.put("/second.pem", f.ca.issue(t, testKeys()[keyLeaf], []string{"127.0.0.1"}, f.now.Add(-time.Hour), f.now.Add(time.Hour)))
	verify := func(v *Verifier, path string) {
		t.Helper()
		env := f.notification(SignatureVersion2, sampleMessage)
		env.SigningCertURL = f.url(path)
		if _, err := v.Verify(context.Background(), signed(t, env, nil)); err != nil {
			t.Fatalf("Verify(%s): %v", path, err)
		}
	}

	v := f.verifier()
	for range 5 {
		verify(v, "/cert.pem")
	}
	if got := f.files.count("/cert.pem"); got != 1 {
		t.Errorf("5 verifications fetched /cert.pem %d times, want 1", got)
	}

	// A bound of one certificate: alternating URLs refetch each time.
	small := f.verifier(WithCacheSize(1))
	verify(small, "/second.pem")
	verify(small, "/cert.pem")
	verify(small, "/second.pem")
	if got := f.files.count("/second.pem"); got != 2 {
		t.Errorf("/second.pem fetched %d times with cache size 1, want 2", got)
	}
	if got := small.certs.size(); got != 1 {
		t.Errorf("cache holds %d certificates, want 1", got)
	}
}

func TestCertificateCacheRefetchesExpired(t *testing.T) {
	f := newFixture(t)
	now := f.now
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v := f.verifier(WithClock(clock), WithMaxAge(48*time.Hour))
	body := signed(t, f.notification(SignatureVersion2, sampleMessage), nil)
	if _, err := v.Verify(context.Background(), body); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(25 * time.Hour) // past the leaf's NotAfter
	mu.Unlock()
	if _, err := v.Verify(context.Background(), body); !errors.Is(err, ErrCertChain) {
		t.Fatalf("after expiry: %v, want ErrCertChain", err)
	}
	if got := f.files.count("/cert.pem"); got != 2 {
		t.Errorf("fetched %d times, want 2 (the expired entry is dropped and refetched)", got)
	}
}

func TestCertificateFetchedOnceConcurrently(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	body := signed(t, f.notification(SignatureVersion1, sampleMessage), nil)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, err := v.Verify(context.Background(), body)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.files.count("/cert.pem"); got != 1 {
		t.Errorf("16 concurrent verifications fetched %d times, want 1", got)
	}
}

func TestVerifyDoesNotFollowRedirects(t *testing.T) {
	f := newFixture(t)
	f.files.fail("/moved.pem", http.StatusFound)
	v := f.verifier()
	env := f.notification(SignatureVersion2, sampleMessage)
	env.SigningCertURL = f.url("/moved.pem")
	if _, err := v.Verify(context.Background(), signed(t, env, nil)); !errors.Is(err, ErrCertFetch) {
		t.Fatalf("redirect: %v, want ErrCertFetch", err)
	}
}

func TestVerifyHonoursContext(t *testing.T) {
	f := newFixture(t)
	v := f.verifier()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Verify(ctx, signed(t, f.notification(SignatureVersion2, sampleMessage), nil))
	if !errors.Is(err, ErrCertFetch) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	// The failure is not cached.
	if _, err := v.Verify(context.Background(), signed(t, f.notification(SignatureVersion2, sampleMessage), nil)); err != nil {
		t.Fatal(err)
	}
}

func TestNewVerifierRejectsBadOptions(t *testing.T) {
	tests := map[string]Option{
		"nil matcher":     WithCertHostMatcher(nil),
		"empty host":      WithAllowedCertHost(""),
		"host with path":  WithAllowedCertHost("127.0.0.1:8443/x"),
		"host with http":  WithAllowedCertHost("http://127.0.0.1"),
		"no topics":       WithTopicARNs(),
		"zero max age":    WithMaxAge(0),
		"negative future": WithMaxFuture(-time.Second),
		"nil clock":       WithClock(nil),
		"nil client":      WithHTTPClient(nil),
		"zero cache":      WithCacheSize(0),
	}
	for name, opt := range tests {
		if _, err := NewVerifier(opt); err == nil {
			t.Errorf("%s: NewVerifier accepted it", name)
		}
	}
}

func TestCertHostMatcherReplacesDefault(t *testing.T) {
	f := newFixture(t)
	v, err := NewVerifier(WithRoots(f.ca.pool), WithHTTPClient(f.srv.Client()),
		WithClock(func() time.Time { return f.now }),
		WithCertHostMatcher(func(host string) bool { return host == f.host }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), signed(t, f.notification(SignatureVersion2, sampleMessage), nil)); err != nil {
		t.Fatal(err)
	}
}
