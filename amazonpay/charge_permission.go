package amazonpay

import "context"

// ChargePermissionService handles Charge Permissions: the buyer's consent
// to be charged, created when a checkout completes.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge-permission.html
type ChargePermissionService service

// ChargePermissionState is the state of a Charge Permission.
type ChargePermissionState string

// List of values that ChargePermissionState can take.
const (
	ChargePermissionChargeable    ChargePermissionState = "Chargeable"
	ChargePermissionNonChargeable ChargePermissionState = "NonChargeable"
	ChargePermissionClosed        ChargePermissionState = "Closed"
)

// ChargePermissionStatusDetails differs from StatusDetails: a Charge
// Permission can have several reasons at once.
type ChargePermissionStatusDetails struct {
	State                ChargePermissionState `json:"state,omitempty"`
	Reasons              []Reason              `json:"reasons,omitempty"`
	LastUpdatedTimestamp Timestamp             `json:"lastUpdatedTimestamp,omitzero"`
}

// ChargePermission is a Charge Permission as Amazon Pay returns it. Buyer
// data is only kept for 30 days after creation (OneTime).
type ChargePermission struct {
	ChargePermissionID          string                         `json:"chargePermissionId"`
	ChargePermissionReferenceID string                         `json:"chargePermissionReferenceId,omitempty"`
	ChargePermissionType        ChargePermissionType           `json:"chargePermissionType,omitempty"`
	AmazonPayToken              string                         `json:"amazonPayToken,omitempty"`
	RecurringMetadata           *RecurringMetadata             `json:"recurringMetadata,omitempty"`
	Limits                      *Limits                        `json:"limits,omitempty"`
	ReleaseEnvironment          ReleaseEnvironment             `json:"releaseEnvironment,omitempty"`
	Buyer                       *Buyer                         `json:"buyer,omitempty"`
	ShippingAddress             *Address                       `json:"shippingAddress,omitempty"`
	BillingAddress              *Address                       `json:"billingAddress,omitempty"`
	PaymentPreferences          []*PaymentPreference           `json:"paymentPreferences,omitempty"`
	MerchantMetadata            *MerchantMetadata              `json:"merchantMetadata,omitempty"`
	PlatformID                  string                         `json:"platformId,omitempty"`
	StatusDetails               *ChargePermissionStatusDetails `json:"statusDetails,omitempty"`
	CreationTimestamp           Timestamp                      `json:"creationTimestamp,omitzero"`
	ExpirationTimestamp         Timestamp                      `json:"expirationTimestamp,omitzero"`
	PresentmentCurrency         string                         `json:"presentmentCurrency,omitempty"`
	PaymentMethodOnFileMetadata *PaymentMethodOnFileMetadata   `json:"paymentMethodOnFileMetadata,omitempty"`
}

// State is statusDetails.state, or "" when absent.
func (cp *ChargePermission) State() ChargePermissionState {
	if cp == nil || cp.StatusDetails == nil {
		return ""
	}
	return cp.StatusDetails.State
}

// UpdateChargePermissionRequest changes the merchant data or the
// subscription details of a Charge Permission.
type UpdateChargePermissionRequest struct {
	MerchantMetadata  *MerchantMetadata  `json:"merchantMetadata,omitempty"`
	RecurringMetadata *RecurringMetadata `json:"recurringMetadata,omitempty"`
}

// CloseChargePermissionRequest is the JSON body of the DELETE that closes a
// Charge Permission. ClosureReason is at most 255 characters.
type CloseChargePermissionRequest struct {
	ClosureReason        string `json:"closureReason,omitempty"`
	CancelPendingCharges bool   `json:"cancelPendingCharges,omitempty"`
}

// Get reads a Charge Permission: its state, limits and (for 30 days) the
// buyer and addresses.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge-permission.html#get-charge-permission
//
//amazonpay:operation GET /v2/chargePermissions/{chargePermissionId}
func (s *ChargePermissionService) Get(ctx context.Context, chargePermissionID string, opts ...RequestOption) (*ChargePermission, *Response, error) {
	return callInto[ChargePermission](ctx, s.client, callSpec{op: "GetChargePermission",
		params: []pathParam{{"chargePermissionId", chargePermissionID}}}, opts)
}

// Update sets merchant metadata (for example the order number known only
// after checkout) or new subscription details.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge-permission.html#update-charge-permission
//
//amazonpay:operation PATCH /v2/chargePermissions/{chargePermissionId}
func (s *ChargePermissionService) Update(ctx context.Context, chargePermissionID string, req *UpdateChargePermissionRequest, opts ...RequestOption) (*ChargePermission, *Response, error) {
	if req == nil {
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	}
	return callInto[ChargePermission](ctx, s.client, callSpec{op: "UpdateChargePermission",
		params: []pathParam{{"chargePermissionId", chargePermissionID}}, body: req}, opts)
}

// Close ends a Charge Permission: no further charges, and pending ones are
// canceled when CancelPendingCharges is set. A nil request sends {}.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/charge-permission.html#close-charge-permission
//
//amazonpay:operation DELETE /v2/chargePermissions/{chargePermissionId}/close
func (s *ChargePermissionService) Close(ctx context.Context, chargePermissionID string, req *CloseChargePermissionRequest, opts ...RequestOption) (*ChargePermission, *Response, error) {
	if req == nil {
		req = &CloseChargePermissionRequest{}
	}
	return callInto[ChargePermission](ctx, s.client, callSpec{op: "CloseChargePermission",
		params: []pathParam{{"chargePermissionId", chargePermissionID}}, body: req}, opts)
}
