package shop

import (
	"errors"
	"fmt"
)

// Error codes. They are deliberately few and coarse: each maps to one HTTP
// status in the web and REST layers (one table there), and every method in
// this package documents which codes it returns. Anything that is not a
// *Error is EINTERNAL, whose text is never shown to a client.
const (
	ECONFLICT     = "conflict"     // the state changed underneath (version mismatch, duplicate, busy order)
	EINTERNAL     = "internal"     // a bug or an unavailable dependency; details are only logged
	EINVALID      = "invalid"      // the input, or the operation in the current state, is not allowed
	ENOTFOUND     = "not_found"    // no such entity
	EUNAUTHORIZED = "unauthorized" // no or wrong credentials
	EFORBIDDEN    = "forbidden"    // valid credentials without the needed scope
)

// Error is the domain error: a machine-readable Code and a Message that is
// safe to show to the caller (it never contains secrets or buyer data).
//
// Errors from the database, the network or a bug are not wrapped into an
// Error; they travel as they are (wrapped with %w for context) and are
// reported as EINTERNAL by [ErrorCode].
type Error struct {
	// Code is one of the E* constants.
	Code string
	// Message is human-readable and safe to return to the client.
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("shop error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for a
// nil err, and EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, ""
// for a nil err, and a generic text for any other error so that internal
// details (SQL, file paths, driver messages) never reach a client.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
