package restapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/apaykit/apaykit/action"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
)

// keyContext carries the authenticated API key.
type keyContext struct{}

// apiKeyOf returns the request's authenticated key.
func apiKeyOf(ctx context.Context) *shop.APIKey {
	k, _ := ctx.Value(keyContext{}).(*shop.APIKey)
	return k
}

// challenge is sent with every 401, naming both schemes.
const challenge = `Basic realm="apaykit", charset="UTF-8", Bearer realm="apaykit"`

// auth admits requests with an API key that has scope.
func (a *API) auth(scope shop.Scope, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := credentials(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", challenge)
			writeError(w, &payments.Error{Status: http.StatusUnauthorized, Code: "rest_unauthorized",
				Message: "Authentication required: an API key as HTTP Basic (key:secret) or Bearer token."})
			return
		}
		key, err := a.authenticate(r.Context(), token)
		if err != nil {
			if shop.ErrorCode(err) != shop.EUNAUTHORIZED {
				a.log.LogAttrs(r.Context(), slog.LevelError, "restapi: authenticating", slog.String("err", err.Error()))
				writeError(w, err)
				return
			}
			w.Header().Set("WWW-Authenticate", challenge)
			writeError(w, &payments.Error{Status: http.StatusUnauthorized, Code: "rest_unauthorized", Message: "Invalid API key."})
			return
		}
		if !key.Allows(scope) {
			writeError(w, &payments.Error{Status: http.StatusForbidden, Code: "rest_forbidden",
				Message: "This API key does not have the " + string(scope) + " scope."})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyContext{}, key)))
	})
}

// authenticate checks a token with the store, remembering keys it
// accepted for AuthCacheTTL so that a busy client costs one lookup per
// TTL, not one per request. The cache is keyed by a hash of the token and
// holds no secret; a revoked key stops working within the TTL.
func (a *API) authenticate(ctx context.Context, token string) (*shop.APIKey, error) {
	if a.cfg.AuthCacheTTL < 0 {
		return a.store.AuthenticateAPIKey(ctx, token)
	}
	h := sha256.Sum256([]byte(token))
	now := time.Now()
	a.authMu.Lock()
	c, ok := a.authCache[h]
	a.authMu.Unlock()
	if ok && now.Before(c.until) {
		return c.key, nil
	}
	key, err := a.store.AuthenticateAPIKey(ctx, token)
	if err != nil {
		return nil, err
	}
	a.authMu.Lock()
	if len(a.authCache) >= maxAuthCache {
		clear(a.authCache)
	}
	a.authCache[h] = cachedKey{key: key, until: now.Add(a.cfg.AuthCacheTTL)}
	a.authMu.Unlock()
	return key, nil
}

// maxAuthCache bounds the remembered keys.
const maxAuthCache = 10000

// cachedKey is an accepted key and until when it is trusted.
type cachedKey struct {
	key   *shop.APIKey
	until time.Time
}

// credentials extracts the API token from an Authorization header:
// "Bearer <token>", or "Basic base64(user:password)" where user is the
// key ("apay_<id>") and password its secret, or user the whole token and
// the password empty.
func credentials(header string) (string, bool) {
	scheme, value, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok {
		return "", false
	}
	value = strings.TrimSpace(value)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return value, value != ""
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return "", false
		}
		user, pass, _ := strings.Cut(string(raw), ":")
		if pass == "" {
			return user, user != ""
		}
		return user + "_" + pass, user != ""
	}
	return "", false
}

// KeySpec is one API key from APAY_API_KEYS.
type KeySpec struct {
	Token  string
	Scopes []shop.Scope
}

// ParseAPIKeys reads APAY_API_KEYS for the shop: entries separated by
// commas or whitespace (the splitting of [action.ParseAPIKeys], which
// reads the same variable), each a token "apay_<id>_<secret>" optionally
// followed by ":read" or ":write" (the default: an operator's key). Entries
// that are not shop tokens (keys meant for the action runner) are
// returned in skipped, by position only — never echoed.
func ParseAPIKeys(env string) (keys []KeySpec, skipped []int, err error) {
	for i, entry := range action.ParseAPIKeys(env) {
		token, scope, hasScope := strings.Cut(entry, ":")
		scopes := []shop.Scope{shop.ScopeWrite}
		if hasScope {
			if scopes, err = shop.ParseScopes(scope); err != nil {
				return nil, nil, err
			}
		}
		if _, _, err := shop.ParseAPIKeyToken(token); err != nil {
			skipped = append(skipped, i+1)
			continue
		}
		keys = append(keys, KeySpec{Token: token, Scopes: scopes})
	}
	return keys, skipped, nil
}

// ImportAPIKeys stores the keys of APAY_API_KEYS (see [ParseAPIKeys]), so
// a shop can be started with known keys; it logs the skipped entries'
// positions.
func ImportAPIKeys(ctx context.Context, store shop.APIKeyStore, env string, log *slog.Logger) error {
	keys, skipped, err := ParseAPIKeys(env)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := store.ImportAPIKey(ctx, "APAY_API_KEYS", k.Token, k.Scopes); err != nil {
			return err
		}
	}
	if len(skipped) > 0 && log != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "restapi: APAY_API_KEYS entries that are not shop API keys (apay_<id>_<secret>) were skipped",
			slog.Any("positions", skipped))
	}
	return nil
}
