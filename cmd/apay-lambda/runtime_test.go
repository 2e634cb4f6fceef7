package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
	"github.com/apaykit/apaykit/emulator"
)

// buildBootstrap builds the bootstrap binary as it is deployed
// (-tags lambda.norpc, no cgo) once per test run.
var buildBootstrap = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "apay-lambda-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := buildBootstrap(); err == nil && bin != "" {
		_ = os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

// runtimeAPI is a local implementation of the documented Lambda Runtime API
// (2018-06-01): next invocation, invocation response, invocation error and
// init error. Tests queue events and read what the function answered.
type runtimeAPI struct {
	srv     *httptest.Server
	events  chan invocation
	results chan runtimeResult
	seq     int
	mu      sync.Mutex
}

type invocation struct {
	id      string
	payload []byte
}

// runtimeResult is what the function posted for one invocation; kind is
// "response", "error" or "init/error".
type runtimeResult struct {
	id, kind string
	body     []byte
	at       time.Time
}

func newRuntimeAPI(t testing.TB) *runtimeAPI {
	rt := &runtimeAPI{events: make(chan invocation, 16), results: make(chan runtimeResult, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case inv := <-rt.events:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-central-1:123456789012:function:apay-action")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(inv.payload)
		case <-r.Context().Done():
		}
	})
	post := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			rt.results <- runtimeResult{id: r.PathValue("id"), kind: kind, body: b, at: time.Now()}
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"status":"OK"}`)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", post("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", post("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", post("init/error"))
	rt.srv = httptest.NewServer(mux)
	t.Cleanup(rt.srv.Close)
	return rt
}

// addr is the AWS_LAMBDA_RUNTIME_API value: host:port, no scheme.
func (rt *runtimeAPI) addr() string { return strings.TrimPrefix(rt.srv.URL, "http://") }

// invoke queues one event and waits for the function's answer.
func (rt *runtimeAPI) invoke(t testing.TB, payload []byte) runtimeResult {
	t.Helper()
	rt.mu.Lock()
	rt.seq++
	id := fmt.Sprintf("req-%04d", rt.seq)
	rt.mu.Unlock()
	rt.events <- invocation{id: id, payload: payload}
	select {
	case res := <-rt.results:
		if res.id != id && res.kind != "init/error" {
			t.Fatalf("answer for %s, want %s", res.id, id)
		}
		return res
	case <-time.After(30 * time.Second):
		t.Fatal("the function did not answer within 30 s")
	}
	return runtimeResult{}
}

// startFunction runs the bootstrap binary against rt with env, as Lambda
// would: a fresh process, AWS_LAMBDA_RUNTIME_API set, nothing else
// inherited.
func startFunction(t testing.TB, rt *runtimeAPI, env map[string]string) (*exec.Cmd, *syncWriter) {
	t.Helper()
	bin, err := buildBootstrap()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + rt.addr(), "AWS_LAMBDA_FUNCTION_NAME=apay-action",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr := &syncWriter{}
	cmd.Stderr = stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, stderr
}

// syncWriter collects a process's stderr while the test reads it.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// emulatorFor starts the emulator on 127.0.0.1 trusting the test key.
func emulatorFor(t testing.TB, keyID string) string {
	t.Helper()
	pub, err := signing.EncodePublicKey(&testKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.New(emulator.Options{Keys: []emulator.Key{{PublicKeyID: keyID, PublicKey: string(pub)}}, TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	return ts.URL
}

func privatePEM(t testing.TB) string {
	b, err := signing.EncodePrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// proxyBody decodes an HTTP-shaped response and its JSON body.
func proxyBody(t *testing.T, raw []byte) (int, map[string]any, map[string]any) {
	t.Helper()
	var out struct {
		StatusCode int            `json:"statusCode"`
		Headers    map[string]any `json:"headers"`
		Body       string         `json:"body"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response %s: %v", raw, err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(out.Body), &body); err != nil {
		t.Fatalf("body %q: %v", out.Body, err)
	}
	return out.StatusCode, out.Headers, body
}

