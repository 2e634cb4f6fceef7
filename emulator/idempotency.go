package emulator

import "time"

// idempotencyTTL is how long a stored answer is replayed. Amazon's page says
// keys are stored "indefinitely"; the emulator forgets them after 24 hours of
// emulator time so long-running test servers do not grow without bound
// (documented in docs/emulator.md).
const idempotencyTTL = 24 * time.Hour

// idemRecord is a stored answer to a POST with an idempotency key.
type idemRecord struct {
	Key         string    `json:"key"`
	Fingerprint string    `json:"fingerprint"`
	Status      int       `json:"status"`
	Body        string    `json:"body"`
	Expires     time.Time `json:"expires"`
}

// idemMapKey scopes a key to the merchant and environment.
func idemMapKey(o Owner, key string) string {
	return o.MerchantID + "|" + string(o.Env) + "|" + key
}

// validIdempotencyKey: at most 32 characters from a-z, A-Z, 0-9, - and _.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 32 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
