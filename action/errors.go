package action

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Reason codes of errors the runner finds itself, before or instead of a call
// to Amazon Pay. Where Amazon Pay has a code for the same mistake the runner
// uses it, so a client handles "bad input" alike whichever side found it.
const (
	// ReasonInvalidRequestFormat: the document is not a JSON object (Amazon
	// Pay's code for malformed JSON).
	ReasonInvalidRequestFormat = "InvalidRequestFormat"
	// ReasonMissingParameterValue: a required field is absent or empty.
	ReasonMissingParameterValue = "MissingParameterValue"
	// ReasonInvalidParameterValue: a field has the wrong type or value.
	ReasonInvalidParameterValue = "InvalidParameterValue"
	// ReasonInvalidParameterCombination: two fields exclude each other, such
	// as paymentDetail and paymentDetails.
	ReasonInvalidParameterCombination = "InvalidParameterCombination"
	// ReasonUnrecognizedField: the operation takes no such field.
	ReasonUnrecognizedField = "UnrecognizedField"
	// ReasonUnknownAction: the action names no operation; the message lists
	// the valid ones.
	ReasonUnknownAction = "UnknownAction"
	// ReasonUnauthorized: the HTTP request carried no valid API key.
	ReasonUnauthorized = "UnauthorizedAccess"
	// ReasonUnsupportedOperation: wrong HTTP method for the action endpoint.
	ReasonUnsupportedOperation = "UnsupportedOperation"
	// ReasonRequestTooLarge: the document exceeds MaxDocumentSize.
	ReasonRequestTooLarge = "RequestEntityTooLarge"
	// ReasonServiceUnavailable: Amazon Pay could not be reached (no HTTP
	// response after the SDK's retries).
	ReasonServiceUnavailable = "ServiceUnavailable"
	// ReasonRequestTimeout: the caller's deadline ended before Amazon Pay
	// answered.
	ReasonRequestTimeout = "RequestTimeout"
	// ReasonInternalServerError: a bug or an unreadable success body; the
	// message says which.
	ReasonInternalServerError = "InternalServerError"
)

// Error is a failure in the one shape every caller receives:
// {"reasonCode", "message", "requestId"} with an HTTP status. RequestID is
// Amazon Pay's x-amz-pay-request-id when Amazon Pay answered, and empty when
// the error was found before anything was sent.
type Error struct {
	Status     int    `json:"-"`
	ReasonCode string `json:"reasonCode"`
	Message    string `json:"message"`
	RequestID  string `json:"requestId"`
}

// Error renders the status, reason and message.
func (e *Error) Error() string {
	return fmt.Sprintf("action: %d %s: %s", e.Status, e.ReasonCode, e.Message)
}

// body encodes the error as the JSON callers receive.
func (e *Error) body() []byte {
	b, err := json.Marshal(e)
	if err != nil { // cannot happen: three strings
		return []byte(`{"reasonCode":"InternalServerError","message":"encoding error","requestId":""}`)
	}
	return b
}

// badRequest is a 400 with the given reason and message.
func badRequest(reason, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, ReasonCode: reason, Message: fmt.Sprintf(format, args...)}
}

// missingField reports an absent required field by its document name.
func missingField(field string) *Error {
	return badRequest(ReasonMissingParameterValue, "%s is required", field)
}

// wrongType reports a field whose JSON type is not the one the API takes.
func wrongType(field, want string, raw json.RawMessage) *Error {
	return badRequest(ReasonInvalidParameterValue, "%s must be %s, got %s", field, want, jsonKind(raw))
}

// jsonKind names the JSON type of a raw value for error messages; it never
// echoes the value, which may be personal data.
func jsonKind(raw json.RawMessage) string {
	raw = trimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
