package restapi

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop/payments"
)

// FuzzOperationBody feeds arbitrary bodies to the operation decoder and
// the amount parser: they never panic, every refusal is a 400 with one of
// Amazon Pay's request codes, and every accepted amount is positive and
// reads back to the same number.
func FuzzOperationBody(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"amount":"20.00"}`, `{"amount":12.5,"reason":"x"}`, `{"amount":-1}`,
		`{"amount":"1e3"}`, `{"amount":true}`, `{"amout":1}`, `{"amount":"0.00"}`, `[1]`, `{"amount":"99999999999999999999"}`,
		`{"amount":"20.00","currency":"EUR"}`, `{"amount":null}`, `{"cancel_pending_charges":"yes"}`} {
		f.Add([]byte(s), "USD")
		f.Add([]byte(s), "JPY")
	}
	f.Fuzz(func(t *testing.T, body []byte, currency string) {
		if !money.Known(currency) {
			return
		}
		in, err := decodeOperation(body)
		if err != nil {
			if e := payments.AsError(err); e.Status != 400 {
				t.Fatalf("decode refusal %d %s", e.Status, e.Code)
			}
			return
		}
		if len(in.Amount) == 0 || string(in.Amount) == "null" {
			return
		}
		minor, err := parseAmount(in.Amount, in.Currency, currency)
		if err != nil {
			if e := payments.AsError(err); e.Status != 400 || (e.Code != "InvalidParameterValue" && e.Code != "CurrencyMismatch") {
				t.Fatalf("amount refusal %d %s", e.Status, e.Code)
			}
			return
		}
		if minor <= 0 {
			t.Fatalf("accepted amount %d from %s", minor, in.Amount)
		}
		s, err := money.Format(minor, currency)
		if err != nil {
			t.Fatal(err)
		}
		back, err := money.Parse(s, currency)
		if err != nil || back != minor {
			t.Fatalf("%s → %d → %s → %d (%v)", in.Amount, minor, s, back, err)
		}
	})
}

// FuzzParseQuery: list filters never panic; accepted values are the
// documented ones.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "status=captured,refunded", "limit=0", "limit=200", "cursor=" + EncodeCursor(5), "cursor=%%%",
		"created_after=2026-11-23T10:00:00Z", "charge_state=Open", "payment_method=amazon_payments_advanced"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseQuery(v)
		if err != nil {
			if e := payments.AsError(err); e.Status != 400 || e.Code != "InvalidParameterValue" {
				t.Fatalf("refusal %d %s", e.Status, e.Code)
			}
			return
		}
		if q.Limit < 0 || q.Limit > 200 || q.Cursor < 0 {
			t.Fatalf("accepted %+v", q)
		}
		for _, s := range q.Status {
			if !s.Valid() {
				t.Fatalf("accepted status %q", s)
			}
		}
	})
}

// FuzzCredentials: the Authorization parser never panics, and Basic
// key:secret gives the same token as Bearer.
func FuzzCredentials(f *testing.F) {
	f.Add("apay_0123456789abcdef", "secretsecretsecretsecret")
	f.Add("", "")
	f.Add("a:b", "c")
	f.Fuzz(func(t *testing.T, user, pass string) {
		if strings.Contains(user, ":") {
			return // HTTP Basic cannot carry a colon in the user
		}
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
		token, ok := credentials(basic)
		if user == "" {
			if ok {
				t.Fatalf("empty user accepted: %q", token)
			}
			return
		}
		want := user
		if pass != "" {
			want = user + "_" + pass
		}
		if !ok || token != want {
			t.Fatalf("basic %q:%q → %q %v", user, pass, token, ok)
		}
		_, _ = credentials(user)
		_, _ = credentials("Bearer " + pass)
	})
}
