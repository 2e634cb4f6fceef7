package restapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
)

// OperationRequest is the body of POST /orders/{id}/amazon-pay/{op}; all
// fields are optional.
type OperationRequest struct {
	// Amount is a decimal in the order's currency ("20.00", or the JSON
	// number 20.00), for authorize, capture, authorize-and-capture and
	// refund; absent means the operation's default (everything).
	Amount json.RawMessage `json:"amount,omitempty"`
	// Currency, if given, must be the order's.
	Currency string `json:"currency,omitempty"`
	// Reason is the merchant's note, stored with the money movement and
	// shown in the order's history (and sent to Amazon Pay as the
	// cancellation or closure reason for close-authorization and close).
	// A retry with the same Idempotency-Key keeps the first reason.
	Reason string `json:"reason,omitempty"`
	// CancelPendingCharges, for close, also cancels open authorizations.
	CancelPendingCharges bool `json:"cancel_pending_charges,omitempty"`
}

// OperationResult is the answer of an operation: WooCommerce's fields for
// the operation, plus the Amazon Pay states after it.
type OperationResult struct {
	OrderID     int64  `json:"order_id"`
	OrderNumber string `json:"order_number"`
	Operation   string `json:"operation"`
	OrderStatus string `json:"order_status"`

	Authorized            *bool  `json:"authorized,omitempty"`
	AmazonAuthorizationID string `json:"amazon_authorization_id,omitempty"`
	Captured              *bool  `json:"captured,omitempty"`
	AmazonCaptureID       string `json:"amazon_capture_id,omitempty"`
	AuthorizationClosed   *bool  `json:"authorization_closed,omitempty"`
	Refunded              *bool  `json:"refunded,omitempty"`
	AmazonRefundID        string `json:"amazon_refund_id,omitempty"`
	Closed                *bool  `json:"closed,omitempty"`

	Amount                string `json:"amount,omitempty"`
	Currency              string `json:"currency"`
	ChargePermissionID    string `json:"charge_permission_id"`
	ChargePermissionState string `json:"charge_permission_state"`
	ChargeID              string `json:"charge_id,omitempty"`
	ChargeState           string `json:"charge_state,omitempty"`
	ChargeReasonCode      string `json:"charge_reason_code,omitempty"`
	RefundID              string `json:"refund_id,omitempty"`
	RefundState           string `json:"refund_state,omitempty"`
	// Reauthorization is set when a capture first replaced an expired (or
	// about to expire) authorization.
	Reauthorization *Reauthorization `json:"reauthorization,omitempty"`
	// Pending: Amazon Pay decides later (the answer is then 202).
	Pending bool `json:"pending"`
	// Replayed: the operation had been done with this idempotency key
	// before; this is its result.
	Replayed bool `json:"replayed"`
	// Reason is the merchant's reason as stored with the movement: on a
	// replay, the first request's.
	Reason          string           `json:"reason,omitempty"`
	AmazonReference *AmazonReference `json:"amazon_reference"`
}

// Reauthorization names the authorization a capture replaced.
type Reauthorization struct {
	ReplacedChargeID    string `json:"replaced_charge_id"`
	ReplacedChargeState string `json:"replaced_charge_state"`
	ReplacedReasonCode  string `json:"replaced_reason_code,omitempty"`
}

// opFunc is a service operation as a method expression.
type opFunc = func(*payments.Service, context.Context, int64, payments.Request) (*payments.Result, error)

// operations maps the path's operation names to the service.
var operations = map[string]struct {
	run       opFunc
	hasAmount bool
}{
	"authorize":             {(*payments.Service).Authorize, true},
	"capture":               {(*payments.Service).Capture, true},
	"authorize-and-capture": {(*payments.Service).AuthorizeAndCapture, true},
	"close-authorization":   {(*payments.Service).CloseAuthorization, false},
	"refund":                {(*payments.Service).Refund, true},
	"close":                 {(*payments.Service).Close, false},
}

// amazonPay serves POST /orders/{id}/amazon-pay/{op}.
func (a *API) amazonPay(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	op, ok := operations[r.PathValue("op")]
	if !ok {
		writeError(w, &payments.Error{Status: http.StatusNotFound, Code: "rest_no_route",
			Message: "Unknown operation; one of authorize, capture, authorize-and-capture, close-authorization, refund, close."})
		return
	}
	body, _ := io.ReadAll(r.Body)
	in, err := decodeOperation(body)
	if err != nil {
		writeError(w, err)
		return
	}
	req := payments.Request{IdempotencyKey: clientKeyOf(ctx), Currency: in.Currency, Reason: in.Reason,
		CancelPendingCharges: in.CancelPendingCharges}
	hasAmount := len(in.Amount) > 0 && string(in.Amount) != "null"
	if hasAmount && !op.hasAmount {
		writeError(w, badRequest("InvalidParameterValue", r.PathValue("op")+" takes no amount."))
		return
	}
	// The order is read here only when needed (a number to resolve, an
	// amount to read in its currency); the service reads it anyway, with
	// the row locked.
	ref := r.PathValue("id")
	id, perr := strconv.ParseInt(ref, 10, 64)
	if perr != nil || id <= 0 || hasAmount {
		o, err := a.lookup(ctx, ref)
		if err != nil {
			writeError(w, err)
			return
		}
		id = o.ID
		if hasAmount {
			if req.Amount, err = parseAmount(in.Amount, in.Currency, o.Currency); err != nil {
				writeError(w, err)
				return
			}
		}
	}
	res, err := op.run(a.pay, ctx, id, req)
	if err != nil {
		writeError(w, err)
		return
	}
	status := http.StatusOK
	if res.Pending {
		status = http.StatusAccepted
	}
	writeJSON(w, status, NewOperationResult(res, in.Reason))
}

