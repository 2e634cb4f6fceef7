package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func key(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// The canonical request printed on Amazon Pay's signing page, reproduced
// byte for byte (api-protocol.md §1.2).
func TestCanonicalRequest_DocumentationVector(t *testing.T) {
	h := hdr("accept", "application/json", "content-type", "application/json",
		"x-amz-pay-date", "20190923T231908Z", "x-amz-pay-host", "pay-api.amazon.com",
		"x-amz-pay-idempotency-key", "cllHyiNvS8cJ8Zas", "x-amz-pay-region", "us")
	got, err := CanonicalRequest(Request{
		Method: "POST", Path: "/live/v1/checkoutSessions", Header: h,
		SignedHeaders: "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region",
		BodyHash:      "0b6c19dc5bc1883ebd68d3c77ee929922c6b4a59e0a506d96c45e0c024c3295b",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "POST\n/live/v1/checkoutSessions\n\naccept:application/json\ncontent-type:application/json\nx-amz-pay-date:20190923T231908Z\nx-amz-pay-host:pay-api.amazon.com\nx-amz-pay-idempotency-key:cllHyiNvS8cJ8Zas\nx-amz-pay-region:us\n\naccept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region\n0b6c19dc5bc1883ebd68d3c77ee929922c6b4a59e0a506d96c45e0c024c3295b"
	if got != want {
		t.Fatalf("canonical request differs:\n got %q\nwant %q", got, want)
	}
	if h := HashHex([]byte(got)); h != "c5c55b2d523738b72c0b96f6d5e0d712d9496573490125b191eeb6840c052ffb" {
		t.Fatalf("hash = %s", h)
	}
	if sts := StringToSign(AlgorithmV1, got); sts != "AMZN-PAY-RSASSA-PSS\nc5c55b2d523738b72c0b96f6d5e0d712d9496573490125b191eeb6840c052ffb" {
		t.Fatalf("string to sign = %q", sts)
	}
}

const exampleBody = `{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://localhost/store/checkoutReview"},"storeId":"amzn1.application-oa2-client.000000000000000000000000000000000"}`

// The same createCheckoutSession call as each official SDK canonicalises it
// (api-protocol.md §1.6 A–E).
func TestStringToSign_OfficialSDKExamples(t *testing.T) {
	phpBody := strings.ReplaceAll(exampleBody, "/", `\/`)
	common := []string{"accept", "application/json", "content-type", "application/json",
		"x-amz-pay-date", "20240115T123456Z", "x-amz-pay-host", "pay-api.amazon.com",
		"x-amz-pay-idempotency-key", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"}
	five := "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region"
	tests := []struct {
		name   string
		path   string
		header http.Header
		signed string
		body   string
		want   string
	}{
		{"node", "/sandbox/v2/checkoutSessions",
			hdr("accept", "application/json", "content-type", "application/json",
				"user-agent", "amazon-pay-api-sdk-nodejs/2.3.3 (JS/20.20.2; linux)",
				"x-amz-pay-date", "2024-01-15T12:34:56Z", "x-amz-pay-host", "pay-api.amazon.com",
				"x-amz-pay-idempotency-key", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "x-amz-pay-region", "na"),
			"accept;content-type;user-agent;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region",
			exampleBody, "45e032d4868bfb7025640c39f4e54f13078d238ed74f4fb21b8f6c56dd8785b7"},
		{"php", "/sandbox/v2/checkoutSessions", hdr(append(common, "x-amz-pay-region", "na")...), five,
			phpBody, "50c57cbf2c7be2586441028b6312b840665235aa0263bed5effdd0f77f179f1e"},
		{"java", "/sandbox/v2/checkoutSessions", hdr(append(common, "x-amz-pay-region", "NA")...), five,
			exampleBody, "f22b85102bced5efd9a211c40a0ff1d440efeb67d50207c29d2fb3304b6d70da"},
		{"dotnet", "/sandbox/v2/checkoutSessions/", hdr(append(common, "x-amz-pay-region", "na")...), five,
			exampleBody, "95d81aeb39759dbadbdfbbe5ce5034ff8d77530d60a419195c2ff639b651e1ff"},
		{"ruby", "/sandbox/v2/checkoutSessions",
			hdr(append(common, "x-amz-pay-region", "na", "content-length", "166",
				"x-amz-pay-sdk-type", "amazon-pay-api-sdk-ruby", "x-amz-pay-sdk-version", "1.2.0")...),
			"accept;content-length;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region;x-amz-pay-sdk-type;x-amz-pay-sdk-version",
			exampleBody, "1ab85764db434ae57c45c4d2898009755378c85078f1a5e13a95fb5f6267a589"},
	}
	if HashHex([]byte(exampleBody)) != "dbeeff9fa5d36c3c89f89fc94cd4ce992ba780e887a24849dd46a40ec255b046" {
		t.Fatal("example body hash changed")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CanonicalRequest(Request{Method: "POST", Path: tt.path, Header: tt.header, SignedHeaders: tt.signed, Body: []byte(tt.body)})
			if err != nil {
				t.Fatal(err)
			}
			if got := StringToSign(AlgorithmV2, c); got != "AMZN-PAY-RSASSA-PSS-V2\n"+tt.want {
				t.Fatalf("string to sign = %q\ncanonical:\n%s", got, c)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		in   map[string][]string
		want string
	}{
		{nil, ""},
		{map[string][]string{"pageSize": {"10"}, "reportTypes": {"A,B"}}, "pageSize=10&reportTypes=A%2CB"},
		{map[string][]string{"b": {"2", "1"}, "a": {"x y"}}, "a=x%20y&b=1&b=2"},
		{map[string][]string{"k~": {"ü*+"}}, "k~=%C3%BC%2A%2B"},
		{map[string][]string{"nextToken": {""}}, "nextToken="},
	}
	for _, tt := range tests {
		if got := CanonicalQuery(tt.in); got != tt.want {
			t.Errorf("CanonicalQuery(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"20240102T030405Z", "2024-01-02T03:04:05Z"} {
		got, err := ParseDate(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "2024-01-02", "20240102T030405", "2024-01-02T03:04:05+01:00", "Tue, 02 Jan 2024 03:04:05 GMT"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) succeeded", s)
		}
	}
	if FormatDate(want.In(time.FixedZone("x", 3600))) != "20240102T030405Z" {
		t.Error("FormatDate does not convert to UTC")
	}
}

func TestParseAuthorization(t *testing.T) {
	good := "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-ABC, SignedHeaders=accept;x-amz-pay-date, Signature=ab+/cd=="
	a, err := ParseAuthorization(good)
	if err != nil {
		t.Fatal(err)
	}
	if a.Algorithm != AlgorithmV2 || a.PublicKeyID != "SANDBOX-ABC" || a.SignedHeaders != "accept;x-amz-pay-date" || a.Signature != "ab+/cd==" {
		t.Fatalf("parsed %+v", a)
	}
	if a.String() != good {
		t.Fatalf("String() = %q", a.String())
	}
	bad := []struct {
		in   string
		kind error
	}{
		{"", ErrMalformed},
		{"AMZN-PAY-RSASSA-PSS-V2", ErrMalformed},
		{"HMAC PublicKeyId=a, SignedHeaders=b, Signature=c", ErrUnknownAlgorithm},
		{"AMZN-PAY-RSASSA-PSS PublicKeyId=a, SignedHeaders=b", ErrMalformed},
		{"AMZN-PAY-RSASSA-PSS PublicKeyId=a, SignedHeaders=b, Signature=c, Extra=d", ErrMalformed},
		{"AMZN-PAY-RSASSA-PSS PublicKeyId=a, PublicKeyId=b, SignedHeaders=b, Signature=c", ErrMalformed},
		{"AMZN-PAY-RSASSA-PSS PublicKeyId=a; SignedHeaders=b; Signature=c", ErrMalformed},
		{"AMZN-PAY-RSASSA-PSS PublicKeyId, SignedHeaders=b, Signature=c", ErrMalformed},
	}
	for _, tt := range bad {
		if _, err := ParseAuthorization(tt.in); !errors.Is(err, tt.kind) {
			t.Errorf("ParseAuthorization(%q) = %v, want %v", tt.in, err, tt.kind)
		}
	}
}

func signedRequest(t *testing.T, s *Signer, method, target, body string, extra http.Header) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	h := hdr("accept", "application/json", "content-type", "application/json",
		"x-amz-pay-date", FormatDate(time.Now()), "x-amz-pay-host", "pay-api.amazon.com", "x-amz-pay-region", "na")
	for k, v := range extra {
		h[k] = v
	}
	auth, err := s.Authorization(method, r.URL.EscapedPath(), r.URL.RawQuery, h, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		r.Header[k] = v
	}
	r.Header.Set("Authorization", auth)
	return r
}

func keysFor(k *rsa.PrivateKey) KeyFunc {
	return func(id string) (*rsa.PublicKey, error) {
		if id != "SANDBOX-TEST" {
			return nil, errors.New("unknown")
		}
		return &k.PublicKey, nil
	}
}

func TestSignAndVerify(t *testing.T) {
	k := key(t)
	for _, alg := range []Algorithm{AlgorithmV1, AlgorithmV2} {
		t.Run(string(alg), func(t *testing.T) {
			s, err := NewSigner("SANDBOX-TEST", k, alg)
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct{ method, target, body string }{
				{"GET", "/v2/charges/S01-1234567-1234567-C123456", ""},
				{"POST", "/v2/checkoutSessions", exampleBody},
				{"DELETE", "/v2/charges/S01-1/cancel", `{"cancellationReason":"Änderung – 変更"}`},
				{"GET", "/v2/reports?createdSince=20240101T000000Z&pageSize=10&reportTypes=A%2CB", ""},
			}
			for _, tt := range tests {
				r := signedRequest(t, s, tt.method, tt.target, tt.body, http.Header{"X-Amz-Pay-Idempotency-Key": {"k1"}})
				v, err := VerifyRequest(r, []byte(tt.body), keysFor(k))
				if err != nil {
					t.Fatalf("%s %s: %v", tt.method, tt.target, err)
				}
				if v.Authorization.Algorithm != alg || v.Date.IsZero() {
					t.Fatalf("verified %+v", v)
				}
				// Any change to what was signed must fail.
				if _, err := VerifyRequest(r, []byte(tt.body+" "), keysFor(k)); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("tampered body verified: %v", err)
				}
				r.Header.Set("X-Amz-Pay-Idempotency-Key", "k2")
				if _, err := VerifyRequest(r, []byte(tt.body), keysFor(k)); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("tampered header verified: %v", err)
				}
			}
		})
	}
}

func TestVerifyRequest_Failures(t *testing.T) {
	k := key(t)
	s, _ := NewSigner("SANDBOX-TEST", k, AlgorithmV2)
	fresh := func() *http.Request { return signedRequest(t, s, "GET", "/v2/charges/x", "", nil) }

	r := fresh()
	r.Header.Del("Authorization")
	if _, err := VerifyRequest(r, nil, keysFor(k)); !errors.Is(err, ErrMissingAuthorization) {
		t.Errorf("missing: %v", err)
	}
	r = fresh()
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SANDBOX-TEST", "SANDBOX-OTHER", 1))
	if _, err := VerifyRequest(r, nil, keysFor(k)); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
	r = fresh()
	r.Header.Del("X-Amz-Pay-Region")
	if _, err := VerifyRequest(r, nil, keysFor(k)); !errors.Is(err, ErrMissingSignedHeader) {
		t.Errorf("missing signed header: %v", err)
	}
	r = fresh()
	r.Header.Set("Authorization", r.Header.Get("Authorization")[:len(r.Header.Get("Authorization"))-6]+"!!!!==")
	if _, err := VerifyRequest(r, nil, keysFor(k)); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad base64: %v", err)
	}
	// The path is signed: the same signature on another path fails, and the
	// error carries the string to sign for Amazon's message.
	r = fresh()
	r.URL.Path = "/v2/charges/y"
	var se *Error
	if _, err := VerifyRequest(r, nil, keysFor(k)); !errors.As(err, &se) || se.Kind != KindBadSignature || !strings.HasPrefix(se.StringToSign, "AMZN-PAY-RSASSA-PSS-V2\n") {
		t.Errorf("other path: %v", err)
	}
}

// A signature made with salt 20 must not verify under the V2 name and vice
// versa: the name promises the salt length.
func TestVerifyRequest_SaltMustMatchAlgorithm(t *testing.T) {
	k := key(t)
	v1, _ := NewSigner("SANDBOX-TEST", k, AlgorithmV1)
	r := signedRequest(t, v1, "GET", "/v2/charges/x", "", nil)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AMZN-PAY-RSASSA-PSS ", "AMZN-PAY-RSASSA-PSS-V2 ", 1))
	if _, err := VerifyRequest(r, nil, keysFor(k)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("salt 20 under V2 name: %v", err)
	}
}

// The Node SDK keeps a caller header's original case in SignedHeaders
// (api-protocol.md §1.6 G); the verifier must use the list verbatim.
func TestVerifyRequest_MixedCaseSignedHeaders(t *testing.T) {
	k := key(t)
	s, _ := NewSigner("SANDBOX-TEST", k, AlgorithmV1)
	h := hdr("accept", "application/json", "content-type", "application/json", "user-agent", "node",
		"X-Amz-Pay-AuthToken", "tok123", "x-amz-pay-date", "2024-01-15T12:34:56Z",
		"x-amz-pay-host", "pay-api.amazon.jp", "x-amz-pay-region", "jp")
	signed := "accept;content-type;user-agent;X-Amz-Pay-AuthToken;x-amz-pay-date;x-amz-pay-host;x-amz-pay-region"
	c, err := CanonicalRequest(Request{Method: "GET", Path: "/live/v2/chargePermissions/S03-0000000-0000000", Header: h, SignedHeaders: signed})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c, "\nx-amz-pay-authtoken:tok123\n") || !strings.Contains(c, "\n"+signed+"\n") {
		t.Fatalf("canonical:\n%s", c)
	}
	sig, _ := s.SignString(StringToSign(AlgorithmV1, c))
	r := httptest.NewRequest("GET", "/live/v2/chargePermissions/S03-0000000-0000000", nil)
	for k, v := range h {
		r.Header[k] = v
	}
	r.Header.Set("Authorization", Authorization{AlgorithmV1, "SANDBOX-TEST", signed, sig}.String())
	v, err := VerifyRequest(r, nil, keysFor(k))
	if err != nil {
		t.Fatal(err)
	}
	if v.Date != time.Date(2024, 1, 15, 12, 34, 56, 0, time.UTC) {
		t.Fatalf("date %v", v.Date)
	}
}

// Java sends its query raw and unsorted and its values with whitespace
// collapsed, but signs the RFC 3986-encoded sorted query; .NET adds a
// trailing slash and signs it.
func TestVerifyRequest_JavaAndDotNetShapes(t *testing.T) {
	k := key(t)
	s, _ := NewSigner("SANDBOX-TEST", k, AlgorithmV1)
	h := hdr("accept", "application/json", "content-type", "application/json",
		"x-amz-pay-date", "20240115T123456Z", "x-amz-pay-host", "pay-api.amazon.eu", "x-amz-pay-region", "EU",
		"x-amz-pay-note", "a  b")
	signed := "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-note;x-amz-pay-region"
	c, _ := CanonicalRequest(Request{Method: "GET", Path: "/live/v2/reports/", Query: "pageSize=10&reportTypes=A%2CB",
		Header: h, SignedHeaders: signed, CollapseSpaces: true})
	sig, _ := s.SignString(StringToSign(AlgorithmV1, c))
	r := httptest.NewRequest("GET", "/live/v2/reports/?reportTypes=A,B&pageSize=10", nil)
	for k, v := range h {
		r.Header[k] = v
	}
	r.Header.Set("Authorization", Authorization{AlgorithmV1, "SANDBOX-TEST", signed, sig}.String())
	if _, err := VerifyRequest(r, nil, keysFor(k)); err != nil {
		t.Fatal(err)
	}
}

func TestButtonSignature(t *testing.T) {
	k := key(t)
	for _, alg := range []Algorithm{AlgorithmV1, AlgorithmV2} {
		s, _ := NewSigner("SANDBOX-TEST", k, alg)
		payload := []byte(exampleBody)
		sig, err := s.SignButtonPayload(payload)
		if err != nil {
			t.Fatal(err)
		}
		// The string to sign is the algorithm and the payload hash.
		raw, _ := base64.StdEncoding.DecodeString(sig)
		digest := sha256.Sum256([]byte(string(alg) + "\n" + HashHex(payload)))
		if err := rsa.VerifyPSS(&k.PublicKey, crypto.SHA256, digest[:], raw, &rsa.PSSOptions{SaltLength: alg.SaltLength(), Hash: crypto.SHA256}); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if err := VerifyButtonSignature(&k.PublicKey, alg, payload, sig); err != nil {
			t.Fatal(err)
		}
		tampered := []byte(strings.Replace(exampleBody, "checkoutReview", "checkoutReviev", 1))
		if err := VerifyButtonSignature(&k.PublicKey, alg, tampered, sig); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("tampered payload: %v", err)
		}
	}
}

