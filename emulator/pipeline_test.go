package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// stateJSON snapshots the state to compare before and after a rejected call.
func stateJSON(t testing.TB, s *Server) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(s.st)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBadInput: malformed JSON, wrong types, unknown fields, huge bodies and
// missing fields get Amazon's error shape and status, and leave the state
// unchanged.
func TestBadInput(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.MaxBodyBytes = 4096 })
	id := e.checkout("Authorize", "10.00", "USD", "1111", "")
	before := stateJSON(t, e.srv)
	cases := []struct {
		name, method, path, body string
		status                   int
		code, msg                string
	}{
		{"malformed", "POST", "/v2/checkoutSessions", `{"storeId":`, 400, "InvalidRequestFormat", ""},
		{"trailing data", "POST", "/v2/checkoutSessions", createCSBody + `{}`, 400, "InvalidRequestFormat", ""},
		{"array body", "POST", "/v2/checkoutSessions", `[1,2]`, 400, "InvalidRequestFormat", ""},
		{"unknown field", "POST", "/v2/checkoutSessions", `{"storeId":"s","checkoutMode":"x"}`, 400, "UnrecognizedField", "The field 'checkoutMode' is invalid for this API."},
		{"unknown field differs in case", "POST", "/v2/checkoutSessions", `{"StoreId":"s"}`, 400, "UnrecognizedField", "'StoreId'"},
		{"nested unknown field", "PATCH", "/v2/checkoutSessions/" + id, `{"paymentDetails":{"foo":1}}`, 400, "UnrecognizedField", "paymentDetails.foo"},
		{"wrong type", "POST", "/v2/checkoutSessions", `{"storeId":5}`, 400, "InvalidParameterValue", "'storeId'"},
		{"wrong nested type", "POST", "/v2/checkoutSessions", `{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":true}}`, 400, "InvalidParameterValue", "webCheckoutDetails.checkoutReviewReturnUrl"},
		{"frequency value number", "POST", "/v2/checkoutSessions", `{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"},"recurringMetadata":{"frequency":{"unit":"Month","value":1}}}`, 400, "InvalidParameterValue", "recurringMetadata.frequency.value"},
		{"missing storeId", "POST", "/v2/checkoutSessions", `{}`, 400, "MissingParameterValue", "storeId"},
		{"http URL", "POST", "/v2/checkoutSessions", `{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"http://shop.example/r"}}`, 400, "InvalidParameterValue", "HTTPS"},
		{"JPY decimals", "POST", "/v2/checkoutSessions", `{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"},"paymentDetails":{"chargeAmount":{"amount":"705.00","currencyCode":"JPY"}}}`, 400, "InvalidParameterValue", "The value '705.00' provided for 'paymentDetails.chargeAmount.Amount' is invalid."},
		{"three decimals", "POST", "/v2/checkoutSessions", `{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"},"paymentDetails":{"chargeAmount":{"amount":"1.001","currencyCode":"USD"}}}`, 400, "InvalidParameterValue", ""},
		{"unknown currency", "POST", "/v2/checkoutSessions", `{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"},"paymentDetails":{"chargeAmount":{"amount":"1","currencyCode":"XXX"}}}`, 400, "InvalidParameterValue", ""},
		{"over maximum", "POST", "/v2/checkoutSessions", `{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"},"paymentDetails":{"chargeAmount":{"amount":"150000.01","currencyCode":"USD"}}}`, 400, "TransactionAmountExceeded", ""},
		{"soft descriptor too long", "POST", "/v2/checkoutSessions", `{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"},"paymentDetails":{"paymentIntent":"AuthorizeWithCapture","softDescriptor":"12345678901234567"}}`, 400, "InvalidParameterValue", ""},
		{"pending with AuthorizeWithCapture", "POST", "/v2/checkoutSessions", `{"storeId":"s","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"},"paymentDetails":{"paymentIntent":"AuthorizeWithCapture","canHandlePendingAuthorization":true}}`, 400, "InvalidParameterCombination", ""},
		{"huge body", "POST", "/v2/checkoutSessions", `{"storeId":"` + strings.Repeat("x", 5000) + `"}`, 413, "InvalidRequestFormat", ""},
		{"unknown simulation code", "POST", "/v2/checkoutSessions", createCSBody, 400, "InvalidSandboxSimulationSpecified", ""},
		{"metadata too long", "PATCH", "/v2/checkoutSessions/" + id, `{"merchantMetadata":{"merchantStoreName":"` + strings.Repeat("s", 51) + `"}}`, 422, "InvalidCheckoutSessionStatus", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{}
			if c.method == "POST" {
				h["x-amz-pay-idempotency-key"] = idem()
			}
			if c.name == "unknown simulation code" {
				h["x-amz-pay-simulation-code"] = "NoSuchCode"
			}
			rec := e.do(req{method: c.method, path: c.path, body: c.body, header: h})
			wantError(t, rec, c.status, c.code)
			if c.msg != "" && !strings.Contains(obj(t, rec)["message"].(string), c.msg) {
				t.Errorf("message %q lacks %q", obj(t, rec)["message"], c.msg)
			}
		})
	}
	if after := stateJSON(t, e.srv); after != before {
		t.Error("a rejected request changed the state")
	}
}

