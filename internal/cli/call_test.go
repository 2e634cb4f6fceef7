package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAmazonPay answers GET /v2/charges/ok with a charge, any other id with
// Amazon Pay's 404, and POST /v2/refunds with 201.
func fakeAmazonPay(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("x-amz-pay-request-id", "req-cli-1")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/v2/charges/ok":
			_, _ = io.WriteString(w, `{"chargeId":"ok","statusDetails":{"state":"Authorized"}}`)
		case r.Method == "POST" && r.URL.Path == "/v2/refunds":
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"refundId":"S01-1-R1"}`)
		default:
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"reasonCode":"ResourceNotFound","message":"not here"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &hits
}

func callEnv(t *testing.T, endpoint string) map[string]string {
	env := signEnv(t)
	env["APAY_ENDPOINT"] = endpoint
	return env
}

func TestCall(t *testing.T) {
	endpoint, hits := fakeAmazonPay(t)
	env := callEnv(t, endpoint)
	dir := t.TempDir()
	docFile := filepath.Join(dir, "get.json")
	if err := os.WriteFile(docFile, []byte(`{"action":"getcharge","chargeId":"ok"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		env        map[string]string
		stdin      string
		args       []string
		code       int
		stdout     string
		stderrHas  string
		wantNoCall bool
	}{
		{name: "file", env: env, args: []string{"call", "--file", docFile}, code: 0,
			stdout: `{"chargeId":"ok","statusDetails":{"state":"Authorized"}}` + "\n"},
		{name: "stdin dash", env: env, stdin: `{"action":"CreateRefund","chargeId":"c","refundAmount":{"amount":"1.00","currencyCode":"USD"}}`,
			args: []string{"call", "--file", "-"}, code: 0, stdout: `{"refundId":"S01-1-R1"}` + "\n"},
		{name: "stdin default", env: env, stdin: `{"action":"GetCharge","chargeId":"ok"}`, args: []string{"call"}, code: 0,
			stdout: `{"chargeId":"ok","statusDetails":{"state":"Authorized"}}` + "\n"},
		{name: "api error", env: env, stdin: `{"action":"GetCharge","chargeId":"missing"}`, args: []string{"call"}, code: 1,
			stdout: `{"reasonCode":"ResourceNotFound","message":"not here","requestId":"req-cli-1"}` + "\n"},
		{name: "annotated seed body", env: env, stdin: "{\n\"action\":\"CreateCharge\",\n\"captureNow\":true, default is false\n}",
			args: []string{"call"}, code: 2, stdout: `"reasonCode":"InvalidRequestFormat","message":"malformed JSON at line 3, column 20`, wantNoCall: true},
		{name: "missing id", env: env, stdin: `{"action":"GetCharge"}`, args: []string{"call"}, code: 2,
			stdout: `{"reasonCode":"MissingParameterValue","message":"chargeId is required","requestId":""}` + "\n", wantNoCall: true},
		{name: "bad document before config", env: map[string]string{}, stdin: `{"action":"Nope"}`, args: []string{"call"}, code: 2,
			stdout: `"reasonCode":"UnknownAction"`, wantNoCall: true},
		{name: "no config", env: map[string]string{}, stdin: `{"action":"GetCharge","chargeId":"ok"}`, args: []string{"call"}, code: 2,
			stderrHas: "APAY_PUBLIC_KEY_ID", wantNoCall: true},
		{name: "missing file", env: env, args: []string{"call", "--file", filepath.Join(dir, "nope.json")}, code: 2,
			stderrHas: "reading the document", wantNoCall: true},
		{name: "stray argument", env: env, args: []string{"call", "doc.json"}, code: 2, wantNoCall: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hits.Load()
			r := run(t, tt.env, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.stdout != "" && !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tt.stdout)
			}
			if tt.stderrHas != "" && !strings.Contains(r.stderr, tt.stderrHas) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.stderrHas)
			}
			if tt.wantNoCall && hits.Load() != before {
				t.Error("a refused document reached Amazon Pay")
			}
			if strings.Contains(r.stdout+r.stderr, "PRIVATE KEY") {
				t.Error("output shows the private key")
			}
		})
	}
}

func TestCallPrettyAndVerbose(t *testing.T) {
	endpoint, _ := fakeAmazonPay(t)
	r := run(t, callEnv(t, endpoint), `{"action":"GetCharge","chargeId":"ok"}`, "call", "--pretty", "-v")
	if r.code != 0 || !strings.Contains(r.stdout, "{\n  \"chargeId\": \"ok\",") {
		t.Fatalf("%d %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "action=GetCharge") || !strings.Contains(r.stderr, "status=200") || !strings.Contains(r.stderr, "requestId=req-cli-1") {
		t.Errorf("stderr %q lacks the action line", r.stderr)
	}
}

// startActionServer runs apay action serve until the test ends and returns
// its /action URL.
func startActionServer(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, Process{Args: append([]string{"action", "serve", "--addr", "127.0.0.1:0"}, args...),
			Stdout: pw, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }})
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("action serve did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if err != nil {
		t.Fatalf("no listening line: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "action server listening on ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	return url
}

func post(t *testing.T, url, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestActionServe(t *testing.T) {
	endpoint, hits := fakeAmazonPay(t)
	env := callEnv(t, endpoint)
	env["APAY_API_KEYS"] = "first-key, second-key"
	url := startActionServer(t, env)

	refund := `{"action":"CreateRefund","chargeId":"c","refundAmount":{"amount":"1.00","currencyCode":"USD"}}`
	if code, body := post(t, url, "", refund); code != 401 || !strings.Contains(body, "UnauthorizedAccess") {
		t.Fatalf("no key: %d %s", code, body)
	}
	if code, _ := post(t, url, "third-key", refund); code != 401 {
		t.Fatalf("wrong key: %d", code)
	}
	if hits.Load() != 0 {
		t.Fatal("an unauthenticated refund reached Amazon Pay")
	}
	if code, body := post(t, url, "second-key", refund); code != 201 || body != `{"refundId":"S01-1-R1"}` {
		t.Fatalf("good key: %d %s", code, body)
	}
	if code, body := post(t, url, "first-key", `{"action":"GetCharge","chargeId":"gone"}`); code != 404 || !strings.Contains(body, `"requestId":"req-cli-1"`) {
		t.Fatalf("404: %d %s", code, body)
	}
}

func TestActionServeRefusesWithoutKeys(t *testing.T) {
	endpoint, _ := fakeAmazonPay(t)
	env := callEnv(t, endpoint)
	r := run(t, env, "", "action", "serve", "--addr", "127.0.0.1:0")
	if r.code != 2 || !strings.Contains(r.stderr, "APAY_API_KEYS") {
		t.Fatalf("%d %q", r.code, r.stderr)
	}
	r = run(t, env, "", "action", "serve", "--addr", "0.0.0.0:0", "--iam-function-url")
	if r.code != 2 || !strings.Contains(r.stderr, "loopback") {
		t.Fatalf("iam on a public address: %d %q", r.code, r.stderr)
	}
}

func TestActionServeIAMFunctionURL(t *testing.T) {
	endpoint, _ := fakeAmazonPay(t)
	url := startActionServer(t, callEnv(t, endpoint), "--iam-function-url")
	if code, body := post(t, url, "", `{"action":"GetCharge","chargeId":"ok"}`); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
}
