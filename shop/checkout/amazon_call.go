package checkout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// PaymentError is an Amazon Pay call that failed: Amazon Pay refused it
// (StatusCode and ReasonCode set) or could not be reached (StatusCode 0).
// Message is safe to show to the buyer; Err is the cause, for logs.
type PaymentError struct {
	// Operation is the Amazon Pay operation, e.g. "UpdateCheckoutSession".
	Operation string
	// StatusCode is Amazon Pay's HTTP status, 0 if no answer arrived.
	StatusCode int
	// ReasonCode is Amazon Pay's reasonCode, "" if none.
	ReasonCode string
	// RequestID is x-amz-pay-request-id, to quote to Amazon Pay support.
	RequestID string
	// Message is what to tell the buyer.
	Message string
	// Retryable reports that trying again later may work (Amazon Pay was
	// unreachable, throttled or failing).
	Retryable bool
	// Err is the underlying error.
	Err error
}

func (e *PaymentError) Error() string {
	s := "checkout: " + e.Operation
	if e.StatusCode != 0 {
		s += fmt.Sprintf(" answered %d", e.StatusCode)
	}
	if e.ReasonCode != "" {
		s += " " + e.ReasonCode
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *PaymentError) Unwrap() error { return e.Err }

// newPaymentError wraps the error of an Amazon Pay call with a message for
// the buyer.
func newPaymentError(op string, err error, message string) *PaymentError {
	pe := &PaymentError{Operation: op, Message: message, Err: err}
	var apiErr *amazonpay.APIError
	switch {
	case errors.As(err, &apiErr):
		pe.StatusCode, pe.ReasonCode, pe.RequestID = apiErr.StatusCode, string(apiErr.ReasonCode), apiErr.RequestID
		pe.Retryable = apiErr.Retryable()
	default:
		pe.Retryable = true
	}
	if pe.Message == "" {
		pe.Message = "Amazon Pay did not accept the request."
		if pe.Retryable {
			pe.Message = "Amazon Pay could not be reached. Please try again in a moment."
		}
	}
	return pe
}

// reasonOf returns Amazon Pay's reasonCode of err, "" if none.
func reasonOf(err error) amazonpay.ReasonCode {
	var apiErr *amazonpay.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ReasonCode
	}
	return ""
}

// answered reports whether Amazon Pay gave a definite 4xx answer (as
// opposed to a 5xx, a throttle or no answer at all).
func answered(err error) bool {
	var apiErr *amazonpay.APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && !apiErr.Retryable()
}

// CallRecord builds the call-log entry of one Amazon Pay call from what the
// SDK returned: operation, resource, idempotency key, request id, status,
// reasonCode, a short transport error, start time and duration. It never
// copies a body. It returns nil for a call that was refused before anything
// was sent (an *amazonpay.InputError), which is not an Amazon call.
func CallRecord(orderID int64, operation, resourceID string, at time.Time, d time.Duration, resp *amazonpay.Response, err error) *shop.AmazonCall {
	var inErr *amazonpay.InputError
	if errors.As(err, &inErr) {
		return nil
	}
	c := &shop.AmazonCall{OrderID: orderID, Operation: operation, ResourceID: resourceID, At: at, Duration: d}
	if resp != nil {
		c.IdempotencyKey, c.RequestID = resp.IdempotencyKey, resp.RequestID
		if resp.Response != nil {
			c.HTTPStatus = resp.StatusCode
		}
	}
	var apiErr *amazonpay.APIError
	var reqErr *amazonpay.RequestError
	switch {
	case errors.As(err, &apiErr):
		c.HTTPStatus, c.ReasonCode = apiErr.StatusCode, string(apiErr.ReasonCode)
		if c.RequestID == "" {
			c.RequestID = apiErr.RequestID
		}
	case errors.As(err, &reqErr):
		c.IdempotencyKey = reqErr.IdempotencyKey
		c.Error = transportText(reqErr.Err)
	case err != nil && c.HTTPStatus == 0:
		c.Error = transportText(err)
	case err != nil:
		c.Error = "response could not be decoded"
	}
	return c
}

// transportText is a short description of a failure without an answer.
func transportText(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// record appends one call to the store's log. A failure to log is logged,
// not returned: the payment outcome matters more than its audit line, and
// the money movement records it anyway.
func (s *Service) record(ctx context.Context, orderID int64, op, resourceID string, at time.Time, d time.Duration, resp *amazonpay.Response, err error) {
	c := CallRecord(orderID, op, resourceID, at, d, resp, err)
	if c == nil {
		return
	}
	ctx, cancel := withoutCancel(ctx)
	defer cancel()
	if aerr := s.store.AppendAmazonCall(ctx, c); aerr != nil {
		s.log.Error("checkout: append amazon call", "operation", op, "error", aerr)
	}
}

// callAmazon runs one SDK call and logs it.
func callAmazon[T any](ctx context.Context, s *Service, orderID int64, op, resourceID string,
	fn func(ctx context.Context) (*T, *amazonpay.Response, error)) (*T, *amazonpay.Response, error) {
	at := s.now()
	start := time.Now()
	v, resp, err := fn(ctx)
	s.record(ctx, orderID, op, resourceID, at, time.Since(start), resp, err)
	return v, resp, err
}