func TestNewSigner_Validation(t *testing.T) {
	k := key(t)
	if _, err := NewSigner("", k, AlgorithmV2); err == nil {
		t.Error("empty id accepted")
	}
	if _, err := NewSigner("A, Signature=x", k, AlgorithmV2); err == nil {
		t.Error("id with separators accepted")
	}
	if _, err := NewSigner("A", nil, AlgorithmV2); err == nil {
		t.Error("nil key accepted")
	}
	if _, err := NewSigner("A", k, "RSA"); err == nil {
		t.Error("bad algorithm accepted")
	}
}

// The Node SDK signs a query value's ' bare (encodeURIComponent keeps it)
// while its HTTP layer sends %27; the verifier must accept what Node signed.
func TestVerifyRequest_NodeQueryEncoding(t *testing.T) {
	k := key(t)
	s, _ := NewSigner("SANDBOX-TEST", k, AlgorithmV2)
	h := hdr("accept", "application/json", "x-amz-pay-date", "2024-01-15T12:34:56Z",
		"x-amz-pay-host", "pay-api.amazon.com", "x-amz-pay-region", "na")
	signed := "accept;x-amz-pay-date;x-amz-pay-host;x-amz-pay-region"
	c, _ := CanonicalRequest(Request{Method: "GET", Path: "/v2/reports", Query: "nextToken=it's(1)!*&pageSize=10", Header: h, SignedHeaders: signed})
	sig, _ := s.SignString(StringToSign(AlgorithmV2, c))
	r := httptest.NewRequest("GET", "/v2/reports?pageSize=10&nextToken=it%27s(1)!*", nil)
	for k, v := range h {
		r.Header[k] = v
	}
	r.Header.Set("Authorization", Authorization{AlgorithmV2, "SANDBOX-TEST", signed, sig}.String())
	if _, err := VerifyRequest(r, nil, keysFor(k)); err != nil {
		t.Fatal(err)
	}
}

// TestCanonicalKey: the table of the protocol's header names agrees with
// net/http's canonical form, and other names fall through to it.
func TestCanonicalKey(t *testing.T) {
	for _, name := range []string{HeaderAuthorization, HeaderAccept, HeaderContentType, HeaderDate, HeaderHost, HeaderRegion,
		HeaderIdempotencyKey, HeaderRequestID, HeaderAuthToken, HeaderSimulationCode, "x-custom-header", "HOST"} {
		if got, want := canonicalKey(name), http.CanonicalHeaderKey(name); got != want {
			t.Errorf("canonicalKey(%q) = %q, want %q", name, got, want)
		}
	}
}
