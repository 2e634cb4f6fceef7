package amazonpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
)

// MerchantAccountService handles merchant onboarding (Register/Update/
// Delete Amazon Pay Account) and account management (Create/Update/Claim
// Merchant Account) for solution providers. Register and Create share
// POST /v2/merchantAccounts, and the two updates share the PATCH: Amazon
// Pay tells them apart by the body. Account management calls usually need
// WithHeader("x-amz-pay-authtoken", token).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/merchant-onboarding.html
type MerchantAccountService service

// PhoneNumber is a structured phone number of the onboarding APIs.
type PhoneNumber struct {
	CountryCode string `json:"countryCode,omitempty"`
	Number      string `json:"number,omitempty"`
	Extension   string `json:"extension,omitempty"`
}

// BusinessAddress is an address of the onboarding APIs; unlike Address its
// phone number is structured.
type BusinessAddress struct {
	AddressLine1  string       `json:"addressLine1,omitempty"`
	AddressLine2  string       `json:"addressLine2,omitempty"`
	City          string       `json:"city,omitempty"`
	StateOrRegion string       `json:"stateOrRegion,omitempty"`
	PostalCode    string       `json:"postalCode,omitempty"`
	CountryCode   string       `json:"countryCode,omitempty"`
	PhoneNumber   *PhoneNumber `json:"phoneNumber,omitempty"`
}

// CustomerSupportInformation is how buyers reach the merchant.
type CustomerSupportInformation struct {
	CustomerSupportEmail       string       `json:"customerSupportEmail,omitempty"`
	CustomerSupportPhoneNumber *PhoneNumber `json:"customerSupportPhoneNumber,omitempty"`
}

// BusinessInfo describes the merchant's business.
type BusinessInfo struct {
	Email                      string                      `json:"email,omitempty"`
	BusinessType               string                      `json:"businessType,omitempty"`
	BusinessLegalName          string                      `json:"businessLegalName,omitempty"`
	BusinessCategory           string                      `json:"businessCategory,omitempty"`
	BusinessAddress            *BusinessAddress            `json:"businessAddress,omitempty"`
	BusinessDisplayName        string                      `json:"businessDisplayName,omitempty"`
	AnnualSalesVolume          Price                       `json:"annualSalesVolume,omitzero"`
	CountryOfEstablishment     string                      `json:"countryOfEstablishment,omitempty"`
	CustomerSupportInformation *CustomerSupportInformation `json:"customerSupportInformation,omitempty"`
}

// Person is a contact or beneficial owner.
type Person struct {
	PersonFullName     string           `json:"personFullName,omitempty"`
	ResidentialAddress *BusinessAddress `json:"residentialAddress,omitempty"`
	DateOfBirth        string           `json:"dateOfBirth,omitempty"`
}

// IntegrationInfo holds where Amazon Pay sends notifications.
type IntegrationInfo struct {
	IPNEndpointURLs []string `json:"ipnEndpointUrls,omitempty"`
}

// AccountStatus is the status of a merchant account or store.
type AccountStatus struct {
	StatusProvider string     `json:"statusProvider,omitempty"`
	State          string     `json:"state,omitempty"`
	ReasonCode     ReasonCode `json:"reasonCode,omitempty"`
}

// Store is one web store of a merchant account.
type Store struct {
	DomainURLs       []string       `json:"domainUrls,omitempty"`
	StoreName        string         `json:"storeName,omitempty"`
	PrivacyPolicyURL string         `json:"privacyPolicyUrl,omitempty"`
	StoreStatus      *AccountStatus `json:"storeStatus,omitempty"`
}

// MerchantAccountRequest is the body of Register Amazon Pay Account and
// Create Merchant Account. UniqueReferenceID (the solution provider's own
// id for the merchant) is required.
type MerchantAccountRequest struct {
	UniqueReferenceID    string           `json:"uniqueReferenceId"`
	LedgerCurrency       string           `json:"ledgerCurrency,omitempty"`
	BusinessInfo         *BusinessInfo    `json:"businessInfo,omitempty"`
	BeneficiaryOwners    []Person         `json:"beneficiaryOwners,omitempty"`
	PrimaryContactPerson *Person          `json:"primaryContactPerson,omitempty"`
	IntegrationInfo      *IntegrationInfo `json:"integrationInfo,omitempty"`
	Stores               []Store          `json:"stores,omitempty"`
	MerchantStatus       *AccountStatus   `json:"merchantStatus,omitempty"`
}

func (r *MerchantAccountRequest) validate() error {
	switch {
	case r == nil:
		return &InputError{Field: "request", Reason: "is nil"}
	case r.UniqueReferenceID == "":
		return &InputError{Field: "uniqueReferenceId", Reason: "is required"}
	}
	if r.BusinessInfo != nil && !r.BusinessInfo.AnnualSalesVolume.IsZero() {
		return r.BusinessInfo.AnnualSalesVolume.validate("businessInfo.annualSalesVolume")
	}
	return nil
}

// UpdateMerchantAccountRequest changes the fields set.
type UpdateMerchantAccountRequest struct {
	BusinessInfo         *BusinessInfo    `json:"businessInfo,omitempty"`
	BeneficiaryOwners    []Person         `json:"beneficiaryOwners,omitempty"`
	PrimaryContactPerson *Person          `json:"primaryContactPerson,omitempty"`
	IntegrationInfo      *IntegrationInfo `json:"integrationInfo,omitempty"`
	Stores               []Store          `json:"stores,omitempty"`
	MerchantStatus       *AccountStatus   `json:"merchantStatus,omitempty"`
}

