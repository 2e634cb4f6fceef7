package shop

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// Scope is a permission of an API key.
type Scope string

// List of values that Scope can take.
const (
	// ScopeRead allows GET requests.
	ScopeRead Scope = "read"
	// ScopeWrite allows state changes (authorize, capture, refund, …)
	// and implies read.
	ScopeWrite Scope = "write"
)

// APIKey is a credential for the REST API. Only a SHA-256 hash of its
// secret is stored: the secret is 256 random bits, so a fast hash is enough
// (there is nothing to brute-force, unlike a password) and it lets the store
// verify a key with one indexed lookup.
//
// The token a client sends is "apay_<id>_<secret>": the ID finds the row,
// the secret proves possession. The token is shown once, at creation.
type APIKey struct {
	// ID is the public part of the token (16 hex digits); it may appear in
	// logs.
	ID         string
	Name       string
	SecretHash []byte
	Scopes     []Scope
	CreatedAt  time.Time
	LastUsedAt time.Time
	// RevokedAt is set for revoked keys, which no longer authenticate.
	RevokedAt time.Time
}

// Allows reports whether the key grants scope (write implies read).
func (k *APIKey) Allows(scope Scope) bool {
	for _, s := range k.Scopes {
		if s == scope || (s == ScopeWrite && scope == ScopeRead) {
			return true
		}
	}
	return false
}

// apiKeyPrefix marks shop API tokens, so they are recognisable by secret
// scanners and distinguishable from Amazon Pay key ids.
const apiKeyPrefix = "apay_"

// NewAPIKeyToken makes a new random token and returns it with its ID.
func NewAPIKeyToken() (id, token string) {
	var idb [8]byte
	var secret [32]byte
	_, _ = rand.Read(idb[:]) // crypto/rand.Read never fails (Go 1.24+)
	_, _ = rand.Read(secret[:])
	id = hex.EncodeToString(idb[:])
	return id, apiKeyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
}

// ParseAPIKeyToken splits a token into ID and secret. It returns
// EUNAUTHORIZED for anything malformed, without echoing the token.
func ParseAPIKeyToken(token string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(token, apiKeyPrefix)
	if !ok {
		return "", "", Errorf(EUNAUTHORIZED, "Malformed API key.")
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 16 || len(secret) < 16 || len(secret) > 128 {
		return "", "", Errorf(EUNAUTHORIZED, "Malformed API key.")
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", "", Errorf(EUNAUTHORIZED, "Malformed API key.")
	}
	return id, secret, nil
}

// HashAPIKeySecret is the stored form of a token's secret.
func HashAPIKeySecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// VerifyAPIKeySecret compares secret with the stored hash in constant time.
func VerifyAPIKeySecret(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashAPIKeySecret(secret), hash) == 1
}

// ParseScopes parses "read", "write" or "read,write". It returns EINVALID.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, part := range strings.Split(s, ",") {
		switch sc := Scope(strings.TrimSpace(part)); sc {
		case ScopeRead, ScopeWrite:
			out = append(out, sc)
		default:
			return nil, Errorf(EINVALID, "Unknown API key scope %q.", part)
		}
	}
	return out, nil
}

// APIKeyStore is the API-key part of the store.
type APIKeyStore interface {
	// CreateAPIKey makes a new key and returns it with its token, which is
	// not stored and cannot be shown again. Returns EINVALID for no scopes.
	CreateAPIKey(ctx context.Context, name string, scopes []Scope) (*APIKey, string, error)
	// ImportAPIKey stores (or replaces the secret and scopes of) the key a
	// given token belongs to, e.g. from APAY_API_KEYS at start-up.
	// Returns EUNAUTHORIZED for a malformed token, EINVALID for no scopes.
	ImportAPIKey(ctx context.Context, name, token string, scopes []Scope) (*APIKey, error)
	// AuthenticateAPIKey returns the key a token belongs to and records
	// its use. Returns EUNAUTHORIZED for a malformed, unknown, wrong or
	// revoked token (one message for all, so nothing is revealed).
	AuthenticateAPIKey(ctx context.Context, token string) (*APIKey, error)
	// APIKeys lists keys (without usable secrets), oldest first.
	APIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey revokes a key. Returns ENOTFOUND.
	RevokeAPIKey(ctx context.Context, id string) error
}
