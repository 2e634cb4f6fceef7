package amazonpay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// ReasonCode is the machine-readable reason Amazon Pay gives, both in error
// bodies ({"reasonCode": …}) and in statusDetails of objects. It is an open
// set: new codes decode fine and compare unequal to every constant below.
type ReasonCode string

// Reason codes of error responses (api-objects.md §11) and of statusDetails.
const (
	ReasonInvalidHeaderValue                ReasonCode = "InvalidHeaderValue"
	ReasonInvalidRequest                    ReasonCode = "InvalidRequest"
	ReasonInvalidParameterValue             ReasonCode = "InvalidParameterValue"
	ReasonInvalidRequestFormat              ReasonCode = "InvalidRequestFormat"
	ReasonMissingHeader                     ReasonCode = "MissingHeader"
	ReasonMissingHeaderValue                ReasonCode = "MissingHeaderValue"
	ReasonMissingParameterValue             ReasonCode = "MissingParameterValue"
	ReasonUnrecognizedField                 ReasonCode = "UnrecognizedField"
	ReasonInvalidSandboxSimulationSpecified ReasonCode = "InvalidSandboxSimulationSpecified"
	ReasonDuplicateIdempotencyKey           ReasonCode = "DuplicateIdempotencyKey"
	ReasonInvalidParameterCombination       ReasonCode = "InvalidParameterCombination"
	ReasonCurrencyMismatch                  ReasonCode = "CurrencyMismatch"
	ReasonInvalidAPIVersion                 ReasonCode = "InvalidAPIVersion"
	ReasonTransactionAmountExceeded         ReasonCode = "TransactionAmountExceeded"
	ReasonPeriodicAmountExceeded            ReasonCode = "PeriodicAmountExceeded"
	ReasonUnauthorizedAccess                ReasonCode = "UnauthorizedAccess"
	ReasonInvalidAuthentication             ReasonCode = "InvalidAuthentication"
	ReasonInvalidAccountStatus              ReasonCode = "InvalidAccountStatus"
	ReasonInvalidRequestSignature           ReasonCode = "InvalidRequestSignature"
	ReasonInvalidAuthorizationToken         ReasonCode = "InvalidAuthorizationToken"
	ReasonResourceNotFound                  ReasonCode = "ResourceNotFound"
	ReasonUnsupportedOperation              ReasonCode = "UnsupportedOperation"
	ReasonRequestNotSupported               ReasonCode = "RequestNotSupported"
	ReasonRequestTimeout                    ReasonCode = "RequestTimeout"
	ReasonAmountMismatch                    ReasonCode = "AmountMismatch"
	ReasonInvalidCheckoutSessionStatus      ReasonCode = "InvalidCheckoutSessionStatus"
	ReasonCheckoutSessionCanceled           ReasonCode = "CheckoutSessionCanceled"
	ReasonInvalidChargePermissionStatus     ReasonCode = "InvalidChargePermissionStatus"
	ReasonChargePermissionNotModifiable     ReasonCode = "ChargePermissionNotModifiable"
	ReasonInvalidChargeStatus               ReasonCode = "InvalidChargeStatus"
	ReasonTransactionCountExceeded          ReasonCode = "TransactionCountExceeded"
	ReasonAmazonRejected                    ReasonCode = "AmazonRejected"
	ReasonSoftDeclined                      ReasonCode = "SoftDeclined"
	ReasonHardDeclined                      ReasonCode = "HardDeclined"
	ReasonPaymentMethodNotAllowed           ReasonCode = "PaymentMethodNotAllowed"
	ReasonMFANotCompleted                   ReasonCode = "MFANotCompleted"
	ReasonTransactionTimedOut               ReasonCode = "TransactionTimedOut"
	ReasonTLSVersionNotSupported            ReasonCode = "TLSVersionNotSupported"
	ReasonTooManyRequests                   ReasonCode = "TooManyRequests"
	ReasonInternalServerError               ReasonCode = "InternalServerError"
	ReasonProcessingFailure                 ReasonCode = "ProcessingFailure"
	ReasonServiceUnavailable                ReasonCode = "ServiceUnavailable"

	// Reason codes that appear in statusDetails rather than error bodies.
	ReasonBuyerCanceled            ReasonCode = "BuyerCanceled"
	ReasonExpired                  ReasonCode = "Expired"
	ReasonAmazonCanceled           ReasonCode = "AmazonCanceled"
	ReasonDeclined                 ReasonCode = "Declined"
	ReasonExpiredUnused            ReasonCode = "ExpiredUnused"
	ReasonMerchantCanceled         ReasonCode = "MerchantCanceled"
	ReasonChargePermissionCanceled ReasonCode = "ChargePermissionCanceled"
	ReasonMerchantClosed           ReasonCode = "MerchantClosed"
	ReasonBuyerClosed              ReasonCode = "BuyerClosed"
	ReasonAmazonClosed             ReasonCode = "AmazonClosed"
	ReasonPaymentMethodInvalid     ReasonCode = "PaymentMethodInvalid"
	ReasonPaymentMethodDeleted     ReasonCode = "PaymentMethodDeleted"
	ReasonBillingAddressDeleted    ReasonCode = "BillingAddressDeleted"
	ReasonPaymentMethodExpired     ReasonCode = "PaymentMethodExpired"
	ReasonPaymentMethodNotSet      ReasonCode = "PaymentMethodNotSet"
	ReasonChargeInProgress         ReasonCode = "ChargeInProgress"
	ReasonMFAFailed                ReasonCode = "MFAFailed"
)

