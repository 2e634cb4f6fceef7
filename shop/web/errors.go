package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/checkout"
)

// ErrorBody is the JSON form of every error answer:
// {"error": {"code": "invalid", "message": "…"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of [ErrorBody]. RequestID is Amazon Pay's
// x-amz-pay-request-id when Amazon Pay answered.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId,omitempty"`
}

// StatusForCode is the HTTP status of a shop error code.
func StatusForCode(code string) int {
	switch code {
	case shop.EINVALID:
		return http.StatusBadRequest
	case shop.ENOTFOUND:
		return http.StatusNotFound
	case shop.ECONFLICT:
		return http.StatusConflict
	case shop.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case shop.EFORBIDDEN:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// ErrorInfo is the one mapping from an error to what a client sees: the
// HTTP status, a machine-readable code and a message that is safe to show.
//
//   - *shop.Error: its code (invalid 400, not_found 404, conflict 409,
//     unauthorized 401, forbidden 403) and message;
//   - *checkout.PaymentError: Amazon Pay's reasonCode, 503 when trying
//     again may work (code amazon_unavailable when there is no reasonCode),
//     422 otherwise, and the service's message for the buyer;
//   - a body over the size limit: 413;
//   - anything else: 500 "internal" with a generic message (the real one
//     is only logged).
func ErrorInfo(err error) (status int, detail ErrorDetail) {
	var se *shop.Error
	var pe *checkout.PaymentError
	var mb *http.MaxBytesError
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status, ErrorDetail{Code: he.code, Message: he.message}
	case errors.As(err, &pe):
		d := ErrorDetail{Code: pe.ReasonCode, Message: pe.Message, RequestID: pe.RequestID}
		status = http.StatusUnprocessableEntity
		if pe.Retryable {
			status = http.StatusServiceUnavailable
		}
		if d.Code == "" {
			d.Code = "amazon_unavailable"
		}
		return status, d
	case errors.As(err, &se):
		return StatusForCode(se.Code), ErrorDetail{Code: se.Code, Message: se.Message}
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge, ErrorDetail{Code: shop.EINVALID, Message: "The request is too large."}
	}
	return http.StatusInternalServerError, ErrorDetail{Code: shop.EINTERNAL, Message: "Internal error."}
}

// httpError is an answer with a status of its own (the result page's
// outcomes), shaped like any other error.
type httpError struct {
	status        int
	code, message string
}

func (e *httpError) Error() string { return e.message }

// linkError carries where the error page should lead next.
type linkError struct {
	error
	href, text string
}

func (e *linkError) Unwrap() error { return e.error }

// withLink makes the HTML error page offer href (labelled text).
func withLink(err error, href, text string) error {
	if err == nil {
		return nil
	}
	return &linkError{error: err, href: href, text: text}
}

// wantsJSON reports whether the client asked for JSON rather than HTML.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if strings.Contains(accept, "text/html") {
		return false
	}
	return strings.Contains(accept, "application/json") || strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
}

// Error answers err as JSON or as the HTML error page, with the status,
// code and message of [ErrorInfo]. Internal errors are logged with the
// request path; their text never reaches the client.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, err error) {
	status, d := ErrorInfo(err)
	if status >= 500 && d.Code == shop.EINTERNAL {
		h.log.Error("web: internal error", "method", r.Method, "path", r.URL.Path, "error", err)
	} else if status >= 500 {
		h.log.Warn("web: upstream error", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	if wantsJSON(r) {
		writeJSON(w, status, ErrorBody{Error: d})
		return
	}
	data := errorPage{Status: status, Detail: d, Href: "/", LinkText: "Back to the shop"}
	var le *linkError
	if errors.As(err, &le) {
		data.Href, data.LinkText = le.href, le.text
	}
	h.render(w, r, status, "error", "Something went wrong", data)
}

// errorPage is the error template's data.
type errorPage struct {
	Status         int
	Detail         ErrorDetail
	Href, LinkText string
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
