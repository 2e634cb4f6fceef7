package payments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Defaults of [Config].
const (
	DefaultReauthorizeWithin = 24 * time.Hour
	DefaultCallTimeout       = 30 * time.Second
	DefaultBusyWait          = 10 * time.Second
	DefaultGiveUpAfter       = 24 * time.Hour
)

// Config configures a [Service]. Store and Client are required.
type Config struct {
	// Store is the shop's database.
	Store shop.Store
	// Client calls Amazon Pay (or an emulator).
	Client *amazonpay.Client
	// Logger receives one line per refused or failed operation; never
	// secrets or buyer data. Nil discards.
	Logger *slog.Logger
	// Now is the shop's clock, used to decide whether an authorization is
	// about to expire. Nil means time.Now.
	Now func() time.Time
	// ReauthorizeWithin: a capture re-authorizes first when the open
	// authorization expires within this (default 24 h). An authorization
	// lasts 30 days; a capture late in its life may be processed
	// asynchronously and must not see it expire underneath.
	ReauthorizeWithin time.Duration
	// CallTimeout bounds one Amazon Pay call, the client's retries
	// included (default 30 s). A movement pending for longer than
	// CallTimeout plus a margin has lost its caller and may be resumed by
	// anyone (ResumeAfter).
	CallTimeout time.Duration
	// ResumeAfter is the age from which a pending movement is taken to be
	// abandoned (its process died, or the answer was lost) and is resumed
	// by the reconciler or by another request that waits for it (default
	// CallTimeout + 15 s).
	ResumeAfter time.Duration
	// BusyWait is how long an operation waits for another pending one on
	// the same order before answering operation_in_progress (default
	// 10 s; 0 keeps the default, a negative value does not wait).
	BusyWait time.Duration
	// GiveUpAfter: a movement still pending this long after it was
	// recorded, whose replay still gets no definitive answer, is marked
	// failed so the order is not blocked forever (default 24 h).
	GiveUpAfter time.Duration
	// SoftDescriptor is shown on the buyer's statement for captures and
	// refunds (at most 16 characters); empty leaves Amazon Pay's default.
	SoftDescriptor string
	// MerchantID, if set, makes notifications for other merchants be
	// acknowledged and ignored.
	MerchantID string
}

// Service moves money for orders. It is safe for concurrent use, also by
// several processes sharing one database.
type Service struct {
	store  shop.Store
	client *amazonpay.Client
	log    *slog.Logger
	cfg    Config

	// flights holds the movements this process is executing, so that
	// concurrent requests resuming the same movement share one Amazon
	// Pay call instead of each replaying it.
	mu      sync.Mutex
	flights map[int64]*flight

	// gate serialises this process's write transactions on SQLite (nil on
	// PostgreSQL). SQLite has one writer at a time; without a queue in
	// front of it, concurrent writers wait in its busy handler, which
	// sleeps in steps of 1 to 100 ms, and throughput collapses.
	gate chan struct{}
}

