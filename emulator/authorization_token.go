package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// Authorization tokens: a solution provider that holds a v1 (MWS)
// authorization token for a merchant exchanges it for a v2 token, which it
// then sends as x-amz-pay-authtoken when calling on the merchant's behalf.
// The answer is {"authorizationToken": "<HS256 JWT>"}.
//
// Amazon offers this in live only (its throttling table lists no sandbox
// quota); the emulator answers in both environments. It cannot know which
// MWS tokens a real merchant granted, so any well-formed one is accepted.
// The issued token is a JWT whose signature part is random: the emulator
// recognises its tokens by keeping them, not by verifying them.

// authorizationTokenLifetime is how long an issued token is valid (Amazon
// does not document it).
const authorizationTokenLifetime = time.Hour

// mwsAuthTokenRe matches an MWS authorization token
// (amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE).
var mwsAuthTokenRe = regexp.MustCompile(`^amzn\.mws\.[0-9a-zA-Z]{8}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{12}$`)

// merchantIDRe matches an Amazon merchant (seller) id (A3OJ83WFYM72IY).
var merchantIDRe = regexp.MustCompile(`^A[0-9A-Z]{9,20}$`)

// AuthorizationToken is an issued delegation token.
type AuthorizationToken struct {
	Owner
	Token         string    `json:"token"`
	MWSAuthToken  string    `json:"mwsAuthToken"`
	ForMerchantID string    `json:"forMerchantId"`
	Issued        time.Time `json:"issued"`
	Expires       time.Time `json:"expires"`
}

// validateAuthorizationTokenRequest checks the path token and the query.
func validateAuthorizationTokenRequest(mwsAuthToken string, q url.Values) (merchantID string, err *apiError) {
	if err := checkQueryNames(q, "merchantId"); err != nil {
		return "", err
	}
	if !mwsAuthTokenRe.MatchString(mwsAuthToken) {
		return "", errInvalidValue("mwsAuthToken", truncate(mwsAuthToken, 64))
	}
	merchantID, err = singleValue(q, "merchantId")
	if err != nil {
		return "", err
	}
	if merchantID == "" {
		return "", errMissing("merchantId")
	}
	if !merchantIDRe.MatchString(merchantID) {
		return "", errInvalidValue("merchantId", truncate(merchantID, 64))
	}
	return merchantID, nil
}

// issueAuthorizationToken returns a token for the request, reusing one that
// is still valid for at least half its lifetime so repeated GETs do not
// grow the state.
func issueAuthorizationToken(tokens map[string]*AuthorizationToken, o Owner, mwsAuthToken, merchantID string, now time.Time) *AuthorizationToken {
	for _, t := range tokens {
		if t.Owner == o && t.MWSAuthToken == mwsAuthToken && t.ForMerchantID == merchantID &&
			t.Expires.Sub(now) > authorizationTokenLifetime/2 {
			return t
		}
	}
	t := &AuthorizationToken{
		Owner: o, MWSAuthToken: mwsAuthToken, ForMerchantID: merchantID,
		Issued: now, Expires: now.Add(authorizationTokenLifetime),
	}
	t.Token = newJWT(merchantID, o.MerchantID, now, t.Expires)
	return t
}

// pruneAuthorizationTokens forgets expired tokens.
func pruneAuthorizationTokens(tokens map[string]*AuthorizationToken, now time.Time) {
	for k, t := range tokens {
		if !now.Before(t.Expires) {
			delete(tokens, k)
		}
	}
}

// newJWT builds a JWT in the HS256 shape; the signature is 32 random bytes.
func newJWT(subject, issuer string, iat, exp time.Time) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{
		"sub": subject, "iss": issuer, "iat": iat.Unix(), "exp": exp.Unix(), "jti": newUUID(),
	})
	sig := make([]byte, 32)
	_, _ = rand.Read(sig)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig)
}

// authorizationTokenWire is the answer.
type authorizationTokenWire struct {
	AuthorizationToken string `json:"authorizationToken"`
}

// getAuthorizationToken is Get Authorization Token (GET
// /v2/authorizationTokens/{mwsAuthToken}?merchantId=…).
func (s *Server) getAuthorizationToken(r *request) response {
	mws := r.PathValue("mwsAuthToken")
	merchantID, err := validateAuthorizationTokenRequest(mws, r.Query)
	if err != nil {
		return fail(err)
	}
	pruneAuthorizationTokens(s.st.AuthorizationTokens, r.Now)
	t := issueAuthorizationToken(s.st.AuthorizationTokens, r.Owner, mws, merchantID, r.Now)
	s.st.AuthorizationTokens[t.Token] = t
	return ok(http.StatusOK, authorizationTokenWire{AuthorizationToken: t.Token})
}
