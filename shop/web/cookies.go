package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cookie names. Over https they carry the __Host- prefix, which makes the
// browser insist on Secure, Path=/ and no Domain, so a sibling subdomain
// cannot plant or read them.
const (
	cartCookie  = "apay_cart"
	adminCookie = "apay_admin"
)

// cookieName adds the __Host- prefix when cookies are Secure.
func (h *Handler) cookieName(base string) string {
	if h.secure {
		return "__Host-" + base
	}
	return base
}

// newCookie returns a cookie with the shop's flags: HttpOnly, SameSite=Lax
// (sent on the top-level GET by which Amazon Pay sends the buyer back, never
// on another site's POST), Secure over https.
func (h *Handler) newCookie(base, value string, maxAge time.Duration) *http.Cookie {
	return &http.Cookie{
		Name: h.cookieName(base), Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	}
}

// cartID is the buyer's cart id from the cookie, "" if none.
func (h *Handler) cartID(r *http.Request) string {
	c, err := r.Cookie(h.cookieName(cartCookie))
	if err != nil || len(c.Value) > 64 {
		return ""
	}
	return c.Value
}

// setCartID remembers the buyer's cart for 30 days.
func (h *Handler) setCartID(w http.ResponseWriter, id string) {
	http.SetCookie(w, h.newCookie(cartCookie, id, 30*24*time.Hour))
}

// sessionValue is an admin session cookie: the username, the expiry and an
// HMAC over both, so it cannot be forged or extended without the secret.
func (h *Handler) sessionValue(username string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	u := base64.RawURLEncoding.EncodeToString([]byte(username))
	return u + "." + exp + "." + h.sessionMAC(u, exp)
}

func (h *Handler) sessionMAC(user, exp string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte("admin-session\x00" + user + "\x00" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// adminName returns the signed-in admin, "" if the request has no valid,
// unexpired session.
func (h *Handler) adminName(r *http.Request) string {
	c, err := r.Cookie(h.cookieName(adminCookie))
	if err != nil || len(c.Value) > 512 {
		return ""
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return ""
	}
	if !hmac.Equal([]byte(parts[2]), []byte(h.sessionMAC(parts[0], parts[1]))) {
		return ""
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !h.now().Before(time.Unix(exp, 0)) {
		return ""
	}
	u, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return ""
	}
	return string(u)
}