// flight is one movement being executed.
type flight struct {
	done chan struct{}
	res  *Result
	err  error
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Client == nil {
		return nil, errors.New("payments: Config needs a Store and a Client")
	}
	if len(cfg.SoftDescriptor) > 16 {
		return nil, errors.New("payments: SoftDescriptor is longer than 16 characters")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReauthorizeWithin <= 0 {
		cfg.ReauthorizeWithin = DefaultReauthorizeWithin
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.ResumeAfter <= 0 {
		cfg.ResumeAfter = cfg.CallTimeout + 15*time.Second
	}
	if cfg.BusyWait == 0 {
		cfg.BusyWait = DefaultBusyWait
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = DefaultGiveUpAfter
	}
	s := &Service{store: cfg.Store, client: cfg.Client, log: cfg.Logger, cfg: cfg, flights: map[int64]*flight{}}
	if d, ok := cfg.Store.(interface{ Dialect() string }); ok && d.Dialect() == "sqlite" {
		s.gate = make(chan struct{}, 1)
	}
	return s, nil
}

// Store returns the service's store.
func (s *Service) Store() shop.Store { return s.store }

// Client returns the service's Amazon Pay client.
func (s *Service) Client() *amazonpay.Client { return s.client }

// now is the shop's clock.
func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Result is what an operation did. The order and payment are read after
// the operation, in the same transaction that applied it.
type Result struct {
	Operation shop.Operation
	Order     *shop.Order
	Payment   *shop.Payment
	// Movement is the money movement that carried the operation (for a
	// re-authorized capture, the capture).
	Movement *shop.MoneyMovement
	// Charge is the charge authorized, captured or canceled, as stored.
	Charge *shop.Charge
	// Refund is the refund created, as stored.
	Refund *shop.Refund
	// Replaced is the authorization a re-authorization replaced (expired,
	// or canceled because it was about to), nil if none.
	Replaced *shop.Charge
	// Pending reports that Amazon Pay has not decided yet
	// (AuthorizationInitiated, CaptureInitiated): the order moves when the
	// notification or the reconciler learns the outcome.
	Pending bool
	// Replayed reports that the request had already been carried out
	// (same idempotency key) and this is its stored result.
	Replayed bool
}

// Request is the common input of the operations.
type Request struct {
	// IdempotencyKey makes the request safe to retry: the same key for the
	// same order and operation resumes or replays the first request and
	// never moves money twice. Empty means a fresh random key (the request
	// cannot be replayed). 1 to 200 printable ASCII characters.
	IdempotencyKey string
	// Amount in minor units of the order's currency; 0 means the default
	// of the operation (the whole open authorization for a capture, the
	// whole remaining captured amount for a refund, the uncaptured rest of
	// the order for an authorization). Negative is refused.
	Amount int64
	// Currency, if set, must be the order's currency.
	Currency string
	// Reason is the merchant's note (at most 255 bytes of UTF-8 text). It
	// is stored with every money movement the request makes, when the
	// movement is recorded, and shown in the order's history; Amazon Pay
	// also receives it as the cancellation or closure reason where it
	// takes one (cancel, close). A replay with the same IdempotencyKey
	// keeps the first request's reason: it is a note, so a different one
	// is neither stored nor refused. It is never logged.
	Reason string
	// CancelPendingCharges, for Close, also cancels open authorizations.
	CancelPendingCharges bool
}

// maxClientKey leaves room for the prefixes of derived keys within the
// store's 255 characters.
const maxClientKey = 200

// clientKey validates and returns the caller's key, or makes a random one.
func (r *Request) clientKey() (string, error) {
	if r.IdempotencyKey == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return "auto:" + hex.EncodeToString(b[:]), nil
	}
	if len(r.IdempotencyKey) > maxClientKey {
		return "", &Error{Status: 400, Code: CodeInvalidRequest, Message: "Idempotency-Key must be at most 200 characters."}
	}
	if err := shop.ValidateClientKey(r.IdempotencyKey); err != nil {
		return "", &Error{Status: 400, Code: CodeInvalidRequest, Message: shop.ErrorMessage(err)}
	}
	return r.IdempotencyKey, nil
}

// check validates the parts of a request every operation shares.
func (r *Request) check(o *shop.Order) error {
	if r.Amount < 0 {
		return amazonError(amazonpay.ReasonInvalidParameterValue, "The amount must be positive.")
	}
	if r.Currency != "" && r.Currency != o.Currency {
		return amazonError(amazonpay.ReasonCurrencyMismatch, "The amount's currency %s is not the order's currency %s.", r.Currency, o.Currency)
	}
	if len(r.Reason) > shop.MaxReasonLen {
		return amazonError(amazonpay.ReasonInvalidParameterValue, "The reason must be at most 255 characters.")
	}
	if !utf8.ValidString(r.Reason) || strings.ContainsRune(r.Reason, 0) {
		return amazonError(amazonpay.ReasonInvalidParameterValue, "The reason must be UTF-8 text without NUL characters.")
	}
	return nil
}

// detach keeps an operation going when its caller goes away: once a
// movement is recorded, finishing it is cheaper than leaving it pending.
func detach(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// withTx runs fn in a transaction, again (up to a few times) when the
// database was too busy to start or commit it: SQLite answers
// SQLITE_BUSY once its busy timeout has passed under heavy write
// contention, and PostgreSQL may report a serialization failure or
// deadlock. fn only touches the database, so running it again is safe.
func (s *Service) withTx(ctx context.Context, fn func(tx shop.Tx) error) error {
	delay := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.Exclusive(ctx, func() error { return s.store.WithTx(ctx, fn) })
		if err == nil || attempt == 5 || !TransientDBError(err) {
			return err
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "payments: database busy, retrying the transaction", slog.Int("attempt", attempt))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay *= 2
	}
}

// TransientDBError recognises the database errors worth a retry. Only
// internal errors qualify: a *shop.Error is the store's verdict.
func TransientDBError(err error) bool {
	if shop.ErrorCode(err) != shop.EINTERNAL {
		return false
	}
	msg := err.Error()
	for _, s := range []string{"SQLITE_BUSY", "database is locked", "SQLSTATE 40001", "SQLSTATE 40P01"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Exclusive runs fn, which writes to the store, after this process's other
// writers on SQLite (see Service.gate); on PostgreSQL it just runs fn. The
// REST layer's own writes (idempotency records) queue here too.
func (s *Service) Exclusive(ctx context.Context, fn func() error) error {
	if s.gate == nil {
		return fn()
	}
	select {
	case s.gate <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.gate }()
	return fn()
}
