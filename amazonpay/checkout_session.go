package amazonpay

import "context"

// CheckoutSessionService handles Checkout Sessions: the object behind one
// buyer's checkout, from the button click to Complete Checkout Session.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/checkout-session.html
type CheckoutSessionService service

// CheckoutSessionState is the state of a Checkout Session.
type CheckoutSessionState string

// List of values that CheckoutSessionState can take.
const (
	CheckoutSessionOpen      CheckoutSessionState = "Open"
	CheckoutSessionCompleted CheckoutSessionState = "Completed"
	CheckoutSessionCanceled  CheckoutSessionState = "Canceled"
)

// PaymentIntent says what Amazon Pay does with the payment at checkout.
type PaymentIntent string

// List of values that PaymentIntent can take.
const (
	// PaymentIntentConfirm only creates a Charge Permission; charge later.
	PaymentIntentConfirm PaymentIntent = "Confirm"
	// PaymentIntentAuthorize authorizes now; capture later.
	PaymentIntentAuthorize PaymentIntent = "Authorize"
	// PaymentIntentAuthorizeWithCapture authorizes and captures at once.
	PaymentIntentAuthorizeWithCapture PaymentIntent = "AuthorizeWithCapture"
)

// ProductType says whether the buyer needs to pick a shipping address.
type ProductType string

// List of values that ProductType can take.
const (
	ProductTypePayAndShip             ProductType = "PayAndShip"
	ProductTypePayOnly                ProductType = "PayOnly"
	ProductTypeSignIn                 ProductType = "SignIn"
	ProductTypePayAndShipMultiAddress ProductType = "PayAndShipMultiAddress"
)

// ChargePermissionType is the kind of consent the buyer gives.
type ChargePermissionType string

// List of values that ChargePermissionType can take.
const (
	ChargePermissionTypeOneTime             ChargePermissionType = "OneTime"
	ChargePermissionTypeRecurring           ChargePermissionType = "Recurring"
	ChargePermissionTypePaymentMethodOnFile ChargePermissionType = "PaymentMethodOnFile"
)

// CheckoutMode selects the one-step, Amazon-hosted checkout.
type CheckoutMode string

// CheckoutModeProcessOrder makes the buyer finish on the Amazon Pay page
// right after the button (requires paymentDetails, and addressDetails for
// PayAndShip).
const CheckoutModeProcessOrder CheckoutMode = "ProcessOrder"

// Scope is a piece of buyer information the merchant asks for.
type Scope string

// List of values that Scope can take.
const (
	ScopeName            Scope = "name"
	ScopeEmail           Scope = "email"
	ScopePhoneNumber     Scope = "phoneNumber"
	ScopeBillingAddress  Scope = "billingAddress"
	ScopePostalCode      Scope = "postalCode"
	ScopeShippingAddress Scope = "shippingAddress"
	ScopePrimeStatus     Scope = "primeStatus"
)

// WebCheckoutDetails holds the URLs of the hosted checkout.
// AmazonPayRedirectURL is set by Amazon Pay once no constraint is left.
type WebCheckoutDetails struct {
	CheckoutReviewReturnURL string       `json:"checkoutReviewReturnUrl,omitempty"`
	CheckoutResultReturnURL string       `json:"checkoutResultReturnUrl,omitempty"`
	CheckoutCancelURL       string       `json:"checkoutCancelUrl,omitempty"`
	AmazonPayRedirectURL    string       `json:"amazonPayRedirectUrl,omitempty"`
	CheckoutMode            CheckoutMode `json:"checkoutMode,omitempty"`
}

// PaymentDetails says how much to charge and how. The boolean fields are
// pointers because on an update "leave as is" and "false" differ.
type PaymentDetails struct {
	PaymentIntent                 PaymentIntent `json:"paymentIntent,omitempty"`
	CanHandlePendingAuthorization *bool         `json:"canHandlePendingAuthorization,omitempty"`
	ChargeAmount                  Price         `json:"chargeAmount,omitzero"`
	TotalOrderAmount              Price         `json:"totalOrderAmount,omitzero"`
	SoftDescriptor                string        `json:"softDescriptor,omitempty"`
	PresentmentCurrency           string        `json:"presentmentCurrency,omitempty"`
	AllowOvercharge               *bool         `json:"allowOvercharge,omitempty"`
	ExtendExpiration              *bool         `json:"extendExpiration,omitempty"`
}

