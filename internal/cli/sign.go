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

	"github.com/apaykit/apaykit/amazonpay"
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
A query is signed in canonical form (RFC 3986, sorted). When the URL was a
path or its query was not canonical, the URL to send is printed on stderr.

The key comes from the environment: APAY_PUBLIC_KEY_ID, APAY_PRIVATE_KEY (PEM
text) or APAY_PRIVATE_KEY_FILE, APAY_REGION (us, na, eu, de, uk, jp) and
APAY_ALGORITHM (AMZN-PAY-RSASSA-PSS-V2, the default, or AMZN-PAY-RSASSA-PSS).

--body-file - reads the body from stdin. --date accepts 20240115T123456Z,
2024-01-15T12:34:56Z or RFC 3339; the default is now.`,
		Example: `  apay sign --method POST --url https://pay-api.amazon.com/v2/checkoutSessions \
    --body-file session.json --header 'x-amz-pay-idempotency-key: 3f1c...'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := readSignFlags(cmd, signFlags{method: method, url: rawURL, bodyFile: bodyFile, date: date, headers: headers})
			if err != nil {
				return err
			}
			env, err := amazonpay.LoadEnvConfig(app.Getenv)
			if err != nil {
				return UsageError(err)
			}
			// The SDK's own client signs, so sign prints exactly what
			// apaykit would send; its errors name variables, never the key.
			client, err := env.NewClient(amazonpay.WithClock(func() time.Time { return in.date }))
			if err != nil {
				return UsageError(fmt.Errorf("configuration: %w", err))
			}
			out, sendURL, err := signRequest(client, in)
			if err != nil {
				return err
			}
			if sendURL != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: send the request to %s\n", sendURL)
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

// readSignFlags checks the flags and reads the body.
func readSignFlags(cmd *cobra.Command, fl signFlags) (*signInput, error) {
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
	u, err := checkURL(fl.url)
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

// checkURL accepts an absolute http(s) URL or a path; a path goes to the
// client's host (APAY_ENDPOINT or the region's Amazon Pay host).
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, Usagef("--url does not parse: %v", err)
	}
	if u.Host == "" && !strings.HasPrefix(u.Path, "/") {
		return nil, Usagef("--url %q is neither an absolute URL nor a path starting with /", raw)
	}
	if u.Host != "" && u.Scheme != "https" && u.Scheme != "http" {
		return nil, Usagef("--url scheme must be https or http")
	}
	if u.Fragment != "" {
		return nil, Usagef("--url must not have a #fragment")
	}
	if u.RawQuery != "" {
		if _, err := url.ParseQuery(u.RawQuery); err != nil {
			return nil, Usagef("--url query does not parse: %v", err)
		}
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
// to send the request to when it differs from the one given (a path, or a
// query that was not in canonical form).
func signRequest(client *amazonpay.Client, in *signInput) (map[string]string, string, error) {
	u := *in.url
	if u.Host == "" {
		base, _ := url.Parse(client.BaseURL())
		u.Scheme, u.Host = base.Scheme, base.Host
	}
	given := u.String()
	if u.RawQuery != "" {
		vals, _ := url.ParseQuery(u.RawQuery) // checked in checkURL
		u.RawQuery = signing.CanonicalQuery(vals)
	}
	h, err := client.SignedHeaders(in.method, u.String(), in.body, in.headers)
	if err != nil {
		return nil, "", UsageError(err)
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = strings.Join(v, ",")
	}
	sendURL := ""
	if u.String() != given || in.url.Host == "" {
		sendURL = u.String()
	}
	return out, sendURL, nil
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
