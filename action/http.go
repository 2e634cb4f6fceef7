package action

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"
)

// EnvAPIKeys names the environment variable holding the API keys that may
// call POST /action: keys separated by commas or whitespace (see
// ParseAPIKeys). The shop's REST API reads the same variable.
const EnvAPIKeys = "APAY_API_KEYS"

// Auth decides who may run actions over HTTP. An action can capture or
// refund money, so the default is to refuse everyone: a handler needs API
// keys, or an explicit statement that something in front of it (an
// IAM-protected Lambda Function URL) has already authenticated the caller.
type Auth struct {
	keys     [][sha256.Size]byte
	trustIAM bool
}

// APIKeyAuth accepts requests that carry one of keys as
// "Authorization: Bearer <key>". Empty keys are ignored. Only hashes of the
// keys are kept, and every comparison takes the same time whichever key (if
// any) matches.
func APIKeyAuth(keys ...string) Auth {
	var a Auth
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" {
			a.keys = append(a.keys, sha256.Sum256([]byte(k)))
		}
	}
	return a
}

// TrustIAMFunctionURL accepts every request without an API key. Use it only
// when the handler cannot be reached except through a Lambda Function URL
// whose AuthType is AWS_IAM, so AWS has checked the caller's signature.
func TrustIAMFunctionURL() Auth { return Auth{trustIAM: true} }

// ParseAPIKeys splits APAY_API_KEYS: keys separated by commas, spaces or
// newlines.
func ParseAPIKeys(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// Configured reports whether the Auth can admit anyone at all.
func (a Auth) Configured() bool { return a.trustIAM || len(a.keys) > 0 }

// TrustsIAM reports whether the Auth relies on an IAM-protected Function
// URL instead of API keys.
func (a Auth) TrustsIAM() bool { return a.trustIAM }

// ErrNoAuth is returned by NewHandler for an Auth that admits nobody.
var ErrNoAuth = errors.New("action: no API keys configured (set APAY_API_KEYS) and not started behind an IAM-protected Function URL")

// Allow checks the Authorization header value. With API keys it must be
// "Bearer <key>" (scheme case-insensitive) for one of them.
func (a Auth) Allow(authorization string) bool {
	if a.trustIAM {
		return true
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for i := range a.keys {
		match |= subtle.ConstantTimeCompare(sum[:], a.keys[i][:])
	}
	return match == 1
}

// NewHandler serves action documents over HTTP: POST a document, get the
// Result's body with its status, Content-Type application/json, and Amazon
// Pay's request id in x-amz-pay-request-id. Mount it where you like (apay
// action serve uses POST /action); requests other than POST get 405.
func NewHandler(r *Runner, auth Auth) (http.Handler, error) {
	if !auth.Configured() {
		return nil, ErrNoAuth
	}
	return &handler{runner: r, auth: auth}, nil
}

type handler struct {
	runner *Runner
	auth   Auth
}

func (h *handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(req.Context(), w, &Error{Status: http.StatusMethodNotAllowed, ReasonCode: ReasonUnsupportedOperation,
			Message: "send the action document with POST"})
		return
	}
	if !h.auth.Allow(req.Header.Get("Authorization")) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="apay-action"`)
		h.refuse(req.Context(), w, &Error{Status: http.StatusUnauthorized, ReasonCode: ReasonUnauthorized,
			Message: "a valid API key is required: Authorization: Bearer <key>"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxDocumentSize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(req.Context(), w, &Error{Status: http.StatusRequestEntityTooLarge, ReasonCode: ReasonRequestTooLarge,
				Message: "the document exceeds the limit of 8 MiB"})
			return
		}
		h.refuse(req.Context(), w, badRequest(ReasonInvalidRequestFormat, "reading the request body: %v", err))
		return
	}
	WriteResult(w, h.runner.Run(req.Context(), body))
}

// refuse answers a request that never became an action, and logs it like
// one.
func (h *handler) refuse(ctx context.Context, w http.ResponseWriter, e *Error) {
	WriteResult(w, h.runner.Reject(ctx, e))
}

// WriteResult writes a Result as an HTTP response.
func WriteResult(w http.ResponseWriter, res *Result) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if res.RequestID != "" {
		w.Header().Set("X-Amz-Pay-Request-Id", res.RequestID)
	}
	w.WriteHeader(res.Status)
	_, _ = w.Write(res.Body)
}
