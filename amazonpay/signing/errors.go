package signing

import "errors"

// Kind classifies why a request did not verify, so a server can answer with
// the status and reasonCode Amazon Pay uses for that case.
type Kind int

// The kinds of verification failure.
const (
	KindMissingAuthorization Kind = iota + 1 // no Authorization header
	KindMalformed                            // Authorization or signature cannot be parsed
	KindUnknownAlgorithm                     // algorithm name not recognised
	KindUnknownKey                           // PublicKeyId not registered
	KindMissingSignedHeader                  // a header named in SignedHeaders is absent
	KindBadSignature                         // well-formed, but the signature does not match
)

// Sentinels for errors.Is; every *Error matches the one of its Kind.
var (
	ErrMissingAuthorization = errors.New("signing: missing Authorization header")
	ErrMalformed            = errors.New("signing: malformed Authorization header")
	ErrUnknownAlgorithm     = errors.New("signing: unknown signature algorithm")
	ErrUnknownKey           = errors.New("signing: unknown public key id")
	ErrMissingSignedHeader  = errors.New("signing: signed header missing")
	ErrBadSignature         = errors.New("signing: signature does not verify")
)

// Error is a verification failure. StringToSign and Signature are filled in
// for KindBadSignature: Amazon Pay echoes both in its InvalidRequestSignature
// message, and neither is secret.
type Error struct {
	Kind         Kind
	Detail       string
	StringToSign string
	Signature    string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.sentinel().Error()
	}
	return "signing: " + e.Detail
}

// Is makes errors.Is(err, ErrBadSignature) and friends work.
func (e *Error) Is(target error) bool { return target == e.sentinel() }

func (e *Error) sentinel() error {
	switch e.Kind {
	case KindMissingAuthorization:
		return ErrMissingAuthorization
	case KindUnknownAlgorithm:
		return ErrUnknownAlgorithm
	case KindUnknownKey:
		return ErrUnknownKey
	case KindMissingSignedHeader:
		return ErrMissingSignedHeader
	case KindBadSignature:
		return ErrBadSignature
	}
	return ErrMalformed
}
