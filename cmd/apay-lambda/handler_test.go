package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apaykit/apaykit/action"
	"github.com/apaykit/apaykit/amazonpay"
	"github.com/aws/aws-lambda-go/events"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeAmazon answers GET /v2/charges/ok and POST /v2/refunds, 404
// otherwise, and counts the requests that reached it.
func fakeAmazon(t testing.TB) (string, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("x-amz-pay-request-id", "req-lambda-1")
		switch {
		case r.Method == "GET" && r.URL.Path == "/v2/charges/ok":
			_, _ = io.WriteString(w, `{"chargeId":"ok","statusDetails":{"state":"Authorized"}}`)
		case r.Method == "POST" && r.URL.Path == "/v2/refunds":
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"refundId":"R1"}`)
		default:
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"reasonCode":"ResourceNotFound","message":"nothing here"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &hits
}

func newTestHandler(t testing.TB, endpoint string, keys action.Auth, trustIAM bool) *lambdaHandler {
	t.Helper()
	c, err := amazonpay.NewClient(amazonpay.WithPublicKeyID("SANDBOX-LAMBDATEST"), amazonpay.WithRSAPrivateKey(testKey()),
		amazonpay.WithRegion("us"), amazonpay.WithBaseURL(endpoint), amazonpay.WithRetry(amazonpay.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return newHandler(&settings{client: c, keys: keys, trustIAM: trustIAM}, slog.New(slog.DiscardHandler))
}

const getOK = `{"action":"GetCharge","chargeId":"ok"}`
const refund = `{"action":"CreateRefund","chargeId":"c","refundAmount":{"amount":"1.00","currencyCode":"USD"}}`

func invoke(t *testing.T, h *lambdaHandler, event any) map[string]any {
	t.Helper()
	payload, ok := event.([]byte)
	if !ok {
		var err error
		if payload, err = json.Marshal(event); err != nil {
			t.Fatal(err)
		}
	}
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	return m
}

func TestInvoke_Direct(t *testing.T) {
	url, _ := fakeAmazon(t)
	h := newTestHandler(t, url, action.Auth{}, false) // no API keys: direct calls still work
	out := invoke(t, h, []byte(getOK))
	if out["statusCode"] != float64(200) || out["requestId"] != "req-lambda-1" {
		t.Fatalf("%v", out)
	}
	body := out["body"].(map[string]any)
	if body["chargeId"] != "ok" {
		t.Errorf("body %v", body)
	}
	out = invoke(t, h, []byte(`{"action":"GetCharge","chargeId":"gone"}`))
	if out["statusCode"] != float64(404) || out["body"].(map[string]any)["reasonCode"] != "ResourceNotFound" {
		t.Errorf("404: %v", out)
	}
	out = invoke(t, h, []byte(`{"chargeId":"ok"}`))
	if out["statusCode"] != float64(400) || !strings.Contains(out["body"].(map[string]any)["message"].(string), "action is required") {
		t.Errorf("no action: %v", out)
	}
}

func restEvent(method, auth, body string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource: "/action", Path: "/action", HTTPMethod: method,
		Headers:        map[string]string{"Authorization": auth, "Content-Type": "application/json"},
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "prod", RequestID: "r1", HTTPMethod: method},
		Body:           body,
	}
}

func httpAPIEvent(routeKey, domain, method, auth, body string, iam bool) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: "/action",
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: domain, RequestID: "r2",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: "/action"},
		},
		Body: body,
	}
	if auth != "" {
		ev.Headers["authorization"] = auth
	}
	if iam {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{AccessKey: "AKIA", AccountID: "123456789012", UserARN: "arn:aws:iam::123456789012:user/ops"},
		}
	}
	return ev
}

func functionURLEvent(method, auth, body string, iam bool) events.APIGatewayV2HTTPRequest {
	return httpAPIEvent("$default", "abcdefg.lambda-url.eu-central-1.on.aws", method, auth, body, iam)
}

func albEvent(method, auth, body string, multi bool) events.ALBTargetGroupRequest {
	ev := events.ALBTargetGroupRequest{
		HTTPMethod: method, Path: "/action",
		RequestContext:  events.ALBTargetGroupRequestContext{ELB: events.ELBContext{TargetGroupArn: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/apay/1"}},
		Body:            base64.StdEncoding.EncodeToString([]byte(body)),
		IsBase64Encoded: true,
	}
	if multi {
		ev.MultiValueHeaders = map[string][]string{"authorization": {auth}}
	} else {
		ev.Headers = map[string]string{"authorization": auth}
	}
	return ev
}

// TestInvoke_HTTPEvents: each HTTP event shape gets Amazon Pay's status and
// body in its own response format, and needs an API key.
func TestInvoke_HTTPEvents(t *testing.T) {
	url, hits := fakeAmazon(t)
	h := newTestHandler(t, url, action.APIKeyAuth("lambda-key"), false)
	tests := []struct {
		name   string
		event  any
		status int
		body   string
	}{
		{"rest api", restEvent("POST", "Bearer lambda-key", getOK), 200, `"chargeId":"ok"`},
		{"rest api refund", restEvent("POST", "Bearer lambda-key", refund), 201, `{"refundId":"R1"}`},
		{"rest api no key", restEvent("POST", "", refund), 401, `"reasonCode":"UnauthorizedAccess"`},
		{"rest api GET", restEvent("GET", "Bearer lambda-key", ""), 405, `"reasonCode":"UnsupportedOperation"`},
		{"http api", httpAPIEvent("POST /action", "api.example.com", "POST", "Bearer lambda-key", getOK, false), 200, `"chargeId":"ok"`},
		{"http api 404", httpAPIEvent("POST /action", "api.example.com", "POST", "Bearer lambda-key", `{"action":"GetCharge","chargeId":"x"}`, false), 404, `"requestId":"req-lambda-1"`},
		{"http api wrong key", httpAPIEvent("POST /action", "api.example.com", "POST", "Bearer other", refund, false), 401, `UnauthorizedAccess`},
		{"function url", functionURLEvent("POST", "Bearer lambda-key", getOK, false), 200, `"chargeId":"ok"`},
		{"function url iam without iam mode", functionURLEvent("POST", "", refund, true), 401, `UnauthorizedAccess`},
		{"function url bad json", functionURLEvent("POST", "Bearer lambda-key", "{\n\"action\":\"GetCharge\",\n\"chargeId\":\"ok\" // note\n}", false), 400, `line 3, column 17`},
		{"alb", albEvent("POST", "Bearer lambda-key", getOK, false), 200, `"chargeId":"ok"`},
		{"alb multi-value", albEvent("POST", "Bearer lambda-key", refund, true), 201, `{"refundId":"R1"}`},
		{"alb no key", albEvent("POST", "Basic x", refund, false), 401, `UnauthorizedAccess`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hits.Load()
			out := invoke(t, h, tt.event)
			if out["statusCode"] != float64(tt.status) {
				t.Fatalf("statusCode %v, want %d: %v", out["statusCode"], tt.status, out)
			}
			body, _ := out["body"].(string)
			if !strings.Contains(body, tt.body) {
				t.Errorf("body %q does not contain %q", body, tt.body)
			}
			headers, _ := out["headers"].(map[string]any)
			if mv, ok := out["multiValueHeaders"].(map[string]any); ok {
				headers = map[string]any{"Content-Type": mv["Content-Type"].([]any)[0]}
			}
			if headers["Content-Type"] != "application/json" {
				t.Errorf("headers %v", out)
			}
			if tt.status == 401 && hits.Load() != before {
				t.Error("an unauthenticated request reached Amazon Pay")
			}
			if _, isALB := tt.event.(events.ALBTargetGroupRequest); isALB && out["statusDescription"] != fmt.Sprintf("%d %s", tt.status, http.StatusText(tt.status)) {
				t.Errorf("statusDescription %v", out["statusDescription"])
			}
		})
	}
}

func TestInvoke_IAMFunctionURL(t *testing.T) {
	url, hits := fakeAmazon(t)
	h := newTestHandler(t, url, action.Auth{}, true)
	if out := invoke(t, h, functionURLEvent("POST", "", getOK, true)); out["statusCode"] != float64(200) {
		t.Fatalf("IAM-authenticated Function URL: %v", out)
	}
	// The same URL without an IAM authorizer (AuthType NONE) is refused:
	// iam mode trusts AWS's check, not the caller's word.
	before := hits.Load()
	if out := invoke(t, h, functionURLEvent("POST", "", refund, false)); out["statusCode"] != float64(401) {
		t.Fatalf("unauthenticated Function URL: %v", out)
	}
	if hits.Load() != before {
		t.Fatal("an unauthenticated refund reached Amazon Pay")
	}
}

func TestInvoke_BadBase64(t *testing.T) {
	url, _ := fakeAmazon(t)
	h := newTestHandler(t, url, action.APIKeyAuth("k"), false)
	ev := restEvent("POST", "Bearer k", "!!!")
	ev.IsBase64Encoded = true
	if out := invoke(t, h, ev); out["statusCode"] != float64(400) {
		t.Fatalf("%v", out)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		payload string
		want    eventKind
	}{
		{getOK, kindDirect},
		{`{"action":"GetCharge","httpMethod":"POST"}`, kindDirect},
		{`not json`, kindDirect},
		{`{"httpMethod":"POST","body":"{}"}`, kindRESTAPI},
		{`{"version":"2.0","requestContext":{"http":{"method":"POST"}}}`, kindHTTPAPI},
		{`{"httpMethod":"POST","requestContext":{"elb":{"targetGroupArn":"x"}}}`, kindALB},
		{`{"version":"1.0","httpMethod":"POST"}`, kindRESTAPI},
	}
	for _, tt := range tests {
		if got := classify([]byte(tt.payload)); got != tt.want {
			t.Errorf("classify(%s) = %d, want %d", tt.payload, got, tt.want)
		}
	}
}
