package amazonpay

import "context"

// DisputeService lets a payment service provider report chargebacks to
// Amazon Pay and contest disputes Amazon manages.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-apis/dispute.html
type DisputeService service

// DisputeState is the state of a dispute.
type DisputeState string

// List of values that DisputeState can take.
const (
	DisputeUnderReview    DisputeState = "UnderReview"
	DisputeActionRequired DisputeState = "ActionRequired"
	DisputeResolved       DisputeState = "Resolved"
	DisputeClosed         DisputeState = "Closed"
)

// Reason codes of dispute status details.
const (
	ReasonMerchantResponseRequired            ReasonCode = "MerchantResponseRequired"
	ReasonMerchantAdditionalEvidencesRequired ReasonCode = "MerchantAdditionalEvidencesRequired"
	ReasonBuyerAdditionalEvidencesRequired    ReasonCode = "BuyerAdditionalEvidencesRequired"
	ReasonMerchantAcceptedDispute             ReasonCode = "MerchantAcceptedDispute"
	ReasonMerchantResponseDeadlineExpired     ReasonCode = "MerchantResponseDeadlineExpired"
	ReasonBuyerCancelled                      ReasonCode = "BuyerCancelled"
	ReasonInvestigatorResolved                ReasonCode = "InvestigatorResolved"
	ReasonAutoResolved                        ReasonCode = "AutoResolved"
	ReasonChargebackFiled                     ReasonCode = "ChargebackFiled"
)

// DisputeResolution is the outcome of a resolved dispute.
type DisputeResolution string

// List of values that DisputeResolution can take.
const (
	DisputeBuyerWon    DisputeResolution = "BuyerWon"
	DisputeMerchantWon DisputeResolution = "MerchantWon"
	DisputeNoFault     DisputeResolution = "NoFault"
)

// DisputeFilingReason is why the buyer disputed.
type DisputeFilingReason string

// List of values that DisputeFilingReason can take.
const (
	FilingProductNotReceived    DisputeFilingReason = "ProductNotReceived"
	FilingProductUnacceptable   DisputeFilingReason = "ProductUnacceptable"
	FilingProductNoLongerNeeded DisputeFilingReason = "ProductNoLongerNeeded"
	FilingCreditNotProcessed    DisputeFilingReason = "CreditNotProcessed"
	FilingOvercharged           DisputeFilingReason = "Overcharged"
	FilingDuplicateCharge       DisputeFilingReason = "DuplicateCharge"
	FilingSubscriptionCancelled DisputeFilingReason = "SubscriptionCancelled"
	FilingUnrecognized          DisputeFilingReason = "Unrecognized"
	FilingFraudulent            DisputeFilingReason = "Fraudulent"
	FilingOther                 DisputeFilingReason = "Other"
)

// DisputeStatusDetails is the state of a dispute.
type DisputeStatusDetails struct {
	State                DisputeState      `json:"state,omitempty"`
	ReasonCode           ReasonCode        `json:"reasonCode,omitempty"`
	ReasonDescription    string            `json:"reasonDescription,omitempty"`
	Resolution           DisputeResolution `json:"resolution,omitempty"`
	LastUpdatedTimestamp Timestamp         `json:"lastUpdatedTimestamp,omitzero"`
}

// DisputeProviderMetadata carries the PSP's own dispute id.
type DisputeProviderMetadata struct {
	ProviderDisputeID string `json:"providerDisputeId,omitempty"`
}

// Evidence is one piece of evidence: a file uploaded with Files.Upload
// and/or text.
type Evidence struct {
	EvidenceType string `json:"evidenceType,omitempty"`
	FileID       string `json:"fileId,omitempty"`
	EvidenceText string `json:"evidenceText,omitempty"`
}

// Dispute is a dispute as Amazon Pay returns it. Its timestamps may arrive
// as Unix seconds; Timestamp decodes both forms.
type Dispute struct {
	DisputeID                string                   `json:"disputeId"`
	ChargeID                 string                   `json:"chargeId,omitempty"`
	DisputeType              string                   `json:"disputeType,omitempty"`
	ResolutionAuthority      string                   `json:"resolutionAuthority,omitempty"`
	DisputeAmount            Price                    `json:"disputeAmount,omitzero"`
	FilingReason             DisputeFilingReason      `json:"filingReason,omitempty"`
	FilingTimestamp          Timestamp                `json:"filingTimestamp,omitzero"`
	CreationTimestamp        Timestamp                `json:"creationTimestamp,omitzero"`
	ClosureTimestamp         Timestamp                `json:"closureTimestamp,omitzero"`
	MerchantResponseDeadline Timestamp                `json:"merchantResponseDeadline,omitzero"`
	StatusDetails            *DisputeStatusDetails    `json:"statusDetails,omitempty"`
	ProviderMetadata         *DisputeProviderMetadata `json:"providerMetadata,omitempty"`
	MerchantEvidences        []Evidence               `json:"merchantEvidences,omitempty"`
	ReleaseEnvironment       ReleaseEnvironment       `json:"releaseEnvironment,omitempty"`
}

