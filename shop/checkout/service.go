package checkout

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop"
)

// Paths of the storefront's return URLs, relative to [Config.BaseURL]. They
// are part of what is signed into the button payload and sent to Amazon Pay,
// so the web layer serves exactly these.
const (
	// ReviewPath is checkoutReviewReturnUrl: Amazon Pay sends the buyer
	// here after sign-in and selection, and after a change action.
	ReviewPath = "/checkout/review"
	// ResultPath is checkoutResultReturnUrl: Amazon Pay sends the buyer
	// here after amazonPayRedirectUrl, whatever the outcome.
	ResultPath = "/checkout/result"
	// CancelPath is checkoutCancelUrl: the buyer canceled on an Amazon Pay
	// page.
	CancelPath = "/checkout/cancel"
)

// MinSecretLength is the shortest accepted [Config.Secret].
const MinSecretLength = 32

// Config configures a [Service]. Store, Client, BaseURL, StoreID,
// MerchantID, Currency and Secret are required.
type Config struct {
	// Store is the shop's persistence.
	Store shop.Store
	// Client calls Amazon Pay (or an emulator).
	Client *amazonpay.Client
	// BaseURL is the storefront's public URL, scheme://host[:port] without
	// a path; the return URLs sent to Amazon Pay are built from it.
	BaseURL string
	// StoreID is the Login with Amazon client id (APAY_STORE_ID).
	StoreID string
	// MerchantID is the Amazon Pay merchant id checkout.js needs
	// (APAY_MERCHANT_ID).
	MerchantID string
	// Currency is what the shop sells in, its Amazon Pay ledger currency
	// (USD for a US store, JPY for a Japanese one, EUR or GBP).
	Currency string
	// StoreName is sent as merchantMetadata.merchantStoreName (at most 50
	// characters; default "apaykit shop").
	StoreName string
	// PaymentIntent is what Amazon Pay does at checkout: Authorize (the
	// default; capture later in the back office), AuthorizeWithCapture or
	// Confirm (charge later).
	PaymentIntent amazonpay.PaymentIntent
	// CanHandlePendingAuthorization lets Amazon Pay answer an
	// authorization later (up to 24 h); the order then shows "payment
	// being confirmed" until it is decided. Not allowed with
	// AuthorizeWithCapture.
	CanHandlePendingAuthorization bool
	// Secret keys the HMAC that ties a checkout session to the cart whose
	// button created it. At least MinSecretLength bytes; keep it stable
	// across restarts, or checkouts in flight during a restart have to be
	// started again.
	Secret []byte
	// Logger receives errors that are not returned (a call-log write that
	// failed); default discard.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Service is the storefront's checkout. It is safe for concurrent use.
type Service struct {
	store      shop.Store
	client     *amazonpay.Client
	base       string
	storeID    string
	merchantID string
	currency   string
	storeName  string
	intent     amazonpay.PaymentIntent
	canPending bool
	secret     []byte
	log        *slog.Logger
	now        func() time.Time

	buttons  buttonCache
	products atomic.Pointer[productList]
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("checkout: Config.Store is required")
	case cfg.Client == nil:
		return nil, errors.New("checkout: Config.Client is required")
	case cfg.StoreID == "":
		return nil, errors.New("checkout: Config.StoreID (APAY_STORE_ID) is required")
	case cfg.MerchantID == "":
		return nil, errors.New("checkout: Config.MerchantID (APAY_MERCHANT_ID) is required")
	case len(cfg.Secret) < MinSecretLength:
		return nil, fmt.Errorf("checkout: Config.Secret must be at least %d bytes", MinSecretLength)
	}
	base, err := normaliseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	ccy := strings.ToUpper(strings.TrimSpace(cfg.Currency))
	if _, err := amazonpay.CurrencyExponent(ccy); err != nil || !money.Known(ccy) {
		return nil, fmt.Errorf("checkout: Config.Currency %q is not a currency Amazon Pay charges in", cfg.Currency)
	}
	intent := cfg.PaymentIntent
	switch intent {
	case "":
		intent = amazonpay.PaymentIntentAuthorize
	case amazonpay.PaymentIntentAuthorize, amazonpay.PaymentIntentConfirm:
	case amazonpay.PaymentIntentAuthorizeWithCapture:
		if cfg.CanHandlePendingAuthorization {
			return nil, errors.New("checkout: CanHandlePendingAuthorization cannot be used with AuthorizeWithCapture")
		}
	default:
		return nil, fmt.Errorf("checkout: unknown PaymentIntent %q", intent)
	}
	name := strings.TrimSpace(cfg.StoreName)
	if name == "" {
		name = "apaykit shop"
	}
	if len(name) > 50 {
		return nil, errors.New("checkout: Config.StoreName is longer than 50 characters")
	}
	s := &Service{
		store: cfg.Store, client: cfg.Client, base: base, storeID: cfg.StoreID, merchantID: cfg.MerchantID,
		currency: ccy, storeName: name, intent: intent, canPending: cfg.CanHandlePendingAuthorization,
		secret: append([]byte(nil), cfg.Secret...), log: cfg.Logger, now: cfg.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// normaliseBaseURL accepts http(s)://host[:port] with no path, query or
// fragment (a trailing slash is dropped).
func normaliseBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("checkout: Config.BaseURL %q must be http(s)://host[:port] without a path", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// Currency is the shop's currency.
func (s *Service) Currency() string { return s.currency }

// BaseURL is the storefront's public URL.
func (s *Service) BaseURL() string { return s.base }

// MerchantID is the Amazon Pay merchant id (for checkout.js).
func (s *Service) MerchantID() string { return s.merchantID }

// StoreID is the store id (for checkout.js payloads).
func (s *Service) StoreID() string { return s.storeID }

// Client is the Amazon Pay client the service uses.
func (s *Service) Client() *amazonpay.Client { return s.client }

// Store is the store the service uses.
func (s *Service) Store() shop.Store { return s.store }

// PaymentIntent is the configured paymentIntent.
func (s *Service) PaymentIntent() amazonpay.PaymentIntent { return s.intent }

// CheckoutLanguage is the checkout.js checkoutLanguage that suits the
// shop's currency.
func (s *Service) CheckoutLanguage() string { return CheckoutLanguage(s.currency) }

// CheckoutLanguage is the checkout.js checkoutLanguage for a ledger
// currency: ja_JP for JPY, en_GB for GBP, de_DE for EUR, en_US otherwise.
func CheckoutLanguage(currency string) string {
	switch currency {
	case "JPY":
		return "ja_JP"
	case "GBP":
		return "en_GB"
	case "EUR":
		return "de_DE"
	}
	return "en_US"
}

// reviewURL is the checkoutReviewReturnUrl of a cart's button: the review
// path with a token only this server can compute from the cart id.
func (s *Service) reviewURL(cartID string) string {
	return s.base + ReviewPath + "?ref=" + s.cartRef(cartID)
}

// cartRef is HMAC-SHA256(secret, "checkout-review:"+cartID), 128 bits,
// base64url. It reveals nothing about the cart id (the cart's credential).
func (s *Service) cartRef(cartID string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("checkout-review:" + cartID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// price converts minor units of the shop currency to a wire Price.
func (s *Service) price(minor int64, currency string) (amazonpay.Price, error) {
	return amazonpay.NewPrice(minor, currency)
}

// clientKeyFor is the money movement's client key for a checkout session's
// Complete: unique per session, so a retry of the same checkout reuses the
// movement (and its Amazon idempotency key).
func clientKeyFor(checkoutSessionID string) string { return "checkout:" + checkoutSessionID }

// buttonCache keeps signed button configs per cart: the payload of a cart
// never changes, and signing costs an RSA operation per page view.
type buttonCache struct {
	mu sync.Mutex
	m  map[string]amazonpay.ButtonConfig
}

const buttonCacheSize = 4096

func (c *buttonCache) get(key string) (amazonpay.ButtonConfig, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key]
	return b, ok
}

func (c *buttonCache) put(key string, b amazonpay.ButtonConfig) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= buttonCacheSize {
		c.m = make(map[string]amazonpay.ButtonConfig) // a full cache starts over: bounded, and cheap to refill
	}
	c.m[key] = b
}

// withoutCancel keeps request values but not the request's cancellation:
// once Amazon Pay has been called, the answer must be stored even if the
// buyer closed the tab.
func withoutCancel(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
