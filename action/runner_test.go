package action

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeAmazon is a stand-in for Amazon Pay that records what reached it and
// answers with a fixed status and body.
type fakeAmazon struct {
	status int
	body   string
	hits   atomic.Int32
	mu     sync.Mutex
	last   *http.Request
	lastB  []byte
}

func (f *fakeAmazon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.last, f.lastB = r, b
	f.mu.Unlock()
	w.Header().Set("x-amz-pay-request-id", "req-fake-1")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.body)
}

func (f *fakeAmazon) request() (*http.Request, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, f.lastB
}

// newFakeRunner returns a runner whose client talks to fake, with retries
// off so error statuses come straight back.
func newFakeRunner(t testing.TB, fake http.Handler, opts ...Option) *Runner {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := amazonpay.NewClient(
		amazonpay.WithPublicKeyID("SANDBOX-AEXAMPLEPUBLICKEYID00"),
		amazonpay.WithRSAPrivateKey(testKey()),
		amazonpay.WithRegion("us"),
		amazonpay.WithBaseURL(srv.URL),
		amazonpay.WithRetry(amazonpay.RetryPolicy{MaxAttempts: 1}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return NewRunner(c, opts...)
}

type errorBody struct {
	ReasonCode string  `json:"reasonCode"`
	Message    string  `json:"message"`
	RequestID  *string `json:"requestId"`
}

func parseError(t *testing.T, res *Result) errorBody {
	t.Helper()
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %s is not {reasonCode,message,requestId}: %v", res.Body, err)
	}
	if e.RequestID == nil {
		t.Fatalf("error body %s has no requestId", res.Body)
	}
	return e
}

// TestRun_StatusClasses: every error status Amazon Pay uses comes back with
// its own status, reasonCode and request id, never as a blanket 500.
func TestRun_StatusClasses(t *testing.T) {
	tests := []struct {
		status int
		reason string
	}{
		{400, "InvalidParameterValue"},
		{401, "UnauthorizedAccess"},
		{403, "InvalidRequestSignature"},
		{404, "ResourceNotFound"},
		{405, "UnsupportedOperation"},
		{409, "AmountMismatch"},
		{422, "InvalidChargeStatus"},
		{429, "TooManyRequests"},
		{500, "InternalServerError"},
		{502, ""},
		{503, "ServiceUnavailable"},
		{504, ""},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			body := `{"reasonCode":"` + tt.reason + `","message":"from Amazon"}`
			if tt.reason == "" {
				body = "<html>gateway</html>"
			}
			fake := &fakeAmazon{status: tt.status, body: body}
			res := newFakeRunner(t, fake).Run(t.Context(), []byte(`{"action":"CaptureCharge","chargeId":"S01-1-C1","captureAmount":{"amount":"10.00","currencyCode":"USD"}}`))
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d", res.Status, tt.status)
			}
			e := parseError(t, res)
			want := tt.reason
			if want == "" {
				want = reasonForStatus(tt.status)
			}
			if e.ReasonCode != want || res.ReasonCode != want {
				t.Errorf("reasonCode %q/%q, want %q", e.ReasonCode, res.ReasonCode, want)
			}
			if *e.RequestID != "req-fake-1" || res.RequestID != "req-fake-1" {
				t.Errorf("requestId %q/%q", *e.RequestID, res.RequestID)
			}
			if tt.reason != "" && e.Message != "from Amazon" {
				t.Errorf("message %q", e.Message)
			}
		})
	}
}

