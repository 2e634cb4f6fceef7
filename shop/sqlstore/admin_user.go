package sqlstore

import (
	"context"
	"database/sql"

	"golang.org/x/crypto/bcrypt"

	"github.com/apaykit/apaykit/shop"
)

// DefaultPasswordCost is the bcrypt work factor of admin password hashes
// (a few hundred milliseconds on a small machine): slow enough to make
// offline guessing expensive, fast enough for an interactive login. Stored
// hashes carry their cost, so raising it later needs no migration.
const DefaultPasswordCost = 12

// passwordCost is DB.PasswordCost or the default.
func (c *conn) passwordCost() int {
	if c.db.PasswordCost >= bcrypt.MinCost {
		return c.db.PasswordCost
	}
	return DefaultPasswordCost
}

// dummyHash is compared against when a username does not exist, so an
// unknown user costs the same time as a wrong password.
func (c *conn) dummyHash() []byte {
	c.db.dummyOnce.Do(func() {
		c.db.dummy, _ = bcrypt.GenerateFromPassword([]byte("apaykit-dummy-password"), c.passwordCost())
	})
	return c.db.dummy
}

// CreateAdminUser implements [shop.AdminUserStore].
func (c *conn) CreateAdminUser(ctx context.Context, username, password string) (*shop.AdminUser, error) {
	u, err := shop.ValidateAdminCredentials(username, password)
	if err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), c.passwordCost())
	if err != nil {
		return nil, wrap("hash password", err)
	}
	now := c.now()
	res, err := c.q.ExecContext(ctx, `INSERT INTO admin_users (username, password_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		u, hash, us(now))
	if err != nil {
		return nil, wrap("create admin user", err)
	}
	if n, _ := affected(res); n == 0 {
		return nil, shop.Errorf(shop.ECONFLICT, "User %q exists.", u)
	}
	return &shop.AdminUser{Username: u, PasswordHash: hash, CreatedAt: now}, nil
}

// SetAdminPassword implements [shop.AdminUserStore].
func (c *conn) SetAdminPassword(ctx context.Context, username, password string) error {
	u, err := shop.ValidateAdminCredentials(username, password)
	if err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), c.passwordCost())
	if err != nil {
		return wrap("hash password", err)
	}
	res, err := c.q.ExecContext(ctx, `UPDATE admin_users SET password_hash = $1 WHERE username = $2`, hash, u)
	if err != nil {
		return wrap("set admin password", err)
	}
	if n, _ := affected(res); n == 0 {
		return shop.Errorf(shop.ENOTFOUND, "User %q not found.", u)
	}
	return nil
}

// AuthenticateAdmin implements [shop.AdminUserStore].
func (c *conn) AuthenticateAdmin(ctx context.Context, username, password string) (*shop.AdminUser, error) {
	deny := shop.Errorf(shop.EUNAUTHORIZED, "Wrong username or password.")
	var u shop.AdminUser
	err := c.q.QueryRowContext(ctx, `SELECT username, password_hash, created_at, last_login_at FROM admin_users WHERE username = $1`,
		normaliseUsername(username)).Scan(&u.Username, &u.PasswordHash, tm(&u.CreatedAt), tm(&u.LastLoginAt))
	if err == sql.ErrNoRows {
		_ = bcrypt.CompareHashAndPassword(c.dummyHash(), []byte(password))
		return nil, deny
	}
	if err != nil {
		return nil, wrap("authenticate admin", err)
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) != nil {
		return nil, deny
	}
	now := c.now()
	if _, err := c.q.ExecContext(ctx, `UPDATE admin_users SET last_login_at = $1 WHERE username = $2`, us(now), u.Username); err != nil {
		return nil, wrap("authenticate admin", err)
	}
	u.LastLoginAt = now
	return &u, nil
}

func normaliseUsername(s string) string {
	u, err := shop.ValidateAdminCredentials(s, "xxxxxxxxxxxxxxxx")
	if err != nil {
		return s
	}
	return u
}
