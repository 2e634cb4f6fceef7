package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// TestSignaturePolicy drives signed (and mis-signed) GETs through the
// handler: every failure has Amazon's status and reasonCode, never a 500.
func TestSignaturePolicy(t *testing.T) {
	e := newTestEnv(t)
	id := wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201)["checkoutSessionId"].(string)
	p := "/v2/checkoutSessions/" + id
	now := e.clock()
	_, other := keys(t)
	forged, _ := signing.NewSigner(sandboxKeyID, other, signing.AlgorithmV2)

	cases := []struct {
		name   string
		r      req
		mutate func(*http.Request)
		status int
		code   string
		msg    string
	}{
		{name: "OK", r: req{}, status: 200},
		{name: "V1 algorithm", r: req{keyID: otherKeyID, path: "/v2/charges/none"}, status: 404, code: "ResourceNotFound"},
		{name: "extended date", r: req{header: map[string]string{"x-amz-pay-date": now.Format("2006-01-02T15:04:05Z")}}, status: 200},
		{name: "date 14 min old", r: req{header: map[string]string{"x-amz-pay-date": signing.FormatDate(now.Add(-14 * time.Minute))}}, status: 200},
		{name: "date 16 min old", r: req{header: map[string]string{"x-amz-pay-date": signing.FormatDate(now.Add(-16 * time.Minute))}}, status: 400, code: "InvalidHeaderValue"},
		{name: "date in future", r: req{header: map[string]string{"x-amz-pay-date": signing.FormatDate(now.Add(time.Hour))}}, status: 400, code: "InvalidHeaderValue", msg: "should not be in future"},
		{name: "date garbage", r: req{header: map[string]string{"x-amz-pay-date": "yesterday"}}, status: 400, code: "InvalidHeaderValue"},
		{name: "date missing", r: req{header: map[string]string{"x-amz-pay-date": ""}}, status: 400, code: "MissingHeader"},
		{name: "host missing", r: req{header: map[string]string{"x-amz-pay-host": ""}}, status: 400, code: "MissingHeader"},
		{name: "region missing", r: req{header: map[string]string{"x-amz-pay-region": ""}}, status: 400, code: "MissingHeader"},
		{name: "date unsigned", r: req{unsigned: []string{"x-amz-pay-date"}}, status: 403, code: "InvalidRequestSignature"},
		{name: "region unsigned", r: req{unsigned: []string{"x-amz-pay-region"}}, status: 403, code: "InvalidRequestSignature"},
		{name: "idempotency key unsigned", r: req{header: map[string]string{"x-amz-pay-idempotency-key": "abc"}, unsigned: []string{"x-amz-pay-idempotency-key"}}, status: 403, code: "InvalidRequestSignature"},
		{name: "simulation code unsigned is fine", r: req{path: "/v2/charges/x/capture", method: "POST", body: `{}`, header: map[string]string{"x-amz-pay-simulation-code": "CaptureInitiated"}, unsigned: []string{"x-amz-pay-simulation-code"}}, status: 404, code: "ResourceNotFound"},
		{name: "real Amazon host", r: req{header: map[string]string{"x-amz-pay-host": "pay-api.amazon.eu"}}, status: 200},
		{name: "own host with port", r: req{header: map[string]string{"x-amz-pay-host": "emulator.test:8443"}}, status: 200},
		{name: "foreign host", r: req{header: map[string]string{"x-amz-pay-host": "evil.example"}}, status: 400, code: "InvalidHeaderValue"},
		{name: "region NA", r: req{header: map[string]string{"x-amz-pay-region": "NA"}}, status: 200},
		{name: "region de", r: req{header: map[string]string{"x-amz-pay-region": "de"}}, status: 200},
		{name: "region unknown", r: req{header: map[string]string{"x-amz-pay-region": "mars"}}, status: 400, code: "InvalidHeaderValue"},
		{name: "no authorization", r: req{}, mutate: func(r *http.Request) { r.Header.Del("Authorization") }, status: 400, code: "MissingHeader"},
		{name: "garbage authorization", r: req{}, mutate: func(r *http.Request) { r.Header.Set("Authorization", "garbage") }, status: 400, code: "InvalidHeaderValue"},
		{name: "unknown algorithm", r: req{}, mutate: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AMZN-PAY-RSASSA-PSS-V2", "HMAC-SHA256", 1))
		}, status: 400, code: "InvalidHeaderValue"},
		{name: "algorithm swapped (salt mismatch)", r: req{}, mutate: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AMZN-PAY-RSASSA-PSS-V2", "AMZN-PAY-RSASSA-PSS", 1))
		}, status: 403, code: "InvalidRequestSignature"},
		{name: "unknown key", r: req{}, mutate: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), sandboxKeyID, "SANDBOX-NOBODY", 1))
		}, status: 401, code: "UnauthorizedAccess"},
		{name: "signature not base64", r: req{}, mutate: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, "Signature=")]+"Signature=!!!")
		}, status: 400, code: "InvalidHeaderValue"},
		{name: "wrong key", r: req{}, mutate: func(r *http.Request) {
			h := r.Header.Clone()
			h.Del("Authorization")
			a, _ := forged.Authorization(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, h, nil)
			r.Header.Set("Authorization", a)
		}, status: 403, code: "InvalidRequestSignature", msg: "Unable to verify signature, signing String [AMZN-PAY-RSASSA-PSS-V2\n"},
		{name: "header changed after signing", r: req{}, mutate: func(r *http.Request) { r.Header.Set("accept", "text/html") }, status: 403, code: "InvalidRequestSignature", msg: "] , signature ["},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.r.method == "" {
				c.r.method = "GET"
			}
			if c.r.path == "" {
				c.r.path = p
			}
			hr := e.signed(c.r)
			if c.mutate != nil {
				c.mutate(hr)
			}
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, hr)
			if rec.Header().Get("x-amz-pay-request-id") == "" {
				t.Error("no x-amz-pay-request-id")
			}
			if c.code == "" {
				wantStatus(t, rec, c.status)
				return
			}
			wantError(t, rec, c.status, c.code)
			if c.msg != "" && !strings.Contains(obj(t, rec)["message"].(string), c.msg) {
				t.Errorf("message %q lacks %q", obj(t, rec)["message"], c.msg)
			}
		})
	}
}

// TestSignatureClockIgnoresControlClock: after the control API moves
// business time by 30 days, requests signed with the base clock still pass.
func TestSignatureClockIgnoresControlClock(t *testing.T) {
	e := newTestEnv(t)
	e.advance(720 * time.Hour)
	wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201)
	// The base clock itself moving keeps the window relative to it.
	e.sleep(time.Hour)
	wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201)
}

func TestIdempotencyKeyFormat(t *testing.T) {
	e := newTestEnv(t)
	for _, k := range []string{strings.Repeat("a", 33), "has space", "dots.not.allowed", "ümlaut"} {
		rec := e.do(req{method: "POST", path: "/v2/checkoutSessions", body: createCSBody, header: map[string]string{"x-amz-pay-idempotency-key": k}})
		wantError(t, rec, 400, "InvalidHeaderValue")
	}
	rec := e.do(req{method: "POST", path: "/v2/checkoutSessions", body: createCSBody, header: map[string]string{"x-amz-pay-idempotency-key": strings.Repeat("A", 32)}})
	wantStatus(t, rec, 201)
}
