package notification

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	f := newFixture(t)
	f.files.fail("/gone.pem", http.StatusNotFound)
	good := signed(t, f.notification(SignatureVersion2, sampleMessage), nil)
	forged := signed(t, f.notification(SignatureVersion2, sampleMessage), testKeys()[keyForger])
	unreachable := f.notification(SignatureVersion2, sampleMessage)
	unreachable.SigningCertURL = f.url("/gone.pem")
	confirm := f.notification(SignatureVersion1, sampleMessage)
	confirm.Type, confirm.Token, confirm.SubscribeURL = TypeSubscriptionConfirmation, "tok", f.url("/confirm")

	tests := []struct {
		name      string
		method    string
		body      []byte
		fnErr     error
		opts      func(seen *[]string) []HandlerOption
		status    int
		delivered bool
		seen      []string
	}{
		{name: "authentic", body: good, status: http.StatusOK, delivered: true},
		{name: "forged signature", body: forged, status: http.StatusForbidden},
		{name: "malformed", body: []byte(`{"Type":`), status: http.StatusBadRequest},
		{name: "certificate unreachable", body: signed(t, unreachable, nil), status: http.StatusServiceUnavailable},
		{name: "handler fails", body: good, fnErr: errors.New("db down"), status: http.StatusInternalServerError, delivered: true},
		{name: "GET", method: http.MethodGet, status: http.StatusMethodNotAllowed},
		{name: "too large", body: bytes.Repeat([]byte(" "), MaxBodyBytes+1), status: http.StatusRequestEntityTooLarge},
		{name: "confirmation ignored by default", body: signed(t, confirm, nil), status: http.StatusOK},
		{name: "confirmation hook", body: signed(t, confirm, nil), status: http.StatusOK, seen: []string{f.url("/confirm")},
			opts: func(seen *[]string) []HandlerOption {
				return []HandlerOption{OnConfirmation(func(_ context.Context, e *Envelope) error {
					*seen = append(*seen, e.SubscribeURL)
					return nil
				})}
			}},
		{name: "confirmation hook fails", body: signed(t, confirm, nil), status: http.StatusInternalServerError,
			opts: func(*[]string) []HandlerOption {
				return []HandlerOption{OnConfirmation(func(context.Context, *Envelope) error { return errors.New("no") })}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var delivered []*Notification
			var seen []string
			var opts []HandlerOption
			if tt.opts != nil {
				opts = tt.opts(&seen)
			}
			h := Handler(f.verifier(), func(_ context.Context, n *Notification) error {
				delivered = append(delivered, n)
				return tt.fnErr
			}, opts...)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/ipn", bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tt.status, strings.TrimSpace(rec.Body.String()))
			}
			if got := len(delivered) == 1; got != tt.delivered {
				t.Fatalf("delivered %d notifications, want delivered=%v", len(delivered), tt.delivered)
			}
			if tt.delivered && delivered[0].ObjectID != sampleMessage.ObjectID {
				t.Errorf("delivered %+v", delivered[0])
			}
			if strings.Join(seen, ",") != strings.Join(tt.seen, ",") {
				t.Errorf("confirmations seen %v, want %v", seen, tt.seen)
			}
			if method == http.MethodGet && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q", rec.Header().Get("Allow"))
			}
		})
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, http.StatusOK},
		{newError(ErrMalformed, "x", nil), http.StatusBadRequest},
		{newError(ErrInvalidSignature, "x", nil), http.StatusForbidden},
		{newError(ErrCertURL, "x", nil), http.StatusForbidden},
		{newError(ErrCertChain, "x", errors.New("x509")), http.StatusForbidden},
		{newError(ErrTopic, "x", nil), http.StatusForbidden},
		{newError(ErrStale, "x", nil), http.StatusForbidden},
		{newError(ErrCertFetch, "x", context.DeadlineExceeded), http.StatusServiceUnavailable},
		{newError(ErrSubscription, "x", nil), http.StatusOK},
		{errors.New("other"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := HTTPStatus(tt.err); got != tt.want {
			t.Errorf("HTTPStatus(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