// State is statusDetails.state, or "" when absent.
func (d *Dispute) State() DisputeState {
	if d == nil || d.StatusDetails == nil {
		return ""
	}
	return d.StatusDetails.State
}

// CreateDisputeRequest reports a chargeback on a PSP-processed charge. The
// Dispute API takes its request timestamps as Unix seconds.
type CreateDisputeRequest struct {
	ChargeID                 string                   `json:"chargeId"`
	ProviderMetadata         *DisputeProviderMetadata `json:"providerMetadata,omitempty"`
	DisputeAmount            Price                    `json:"disputeAmount"`
	FilingReason             DisputeFilingReason      `json:"filingReason"`
	CreationTimestamp        int64                    `json:"creationTimestamp,omitempty"`
	StatusDetails            *DisputeStatusDetails    `json:"statusDetails,omitempty"`
	MerchantResponseDeadline int64                    `json:"merchantResponseDeadline,omitempty"`
}

// UpdateDisputeRequest reports a dispute's outcome. ClosureTimestamp is
// Unix seconds.
type UpdateDisputeRequest struct {
	StatusDetails    *DisputeStatusDetails `json:"statusDetails,omitempty"`
	ClosureTimestamp int64                 `json:"closureTimestamp,omitempty"`
}

// ContestDisputeRequest submits the merchant's evidence.
type ContestDisputeRequest struct {
	MerchantEvidences []Evidence `json:"merchantEvidences"`
}

// Create reports a new chargeback dispute.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-apis/dispute.html#create-dispute
//
//amazonpay:operation POST /v2/disputes
func (s *DisputeService) Create(ctx context.Context, req *CreateDisputeRequest, opts ...RequestOption) (*Dispute, *Response, error) {
	switch {
	case req == nil:
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	case req.FilingReason == "":
		return nil, nil, &InputError{Field: "filingReason", Reason: "is required"}
	}
	if err := validateID("chargeId", req.ChargeID); err != nil {
		return nil, nil, err
	}
	if err := req.DisputeAmount.validate("disputeAmount"); err != nil {
		return nil, nil, err
	}
	return callInto[Dispute](ctx, s.client, callSpec{op: "CreateDispute", body: req}, opts)
}

// Get reads a dispute.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-apis/dispute.html#get-dispute
//
//amazonpay:operation GET /v2/disputes/{disputeId}
func (s *DisputeService) Get(ctx context.Context, disputeID string, opts ...RequestOption) (*Dispute, *Response, error) {
	return callInto[Dispute](ctx, s.client, callSpec{op: "GetDispute",
		params: []pathParam{{"disputeId", disputeID}}}, opts)
}

// Update reports the outcome of a dispute.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-apis/dispute.html#update-dispute
//
//amazonpay:operation PATCH /v2/disputes/{disputeId}
func (s *DisputeService) Update(ctx context.Context, disputeID string, req *UpdateDisputeRequest, opts ...RequestOption) (*Dispute, *Response, error) {
	if req == nil {
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	}
	return callInto[Dispute](ctx, s.client, callSpec{op: "UpdateDispute",
		params: []pathParam{{"disputeId", disputeID}}, body: req}, opts)
}

// Contest contests a dispute with evidence, within the dispute window (11
// days for chargebacks, 7 for A-to-z claims).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-apis/dispute.html#contest-dispute
//
//amazonpay:operation POST /v2/disputes/{disputeId}/contest
func (s *DisputeService) Contest(ctx context.Context, disputeID string, req *ContestDisputeRequest, opts ...RequestOption) (*Dispute, *Response, error) {
	if req == nil || len(req.MerchantEvidences) == 0 {
		return nil, nil, &InputError{Field: "merchantEvidences", Reason: "needs at least one entry"}
	}
	return callInto[Dispute](ctx, s.client, callSpec{op: "ContestDispute",
		params: []pathParam{{"disputeId", disputeID}}, body: req}, opts)
}
