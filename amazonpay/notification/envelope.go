package notification

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The SNS message types an HTTP(S) endpoint receives. Amazon Pay
// notifications arrive as TypeNotification; the other two only appear when a
// subscription is (un)confirmed.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// SignatureVersion values: SNS signs with RSA PKCS #1 v1.5 over SHA-1
// (version 1, the historical default) or SHA-256 (version 2, recommended).
// Both are accepted because a topic's owner chooses, not the subscriber.
const (
	SignatureVersion1 = "1"
	SignatureVersion2 = "2"
)

// TimestampFormat is the layout SNS uses for Envelope.Timestamp (UTC,
// milliseconds). The signature covers the string exactly as sent, so an
// Envelope keeps it as a string.
const TimestampFormat = "2006-01-02T15:04:05.000Z"

// Envelope is an Amazon SNS HTTP(S) message: what Amazon Pay POSTs to the
// merchant's IPN endpoint. The Amazon Pay notification itself is the JSON in
// Message (see [ParseMessage]).
//
// Field names follow the SNS JSON keys. When decoding, the Lambda-style
// spellings SigningCertUrl, SubscribeUrl and UnsubscribeUrl are accepted too;
// when encoding, the HTTP spellings are written.
type Envelope struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token,omitempty"`
	TopicARN         string `json:"TopicArn"`
	Subject          string `json:"Subject,omitempty"`
	Message          string `json:"Message"`
	SubscribeURL     string `json:"SubscribeURL,omitempty"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	UnsubscribeURL   string `json:"UnsubscribeURL,omitempty"`
}

// Time parses Timestamp. It accepts RFC 3339 with or without fractional
// seconds, which covers what SNS sends.
func (e *Envelope) Time() (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, e.Timestamp)
	if err != nil {
		return time.Time{}, newError(ErrMalformed, "Timestamp is not RFC 3339", err)
	}
	return t, nil
}

// StringToSign returns the bytes SNS signs: "key\nvalue\n" for each signed
// key in byte order. A Notification signs Message, MessageId, Subject (only
// when present), Timestamp, TopicArn and Type; the two confirmation types
// sign Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn and Type.
func (e *Envelope) StringToSign() ([]byte, error) {
	var pairs [][2]string
	switch e.Type {
	case TypeNotification:
		pairs = append(pairs, [2]string{"Message", e.Message}, [2]string{"MessageId", e.MessageID})
		if e.Subject != "" {
			pairs = append(pairs, [2]string{"Subject", e.Subject})
		}
		pairs = append(pairs, [2]string{"Timestamp", e.Timestamp}, [2]string{"TopicArn", e.TopicARN}, [2]string{"Type", e.Type})
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		pairs = [][2]string{
			{"Message", e.Message}, {"MessageId", e.MessageID}, {"SubscribeURL", e.SubscribeURL},
			{"Timestamp", e.Timestamp}, {"Token", e.Token}, {"TopicArn", e.TopicARN}, {"Type", e.Type},
		}
	default:
		return nil, newError(ErrMalformed, fmt.Sprintf("unknown Type %q", e.Type), nil)
	}
	var b bytes.Buffer
	for _, p := range pairs {
		b.WriteString(p[0])
		b.WriteByte('\n')
		b.WriteString(p[1])
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// digest hashes the string to sign with the hash SignatureVersion names.
func (e *Envelope) digest() (crypto.Hash, []byte, error) {
	msg, err := e.StringToSign()
	if err != nil {
		return 0, nil, err
	}
	switch e.SignatureVersion {
	case SignatureVersion1:
		sum := sha1.Sum(msg)
		return crypto.SHA1, sum[:], nil
	case SignatureVersion2:
		sum := sha256.Sum256(msg)
		return crypto.SHA256, sum[:], nil
	}
	return 0, nil, newError(ErrMalformed, fmt.Sprintf("unsupported SignatureVersion %q", e.SignatureVersion), nil)
}

// Sign fills Signature for the envelope's SignatureVersion with an RSA key,
// the way SNS does. It exists for senders (the emulator) and for tests; a
// merchant only ever verifies.
func (e *Envelope) Sign(key crypto.Signer) error {
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return errors.New("notification: SNS signatures need an RSA key")
	}
	h, sum, err := e.digest()
	if err != nil {
		return err
	}
	sig, err := key.Sign(rand.Reader, sum, h)
	if err != nil {
		return fmt.Errorf("notification: sign envelope: %w", err)
	}
	e.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// verifySignature checks Signature against pub.
func (e *Envelope) verifySignature(pub *rsa.PublicKey) error {
	h, sum, err := e.digest()
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil {
		return newError(ErrInvalidSignature, "Signature is not base64", nil)
	}
	if err := rsa.VerifyPKCS1v15(pub, h, sum, sig); err != nil {
		return newError(ErrInvalidSignature, "signature does not match the signed fields", nil)
	}
	return nil
}

// ParseEnvelope decodes an SNS envelope without verifying it. It is strict
// about shape (a single JSON object, no duplicate keys, string values for the
// keys it reads, every key the Type requires) so that the envelope verified
// is exactly the one returned. Use [Verifier.Verify] for anything you act on.
func ParseEnvelope(body []byte) (*Envelope, error) {
	fields, err := decodeObject(body)
	if err != nil {
		return nil, newError(ErrMalformed, "envelope is not a JSON object", err)
	}
	var e Envelope
	targets := []struct {
		dst   *string
		names []string
	}{
		{&e.Type, []string{"Type"}},
		{&e.MessageID, []string{"MessageId"}},
		{&e.Token, []string{"Token"}},
		{&e.TopicARN, []string{"TopicArn"}},
		{&e.Subject, []string{"Subject"}},
		{&e.Message, []string{"Message"}},
		{&e.SubscribeURL, []string{"SubscribeURL", "SubscribeUrl"}},
		{&e.Timestamp, []string{"Timestamp"}},
		{&e.SignatureVersion, []string{"SignatureVersion"}},
		{&e.Signature, []string{"Signature"}},
		{&e.SigningCertURL, []string{"SigningCertURL", "SigningCertUrl"}},
		{&e.UnsubscribeURL, []string{"UnsubscribeURL", "UnsubscribeUrl"}},
	}
	present := make(map[string]bool, len(targets))
	for _, t := range targets {
		v, ok, err := stringField(fields, t.names...)
		if err != nil {
			return nil, newError(ErrMalformed, err.Error(), nil)
		}
		*t.dst, present[t.names[0]] = v, ok
	}
	if err := e.checkRequired(present); err != nil {
		return nil, err
	}
	return &e, nil
}

// checkRequired enforces the keys each Type must carry.
func (e *Envelope) checkRequired(present map[string]bool) error {
	required := []string{"Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"}
	switch e.Type {
	case TypeNotification:
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		required = append(required, "SubscribeURL", "Token")
	case "":
		return newError(ErrMalformed, "missing Type", nil)
	default:
		return newError(ErrMalformed, fmt.Sprintf("unknown Type %q", e.Type), nil)
	}
	for _, k := range required {
		if !present[k] {
			return newError(ErrMalformed, "missing "+k, nil)
		}
	}
	return nil
}

// decodeObject reads one JSON object into its raw members, refusing
// duplicate keys (encoding/json would silently keep the last) and trailing
// data.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not an object")
	}
	fields := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("object key is not a string")
		}
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		fields[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return fields, nil
}

// stringField returns the string under the first of names present (null
// counts as absent). Two spellings present with different values are an
// error: the reader could not know which one was meant.
func stringField(fields map[string]json.RawMessage, names ...string) (string, bool, error) {
	var val string
	found := ""
	for _, name := range names {
		raw, ok := fields[name]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, fmt.Errorf("%s is not a string", name)
		}
		if found != "" && s != val {
			return "", false, fmt.Errorf("%s and %s disagree", found, name)
		}
		if found == "" {
			val, found = s, name
		}
	}
	return val, found != "", nil
}
