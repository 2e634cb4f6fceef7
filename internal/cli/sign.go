package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
	"github.com/spf13/cobra"
)

func newSignCommand(app *App) *cobra.Command {
	var method, rawURL, bodyFile, date string
	var headers []string
	cmd := &cobra.Command{
		Use:   "sign --method M --url URL [--body-file F] [--header 'K: V']... [--date D]",
		Short: "Print the signed headers for one Amazon Pay request as JSON",
		Long: `sign signs one request the way apaykit's SDK does and prints the headers to
send with it as a JSON object (lower-case names): accept, content-type,
x-amz-pay-date, x-amz-pay-host, x-amz-pay-region, every --header, and
authorization. Use it to call Amazon Pay (or an emulator) from curl or any
HTTP client, or to debug an InvalidRequestSignature answer.

URL is absolute (https://pay-api.amazon.com/v2/checkoutSessions) or a path
(/v2/checkoutSessions), which goes to APAY_ENDPOINT or the region's host.
A query is signed in canonical form (RFC 3986, sorted); if that differs from
the URL given, the URL to send is printed on stderr.

The key comes from the environment: APAY_PUBLIC_KEY_ID, APAY_PRIVATE_KEY (PEM
text) or APAY_PRIVATE_KEY_FILE, APAY_REGION (us, na, eu, de, uk, jp) and
APAY_ALGORITHM (AMZN-PAY-RSASSA-PSS-V2, the default, or AMZN-PAY-RSASSA-PSS).

--body-file - reads the body from stdin. --date accepts 20240115T123456Z,
2024-01-15T12:34:56Z or RFC 3339; the default is now.`,
		Example: `  apay sign --method POST --url https://pay-api.amazon.com/v2/checkoutSessions \
    --body-file session.json --header 'x-amz-pay-idempotency-key: 3f1c...'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := buildSignRequest(cmd, app, signFlags{method: method, url: rawURL, bodyFile: bodyFile, date: date, headers: headers})
			if err != nil {
				return err
			}
			signer, region, err := signerFromEnv(app.Getenv)
			if err != nil {
				return err
			}
			out, sendURL, err := signRequest(signer, region, req)
			if err != nil {
				return err
			}
			if sendURL != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: the query was signed in canonical form; send the request to %s\n", sendURL)
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&method, "method", "", "HTTP method (GET, POST, PATCH, DELETE)")
	f.StringVar(&rawURL, "url", "", "request URL, absolute or a path such as /v2/charges/ID")
	f.StringVar(&bodyFile, "body-file", "", "file holding the exact request body; - for stdin")
	f.StringArrayVar(&headers, "header", nil, "extra header to sign, 'Name: value' (repeatable)")
	f.StringVar(&date, "date", "", "x-amz-pay-date to sign instead of the current time")
	return cmd
}

type signFlags struct {
	method, url, bodyFile, date string
	headers                     []string
}

// signInput is one request to sign, checked and resolved.
type signInput struct {
	method  string
	url     *url.URL
	body    []byte
	date    time.Time
	headers http.Header // caller headers, lower-case names
}

func buildSignRequest(cmd *cobra.Command, app *App, fl signFlags) (*signInput, error) {
	in := &signInput{method: strings.ToUpper(strings.TrimSpace(fl.method)), headers: http.Header{}}
	if in.method == "" {
		return nil, Usagef("--method is required")
	}
	if !isToken(in.method) {
		return nil, Usagef("--method %q is not an HTTP method", fl.method)
	}
	if fl.url == "" {
		return nil, Usagef("--url is required")
	}
	u, err := resolveURL(fl.url, app.Getenv)
	if err != nil {
		return nil, err
	}
	in.url = u
	in.date = time.Now()
	if fl.date != "" {
		if in.date, err = parseSignDate(fl.date); err != nil {
			return nil, err
		}
	}
	if fl.bodyFile != "" {
		if in.body, err = readBody(cmd, fl.bodyFile); err != nil {
			return nil, err
		}
	}
	for _, h := range fl.headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || !isToken(name) {
			return nil, Usagef("--header %q is not 'Name: value'", h)
		}
		switch name {
		case signing.HeaderAuthorization, signing.HeaderDate, signing.HeaderHost, signing.HeaderRegion:
			return nil, Usagef("--header %s is set by sign itself (use --date, --url or APAY_REGION)", name)
		}
		if _, dup := in.headers[name]; dup {
			return nil, Usagef("--header %s is given twice", name)
		}
		in.headers[name] = []string{strings.TrimSpace(value)}
	}
	return in, nil
}

// resolveURL accepts an absolute http(s) URL, or a path that goes to
// APAY_ENDPOINT or the configured region's Amazon Pay host.
func resolveURL(raw string, getenv func(string) string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, Usagef("--url does not parse: %v", err)
	}
	if u.Host == "" {
		if !strings.HasPrefix(u.Path, "/") {
			return nil, Usagef("--url %q is neither an absolute URL nor a path starting with /", raw)
		}
		base := getenv("APAY_ENDPOINT")
		if base == "" {
			host, err := regionHost(getenv("APAY_REGION"))
			if err != nil {
				return nil, err
			}
			base = "https://" + host
		}
		b, err := url.Parse(base)
		if err != nil || b.Host == "" {
			return nil, Usagef("APAY_ENDPOINT %q is not a base URL such as https://127.0.0.1:8443", base)
		}
		u.Scheme, u.Host = b.Scheme, b.Host
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, Usagef("--url scheme must be https or http")
	}
	if u.Fragment != "" {
		return nil, Usagef("--url must not have a #fragment")
	}
	return u, nil
}

func parseSignDate(s string) (time.Time, error) {
	if t, err := signing.ParseDate(s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, Usagef("--date %q is not 20060102T150405Z, 2006-01-02T15:04:05Z or RFC 3339", s)
}

func readBody(cmd *cobra.Command, path string) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, UsageError(fmt.Errorf("reading the body from stdin: %w", err))
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, UsageError(fmt.Errorf("reading --body-file: %w", err))
	}
	return b, nil
}

// signRequest returns the headers to send, lower-case names, and the URL
// to send the request to when it differs from the one given (a query that
// was not in canonical form).
func signRequest(s *signing.Signer, region string, in *signInput) (map[string]string, string, error) {
	query := ""
	if in.url.RawQuery != "" {
		vals, err := url.ParseQuery(in.url.RawQuery)
		if err != nil {
			return nil, "", Usagef("--url query does not parse: %v", err)
		}
		query = signing.CanonicalQuery(vals)
	}
	sendURL := ""
	if query != in.url.RawQuery {
		u := *in.url
		u.RawQuery = query
		sendURL = u.String()
	}
	path := in.url.EscapedPath()
	if path == "" {
		path = "/"
	}
	h := http.Header{}
	h[signing.HeaderAccept] = []string{"application/json"}
	h[signing.HeaderContentType] = []string{"application/json"}
	for k, v := range in.headers {
		h[k] = v
	}
	h[signing.HeaderDate] = []string{signing.FormatDate(in.date)}
	h[signing.HeaderHost] = []string{in.url.Host}
	h[signing.HeaderRegion] = []string{region}
	auth, err := s.Authorization(in.method, path, query, h, in.body)
	if err != nil {
		return nil, "", err
	}
	out := make(map[string]string, len(h)+1)
	for k, v := range h {
		out[k] = v[0]
	}
	out[signing.HeaderAuthorization] = auth
	return out, sendURL, nil
}

// signerFromEnv builds a signer from design.md §6 variables and returns the
// region's x-amz-pay-region value. Errors name variables, never their
// values: APAY_PRIVATE_KEY is a secret.
func signerFromEnv(getenv func(string) string) (*signing.Signer, string, error) {
	id := strings.TrimSpace(getenv("APAY_PUBLIC_KEY_ID"))
	if id == "" {
		return nil, "", Usagef("APAY_PUBLIC_KEY_ID is not set")
	}
	region, err := regionCode(getenv("APAY_REGION"))
	if err != nil {
		return nil, "", err
	}
	alg := signing.AlgorithmV2
	if a := strings.TrimSpace(getenv("APAY_ALGORITHM")); a != "" {
		if alg, err = signing.ParseAlgorithm(a); err != nil {
			return nil, "", UsageError(fmt.Errorf("APAY_ALGORITHM: %w", err))
		}
	}
	pemText, keyFile := getenv("APAY_PRIVATE_KEY"), getenv("APAY_PRIVATE_KEY_FILE")
	var pemBytes []byte
	switch {
	case pemText != "" && keyFile != "":
		return nil, "", Usagef("set APAY_PRIVATE_KEY or APAY_PRIVATE_KEY_FILE, not both")
	case pemText != "":
		pemBytes = []byte(pemText)
	case keyFile != "":
		if pemBytes, err = os.ReadFile(keyFile); err != nil {
			return nil, "", UsageError(fmt.Errorf("APAY_PRIVATE_KEY_FILE: %w", err))
		}
	default:
		return nil, "", Usagef("APAY_PRIVATE_KEY or APAY_PRIVATE_KEY_FILE must be set")
	}
	key, err := signing.LoadPrivateKey(pemBytes)
	if err != nil {
		// signing's key errors never quote the key.
		return nil, "", UsageError(fmt.Errorf("private key: %w", err))
	}
	s, err := signing.NewSigner(id, key, alg)
	if err != nil {
		return nil, "", UsageError(err)
	}
	return s, region, nil
}

// regionCode maps the region names the official SDKs accept to the value
// they send in x-amz-pay-region.
func regionCode(region string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(region)) {
	case "us", "na":
		return "na", nil
	case "eu", "de", "uk":
		return "eu", nil
	case "jp":
		return "jp", nil
	case "":
		return "", Usagef("APAY_REGION is not set (us, na, eu, de, uk or jp)")
	}
	return "", Usagef("APAY_REGION %q is not one of us, na, eu, de, uk, jp", region)
}

func regionHost(region string) (string, error) {
	code, err := regionCode(region)
	if err != nil {
		return "", err
	}
	return map[string]string{"na": "pay-api.amazon.com", "eu": "pay-api.amazon.eu", "jp": "pay-api.amazon.jp"}[code], nil
}

// isToken reports whether s is an HTTP token (RFC 9110 §5.6.2), the
// syntax of methods and header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
