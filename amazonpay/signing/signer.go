package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
)

// Signer signs requests and button payloads with one merchant key. It is
// safe for concurrent use.
type Signer struct {
	publicKeyID string
	key         *rsa.PrivateKey
	alg         Algorithm
	rand        io.Reader
}

// NewSigner checks its inputs once so that every later signature can only
// fail on a broken random source.
func NewSigner(publicKeyID string, key *rsa.PrivateKey, alg Algorithm) (*Signer, error) {
	if strings.TrimSpace(publicKeyID) == "" {
		return nil, errors.New("signing: public key id is empty")
	}
	if strings.ContainsAny(publicKeyID, ", =;\r\n") {
		return nil, errors.New("signing: public key id contains characters that would break the Authorization header")
	}
	if key == nil {
		return nil, errors.New("signing: private key is nil")
	}
	if !alg.Valid() {
		return nil, errors.New("signing: unknown algorithm " + string(alg))
	}
	return &Signer{publicKeyID: publicKeyID, key: key, alg: alg, rand: rand.Reader}, nil
}

// PublicKeyID is the id sent in the Authorization header.
func (s *Signer) PublicKeyID() string { return s.publicKeyID }

// Algorithm is the scheme the signer uses.
func (s *Signer) Algorithm() Algorithm { return s.alg }

// PublicKey returns the public half, for registering with an emulator.
func (s *Signer) PublicKey() *rsa.PublicKey { return &s.key.PublicKey }

// SignString signs the bytes of stringToSign and returns standard base64.
func (s *Signer) SignString(stringToSign string) (string, error) {
	digest := sha256.Sum256([]byte(stringToSign))
	sig, err := rsa.SignPSS(s.rand, s.key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: s.alg.SaltLength(), Hash: crypto.SHA256})
	if err != nil {
		return "", errors.New("signing: RSASSA-PSS signature failed")
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Authorization signs a request whose headers are final and returns the
// Authorization header value. Every header in h is signed, its name
// lower-cased, in byte order; leave out headers a proxy may rewrite (such as
// User-Agent). path must be the escaped path as sent and query the exact
// query string sent (see [CanonicalQuery]).
func (s *Signer) Authorization(method, path, query string, h http.Header, body []byte) (string, error) {
	names := make([]string, 0, len(h))
	for k := range h {
		lk := strings.ToLower(k)
		if lk == HeaderAuthorization {
			continue
		}
		names = append(names, lk)
	}
	sort.Strings(names)
	signed := strings.Join(names, ";")
	canonical, err := CanonicalRequest(Request{Method: method, Path: path, Query: query, Header: h, SignedHeaders: signed, Body: body})
	if err != nil {
		return "", err
	}
	sig, err := s.SignString(StringToSign(s.alg, canonical))
	if err != nil {
		return "", err
	}
	return Authorization{Algorithm: s.alg, PublicKeyID: s.publicKeyID, SignedHeaders: signed, Signature: sig}.String(), nil
}

// SignButtonPayload signs the exact bytes checkout.js will receive as
// payloadJSON: the string to sign is the algorithm name, a newline and the
// hex SHA-256 of the payload. No date is involved, so the signature is
// stable for a given payload.
func (s *Signer) SignButtonPayload(payload []byte) (string, error) {
	return s.SignString(string(s.alg) + "\n" + HashHex(payload))
}

// VerifyButtonSignature checks a checkout.js payload signature the way the
// hosted pages do: over the exact payload bytes.
func VerifyButtonSignature(pub *rsa.PublicKey, alg Algorithm, payload []byte, signature string) error {
	if !alg.Valid() {
		return &Error{Kind: KindUnknownAlgorithm, Detail: "unknown algorithm " + string(alg)}
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return &Error{Kind: KindMalformed, Detail: "signature is not standard base64"}
	}
	sts := string(alg) + "\n" + HashHex(payload)
	if !verifyPSS(pub, alg, sts, sig) {
		return &Error{Kind: KindBadSignature, StringToSign: sts, Signature: signature, Detail: "button signature does not match payload"}
	}
	return nil
}

func verifyPSS(pub *rsa.PublicKey, alg Algorithm, stringToSign string, sig []byte) bool {
	digest := sha256.Sum256([]byte(stringToSign))
	return rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: alg.SaltLength(), Hash: crypto.SHA256}) == nil
}