func TestRun_SuccessReturnsAmazonBodyAndStatus(t *testing.T) {
	body := `{"chargeId":"S01-1-C1","statusDetails":{"state":"Captured"},"someFieldTheSDKLacks":[1,2]}`
	fake := &fakeAmazon{status: 201, body: body}
	res := newFakeRunner(t, fake).Run(t.Context(), []byte(`{"action":"createcharge","chargePermissionId":"S01-1","chargeAmount":{"amount":"10.00","currencyCode":"USD"},"captureNow":true,"idempotencyKey":"order-42-charge"}`))
	if res.Status != 201 || string(res.Body) != body || res.RequestID != "req-fake-1" || res.Action != "CreateCharge" {
		t.Fatalf("got %d %s %q %q", res.Status, res.Body, res.RequestID, res.Action)
	}
	req, sent := fake.request()
	if req.Method != "POST" || req.URL.Path != "/v2/charges" {
		t.Errorf("sent %s %s", req.Method, req.URL.Path)
	}
	if got := req.Header.Get("x-amz-pay-idempotency-key"); got != "order-42-charge" {
		t.Errorf("idempotency header %q", got)
	}
	var m map[string]any
	if err := json.Unmarshal(sent, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["action"]; ok {
		t.Errorf("action leaked into the body: %s", sent)
	}
	if _, ok := m["idempotencyKey"]; ok {
		t.Errorf("idempotencyKey leaked into the body: %s", sent)
	}
	if m["captureNow"] != true || m["chargePermissionId"] != "S01-1" {
		t.Errorf("body %s", sent)
	}
}

func TestRun_LegacyFieldsReachAmazonUnderV2Names(t *testing.T) {
	fake := &fakeAmazon{status: 200, body: `{}`}
	res := newFakeRunner(t, fake).Run(t.Context(), []byte(`{
		"action": "UpdateCheckoutSession",
		"checkoutSessionId":"cs-1",
		"webCheckoutDetail": {"checkoutResultReturnUrl":"https://a.com/merchant-confirm-page"},
		"paymentDetail": {"paymentIntent":"Authorize","canHandlePendingAuthorization":true,
			"chargeAmount": {"amount":"100","currencyCode":"JPY"}},
		"platformId":"AXXXX"}`))
	if res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	req, sent := fake.request()
	if req.Method != "PATCH" || req.URL.Path != "/v2/checkoutSessions/cs-1" {
		t.Errorf("sent %s %s", req.Method, req.URL.Path)
	}
	for _, want := range []string{`"webCheckoutDetails":{"checkoutResultReturnUrl":"https://a.com/merchant-confirm-page"}`, `"paymentDetails":{`, `"chargeAmount":{"amount":"100","currencyCode":"JPY"}`, `"platformId":"AXXXX"`} {
		if !strings.Contains(string(sent), want) {
			t.Errorf("body %s lacks %s", sent, want)
		}
	}
	if strings.Contains(string(sent), "checkoutSessionId") {
		t.Errorf("the path id leaked into the body: %s", sent)
	}
}

// TestRun_BadInputNeverReachesAmazon: required ids, amounts and types are
// checked first, and the error names the field.
func TestRun_BadInputNeverReachesAmazon(t *testing.T) {
	tests := []struct {
		name, doc, reason, message string
	}{
		{"missing path id", `{"action":"GetCharge"}`, ReasonMissingParameterValue, "chargeId is required"},
		{"null path id", `{"action":"GetRefund","refundId":null}`, ReasonMissingParameterValue, "refundId is required"},
		{"blank path id", `{"action":"GetCheckoutSession","checkoutSessionId":"  "}`, ReasonMissingParameterValue, "checkoutSessionId is empty"},
		{"numeric path id", `{"action":"GetChargePermission","chargePermissionId":12345}`, ReasonInvalidParameterValue, "chargePermissionId must be a string, got a number"},
		{"slash in id", `{"action":"GetCharge","chargeId":"../refunds/x"}`, ReasonInvalidParameterValue, "chargeId must not contain a slash"},
		{"dot id", `{"action":"GetCharge","chargeId":".."}`, ReasonInvalidParameterValue, "chargeId must not be a dot segment"},
		{"missing body id", `{"action":"CreateRefund","refundAmount":{"amount":"1.00","currencyCode":"USD"}}`, ReasonMissingParameterValue, "chargeId is required"},
		{"missing amount", `{"action":"CreateRefund","chargeId":"S01-1-C1"}`, ReasonMissingParameterValue, "refundAmount is required"},
		{"amount not an object", `{"action":"CaptureCharge","chargeId":"c","captureAmount":"10.00"}`, ReasonInvalidParameterValue, `captureAmount must be an object {"amount": "…", "currencyCode": "…"}, got a string`},
		{"missing currency", `{"action":"CaptureCharge","chargeId":"c","captureAmount":{"amount":"10.00"}}`, ReasonMissingParameterValue, "captureAmount.currencyCode is required"},
		{"JPY decimals", `{"action":"CompleteCheckoutSession","checkoutSessionId":"cs","chargeAmount":{"amount":"705.00","currencyCode":"JPY"}}`, ReasonInvalidParameterValue, `chargeAmount.amount: "705.00"`},
		{"three decimals", `{"action":"CreateRefund","chargeId":"c","refundAmount":{"amount":"1.001","currencyCode":"USD"}}`, ReasonInvalidParameterValue, "refundAmount.amount"},
		{"negative", `{"action":"CreateRefund","chargeId":"c","refundAmount":{"amount":"-1.00","currencyCode":"USD"}}`, ReasonInvalidParameterValue, "refundAmount.amount"},
		{"unknown currency", `{"action":"CreateRefund","chargeId":"c","refundAmount":{"amount":"1.00","currencyCode":"XXX"}}`, ReasonInvalidParameterValue, "refundAmount.currencyCode"},
		{"amount as boolean", `{"action":"CreateRefund","chargeId":"c","refundAmount":{"amount":true,"currencyCode":"USD"}}`, ReasonInvalidParameterValue, `refundAmount.amount must be a decimal string such as "14.00", got a boolean`},
		{"nested legacy amount", `{"action":"UpdateCheckoutSession","checkoutSessionId":"cs","paymentDetail":{"chargeAmount":{"amount":"1,000","currencyCode":"JPY"}}}`, ReasonInvalidParameterValue, "paymentDetail.chargeAmount.amount"},
		{"boolean as string", `{"action":"CreateCharge","chargePermissionId":"p","chargeAmount":{"amount":"1","currencyCode":"JPY"},"captureNow":"true"}`, ReasonInvalidParameterValue, "captureNow must be a boolean, got a string"},
		{"nested wrong type", `{"action":"UpdateCheckoutSession","checkoutSessionId":"cs","paymentDetail":{"canHandlePendingAuthorization":"yes"}}`, ReasonInvalidParameterValue, "paymentDetail.canHandlePendingAuthorization must be a boolean, got a string"},
		{"object as string", `{"action":"UpdateChargePermission","chargePermissionId":"p","merchantMetadata":"x"}`, ReasonInvalidParameterValue, "merchantMetadata must be an object, got a string"},
		{"unknown field", `{"action":"CreateRefund","chargeId":"c","refundAmount":{"amount":"1.00","currencyCode":"USD"},"refundEverything":true}`, ReasonUnrecognizedField, `the field "refundEverything" is invalid for CreateRefund`},
		{"field on a GET", `{"action":"GetCharge","chargeId":"c","captureAmount":{"amount":"1.00","currencyCode":"USD"}}`, ReasonUnrecognizedField, `the field "captureAmount" is invalid for GetCharge`},
		{"missing store id", `{"action":"CreateCheckoutSession","webCheckoutDetail":{"checkoutReviewReturnUrl":"https://a.com/r"}}`, ReasonMissingParameterValue, "storeId is required"},
		{"update charge without status", `{"action":"UpdateCharge","chargeId":"c"}`, ReasonMissingParameterValue, "statusDetails is required"},
		{"trackers without details", `{"action":"DeliveryTrackers","chargePermissionId":"p","deliveryDetails":[]}`, ReasonMissingParameterValue, "deliveryDetails needs at least one entry"},
		{"bad report time", `{"action":"GetReports","createdSince":"yesterday"}`, ReasonInvalidParameterValue, "createdSince: timestamp"},
		{"bad page size", `{"action":"GetReports","pageSize":-3}`, ReasonInvalidParameterValue, "pageSize: must be a non-negative whole number"},
		{"simulation on live", `{"action":"GetCharge","chargeId":"c","simulationCode":7}`, ReasonInvalidParameterValue, "simulationCode must be a string, got a number"},
	}
	fake := &fakeAmazon{status: 200, body: `{}`}
	r := newFakeRunner(t, fake)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := r.Run(t.Context(), []byte(tt.doc))
			if res.Status != 400 {
				t.Fatalf("status %d (%s), want 400", res.Status, res.Body)
			}
			e := parseError(t, res)
			if e.ReasonCode != tt.reason || !strings.Contains(e.Message, tt.message) {
				t.Errorf("got %s %q, want %s containing %q", e.ReasonCode, e.Message, tt.reason, tt.message)
			}
			if *e.RequestID != "" {
				t.Errorf("requestId %q for an error found before sending", *e.RequestID)
			}
		})
	}
	if n := fake.hits.Load(); n != 0 {
		t.Fatalf("%d request(s) reached Amazon Pay", n)
	}
}

