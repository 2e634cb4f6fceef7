package amazonpay

import "context"

// BuyerService reads the buyer behind an Amazon Sign-In (the buyerToken
// appended to signInReturnUrl).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/buyer.html
type BuyerService service

// BuyerProfile is what Get Buyer returns. BuyerID is always present; the
// other fields follow the sign-in scopes.
type BuyerProfile struct {
	BuyerID              string   `json:"buyerId"`
	Name                 string   `json:"name,omitempty"`
	Email                string   `json:"email,omitempty"`
	PostalCode           string   `json:"postalCode,omitempty"`
	CountryCode          string   `json:"countryCode,omitempty"`
	PhoneNumber          string   `json:"phoneNumber,omitempty"`
	ShippingAddress      *Address `json:"shippingAddress,omitempty"`
	BillingAddress       *Address `json:"billingAddress,omitempty"`
	PrimeMembershipTypes []string `json:"primeMembershipTypes,omitempty"`
}

// Get exchanges a buyer token for the buyer's profile.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/buyer.html#get-buyer
//
//amazonpay:operation GET /v2/buyers/{buyerToken}
func (s *BuyerService) Get(ctx context.Context, buyerToken string, opts ...RequestOption) (*BuyerProfile, *Response, error) {
	return callInto[BuyerProfile](ctx, s.client, callSpec{op: "GetBuyer",
		params: []pathParam{{"buyerToken", buyerToken}}}, opts)
}
