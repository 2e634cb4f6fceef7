package signing

import "net/http"

// Header names used by the protocol, lower-cased as they appear in canonical
// requests.
const (
	HeaderAuthorization  = "authorization"
	HeaderAccept         = "accept"
	HeaderContentType    = "content-type"
	HeaderDate           = "x-amz-pay-date"
	HeaderHost           = "x-amz-pay-host"
	HeaderRegion         = "x-amz-pay-region"
	HeaderIdempotencyKey = "x-amz-pay-idempotency-key"
	HeaderRequestID      = "x-amz-pay-request-id"
	HeaderAuthToken      = "x-amz-pay-authtoken"
	HeaderSimulationCode = "x-amz-pay-simulation-code"
)

// canonicalKey is http.CanonicalHeaderKey without an allocation for the
// protocol's own header names, which every signed request carries and
// every verification looks up (canonicalising a lower-case name builds a
// new string each time).
func canonicalKey(name string) string {
	switch name {
	case HeaderAccept:
		return "Accept"
	case HeaderContentType:
		return "Content-Type"
	case HeaderDate:
		return "X-Amz-Pay-Date"
	case HeaderHost:
		return "X-Amz-Pay-Host"
	case HeaderRegion:
		return "X-Amz-Pay-Region"
	case HeaderIdempotencyKey:
		return "X-Amz-Pay-Idempotency-Key"
	case HeaderAuthToken:
		return "X-Amz-Pay-Authtoken"
	case HeaderSimulationCode:
		return "X-Amz-Pay-Simulation-Code"
	}
	return http.CanonicalHeaderKey(name)
}
