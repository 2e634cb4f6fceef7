package amazonpay

import "context"

// ChargeService handles Charges: authorizations and captures against a
// Charge Permission.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge.html
type ChargeService service

// ChargeState is the state of a Charge.
type ChargeState string

// List of values that ChargeState can take.
const (
	ChargeAuthorizationInitiated ChargeState = "AuthorizationInitiated"
	ChargeAuthorized             ChargeState = "Authorized"
	ChargeCaptureInitiated       ChargeState = "CaptureInitiated"
	ChargeCaptured               ChargeState = "Captured"
	ChargeCanceled               ChargeState = "Canceled"
	ChargeDeclined               ChargeState = "Declined"
)

// ChargeInitiator says who started a charge: customer (CIT) or merchant
// (MIT), unscheduled (U) or recurring (R).
type ChargeInitiator string

// List of values that ChargeInitiator can take.
const (
	ChargeInitiatorCITU ChargeInitiator = "CITU"
	ChargeInitiatorMITU ChargeInitiator = "MITU"
	ChargeInitiatorCITR ChargeInitiator = "CITR"
	ChargeInitiatorMITR ChargeInitiator = "MITR"
)

// Channel is where the buyer interacted.
type Channel string

// List of values that Channel can take.
const (
	ChannelWeb         Channel = "Web"
	ChannelPhone       Channel = "Phone"
	ChannelApp         Channel = "App"
	ChannelAlexa       Channel = "Alexa"
	ChannelPointOfSale Channel = "PointOfSale"
	ChannelFireTV      Channel = "FireTv"
	ChannelOffline     Channel = "Offline"
	ChannelAmazon      Channel = "Amazon"
)

// Charge is a Charge as Amazon Pay returns it.
type Charge struct {
	ChargeID                      string              `json:"chargeId"`
	ChargePermissionID            string              `json:"chargePermissionId,omitempty"`
	ChargeAmount                  Price               `json:"chargeAmount,omitzero"`
	CaptureAmount                 Price               `json:"captureAmount,omitzero"`
	RefundedAmount                Price               `json:"refundedAmount,omitzero"`
	ConvertedAmount               LooseAmount         `json:"convertedAmount,omitzero"`
	ConversionRate                Decimal             `json:"conversionRate,omitempty"`
	SoftDescriptor                string              `json:"softDescriptor,omitempty"`
	CaptureNow                    bool                `json:"captureNow,omitempty"`
	CanHandlePendingAuthorization bool                `json:"canHandlePendingAuthorization,omitempty"`
	MerchantMetadata              *MerchantMetadata   `json:"merchantMetadata,omitempty"`
	ProviderMetadata              *ProviderMetadata   `json:"providerMetadata,omitempty"`
	PlatformID                    string              `json:"platformId,omitempty"`
	ChargeInitiator               ChargeInitiator     `json:"chargeInitiator,omitempty"`
	Channel                       Channel             `json:"channel,omitempty"`
	WebCheckoutDetails            *WebCheckoutDetails `json:"webCheckoutDetails,omitempty"`
	StatusDetails                 *StatusDetails      `json:"statusDetails,omitempty"`
	CreationTimestamp             Timestamp           `json:"creationTimestamp,omitzero"`
	ExpirationTimestamp           Timestamp           `json:"expirationTimestamp,omitzero"`
	ReleaseEnvironment            ReleaseEnvironment  `json:"releaseEnvironment,omitempty"`
}

// State is statusDetails.state, or "" when absent.
func (ch *Charge) State() ChargeState {
	if ch == nil || ch.StatusDetails == nil {
		return ""
	}
	return ChargeState(ch.StatusDetails.State)
}

// CreateChargeRequest authorizes (and with CaptureNow captures) an amount
// against a Chargeable Charge Permission.
type CreateChargeRequest struct {
	ChargePermissionID            string              `json:"chargePermissionId"`
	ChargeAmount                  Price               `json:"chargeAmount"`
	CaptureNow                    bool                `json:"captureNow,omitempty"`
	SoftDescriptor                string              `json:"softDescriptor,omitempty"`
	CanHandlePendingAuthorization bool                `json:"canHandlePendingAuthorization,omitempty"`
	MerchantMetadata              *MerchantMetadata   `json:"merchantMetadata,omitempty"`
	ProviderMetadata              *ProviderMetadata   `json:"providerMetadata,omitempty"`
	PlatformID                    string              `json:"platformId,omitempty"`
	ChargeInitiator               ChargeInitiator     `json:"chargeInitiator,omitempty"`
	Channel                       Channel             `json:"channel,omitempty"`
	WebCheckoutDetails            *WebCheckoutDetails `json:"webCheckoutDetails,omitempty"`
}

