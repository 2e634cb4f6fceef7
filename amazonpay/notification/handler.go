package notification

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// MaxBodyBytes bounds the body Handler reads. An SNS message is at most
// 256 KiB; escaped inside the envelope it stays well under this.
const MaxBodyBytes = 1 << 20

// HandlerOption configures [Handler].
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	onConfirmation func(context.Context, *Envelope) error
	logger         *slog.Logger
}

// OnConfirmation sets what Handler does with an authentic
// SubscriptionConfirmation or UnsubscribeConfirmation (for example, log its
// SubscribeURL for an operator, or GET it after checking TopicArn). Without
// it they are acknowledged with 200 and otherwise ignored; Amazon Pay manages
// its own subscriptions.
func OnConfirmation(fn func(ctx context.Context, env *Envelope) error) HandlerOption {
	return func(c *handlerConfig) { c.onConfirmation = fn }
}

// WithHandlerLogger logs every refused or failed delivery (never the body).
// The default discards.
func WithHandlerLogger(l *slog.Logger) HandlerOption {
	return func(c *handlerConfig) { c.logger = l }
}

// Handler returns the IPN endpoint: it accepts POST only, verifies the body
// with v, decodes the Amazon Pay message and calls fn with the request's
// context. It answers 200 when fn returns nil; 400 for a malformed body; 403
// when verification fails (forged signature, untrusted certificate, stale
// timestamp, foreign topic); 503 when the signing certificate could not be
// fetched; 500 when fn fails — so SNS retries exactly the deliveries worth
// retrying. SNS may deliver a message more than once: make fn idempotent
// (Envelope.MessageID identifies a delivery).
func Handler(v *Verifier, fn func(ctx context.Context, n *Notification) error, opts ...HandlerOption) http.Handler {
	cfg := handlerConfig{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&cfg)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		status, err := serve(w, r, v, fn, &cfg)
		if err != nil {
			cfg.logger.WarnContext(r.Context(), "notification refused", "status", status, "err", err)
		}
		if status == http.StatusOK {
			w.WriteHeader(status)
			return
		}
		http.Error(w, http.StatusText(status), status)
	})
}

func serve(w http.ResponseWriter, r *http.Request, v *Verifier, fn func(context.Context, *Notification) error, cfg *handlerConfig) (int, error) {
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, err
		}
		return http.StatusBadRequest, err
	}
	env, err := v.Verify(ctx, body)
	if err != nil {
		return HTTPStatus(err), err
	}
	if env.Type != TypeNotification {
		if cfg.onConfirmation == nil {
			return http.StatusOK, nil
		}
		if err := cfg.onConfirmation(ctx, env); err != nil {
			return http.StatusInternalServerError, err
		}
		return http.StatusOK, nil
	}
	n, err := Decode(env)
	if err != nil {
		return HTTPStatus(err), err
	}
	if err := fn(ctx, n); err != nil {
		return http.StatusInternalServerError, err
	}
	return http.StatusOK, nil
}

// HTTPStatus maps an error from this package to the status an IPN endpoint
// should answer, for handlers written without [Handler]: 400 malformed,
// 403 not authentic, 503 certificate unavailable, 500 anything else.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrInvalidSignature), errors.Is(err, ErrCertURL), errors.Is(err, ErrCertChain),
		errors.Is(err, ErrTopic), errors.Is(err, ErrStale):
		return http.StatusForbidden
	case errors.Is(err, ErrCertFetch):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrSubscription):
		return http.StatusOK
	}
	return http.StatusInternalServerError
}
