package restapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/apaykit/apaykit/shop/payments"
)

// errorBody is every error answer: WooCommerce's shape, with the status
// that goes with the code.
type errorBody struct {
	Code    string    `json:"code"`
	Message string    `json:"message"`
	Data    errorData `json:"data"`
}

type errorData struct {
	Status int `json:"status"`
	// Retryable: the same request (same Idempotency-Key) may succeed later.
	Retryable bool `json:"retryable,omitempty"`
	// AmazonRequestID is Amazon Pay's request id when it answered.
	AmazonRequestID string `json:"amazon_request_id,omitempty"`
}

// encode renders v as the API writes JSON: no HTML escaping (URLs and
// messages stay readable), one trailing newline.
func encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`{"code":"internal_error","message":"Internal error.","data":{"status":500}}` + "\n")
	}
	return buf.Bytes()
}

// writeJSON writes a JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, encode(v))
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errorAnswer renders any error as status and body. Internal errors never
// show their text.
func errorAnswer(err error) (int, []byte, *payments.Error) {
	e := payments.AsError(err)
	body := errorBody{Code: e.Code, Message: e.Message, Data: errorData{Status: e.Status, Retryable: e.Retryable, AmazonRequestID: e.RequestID}}
	return e.Status, encode(body), e
}

// writeError writes an error answer, with Retry-After when the error says
// how long to wait.
func writeError(w http.ResponseWriter, err error) {
	status, body, e := errorAnswer(err)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(e.RetryAfter.Seconds()))))
	}
	writeBody(w, status, body)
}

// badRequest is a 400 with one of Amazon Pay's request codes.
func badRequest(code, format string) *payments.Error {
	return &payments.Error{Status: http.StatusBadRequest, Code: code, Message: format}
}