func (r *CreateChargeRequest) validate() error {
	if r == nil {
		return &InputError{Field: "request", Reason: "is nil"}
	}
	if err := validateID("chargePermissionId", r.ChargePermissionID); err != nil {
		return err
	}
	return r.ChargeAmount.validate("chargeAmount")
}

// UpdateChargeRequest lets a payment service provider report the state of
// a charge it processed, for example {State: "Canceled", ReasonCode:
// "ExpiredUnused"}.
type UpdateChargeRequest struct {
	StatusDetails *StatusDetails `json:"statusDetails"`
}

// CaptureChargeRequest captures an Authorized charge, at most the
// authorized amount.
type CaptureChargeRequest struct {
	CaptureAmount  Price  `json:"captureAmount"`
	SoftDescriptor string `json:"softDescriptor,omitempty"`
}

// CancelChargeRequest is the JSON body of the DELETE that cancels a charge.
type CancelChargeRequest struct {
	CancellationReason string `json:"cancellationReason,omitempty"`
}

// Create authorizes a new charge on a Charge Permission (deferred or
// recurring payments). Declines come back as errors: check
// errors.Is(err, ErrSoftDeclined) / ErrHardDeclined.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge.html#create-charge
//
//amazonpay:operation POST /v2/charges
func (s *ChargeService) Create(ctx context.Context, req *CreateChargeRequest, opts ...RequestOption) (*Charge, *Response, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	return callInto[Charge](ctx, s.client, callSpec{op: "CreateCharge", body: req}, opts)
}

// Get reads a Charge.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge.html#get-charge
//
//amazonpay:operation GET /v2/charges/{chargeId}
func (s *ChargeService) Get(ctx context.Context, chargeID string, opts ...RequestOption) (*Charge, *Response, error) {
	return callInto[Charge](ctx, s.client, callSpec{op: "GetCharge",
		params: []pathParam{{"chargeId", chargeID}}}, opts)
}

// Update reports the state of a PSP-processed charge (payment service
// providers only).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge.html#update-charge
//
//amazonpay:operation PATCH /v2/charges/{chargeId}
func (s *ChargeService) Update(ctx context.Context, chargeID string, req *UpdateChargeRequest, opts ...RequestOption) (*Charge, *Response, error) {
	if req == nil || req.StatusDetails == nil {
		return nil, nil, &InputError{Field: "statusDetails", Reason: "is required"}
	}
	return callInto[Charge](ctx, s.client, callSpec{op: "UpdateCharge",
		params: []pathParam{{"chargeId", chargeID}}, body: req}, opts)
}

// Capture moves an Authorized charge to Captured (or CaptureInitiated when
// the authorization is older than 7 days).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge.html#capture-charge
//
//amazonpay:operation POST /v2/charges/{chargeId}/capture
func (s *ChargeService) Capture(ctx context.Context, chargeID string, req *CaptureChargeRequest, opts ...RequestOption) (*Charge, *Response, error) {
	if req == nil {
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	}
	if err := req.CaptureAmount.validate("captureAmount"); err != nil {
		return nil, nil, err
	}
	return callInto[Charge](ctx, s.client, callSpec{op: "CaptureCharge",
		params: []pathParam{{"chargeId", chargeID}}, body: req}, opts)
}

// Cancel releases an authorization that was not captured. A nil request
// sends {}.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge.html#cancel-charge
//
//amazonpay:operation DELETE /v2/charges/{chargeId}/cancel
func (s *ChargeService) Cancel(ctx context.Context, chargeID string, req *CancelChargeRequest, opts ...RequestOption) (*Charge, *Response, error) {
	if req == nil {
		req = &CancelChargeRequest{}
	}
	return callInto[Charge](ctx, s.client, callSpec{op: "CancelCharge",
		params: []pathParam{{"chargeId", chargeID}}, body: req}, opts)
}
