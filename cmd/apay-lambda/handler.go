package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/apaykit/apaykit/action"
	"github.com/aws/aws-lambda-go/events"
)

// lambdaHandler answers every kind of invocation the action document can
// arrive in. It implements lambda.Handler (raw bytes in and out), so the
// runtime does no reflection and the document reaches the runner as sent.
type lambdaHandler struct {
	runner   *action.Runner
	keys     action.Auth
	trustIAM bool
	logger   *slog.Logger
}

// eventKind is the shape of one invocation's payload.
type eventKind int

const (
	// kindDirect: the payload is the action document (aws lambda invoke,
	// Step Functions, another function). IAM already allowed the caller
	// to invoke the function, so no API key is asked for.
	kindDirect eventKind = iota
	// kindRESTAPI: API Gateway REST API proxy integration (payload 1.0).
	kindRESTAPI
	// kindHTTPAPI: API Gateway HTTP API (payload 2.0) or a Lambda Function
	// URL, which share the format.
	kindHTTPAPI
	// kindALB: an Application Load Balancer target group.
	kindALB
)

// probe reads just enough of a payload to tell the kinds apart. A document
// always has "action"; no HTTP event has it at the top level.
type probe struct {
	Action         json.RawMessage `json:"action"`
	Version        string          `json:"version"`
	HTTPMethod     string          `json:"httpMethod"`
	RequestContext struct {
		ELB  json.RawMessage `json:"elb"`
		HTTP json.RawMessage `json:"http"`
	} `json:"requestContext"`
}

func classify(payload []byte) eventKind {
	var p probe
	if json.Unmarshal(payload, &p) != nil || p.Action != nil {
		return kindDirect
	}
	switch {
	case p.RequestContext.ELB != nil:
		return kindALB
	case p.Version == "2.0" && p.RequestContext.HTTP != nil:
		return kindHTTPAPI
	case p.HTTPMethod != "":
		return kindRESTAPI
	}
	return kindDirect
}

// Invoke runs one invocation. Errors from Amazon Pay or in the document are
// results (with their status), never function errors; a function error
// would make Lambda's callers retry a payment call blindly.
func (h *lambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	switch classify(payload) {
	case kindRESTAPI:
		return h.restAPI(ctx, payload)
	case kindHTTPAPI:
		return h.httpAPI(ctx, payload)
	case kindALB:
		return h.alb(ctx, payload)
	}
	return directResponse(h.runner.Run(ctx, payload)), nil
}

// directResponse is {"statusCode": N, "requestId": "…", "body": {…}}: the
// status a caller of lambda invoke cannot otherwise see, and Amazon Pay's
// body as a JSON object, not a string.
func directResponse(res *action.Result) []byte {
	rid, _ := json.Marshal(res.RequestID)
	out := make([]byte, 0, len(res.Body)+64+len(rid))
	out = append(out, `{"statusCode":`...)
	out = strconv.AppendInt(out, int64(res.Status), 10)
	out = append(out, `,"requestId":`...)
	out = append(out, rid...)
	out = append(out, `,"body":`...)
	out = append(out, res.Body...)
	return append(out, '}')
}

// httpCall is what the three HTTP event shapes have in common.
type httpCall struct {
	method string
	header func(name string) string
	body   string
	base64 bool
	viaIAM bool // AWS authenticated the caller (AWS_IAM authorization)
}

// serve authenticates and runs an HTTP-shaped invocation.
func (h *lambdaHandler) serve(ctx context.Context, c httpCall) (*action.Result, http.Header) {
	hdr := http.Header{}
	if c.method != http.MethodPost {
		hdr.Set("Allow", http.MethodPost)
		return h.runner.Reject(ctx, &action.Error{Status: http.StatusMethodNotAllowed, ReasonCode: action.ReasonUnsupportedOperation,
			Message: "send the action document with POST"}), hdr
	}
	if !(h.trustIAM && c.viaIAM) && !h.keys.Allow(c.header("authorization")) {
		hdr.Set("WWW-Authenticate", `Bearer realm="apay-action"`)
		return h.runner.Reject(ctx, &action.Error{Status: http.StatusUnauthorized, ReasonCode: action.ReasonUnauthorized,
			Message: "a valid API key is required: Authorization: Bearer <key>"}), hdr
	}
	body := []byte(c.body)
	if c.base64 {
		b, err := base64.StdEncoding.DecodeString(c.body)
		if err != nil {
			return h.runner.Reject(ctx, &action.Error{Status: http.StatusBadRequest, ReasonCode: action.ReasonInvalidRequestFormat,
				Message: "the body is marked base64 but does not decode"}), hdr
		}
		body = b
	}
	return h.runner.Run(ctx, body), hdr
}

// responseHeaders are the headers every HTTP-shaped answer carries.
func responseHeaders(res *action.Result, extra http.Header) map[string]string {
	m := map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}
	if res.RequestID != "" {
		m["X-Amz-Pay-Request-Id"] = res.RequestID
	}
	for k, v := range extra {
		m[k] = strings.Join(v, ", ")
	}
	return m
}

// proxyResponse is the response format of REST APIs, HTTP APIs and
// Function URLs.
type proxyResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

func (h *lambdaHandler) restAPI(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	res, hdr := h.serve(ctx, httpCall{method: ev.HTTPMethod, header: lookup(ev.Headers, ev.MultiValueHeaders),
		body: ev.Body, base64: ev.IsBase64Encoded})
	return json.Marshal(proxyResponse{StatusCode: res.Status, Headers: responseHeaders(res, hdr), Body: string(res.Body)})
}

func (h *lambdaHandler) httpAPI(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	viaIAM := ev.RequestContext.Authorizer != nil && ev.RequestContext.Authorizer.IAM != nil
	res, hdr := h.serve(ctx, httpCall{method: ev.RequestContext.HTTP.Method, header: lookup(ev.Headers, nil),
		body: ev.Body, base64: ev.IsBase64Encoded, viaIAM: viaIAM})
	return json.Marshal(proxyResponse{StatusCode: res.Status, Headers: responseHeaders(res, hdr), Body: string(res.Body)})
}

// albResponse is the ALB format; with multi-value headers enabled on the
// target group the answer must use multiValueHeaders instead.
type albResponse struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func (h *lambdaHandler) alb(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.ALBTargetGroupRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	res, hdr := h.serve(ctx, httpCall{method: ev.HTTPMethod, header: lookup(ev.Headers, ev.MultiValueHeaders),
		body: ev.Body, base64: ev.IsBase64Encoded})
	out := albResponse{StatusCode: res.Status, StatusDescription: strconv.Itoa(res.Status) + " " + http.StatusText(res.Status), Body: string(res.Body)}
	headers := responseHeaders(res, hdr)
	if ev.MultiValueHeaders != nil {
		out.MultiValueHeaders = make(map[string][]string, len(headers))
		for k, v := range headers {
			out.MultiValueHeaders[k] = []string{v}
		}
	} else {
		out.Headers = headers
	}
	return json.Marshal(out)
}

// lookup finds a header case-insensitively in an event's single- or
// multi-value header map (API Gateway keeps the client's case).
func lookup(single map[string]string, multi map[string][]string) func(string) string {
	return func(name string) string {
		for k, v := range single {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		for k, v := range multi {
			if strings.EqualFold(k, name) && len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
}
