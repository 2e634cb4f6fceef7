package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
)

// Result is the outcome of one action: Amazon Pay's status and response
// body, or an error body {"reasonCode", "message", "requestId"} with the
// status that fits it. Body is always one JSON object.
type Result struct {
	// Action is the API name of the action run, "" when the document named
	// none that exists.
	Action string
	// Status is the HTTP status: Amazon Pay's own when it answered.
	Status int
	// Body is the JSON object to hand back to the caller.
	Body json.RawMessage
	// RequestID is Amazon Pay's x-amz-pay-request-id, "" when nothing was
	// sent.
	RequestID string
	// ReasonCode is the error's reasonCode, "" on success.
	ReasonCode string
}

// OK reports whether the action succeeded (a 2xx or 3xx status).
func (r *Result) OK() bool { return r.Status < 400 }

// Runner runs action documents through one SDK client. It is safe for
// concurrent use.
type Runner struct {
	client     *amazonpay.Client
	logger     *slog.Logger
	storeID    string
	merchantID string
}

// Option configures a Runner.
type Option func(*Runner)

// WithLogger sets where the one line per action goes (action, status,
// reasonCode, requestId, duration). The default discards it.
func WithLogger(l *slog.Logger) Option {
	return func(r *Runner) {
		if l != nil {
			r.logger = l
		}
	}
}

// WithStoreID sets the storeId CreateCheckoutSession uses when the
// document has none, as v2handlerjs took it from its environment
// (APAY_STORE_ID here).
func WithStoreID(id string) Option { return func(r *Runner) { r.storeID = id } }

// WithMerchantID sets the merchantId GetAuthorizationToken uses when the
// document has none (APAY_MERCHANT_ID).
func WithMerchantID(id string) Option { return func(r *Runner) { r.merchantID = id } }

// NewRunner returns a Runner that calls Amazon Pay through client.
func NewRunner(client *amazonpay.Client, opts ...Option) *Runner {
	r := &Runner{client: client, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if opt != nil {
			opt(r)
		}
	}
	return r
}

// Run decodes one document, checks it, calls Amazon Pay and logs one line.
// It never returns nil.
func (r *Runner) Run(ctx context.Context, document []byte) *Result {
	start := time.Now()
	res := r.run(ctx, document)
	r.log(ctx, res, time.Since(start))
	return res
}

func (r *Runner) run(ctx context.Context, document []byte) *Result {
	doc, err := Decode(document)
	if err != nil {
		return errorResult("", err)
	}
	c, err := r.prepare(doc)
	if err != nil {
		return errorResult(doc.Action, err)
	}
	v, resp, err := table[doc.Action].run(ctx, r.client, c)
	return resultOf(ctx, doc.Action, v, resp, err)
}

// prepare applies the defaults, takes the path ids out of the document and
// checks the required fields and every amount, so nothing half-checked is
// sent.
func (r *Runner) prepare(doc *Document) (*call, error) {
	r.applyDefaults(doc)
	op, _ := operation(doc.Action)
	c := &call{doc: doc}
	for _, name := range op.PathParams() {
		if err := doc.checkRequired(field{name, kindID}); err != nil {
			return nil, err
		}
		var id string
		_ = json.Unmarshal(doc.fields[name], &id)
		delete(doc.fields, name)
		c.ids = append(c.ids, id)
	}
	for _, f := range table[doc.Action].required {
		if err := doc.checkRequired(f); err != nil {
			return nil, err
		}
	}
	if err := doc.checkPrices(); err != nil {
		return nil, err
	}
	if doc.IdempotencyKey != "" {
		c.opts = append(c.opts, amazonpay.WithIdempotencyKey(doc.IdempotencyKey))
	}
	if doc.SimulationCode != "" {
		c.opts = append(c.opts, amazonpay.WithSimulationCode(doc.SimulationCode))
	}
	if doc.authToken != "" {
		c.opts = append(c.opts, amazonpay.WithHeader("x-amz-pay-authtoken", doc.authToken))
	}
	return c, nil
}

// applyDefaults fills storeId and merchantId from the runner's
// configuration when the document leaves them out.
func (r *Runner) applyDefaults(doc *Document) {
	setDefault := func(name, value string) {
		if raw, ok := doc.fields[name]; value != "" && (!ok || isNull(raw)) {
			b, _ := json.Marshal(value)
			doc.fields[name] = b
		}
	}
	switch doc.Action {
	case "CreateCheckoutSession":
		setDefault("storeId", r.storeID)
	case "GetAuthorizationToken":
		setDefault("merchantId", r.merchantID)
	}
}

// operations indexes the SDK's operation list by name; it is built once
// and only read.
var operations = func() map[string]amazonpay.Operation {
	m := map[string]amazonpay.Operation{}
	for _, op := range amazonpay.Operations() {
		m[op.Name] = op
	}
	return m
}()

// operation finds the SDK's description of an action.
func operation(name string) (amazonpay.Operation, bool) {
	op, ok := operations[name]
	return op, ok
}