// maxErrorBody is how much of an error response is read: enough for any
// Amazon Pay error, small enough that a misbehaving proxy cannot make the
// client buffer without bound.
const maxErrorBody = 1 << 20

// APIError is the one error type for an HTTP response with status 400 or
// above. Compare it with errors.Is against the Err… sentinels, or read
// ReasonCode directly; errors.As gives the details:
//
//	var apiErr *amazonpay.APIError
//	if errors.As(err, &apiErr) { log.Print(apiErr.RequestID) }
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// ReasonCode is the body's reasonCode, empty when the body had none
	// (for example a proxy's HTML error page).
	ReasonCode ReasonCode
	// Message is the body's message, or a short excerpt of a non-JSON body.
	Message string
	// RequestID is the x-amz-pay-request-id response header; quote it to
	// Amazon Pay support.
	RequestID string
	// Response is the HTTP response; its body has been read and closed.
	Response *http.Response
}

// Error renders the status, reason and message, never a request header.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("amazonpay: ")
	fmt.Fprintf(&b, "%d", e.StatusCode)
	if e.ReasonCode != "" {
		b.WriteString(" ")
		b.WriteString(string(e.ReasonCode))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and the other sentinels work. A
// sentinel matches by reason code; when the body carried no reason code, the
// sentinels tied to an HTTP status (ErrNotFound, ErrTooManyRequests, …)
// match by status instead.
func (e *APIError) Is(target error) bool {
	s, ok := target.(*sentinel)
	if !ok {
		return false
	}
	if e.ReasonCode != "" {
		return e.ReasonCode == s.code
	}
	return s.status != 0 && e.StatusCode == s.status
}

// Retryable reports whether the status is one the client retries: 408, 425,
// 429, 500, 502, 503 and 504.
func (e *APIError) Retryable() bool { return retryableStatus(e.StatusCode) }

// Declined reports whether the error is a payment decline (the buyer's
// payment method was refused), as opposed to a request or state problem.
func (e *APIError) Declined() bool {
	switch e.ReasonCode {
	case ReasonSoftDeclined, ReasonHardDeclined, ReasonAmazonRejected, ReasonPaymentMethodNotAllowed,
		ReasonMFANotCompleted, ReasonTransactionTimedOut:
		return true
	}
	return false
}

// sentinel is the type of the Err… values: comparable by identity and
// matched by APIError.Is.
type sentinel struct {
	code   ReasonCode
	status int
}

func (s *sentinel) Error() string { return "amazonpay: " + string(s.code) }

// Sentinels for the reason codes callers most often branch on. Use
// errors.Is(err, amazonpay.ErrNotFound).
var (
	ErrNotFound                      error = &sentinel{ReasonResourceNotFound, http.StatusNotFound}
	ErrInvalidSignature              error = &sentinel{ReasonInvalidRequestSignature, 0}
	ErrUnauthorized                  error = &sentinel{ReasonUnauthorizedAccess, http.StatusUnauthorized}
	ErrTooManyRequests               error = &sentinel{ReasonTooManyRequests, http.StatusTooManyRequests}
	ErrServiceUnavailable            error = &sentinel{ReasonServiceUnavailable, http.StatusServiceUnavailable}
	ErrInvalidParameterValue         error = &sentinel{ReasonInvalidParameterValue, 0}
	ErrInvalidHeaderValue            error = &sentinel{ReasonInvalidHeaderValue, 0}
	ErrDuplicateIdempotencyKey       error = &sentinel{ReasonDuplicateIdempotencyKey, 0}
	ErrCurrencyMismatch              error = &sentinel{ReasonCurrencyMismatch, 0}
	ErrTransactionAmountExceeded     error = &sentinel{ReasonTransactionAmountExceeded, 0}
	ErrTransactionCountExceeded      error = &sentinel{ReasonTransactionCountExceeded, 0}
	ErrPeriodicAmountExceeded        error = &sentinel{ReasonPeriodicAmountExceeded, 0}
	ErrInvalidChargeStatus           error = &sentinel{ReasonInvalidChargeStatus, 0}
	ErrInvalidChargePermissionStatus error = &sentinel{ReasonInvalidChargePermissionStatus, 0}
	ErrChargePermissionNotModifiable error = &sentinel{ReasonChargePermissionNotModifiable, 0}
	ErrInvalidCheckoutSessionStatus  error = &sentinel{ReasonInvalidCheckoutSessionStatus, 0}
	ErrCheckoutSessionCanceled       error = &sentinel{ReasonCheckoutSessionCanceled, 0}
	ErrAmountMismatch                error = &sentinel{ReasonAmountMismatch, http.StatusConflict}
	ErrSoftDeclined                  error = &sentinel{ReasonSoftDeclined, 0}
	ErrHardDeclined                  error = &sentinel{ReasonHardDeclined, 0}
	ErrAmazonRejected                error = &sentinel{ReasonAmazonRejected, 0}
	ErrPaymentMethodNotAllowed       error = &sentinel{ReasonPaymentMethodNotAllowed, 0}
	ErrMFANotCompleted               error = &sentinel{ReasonMFANotCompleted, 0}
	ErrTransactionTimedOut           error = &sentinel{ReasonTransactionTimedOut, 0}
	ErrProcessingFailure             error = &sentinel{ReasonProcessingFailure, 0}
	ErrInvalidAccountStatus          error = &sentinel{ReasonInvalidAccountStatus, 0}
	ErrInvalidAuthorizationToken     error = &sentinel{ReasonInvalidAuthorizationToken, 0}
)

// InputError reports bad input found before anything was sent: an empty or
// unsafe id, a malformed amount, an unknown currency, a bad idempotency key,
// or a bad client option. Field names the offending field.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string {
	return "amazonpay: invalid " + e.Field + ": " + e.Reason
}