func (d *PaymentDetails) validate(field string) error {
	if d == nil {
		return nil
	}
	if !d.ChargeAmount.IsZero() {
		if err := d.ChargeAmount.validate(field + ".chargeAmount"); err != nil {
			return err
		}
	}
	if !d.TotalOrderAmount.IsZero() {
		return d.TotalOrderAmount.validate(field + ".totalOrderAmount")
	}
	return nil
}

// MultiAddressCheckoutMetadata assigns an amount to one address of a
// PayAndShipMultiAddress checkout.
type MultiAddressCheckoutMetadata struct {
	AddressID string `json:"addressId,omitempty"`
	Price     Price  `json:"price,omitzero"`
}

// CheckoutSession is a Checkout Session as Amazon Pay returns it. Buyer and
// address data are only present while the session is Open; after
// completion read them from the Charge Permission.
type CheckoutSession struct {
	CheckoutSessionID              string                         `json:"checkoutSessionId"`
	WebCheckoutDetails             *WebCheckoutDetails            `json:"webCheckoutDetails,omitempty"`
	ProductType                    ProductType                    `json:"productType,omitempty"`
	PaymentDetails                 *PaymentDetails                `json:"paymentDetails,omitempty"`
	ChargePermissionType           ChargePermissionType           `json:"chargePermissionType,omitempty"`
	RecurringMetadata              *RecurringMetadata             `json:"recurringMetadata,omitempty"`
	MerchantMetadata               *MerchantMetadata              `json:"merchantMetadata,omitempty"`
	SupplementaryData              string                         `json:"supplementaryData,omitempty"`
	Buyer                          *Buyer                         `json:"buyer,omitempty"`
	BillingAddress                 *Address                       `json:"billingAddress,omitempty"`
	ShippingAddress                *Address                       `json:"shippingAddress,omitempty"`
	ShippingAddressList            AddressList                    `json:"shippingAddressList,omitempty"`
	PaymentPreferences             []*PaymentPreference           `json:"paymentPreferences,omitempty"`
	StatusDetails                  *StatusDetails                 `json:"statusDetails,omitempty"`
	PlatformID                     string                         `json:"platformId,omitempty"`
	ChargePermissionID             string                         `json:"chargePermissionId,omitempty"`
	ChargeID                       string                         `json:"chargeId,omitempty"`
	Constraints                    []Constraint                   `json:"constraints,omitempty"`
	CreationTimestamp              Timestamp                      `json:"creationTimestamp,omitzero"`
	ExpirationTimestamp            Timestamp                      `json:"expirationTimestamp,omitzero"`
	StoreID                        string                         `json:"storeId,omitempty"`
	ProviderMetadata               *ProviderMetadata              `json:"providerMetadata,omitempty"`
	ReleaseEnvironment             ReleaseEnvironment             `json:"releaseEnvironment,omitempty"`
	CheckoutButtonText             string                         `json:"checkoutButtonText,omitempty"`
	DeliverySpecifications         *DeliverySpecifications        `json:"deliverySpecifications,omitempty"`
	PaymentMethodOnFileMetadata    *PaymentMethodOnFileMetadata   `json:"paymentMethodOnFileMetadata,omitempty"`
	MultiAddressesCheckoutMetadata []MultiAddressCheckoutMetadata `json:"multiAddressesCheckoutMetadata,omitempty"`
	CheckoutType                   string                         `json:"checkoutType,omitempty"`
}

// State is statusDetails.state, or "" when absent.
func (cs *CheckoutSession) State() CheckoutSessionState {
	if cs == nil || cs.StatusDetails == nil {
		return ""
	}
	return CheckoutSessionState(cs.StatusDetails.State)
}

