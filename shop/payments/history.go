package payments

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// HistoryKind says where a history entry comes from.
type HistoryKind string

// List of values that HistoryKind can take.
const (
	// HistoryMovement: the shop decided to move money (requested) or
	// learned the outcome (succeeded, failed).
	HistoryMovement HistoryKind = "movement"
	// HistoryCall: a call to Amazon Pay, from the append-only call log.
	HistoryCall HistoryKind = "amazon_call"
)

// HistoryEntry is one line of an order's payment history.
type HistoryEntry struct {
	At   time.Time
	Kind HistoryKind
	// Operation is the shop operation (capture, refund, …) for movements,
	// the Amazon Pay operation (CaptureCharge, GetCharge, …) for calls.
	Operation string
	// Status: requested, succeeded or failed for movements; the HTTP
	// status (or the transport error) for calls.
	Status string
	// Amount in minor units of Currency (0 if none).
	Amount   int64
	Currency string
	// ObjectID is the charge, refund or charge permission concerned.
	ObjectID string
	// ReasonCode is Amazon Pay's reason code of a refusal.
	ReasonCode string
	// Reason is the merchant's note given with the movement's request
	// ([Request.Reason]; the first one if the request was replayed), ""
	// for calls. It is merchant text: render it escaped.
	Reason string
	// RequestID is Amazon Pay's request id of a call.
	RequestID string
	// Note explains re-authorization steps and idempotent replays.
	Note string
}

// History returns the payment history of an order, oldest first: every
// money movement (when it was requested and how it ended, with the
// merchant's reason) and every call to Amazon Pay made for the order.
// Re-authorization steps are marked.
func History(ctx context.Context, store shop.Repository, orderID int64) ([]HistoryEntry, error) {
	ms, err := store.MoneyMovements(ctx, orderID)
	if err != nil {
		return nil, err
	}
	calls, err := store.AmazonCalls(ctx, shop.AmazonCallFilter{OrderID: orderID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []HistoryEntry
	for _, m := range ms {
		e := HistoryEntry{At: m.CreatedAt, Kind: HistoryMovement, Operation: string(m.Operation), Status: "requested",
			Amount: m.Amount, Currency: m.Currency, ObjectID: m.ChargeID, Reason: m.Reason, Note: movementNote(m)}
		out = append(out, e)
		if m.Status != shop.MovementPending {
			e.At, e.Status, e.ReasonCode = m.UpdatedAt, string(m.Status), m.ReasonCode
			if m.RefundID != "" {
				e.ObjectID = m.RefundID
			}
			out = append(out, e)
		}
	}
	for _, c := range calls {
		e := HistoryEntry{At: c.At, Kind: HistoryCall, Operation: c.Operation, ObjectID: c.ResourceID,
			ReasonCode: c.ReasonCode, RequestID: c.RequestID}
		switch {
		case c.HTTPStatus != 0:
			e.Status = fmt.Sprintf("%d %s", c.HTTPStatus, http.StatusText(c.HTTPStatus))
		case c.Error != "":
			e.Status = "no answer: " + c.Error
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// movementNote explains the movements a request made on its own behalf.
func movementNote(m *shop.MoneyMovement) string {
	switch {
	case strings.HasPrefix(m.ClientKey, reauthCancelPrefix):
		return "re-authorization: cancel the authorization that was about to expire"
	case strings.HasPrefix(m.ClientKey, reauthPrefix):
		return "re-authorization: new authorization on the charge permission"
	case strings.HasSuffix(m.ClientKey, afterReauthSuffix):
		return "capture of the new authorization"
	}
	return ""
}
