package amazonpay

import "context"

// RefundService handles Refunds of captured Charges. Refunds are processed
// asynchronously: a new refund is RefundInitiated and later Refunded or
// Declined.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/refund.html
type RefundService service

// RefundState is the state of a Refund.
type RefundState string

// List of values that RefundState can take.
const (
	RefundInitiated RefundState = "RefundInitiated"
	RefundRefunded  RefundState = "Refunded"
	RefundDeclined  RefundState = "Declined"
)

// Refund is a Refund as Amazon Pay returns it.
type Refund struct {
	RefundID           string             `json:"refundId"`
	ChargeID           string             `json:"chargeId,omitempty"`
	RefundAmount       Price              `json:"refundAmount,omitzero"`
	SoftDescriptor     string             `json:"softDescriptor,omitempty"`
	StatusDetails      *StatusDetails     `json:"statusDetails,omitempty"`
	CreationTimestamp  Timestamp          `json:"creationTimestamp,omitzero"`
	ReleaseEnvironment ReleaseEnvironment `json:"releaseEnvironment,omitempty"`
}

// State is statusDetails.state, or "" when absent.
func (r *Refund) State() RefundState {
	if r == nil || r.StatusDetails == nil {
		return ""
	}
	return RefundState(r.StatusDetails.State)
}

// CreateRefundRequest refunds part or all of a Captured charge.
type CreateRefundRequest struct {
	ChargeID       string `json:"chargeId"`
	RefundAmount   Price  `json:"refundAmount"`
	SoftDescriptor string `json:"softDescriptor,omitempty"`
}

// Create starts a refund. Use an idempotency key tied to your own refund
// record: a repeat with the same key returns the first refund instead of
// refunding twice.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/refund.html#create-refund
//
//amazonpay:operation POST /v2/refunds
func (s *RefundService) Create(ctx context.Context, req *CreateRefundRequest, opts ...RequestOption) (*Refund, *Response, error) {
	if req == nil {
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	}
	if err := validateID("chargeId", req.ChargeID); err != nil {
		return nil, nil, err
	}
	if err := req.RefundAmount.validate("refundAmount"); err != nil {
		return nil, nil, err
	}
	return callInto[Refund](ctx, s.client, callSpec{op: "CreateRefund", body: req}, opts)
}

// Get reads a Refund.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/refund.html#get-refund
//
//amazonpay:operation GET /v2/refunds/{refundId}
func (s *RefundService) Get(ctx context.Context, refundID string, opts ...RequestOption) (*Refund, *Response, error) {
	return callInto[Refund](ctx, s.client, callSpec{op: "GetRefund",
		params: []pathParam{{"refundId", refundID}}}, opts)
}
