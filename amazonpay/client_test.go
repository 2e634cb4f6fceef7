package amazonpay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

func TestNewClientValidation(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "private.pem")
	if err := os.WriteFile(keyFile, testKeyPKCS8PEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	junkFile := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junkFile, []byte("-----BEGIN PRIVATE KEY-----\nnot base64 !!\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := []Option{WithPublicKeyID("SANDBOX-X"), WithRSAPrivateKey(testKey()), WithRegion("us")}
	with := func(extra ...Option) []Option { return append(append([]Option(nil), ok...), extra...) }
	for _, tc := range []struct {
		name  string
		opts  []Option
		field string // "" means success
	}{
		{"ok", ok, ""},
		{"PKCS#1 PEM", []Option{WithPublicKeyID("X"), WithPrivateKey(testKeyPKCS1PEM()), WithRegion("eu")}, ""},
		{"PKCS#8 PEM", []Option{WithPublicKeyID("X"), WithPrivateKey(testKeyPKCS8PEM(t)), WithRegion("jp")}, ""},
		{"key file", []Option{WithPublicKeyID("X"), WithPrivateKeyFile(keyFile), WithRegion("NA")}, ""},
		{"missing key id", []Option{WithRSAPrivateKey(testKey()), WithRegion("us")}, "publicKeyId"},
		{"blank key id", []Option{WithPublicKeyID("  "), WithRSAPrivateKey(testKey()), WithRegion("us")}, "publicKeyId"},
		{"key id breaks header", []Option{WithPublicKeyID("A, B"), WithRSAPrivateKey(testKey()), WithRegion("us")}, "publicKeyId"},
		{"missing key", []Option{WithPublicKeyID("X"), WithRegion("us")}, "privateKey"},
		{"two keys", with(WithPrivateKey(testKeyPKCS1PEM())), "privateKey"},
		{"empty PEM", []Option{WithPrivateKey(nil)}, "privateKey"},
		{"not PEM", []Option{WithPublicKeyID("X"), WithPrivateKey([]byte("hello")), WithRegion("us")}, "privateKey"},
		{"missing file", []Option{WithPublicKeyID("X"), WithPrivateKeyFile(filepath.Join(dir, "nope.pem")), WithRegion("us")}, "privateKeyFile"},
		{"broken file", []Option{WithPublicKeyID("X"), WithPrivateKeyFile(junkFile), WithRegion("us")}, "privateKeyFile"},
		{"missing region", []Option{WithPublicKeyID("X"), WithRSAPrivateKey(testKey())}, "region"},
		{"bad region", with(WithRegion("mars")), "region"},
		{"bad algorithm", with(WithAlgorithm("RSA-SHA1")), "algorithm"},
		{"V1 algorithm", with(WithAlgorithm("AMZN-PAY-RSASSA-PSS")), ""},
		{"base URL ok", with(WithBaseURL("http://127.0.0.1:8080/")), ""},
		{"base URL with path", with(WithBaseURL("http://127.0.0.1:8080/v2")), "baseURL"},
		{"base URL with query", with(WithBaseURL("http://127.0.0.1:8080?x=1")), "baseURL"},
		{"base URL ftp", with(WithBaseURL("ftp://127.0.0.1")), "baseURL"},
		{"base URL no host", with(WithBaseURL("http://")), "baseURL"},
		{"base URL user", with(WithBaseURL("http://u:p@127.0.0.1")), "baseURL"},
		{"CA with own client", with(WithHTTPClient(&http.Client{}), WithCACertPEM([]byte("x"))), "caCert"},
		{"CA not PEM", with(WithCACertPEM([]byte("x"))), "caCert"},
		{"CA file missing", with(WithCAFile(filepath.Join(dir, "ca.pem"))), "caFile"},
		{"nil http client", with(WithHTTPClient(nil)), "httpClient"},
		{"nil logger", with(WithLogger(nil)), "logger"},
		{"nil clock", with(WithClock(nil)), "clock"},
		{"bad user agent", with(WithUserAgent("a\nb")), "userAgent"},
		{"bad retry", with(WithRetry(RetryPolicy{MaxAttempts: -2})), "retry.MaxAttempts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(tc.opts...)
			if tc.field == "" {
				if err != nil || c == nil {
					t.Fatalf("NewClient: %v", err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want InputError on %s", err, tc.field)
			}
			if strings.Contains(err.Error(), "MII") {
				t.Errorf("error quotes key material: %v", err)
			}
		})
	}
}

func TestEndpointResolution(t *testing.T) {
	for _, tc := range []struct {
		region, keyID string
		sandbox       bool
		baseURL       string
		wantURL       string
		wantRegion    string
		wantSandbox   bool
	}{
		{"us", "AKEY", false, "", "https://pay-api.amazon.com/live/v2/charges/C1", "na", false},
		{"NA", "AKEY", true, "", "https://pay-api.amazon.com/sandbox/v2/charges/C1", "na", true},
		{"eu", "LIVE-AKEY", true, "", "https://pay-api.amazon.eu/v2/charges/C1", "eu", false},
		{"DE", "sandbox-akey", false, "", "https://pay-api.amazon.eu/v2/charges/C1", "eu", true},
		{"Uk", "AKEY", false, "", "https://pay-api.amazon.eu/live/v2/charges/C1", "eu", false},
		{"jp", "AKEY", true, "", "https://pay-api.amazon.jp/sandbox/v2/charges/C1", "jp", true},
		{"jp", "SANDBOX-AKEY", false, "https://127.0.0.1:8443", "https://127.0.0.1:8443/v2/charges/C1", "jp", true},
		{"us", "AKEY", true, "http://localhost:9", "http://localhost:9/sandbox/v2/charges/C1", "na", true},
	} {
		name := fmt.Sprintf("%s/%s/%v/%s", tc.region, tc.keyID, tc.sandbox, tc.baseURL)
		t.Run(name, func(t *testing.T) {
			var got *http.Request
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = r
				return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"chargeId":"C1"}`)), Request: r}, nil
			})}
			opts := []Option{WithPublicKeyID(tc.keyID), WithRSAPrivateKey(testKey()), WithRegion(tc.region), WithSandbox(tc.sandbox), WithHTTPClient(hc)}
			if tc.baseURL != "" {
				opts = append(opts, WithBaseURL(tc.baseURL))
			}
			c, err := NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Charges.Get(t.Context(), "C1"); err != nil {
				t.Fatal(err)
			}
			if got.URL.String() != tc.wantURL {
				t.Errorf("URL %s, want %s", got.URL, tc.wantURL)
			}
			if h := got.Header.Get("x-amz-pay-host"); h != got.URL.Host {
				t.Errorf("x-amz-pay-host %s, URL host %s", h, got.URL.Host)
			}
			if r := got.Header.Get("x-amz-pay-region"); r != tc.wantRegion || string(c.Region()) != tc.wantRegion {
				t.Errorf("region %s", r)
			}
			if c.Sandbox() != tc.wantSandbox {
				t.Errorf("Sandbox() = %v", c.Sandbox())
			}
		})
	}
}

// TestUnsafeIDsNeverSent: ids that could leave their path segment are
// refused before any request; other odd ids are escaped into one segment.
func TestUnsafeIDsNeverSent(t *testing.T) {
	f := newFakeAPI(t, reply{status: 200, body: `{"chargeId":"x"}`})
	c := newTestClient(t, f)
	for _, id := range []string{"", " ", ".", "..", "a/b", "../refunds/R1", "a\\b", "/"} {
		_, _, err := c.Charges.Get(t.Context(), id)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != "chargeId" {
			t.Errorf("id %q: err %v", id, err)
		}
		_, _, err = c.Charges.Capture(t.Context(), id, &CaptureChargeRequest{CaptureAmount: usd14})
		if !errors.As(err, &ie) {
			t.Errorf("capture id %q: err %v", id, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("server saw %d requests", n)
	}
	for id, wantPath := range map[string]string{
		"a b?c#d%e": "/v2/charges/a%20b%3Fc%23d%25e",
		"...":       "/v2/charges/...",
		"%2e%2e":    "/v2/charges/%252e%252e",
		"C;x=1":     "/v2/charges/C%3Bx=1",
	} {
		if _, _, err := c.Charges.Get(t.Context(), id); err != nil {
			t.Fatalf("id %q: %v", id, err)
		}
		reqs := f.requests()
		got := reqs[len(reqs)-1]
		if got.Path != wantPath || got.VerifyErr != nil {
			t.Errorf("id %q: path %s (want %s), verify %v", id, got.Path, wantPath, got.VerifyErr)
		}
	}
}

func TestInputErrorsSendNothing(t *testing.T) {
	f := newFakeAPI(t)
	c := newTestClient(t, f)
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		field string
		call  func() error
	}{
		{"bad amount", "captureAmount.amount", func() error {
			_, _, err := c.Charges.Capture(ctx, "C1", &CaptureChargeRequest{CaptureAmount: Price{"1,00", "USD"}})
			return err
		}},
		{"JPY decimals", "chargeAmount.amount", func() error {
			_, _, err := c.CheckoutSessions.Complete(ctx, "cs", &CompleteCheckoutSessionRequest{ChargeAmount: Price{"705.00", "JPY"}})
			return err
		}},
		{"unknown currency", "refundAmount.currencyCode", func() error {
			_, _, err := c.Refunds.Create(ctx, &CreateRefundRequest{ChargeID: "C1", RefundAmount: Price{"1.00", "XXX"}})
			return err
		}},
		{"missing amount", "chargeAmount.amount", func() error {
			_, _, err := c.Charges.Create(ctx, &CreateChargeRequest{ChargePermissionID: "S01", ChargeAmount: Price{CurrencyCode: "USD"}})
			return err
		}},
		{"update amount", "paymentDetails.chargeAmount.amount", func() error {
			_, _, err := c.CheckoutSessions.Update(ctx, "cs", &UpdateCheckoutSessionRequest{PaymentDetails: &PaymentDetails{ChargeAmount: Price{"1e3", "USD"}}})
			return err
		}},
		{"long key", "idempotencyKey", func() error {
			_, _, err := c.Charges.Get(ctx, "C1", WithIdempotencyKey(strings.Repeat("a", 33)))
			return err
		}},
		{"bad key chars", "idempotencyKey", func() error {
			_, _, err := c.Charges.Capture(ctx, "C1", &CaptureChargeRequest{CaptureAmount: usd14}, WithIdempotencyKey("order 42"))
			return err
		}},
		{"empty key", "idempotencyKey", func() error {
			_, _, err := c.Charges.Capture(ctx, "C1", &CaptureChargeRequest{CaptureAmount: usd14}, WithIdempotencyKey(""))
			return err
		}},
		{"reserved header", "header", func() error {
			_, _, err := c.Charges.Get(ctx, "C1", WithHeader("X-Amz-Pay-Date", "x"))
			return err
		}},
		{"header injection", "header", func() error {
			_, _, err := c.Charges.Get(ctx, "C1", WithHeader("x-amz-pay-authtoken", "a\r\nb: c"))
			return err
		}},
		{"bad header name", "header", func() error {
			_, _, err := c.Charges.Get(ctx, "C1", WithHeader("bad name", "x"))
			return err
		}},
		{"nil body", "request", func() error {
			_, _, err := c.CheckoutSessions.Create(ctx, nil)
			return err
		}},
		{"store id", "storeId", func() error {
			_, _, err := c.CheckoutSessions.Create(ctx, &CreateCheckoutSessionRequest{})
			return err
		}},
		{"merchant id", "merchantId", func() error {
			_, _, err := c.AuthorizationTokens.Get(ctx, "tok", "")
			return err
		}},
		{"nil ctx", "ctx", func() error {
			//lint:ignore SA1012 checking that a nil context is refused
			_, _, err := c.Charges.Get(nil, "C1")
			return err
		}},
		{"disbursement window", "startTime", func() error {
			_, _, err := c.Disbursements.List(ctx, nil)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want InputError on %s", err, tc.field)
			}
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("server saw %d requests", n)
	}
}

func TestSimulationCode(t *testing.T) {
	f := newFakeAPI(t, reply{status: 201, body: `{"chargeId":"C"}`})
	c := newTestClient(t, f)
	if _, _, err := c.Charges.Create(t.Context(), &CreateChargeRequest{ChargePermissionID: "S01", ChargeAmount: usd14},
		WithSimulationCode("HardDeclined")); err != nil {
		t.Fatal(err)
	}
	got := f.requests()[0]
	if got.Header.Get("x-amz-pay-simulation-code") != "HardDeclined" || !strings.Contains(got.Verified.Authorization.SignedHeaders, "x-amz-pay-simulation-code") {
		t.Errorf("simulation header missing or unsigned: %v", got.Header)
	}
	live := newTestClient(t, f, WithPublicKeyID("LIVE-X"))
	_, _, err := live.Charges.Get(t.Context(), "C", WithSimulationCode("x"))
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != "simulationCode" {
		t.Errorf("live simulation: %v", err)
	}
}

func TestIdempotencyKeyOnNonPOST(t *testing.T) {
	f := newFakeAPI(t, reply{status: 200, body: `{"chargeId":"C"}`})
	c := newTestClient(t, f)
	_, resp, err := c.Charges.Update(t.Context(), "C", &UpdateChargeRequest{StatusDetails: &StatusDetails{State: "Canceled"}}, WithIdempotencyKey("k-1"))
	if err != nil {
		t.Fatal(err)
	}
	if f.requests()[0].Header.Get("x-amz-pay-idempotency-key") != "k-1" || resp.IdempotencyKey != "k-1" {
		t.Error("explicit key on PATCH not sent")
	}
}

func TestAPIErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		is       error
		isNot    error
		reason   ReasonCode
		message  string
		declined bool
	}{
		{"not found", 404, `{"reasonCode":"ResourceNotFound","message":"no such charge"}`, ErrNotFound, ErrInvalidChargeStatus, ReasonResourceNotFound, "no such charge", false},
		{"404 without body", 404, ``, ErrNotFound, ErrTooManyRequests, "", "", false},
		{"proxy html", 502, `<html><body>Bad   gateway</body></html>`, nil, ErrNotFound, "", "<html><body>Bad gateway</body></html>", false},
		{"signature", 403, `{"reasonCode":"InvalidRequestSignature","message":"Unable to verify signature"}`, ErrInvalidSignature, ErrNotFound, ReasonInvalidRequestSignature, "Unable to verify signature", false},
		{"amount mismatch", 409, `{"reasonCode":"AmountMismatch","message":"m"}`, ErrAmountMismatch, nil, ReasonAmountMismatch, "m", false},
		{"soft decline", 422, `{"reasonCode":"SoftDeclined","message":"m"}`, ErrSoftDeclined, ErrHardDeclined, ReasonSoftDeclined, "m", true},
		{"hard decline", 422, `{"reasonCode":"HardDeclined","message":"m"}`, ErrHardDeclined, ErrSoftDeclined, ReasonHardDeclined, "m", true},
		{"canceled session", 422, `{"reasonCode":"CheckoutSessionCanceled","message":"m"}`, ErrCheckoutSessionCanceled, nil, ReasonCheckoutSessionCanceled, "m", false},
		{"duplicate key", 400, `{"reasonCode":"DuplicateIdempotencyKey","message":"m"}`, ErrDuplicateIdempotencyKey, nil, ReasonDuplicateIdempotencyKey, "m", false},
		{"periodic", 400, `{"reasonCode":"PeriodicAmountExceeded","message":"m"}`, ErrPeriodicAmountExceeded, ErrTransactionAmountExceeded, ReasonPeriodicAmountExceeded, "m", false},
		{"new reason code", 400, `{"reasonCode":"SomethingNew","message":"m"}`, nil, ErrNotFound, "SomethingNew", "m", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, reply{status: tc.status, body: tc.body})
			c := newTestClient(t, f, WithRetry(RetryPolicy{MaxAttempts: 1}))
			ch, resp, err := c.Charges.Get(t.Context(), "C1")
			if ch != nil {
				t.Error("object returned with an error")
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v", err)
			}
			if apiErr.StatusCode != tc.status || apiErr.ReasonCode != tc.reason || apiErr.Message != tc.message || apiErr.RequestID != "req-A" {
				t.Errorf("got %+v", apiErr)
			}
			if apiErr.Response == nil || resp == nil || resp.StatusCode != tc.status {
				t.Error("response missing")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v) false", tc.is)
			}
			if tc.isNot != nil && errors.Is(err, tc.isNot) {
				t.Errorf("errors.Is(%v) true", tc.isNot)
			}
			if apiErr.Declined() != tc.declined {
				t.Errorf("Declined() = %v", apiErr.Declined())
			}
			if !strings.Contains(err.Error(), fmt.Sprint(tc.status)) || !strings.Contains(err.Error(), "req-A") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestErrorBodyLimit(t *testing.T) {
	big := `{"reasonCode":"X","message":"` + strings.Repeat("a", 2<<20) + `"}`
	f := newFakeAPI(t, reply{status: 400, body: big})
	c := newTestClient(t, f)
	_, _, err := c.Charges.Get(t.Context(), "C1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(apiErr.Response.Body)
	if len(b) != maxErrorBody {
		t.Errorf("read %d bytes of the error body, want %d", len(b), maxErrorBody)
	}
	if apiErr.ReasonCode != "" || len(apiErr.Message) > 300 {
		t.Errorf("truncated JSON should not parse: %q / %d", apiErr.ReasonCode, len(apiErr.Message))
	}
}

func TestResponseBodyReadable(t *testing.T) {
	f := newFakeAPI(t, reply{status: 200, body: `{"chargeId":"C1","future":{"x":1}}`})
	c := newTestClient(t, f)
	_, resp, err := c.Charges.Get(t.Context(), "C1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if !bytes.Contains(b, []byte("future")) {
		t.Errorf("body = %s", b)
	}
}

func TestBadJSONResponse(t *testing.T) {
	f := newFakeAPI(t, reply{status: 200, body: `{"chargeId":`})
	c := newTestClient(t, f)
	ch, resp, err := c.Charges.Get(t.Context(), "C1")
	if err == nil || ch != nil || resp == nil {
		t.Errorf("ch %v resp %v err %v", ch, resp, err)
	}
}

func TestClaimRedirect(t *testing.T) {
	f := newFakeAPI(t, reply{status: 303, header: map[string]string{"Location": "https://sellercentral.example/claim?x=1"}, body: ``})
	c, err := NewClient(WithPublicKeyID("SANDBOX-X"), WithRSAPrivateKey(testKey()), WithRegion("jp"), WithBaseURL(f.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	r, resp, err := c.MerchantAccounts.Claim(t.Context(), "M1", &ClaimMerchantAccountRequest{UniqueReferenceID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 303 || r.Location != "https://sellercentral.example/claim?x=1" || len(f.requests()) != 1 {
		t.Errorf("result %+v status %d", r, resp.StatusCode)
	}
}

func TestDefaultLoggerAndUserAgent(t *testing.T) {
	f := newFakeAPI(t, reply{status: 200, body: `{}`})
	c := newTestClient(t, f, WithUserAgent("shop/1.0"))
	if _, _, err := c.Charges.Get(t.Context(), "C1"); err != nil {
		t.Fatal(err)
	}
	got := f.requests()[0]
	if got.Header.Get("User-Agent") != "shop/1.0" || strings.Contains(got.Verified.Authorization.SignedHeaders, "user-agent") {
		t.Errorf("user agent %q signed %s", got.Header.Get("User-Agent"), got.Verified.Authorization.SignedHeaders)
	}
	d, err := NewClient(WithPublicKeyID("SANDBOX-X"), WithRSAPrivateKey(testKey()), WithRegion("us"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.userAgent, "apaykit-go/") || d.logger == nil || d.Algorithm() != signing.AlgorithmV2 || d.BaseURL() != "https://pay-api.amazon.com" || d.PublicKeyID() != "SANDBOX-X" {
		t.Errorf("defaults: %q %v %s %s", d.userAgent, d.logger, d.Algorithm(), d.BaseURL())
	}
}

func TestLoggingHasNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	f := newFakeAPI(t, reply{status: 503, body: `{}`}, reply{status: 200, body: `{}`})
	c := newTestClient(t, f, WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if _, _, err := c.Charges.Get(t.Context(), "C1", WithHeader("x-amz-pay-authtoken", "TOPSECRET")); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"TOPSECRET", "Signature", "authorization", "x-amz-pay"} {
		if strings.Contains(strings.ToLower(logs.String()), strings.ToLower(s)) {
			t.Errorf("log mentions %q:\n%s", s, logs.String())
		}
	}
	if !strings.Contains(logs.String(), `"operation":"GetCharge"`) {
		t.Errorf("log lacks the operation:\n%s", logs.String())
	}
}

func TestSignedHeaders(t *testing.T) {
	c := newTestClient(t, nil, WithPublicKeyID("AEXAMPLEPUBLICKEYID"), WithSandbox(true))
	body := []byte(`{"storeId":"x"}`)
	h, err := c.SignedHeaders("POST", "/sandbox/v2/checkoutSessions", body, http.Header{
		"x-amz-pay-idempotency-key": {"abc"}, "X-Amz-Pay-Date": {"ignored"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("x-amz-pay-date") != "20240115T123456Z" || h.Get("x-amz-pay-host") != "pay-api.amazon.com" || h.Get("x-amz-pay-region") != "na" {
		t.Errorf("headers %v", h)
	}
	req, _ := http.NewRequest("POST", "https://pay-api.amazon.com/sandbox/v2/checkoutSessions", bytes.NewReader(body))
	req.Header = h
	v, err := signing.VerifyRequest(req, body, func(string) (*rsaPublicKey, error) { return &testKey().PublicKey, nil })
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if v.Authorization.SignedHeaders != "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region" {
		t.Errorf("signed %s", v.Authorization.SignedHeaders)
	}
	// A full URL with a query: its host:port is signed, the query canonically.
	h, err = c.SignedHeaders("GET", "http://127.0.0.1:9/v2/reports?pageSize=10&reportTypes=A,B", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest("GET", "http://127.0.0.1:9/v2/reports?pageSize=10&reportTypes=A%2CB", nil)
	req.Header = h
	if _, err := signing.VerifyRequest(req, nil, func(string) (*rsaPublicKey, error) { return &testKey().PublicKey, nil }); err != nil || h.Get("x-amz-pay-host") != "127.0.0.1:9" {
		t.Errorf("verify GET: %v host %s", err, h.Get("x-amz-pay-host"))
	}
	for _, bad := range []struct {
		method, url string
		h           http.Header
	}{
		{"get", "/v2/x", nil},
		{"GET", "v2/x", nil},
		{"GET", "/v2/x", http.Header{"Authorization": {"x"}}},
		{"POST", "/v2/x", http.Header{"X-Amz-Pay-Idempotency-Key": {"has space"}}},
		{"GET", "/v2/x", http.Header{"X-Amz-Pay-Authtoken": {"a\nb"}}},
	} {
		if _, err := c.SignedHeaders(bad.method, bad.url, nil, bad.h); err == nil {
			t.Errorf("%s %s %v accepted", bad.method, bad.url, bad.h)
		}
	}
}

func TestClientIsConcurrencySafe(t *testing.T) {
	f := newFakeAPI(t, reply{status: 200, body: `{"chargeId":"C1"}`})
	c := newTestClient(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			_, _, err := c.Charges.Capture(ctx, "C1", &CaptureChargeRequest{CaptureAmount: usd14})
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	keys := map[string]bool{}
	for _, r := range f.requests() {
		if r.VerifyErr != nil {
			t.Error(r.VerifyErr)
		}
		keys[r.Header.Get("x-amz-pay-idempotency-key")] = true
	}
	if len(keys) != 16 {
		t.Errorf("%d distinct keys for 16 calls", len(keys))
	}
}
