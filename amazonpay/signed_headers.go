package amazonpay

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// SignedHeaders signs a request the caller sends with its own HTTP stack,
// like the Node SDK's getSignedHeaders, and returns every header to send:
// accept and content-type (unless given), x-amz-pay-date, x-amz-pay-host,
// x-amz-pay-region, the caller's headers, and authorization. All of them
// except authorization are signed.
//
// rawURL is either a full URL (its host:port becomes x-amz-pay-host) or a
// path such as "/sandbox/v2/charges/S01-…" (the client's host is used).
// The path is signed exactly as escaped in rawURL. The query is signed in
// canonical form (RFC 3986, sorted; see signing.CanonicalQuery), so send it
// that way. body must be the exact bytes sent. An idempotency key in
// headers is validated; none is added, because only the caller can reuse
// it on a retry.
func (c *Client) SignedHeaders(method, rawURL string, body []byte, headers http.Header) (http.Header, error) {
	if method == "" || !validHeaderName(method) || strings.ToUpper(method) != method {
		return nil, &InputError{Field: "method", Reason: "must be an upper-case HTTP method"}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &InputError{Field: "url", Reason: "does not parse"}
	}
	host := c.host
	if u.IsAbs() {
		if u.Host == "" {
			return nil, &InputError{Field: "url", Reason: "has no host"}
		}
		host = u.Host
	}
	path := u.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		return nil, &InputError{Field: "url", Reason: "path must start with /"}
	}
	h := make(http.Header, len(headers)+6)
	for name, values := range headers {
		lname := strings.ToLower(name)
		switch {
		case !validHeaderName(name):
			return nil, &InputError{Field: "header", Reason: "name " + truncate(name, 40) + " is not a valid header name"}
		case lname == signing.HeaderAuthorization:
			return nil, &InputError{Field: "header", Reason: "authorization is computed, not given"}
		case lname == signing.HeaderDate || lname == signing.HeaderHost || lname == signing.HeaderRegion:
			continue // always the client's own values
		}
		for _, v := range values {
			if !validHeaderValue(v) {
				return nil, &InputError{Field: "header", Reason: "value of " + lname + " contains control characters"}
			}
			h.Add(name, v)
		}
	}
	if key := h.Get(signing.HeaderIdempotencyKey); key != "" {
		if err := ValidateIdempotencyKey(key); err != nil {
			return nil, err
		}
	}
	if h.Get(signing.HeaderAccept) == "" {
		h.Set(signing.HeaderAccept, "application/json")
	}
	if h.Get(signing.HeaderContentType) == "" {
		h.Set(signing.HeaderContentType, "application/json")
	}
	h.Set(signing.HeaderDate, signing.FormatDate(c.now()))
	h.Set(signing.HeaderHost, host)
	h.Set(signing.HeaderRegion, string(c.region))
	auth, err := c.signer.Authorization(method, path, signing.CanonicalQuery(u.Query()), h, body)
	if err != nil {
		return nil, err
	}
	h.Set(signing.HeaderAuthorization, auth)
	return h, nil
}
