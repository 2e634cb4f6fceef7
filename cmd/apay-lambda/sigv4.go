package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
)

// awsCredentials are the Lambda execution role's temporary credentials, as
// the runtime puts them in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN.
type awsCredentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String never shows the secret key or the session token.
func (c awsCredentials) String() string { return "awsCredentials{" + c.AccessKeyID + " [redacted]}" }

// sigV4Time is the X-Amz-Date form, basic ISO 8601 in UTC.
const sigV4Time = "20060102T150405Z"

// signV4 adds X-Amz-Date, X-Amz-Security-Token (with a session token) and an
// AWS Signature Version 4 Authorization header to req, signing every header
// already present plus host. It is the small subset of SigV4 the two JSON
// calls of this binary need (no presigning, no chunked payloads), so the
// Lambda does not carry the whole AWS SDK for them.
func signV4(req *http.Request, body []byte, creds awsCredentials, region, service string, now time.Time) {
	now = now.UTC()
	amzDate := now.Format(sigV4Time)
	req.Header.Set("X-Amz-Date", amzDate)
	if creds.SessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	}
	scope := now.Format("20060102") + "/" + region + "/" + service + "/aws4_request"
	canonical, signed := canonicalRequestV4(req, body)
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(canonical))
	key := hmacSHA256([]byte("AWS4"+creds.SecretAccessKey), now.Format("20060102"))
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "aws4_request")
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+creds.AccessKeyID+"/"+scope+
		", SignedHeaders="+signed+", Signature="+sig)
}

// canonicalRequestV4 builds the canonical request over the request's
// headers and host, and returns it with the signed-headers list.
func canonicalRequestV4(req *http.Request, body []byte) (canonical, signedHeaders string) {
	values := map[string]string{"host": req.URL.Host}
	if req.Host != "" {
		values["host"] = req.Host
	}
	for name, vs := range req.Header {
		lname := strings.ToLower(name)
		if lname == "authorization" || lname == "user-agent" {
			continue
		}
		trimmed := make([]string, len(vs))
		for i, v := range vs {
			trimmed[i] = strings.Join(strings.Fields(v), " ")
		}
		values[lname] = strings.Join(trimmed, ",")
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(req.Method + "\n")
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(path + "\n")
	b.WriteString(canonicalQueryV4(req) + "\n")
	for _, n := range names {
		b.WriteString(n + ":" + values[n] + "\n")
	}
	signedHeaders = strings.Join(names, ";")
	b.WriteString("\n" + signedHeaders + "\n" + hexSHA256(body))
	return b.String(), signedHeaders
}

// canonicalQueryV4 sorts the query by key, then value, RFC 3986-encoded.
func canonicalQueryV4(req *http.Request) string {
	q := req.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		for _, v := range vs {
			parts = append(parts, uriEncode(k)+"="+uriEncode(v))
		}
	}
	return strings.Join(parts, "&")
}

// uriEncode percent-encodes everything but RFC 3986's unreserved
// characters, upper-case hex, as SigV4 requires.
func uriEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
