package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Request holds exactly what goes into a canonical request. Path and Query
// are used as given: pass the escaped path as it travels on the wire and a
// query string built with [CanonicalQuery] (or the one received, when
// verifying).
type Request struct {
	Method string
	Path   string
	Query  string
	// Header supplies the values of the signed headers; names are matched
	// case-insensitively.
	Header http.Header
	// SignedHeaders is the semicolon-separated list of header names, in
	// order. It is copied into the canonical request verbatim.
	SignedHeaders string
	Body          []byte
	// BodyHash, when set, is used instead of hashing Body: for a payload
	// hashed elsewhere, or to reproduce a published canonical request.
	BodyHash string
	// CollapseSpaces turns each run of whitespace inside a header value into
	// one space, as the Java and .NET SDKs do before signing.
	CollapseSpaces bool
}

// HashHex returns the lower-case hex SHA-256 of b.
func HashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CanonicalRequest lays out r as Amazon Pay hashes it. It fails when a
// header named in SignedHeaders has no value in r.Header, because such a
// request can never verify.
func CanonicalRequest(r Request) (string, error) {
	var b strings.Builder
	b.Grow(256 + len(r.Path) + len(r.Query))
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(r.Path)
	b.WriteByte('\n')
	b.WriteString(r.Query)
	b.WriteByte('\n')
	for _, name := range splitSignedHeaders(r.SignedHeaders) {
		v, ok := headerValue(r.Header, name)
		if !ok {
			return "", &Error{Kind: KindMissingSignedHeader, Detail: fmt.Sprintf("signed header %q is not present", strings.ToLower(name))}
		}
		if r.CollapseSpaces {
			v = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(strings.ToLower(name))
		b.WriteByte(':')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(r.SignedHeaders)
	b.WriteByte('\n')
	if r.BodyHash != "" {
		b.WriteString(r.BodyHash)
	} else {
		b.WriteString(HashHex(r.Body))
	}
	return b.String(), nil
}

// StringToSign is the algorithm name, a newline, and the hex SHA-256 of the
// canonical request.
func StringToSign(alg Algorithm, canonicalRequest string) string {
	return string(alg) + "\n" + HashHex([]byte(canonicalRequest))
}

// CanonicalQuery encodes v under RFC 3986 (unreserved characters kept,
// everything else %XX in upper case), sorted by key and then value. apaykit
// sends exactly this string on the wire too, so the signed and the sent
// query never differ.
func CanonicalQuery(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(v))
	for k, vs := range v {
		ek := EncodeRFC3986(k)
		for _, val := range vs {
			pairs = append(pairs, pair{ek, EncodeRFC3986(val)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// EncodeRFC3986 percent-encodes every byte of s except A–Z a–z 0–9 - _ . ~,
// with upper-case hex, as the Java and .NET SDKs do.
func EncodeRFC3986(s string) string { return encode(s, false) }

// EncodePath encodes a path like [EncodeRFC3986] but keeps '/'.
func EncodePath(s string) string { return encode(s, true) }

func encode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func splitSignedHeaders(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ";")
}

// headerValue finds name in h without assuming h's keys are canonical (a
// hand-built header map may hold lower-case keys). Several values are
// joined with a comma, as HTTP folds them.
func headerValue(h http.Header, name string) (string, bool) {
	vs, ok := h[canonicalKey(name)]
	if !ok {
		for k, v := range h {
			if strings.EqualFold(k, name) {
				vs, ok = v, true
				break
			}
		}
	}
	if !ok || len(vs) == 0 {
		return "", false
	}
	if len(vs) == 1 {
		return strings.TrimSpace(vs[0]), true
	}
	trimmed := make([]string, len(vs))
	for i, v := range vs {
		trimmed[i] = strings.TrimSpace(v)
	}
	return strings.Join(trimmed, ","), true
}
