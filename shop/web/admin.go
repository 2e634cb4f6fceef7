package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/apaykit/apaykit/shop"
)

// RequireAdmin lets only signed-in admins through; others get the login page
// (or 401 JSON). The back office wraps its pages and the tester pages use
// it.
func (h *Handler) RequireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.adminName(r) != "" {
			w.Header().Set("Cache-Control", "no-store")
			next.ServeHTTP(w, r)
			return
		}
		if wantsJSON(r) || r.Method != http.MethodGet {
			h.Error(w, r, shop.Errorf(shop.EUNAUTHORIZED, "Please log in as an admin."))
			return
		}
		http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	})
}

// AdminName returns the admin signed in on r, "" if none.
func (h *Handler) AdminName(r *http.Request) string { return h.adminName(r) }

// safeNext keeps a post-login redirect on the shop's admin pages.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin/"
	}
	return next
}

type loginData struct {
	Next, Username, Problem string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "login", "Admin login", loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

// login checks the password against the store's bcrypt hash (at most a few
// comparisons at a time, so a flood of logins cannot take the CPU) and sets
// the session cookie.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.Error(w, r, err)
		return
	}
	d := loginData{Next: safeNext(r.PostForm.Get("next")), Username: strings.TrimSpace(r.PostForm.Get("username"))}
	select {
	case h.logins <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	u, err := h.store.AuthenticateAdmin(r.Context(), d.Username, r.PostForm.Get("password"))
	<-h.logins
	if err != nil {
		if shop.ErrorCode(err) != shop.EUNAUTHORIZED {
			h.Error(w, r, err)
			return
		}
		h.log.Info("web: admin login refused", "username", truncate(d.Username, 64))
		if wantsJSON(r) {
			h.Error(w, r, err)
			return
		}
		d.Problem = shop.ErrorMessage(err)
		h.render(w, r, http.StatusUnauthorized, "login", "Admin login", d)
		return
	}
	http.SetCookie(w, h.newCookie(adminCookie, h.sessionValue(u.Username, h.now().Add(h.sessionTTL)), h.sessionTTL))
	h.log.Info("web: admin logged in", "username", u.Username)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	c := h.newCookie(adminCookie, "", 0)
	c.MaxAge = -1
	http.SetCookie(w, c)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// adminIndex lists the tester pages and the latest Amazon Pay calls.
func (h *Handler) adminIndex(w http.ResponseWriter, r *http.Request) {
	calls, err := h.store.AmazonCalls(r.Context(), shop.AmazonCallFilter{Limit: 50})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "admin", "Admin", struct {
		Testers []*testerPage
		Calls   []*shop.AmazonCall
		Extra   []AdminLink
	}{h.testers, calls, h.adminLinks})
}

// AdminLink is an entry of the admin index that another package adds
// (the back office's order list, for example).
type AdminLink struct {
	Href, Text string
}

// AddAdminLink lists a page on the admin index. Call it before serving.
func (h *Handler) AddAdminLink(href, text string) {
	h.adminLinks = append(h.adminLinks, AdminLink{Href: href, Text: text})
}
