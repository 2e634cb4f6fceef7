package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"testing"
)

// BenchmarkAuthorization signs a typical POST; compare with
// BenchmarkBareSignPSS to see what canonicalisation costs on top of RSA.
func BenchmarkAuthorization(b *testing.B) {
	s, _ := NewSigner("SANDBOX-TEST", key(b), AlgorithmV2)
	h := hdr("accept", "application/json", "content-type", "application/json",
		"x-amz-pay-date", "20240115T123456Z", "x-amz-pay-host", "pay-api.amazon.com",
		"x-amz-pay-idempotency-key", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "x-amz-pay-region", "na")
	body := []byte(exampleBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authorization("POST", "/v2/checkoutSessions", "", h, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareSignPSS is the reference: one rsa.SignPSS of a SHA-256 digest
// with the same key.
func BenchmarkBareSignPSS(b *testing.B) {
	k := key(b)
	digest := sha256.Sum256([]byte(exampleBody))
	opts := &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyRequest verifies a signed GET; compare with
// BenchmarkBareVerifyPSS.
func BenchmarkVerifyRequest(b *testing.B) {
	k := key(b)
	s, _ := NewSigner("SANDBOX-TEST", k, AlgorithmV2)
	r, _ := http.NewRequest("GET", "http://x/v2/charges/S01-1234567-1234567-C123456", nil)
	r.Header = hdr("accept", "application/json", "content-type", "application/json",
		"x-amz-pay-date", "20240115T123456Z", "x-amz-pay-host", "pay-api.amazon.com", "x-amz-pay-region", "na")
	auth, _ := s.Authorization("GET", r.URL.EscapedPath(), "", r.Header, nil)
	r.Header.Set("Authorization", auth)
	keys := keysFor(k)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyRequest(r, nil, keys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareVerifyPSS is one rsa.VerifyPSS with the same key.
func BenchmarkBareVerifyPSS(b *testing.B) {
	k := key(b)
	digest := sha256.Sum256([]byte(exampleBody))
	opts := &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}
	sig, _ := rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], opts)
	b.ReportAllocs()
	for b.Loop() {
		if err := rsa.VerifyPSS(&k.PublicKey, crypto.SHA256, digest[:], sig, opts); err != nil {
			b.Fatal(err)
		}
	}
}
