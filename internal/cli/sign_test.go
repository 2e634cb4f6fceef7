package cli

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

func signEnv(t *testing.T) map[string]string {
	return map[string]string{
		"APAY_PUBLIC_KEY_ID": "SANDBOX-AAAABBBBCCCCDDDDEEEEFFFF",
		"APAY_PRIVATE_KEY":   testKeyPEM(t),
		"APAY_REGION":        "us",
	}
}

// verifySigned rebuilds the request the printed headers belong to and
// checks it with the emulator's verifier.
func verifySigned(t *testing.T, method, target string, body []byte, stdout string) *signing.Verified {
	t.Helper()
	var hdrs map[string]string
	if err := json.Unmarshal([]byte(stdout), &hdrs); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdrs {
		req.Header.Set(k, v)
	}
	v, err := signing.VerifyRequest(req, body, func(string) (*rsa.PublicKey, error) { return &testKey().PublicKey, nil })
	if err != nil {
		t.Fatalf("printed headers do not verify: %v", err)
	}
	return v
}

func TestSign(t *testing.T) {
	body := []byte(`{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://shop.example/review"},"storeId":"amzn1.application-oa2-client.x","note":"Grüße 東京"}`)
	bodyFile := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		env         map[string]string
		args        []string
		stdin       string
		method      string
		sendURL     string
		body        []byte
		wantHeaders map[string]string
		wantSigned  string
		wantAlg     signing.Algorithm
	}{
		{
			name:        "GET absolute URL, V2 default",
			args:        []string{"--method", "get", "--url", "https://pay-api.amazon.com/v2/checkoutSessions/abc-123", "--date", "20240115T123456Z"},
			method:      "GET",
			sendURL:     "https://pay-api.amazon.com/v2/checkoutSessions/abc-123",
			wantHeaders: map[string]string{"x-amz-pay-date": "20240115T123456Z", "x-amz-pay-host": "pay-api.amazon.com", "x-amz-pay-region": "na", "accept": "application/json", "content-type": "application/json"},
			wantSigned:  "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-region",
			wantAlg:     signing.AlgorithmV2,
		},
		{
			name:        "POST body file, caller headers, V1, extended date",
			env:         map[string]string{"APAY_ALGORITHM": "AMZN-PAY-RSASSA-PSS", "APAY_REGION": "DE"},
			args:        []string{"--method", "POST", "--url", "https://pay-api.amazon.eu/sandbox/v2/checkoutSessions", "--body-file", bodyFile, "--header", "X-Amz-Pay-Idempotency-Key: k-1", "--header", "x-amz-pay-authtoken:  tok ", "--date", "2024-01-15T12:34:56Z"},
			method:      "POST",
			sendURL:     "https://pay-api.amazon.eu/sandbox/v2/checkoutSessions",
			body:        body,
			wantHeaders: map[string]string{"x-amz-pay-date": "20240115T123456Z", "x-amz-pay-region": "eu", "x-amz-pay-idempotency-key": "k-1", "x-amz-pay-authtoken": "tok"},
			wantSigned:  "accept;content-type;x-amz-pay-authtoken;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region",
			wantAlg:     signing.AlgorithmV1,
		},
		{
			name:        "path URL goes to APAY_ENDPOINT, body from stdin, DELETE",
			env:         map[string]string{"APAY_ENDPOINT": "https://127.0.0.1:8443"},
			args:        []string{"--method", "DELETE", "--url", "/v2/chargePermissions/S01-1/close", "--body-file", "-"},
			stdin:       `{"closureReason":"done"}`,
			method:      "DELETE",
			sendURL:     "https://127.0.0.1:8443/v2/chargePermissions/S01-1/close",
			body:        []byte(`{"closureReason":"done"}`),
			wantHeaders: map[string]string{"x-amz-pay-host": "127.0.0.1:8443"},
			wantAlg:     signing.AlgorithmV2,
		},
		{
			name:        "path URL goes to the region host; canonical query",
			env:         map[string]string{"APAY_REGION": "jp"},
			args:        []string{"--method", "GET", "--url", "/v2/reports?reportTypes=A,B&pageSize=10"},
			method:      "GET",
			sendURL:     "https://pay-api.amazon.jp/v2/reports?pageSize=10&reportTypes=A%2CB",
			wantHeaders: map[string]string{"x-amz-pay-host": "pay-api.amazon.jp", "x-amz-pay-region": "jp"},
			wantAlg:     signing.AlgorithmV2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := signEnv(t)
			for k, v := range tt.env {
				env[k] = v
			}
			r := run(t, env, tt.stdin, append([]string{"sign"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			v := verifySigned(t, tt.method, tt.sendURL, tt.body, r.stdout)
			if v.Authorization.Algorithm != tt.wantAlg {
				t.Errorf("algorithm %s, want %s", v.Authorization.Algorithm, tt.wantAlg)
			}
			if tt.wantSigned != "" && v.Authorization.SignedHeaders != tt.wantSigned {
				t.Errorf("SignedHeaders %q, want %q", v.Authorization.SignedHeaders, tt.wantSigned)
			}
			var hdrs map[string]string
			_ = json.Unmarshal([]byte(r.stdout), &hdrs)
			for k, want := range tt.wantHeaders {
				if hdrs[k] != want {
					t.Errorf("header %s = %q, want %q", k, hdrs[k], want)
				}
			}
			if strings.Contains(r.stdout+r.stderr, secretLine(env["APAY_PRIVATE_KEY"])) {
				t.Error("output contains the private key")
			}
		})
	}
}

func TestSignDefaultsToNow(t *testing.T) {
	r := run(t, signEnv(t), "", "sign", "--method", "GET", "--url", "https://pay-api.amazon.com/v2/buyers/x")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	v := verifySigned(t, "GET", "https://pay-api.amazon.com/v2/buyers/x", nil, r.stdout)
	if d := time.Since(v.Date); d < 0 || d > time.Minute {
		t.Errorf("x-amz-pay-date %s is not now", v.RawDate)
	}
}

func TestSignCanonicalQueryNote(t *testing.T) {
	r := run(t, signEnv(t), "", "sign", "--method", "GET", "--url", "https://pay-api.amazon.com/v2/reports?b=2&a=x y")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "https://pay-api.amazon.com/v2/reports?a=x%20y&b=2") {
		t.Errorf("stderr does not give the URL to send: %q", r.stderr)
	}
}

