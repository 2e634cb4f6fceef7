package emulator

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// Test keys are made once per test binary: RSA generation is slow.
var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
	otherKey    *rsa.PrivateKey
)

func keys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	testKeyOnce.Do(func() {
		var err error
		if testKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if otherKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return testKey, otherKey
}

const (
	sandboxKeyID = "SANDBOX-TESTKEY0000000000001"
	liveKeyID    = "LIVE-TESTKEY0000000000001"
	legacyKeyID  = "AEXAMPLELEGACYKEY000000001"
	otherKeyID   = "SANDBOX-OTHERMERCHANT00000001"
)

// testEnv is an emulator with registered keys and a helper to send signed
// requests through its handler.
type testEnv struct {
	t      testing.TB
	srv    *Server
	signer map[string]*signing.Signer
	host   string
	mu     sync.Mutex
	now    time.Time // base clock
}

func newTestEnv(t testing.TB, opts ...func(*Options)) *testEnv {
	t.Helper()
	k, other := keys(t)
	e := &testEnv{t: t, signer: map[string]*signing.Signer{}, host: "emulator.test", now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	o := Options{Clock: ClockFunc(e.clock), TickInterval: -1}
	for _, f := range opts {
		f(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e.srv = srv
	for _, id := range []string{sandboxKeyID, liveKeyID, legacyKeyID} {
		if err := srv.RegisterPublicKey(id, &k.PublicKey, ""); err != nil {
			t.Fatal(err)
		}
		s, err := signing.NewSigner(id, k, signing.AlgorithmV2)
		if err != nil {
			t.Fatal(err)
		}
		e.signer[id] = s
	}
	if err := srv.RegisterPublicKey(otherKeyID, &other.PublicKey, ""); err != nil {
		t.Fatal(err)
	}
	s, _ := signing.NewSigner(otherKeyID, other, signing.AlgorithmV1)
	e.signer[otherKeyID] = s
	return e
}

func (e *testEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// sleep moves the base clock (both the signature clock and business time).
func (e *testEnv) sleep(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// advance moves business time only, as /_emulator/clock does.
func (e *testEnv) advance(d time.Duration) {
	e.t.Helper()
	res := e.control("POST", "/_emulator/clock", `{"advance":"`+d.String()+`"}`)
	if res.Code != 200 {
		e.t.Fatalf("advance: %d %s", res.Code, res.Body)
	}
}

// req describes one API call.
type req struct {
	method, path, body string
	keyID              string
	header             map[string]string
	unsigned           []string // headers sent but not signed
}

// signed builds a signed *http.Request.
func (e *testEnv) signed(r req) *http.Request {
	e.t.Helper()
	if r.keyID == "" {
		r.keyID = sandboxKeyID
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, "http://"+e.host+r.path, body)
	h := http.Header{}
	h.Set("accept", "application/json")
	h.Set("content-type", "application/json")
	h.Set("x-amz-pay-date", signing.FormatDate(e.clock()))
	h.Set("x-amz-pay-host", e.host)
	h.Set("x-amz-pay-region", "na")
	for k, v := range r.header {
		if v == "" {
			h.Del(k)
			continue
		}
		h.Set(k, v)
	}
	signedH := h.Clone()
	for _, u := range r.unsigned {
		signedH.Del(u)
	}
	auth, err := e.signer[r.keyID].Authorization(r.method, hr.URL.EscapedPath(), hr.URL.RawQuery, signedH, []byte(r.body))
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Header = h
	hr.Header.Set("Authorization", auth)
	return hr
}

// do sends a signed request through the handler.
func (e *testEnv) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, e.signed(r))
	if rec.Header().Get("x-amz-pay-request-id") == "" {
		e.t.Errorf("%s %s: no x-amz-pay-request-id", r.method, r.path)
	}
	return rec
}

func (e *testEnv) control(method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, httptest.NewRequest(method, "http://"+e.host+path, strings.NewReader(body)))
	return rec
}

// obj decodes a JSON object answer.
func obj(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, rec.Body)
	}
	return m
}

// path reads a dotted path from a decoded object.
func path(m map[string]any, p string) any {
	var cur any = m
	for _, k := range strings.Split(p, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func str(m map[string]any, p string) string {
	s, _ := path(m, p).(string)
	return s
}

// wantError checks an Amazon error answer.
func wantError(t testing.TB, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	m := obj(t, rec)
	if m["reasonCode"] != code {
		t.Fatalf("reasonCode %v, want %s: %s", m["reasonCode"], code, rec.Body)
	}
	if _, ok := m["message"].(string); !ok {
		t.Fatalf("no message: %s", rec.Body)
	}
}

func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, status int) map[string]any {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	return obj(t, rec)
}

var idemCounter struct {
	sync.Mutex
	n int
}

func idem() string {
	idemCounter.Lock()
	defer idemCounter.Unlock()
	idemCounter.n++
	return "k" + strings.Repeat("0", 5) + string(rune('a'+idemCounter.n%26)) + time.Now().Format("150405.000000000")[7:] + itoaT(idemCounter.n)
}

func itoaT(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// post is a signed POST with a fresh idempotency key.
func (e *testEnv) post(path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(req{method: "POST", path: path, body: body, header: map[string]string{"x-amz-pay-idempotency-key": idem()}})
}

func (e *testEnv) get(path string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(req{method: "GET", path: path})
}

const createCSBody = `{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://shop.example/review"},"storeId":"amzn1.application-oa2-client.test"}`

// checkout runs create → buyer → update → confirm and returns the session
// id, ready for Complete.
func (e *testEnv) checkout(intent, amount, ccy, card string, extra string) string {
	e.t.Helper()
	res := e.post("/v2/checkoutSessions", createCSBody)
	cs := wantStatus(e.t, res, 201)
	id := cs["checkoutSessionId"].(string)
	if _, err := e.srv.SignIn(id, BuyerInput{PaymentMethod: card}); err != nil {
		e.t.Fatal(err)
	}
	upd := `{"webCheckoutDetails":{"checkoutResultReturnUrl":"https://shop.example/result"},"paymentDetails":{"paymentIntent":"` + intent + `","chargeAmount":{"amount":"` + amount + `","currencyCode":"` + ccy + `"}` + extra + `}}`
	res = e.do(req{method: "PATCH", path: "/v2/checkoutSessions/" + id, body: upd})
	wantStatus(e.t, res, 200)
	if _, err := e.srv.Confirm(id, false); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *testEnv) complete(id, amount, ccy string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.post("/v2/checkoutSessions/"+id+"/complete", `{"chargeAmount":{"amount":"`+amount+`","currencyCode":"`+ccy+`"}}`)
}

var _ = bytes.NewReader
