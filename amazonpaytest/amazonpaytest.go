// Package amazonpaytest runs the apaykit emulator in-process for tests, the
// way stripe-go's suite runs against stripe-mock, but stateful: NewServer
// starts it on a local httptest server, registers a fresh merchant key and
// returns a ready *amazonpay.Client plus helpers for what the buyer and time
// do (sign in, confirm, move the clock).
//
//	srv := amazonpaytest.NewServer(t)
//	cs, _, _ := srv.Client.CheckoutSessions.Create(ctx, req, amazonpay.WithIdempotencyKey("k1"))
//	srv.BuyerSignIn(ctx, cs.CheckoutSessionID, amazonpaytest.Buyer{PaymentMethod: "3434"})
//	… Update …
//	srv.Confirm(ctx, cs.CheckoutSessionID)
//	… Complete …
//	srv.AdvanceClock(30 * 24 * time.Hour) // authorizations expire
package amazonpaytest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base32"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/emulator"
)

// Server is a running in-process emulator with a client for one merchant.
type Server struct {
	// Client is configured for the emulator with the registered key.
	Client *amazonpay.Client
	// URL is the emulator's base URL (http://127.0.0.1:PORT).
	URL string
	// Emulator is the emulator itself, for anything the helpers lack.
	Emulator *emulator.Server
	// PublicKeyID is the registered key's id (SANDBOX-… by default).
	PublicKeyID string
	// PrivateKey signs the client's requests.
	PrivateKey *rsa.PrivateKey
	// MerchantID owns the objects the client creates.
	MerchantID string
}

// config collects Options.
type config struct {
	live          bool
	algorithm     string
	emulator      emulator.Options
	clientOptions []amazonpay.Option
}

// Option changes what NewServer sets up.
type Option func(*config)

// WithLive registers a LIVE- key instead of a SANDBOX- one.
func WithLive() Option { return func(c *config) { c.live = true } }

// WithAlgorithm makes the client sign with AMZN-PAY-RSASSA-PSS instead of
// the default AMZN-PAY-RSASSA-PSS-V2.
func WithAlgorithm(alg string) Option { return func(c *config) { c.algorithm = alg } }

// WithEmulatorOptions sets the emulator's Options (clock, throttling…).
func WithEmulatorOptions(o emulator.Options) Option { return func(c *config) { c.emulator = o } }

// WithClientOptions adds options to the client (after the ones NewServer sets).
func WithClientOptions(opts ...amazonpay.Option) Option {
	return func(c *config) { c.clientOptions = append(c.clientOptions, opts...) }
}

// The RSA key is generated once per test binary (2048-bit generation takes
// a noticeable fraction of a second); each server registers it under a fresh
// key id, so servers never share a merchant.
var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
)

func testKey() (*rsa.PrivateKey, error) {
	keyOnce.Do(func() { key, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	return key, keyErr
}

// NewServer starts an emulator and returns it with a ready client. The
// server is closed when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	k, err := testKey()
	if err != nil {
		t.Fatalf("amazonpaytest: generate key: %v", err)
	}
	emuOpts := cfg.emulator
	if emuOpts.TickInterval == 0 {
		emuOpts.TickInterval = -1 // tests move time with AdvanceClock
	}
	emu, err := emulator.New(emuOpts)
	if err != nil {
		t.Fatalf("amazonpaytest: start emulator: %v", err)
	}
	hs := httptest.NewServer(emu.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = emu.Close()
	})
	id := newKeyID(cfg.live)
	if err := emu.RegisterPublicKey(id, &k.PublicKey, ""); err != nil {
		t.Fatalf("amazonpaytest: register key: %v", err)
	}
	alg := cfg.algorithm
	if alg == "" {
		alg = "AMZN-PAY-RSASSA-PSS-V2"
	}
	// httptest's client keeps 2 idle connections per host, like
	// http.DefaultTransport; under concurrent calls every other request
	// would dial a new connection. Keep as many as the SDK's own default.
	hc := hs.Client()
	if tr, ok := hc.Transport.(*http.Transport); ok {
		tr.MaxIdleConnsPerHost = 32
	}
	clientOpts := append([]amazonpay.Option{
		amazonpay.WithPublicKeyID(id),
		amazonpay.WithRSAPrivateKey(k),
		amazonpay.WithRegion("us"),
		amazonpay.WithAlgorithm(alg),
		amazonpay.WithBaseURL(hs.URL),
		amazonpay.WithHTTPClient(hc),
	}, cfg.clientOptions...)
	client, err := amazonpay.NewClient(clientOpts...)
	if err != nil {
		t.Fatalf("amazonpaytest: client: %v", err)
	}
	return &Server{Client: client, URL: hs.URL, Emulator: emu, PublicKeyID: id, PrivateKey: k, MerchantID: emu.MerchantID(id)}
}

// newKeyID returns a fresh SANDBOX-/LIVE- key id of Amazon's length.
func newKeyID(live bool) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	sum := sha256.Sum256(b[:])
	id := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:24]
	if live {
		return "LIVE-" + id
	}
	return "SANDBOX-" + id
}

// Buyer is what the buyer does on the hosted pages; the zero value signs
// in as the sandbox test buyer with a succeeding card.
type Buyer = emulator.BuyerInput

// BuyerSignIn does what the buyer does on Amazon's sign-in and selection
// pages and returns the review URL (checkoutReviewReturnUrl with
// amazonCheckoutSessionId).
func (s *Server) BuyerSignIn(ctx context.Context, checkoutSessionID string, b Buyer) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return s.Emulator.SignIn(checkoutSessionID, b)
}

// Confirm does what happens when the buyer reaches amazonPayRedirectUrl and
// returns the result URL (checkoutResultReturnUrl with
// amazonCheckoutSessionId).
func (s *Server) Confirm(ctx context.Context, checkoutSessionID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return s.Emulator.Confirm(checkoutSessionID, false)
}

// Cancel is the buyer canceling on amazonPayRedirectUrl; it returns the
// cancel URL (or the result URL when the merchant gave none).
func (s *Server) Cancel(ctx context.Context, checkoutSessionID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return s.Emulator.Confirm(checkoutSessionID, true)
}

// NewBuyerToken does what the Sign-In button does: a buyerToken for Get
// Buyer, and the buyer's id.
func (s *Server) NewBuyerToken(email string) (token, buyerID string) {
	return s.Emulator.NewBuyerToken(email, "")
}

// AdvanceClock moves the emulator's business time forward by d; expiries
// and pending outcomes that fall due happen now.
func (s *Server) AdvanceClock(d time.Duration) { s.Emulator.AdvanceClock(d) }

// Notifications returns the notifications the emulator queued, oldest first.
func (s *Server) Notifications() []emulator.Notification { return s.Emulator.Notifications() }
