package shop

import (
	"context"
	"time"
)

// AmazonCall is one entry of the append-only log of every call the shop
// made to Amazon Pay. It records what is needed to answer "what did we ask,
// when, and what did Amazon say" — and nothing else: never request or
// response bodies (they hold buyer names, addresses, emails) and never keys
// or signatures. The store has no way to update or delete entries, and the
// database refuses it too (a trigger), so the log can be trusted in a
// dispute.
type AmazonCall struct {
	ID int64
	// OrderID is the order the call was for, 0 if none (e.g. a button
	// signature check or a report).
	OrderID int64
	// Operation is the Amazon Pay operation name (amazonpay.Operations()),
	// e.g. "CaptureCharge".
	Operation string
	// ResourceID is the Amazon Pay object acted on, if any (a checkout
	// session, charge permission, charge or refund id).
	ResourceID string
	// IdempotencyKey is the x-amz-pay-idempotency-key sent, if any.
	IdempotencyKey string
	// RequestID is the x-amz-pay-request-id Amazon Pay answered with.
	RequestID string
	// HTTPStatus is the response status, 0 if no response arrived.
	HTTPStatus int
	// ReasonCode is Amazon Pay's error reasonCode, "" on success.
	ReasonCode string
	// Error is a short transport error ("timeout", "connection reset") when
	// no response arrived. It must not contain secrets.
	Error    string
	At       time.Time
	Duration time.Duration
}

// AmazonCallFilter selects log entries for [Store.AmazonCalls].
type AmazonCallFilter struct {
	// OrderID, if set, keeps one order's calls.
	OrderID int64
	// Limit caps the result (0 means 100, at most 1000).
	Limit int
	// BeforeID pages backwards (0 = newest).
	BeforeID int64
}

// AmazonCallLog is the Amazon-call part of the store: append and read, no
// update, no delete.
type AmazonCallLog interface {
	// AppendAmazonCall adds c to the log and sets its ID (and At if zero).
	AppendAmazonCall(ctx context.Context, c *AmazonCall) error
	// AmazonCalls lists entries, newest first.
	AmazonCalls(ctx context.Context, f AmazonCallFilter) ([]*AmazonCall, error)
}
