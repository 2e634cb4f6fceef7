package emulator

import (
	"fmt"
	"net/http"
)

// apiError is an Amazon Pay error: the HTTP status and the body's reasonCode
// and message. Pure transition functions return it; fail turns it into a
// response.
type apiError struct {
	Status     int
	ReasonCode string
	Message    string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.ReasonCode, e.Message)
}

// errorf builds an *apiError with a formatted message.
func errorf(status int, reasonCode, format string, args ...any) *apiError {
	return &apiError{Status: status, ReasonCode: reasonCode, Message: fmt.Sprintf(format, args...)}
}

// Reason codes the emulator answers with (api-objects.md §11.2). Every one is
// exercised by a test (TestReasonCodesCovered lists them).
const (
	codeInvalidHeaderValue            = "InvalidHeaderValue"
	codeInvalidRequest                = "InvalidRequest"
	codeInvalidParameterValue         = "InvalidParameterValue"
	codeInvalidRequestFormat          = "InvalidRequestFormat"
	codeMissingHeader                 = "MissingHeader"
	codeMissingParameterValue         = "MissingParameterValue"
	codeUnrecognizedField             = "UnrecognizedField"
	codeInvalidSandboxSimulation      = "InvalidSandboxSimulationSpecified"
	codeDuplicateIdempotencyKey       = "DuplicateIdempotencyKey"
	codeInvalidParameterCombination   = "InvalidParameterCombination"
	codeCurrencyMismatch              = "CurrencyMismatch"
	codeTransactionAmountExceeded     = "TransactionAmountExceeded"
	codePeriodicAmountExceeded        = "PeriodicAmountExceeded"
	codeUnauthorizedAccess            = "UnauthorizedAccess"
	codeInvalidRequestSignature       = "InvalidRequestSignature"
	codeResourceNotFound              = "ResourceNotFound"
	codeUnsupportedOperation          = "UnsupportedOperation"
	codeAmountMismatch                = "AmountMismatch"
	codeInvalidCheckoutSessionStatus  = "InvalidCheckoutSessionStatus"
	codeCheckoutSessionCanceled       = "CheckoutSessionCanceled"
	codeInvalidChargePermissionStatus = "InvalidChargePermissionStatus"
	codeChargePermissionNotModifiable = "ChargePermissionNotModifiable"
	codeInvalidChargeStatus           = "InvalidChargeStatus"
	codeTransactionCountExceeded      = "TransactionCountExceeded"
	codeAmazonRejected                = "AmazonRejected"
	codeSoftDeclined                  = "SoftDeclined"
	codeHardDeclined                  = "HardDeclined"
	codePaymentMethodNotAllowed       = "PaymentMethodNotAllowed"
	codeMFANotCompleted               = "MFANotCompleted"
	codeTransactionTimedOut           = "TransactionTimedOut"
	codeTooManyRequests               = "TooManyRequests"
	codeInternalServerError           = "InternalServerError"
	codeProcessingFailure             = "ProcessingFailure"
	codeServiceUnavailable            = "ServiceUnavailable"
	codeRequestEntityTooLarge         = "InvalidRequestFormat" // 413 uses the format code: Amazon lists no 413 code
)

// Common errors.
func errNotFound(kind, id string) *apiError {
	return errorf(http.StatusNotFound, codeResourceNotFound, "The %s with id '%s' was not found.", kind, id)
}

func errInvalidValue(field string, value any) *apiError {
	return errorf(http.StatusBadRequest, codeInvalidParameterValue, "The value '%v' provided for '%s' is invalid.", value, field)
}

func errMissing(field string) *apiError {
	return errorf(http.StatusBadRequest, codeMissingParameterValue, "The mandatory field '%s' is missing.", field)
}

func errUnknownField(field string) *apiError {
	return errorf(http.StatusBadRequest, codeUnrecognizedField, "The field '%s' is invalid for this API.", field)
}
