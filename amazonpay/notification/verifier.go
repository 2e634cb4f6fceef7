package notification

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
)

// Verifier checks that SNS envelopes really come from SNS (and so from
// Amazon Pay) before anything acts on them. It is safe for concurrent use
// and caches signing certificates, so make one and share it.
type Verifier struct {
	cfg    config
	client *http.Client
	certs  *certCache
}

// NewVerifier returns a Verifier for real SNS by default: certificates from
// https://sns.<region>.amazonaws.com/….pem chaining to the system roots,
// messages at most an hour old. Options adjust that for tests or the
// emulator; an invalid option is an error here.
func NewVerifier(opts ...Option) (*Verifier, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	client := *cfg.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Verifier{cfg: cfg, client: &client, certs: newCertCache(cfg.cacheSize)}, nil
}

// Verify parses body as an SNS envelope and checks it: shape, certificate
// URL, topic, timestamp window, then the certificate chain and signature.
// Cheap checks come first so junk never causes a fetch. Any Type is
// returned once authentic, including a SubscriptionConfirmation with its
// SubscribeURL — which Verify never visits: confirming is the caller's
// decision.
//
// Errors are [*Error] values matching one of the package's sentinels.
func (v *Verifier) Verify(ctx context.Context, body []byte) (*Envelope, error) {
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, err
	}
	if _, _, err := env.digest(); err != nil {
		return nil, err
	}
	u, err := v.checkCertURL(env.SigningCertURL)
	if err != nil {
		return nil, err
	}
	if v.cfg.topics != nil && !v.cfg.topics[env.TopicARN] {
		return nil, newError(ErrTopic, fmt.Sprintf("TopicArn %q", env.TopicARN), nil)
	}
	if err := v.checkTime(env); err != nil {
		return nil, err
	}
	cert, err := v.signingCert(ctx, u)
	if err != nil {
		return nil, err
	}
	if err := env.verifySignature(cert.PublicKey.(*rsa.PublicKey)); err != nil {
		return nil, err
	}
	return env, nil
}

// checkTime refuses timestamps outside [now-maxAge, now+maxFuture].
func (v *Verifier) checkTime(env *Envelope) error {
	t, err := env.Time()
	if err != nil {
		return err
	}
	now := v.cfg.now()
	if age := now.Sub(t); age > v.cfg.maxAge {
		return newError(ErrStale, fmt.Sprintf("Timestamp %s is %v old (limit %v)", env.Timestamp, age, v.cfg.maxAge), nil)
	}
	if ahead := t.Sub(now); ahead > v.cfg.maxFuture {
		return newError(ErrStale, fmt.Sprintf("Timestamp %s is %v in the future (limit %v)", env.Timestamp, ahead, v.cfg.maxFuture), nil)
	}
	return nil
}

// Parse verifies body like [Verifier.Verify] and decodes the Amazon Pay
// message inside. An authentic subscription message yields ErrSubscription
// (there is no Amazon Pay message in it).
func (v *Verifier) Parse(ctx context.Context, body []byte) (*Notification, error) {
	env, err := v.Verify(ctx, body)
	if err != nil {
		return nil, err
	}
	return Decode(env)
}

// Decode extracts the Amazon Pay message from an envelope that has already
// been verified.
func Decode(env *Envelope) (*Notification, error) {
	if env.Type != TypeNotification {
		return nil, newError(ErrSubscription, env.Type, nil)
	}
	msg, err := ParseMessage([]byte(env.Message))
	if err != nil {
		return nil, err
	}
	return &Notification{Message: *msg, Envelope: env}, nil
}