// CreateCheckoutSessionRequest is the body of Create Checkout Session, and
// also the payload a checkout.js button signs (see Client.SignButtonPayload).
type CreateCheckoutSessionRequest struct {
	WebCheckoutDetails          *WebCheckoutDetails          `json:"webCheckoutDetails,omitempty"`
	StoreID                     string                       `json:"storeId"`
	Scopes                      []Scope                      `json:"scopes,omitempty"`
	ChargePermissionType        ChargePermissionType         `json:"chargePermissionType,omitempty"`
	RecurringMetadata           *RecurringMetadata           `json:"recurringMetadata,omitempty"`
	PaymentDetails              *PaymentDetails              `json:"paymentDetails,omitempty"`
	MerchantMetadata            *MerchantMetadata            `json:"merchantMetadata,omitempty"`
	PlatformID                  string                       `json:"platformId,omitempty"`
	ProviderMetadata            *ProviderMetadata            `json:"providerMetadata,omitempty"`
	DeliverySpecifications      *DeliverySpecifications      `json:"deliverySpecifications,omitempty"`
	AddressDetails              *AddressDetails              `json:"addressDetails,omitempty"`
	PaymentMethodOnFileMetadata *PaymentMethodOnFileMetadata `json:"paymentMethodOnFileMetadata,omitempty"`
}

func (r *CreateCheckoutSessionRequest) validate() error {
	if r == nil {
		return &InputError{Field: "request", Reason: "is nil"}
	}
	if r.StoreID == "" {
		return &InputError{Field: "storeId", Reason: "is required"}
	}
	return r.PaymentDetails.validate("paymentDetails")
}

// UpdateCheckoutSessionRequest is the body of Update Checkout Session; only
// the fields set are changed.
type UpdateCheckoutSessionRequest struct {
	WebCheckoutDetails *WebCheckoutDetails `json:"webCheckoutDetails,omitempty"`
	PaymentDetails     *PaymentDetails     `json:"paymentDetails,omitempty"`
	MerchantMetadata   *MerchantMetadata   `json:"merchantMetadata,omitempty"`
	RecurringMetadata  *RecurringMetadata  `json:"recurringMetadata,omitempty"`
	PlatformID         string              `json:"platformId,omitempty"`
	ProviderMetadata   *ProviderMetadata   `json:"providerMetadata,omitempty"`
	SupplementaryData  string              `json:"supplementaryData,omitempty"`
}

// CompleteCheckoutSessionRequest confirms the checkout. ChargeAmount must
// equal the session's paymentDetails.chargeAmount (else AmountMismatch),
// and TotalOrderAmount must be repeated if it was set.
type CompleteCheckoutSessionRequest struct {
	ChargeAmount     Price `json:"chargeAmount"`
	TotalOrderAmount Price `json:"totalOrderAmount,omitzero"`
}

func (r *CompleteCheckoutSessionRequest) validate() error {
	if r == nil {
		return &InputError{Field: "request", Reason: "is nil"}
	}
	return validateConfirmAmounts(r.ChargeAmount, r.TotalOrderAmount)
}

// validateConfirmAmounts checks the amounts Complete and Finalize repeat:
// chargeAmount is required, totalOrderAmount optional.
func validateConfirmAmounts(charge, total Price) error {
	if err := charge.validate("chargeAmount"); err != nil {
		return err
	}
	if !total.IsZero() {
		return total.validate("totalOrderAmount")
	}
	return nil
}

// FinalizeCheckoutSessionRequest confirms a Buy Now (single-page) checkout
// in place of Complete. The address for the product type must repeat what
// Amazon Pay holds.
type FinalizeCheckoutSessionRequest struct {
	ChargeAmount                  Price         `json:"chargeAmount"`
	TotalOrderAmount              Price         `json:"totalOrderAmount,omitzero"`
	ShippingAddress               *Address      `json:"shippingAddress,omitempty"`
	BillingAddress                *Address      `json:"billingAddress,omitempty"`
	PaymentIntent                 PaymentIntent `json:"paymentIntent,omitempty"`
	CanHandlePendingAuthorization *bool         `json:"canHandlePendingAuthorization,omitempty"`
	SupplementaryData             string        `json:"supplementaryData,omitempty"`
}

