package amazonpay

import "context"

// InStoreService handles the In-Store API: scanning a buyer's Amazon Pay
// code at a point of sale, then charging and refunding it. Production use
// needs enablement by an Amazon Pay account manager.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-instore/introduction.html
type InStoreService service

// InStoreMetadata is the merchant's data on an in-store transaction.
type InStoreMetadata struct {
	MerchantNote         string                `json:"merchantNote,omitempty"`
	CustomInformation    string                `json:"customInformation,omitempty"`
	CommunicationContext *CommunicationContext `json:"communicationContext,omitempty"`
}

// CommunicationContext is shown to the buyer.
type CommunicationContext struct {
	MerchantStoreName string `json:"merchantStoreName,omitempty"`
	MerchantOrderID   string `json:"merchantOrderId,omitempty"`
}

// StoreLocation says where the scan happened.
type StoreLocation struct {
	CountryCode string `json:"countryCode,omitempty"`
}

// MerchantScanRequest turns a scanned code into a Charge Permission.
type MerchantScanRequest struct {
	ScanData        string           `json:"scanData"`
	ScanReferenceID string           `json:"scanReferenceId"`
	MerchantCOE     string           `json:"merchantCOE"`
	LedgerCurrency  string           `json:"ledgerCurrency"`
	ChargeTotal     Price            `json:"chargeTotal,omitzero"`
	StoreLocation   *StoreLocation   `json:"storeLocation,omitempty"`
	Metadata        *InStoreMetadata `json:"metadata,omitempty"`
}

// MerchantScanResult carries the Charge Permission for the scanned buyer.
type MerchantScanResult struct {
	ChargePermissionID string `json:"chargePermissionId"`
}

// InStoreChargeRequest charges a scanned buyer.
type InStoreChargeRequest struct {
	ChargePermissionID string           `json:"chargePermissionId"`
	ChargeReferenceID  string           `json:"chargeReferenceId"`
	ChargeTotal        Price            `json:"chargeTotal"`
	SoftDescriptor     string           `json:"softDescriptor,omitempty"`
	Metadata           *InStoreMetadata `json:"metadata,omitempty"`
}

// TransactionStatus is the state of an in-store charge or refund.
type TransactionStatus struct {
	State string `json:"state,omitempty"`
}

// InStoreCharge is the result of an in-store charge.
type InStoreCharge struct {
	ChargeID     string             `json:"chargeId"`
	ChargeStatus *TransactionStatus `json:"chargeStatus,omitempty"`
}

// InStoreRefundRequest refunds an in-store charge.
type InStoreRefundRequest struct {
	ChargeID          string           `json:"chargeId"`
	RefundReferenceID string           `json:"refundReferenceId"`
	RefundTotal       Price            `json:"refundTotal"`
	SoftDescriptor    string           `json:"softDescriptor,omitempty"`
	Metadata          *InStoreMetadata `json:"metadata,omitempty"`
}

// InStoreRefund is the result of an in-store refund.
type InStoreRefund struct {
	RefundID     string             `json:"refundId"`
	RefundStatus *TransactionStatus `json:"refundStatus,omitempty"`
}

// MerchantScan resolves a scanned buyer code to a Charge Permission.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-instore/merchant-scan.html
//
//amazonpay:operation POST /v2/in-store/merchantScan
func (s *InStoreService) MerchantScan(ctx context.Context, req *MerchantScanRequest, opts ...RequestOption) (*MerchantScanResult, *Response, error) {
	switch {
	case req == nil:
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	case req.ScanData == "":
		return nil, nil, &InputError{Field: "scanData", Reason: "is required"}
	case req.ScanReferenceID == "":
		return nil, nil, &InputError{Field: "scanReferenceId", Reason: "is required"}
	}
	if !req.ChargeTotal.IsZero() {
		if err := req.ChargeTotal.validate("chargeTotal"); err != nil {
			return nil, nil, err
		}
	}
	return callInto[MerchantScanResult](ctx, s.client, callSpec{op: "MerchantScan", body: req}, opts)
}

// Charge charges a buyer found by MerchantScan.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-instore/charge.html
//
//amazonpay:operation POST /v2/in-store/charge
func (s *InStoreService) Charge(ctx context.Context, req *InStoreChargeRequest, opts ...RequestOption) (*InStoreCharge, *Response, error) {
	if req == nil {
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	}
	if err := validateID("chargePermissionId", req.ChargePermissionID); err != nil {
		return nil, nil, err
	}
	if err := req.ChargeTotal.validate("chargeTotal"); err != nil {
		return nil, nil, err
	}
	return callInto[InStoreCharge](ctx, s.client, callSpec{op: "InStoreCharge", body: req}, opts)
}

// Refund refunds an in-store charge.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-instore/refund.html
//
//amazonpay:operation POST /v2/in-store/refund
func (s *InStoreService) Refund(ctx context.Context, req *InStoreRefundRequest, opts ...RequestOption) (*InStoreRefund, *Response, error) {
	if req == nil {
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	}
	if err := validateID("chargeId", req.ChargeID); err != nil {
		return nil, nil, err
	}
	if err := req.RefundTotal.validate("refundTotal"); err != nil {
		return nil, nil, err
	}
	return callInto[InStoreRefund](ctx, s.client, callSpec{op: "InStoreRefund", body: req}, opts)
}
