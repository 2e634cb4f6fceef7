package amazonpay

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ButtonConfig is the object checkout.js takes as createCheckoutSessionConfig
// (or signInConfig for a Sign-In button). Its JSON tags are checkout.js's
// key names, so it can be rendered into a page as is; html/template escapes
// PayloadJSON correctly inside a script. PayloadJSON holds the exact bytes
// that were signed: render it unchanged, or the hosted page answers
// InvalidSignatureError.
type ButtonConfig struct {
	PayloadJSON string `json:"payloadJSON"`
	Signature   string `json:"signature"`
	PublicKeyID string `json:"publicKeyId"`
	Algorithm   string `json:"algorithm"`
}

// SignButtonPayload signs a checkout.js button payload, usually a
// *CreateCheckoutSessionRequest (or a sign-in payload). A struct, map or
// other value is JSON-encoded once, without HTML escaping, so that URLs
// keep their "&" and the bytes signed are the bytes the page sends. A
// string, []byte or json.RawMessage is used verbatim and must already be a
// JSON object. No date is involved, so the signature is stable for a
// given payload and can be cached with it.
func (c *Client) SignButtonPayload(payload any) (ButtonConfig, error) {
	b, err := buttonPayloadBytes(payload)
	if err != nil {
		return ButtonConfig{}, err
	}
	sig, err := c.signer.SignButtonPayload(b)
	if err != nil {
		return ButtonConfig{}, fmt.Errorf("amazonpay: signing button payload: %w", err)
	}
	return ButtonConfig{
		PayloadJSON: string(b),
		Signature:   sig,
		PublicKeyID: c.signer.PublicKeyID(),
		Algorithm:   string(c.signer.Algorithm()),
	}, nil
}

func buttonPayloadBytes(payload any) ([]byte, error) {
	var b []byte
	switch p := payload.(type) {
	case nil:
		return nil, &InputError{Field: "payload", Reason: "is nil"}
	case string:
		b = []byte(p)
	case []byte:
		b = p
	case json.RawMessage:
		b = p
	case *CreateCheckoutSessionRequest:
		if err := p.validate(); err != nil {
			return nil, err
		}
		enc, err := encodeBody(p)
		if err != nil {
			return nil, err
		}
		b = enc
	default:
		enc, err := encodeBody(p)
		if err != nil {
			return nil, err
		}
		b = enc
	}
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(b) {
		return nil, &InputError{Field: "payload", Reason: "must be a JSON object"}
	}
	return append([]byte(nil), b...), nil
}