func (r *FinalizeCheckoutSessionRequest) validate() error {
	if r == nil {
		return &InputError{Field: "request", Reason: "is nil"}
	}
	return validateConfirmAmounts(r.ChargeAmount, r.TotalOrderAmount)
}

// Create starts a Checkout Session from the server side (the button usually
// does this from the signed payload). A POST: it carries an idempotency key.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/checkout-session.html#create-checkout-session
//
//amazonpay:operation POST /v2/checkoutSessions
func (s *CheckoutSessionService) Create(ctx context.Context, req *CreateCheckoutSessionRequest, opts ...RequestOption) (*CheckoutSession, *Response, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	return callInto[CheckoutSession](ctx, s.client, callSpec{op: "CreateCheckoutSession", body: req}, opts)
}

// Get reads a Checkout Session: buyer, addresses and payment descriptor
// while it is Open, state and ids afterwards.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/checkout-session.html#get-checkout-session
//
//amazonpay:operation GET /v2/checkoutSessions/{checkoutSessionId}
func (s *CheckoutSessionService) Get(ctx context.Context, checkoutSessionID string, opts ...RequestOption) (*CheckoutSession, *Response, error) {
	return callInto[CheckoutSession](ctx, s.client, callSpec{op: "GetCheckoutSession",
		params: []pathParam{{"checkoutSessionId", checkoutSessionID}}}, opts)
}

// Update sets the amount, intent, result URL and order data of an Open
// session. Once nothing is missing, the response carries
// webCheckoutDetails.amazonPayRedirectUrl for the buyer.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/checkout-session.html#update-checkout-session
//
//amazonpay:operation PATCH /v2/checkoutSessions/{checkoutSessionId}
func (s *CheckoutSessionService) Update(ctx context.Context, checkoutSessionID string, req *UpdateCheckoutSessionRequest, opts ...RequestOption) (*CheckoutSession, *Response, error) {
	if req == nil {
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	}
	if err := req.PaymentDetails.validate("paymentDetails"); err != nil {
		return nil, nil, err
	}
	return callInto[CheckoutSession](ctx, s.client, callSpec{op: "UpdateCheckoutSession",
		params: []pathParam{{"checkoutSessionId", checkoutSessionID}}, body: req}, opts)
}

// Complete confirms the checkout after the buyer returned to the result URL.
// 200 means Completed; 202 means the authorization is still pending. On
// ErrCheckoutSessionCanceled, Get the session for the reason and start a
// new one.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/checkout-session.html#complete-checkout-session
//
//amazonpay:operation POST /v2/checkoutSessions/{checkoutSessionId}/complete
func (s *CheckoutSessionService) Complete(ctx context.Context, checkoutSessionID string, req *CompleteCheckoutSessionRequest, opts ...RequestOption) (*CheckoutSession, *Response, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	return callInto[CheckoutSession](ctx, s.client, callSpec{op: "CompleteCheckoutSession",
		params: []pathParam{{"checkoutSessionId", checkoutSessionID}}, body: req}, opts)
}

// Finalize confirms a Buy Now checkout (after checkout.js's
// onCompleteCheckout event), in place of Complete.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/checkout-session.html#finalize-checkout-session
//
//amazonpay:operation POST /v2/checkoutSessions/{checkoutSessionId}/finalize
func (s *CheckoutSessionService) Finalize(ctx context.Context, checkoutSessionID string, req *FinalizeCheckoutSessionRequest, opts ...RequestOption) (*CheckoutSession, *Response, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	return callInto[CheckoutSession](ctx, s.client, callSpec{op: "FinalizeCheckoutSession",
		params: []pathParam{{"checkoutSessionId", checkoutSessionID}}, body: req}, opts)
}
