package action_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/apaykit/apaykit/action"
	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/signing"
	"github.com/apaykit/apaykit/emulator"
)

var emuKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

const emuKeyID = "SANDBOX-ACTIONTESTKEY0000000000"

// emu is an in-process emulator with a client and a runner pointed at it.
type emu struct {
	url    string
	client *amazonpay.Client
	runner *action.Runner
}

// newEmulator starts the emulator on 127.0.0.1, trusting one merchant key,
// with an SDK client in the given region and retries off (so throttling
// and injected faults come straight back).
func newEmulator(t testing.TB, region string) *emu {
	t.Helper()
	pub, err := signing.EncodePublicKey(&emuKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.New(emulator.Options{
		Keys:         []emulator.Key{{PublicKeyID: emuKeyID, PublicKey: string(pub)}},
		TickInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		_ = srv.Close()
	})
	c, err := amazonpay.NewClient(amazonpay.WithPublicKeyID(emuKeyID), amazonpay.WithRSAPrivateKey(emuKey()),
		amazonpay.WithRegion(region), amazonpay.WithBaseURL(ts.URL), amazonpay.WithRetry(amazonpay.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return &emu{url: ts.URL, client: c, runner: action.NewRunner(c)}
}

// control calls the emulator's control API (never signed).
func (e *emu) control(t testing.TB, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("control %s: %d %s", path, resp.StatusCode, data)
	}
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

// run runs a document and decodes the body.
func (e *emu) run(t testing.TB, doc string) (*action.Result, map[string]any) {
	t.Helper()
	res := e.runner.Run(t.Context(), []byte(doc))
	var body map[string]any
	if err := json.Unmarshal(res.Body, &body); err != nil {
		t.Fatalf("body %s: %v", res.Body, err)
	}
	return res, body
}

// str digs a string out of a decoded body: str(m, "statusDetails", "state").
func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = obj[p]
	}
	s, _ := v.(string)
	return s
}
