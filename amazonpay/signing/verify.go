package signing

import (
	"crypto/rsa"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Authorization is the parsed Authorization header:
//
//	ALGORITHM PublicKeyId=ID, SignedHeaders=a;b;c, Signature=BASE64
type Authorization struct {
	Algorithm     Algorithm
	PublicKeyID   string
	SignedHeaders string
	Signature     string
}

// String renders the header value in the exact layout the official SDKs use.
func (a Authorization) String() string {
	return string(a.Algorithm) + " PublicKeyId=" + a.PublicKeyID + ", SignedHeaders=" + a.SignedHeaders + ", Signature=" + a.Signature
}

// ParseAuthorization splits an Authorization value. The signature is split
// at its first '=' only, because base64 padding contains '='.
func ParseAuthorization(v string) (Authorization, error) {
	v = strings.TrimSpace(v)
	algName, rest, ok := strings.Cut(v, " ")
	if !ok || algName == "" {
		return Authorization{}, &Error{Kind: KindMalformed, Detail: "Authorization header has no algorithm and parameters"}
	}
	alg := Algorithm(algName)
	if !alg.Valid() {
		return Authorization{}, &Error{Kind: KindUnknownAlgorithm, Detail: "unknown algorithm in Authorization header"}
	}
	a := Authorization{Algorithm: alg}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Authorization{}, &Error{Kind: KindMalformed, Detail: "Authorization parameter without '='"}
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if seen[name] {
			return Authorization{}, &Error{Kind: KindMalformed, Detail: "Authorization parameter " + name + " repeated"}
		}
		seen[name] = true
		switch name {
		case "publickeyid":
			a.PublicKeyID = value
		case "signedheaders":
			a.SignedHeaders = value
		case "signature":
			a.Signature = value
		default:
			return Authorization{}, &Error{Kind: KindMalformed, Detail: "unknown Authorization parameter"}
		}
	}
	switch {
	case a.PublicKeyID == "":
		return Authorization{}, &Error{Kind: KindMalformed, Detail: "Authorization header has no PublicKeyId"}
	case a.SignedHeaders == "":
		return Authorization{}, &Error{Kind: KindMalformed, Detail: "Authorization header has no SignedHeaders"}
	case a.Signature == "":
		return Authorization{}, &Error{Kind: KindMalformed, Detail: "Authorization header has no Signature"}
	}
	return a, nil
}

// SignedHeaderNames lists the signed headers, lower-cased.
func (a Authorization) SignedHeaderNames() []string {
	names := splitSignedHeaders(a.SignedHeaders)
	for i, n := range names {
		names[i] = strings.ToLower(n)
	}
	return names
}

// KeyFunc finds the public key registered for a PublicKeyId. Return an
// error for an unknown id; [VerifyRequest] reports it as KindUnknownKey.
type KeyFunc func(publicKeyID string) (*rsa.PublicKey, error)

// Verified describes a request whose signature checked out.
type Verified struct {
	Authorization Authorization
	// StringToSign is the string the signature matched.
	StringToSign string
	// RawDate is the x-amz-pay-date value; Date is it parsed, or the zero
	// time when absent or unparseable. Enforcing a window is the caller's job.
	RawDate string
	Date    time.Time
}

// VerifyRequest checks the signature of r, whose body the caller has already
// read into body. It tries the canonical forms the official SDKs produce
// (see the package documentation) and applies no policy: no date window,
// no list of headers that must be signed.
func VerifyRequest(r *http.Request, body []byte, keys KeyFunc) (*Verified, error) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return nil, &Error{Kind: KindMissingAuthorization, Detail: "missing Authorization header"}
	}
	auth, err := ParseAuthorization(raw)
	if err != nil {
		return nil, err
	}
	sig, err := base64.StdEncoding.DecodeString(auth.Signature)
	if err != nil {
		return nil, &Error{Kind: KindMalformed, Detail: "signature is not standard base64"}
	}
	pub, err := keys(auth.PublicKeyID)
	if err != nil || pub == nil {
		return nil, &Error{Kind: KindUnknownKey, Detail: "public key id " + auth.PublicKeyID + " is not registered"}
	}
	header := headerWithHost(r, auth)
	v := &Verified{Authorization: auth, RawDate: strings.TrimSpace(headerGet(r.Header, HeaderDate))}
	if t, err := ParseDate(v.RawDate); err == nil {
		v.Date = t
	}

	var first string
	tried := map[string]bool{}
	for _, path := range pathCandidates(r.URL) {
		for _, query := range queryCandidates(r.URL) {
			for _, collapse := range []bool{false, true} {
				canonical, err := CanonicalRequest(Request{Method: r.Method, Path: path, Query: query, Header: header,
					SignedHeaders: auth.SignedHeaders, Body: body, CollapseSpaces: collapse})
				if err != nil {
					return nil, err
				}
				sts := StringToSign(auth.Algorithm, canonical)
				if tried[sts] {
					continue
				}
				tried[sts] = true
				if first == "" {
					first = sts
				}
				if verifyPSS(pub, auth.Algorithm, sts, sig) {
					v.StringToSign = sts
					return v, nil
				}
			}
		}
	}
	return nil, &Error{Kind: KindBadSignature, Detail: "signature does not match the request", StringToSign: first, Signature: auth.Signature}
}

// headerGet is h.Get(name) for one of the protocol's lower-case names,
// without canonicalising it again.
func headerGet(h http.Header, name string) string {
	if vs := h[canonicalKey(name)]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// headerWithHost adds the Host header, which net/http moves out of
// r.Header, when a client chose to sign it.
func headerWithHost(r *http.Request, auth Authorization) http.Header {
	for _, n := range splitSignedHeaders(auth.SignedHeaders) {
		if strings.EqualFold(n, "host") && r.Header.Get("Host") == "" {
			h := make(http.Header, len(r.Header)+1)
			for k, v := range r.Header {
				h[k] = v
			}
			h.Set("Host", r.Host)
			return h
		}
	}
	return r.Header
}

// pathCandidates: the escaped path as received (Node, PHP, Ruby, .NET),
// then the decoded path re-encoded under RFC 3986 with repeated slashes
// collapsed (Java, .NET).
func pathCandidates(u *url.URL) []string {
	raw := u.EscapedPath()
	p := u.Path
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	norm := EncodePath(p)
	if norm == raw {
		return []string{raw}
	}
	return []string{raw, norm}
}

// queryCandidates: the query as received (Node, PHP, .NET, Ruby sign what
// they send), then decoded, RFC 3986-encoded and sorted (Java sends its
// query raw and unsorted but signs it that way), then the way the Node SDK
// signs it: keys sorted and left raw, values through JavaScript's
// encodeURIComponent. Node's HTTP layer sends ' as %27 although the SDK
// signed it bare, so the received query alone does not verify.
func queryCandidates(u *url.URL) []string {
	raw := u.RawQuery
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return []string{raw}
	}
	out := []string{raw}
	for _, c := range []string{CanonicalQuery(vals), nodeQuery(vals)} {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// nodeQuery renders v as the Node SDK canonicalises queries.
func nodeQuery(v url.Values) string {
	keys := slices.Sorted(maps.Keys(v))
	var b strings.Builder
	for _, k := range keys {
		for _, val := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(encodeURIComponent(val))
		}
	}
	return b.String()
}

// encodeURIComponent keeps what JavaScript's function keeps: the RFC 3986
// unreserved characters plus ! ' ( ) *.
func encodeURIComponent(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || strings.IndexByte("!'()*", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
