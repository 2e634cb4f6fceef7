package amazonpay

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// Version is the SDK version sent in the default User-Agent.
const Version = "0.1.0"

// maxResponseBody bounds a success body. Amazon Pay objects are a few KiB;
// report lists are the largest responses and stay far below this.
const maxResponseBody = 16 << 20

// Region is an Amazon Pay region as sent in x-amz-pay-region.
type Region string

// The three regions. Europe includes the UK.
const (
	RegionNA Region = "na"
	RegionEU Region = "eu"
	RegionJP Region = "jp"
)

// ParseRegion maps the names the official SDKs accept, case-insensitively:
// "us"/"na" → RegionNA, "eu"/"de"/"uk" → RegionEU, "jp" → RegionJP.
func ParseRegion(s string) (Region, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "us", "na":
		return RegionNA, nil
	case "eu", "de", "uk":
		return RegionEU, nil
	case "jp":
		return RegionJP, nil
	case "":
		return "", &InputError{Field: "region", Reason: "is required (us, na, eu, de, uk or jp)"}
	}
	return "", &InputError{Field: "region", Reason: fmt.Sprintf("%q is not one of us, na, eu, de, uk, jp", truncate(s, 20))}
}

// Host is the production API host of the region.
func (r Region) Host() string {
	switch r {
	case RegionEU:
		return "pay-api.amazon.eu"
	case RegionJP:
		return "pay-api.amazon.jp"
	}
	return "pay-api.amazon.com"
}

// Client calls the Amazon Pay API v2. Build it with NewClient; it is safe
// for concurrent use and holds no per-call state. Each resource has its own
// service field, as in go-github: client.Charges.Capture(ctx, …).
type Client struct {
	signer     *signing.Signer
	httpClient *http.Client
	scheme     string // "https" unless WithBaseURL says otherwise
	host       string // URL host[:port], also sent as x-amz-pay-host
	region     Region
	sandbox    bool
	pathPrefix string // "", "/live" or "/sandbox"
	logger     *slog.Logger
	now        func() time.Time
	retry      RetryPolicy
	userAgent  string

	// Test hooks; NewClient sets the real implementations.
	wait   func(ctx context.Context, d time.Duration) error
	jitter func(max time.Duration) time.Duration
	newKey func() (string, error)

	common service

	CheckoutSessions    *CheckoutSessionService
	ChargePermissions   *ChargePermissionService
	Charges             *ChargeService
	Refunds             *RefundService
	Buyers              *BuyerService
	DeliveryTrackers    *DeliveryTrackerService
	AuthorizationTokens *AuthorizationTokenService
	InStore             *InStoreService
	Reports             *ReportService
	Disbursements       *DisbursementService
	MerchantAccounts    *MerchantAccountService
	Disputes            *DisputeService
	Files               *FileService
}

// service is embedded (by conversion) in every resource service, so all of
// them share the one client.
type service struct {
	client *Client
}

// NewClient builds a client and validates its whole configuration: the
// public key id and private key (required), the region (required), the
// algorithm, the base URL and the retry policy. Nothing is sent.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	return newClient(cfg)
}

