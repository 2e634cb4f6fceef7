// Package emulator is a stateful, signature-checking local Amazon Pay API v2.
//
// It answers the same signed requests as pay-api.amazon.com under /v2/…,
// /sandbox/v2/… and /live/v2/…, keeps checkout sessions, charge permissions,
// charges, refunds and the secondary resources in memory (or in SQLite with
// Options.StatePath), runs their state machines on one movable clock, and
// offers an unsigned control API under /_emulator/ for what a buyer or time
// would do. docs/emulator.md describes the behaviour and its limits.
//
// # How to add a resource (for the engineers adding secondary resources)
//
// Everything an API resource needs lives in one file named after it
// (delivery_tracker.go, report.go, dispute.go, …). Five steps.
//
// Step 1, objects: define the stored object as a struct with exported fields
// and json tags (the state is persisted as JSON) and embed Owner, so lookups
// are scoped to the calling merchant and environment:
//
//	type Dispute struct {
//		Owner
//		DisputeID string    `json:"disputeId"`
//		State     string    `json:"state"`
//		Created   time.Time `json:"created"`
//	}
//
// Step 2, state: add one map field to the state struct in state.go, with a
// json tag, and make it in newState (the only edits there):
//
//	Disputes map[string]*Dispute `json:"disputes"`
//
// Step 3, routes: add one line per operation to the table in routes.go. The
// operation name, method and path must be those of amazonpay.Operations()
// (TestRoutesMatchOperations checks it):
//
//	{Op: "GetDispute", Method: "GET", Path: "/v2/disputes/{disputeId}", Handle: (*Server).getDispute},
//
// Two operations may share a method and path (RegisterAmazonPayAccount and
// CreateMerchantAccount): give every one but the last of them a Match func
// that looks at the request (r.Body is there) and says whether it is this
// operation.
//
// Step 4, handlers: a handler is a method func (s *Server) xxx(r *request)
// response. It runs with the state lock held and due timers already applied,
// so it may read and write s.st freely; it must not block. The tools:
//
//	r.PathValue("disputeId")          path parameter
//	r.Query                           query (url.Values)
//	r.decode(&in)                     strict JSON decoding; malformed JSON, unknown
//	                                  fields and wrong types come back as Amazon's
//	                                  400 errors: return fail(err)
//	r.Now, r.Owner                    emulator clock; merchant + environment
//	find(s.st.Disputes, "Dispute", id, r)
//	                                  scoped lookup, 404 ResourceNotFound
//	newUUID(), newOrderRef(env, rec)  ids in Amazon's shapes
//	in.Amount.parse("disputeAmount")  request Price → money (minor units) with
//	                                  Amazon's amount and currency errors
//	priceOf(minor, ccy), pricePtr(&m) response Price ("14.00", "100000")
//	wireTime(t), strp(s)              timestamp / string, null when unset
//	ok(201, wire), fail(errorf(422, code, "…%s", x))
//
// Validate everything before changing anything: a rejected request must
// leave the state as it was. Answer with a struct whose fields have no
// omitempty (Amazon sends every key, null when unset) and timestamps
// formatted by wireTime (yyyyMMddTHHmmssZ).
//
// Step 5, time: if an object changes on its own later (a report becomes
// DONE, a dispute deadline passes), call s.schedule(at, kind, id) and add a
// case for kind to settleTimer (and rebuildTimers) in timers.go; timers fire
// on the emulator clock, also when /_emulator/clock moves it, under the
// state lock. Queue notifications (IPN) with s.notify(…) (notify.go).
//
// Signature checks, environment, throttling, faults, idempotency, request
// ids, body caps, panic recovery and the Amazon error shape are done once by
// the pipeline in server.go; a handler never deals with them. Reason codes are
// constants in errors.go.
package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// request is what a handler sees: the verified, decoded-enough API call.
type request struct {
	// Op is the operation name from the route table (amazonpay.Operations()).
	Op string
	// Owner is the calling merchant and the environment of the call.
	Owner Owner
	// Now is the emulator clock when the request entered the state lock.
	Now time.Time
	// Body is the raw request body (already size-capped).
	Body []byte
	// Query is the parsed query string.
	Query url.Values
	// Header is the request's headers.
	Header http.Header
	// SimulationCode is the x-amz-pay-simulation-code header (sandbox only;
	// the pipeline rejects it in live).
	SimulationCode string
	// IdempotencyKey is the x-amz-pay-idempotency-key header, if any.
	IdempotencyKey string
	// BaseURL is scheme://host of the emulator as the caller reached it, used
	// to build redirect URLs that point back at the emulator.
	BaseURL string

	http *http.Request // the routed request, for PathValue

	// changed is set by handlers that commit state but answer with an error
	// (a decline that turns a charge permission NonChargeable), so that the
	// idempotency record is kept for them too.
	changed bool
}

// PathValue returns a path parameter of the route pattern.
func (r *request) PathValue(name string) string { return r.http.PathValue(name) }

// decode strictly decodes the JSON body into v. An empty body decodes as {}.
// See decode.go for the rules.
func (r *request) decode(v any) *apiError { return decodeStrict(r.Body, v) }

// response is what a handler returns; one adapter (writeResponse) turns it
// into bytes, so every answer has the same headers and error shape.
type response struct {
	status int
	// body is marshalled as JSON; a []byte is written as is; nil writes no body.
	body   any
	header http.Header
}

// ok builds a success response.
func ok(status int, body any) response { return response{status: status, body: body} }

// fail turns an *apiError into its Amazon-shaped response.
func fail(err *apiError) response {
	return response{status: err.Status, body: errorBody{ReasonCode: err.ReasonCode, Message: err.Message}}
}

// errorBody is Amazon's error document.
type errorBody struct {
	ReasonCode string `json:"reasonCode"`
	Message    string `json:"message"`
}

// handlerFunc is the signature of every API operation handler.
type handlerFunc func(s *Server, r *request) response

// route is one line of the route table.
type route struct {
	// Op is the operation name, exactly as in amazonpay.Operations().
	Op string
	// Method and Path are the ServeMux method and pattern under /v2, without
	// the /live or /sandbox prefix and without a trailing slash.
	Method, Path string
	// Handle runs the operation.
	Handle handlerFunc
	// Match, when set, decides whether a request sharing Method and Path with
	// other routes is this operation (it sees the raw request; the body is
	// available). The last route of such a group needs no Match.
	Match func(r *request) bool
}

// marshalBody renders a response body to bytes.
func marshalBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case []byte:
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
