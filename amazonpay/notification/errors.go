package notification

import "errors"

// Sentinel errors for errors.Is. Every error [Verifier.Verify], [Verifier.Parse]
// and [ParseMessage] return is an [*Error] that matches exactly one of them,
// so a handler can choose its HTTP status without parsing strings.
var (
	// ErrMalformed: the body is not a well-formed SNS envelope, or the
	// Amazon Pay message inside it cannot be decoded. Answer 400.
	ErrMalformed = errors.New("notification: malformed")
	// ErrInvalidSignature: the signature does not match the signed fields
	// under the signing certificate's key; the message was forged or altered.
	ErrInvalidSignature = errors.New("notification: invalid signature")
	// ErrStale: the envelope's Timestamp is older than the maximum age, or
	// too far in the future; a replayed or badly clocked message.
	ErrStale = errors.New("notification: stale timestamp")
	// ErrCertURL: SigningCertURL is not an https URL on an allowed host with
	// a .pem path, so the certificate is not even fetched.
	ErrCertURL = errors.New("notification: signing certificate URL not allowed")
	// ErrCertChain: the signing certificate does not chain to a trusted root,
	// is outside its validity period, or is not issued for the URL's host.
	ErrCertChain = errors.New("notification: signing certificate not trusted")
	// ErrCertFetch: the signing certificate could not be fetched (network,
	// status or size). Unlike the others this is usually transient: answer
	// 5xx so the sender retries.
	ErrCertFetch = errors.New("notification: signing certificate fetch failed")
	// ErrTopic: the TopicArn is not one the Verifier was told to accept.
	ErrTopic = errors.New("notification: unexpected topic")
	// ErrSubscription: the envelope is an authentic SubscriptionConfirmation
	// or UnsubscribeConfirmation, which carries no Amazon Pay message.
	// [Verifier.Parse] returns it; use [Verifier.Verify] to read SubscribeURL.
	ErrSubscription = errors.New("notification: subscription message, not a notification")
)

// Error is a verification or decoding failure. Kind is one of the sentinel
// errors above; Reason says what exactly was wrong (it never contains key
// material, only envelope fields that are public anyway); Err is the
// underlying cause when there is one (a network or x509 error).
type Error struct {
	Kind   error
	Reason string
	Err    error
}

func (e *Error) Error() string {
	s := e.Kind.Error()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrInvalidSignature) and friends work.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap exposes the cause, e.g. context.Canceled during a certificate fetch.
func (e *Error) Unwrap() error { return e.Err }

func newError(kind error, reason string, cause error) *Error {
	return &Error{Kind: kind, Reason: reason, Err: cause}
}