// MerchantAccount is what the onboarding and account management calls
// return.
type MerchantAccount struct {
	MerchantAccountID string         `json:"merchantAccountId,omitempty"`
	UniqueReferenceID string         `json:"uniqueReferenceId,omitempty"`
	MerchantStatus    *AccountStatus `json:"merchantStatus,omitempty"`
}

// ClaimMerchantAccountRequest hands an account to the merchant.
type ClaimMerchantAccountRequest struct {
	UniqueReferenceID string `json:"uniqueReferenceId"`
}

// ClaimMerchantAccountResult is the answer to a claim: usually a 303 whose
// Location the merchant's browser must visit, sometimes a 200 with a body.
type ClaimMerchantAccountResult struct {
	// Location is the 303 redirect target, empty on a 200.
	Location string `json:"location,omitempty"`
	// RedirectURL is the same target when it comes in a 200 body.
	RedirectURL string `json:"redirectUrl,omitempty"`
	// MerchantAccountID and UniqueReferenceID are filled from a JSON body.
	MerchantAccountID string `json:"merchantAccountId,omitempty"`
	UniqueReferenceID string `json:"uniqueReferenceId,omitempty"`
}

// RegisterAmazonPayAccount onboards a new merchant (merchant onboarding
// API).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/merchant-onboarding.html#register-amazon-pay-account
//
//amazonpay:operation POST /v2/merchantAccounts
func (s *MerchantAccountService) RegisterAmazonPayAccount(ctx context.Context, req *MerchantAccountRequest, opts ...RequestOption) (*MerchantAccount, *Response, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	return callInto[MerchantAccount](ctx, s.client, callSpec{op: "RegisterAmazonPayAccount", body: req}, opts)
}

// UpdateAmazonPayAccount changes an onboarded merchant's data.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/merchant-onboarding.html#update-amazon-pay-account
//
//amazonpay:operation PATCH /v2/merchantAccounts/{merchantAccountId}
func (s *MerchantAccountService) UpdateAmazonPayAccount(ctx context.Context, merchantAccountID string, req *UpdateMerchantAccountRequest, opts ...RequestOption) (*MerchantAccount, *Response, error) {
	if req == nil {
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	}
	return callInto[MerchantAccount](ctx, s.client, callSpec{op: "UpdateAmazonPayAccount",
		params: []pathParam{{"merchantAccountId", merchantAccountID}}, body: req}, opts)
}

// DeleteAmazonPayAccount removes an onboarded merchant account.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/merchant-onboarding.html#delete-amazon-pay-account
//
//amazonpay:operation DELETE /v2/merchantAccounts/{merchantAccountId}
func (s *MerchantAccountService) DeleteAmazonPayAccount(ctx context.Context, merchantAccountID string, opts ...RequestOption) (*MerchantAccount, *Response, error) {
	return callInto[MerchantAccount](ctx, s.client, callSpec{op: "DeleteAmazonPayAccount",
		params: []pathParam{{"merchantAccountId", merchantAccountID}}}, opts)
}

// Create creates a merchant account (account management API).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/account-management.html#create-merchant-account
//
//amazonpay:operation POST /v2/merchantAccounts
func (s *MerchantAccountService) Create(ctx context.Context, req *MerchantAccountRequest, opts ...RequestOption) (*MerchantAccount, *Response, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	return callInto[MerchantAccount](ctx, s.client, callSpec{op: "CreateMerchantAccount", body: req}, opts)
}

// Update changes a merchant account (account management API).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/account-management.html#update-merchant-account
//
//amazonpay:operation PATCH /v2/merchantAccounts/{merchantAccountId}
func (s *MerchantAccountService) Update(ctx context.Context, merchantAccountID string, req *UpdateMerchantAccountRequest, opts ...RequestOption) (*MerchantAccount, *Response, error) {
	if req == nil {
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	}
	return callInto[MerchantAccount](ctx, s.client, callSpec{op: "UpdateMerchantAccount",
		params: []pathParam{{"merchantAccountId", merchantAccountID}}, body: req}, opts)
}

// Claim hands a merchant account over to the merchant. A 303 answer is a
// success: send the merchant's browser to result.Location. The default
// HTTP client does not follow redirects, so the 303 arrives here; a custom
// client that follows them returns whatever the target answers.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/account-management.html#claim-merchant-account
//
//amazonpay:operation POST /v2/merchantAccounts/{merchantAccountId}/claim
func (s *MerchantAccountService) Claim(ctx context.Context, merchantAccountID string, req *ClaimMerchantAccountRequest, opts ...RequestOption) (*ClaimMerchantAccountResult, *Response, error) {
	if req == nil || req.UniqueReferenceID == "" {
		return nil, nil, &InputError{Field: "uniqueReferenceId", Reason: "is required"}
	}
	resp, err := s.client.call(ctx, callSpec{op: "ClaimMerchantAccount",
		params: []pathParam{{"merchantAccountId", merchantAccountID}}, body: req}, opts)
	if err != nil {
		return nil, resp, err
	}
	r := &ClaimMerchantAccountResult{}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		r.Location = resp.Header.Get("Location")
		return r, resp, nil
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, r); err != nil {
			return nil, resp, fmt.Errorf("amazonpay: decoding ClaimMerchantAccount response: %w", err)
		}
	}
	return r, resp, nil
}
