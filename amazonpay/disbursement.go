package amazonpay

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// DisbursementService lists the payouts Amazon Pay made to the merchant.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/disbursements.html
type DisbursementService service

// Disbursement is one payout. The official SDKs pass this object through
// untyped; the fields follow the apaykit emulator, and unknown ones are
// ignored.
type Disbursement struct {
	SellerID                      string    `json:"sellerId,omitempty"`
	SettlementID                  string    `json:"settlementId,omitempty"`
	AmazonDisbursementReferenceID string    `json:"amazonDisbursementReferenceId,omitempty"`
	Amount                        string    `json:"amount,omitempty"`
	CurrencyCode                  string    `json:"currencyCode,omitempty"`
	TransactionTime               Timestamp `json:"transactionTime,omitzero"`
}

// Price returns the payout amount as a Price, for MinorUnits.
func (d Disbursement) Price() Price { return Price{Amount: d.Amount, CurrencyCode: d.CurrencyCode} }

// DisbursementList is one page of disbursements; pass NextToken for more.
type DisbursementList struct {
	Disbursements []Disbursement `json:"disbursements"`
	NextToken     string         `json:"nextToken,omitempty"`
}

// GetDisbursementsOptions selects a time window; StartTime and EndTime are
// required by the API.
type GetDisbursementsOptions struct {
	StartTime time.Time
	EndTime   time.Time
	PageSize  int
	NextToken string
}

func (o *GetDisbursementsOptions) values() (url.Values, error) {
	switch {
	case o == nil || o.StartTime.IsZero():
		return nil, &InputError{Field: "startTime", Reason: "is required"}
	case o.EndTime.IsZero():
		return nil, &InputError{Field: "endTime", Reason: "is required"}
	case o.EndTime.Before(o.StartTime):
		return nil, &InputError{Field: "endTime", Reason: "is before startTime"}
	case o.PageSize < 0:
		return nil, &InputError{Field: "pageSize", Reason: "must not be negative"}
	}
	v := url.Values{}
	setTime(v, "startTime", o.StartTime)
	setTime(v, "endTime", o.EndTime)
	if o.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(o.PageSize))
	}
	if o.NextToken != "" {
		v.Set("nextToken", o.NextToken)
	}
	return v, nil
}

// List returns one page of disbursements in the window.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/disbursements.html#get-disbursements
//
//amazonpay:operation GET /v2/disbursements
func (s *DisbursementService) List(ctx context.Context, opts *GetDisbursementsOptions, ropts ...RequestOption) (*DisbursementList, *Response, error) {
	q, err := opts.values()
	if err != nil {
		return nil, nil, err
	}
	return callInto[DisbursementList](ctx, s.client, callSpec{op: "GetDisbursements", query: q}, ropts)
}
