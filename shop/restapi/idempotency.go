package restapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
)

// maxBody bounds a POST body; the operations take a few small fields.
const maxBody = 64 << 10

// maxIdempotencyKey bounds the Idempotency-Key header; the shop prefixes
// it with the API key id to scope it.
const maxIdempotencyKey = 128

// idemContext carries the request's client key for the payments service.
type idemContext struct{}

// clientKeyOf returns the key the payments service derives its Amazon Pay
// idempotency keys from: the API key's id and the Idempotency-Key header,
// so two API keys never share keys. Empty without the header.
func clientKeyOf(ctx context.Context) string {
	k, _ := ctx.Value(idemContext{}).(string)
	return k
}

// recorder captures a response so it can be stored.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// idempotent implements the Idempotency-Key header for POSTs: the first
// request with a key runs and its answer is stored; a repeat gets the
// stored answer (Idempotent-Replayed: true); a repeat while the first runs
// waits for it; a different request with the same key is refused (422).
// Answers that may change on retry (429, 5xx, 409 busy) are not stored, so
// the retry runs again — and resumes the money movement underneath.
func (a *API) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, &payments.Error{Status: http.StatusRequestEntityTooLarge, Code: "InvalidRequestFormat", Message: "The request body is too large."})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > maxIdempotencyKey || shop.ValidateClientKey(key) != nil {
			writeError(w, badRequest("InvalidHeaderValue", "Idempotency-Key must be 1 to 128 printable ASCII characters without spaces."))
			return
		}
		ctx := r.Context()
		apiKey := apiKeyOf(ctx)
		rec := &shop.IdempotencyRecord{APIKeyID: apiKey.ID, Key: key, Method: r.Method, Path: r.URL.Path,
			RequestHash: shop.HashRequest(r.Method, r.URL.Path, body)}
		stored, err := a.claim(ctx, rec)
		if err != nil {
			writeError(w, err)
			return
		}
		if stored != nil {
			w.Header().Set("Idempotent-Replayed", "true")
			writeBody(w, stored.Status, stored.Body)
			return
		}
		rw := &recorder{header: w.Header()}
		next.ServeHTTP(rw, r.WithContext(context.WithValue(ctx, idemContext{}, apiKey.ID+":"+key)))
		status := rw.status
		if status == 0 {
			status = http.StatusOK
		}
		// Store (or release) even if the client went away.
		sctx := context.WithoutCancel(ctx)
		err = a.pay.Exclusive(sctx, func() error {
			if final(status) {
				return a.store.CompleteIdempotentRequest(sctx, apiKey.ID, key, status, rw.body.Bytes())
			}
			return a.store.AbandonIdempotentRequest(sctx, apiKey.ID, key)
		})
		if err != nil && shop.ErrorCode(err) != shop.ENOTFOUND {
			a.log.LogAttrs(ctx, slog.LevelError, "restapi: storing an idempotent answer", slog.String("err", err.Error()))
		}
		w.WriteHeader(status)
		_, _ = w.Write(rw.body.Bytes())
	})
}

// claim takes the key, waiting while a concurrent request holds it. It
// returns the stored record when the request is a repeat.
func (a *API) claim(ctx context.Context, rec *shop.IdempotencyRecord) (*shop.IdempotencyRecord, error) {
	deadline := time.Now().Add(a.cfg.IdempotencyWait)
	delay := 10 * time.Millisecond
	for {
		r := *rec
		var stored *shop.IdempotencyRecord
		err := a.pay.Exclusive(ctx, func() (err error) {
			stored, err = a.store.BeginIdempotentRequest(ctx, &r, a.cfg.IdempotencyLease)
			return err
		})
		switch shop.ErrorCode(err) {
		case "":
			return stored, nil
		case shop.EINVALID:
			return nil, &payments.Error{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused", Message: shop.ErrorMessage(err)}
		case shop.ECONFLICT:
		default:
			if !payments.TransientDBError(err) {
				return nil, err
			}
		}
		if time.Now().After(deadline) {
			return nil, &payments.Error{Status: http.StatusConflict, Code: "request_in_progress", Retryable: true, RetryAfter: time.Second,
				Message: "A request with this Idempotency-Key is still being processed; retry later."}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// final reports whether an answer is the request's outcome (stored for
// replays) rather than a reason to try again.
func final(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return status < 500
}
