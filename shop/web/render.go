package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/apaykit/apaykit/internal/money"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// view is what the layout template gets; Data is the page's own.
type view struct {
	Title    string
	ShopName string
	// Admin is the signed-in admin's name, "" for everyone else.
	Admin string
	// CheckoutJS is set on pages that load checkout.js.
	CheckoutJS string
	// Scripts are the shop's own scripts the page loads (after
	// checkout.js).
	Scripts []string
	Data    any
}

// parsePages parses every page with the layout, once.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages, nil
}

// funcs are the template helpers.
var funcs = template.FuncMap{
	"money": FormatMoney,
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"lineTotal": func(unit int64, qty int) int64 { return unit * int64(qty) },
}

// render writes page name with the layout.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	h.renderView(w, r, status, name, &view{Title: title, Data: data})
}

// renderView executes the page into a buffer first, so a template error is
// a clean 500 rather than half a page.
func (h *Handler) renderView(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	t := h.pages[name]
	if t == nil {
		h.log.Error("web: no template", "name", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	v.ShopName = h.shopName
	if v.Admin == "" {
		v.Admin = h.adminName(r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("web: render", "page", name, "error", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// staticHandler serves the embedded CSS and scripts.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})
}

// currencySymbols are the symbols shown for the ledger currencies.
var currencySymbols = map[string]string{"USD": "$", "JPY": "¥", "EUR": "€", "GBP": "£"}

// FormatMoney renders minor units for people: "$1,234.50", "¥1,400",
// "12.00 CHF" for currencies without a symbol here.
func FormatMoney(minor int64, currency string) string {
	s, err := money.Format(minor, currency)
	if err != nil {
		return fmt.Sprintf("%d %s", minor, currency)
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if sym, ok := currencySymbols[currency]; ok {
		return sign + sym + out
	}
	return sign + out + " " + currency
}
