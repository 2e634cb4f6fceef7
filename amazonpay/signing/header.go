package signing

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