func newClient(cfg config) (*Client, error) {
	if cfg.publicKeyID == "" {
		return nil, &InputError{Field: "publicKeyId", Reason: "is required"}
	}
	key, err := cfg.privateKey()
	if err != nil {
		return nil, err
	}
	alg := signing.AlgorithmV2
	if cfg.algorithm != "" {
		if alg, err = signing.ParseAlgorithm(cfg.algorithm); err != nil {
			return nil, &InputError{Field: "algorithm", Reason: fmt.Sprintf("%q is not %s or %s", truncate(cfg.algorithm, 40), signing.AlgorithmV2, signing.AlgorithmV1)}
		}
	}
	signer, err := signing.NewSigner(cfg.publicKeyID, key, alg)
	if err != nil {
		return nil, &InputError{Field: "publicKeyId", Reason: strings.TrimPrefix(err.Error(), "signing: ")}
	}
	region, err := ParseRegion(cfg.region)
	if err != nil {
		return nil, err
	}
	c := &Client{
		signer:    signer,
		scheme:    "https",
		host:      region.Host(),
		region:    region,
		logger:    cfg.logger,
		now:       cfg.clock,
		retry:     cfg.retry.withDefaults(),
		userAgent: cfg.userAgent,
		wait:      waitContext,
		jitter:    fullJitter,
		newKey:    NewIdempotencyKey,
	}
	c.sandbox, c.pathPrefix = environment(cfg.publicKeyID, cfg.sandbox)
	if cfg.baseURL != "" {
		if c.scheme, c.host, err = parseBaseURL(cfg.baseURL); err != nil {
			return nil, err
		}
	}
	if c.httpClient, err = cfg.buildHTTPClient(); err != nil {
		return nil, err
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.userAgent == "" {
		c.userAgent = "apaykit-go/" + Version + " (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	}
	c.initServices()
	return c, nil
}

func (c *Client) initServices() {
	c.common.client = c
	c.CheckoutSessions = (*CheckoutSessionService)(&c.common)
	c.ChargePermissions = (*ChargePermissionService)(&c.common)
	c.Charges = (*ChargeService)(&c.common)
	c.Refunds = (*RefundService)(&c.common)
	c.Buyers = (*BuyerService)(&c.common)
	c.DeliveryTrackers = (*DeliveryTrackerService)(&c.common)
	c.AuthorizationTokens = (*AuthorizationTokenService)(&c.common)
	c.InStore = (*InStoreService)(&c.common)
	c.Reports = (*ReportService)(&c.common)
	c.Disbursements = (*DisbursementService)(&c.common)
	c.MerchantAccounts = (*MerchantAccountService)(&c.common)
	c.Disputes = (*DisputeService)(&c.common)
	c.Files = (*FileService)(&c.common)
}

// privateKey resolves exactly one configured key source.
func (cfg config) privateKey() (*rsa.PrivateKey, error) {
	sources := 0
	for _, set := range []bool{cfg.rsaKey != nil, len(cfg.privateKeyPEM) > 0, cfg.privateKeyFile != ""} {
		if set {
			sources++
		}
	}
	switch {
	case sources == 0:
		return nil, &InputError{Field: "privateKey", Reason: "is required (WithPrivateKey, WithPrivateKeyFile or WithRSAPrivateKey)"}
	case sources > 1:
		return nil, &InputError{Field: "privateKey", Reason: "is set more than once; give exactly one key source"}
	case cfg.rsaKey != nil:
		if cfg.rsaKey.N == nil || cfg.rsaKey.N.BitLen() < signing.MinKeyBits {
			return nil, &InputError{Field: "privateKey", Reason: fmt.Sprintf("RSA key must have at least %d bits", signing.MinKeyBits)}
		}
		return cfg.rsaKey, nil
	}
	pemBytes, field := cfg.privateKeyPEM, "privateKey"
	if cfg.privateKeyFile != "" {
		var err error
		field = "privateKeyFile"
		if pemBytes, err = readFileOption(field, cfg.privateKeyFile); err != nil {
			return nil, err
		}
	}
	key, err := signing.LoadPrivateKey(pemBytes)
	if err != nil {
		// signing's errors never quote the key material.
		return nil, &InputError{Field: field, Reason: strings.TrimPrefix(err.Error(), "signing: ")}
	}
	return key, nil
}

// environment derives sandbox-ness and the path prefix. LIVE-/SANDBOX- ids
// carry their environment and use bare /v2/ paths; legacy ids put /live or
// /sandbox in front.
func environment(publicKeyID string, sandbox bool) (bool, string) {
	upper := strings.ToUpper(publicKeyID)
	switch {
	case strings.HasPrefix(upper, "SANDBOX-"):
		return true, ""
	case strings.HasPrefix(upper, "LIVE-"):
		return false, ""
	case sandbox:
		return true, "/sandbox"
	}
	return false, "/live"
}

// parseBaseURL accepts scheme://host[:port] with an optional trailing slash.
func parseBaseURL(raw string) (scheme, host string, err error) {
	bad := func(reason string) (string, string, error) {
		return "", "", &InputError{Field: "baseURL", Reason: reason}
	}
	u, perr := url.Parse(raw)
	if perr != nil {
		return bad("does not parse as a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("scheme must be http or https")
	case u.Host == "" || u.Hostname() == "":
		return bad("has no host")
	case u.User != nil:
		return bad("must not contain user information")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.Opaque != "":
		return bad("must be scheme://host[:port] only; the client adds the path")
	}
	return u.Scheme, u.Host, nil
}

// buildHTTPClient returns the caller's client, or a fresh one with its own
// transport and any extra trusted CAs.
func (cfg config) buildHTTPClient() (*http.Client, error) {
	hasCA := len(cfg.caPEM) > 0 || len(cfg.caFiles) > 0
	if cfg.httpClient != nil {
		if hasCA {
			return nil, &InputError{Field: "caCert", Reason: "cannot be combined with WithHTTPClient; configure the CA on your client's transport"}
		}
		return cfg.httpClient, nil
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if hasCA {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		pems := cfg.caPEM
		for _, f := range cfg.caFiles {
			b, err := readFileOption("caFile", f)
			if err != nil {
				return nil, err
			}
			pems = append(pems, b)
		}
		for _, p := range pems {
			if !pool.AppendCertsFromPEM(p) {
				return nil, &InputError{Field: "caCert", Reason: "contains no PEM certificate"}
			}
		}
		tlsConfig.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConfig
	tr.MaxIdleConnsPerHost = 32
	return &http.Client{
		Transport: tr,
		Timeout:   60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// PublicKeyID is the configured public key id.
func (c *Client) PublicKeyID() string { return c.signer.PublicKeyID() }

// Algorithm is the signature algorithm in use.
func (c *Client) Algorithm() signing.Algorithm { return c.signer.Algorithm() }

// Region is the configured region.
func (c *Client) Region() Region { return c.region }

// Sandbox reports whether the client talks to the sandbox environment.
func (c *Client) Sandbox() bool { return c.sandbox }

// BaseURL is where requests go, scheme://host[:port].
func (c *Client) BaseURL() string { return c.scheme + "://" + c.host }

// Response is the HTTP response of a call, with what a caller should log.
// Its body has been read; Body holds a fresh reader over the same bytes.
type Response struct {
	*http.Response
	// RequestID is the x-amz-pay-request-id header; quote it to support.
	RequestID string
	// IdempotencyKey is the key every attempt carried, empty if none.
	IdempotencyKey string
	// Attempts is how many requests the call took, retries included.
	Attempts int
}

// pathParam is one path parameter: the field name for errors and the raw
// value.
type pathParam struct {
	field, value string
}

// callSpec describes one logical API call.
type callSpec struct {
	op     string
	params []pathParam
	query  url.Values
	body   any // nil: no body
	out    any // nil: ignore the body
}

// validateID rejects ids that could escape their path segment. Everything
// else is path-escaped, so an id can never address another resource.
func validateID(field, id string) error {
	switch {
	case id == "":
		return &InputError{Field: field, Reason: "is empty"}
	case strings.TrimSpace(id) == "":
		return &InputError{Field: field, Reason: "is blank"}
	case id == "." || id == "..":
		return &InputError{Field: field, Reason: "must not be a dot segment"}
	case strings.ContainsAny(id, "/\\"):
		return &InputError{Field: field, Reason: "must not contain a slash"}
	}
	return nil
}

// call runs one operation: validation, encoding, signing, sending, retries
// and decoding. Nothing is sent when validation fails.
func (c *Client) call(ctx context.Context, spec callSpec, opts []RequestOption) (*Response, error) {
	if ctx == nil {
		return nil, &InputError{Field: "ctx", Reason: "is nil"}
	}
	op, ok := lookupOperation(spec.op)
	if !ok {
		return nil, fmt.Errorf("amazonpay: unknown operation %q", spec.op)
	}
	escaped := make([]string, len(spec.params))
	for i, p := range spec.params {
		if err := validateID(p.field, p.value); err != nil {
			return nil, err
		}
		escaped[i] = url.PathEscape(p.value)
	}
	ro, err := c.resolveOptions(opts)
	if err != nil {
		return nil, err
	}
	body, err := encodeBody(spec.body)
	if err != nil {
		return nil, err
	}
	key := ro.idempotencyKey
	if key == "" && op.Method == http.MethodPost {
		if key, err = c.newKey(); err != nil {
			return nil, fmt.Errorf("amazonpay: generating idempotency key: %w", err)
		}
	}
	u := &url.URL{Scheme: c.scheme, Host: c.host, RawQuery: signing.CanonicalQuery(spec.query)}
	escapedPath := c.pathPrefix + op.expand(escaped...)
	if u.Path, err = url.PathUnescape(escapedPath); err != nil {
		return nil, fmt.Errorf("amazonpay: building path: %w", err)
	}
	u.RawPath = escapedPath
	a := attempt{op: op, url: u, escapedPath: escapedPath, body: body, key: key, opts: ro}
	return c.send(ctx, a, spec.out)
}

// callInto runs one call whose response body decodes into a new T: the
// plumbing every service method shares. It returns the T only when the
// call succeeded, so a caller never reads a half-filled object next to an
// error. spec.out is set here.
func callInto[T any](ctx context.Context, c *Client, spec callSpec, opts []RequestOption) (*T, *Response, error) {
	v := new(T)
	spec.out = v
	resp, err := c.call(ctx, spec, opts)
	if err != nil {
		return nil, resp, err
	}
	return v, resp, nil
}

// attempt holds everything needed to (re)build one signed request.
type attempt struct {
	op          Operation
	url         *url.URL
	escapedPath string
	body        []byte
	key         string
	opts        requestOptions
}

// encodeBody marshals a request body once, without HTML escaping (so
// URLs stay readable), and without the encoder's trailing newline.
func encodeBody(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("amazonpay: encoding request body: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// newRequest builds and signs one attempt with a fresh x-amz-pay-date.
func (c *Client) newRequest(ctx context.Context, a attempt) (*http.Request, error) {
	var rdr io.Reader
	if a.body != nil {
		rdr = bytes.NewReader(a.body)
	}
	req, err := http.NewRequestWithContext(ctx, a.op.Method, a.url.String(), rdr)
	if err != nil {
		return nil, fmt.Errorf("amazonpay: building request: %w", err)
	}
	h := c.baseHeaders()
	if a.key != "" {
		h.Set(signing.HeaderIdempotencyKey, a.key)
	}
	if a.opts.simulationCode != "" {
		h.Set(signing.HeaderSimulationCode, a.opts.simulationCode)
	}
	for name, values := range a.opts.header {
		for _, v := range values {
			h.Add(name, v)
		}
	}
	auth, err := c.signer.Authorization(a.op.Method, a.escapedPath, a.url.RawQuery, h, a.body)
	if err != nil {
		return nil, fmt.Errorf("amazonpay: signing request: %w", err)
	}
	req.Header = h
	req.Header.Set(signing.HeaderAuthorization, auth)
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

// baseHeaders are the headers every request carries and signs.
func (c *Client) baseHeaders() http.Header {
	h := make(http.Header, 8)
	h.Set(signing.HeaderAccept, "application/json")
	h.Set(signing.HeaderContentType, "application/json")
	h.Set(signing.HeaderDate, signing.FormatDate(c.now()))
	h.Set(signing.HeaderHost, c.host)
	h.Set(signing.HeaderRegion, string(c.region))
	return h
}

// send performs the attempts of one logical call. Each attempt is signed
// afresh (new x-amz-pay-date) but carries the same idempotency key.
func (c *Client) send(ctx context.Context, a attempt, out any) (*Response, error) {
	for n := 1; ; n++ {
		req, err := c.newRequest(ctx, a)
		if err != nil {
			return nil, err
		}
		resp, data, err := c.roundTrip(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, &RequestError{Operation: a.op.Name, IdempotencyKey: a.key, Attempts: n, Err: ctx.Err()}
			}
			retry, reason := retryableTransportError(err)
			if !retry || n >= c.retry.MaxAttempts {
				return nil, &RequestError{Operation: a.op.Name, IdempotencyKey: a.key, Attempts: n, Err: err}
			}
			if werr := c.backoff(ctx, a.op, n, reason, 0, false); werr != nil {
				return nil, &RequestError{Operation: a.op.Name, IdempotencyKey: a.key, Attempts: n, Err: werr}
			}
			continue
		}
		if retryableStatus(resp.StatusCode) && n < c.retry.MaxAttempts {
			wait, fromServer := c.retryAfter(resp)
			reason := fmt.Sprintf("status %d", resp.StatusCode)
			if werr := c.backoff(ctx, a.op, n, reason, wait, fromServer); werr != nil {
				return nil, &RequestError{Operation: a.op.Name, IdempotencyKey: a.key, Attempts: n, Err: werr}
			}
			continue
		}
		return c.finish(ctx, a, n, resp, data, out)
	}
}

// roundTrip sends one request and reads its body: a success body up to
// maxResponseBody, an error body up to maxErrorBody. A failure while reading
// counts as a transport error, since the request may have been processed.
func (c *Client) roundTrip(req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	limit := int64(maxResponseBody)
	if resp.StatusCode >= 400 {
		limit = maxErrorBody
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(data)) > limit {
		if resp.StatusCode < 400 {
			return nil, nil, errBodyTooLarge
		}
		data = data[:limit]
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, data, nil
}

var errBodyTooLarge = errors.New("response body exceeds 16 MiB")

// finish turns the final response into the result or an *APIError.
func (c *Client) finish(ctx context.Context, a attempt, attempts int, resp *http.Response, data []byte, out any) (*Response, error) {
	r := &Response{Response: resp, RequestID: resp.Header.Get(signing.HeaderRequestID), IdempotencyKey: a.key, Attempts: attempts}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "amazonpay: call finished",
		slog.String("operation", a.op.Name), slog.Int("status", resp.StatusCode),
		slog.String("request_id", r.RequestID), slog.Int("attempts", attempts))
	if resp.StatusCode >= 400 {
		return r, newAPIError(resp)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return r, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return r, fmt.Errorf("amazonpay: decoding %s response: %w", a.op.Name, err)
	}
	return r, nil
}

// backoff logs the retry decision and waits: wait when the server said how
// long (fromServer), otherwise exponential backoff with full jitter.
func (c *Client) backoff(ctx context.Context, op Operation, attempt int, reason string, wait time.Duration, fromServer bool) error {
	if !fromServer {
		wait = c.retry.delay(attempt, c.jitter)
	}
	c.logger.LogAttrs(ctx, slog.LevelWarn, "amazonpay: retrying",
		slog.String("operation", op.Name), slog.Int("attempt", attempt),
		slog.Int("max_attempts", c.retry.MaxAttempts), slog.String("reason", reason),
		slog.Duration("wait", wait))
	return c.wait(ctx, wait)
}

// fullJitter picks a uniformly random wait in [0, max].
func fullJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(max) + 1))
}
