package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// lastUsedGranularity limits how often AuthenticateAPIKey writes last_used_at:
// a write per request would serialise every read request on SQLite.
const lastUsedGranularity = time.Minute

// CreateAPIKey implements [shop.APIKeyStore].
func (c *conn) CreateAPIKey(ctx context.Context, name string, scopes []shop.Scope) (*shop.APIKey, string, error) {
	_, token := shop.NewAPIKeyToken()
	k, err := c.ImportAPIKey(ctx, name, token, scopes)
	if err != nil {
		return nil, "", err
	}
	return k, token, nil
}

// ImportAPIKey implements [shop.APIKeyStore].
func (c *conn) ImportAPIKey(ctx context.Context, name, token string, scopes []shop.Scope) (*shop.APIKey, error) {
	id, secret, err := shop.ParseAPIKeyToken(token)
	if err != nil {
		return nil, err
	}
	if len(scopes) == 0 {
		return nil, shop.Errorf(shop.EINVALID, "An API key needs at least one scope.")
	}
	k := &shop.APIKey{ID: id, Name: name, SecretHash: shop.HashAPIKeySecret(secret), Scopes: scopes}
	err = c.q.QueryRowContext(ctx, `
		INSERT INTO api_keys (id, name, secret_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash,
			scopes = excluded.scopes, revoked_at = NULL
		RETURNING created_at`,
		k.ID, k.Name, k.SecretHash, joinScopes(scopes), us(c.now())).Scan(tm(&k.CreatedAt))
	if err != nil {
		return nil, wrap("import api key", err)
	}
	return k, nil
}

// AuthenticateAPIKey implements [shop.APIKeyStore].
func (c *conn) AuthenticateAPIKey(ctx context.Context, token string) (*shop.APIKey, error) {
	deny := shop.Errorf(shop.EUNAUTHORIZED, "Invalid API key.")
	id, secret, err := shop.ParseAPIKeyToken(token)
	if err != nil {
		return nil, deny
	}
	k, err := c.apiKey(ctx, id)
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		shop.VerifyAPIKeySecret(secret, make([]byte, 32)) // same work as a wrong secret
		return nil, deny
	}
	if err != nil {
		return nil, err
	}
	if !shop.VerifyAPIKeySecret(secret, k.SecretHash) || !k.RevokedAt.IsZero() {
		return nil, deny
	}
	now := c.now()
	if now.Sub(k.LastUsedAt) >= lastUsedGranularity {
		if _, err := c.q.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, us(now), id); err != nil {
			return nil, wrap("api key last used", err)
		}
		k.LastUsedAt = now
	}
	return k, nil
}

// APIKeys implements [shop.APIKeyStore].
func (c *conn) APIKeys(ctx context.Context) ([]*shop.APIKey, error) {
	rows, err := c.q.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, wrap("api keys", err)
	}
	defer rows.Close()
	var out []*shop.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, wrap("api keys", err)
		}
		k.SecretHash = nil
		out = append(out, k)
	}
	return out, wrap("api keys", rows.Err())
}

// RevokeAPIKey implements [shop.APIKeyStore].
func (c *conn) RevokeAPIKey(ctx context.Context, id string) error {
	res, err := c.q.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2`, us(c.now()), id)
	if err != nil {
		return wrap("revoke api key", err)
	}
	if n, _ := affected(res); n == 0 {
		return shop.Errorf(shop.ENOTFOUND, "API key %s not found.", id)
	}
	return nil
}

const apiKeyColumns = `id, name, secret_hash, scopes, created_at, last_used_at, revoked_at`

func (c *conn) apiKey(ctx context.Context, id string) (*shop.APIKey, error) {
	k, err := scanAPIKey(c.q.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = $1`, id))
	return k, wrap("api key", notFound(err, "API key not found."))
}

func scanAPIKey(s scanner) (*shop.APIKey, error) {
	var k shop.APIKey
	var scopes string
	if err := s.Scan(&k.ID, &k.Name, &k.SecretHash, &scopes, tm(&k.CreatedAt), tm(&k.LastUsedAt), tm(&k.RevokedAt)); err != nil {
		return nil, err
	}
	for _, sc := range strings.Split(scopes, ",") {
		if sc != "" {
			k.Scopes = append(k.Scopes, shop.Scope(sc))
		}
	}
	return &k, nil
}

func joinScopes(scopes []shop.Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, ",")
}