// resultOf turns the SDK's answer into a Result: the raw body and status on
// success, the error shape otherwise.
func resultOf(ctx context.Context, action string, v any, resp *amazonpay.Response, err error) *Result {
	if err == nil || (resp != nil && resp.StatusCode < 400 && !isAPIError(err)) {
		// Success; a body the SDK could not decode into its types is
		// still Amazon Pay's answer and goes back as it came.
		return successResult(action, v, resp)
	}
	return errorResult(action, sdkError(ctx, err))
}

func isAPIError(err error) bool {
	var apiErr *amazonpay.APIError
	return errors.As(err, &apiErr)
}

// successResult copies Amazon Pay's body. When there is none (an empty
// 200, Claim Merchant Account's 303) the SDK's typed result stands in, so
// the caller always gets a JSON object (with "location" for a redirect).
func successResult(action string, v any, resp *amazonpay.Response) *Result {
	res := &Result{Action: action, Status: http.StatusOK, Body: json.RawMessage("{}")}
	if resp == nil {
		return res
	}
	res.Status = resp.StatusCode
	res.RequestID = resp.RequestID
	if resp.Body != nil {
		b, err := io.ReadAll(resp.Body)
		if err == nil && len(bytes.TrimSpace(b)) > 0 && json.Valid(b) {
			res.Body = b
			return res
		}
	}
	if v != nil {
		if b, err := json.Marshal(v); err == nil && len(b) > 0 && b[0] == '{' {
			res.Body = b
		}
	}
	return res
}

// Reject answers a request that never became an action (no API key, wrong
// method) with e, logging it like an action so refusals show up in the
// same log stream.
func (r *Runner) Reject(ctx context.Context, e *Error) *Result {
	res := errorResult("", e)
	r.log(ctx, res, 0)
	return res
}

// ErrorResult renders an error, such as one from Decode, as the Result a
// caller would have received for it.
func ErrorResult(err error) *Result { return errorResult("", err) }

// errorResult renders any error as the error shape.
func errorResult(action string, err error) *Result {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, ReasonCode: ReasonInternalServerError, Message: err.Error()}
	}
	return &Result{Action: action, Status: e.Status, Body: e.body(), RequestID: e.RequestID, ReasonCode: e.ReasonCode}
}

// sdkError maps the SDK's error types onto statuses that say what happened:
// Amazon Pay's own status for API errors, 400 for input the SDK refused,
// 504 when the deadline ended first and 502 when Amazon Pay could not be
// reached. Nothing becomes a blanket 500.
func sdkError(ctx context.Context, err error) *Error {
	var apiErr *amazonpay.APIError
	var inErr *amazonpay.InputError
	var reqErr *amazonpay.RequestError
	switch {
	case errors.As(err, &apiErr):
		reason := string(apiErr.ReasonCode)
		if reason == "" {
			reason = reasonForStatus(apiErr.StatusCode)
		}
		msg := apiErr.Message
		if msg == "" {
			msg = http.StatusText(apiErr.StatusCode)
		}
		return &Error{Status: apiErr.StatusCode, ReasonCode: reason, Message: msg, RequestID: apiErr.RequestID}
	case errors.As(err, &inErr):
		reason := ReasonInvalidParameterValue
		if strings.HasPrefix(inErr.Reason, "is required") || inErr.Reason == "is empty" {
			reason = ReasonMissingParameterValue
		}
		return badRequest(reason, "%s %s", inErr.Field, inErr.Reason)
	case errors.As(err, &reqErr):
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return &Error{Status: http.StatusGatewayTimeout, ReasonCode: ReasonRequestTimeout,
				Message: fmt.Sprintf("%s: the deadline ended before Amazon Pay answered (%d attempt(s)); retry with idempotencyKey %q so it cannot happen twice", reqErr.Operation, reqErr.Attempts, reqErr.IdempotencyKey)}
		}
		return &Error{Status: http.StatusBadGateway, ReasonCode: ReasonServiceUnavailable,
			Message: fmt.Sprintf("%s: Amazon Pay could not be reached after %d attempt(s); retry with idempotencyKey %q so it cannot happen twice", reqErr.Operation, reqErr.Attempts, reqErr.IdempotencyKey)}
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, ReasonCode: ReasonInternalServerError, Message: err.Error()}
}

// reasonForStatus names an error whose body had no reasonCode (a proxy's
// page, an empty body) after its status.
func reasonForStatus(status int) string {
	switch {
	case status == http.StatusNotFound:
		return "ResourceNotFound"
	case status == http.StatusTooManyRequests:
		return "TooManyRequests"
	case status == http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case status >= 500:
		return ReasonInternalServerError
	case status == http.StatusUnauthorized:
		return ReasonUnauthorized
	}
	return "InvalidRequest"
}

// log writes the one line per action. It carries no document field: no
// keys, tokens, amounts or buyer details.
func (r *Runner) log(ctx context.Context, res *Result, d time.Duration) {
	level := slog.LevelInfo
	switch {
	case res.Status >= 500:
		level = slog.LevelError
	case res.Status >= 400:
		level = slog.LevelWarn
	}
	r.logger.LogAttrs(ctx, level, "action",
		slog.String("action", res.Action),
		slog.Int("status", res.Status),
		slog.String("reasonCode", res.ReasonCode),
		slog.String("requestId", res.RequestID),
		slog.Duration("duration", d))
}