func TestSignErrors(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "private.pem")
	if err := os.WriteFile(keyFile, []byte(testKeyPEM(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	// A key-shaped value whose body must never be echoed.
	const marker = "TOPSECRETMATERIALdoNotPrint"
	badKey := "-----BEGIN PRIVATE KEY-----\n" + marker + "\n-----END PRIVATE KEY-----\n"
	good := []string{"sign", "--method", "GET", "--url", "https://pay-api.amazon.com/v2/charges/x"}
	tests := []struct {
		name    string
		env     map[string]string // merged over signEnv; "" deletes
		args    []string
		wantErr string
	}{
		{"no method", nil, []string{"sign", "--url", "https://x/v2"}, "--method is required"},
		{"no url", nil, []string{"sign", "--method", "GET"}, "--url is required"},
		{"bad method", nil, []string{"sign", "--method", "G T", "--url", "https://x/"}, "is not an HTTP method"},
		{"relative url without slash", nil, []string{"sign", "--method", "GET", "--url", "v2/x"}, "neither an absolute URL"},
		{"ftp url", nil, []string{"sign", "--method", "GET", "--url", "ftp://x/y"}, "scheme must be https or http"},
		{"bad header", nil, append(good, "--header", "novalue"), "is not 'Name: value'"},
		{"reserved header", nil, append(good, "--header", "x-amz-pay-date: 1"), "set by sign itself"},
		{"duplicate header", nil, append(good, "--header", "a: 1", "--header", "A: 2"), "given twice"},
		{"bad date", nil, append(good, "--date", "yesterday"), "--date"},
		{"missing body file", nil, append(good, "--body-file", filepath.Join(t.TempDir(), "none")), "reading --body-file"},
		{"no key id", map[string]string{"APAY_PUBLIC_KEY_ID": ""}, good, "invalid APAY_PUBLIC_KEY_ID: is required"},
		{"no region", map[string]string{"APAY_REGION": ""}, good, "invalid APAY_REGION: is required"},
		{"bad region", map[string]string{"APAY_REGION": "mars"}, good, "invalid APAY_REGION: \"mars\""},
		{"bad algorithm", map[string]string{"APAY_ALGORITHM": "RSA"}, good, "invalid APAY_ALGORITHM"},
		{"no key", map[string]string{"APAY_PRIVATE_KEY": ""}, good, "invalid APAY_PRIVATE_KEY: is required"},
		{"both keys", map[string]string{"APAY_PRIVATE_KEY_FILE": keyFile}, good, "give exactly one key source"},
		{"unreadable key file", map[string]string{"APAY_PRIVATE_KEY": "", "APAY_PRIVATE_KEY_FILE": keyFile + ".missing"}, good, "APAY_PRIVATE_KEY_FILE"},
		{"bad sandbox flag", map[string]string{"APAY_SANDBOX": "maybe"}, good, "APAY_SANDBOX"},
		{"bad idempotency key", nil, append(good, "--header", "x-amz-pay-idempotency-key: has space"), "idempotency"},
		{"malformed key", map[string]string{"APAY_PRIVATE_KEY": badKey}, good, "invalid APAY_PRIVATE_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := signEnv(t)
			for k, v := range tt.env {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			r := run(t, env, "", tt.args...)
			if r.code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, ExitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.wantErr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty on error: %q", r.stdout)
			}
			out := r.stdout + r.stderr
			if strings.Contains(out, marker) || (env["APAY_PRIVATE_KEY"] != "" && strings.Contains(out, secretLine(env["APAY_PRIVATE_KEY"]))) {
				t.Error("an error message contains private key material")
			}
		})
	}
}

func TestSignKeyFromFile(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "private.pem")
	if err := os.WriteFile(keyFile, []byte(testKeyPEM(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := signEnv(t)
	delete(env, "APAY_PRIVATE_KEY")
	env["APAY_PRIVATE_KEY_FILE"] = keyFile
	r := run(t, env, "", "sign", "--method", "GET", "--url", "https://pay-api.amazon.com/v2/refunds/R1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	verifySigned(t, "GET", "https://pay-api.amazon.com/v2/refunds/R1", nil, r.stdout)
}

func TestSignedOutputFailsWhenTampered(t *testing.T) {
	r := run(t, signEnv(t), "", "sign", "--method", "POST", "--url", "https://pay-api.amazon.com/v2/refunds", "--body-file", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var hdrs map[string]string
	_ = json.Unmarshal([]byte(r.stdout), &hdrs)
	req, _ := http.NewRequest("POST", "https://pay-api.amazon.com/v2/refunds", nil)
	for k, v := range hdrs {
		req.Header.Set(k, v)
	}
	_, err := signing.VerifyRequest(req, []byte("{}"), func(string) (*rsa.PublicKey, error) { return &testKey().PublicKey, nil })
	if !errors.Is(err, signing.ErrBadSignature) {
		t.Fatalf("a different body verified: %v", err)
	}
}
