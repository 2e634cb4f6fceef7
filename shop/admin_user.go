package shop

import (
	"context"
	"strings"
	"time"
)

// AdminUser is a back-office user. The store keeps a bcrypt hash of the
// password (cost 12). bcrypt rather than argon2id because its hash string is
// self-describing (algorithm, cost and salt in one value, so the cost can be
// raised later without a schema change), it needs no memory tuning (argon2id
// is only stronger with tens of MiB per hash, which on a small Lambda or a
// 2-core box turns login attempts into a memory-exhaustion vector), and
// golang.org/x/crypto/bcrypt has one obviously-correct API. Its 72-byte input
// limit is enforced (longer passwords are refused, not truncated).
type AdminUser struct {
	Username     string
	PasswordHash []byte
	CreatedAt    time.Time
	LastLoginAt  time.Time
}

// MinPasswordLength and MaxPasswordLength bound admin passwords (the upper
// bound is bcrypt's input limit).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 72
)

// ValidateAdminCredentials checks a username (3–64 characters of
// [a-z0-9._-], lower-cased) and a password (12–72 bytes). It returns
// the normalised username or EINVALID.
func ValidateAdminCredentials(username, password string) (string, error) {
	u := strings.ToLower(strings.TrimSpace(username))
	if len(u) < 3 || len(u) > 64 {
		return "", Errorf(EINVALID, "Username must be 3 to 64 characters.")
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", Errorf(EINVALID, "Username may contain only letters, digits, '.', '_' and '-'.")
		}
	}
	if len(password) < MinPasswordLength || len(password) > MaxPasswordLength {
		return "", Errorf(EINVALID, "Password must be %d to %d bytes.", MinPasswordLength, MaxPasswordLength)
	}
	return u, nil
}

// AdminUserStore is the admin-user part of the store.
type AdminUserStore interface {
	// CreateAdminUser stores a user with a hash of password. Returns
	// EINVALID, ECONFLICT for an existing username.
	CreateAdminUser(ctx context.Context, username, password string) (*AdminUser, error)
	// SetAdminPassword replaces a user's password. Returns ENOTFOUND,
	// EINVALID.
	SetAdminPassword(ctx context.Context, username, password string) error
	// AuthenticateAdmin checks a username and password and records the
	// login. Returns EUNAUTHORIZED (one message, and the same work, for an
	// unknown user and a wrong password).
	AuthenticateAdmin(ctx context.Context, username, password string) (*AdminUser, error)
}
