package shop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// IdempotencyRecord remembers a REST request made with an Idempotency-Key
// header and, once it finished, its response, so that a retried POST gets the
// same answer instead of doing the work twice. Keys are scoped to the API key
// that used them: two clients cannot see or block each other's keys.
type IdempotencyRecord struct {
	APIKeyID string
	Key      string
	// Method and Path of the first request, for the error message when a
	// key is reused elsewhere.
	Method string
	Path   string
	// RequestHash is [HashRequest] of the first request; a retry with a
	// different hash is refused.
	RequestHash string
	// Status is the HTTP status of the stored response; 0 while the first
	// request is still being processed.
	Status int
	// Body is the stored response body (JSON); it must not contain secrets.
	Body []byte
	// LockedUntil is when an unfinished record is considered abandoned (its
	// process died) and may be taken over by a retry.
	LockedUntil time.Time
	CreatedAt   time.Time
	CompletedAt time.Time
}

// Done reports whether the response is stored.
func (r *IdempotencyRecord) Done() bool { return r.Status != 0 }

// HashRequest fingerprints a request for [IdempotencyRecord.RequestHash]:
// SHA-256 over method, path and body, length-prefixed so no two different
// requests can produce the same input.
func HashRequest(method, path string, body []byte) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(method), []byte(path), body} {
		var n [8]byte
		l := uint64(len(part))
		for i := range n {
			n[i] = byte(l >> (56 - 8*i))
		}
		h.Write(n[:])
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// IdempotencyStore is the REST idempotency part of the store.
type IdempotencyStore interface {
	// BeginIdempotentRequest claims rec.Key for rec.APIKeyID (with Method,
	// Path and RequestHash set) for lease. It returns (nil, nil) when the
	// caller should process the request (new key, or an abandoned one taken
	// over), and the stored record when it should replay the stored
	// response instead. Returns EINVALID if the key was used with a
	// different request, ECONFLICT if the first request is still being
	// processed.
	BeginIdempotentRequest(ctx context.Context, rec *IdempotencyRecord, lease time.Duration) (*IdempotencyRecord, error)
	// CompleteIdempotentRequest stores the response of a claimed key.
	// Returns ENOTFOUND if the key is not claimed.
	CompleteIdempotentRequest(ctx context.Context, apiKeyID, key string, status int, body []byte) error
	// AbandonIdempotentRequest releases an unfinished claim (no error if
	// absent), so a retry runs the request again, e.g. after a transient
	// failure that changed nothing.
	AbandonIdempotentRequest(ctx context.Context, apiKeyID, key string) error
	// DeleteIdempotencyRecordsBefore deletes records created before
	// before, returning how many (keys are kept e.g. 24 hours).
	DeleteIdempotencyRecordsBefore(ctx context.Context, before time.Time) (int64, error)
}
