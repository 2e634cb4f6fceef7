package emulator

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequestBody sends arbitrary, correctly signed bodies to operations
// that decode JSON: the emulator never panics and never answers 500.
func FuzzRequestBody(f *testing.F) {
	for _, s := range []string{createCSBody, `{}`, `[]`, `null`, `{"storeId":1}`, `{"paymentDetails":{"chargeAmount":{"amount":1e400,"currencyCode":"USD"}}}`,
		`{"chargePermissionId":"S01-1","chargeAmount":{"amount":"1.00","currencyCode":"JPY"}}`, `{"a":{"b":{"c":[1,2,{"d":null}]}}}`, "\xff\xfe", `{"storeId":"s"}{"x"`} {
		f.Add(s, 0)
		f.Add(s, 1)
		f.Add(s, 2)
	}
	e := newTestEnv(f)
	paths := []struct{ method, path string }{
		{"POST", "/v2/checkoutSessions"},
		{"POST", "/v2/charges"},
		{"POST", "/v2/refunds"},
	}
	f.Fuzz(func(t *testing.T, body string, which int) {
		if which < 0 {
			which = -which
		}
		p := paths[which%len(paths)]
		e.t = t
		rec := e.do(req{method: p.method, path: p.path, body: body, header: map[string]string{"x-amz-pay-idempotency-key": "fuzz"}})
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", p.method, p.path, body, rec.Code, rec.Body)
		}
		obj(t, rec)
	})
}

// FuzzDecodeStrict feeds arbitrary JSON to the strict decoder directly.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{createCSBody, `{"paymentDetails":{"canHandlePendingAuthorization":"false"}}`, `{"deliverySpecifications":{"addressRestrictions":{"type":"Allowed","restrictions":{"US":{"zipCodes":["1"]}}}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in checkoutSessionIn
		if err := decodeStrict(body, &in); err != nil {
			if err.Status != 400 || err.ReasonCode == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		_, _ = in.apply(CheckoutSession{Owner: Owner{Env: Sandbox}}, true)
	})
}

// FuzzAuthorizationHeader puts arbitrary Authorization values (and dates)
// through the handler: never a panic, a 500 or a success.
func FuzzAuthorizationHeader(f *testing.F) {
	for _, s := range []string{"", "AMZN-PAY-RSASSA-PSS-V2", "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=" + sandboxKeyID + ", SignedHeaders=x-amz-pay-date;x-amz-pay-host;x-amz-pay-region, Signature=AAAA",
		"AMZN-PAY-RSASSA-PSS PublicKeyId=,SignedHeaders=;;;,Signature===", "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=" + sandboxKeyID + ", SignedHeaders=nothere, Signature=QQ==", "\x00\xff"} {
		f.Add(s, "20261123T100000Z")
	}
	e := newTestEnv(f)
	base := e.signed(req{method: "GET", path: "/v2/charges/S01-1-C1"})
	f.Fuzz(func(t *testing.T, auth, date string) {
		hr := base.Clone(base.Context())
		hr.Header.Set("Authorization", auth)
		if strings.ContainsAny(date, "\r\n\x00") {
			date = "x"
		}
		hr.Header.Set("x-amz-pay-date", date)
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, hr)
		if rec.Code >= 500 || rec.Code < 400 {
			t.Fatalf("%q: %d %s", auth, rec.Code, rec.Body)
		}
		obj(t, rec)
	})
}