// TestPanicRecovery: a panicking handler answers 500 InternalServerError in
// Amazon's shape with a request id.
func TestPanicRecovery(t *testing.T) {
	e := newTestEnv(t)
	h := e.srv.operation([]route{{Op: "Boom", Method: "GET", Path: "/v2/boom", Handle: func(*Server, *request) response { panic("boom") }}})
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("panic escaped: %v", v)
			}
		}()
		// Register it as the route table would; serveAPI wraps it.
		e.srv.api.HandleFunc("GET /v2/boom", h.ServeHTTP)
		e.srv.Handler().ServeHTTP(rec, e.signed(req{method: "GET", path: "/v2/boom"}))
	}()
	wantError(t, rec, 500, "InternalServerError")
	if rec.Header().Get("x-amz-pay-request-id") == "" {
		t.Fatal("no request id")
	}
}

// TestIdempotency: same key and body replays the stored answer byte for
// byte; a different body is DuplicateIdempotencyKey; keys expire after 24 h.
func TestIdempotency(t *testing.T) {
	e := newTestEnv(t)
	h := map[string]string{"x-amz-pay-idempotency-key": "same-key-1"}
	first := e.do(req{method: "POST", path: "/v2/checkoutSessions", body: createCSBody, header: h})
	wantStatus(t, first, 201)
	second := e.do(req{method: "POST", path: "/v2/checkoutSessions", body: createCSBody, header: h})
	if second.Code != 201 || !bytes.Equal(first.Body.Bytes(), second.Body.Bytes()) {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, second.Body)
	}
	if n := len(e.srv.st.CheckoutSessions); n != 1 {
		t.Fatalf("%d sessions after a replay", n)
	}
	other := strings.Replace(createCSBody, "review", "other", 1)
	wantError(t, e.do(req{method: "POST", path: "/v2/checkoutSessions", body: other, header: h}), 400, "DuplicateIdempotencyKey")
	// Another merchant may use the same key.
	wantStatus(t, e.do(req{method: "POST", path: "/v2/checkoutSessions", body: other, header: h, keyID: otherKeyID}), 201)
	e.advance(24*time.Hour + time.Second)
	third := e.do(req{method: "POST", path: "/v2/checkoutSessions", body: other, header: h})
	wantStatus(t, third, 201)
	if bytes.Equal(third.Body.Bytes(), first.Body.Bytes()) {
		t.Fatal("expired key replayed")
	}
}

// TestConcurrentCapture: 100 concurrent captures of one charge with one
// idempotency key capture once and answer identically; with 100 different
// keys one succeeds and the others get InvalidChargeStatus.
func TestConcurrentCapture(t *testing.T) {
	for _, sameKey := range []bool{true, false} {
		e := newTestEnv(t)
		id := e.checkout("Authorize", "50.00", "USD", "1111", "")
		chID := str(wantStatus(t, e.complete(id, "50.00", "USD"), 200), "chargeId")
		const n = 100
		reqs := make([]*http.Request, n)
		for i := range reqs {
			k := "capture-same"
			if !sameKey {
				k = "capture-" + itoaT(i)
			}
			reqs[i] = e.signed(req{method: "POST", path: "/v2/charges/" + chID + "/capture", body: `{"captureAmount":{"amount":"50.00","currencyCode":"USD"}}`, header: map[string]string{"x-amz-pay-idempotency-key": k}})
		}
		recs := make([]*httptest.ResponseRecorder, n)
		var wg sync.WaitGroup
		for i := range reqs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				recs[i] = httptest.NewRecorder()
				e.srv.Handler().ServeHTTP(recs[i], reqs[i])
			}()
		}
		wg.Wait()
		ok := 0
		for _, rec := range recs {
			switch {
			case rec.Code == 200:
				ok++
				if sameKey && !bytes.Equal(rec.Body.Bytes(), recs[0].Body.Bytes()) {
					t.Fatalf("answers differ:\n%s\n%s", rec.Body, recs[0].Body)
				}
			case !sameKey:
				wantError(t, rec, 422, "InvalidChargeStatus")
			default:
				t.Fatalf("same key: %d %s", rec.Code, rec.Body)
			}
		}
		if sameKey && ok != n || !sameKey && ok != 1 {
			t.Fatalf("sameKey=%v: %d successes", sameKey, ok)
		}
		ch := wantStatus(t, e.get("/v2/charges/"+chID), 200)
		if str(ch, "captureAmount.amount") != "50.00" {
			t.Fatalf("captured %v", ch["captureAmount"])
		}
	}
}