// TestBootstrapBinary runs the built bootstrap as Lambda runs it, against
// a local Runtime API, the emulator, and a local Secrets Manager/SSM: the
// private key and the API keys are fetched once at cold start, then a
// direct invocation, an API Gateway HTTP API event and Function URL events
// are answered.
func TestBootstrapBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap binary")
	}
	const keyID = "SANDBOX-LAMBDABOOTSTRAPTEST00"
	aws, awsURL := newFakeAWS(t)
	aws.set("secret", "apay/private-key", privatePEM(t))
	aws.set("parameter", "/apay/api-keys", "runtime-key-1,runtime-key-2")
	env := awsEnv(awsURL)
	env["APAY_PUBLIC_KEY_ID"] = keyID
	env["APAY_PRIVATE_KEY_SECRET"] = "apay/private-key"
	env["APAY_API_KEYS_PARAMETER"] = "/apay/api-keys"
	env["APAY_REGION"] = "us"
	env["APAY_ENDPOINT"] = emulatorFor(t, keyID)
	env["APAY_STORE_ID"] = "amzn1.application-oa2-client.lambda"

	rt := newRuntimeAPI(t)
	_, stderr := startFunction(t, rt, env)

	// 1. Direct invocation: the document is the event.
	res := rt.invoke(t, []byte(`{"action":"createcheckoutsession","webCheckoutDetail":{"checkoutReviewReturnUrl":"https://a.com/merchant-review-page"},"idempotencyKey":"lambda-cs-1"}`))
	if res.kind != "response" {
		t.Fatalf("direct: %s %s\nstderr: %s", res.kind, res.body, stderr)
	}
	var direct struct {
		StatusCode int            `json:"statusCode"`
		RequestID  string         `json:"requestId"`
		Body       map[string]any `json:"body"`
	}
	if err := json.Unmarshal(res.body, &direct); err != nil || direct.StatusCode != 201 || direct.RequestID == "" {
		t.Fatalf("direct: %s (%v)", res.body, err)
	}
	cs, _ := direct.Body["checkoutSessionId"].(string)
	if cs == "" || direct.Body["storeId"] != "amzn1.application-oa2-client.lambda" {
		t.Fatalf("direct body %v", direct.Body)
	}

	// 2. API Gateway HTTP API (payload 2.0) with an API key from SSM.
	ev, _ := json.Marshal(httpAPIEvent("POST /action", "api.example.com", "POST", "Bearer runtime-key-2",
		`{"action":"GetCheckoutSession","checkoutSessionId":"`+cs+`"}`, false))
	res = rt.invoke(t, ev)
	status, headers, body := proxyBody(t, res.body)
	if res.kind != "response" || status != 200 || body["checkoutSessionId"] != cs || headers["X-Amz-Pay-Request-Id"] == nil {
		t.Fatalf("http api: %s %s", res.kind, res.body)
	}

	// 3. Function URL: unauthenticated refund refused, then an
	// authenticated call gets the emulator's real 404.
	ev, _ = json.Marshal(functionURLEvent("POST", "", `{"action":"CreateRefund","chargeId":"S01-1-C1","refundAmount":{"amount":"1.00","currencyCode":"USD"}}`, false))
	res = rt.invoke(t, ev)
	if status, _, body = proxyBody(t, res.body); status != 401 || body["reasonCode"] != "UnauthorizedAccess" {
		t.Fatalf("function url without key: %s", res.body)
	}
	ev, _ = json.Marshal(functionURLEvent("POST", "Bearer runtime-key-1", `{"action":"GetCharge","chargeId":"S01-0000000-0000000-C000000"}`, false))
	res = rt.invoke(t, ev)
	if status, _, body = proxyBody(t, res.body); status != 404 || body["reasonCode"] != "ResourceNotFound" || body["requestId"] == "" {
		t.Fatalf("function url 404: %s", res.body)
	}

	// Secrets were read once, at cold start, not per invocation.
	if n := aws.calls.Load(); n != 2 {
		t.Errorf("%d calls to Secrets Manager/SSM, want 2 (key + API keys, once)", n)
	}
	// The log lines travel through a pipe; give the last one a moment.
	logs := stderr.String()
	for deadline := time.Now().Add(5 * time.Second); strings.Count(logs, `"msg":"action"`) < 4 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		logs = stderr.String()
	}
	if strings.Count(logs, `"msg":"action"`) != 4 {
		t.Errorf("want one action line per invocation, got:\n%s", logs)
	}
	for _, secret := range []string{"PRIVATE KEY", "runtime-key-1", "runtime-key-2", "SECRETLAMBDA", "TOKEN-LAMBDA"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

// TestBootstrapBinaryConfigError: a broken configuration stops the cold
// start with a message naming the variable, and no secret.
func TestBootstrapBinaryConfigError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap binary")
	}
	rt := newRuntimeAPI(t)
	cmd, stderr := startFunction(t, rt, map[string]string{"APAY_PUBLIC_KEY_ID": "SANDBOX-X", "APAY_REGION": "us",
		"APAY_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----", "APAY_PRIVATE_KEY_SECRET": "also-set"})
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the bootstrap started with two key sources")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the bootstrap did not exit")
	}
	if !strings.Contains(stderr.String(), "set only one of APAY_PRIVATE_KEY, APAY_PRIVATE_KEY_SECRET") || strings.Contains(stderr.String(), "not a key") {
		t.Fatalf("stderr %s", stderr)
	}
}

// BenchmarkColdStart measures a cold start of the real bootstrap binary:
// process start, configuration, first (direct) invocation answered.
//
//	go test -run '^$' -bench ColdStart -benchtime 20x ./cmd/apay-lambda
func BenchmarkColdStart(b *testing.B) {
	const keyID = "SANDBOX-LAMBDACOLDSTART00000"
	env := map[string]string{"APAY_PUBLIC_KEY_ID": keyID, "APAY_PRIVATE_KEY": privatePEM(b), "APAY_REGION": "us",
		"APAY_ENDPOINT": emulatorFor(b, keyID)}
	doc := []byte(`{"action":"GetCharge","chargeId":"S01-0000000-0000000-C000000"}`)
	rt := newRuntimeAPI(b)
	if _, err := buildBootstrap(); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		cmd, _ := startFunction(b, rt, env)
		res := rt.invoke(b, doc)
		total += res.at.Sub(start)
		n++
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms-to-first-answer")
}
