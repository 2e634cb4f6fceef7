package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Shop error codes, for failures that are not Amazon Pay's. Amazon Pay's
// own reason codes are CamelCase (TransactionAmountExceeded); these are
// snake_case, so a client can tell "Amazon Pay's rule" from "the shop's".
const (
	// CodeOrderNotFound: no order with that id (404).
	CodeOrderNotFound = "order_not_found"
	// CodeInvalidRequest: the request is malformed in a way Amazon Pay has
	// no code for (400).
	CodeInvalidRequest = "invalid_request"
	// CodeOperationInProgress: another payment operation on the order is
	// still pending; retry when it has finished (409).
	CodeOperationInProgress = "operation_in_progress"
	// CodeConflict: the order changed underneath the request (409).
	CodeConflict = "conflict"
	// CodeAmazonUnavailable: Amazon Pay could not be reached or gave no
	// usable answer; the operation is recorded as pending and a retry with
	// the same idempotency key resumes it (503).
	CodeAmazonUnavailable = "amazon_unavailable"
	// CodeInternal: a bug or an unavailable database; details are logged,
	// never returned (500).
	CodeInternal = "internal_error"
)

// Error is a failed payment operation, shaped for an API answer: Code is
// Amazon Pay's reasonCode (when Amazon Pay refused, or when the shop
// refused on one of Amazon Pay's rules before calling) or one of the Code…
// constants, Status the HTTP status that goes with it, Message a text safe
// to show (no secrets, no buyer data).
type Error struct {
	Status  int
	Code    string
	Message string
	// RequestID is Amazon Pay's x-amz-pay-request-id when Amazon Pay
	// answered.
	RequestID string
	// Retryable reports that the same request may succeed later (429,
	// 5xx, unreachable, another operation in progress).
	Retryable bool
	// RetryAfter is how long to wait before retrying, when known.
	RetryAfter time.Duration
	// Err is the underlying cause, for logs.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("payments: %d %s: %s: %v", e.Status, e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("payments: %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// amazonError builds an *Error for one of Amazon Pay's reason codes with the
// status Amazon Pay uses for it.
func amazonError(code amazonpay.ReasonCode, format string, args ...any) *Error {
	return &Error{Status: StatusForReason(code), Code: string(code), Message: fmt.Sprintf(format, args...)}
}

// StatusForReason is the HTTP status Amazon Pay answers with a reason code
// (api-objects.md §11.2), used when the shop refuses on Amazon Pay's rules
// or replays a stored refusal. Unknown codes are 422: a well-formed request
// the state does not allow.
func StatusForReason(code amazonpay.ReasonCode) int {
	switch code {
	case amazonpay.ReasonInvalidHeaderValue, amazonpay.ReasonInvalidRequest, amazonpay.ReasonInvalidParameterValue,
		amazonpay.ReasonInvalidRequestFormat, amazonpay.ReasonMissingHeader, amazonpay.ReasonMissingHeaderValue,
		amazonpay.ReasonMissingParameterValue, amazonpay.ReasonUnrecognizedField,
		amazonpay.ReasonInvalidSandboxSimulationSpecified, amazonpay.ReasonDuplicateIdempotencyKey,
		amazonpay.ReasonInvalidParameterCombination, amazonpay.ReasonCurrencyMismatch, amazonpay.ReasonInvalidAPIVersion,
		amazonpay.ReasonTransactionAmountExceeded, amazonpay.ReasonPeriodicAmountExceeded:
		return http.StatusBadRequest
	case amazonpay.ReasonUnauthorizedAccess:
		return http.StatusUnauthorized
	case amazonpay.ReasonInvalidAuthentication, amazonpay.ReasonInvalidAccountStatus,
		amazonpay.ReasonInvalidRequestSignature, amazonpay.ReasonInvalidAuthorizationToken:
		return http.StatusForbidden
	case amazonpay.ReasonResourceNotFound:
		return http.StatusNotFound
	case amazonpay.ReasonUnsupportedOperation, amazonpay.ReasonRequestNotSupported:
		return http.StatusMethodNotAllowed
	case amazonpay.ReasonRequestTimeout:
		return http.StatusRequestTimeout
	case amazonpay.ReasonAmountMismatch:
		return http.StatusConflict
	case amazonpay.ReasonTooManyRequests:
		return http.StatusTooManyRequests
	case amazonpay.ReasonInternalServerError, amazonpay.ReasonProcessingFailure:
		return http.StatusInternalServerError
	case amazonpay.ReasonServiceUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnprocessableEntity
}

// AsError turns any error from this package into an *Error: an *Error is
// returned as is; a [shop.Error] gets the status of its code; a context
// error is a 503 worth retrying; anything else is a 500 whose text is not
// shown.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeAmazonUnavailable, Retryable: true,
			Message: "The request did not finish in time; retry it with the same Idempotency-Key.", Err: err}
	}
	msg := shop.ErrorMessage(err)
	switch shop.ErrorCode(err) {
	case shop.ENOTFOUND:
		return &Error{Status: http.StatusNotFound, Code: CodeOrderNotFound, Message: msg, Err: err}
	case shop.EINVALID:
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: msg, Err: err}
	case shop.ECONFLICT:
		return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: msg, Retryable: true, Err: err}
	case shop.EUNAUTHORIZED:
		return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: msg, Err: err}
	case shop.EFORBIDDEN:
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: msg, Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "Internal error.", Err: err}
}

// fromAmazon converts the error of an Amazon Pay call into an *Error.
// Amazon Pay's refusals keep their reasonCode, status and message; a 5xx
// (after the client's retries) becomes a 503 worth retrying, since the
// operation is pending and a retry resumes it; transport failures likewise.
func fromAmazon(err error) *Error {
	var apiErr *amazonpay.APIError
	if errors.As(err, &apiErr) {
		e := &Error{Status: apiErr.StatusCode, Code: string(apiErr.ReasonCode), Message: apiErr.Message,
			RequestID: apiErr.RequestID, Retryable: apiErr.Retryable(), Err: err}
		if e.Code == "" {
			e.Code = CodeAmazonUnavailable
		}
		if e.Message == "" {
			e.Message = http.StatusText(apiErr.StatusCode)
		}
		if apiErr.StatusCode >= 500 {
			e.Status = http.StatusServiceUnavailable
			e.Message = "Amazon Pay answered " + fmt.Sprint(apiErr.StatusCode) + " (" + e.Message + "); the operation is pending: retry it with the same Idempotency-Key."
		}
		return e
	}
	var inErr *amazonpay.InputError
	if errors.As(err, &inErr) {
		return &Error{Status: http.StatusBadRequest, Code: string(amazonpay.ReasonInvalidParameterValue), Message: inErr.Error(), Err: err}
	}
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeAmazonUnavailable, Retryable: true,
		Message: "Amazon Pay could not be reached; the operation is pending: retry it with the same Idempotency-Key.", Err: err}
}

// busy is the error for a second operation while one is pending.
func busy(o *shop.Order) *Error {
	return &Error{Status: http.StatusConflict, Code: CodeOperationInProgress, Retryable: true, RetryAfter: time.Second,
		Message: fmt.Sprintf("Another payment operation on order %s is in progress; retry when it has finished.", o.Number)}
}