// decodeOperation reads the body strictly, with Amazon Pay's codes for
// malformed JSON, unknown fields and wrong types.
func decodeOperation(body []byte) (*OperationRequest, error) {
	in := &OperationRequest{}
	if len(bytes.TrimSpace(body)) == 0 {
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(in)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return in, nil
	case errors.As(err, &typeErr):
		return nil, badRequest("InvalidParameterValue", "The value provided for '"+typeErr.Field+"' has the wrong type.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return nil, badRequest("UnrecognizedField", "The field '"+field+"' is invalid for this API.")
	}
	return nil, badRequest("InvalidRequestFormat", "The request body is not a JSON object.")
}

// parseAmount reads a decimal amount, given as a JSON string or number,
// strictly (no sign, exponent or extra decimals) and never through a
// float.
func parseAmount(raw json.RawMessage, currency, orderCurrency string) (int64, error) {
	if currency != "" && currency != orderCurrency {
		return 0, &payments.Error{Status: payments.StatusForReason(amazonpay.ReasonCurrencyMismatch), Code: string(amazonpay.ReasonCurrencyMismatch),
			Message: "The amount's currency " + currency + " is not the order's currency " + orderCurrency + "."}
	}
	text := string(raw)
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, badRequest("InvalidParameterValue", "The value provided for 'amount' is invalid.")
		}
	}
	minor, err := money.Parse(text, orderCurrency)
	if err != nil {
		return 0, badRequest("InvalidParameterValue", "The value '"+truncate(text, 32)+"' provided for 'amount' is invalid: a positive decimal with at most the currency's decimals is expected.")
	}
	if minor <= 0 {
		return 0, badRequest("InvalidParameterValue", "The amount must be greater than zero.")
	}
	return minor, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// NewOperationResult renders a result. reason is the request's reason,
// shown when the result carries no movement; otherwise the movement's
// stored reason is (the first request's, for a replay).
func NewOperationResult(res *payments.Result, reason string) OperationResult {
	if res.Movement != nil {
		reason = res.Movement.Reason
	}
	o := res.Order
	out := OperationResult{OrderID: o.ID, OrderNumber: o.Number, Operation: apiOperation(res.Operation), OrderStatus: string(o.Status),
		Currency: o.Currency, Pending: res.Pending, Replayed: res.Replayed, Reason: reason}
	if res.Payment != nil {
		out.ChargePermissionID, out.ChargePermissionState = res.Payment.ChargePermissionID, res.Payment.ChargePermissionState
		out.AmazonReference = newAmazonReference(res.Payment, o.Currency)
	}
	if res.Movement != nil && res.Movement.Amount > 0 {
		out.Amount = fmtAmount(res.Movement.Amount, o.Currency)
	}
	yes := func(b bool) *bool { return &b }
	if c := res.Charge; c != nil {
		out.ChargeID, out.ChargeState, out.ChargeReasonCode = c.ID, string(c.State), c.ReasonCode
	}
	if rf := res.Refund; rf != nil {
		out.RefundID, out.RefundState = rf.ID, string(rf.State)
	}
	state := shop.ChargeState(out.ChargeState)
	authorized := state == shop.ChargeAuthorized || state == shop.ChargeCaptureInitiated || state == shop.ChargeCaptured
	captured := state == shop.ChargeCaptured
	switch res.Operation {
	case shop.OpAuthorize:
		out.Authorized, out.AmazonAuthorizationID = yes(authorized), out.ChargeID
	case shop.OpAuthorizeCapture:
		out.Authorized, out.AmazonAuthorizationID = yes(authorized), out.ChargeID
		out.Captured, out.AmazonCaptureID = yes(captured), out.ChargeID
	case shop.OpCapture:
		out.Captured, out.AmazonCaptureID = yes(captured), out.ChargeID
		if res.Replaced != nil {
			out.Authorized, out.AmazonAuthorizationID = yes(authorized), out.ChargeID
			out.Reauthorization = &Reauthorization{ReplacedChargeID: res.Replaced.ID, ReplacedChargeState: string(res.Replaced.State),
				ReplacedReasonCode: res.Replaced.ReasonCode}
		}
	case shop.OpCancel:
		out.AuthorizationClosed = yes(state == shop.ChargeCanceled)
	case shop.OpRefund:
		st := out.RefundState
		out.Refunded, out.AmazonRefundID = yes(st == string(shop.RefundInitiated) || st == string(shop.RefundRefunded)), out.RefundID
	case shop.OpClose:
		out.Closed = yes(out.ChargePermissionState == string(amazonpay.ChargePermissionClosed))
	}
	return out
}

// apiOperation names an operation as in the path.
func apiOperation(op shop.Operation) string {
	switch op {
	case shop.OpAuthorizeCapture:
		return "authorize-and-capture"
	case shop.OpCancel:
		return "close-authorization"
	}
	return string(op)
}