func TestRun_Defaults(t *testing.T) {
	fake := &fakeAmazon{status: 201, body: `{"checkoutSessionId":"cs-1"}`}
	r := newFakeRunner(t, fake, WithStoreID("amzn1.application-oa2-client.default"), WithMerchantID("AMERCHANT"))
	res := r.Run(t.Context(), []byte(`{"action":"CreateCheckoutSession","webCheckoutDetail":{"checkoutReviewReturnUrl":"https://a.com/r"}}`))
	if res.Status != 201 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	_, sent := fake.request()
	if !strings.Contains(string(sent), `"storeId":"amzn1.application-oa2-client.default"`) {
		t.Errorf("default store id not sent: %s", sent)
	}
	res = r.Run(t.Context(), []byte(`{"action":"CreateCheckoutSession","storeId":"mine","webCheckoutDetail":{"checkoutReviewReturnUrl":"https://a.com/r"}}`))
	_, sent = fake.request()
	if res.Status != 201 || !strings.Contains(string(sent), `"storeId":"mine"`) {
		t.Errorf("the document's store id must win: %s", sent)
	}
	fake.status, fake.body = 200, `{"authorizationToken":"tok"}`
	res = r.Run(t.Context(), []byte(`{"action":"GetAuthorizationToken","mwsAuthToken":"amzn.mws.1"}`))
	req, _ := fake.request()
	if res.Status != 200 || req.URL.Query().Get("merchantId") != "AMERCHANT" || req.URL.Path != "/v2/authorizationTokens/amzn.mws.1" {
		t.Errorf("got %d, sent %s", res.Status, req.URL)
	}
}