// RequestError reports a call that ended without an HTTP response: every
// attempt failed in transport, or the context ended first. It keeps the
// idempotency key sent, so the caller can retry the same logical POST later
// without charging twice. errors.Is(err, context.Canceled) and
// errors.Is(err, context.DeadlineExceeded) see through it.
type RequestError struct {
	// Operation is the API operation name, for example "CaptureCharge".
	Operation string
	// IdempotencyKey is the key every attempt carried (empty for calls
	// without one).
	IdempotencyKey string
	// Attempts is how many requests were sent.
	Attempts int
	// Err is the context's error when it ended, else the last transport
	// error.
	Err error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("amazonpay: %s failed after %d attempt(s): %v", e.Operation, e.Attempts, e.Err)
}

// Unwrap returns the underlying cause.
func (e *RequestError) Unwrap() error { return e.Err }

// newAPIError reads at most maxErrorBody bytes of an error response and
// builds the APIError. The body is closed and replaced by the bytes read.
func newAPIError(resp *http.Response) *APIError {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	e := &APIError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get(signing.HeaderRequestID), Response: resp}
	var body struct {
		ReasonCode string `json:"reasonCode"`
		Message    string `json:"message"`
	}
	if json.Unmarshal(data, &body) == nil && (body.ReasonCode != "" || body.Message != "") {
		e.ReasonCode = ReasonCode(body.ReasonCode)
		e.Message = body.Message
		return e
	}
	e.Message = excerpt(data)
	return e
}

// excerpt keeps a short, printable prefix of a non-JSON error body.
func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if !utf8.ValidString(s) {
		return ""
	}
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, 200)
}

func asInputError(err error, target **InputError) bool { return errors.As(err, target) }
