package emulator

import (
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// Default signature policy.
const (
	// DefaultSkewPast is how old an x-amz-pay-date may be (Amazon's real
	// tolerance is undocumented; SDKs that resend the same date on retry need
	// about 30 s, and AWS uses 15 minutes).
	DefaultSkewPast = 15 * time.Minute
	// DefaultSkewFuture is how far ahead an x-amz-pay-date may be before it
	// is "in future".
	DefaultSkewFuture = 15 * time.Minute
)

// amazonHosts are the real API hosts an x-amz-pay-host may name.
var amazonHosts = map[string]bool{
	"pay-api.amazon.com": true,
	"pay-api.amazon.eu":  true,
	"pay-api.amazon.jp":  true,
}

// regionAliases are the accepted x-amz-pay-region values (any case): the
// SDKs send na/eu/jp, Java upper-case, old Node and PHP the config value.
var regionAliases = map[string]bool{"na": true, "us": true, "eu": true, "de": true, "uk": true, "jp": true}

// authResult is what a verified request tells the pipeline.
type authResult struct {
	key *Key
	env Environment
}

// authenticate verifies the signature with amazonpay/signing, then applies the
// emulator's policy: required signed headers, the date window on the base
// clock, x-amz-pay-host and x-amz-pay-region values, and the environment of
// key and path. pathEnv is "" for /v2/… paths.
func (s *Server) authenticate(r *http.Request, body []byte, pathEnv Environment) (authResult, *apiError) {
	for _, h := range [...]struct{ canonical, name string }{{hdrDate, signing.HeaderDate}, {hdrHost, signing.HeaderHost}, {hdrRegion, signing.HeaderRegion}} {
		if strings.TrimSpace(r.Header.Get(h.canonical)) == "" {
			return authResult{}, errorf(http.StatusBadRequest, codeMissingHeader, "The header '%s' is missing.", h.name)
		}
	}
	v, err := signing.VerifyRequest(r, body, s.keys.lookup)
	if err != nil {
		return authResult{}, signingError(err, r)
	}
	key := s.keys.get(v.Authorization.PublicKeyID)
	if key == nil { // removed between verification and now
		return authResult{}, errorf(http.StatusUnauthorized, codeUnauthorizedAccess, "The public key id '%s' is not registered with this emulator.", v.Authorization.PublicKeyID)
	}

	signedNames := v.Authorization.SignedHeaderNames()
	signed := func(name string) bool { return slices.Contains(signedNames, name) }
	for _, h := range []string{signing.HeaderDate, signing.HeaderHost, signing.HeaderRegion} {
		if !signed(h) {
			return authResult{}, errorf(http.StatusForbidden, codeInvalidRequestSignature, "The header '%s' must be signed; SignedHeaders is '%s'.", h, v.Authorization.SignedHeaders)
		}
	}
	if r.Header.Get(hdrIdempotencyKey) != "" && !signed(signing.HeaderIdempotencyKey) {
		return authResult{}, errorf(http.StatusForbidden, codeInvalidRequestSignature, "The header '%s' must be signed when it is sent.", signing.HeaderIdempotencyKey)
	}

	if v.Date.IsZero() {
		return authResult{}, errorf(http.StatusBadRequest, codeInvalidHeaderValue, "The value %s provided for x-amz-pay-date is invalid.", v.RawDate)
	}
	now := s.clock.baseNow()
	if v.Date.After(now.Add(s.skewFuture)) {
		return authResult{}, errorf(http.StatusBadRequest, codeInvalidHeaderValue, "The value %s provided for x-amz-pay-date should not be in future", v.RawDate)
	}
	if v.Date.Before(now.Add(-s.skewPast)) {
		return authResult{}, errorf(http.StatusBadRequest, codeInvalidHeaderValue, "The value %s provided for x-amz-pay-date is more than %s in the past", v.RawDate, s.skewPast)
	}
	if host := strings.TrimSpace(r.Header.Get(hdrHost)); !s.acceptHost(host, r.Host) {
		return authResult{}, errorf(http.StatusBadRequest, codeInvalidHeaderValue, "The value %s provided for x-amz-pay-host is invalid.", host)
	}
	if region := strings.TrimSpace(r.Header.Get(hdrRegion)); !regionAliases[strings.ToLower(region)] {
		return authResult{}, errorf(http.StatusBadRequest, codeInvalidHeaderValue, "The value %s provided for x-amz-pay-region is invalid.", region)
	}

	env, apiErr := resolveEnv(key, pathEnv)
	if apiErr != nil {
		return authResult{}, apiErr
	}
	return authResult{key: key, env: env}, nil
}

// resolveEnv combines the key's environment (LIVE-/SANDBOX- prefix) with the
// path's (/live, /sandbox). A mismatch is 401 UnauthorizedAccess: the key is
// not authorised for that environment.
func resolveEnv(key *Key, pathEnv Environment) (Environment, *apiError) {
	keyEnv := key.Env()
	switch {
	case keyEnv != "" && pathEnv != "" && keyEnv != pathEnv:
		return "", errorf(http.StatusUnauthorized, codeUnauthorizedAccess, "The public key id '%s' is a %s key and cannot be used in the %s environment.", key.PublicKeyID, keyEnv, pathEnv)
	case keyEnv != "":
		return keyEnv, nil
	case pathEnv != "":
		return pathEnv, nil
	}
	return "", errorf(http.StatusBadRequest, codeInvalidRequest, "The public key id '%s' is not environment specific; call /live/v2/… or /sandbox/v2/….", key.PublicKeyID)
}

// acceptHost reports whether x-amz-pay-host names the emulator (the Host the
// client connected to, with or without its port, or a configured extra
// host) or one of Amazon's API hosts.
func (s *Server) acceptHost(value, requestHost string) bool {
	if value == "" {
		return false
	}
	v := strings.ToLower(value)
	if amazonHosts[v] {
		return true
	}
	own := strings.ToLower(requestHost)
	if v == own || hostOnly(v) == hostOnly(own) {
		return true
	}
	for _, h := range s.hosts {
		if v == h || hostOnly(v) == h {
			return true
		}
	}
	return false
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]")
	}
	return strings.Trim(hostport, "[]")
}

// signingError maps a signing failure to Amazon's status and reasonCode.
func signingError(err error, r *http.Request) *apiError {
	var se *signing.Error
	if !errors.As(err, &se) {
		return errorf(http.StatusForbidden, codeInvalidRequestSignature, "Unable to verify signature.")
	}
	switch se.Kind {
	case signing.KindMissingAuthorization:
		return errorf(http.StatusBadRequest, codeMissingHeader, "The header 'authorization' is missing.")
	case signing.KindUnknownKey:
		auth, _ := signing.ParseAuthorization(r.Header.Get("Authorization"))
		return errorf(http.StatusUnauthorized, codeUnauthorizedAccess, "The public key id '%s' is not registered with this emulator.", truncate(auth.PublicKeyID, 64))
	case signing.KindMissingSignedHeader:
		return errorf(http.StatusBadRequest, codeMissingHeader, "A header named in SignedHeaders is missing: %s.", truncate(se.Detail, 120))
	case signing.KindBadSignature:
		return errorf(http.StatusForbidden, codeInvalidRequestSignature, "Unable to verify signature, signing String [%s] , signature [%s]", se.StringToSign, truncate(se.Signature, 1024))
	}
	// Malformed header or unknown algorithm.
	return errorf(http.StatusBadRequest, codeInvalidHeaderValue, "The value provided for authorization is invalid: %s.", truncate(strings.TrimPrefix(se.Detail, "signing: "), 120))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
