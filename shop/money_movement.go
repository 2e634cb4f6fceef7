package shop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Operation is a money-moving operation on an order's payment, the unit of
// "one order, one money movement at a time".
type Operation string

// List of values that Operation can take, with the Amazon Pay call behind
// each.
const (
	// OpComplete is CompleteCheckoutSession (authorizes or captures
	// according to the checkout's paymentIntent).
	OpComplete Operation = "complete"
	// OpAuthorize is CreateCharge without captureNow (also the
	// re-authorization after the 30-day authorization expiry).
	OpAuthorize Operation = "authorize"
	// OpAuthorizeCapture is CreateCharge with captureNow.
	OpAuthorizeCapture Operation = "authorize_capture"
	// OpCapture is CaptureCharge.
	OpCapture Operation = "capture"
	// OpRefund is CreateRefund.
	OpRefund Operation = "refund"
	// OpCancel is CancelCharge ("close authorization").
	OpCancel Operation = "cancel"
	// OpClose is CloseChargePermission.
	OpClose Operation = "close"
)

// Operations lists every operation.
func Operations() []Operation {
	return []Operation{OpComplete, OpAuthorize, OpAuthorizeCapture, OpCapture, OpRefund, OpCancel, OpClose}
}

// MovementStatus is the outcome of a money movement.
type MovementStatus string

// List of values that MovementStatus can take.
const (
	// MovementPending: written before the Amazon Pay call; the call may
	// not have happened, may be in flight, or may have succeeded without
	// the result being recorded (a crash). Retrying with the same
	// AmazonKey is always safe.
	MovementPending MovementStatus = "pending"
	// MovementSucceeded: Amazon Pay accepted the operation.
	MovementSucceeded MovementStatus = "succeeded"
	// MovementFailed: Amazon Pay refused it definitively (a decline, a
	// state error). A retry needs a new client key.
	MovementFailed MovementStatus = "failed"
)

// MoneyMovement is the intent record of one money-moving Amazon Pay call,
// written (and committed) before the call with the Amazon idempotency key
// the call will use. A crash or a client retry therefore reuses the key, and
// Amazon Pay answers the replay with the original result instead of moving
// money twice. At most one movement per order is pending at any time.
type MoneyMovement struct {
	ID        int64
	OrderID   int64
	Operation Operation
	// Amount in minor units of Currency (0 for cancel and close).
	Amount   int64
	Currency string
	// ClientKey is what makes this movement unique for its order and
	// operation: the REST client's Idempotency-Key, or a key the shop makes
	// (e.g. "checkout:<sessionId>", "renewal:<sub>:<period>").
	ClientKey string
	// AmazonKey is the x-amz-pay-idempotency-key, derived by
	// [AmazonIdempotencyKey]; set by BeginMoneyMovement.
	AmazonKey string
	Status    MovementStatus
	// ChargeID is the Charge acted on (capture, cancel, refund) or created
	// (authorize, complete).
	ChargeID string
	// RefundID is the Refund created (refund).
	RefundID string
	// ReasonCode is Amazon Pay's reasonCode when Status is failed.
	ReasonCode string
	// Reason is the merchant's note given with the request (a capture's or
	// refund's reason, the cancellation or closure reason sent to Amazon
	// Pay), at most [MaxReasonLen] bytes, "" if none. It is recorded by
	// BeginMoneyMovement with the intent, so the history shows why money
	// moved even if the process dies before the call; a replay of the
	// movement keeps the first reason (it is a note, not part of what
	// Amazon Pay is asked to do).
	Reason string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxReasonLen is the longest merchant reason a movement records: Amazon
// Pay takes at most 255 characters of cancellationReason and closureReason.
const MaxReasonLen = 255

// AmazonIdempotencyKey derives the x-amz-pay-idempotency-key of a money
// movement from the order, the operation and the client's key: the first 128
// bits of SHA-256 over the three, as 32 lower-case hex digits (Amazon Pay
// allows at most 32 characters of [A-Za-z0-9_-]).
//
// The order enters by its random Number as well as its ID because Amazon Pay
// stores idempotency keys per merchant account forever: two databases (a
// test and a staging shop on one sandbox account, or a restored backup) both
// have an order 1, and must not collide.
func AmazonIdempotencyKey(orderID int64, orderNumber string, op Operation, clientKey string) string {
	h := sha256.New()
	for _, part := range []string{"apaykit/money-movement/v1", strconv.FormatInt(orderID, 10), orderNumber, string(op), clientKey} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// ValidateClientKey checks a client idempotency key (the REST
// Idempotency-Key header): 1 to 255 printable ASCII characters. It returns
// EINVALID.
func ValidateClientKey(key string) error {
	if key == "" || len(key) > 255 {
		return Errorf(EINVALID, "Idempotency-Key must be 1 to 255 characters.")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return Errorf(EINVALID, "Idempotency-Key must be printable ASCII without spaces.")
		}
	}
	return nil
}

// MoneyMovementStore is the money-movement part of the store.
type MoneyMovementStore interface {
	// BeginMoneyMovement records the intent m (OrderID, Operation, Amount,
	// Currency, ClientKey, Reason and, for capture/cancel/refund,
	// ChargeID), derives m.AmazonKey, and sets ID, Status pending and
	// timestamps. If a movement with the same derived key exists it is
	// returned in m instead (created false) so the caller replays it: if it
	// succeeded, answer with its result; if it is still pending, call
	// Amazon Pay again with the same key. Commit before calling Amazon Pay.
	// A different Reason does not make the replay a different request: the
	// stored (first) reason is kept and returned.
	//
	// Returns ENOTFOUND for an unknown order, EINVALID if the key was used
	// with a different operation, amount or charge or the reason is longer
	// than MaxReasonLen, and ECONFLICT if another movement of the order is
	// pending.
	BeginMoneyMovement(ctx context.Context, m *MoneyMovement) (created bool, err error)
	// FinishMoneyMovement records the outcome of a pending movement:
	// status succeeded or failed, the resulting or targeted ChargeID,
	// RefundID, and reasonCode. Returns ENOTFOUND, ECONFLICT if it is not
	// pending any more, EINVALID for a status other than succeeded/failed.
	FinishMoneyMovement(ctx context.Context, id int64, status MovementStatus, chargeID, refundID, reasonCode string) error
	// MoneyMovement returns a movement by ID. Returns ENOTFOUND.
	MoneyMovement(ctx context.Context, id int64) (*MoneyMovement, error)
	// MoneyMovements lists the movements of an order, oldest first.
	MoneyMovements(ctx context.Context, orderID int64) ([]*MoneyMovement, error)
	// PendingMoneyMovements lists movements still pending that were
	// created before before (a recovery job resolves them by asking Amazon
	// Pay), oldest first, at most limit (0 means 100).
	PendingMoneyMovements(ctx context.Context, before time.Time, limit int) ([]*MoneyMovement, error)
}