func TestRun_QueryActions(t *testing.T) {
	fake := &fakeAmazon{status: 200, body: `{"reports":[]}`}
	r := newFakeRunner(t, fake)
	res := r.Run(t.Context(), []byte(`{"action":"GetReports","reportTypes":["_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_","_GET_FLAT_FILE_OFFAMAZONPAYMENTS_REFUND_DATA_"],"pageSize":"10","createdSince":"20240101T000000Z"}`))
	if res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	req, _ := fake.request()
	q := req.URL.Query()
	if q.Get("reportTypes") != "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_,_GET_FLAT_FILE_OFFAMAZONPAYMENTS_REFUND_DATA_" || q.Get("pageSize") != "10" || q.Get("createdSince") != "20240101T000000Z" {
		t.Errorf("query %s", req.URL.RawQuery)
	}
	res = r.Run(t.Context(), []byte(`{"action":"GetDisbursements","startTime":"2024-01-01T00:00:00Z","endTime":"20240201T000000Z","nextToken":"n1"}`))
	req, _ = fake.request()
	if res.Status != 200 || req.URL.Path != "/v2/disbursements" || req.URL.Query().Get("startTime") != "20240101T000000Z" || req.URL.Query().Get("nextToken") != "n1" {
		t.Errorf("%d %s", res.Status, req.URL)
	}
}

func TestRun_TransportFailureIs502(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c, err := amazonpay.NewClient(amazonpay.WithPublicKeyID("SANDBOX-X"), amazonpay.WithRSAPrivateKey(testKey()),
		amazonpay.WithRegion("eu"), amazonpay.WithBaseURL(url), amazonpay.WithRetry(amazonpay.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	res := NewRunner(c).Run(t.Context(), []byte(`{"action":"CreateRefund","chargeId":"c","refundAmount":{"amount":"1.00","currencyCode":"EUR"},"idempotencyKey":"refund-7"}`))
	e := parseError(t, res)
	if res.Status != 502 || e.ReasonCode != ReasonServiceUnavailable || !strings.Contains(e.Message, `"refund-7"`) {
		t.Fatalf("got %d %s", res.Status, res.Body)
	}
}

func TestRun_DeadlineIs504(t *testing.T) {
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	r := newFakeRunner(t, slow)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	res := r.Run(ctx, []byte(`{"action":"GetCharge","chargeId":"c"}`))
	if e := parseError(t, res); res.Status != 504 || e.ReasonCode != ReasonRequestTimeout {
		t.Fatalf("got %d %s", res.Status, res.Body)
	}
}

// TestRun_LogsOneLineWithoutSecrets: one structured line per action with
// the five attributes, and none of the document's values.
func TestRun_LogsOneLineWithoutSecrets(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	fake := &fakeAmazon{status: 200, body: `{"name":"Susie Smith","email":"susie@example.com","buyerId":"amzn1.account.X"}`}
	r := newFakeRunner(t, fake, WithLogger(logger))
	res := r.Run(t.Context(), []byte(`{"action":"GetBuyer","buyerToken":"SECRET-BUYER-TOKEN","idempotencyKey":"idem-secret-1"}`))
	if res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines: %s", len(lines), buf.String())
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"action", "status", "reasonCode", "requestId", "duration"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("log line lacks %s: %s", k, lines[0])
		}
	}
	if entry["action"] != "GetBuyer" || entry["status"] != float64(200) || entry["requestId"] != "req-fake-1" {
		t.Errorf("log line %s", lines[0])
	}
	for _, secret := range []string{"SECRET-BUYER-TOKEN", "idem-secret-1", "Susie", "susie@example.com", "amzn1.account.X", "PRIVATE KEY"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log line leaks %q: %s", secret, lines[0])
		}
	}
}
