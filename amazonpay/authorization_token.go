package amazonpay

import (
	"context"
	"net/url"
)

// AuthorizationTokenService lets a solution provider exchange a merchant's
// MWS auth token for an Amazon Pay API v2 delegation token, which it then
// sends as WithHeader("x-amz-pay-authtoken", token). Live environment only.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/authorization-tokens.html
type AuthorizationTokenService service

// AuthorizationToken is the delegation token. Treat it as a secret.
type AuthorizationToken struct {
	AuthorizationToken string `json:"authorizationToken"`
}

// String hides the token so that logging the struct does not leak it.
func (t AuthorizationToken) String() string { return "AuthorizationToken{[redacted]}" }

// Get exchanges mwsAuthToken for merchantID.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/authorization-tokens.html#get-authorization-token
//
//amazonpay:operation GET /v2/authorizationTokens/{mwsAuthToken}
func (s *AuthorizationTokenService) Get(ctx context.Context, mwsAuthToken, merchantID string, opts ...RequestOption) (*AuthorizationToken, *Response, error) {
	if err := validateID("merchantId", merchantID); err != nil {
		return nil, nil, err
	}
	return callInto[AuthorizationToken](ctx, s.client, callSpec{op: "GetAuthorizationToken",
		params: []pathParam{{"mwsAuthToken", mwsAuthToken}},
		query:  url.Values{"merchantId": {merchantID}}}, opts)
}