// TestFaults: status faults answer without running the operation, delay
// faults run it late, reset-after-commit commits and drops the connection.
func TestFaults(t *testing.T) {
	e := newTestEnv(t)
	wantStatus(t, e.control("POST", "/_emulator/faults", `{"operation":"CreateCheckoutSession","count":2,"status":503}`), 201)
	wantError(t, e.post("/v2/checkoutSessions", createCSBody), 503, "ServiceUnavailable")
	wantError(t, e.post("/v2/checkoutSessions", createCSBody), 503, "ServiceUnavailable")
	wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201)
	wantStatus(t, e.control("POST", "/_emulator/faults", `{"count":1,"status":429}`), 201)
	wantError(t, e.get("/v2/charges/x"), 429, "TooManyRequests")
	wantError(t, e.control("POST", "/_emulator/faults", `{"operation":"NoSuchOp","status":500}`), 400, "InvalidParameterValue")
	wantError(t, e.control("POST", "/_emulator/faults", `{"status":200}`), 400, "InvalidParameterValue")
	wantStatus(t, e.control("POST", "/_emulator/faults", `{"operation":"GetCharge","delay":"10ms"}`), 201)
	wantError(t, e.get("/v2/charges/x"), 404, "ResourceNotFound")

	// reset-after-commit needs a real connection.
	hs := httptest.NewServer(e.srv.Handler())
	defer hs.Close()
	e.host = strings.TrimPrefix(hs.URL, "http://")
	wantStatus(t, e.control("POST", "/_emulator/faults", `{"operation":"CreateCheckoutSession","kind":"reset-after-commit"}`), 201)
	before := len(e.srv.st.CheckoutSessions)
	r := e.signed(req{method: "POST", path: "/v2/checkoutSessions", body: createCSBody, header: map[string]string{"x-amz-pay-idempotency-key": "reset1"}})
	r.RequestURI = ""
	r.URL.Scheme, r.URL.Host = "http", e.host
	res, err := hs.Client().Do(r)
	if err == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		t.Fatalf("got an answer %d, want a dropped connection", res.StatusCode)
	}
	e.srv.mu.Lock()
	after := len(e.srv.st.CheckoutSessions)
	e.srv.mu.Unlock()
	if after != before+1 {
		t.Fatalf("reset-after-commit did not commit: %d → %d", before, after)
	}
	// The retry with the same key gets the stored answer.
	r = e.signed(req{method: "POST", path: "/v2/checkoutSessions", body: createCSBody, header: map[string]string{"x-amz-pay-idempotency-key": "reset1"}})
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, r)
	wantStatus(t, rec, 201)
	if got := len(e.srv.st.CheckoutSessions); got != after {
		t.Fatalf("retry created another session")
	}
}

// TestThrottling: off by default; on, a bucket of burst 2 answers 429 on
// the third call.
func TestThrottling(t *testing.T) {
	e := newTestEnv(t)
	for range 12 {
		wantError(t, e.get("/v2/charges/x"), 404, "ResourceNotFound")
	}
	wantStatus(t, e.control("POST", "/_emulator/throttling", `{"enabled":true,"burst":2,"restore":0.001}`), 200)
	wantError(t, e.get("/v2/charges/x"), 404, "ResourceNotFound")
	wantError(t, e.get("/v2/charges/x"), 404, "ResourceNotFound")
	wantError(t, e.get("/v2/charges/x"), 429, "TooManyRequests")
	// Buckets are per merchant and per operation.
	wantError(t, e.do(req{method: "GET", path: "/v2/charges/x", keyID: otherKeyID}), 404, "ResourceNotFound")
	wantError(t, e.get("/v2/refunds/x"), 404, "ResourceNotFound")
	// Amazon's own figures: sandbox Create Checkout Session has burst 5.
	wantStatus(t, e.control("POST", "/_emulator/throttling", `{"enabled":true,"burst":0,"restore":0}`), 200)
	q := e.srv.throttle.quota(Sandbox, "CreateCheckoutSession")
	if q.Burst != 5 || q.Restore != 1 {
		t.Fatalf("sandbox CreateCheckoutSession quota %+v", q)
	}
	if q := e.srv.throttle.quota(Live, "CreateCheckoutSession"); q.Burst != 40 || q.Restore != 16 {
		t.Fatalf("live CreateCheckoutSession quota %+v", q)
	}
}

// TestSimulationCodes: unknown or misplaced codes are 400; live ignores them.
func TestSimulationCodes(t *testing.T) {
	for op, codes := range simulationCodes {
		for _, c := range codes {
			if _, err := checkSimulationCode(op, c); err != nil {
				t.Errorf("%s %s: %v", op, c, err)
			}
			if _, err := checkSimulationCode(op, "CheckoutSession:"+c); err != nil {
				t.Errorf("%s prefixed %s: %v", op, c, err)
			}
		}
		if _, err := checkSimulationCode(op, "Bogus"); err == nil || err.ReasonCode != codeInvalidSandboxSimulation {
			t.Errorf("%s accepted Bogus", op)
		}
	}
	if _, err := checkSimulationCode("GetCharge", "SoftDeclined"); err == nil {
		t.Error("GetCharge accepted a simulation code")
	}
	e := newTestEnv(t)
	rec := e.do(req{method: "POST", path: "/v2/checkoutSessions", keyID: liveKeyID, body: createCSBody, header: map[string]string{"x-amz-pay-simulation-code": "Bogus", "x-amz-pay-idempotency-key": "live1"}})
	wantStatus(t, rec, 201)
}
