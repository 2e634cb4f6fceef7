package main

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// TestBinaryKeygenAndSign builds the real apay, generates a key pair with
// it, signs a request with that key through the environment and checks the
// printed headers with the verifier the emulator uses.
func TestBinaryKeygenAndSign(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the apay binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "apay")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	keys := filepath.Join(dir, "keys")
	stdout, stderr, code := runBin(t, bin, nil, "", "keygen", "--dir", keys, "--env", "live")
	if code != 0 {
		t.Fatalf("keygen exit %d: %s", code, stderr)
	}
	id := strings.TrimSpace(stdout)
	if !strings.HasPrefix(id, "LIVE-") || len(id) != len("LIVE-")+24 {
		t.Fatalf("key id %q", id)
	}
	pubPEM, err := os.ReadFile(filepath.Join(keys, "public.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signing.LoadPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}

	body := `{"chargeAmount":{"amount":"14.00","currencyCode":"USD"}}`
	env := []string{"APAY_PUBLIC_KEY_ID=" + id, "APAY_PRIVATE_KEY_FILE=" + filepath.Join(keys, "private.pem"), "APAY_REGION=na"}
	target := "https://pay-api.amazon.com/v2/charges/S01-0000000-0000000-C000001/capture"
	stdout, stderr, code = runBin(t, bin, env, body, "sign", "--method", "POST", "--url", target,
		"--body-file", "-", "--header", "x-amz-pay-idempotency-key: e2e-1")
	if code != 0 {
		t.Fatalf("sign exit %d: %s", code, stderr)
	}
	var hdrs map[string]string
	if err := json.Unmarshal([]byte(stdout), &hdrs); err != nil {
		t.Fatalf("sign output is not JSON: %v\n%s", err, stdout)
	}
	req, _ := http.NewRequest("POST", target, strings.NewReader(body))
	for k, v := range hdrs {
		req.Header.Set(k, v)
	}
	keyFor := func(got string) (*rsa.PublicKey, error) {
		if got != id {
			return nil, errors.New("unknown key")
		}
		return pub, nil
	}
	v, err := signing.VerifyRequest(req, []byte(body), keyFor)
	if err != nil {
		t.Fatalf("headers printed by apay sign do not verify: %v", err)
	}
	if v.Authorization.PublicKeyID != id || v.Authorization.Algorithm != signing.AlgorithmV2 {
		t.Errorf("authorization %+v", v.Authorization)
	}
	if _, err := signing.VerifyRequest(req, []byte(body+" "), keyFor); !errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("a changed body still verifies: %v", err)
	}

	// Exit codes of the real binary.
	if _, _, code := runBin(t, bin, nil, "", "keygen", "--dir", keys); code != 2 {
		t.Errorf("keygen over an existing key: exit %d, want 2", code)
	}
	if _, _, code := runBin(t, bin, nil, "", "no-such-command"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if out, _, code := runBin(t, bin, nil, "", "version"); code != 0 || !strings.HasPrefix(out, "apay ") {
		t.Errorf("version: exit %d %q", code, out)
	}
}

func runBin(t *testing.T, bin string, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %v: %v", args, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}
