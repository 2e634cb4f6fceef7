package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultMaxBodyBytes caps request bodies; a larger body gets 413.
const DefaultMaxBodyBytes = 1 << 20

// Canonical forms of the signing package's (lower-case) header names, for
// the request path: http.Header.Get and Set canonicalise a lower-case name
// on every call, which allocates a new string each time. These are already
// canonical, so they do not; TestCanonicalHeaderNames checks them.
const (
	hdrDate           = "X-Amz-Pay-Date"
	hdrHost           = "X-Amz-Pay-Host"
	hdrRegion         = "X-Amz-Pay-Region"
	hdrIdempotencyKey = "X-Amz-Pay-Idempotency-Key"
	hdrRequestID      = "X-Amz-Pay-Request-Id"
	hdrSimulationCode = "X-Amz-Pay-Simulation-Code"
)

// Options configure a Server. The zero value is a usable in-memory emulator
// on the system clock with throttling off and no notification endpoint.
type Options struct {
	// Clock is the base clock (default: the system clock). The control API
	// moves business time forward from it.
	Clock Clock
	// Logger receives one line per request (default: discard). Secrets are
	// never logged.
	Logger *slog.Logger
	// Throttling configures 429 answers; off unless Enabled.
	Throttling Throttling
	// StatePath, when set, keeps the state in this SQLite file across
	// restarts.
	StatePath string
	// Notifier delivers notifications (IPN); nil only records them.
	Notifier Notifier
	// NotifyURL is the default IPN endpoint for every merchant.
	NotifyURL string
	// Notifications configure delivery as signed SNS envelopes when
	// Notifier is nil (notify_sns.go).
	Notifications NotificationOptions
	// PublicURL is the emulator's base URL (scheme://host[:port]) as
	// browsers and notification receivers reach it; it builds
	// amazonPayRedirectUrl and the SNS SigningCertURL. Empty: the address
	// each call came in on (SetPublicURL sets it later).
	PublicURL string
	// MaxBodyBytes caps request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// SkewPast and SkewFuture bound x-amz-pay-date around the base clock
	// (defaults DefaultSkewPast, DefaultSkewFuture).
	SkewPast, SkewFuture time.Duration
	// Hosts are extra names x-amz-pay-host may carry (the Host a client
	// connected to is always accepted, with or without its port, and so are
	// Amazon's real API hosts).
	Hosts []string
	// Keys are trusted from the start.
	Keys []Key
	// TickInterval is how often (real time) due timers run without a request
	// (default 1 s; negative disables the background ticker).
	TickInterval time.Duration
}

// Server is the emulator. It is an http.Handler; Handler returns it.
type Server struct {
	log        *slog.Logger
	clock      *clock
	keys       *keyRegistry
	maxBody    int64
	skewPast   time.Duration
	skewFuture time.Duration
	hosts      []string
	notifyURL  string
	notifier   Notifier
	buyerSide  buyerSide // checkout.js, hosted pages, SNS delivery (hosted.go, notify_sns.go)

	// mu guards st and timers. Signature checks, throttling and faults
	// happen before it is taken.
	mu     sync.Mutex
	st     *state
	timers timerHeap
	// unsent holds notifications a saved state had queued but not
	// delivered; they go out again once delivery is possible (resendSaved).
	unsent []*Notification

	throttle *throttler
	faults   *faultList
	persist  *persister

	root   *http.ServeMux // control API, pages, and "/" → serveAPI
	api    *http.ServeMux // /v2 operations, after prefix stripping
	routes []route

	stop chan struct{}
	done sync.WaitGroup // ticker and saver

	// deliveries tracks notification deliveries; deliverClosed stops new
	// ones once Close began (guarded by deliverMu).
	deliverMu     sync.Mutex
	deliverClosed bool
	deliveries    sync.WaitGroup
	closeErr      error
	once          sync.Once
}

// New builds an emulator. With StatePath it loads the saved state (keys and
// objects) and saves changes in the background; call Close to flush.
func New(opts Options) (*Server, error) {
	s := &Server{
		log:        opts.Logger,
		clock:      newClock(opts.Clock),
		keys:       newKeyRegistry(),
		maxBody:    opts.MaxBodyBytes,
		skewPast:   opts.SkewPast,
		skewFuture: opts.SkewFuture,
		notifyURL:  opts.NotifyURL,
		notifier:   opts.Notifier,
		st:         newState(),
		faults:     &faultList{},
		stop:       make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.skewPast <= 0 {
		s.skewPast = DefaultSkewPast
	}
	if s.skewFuture <= 0 {
		s.skewFuture = DefaultSkewFuture
	}
	for _, h := range opts.Hosts {
		s.hosts = append(s.hosts, strings.ToLower(hostOnly(h)))
	}
	s.throttle = newThrottler(opts.Throttling)
	if err := s.initBuyerSide(opts); err != nil {
		return nil, err
	}
	if opts.StatePath != "" {
		p, err := openPersister(opts.StatePath)
		if err != nil {
			return nil, err
		}
		s.persist = p
		if err := s.load(); err != nil {
			_ = p.close()
			return nil, err
		}
	}
	for _, k := range opts.Keys {
		if _, err := s.keys.add(k); err != nil {
			return nil, fmt.Errorf("emulator: key %s: %w", k.PublicKeyID, err)
		}
	}
	if err := s.buildRoutes(); err != nil {
		return nil, err
	}
	tick := opts.TickInterval
	if tick == 0 {
		tick = time.Second
	}
	if tick > 0 {
		s.done.Add(1)
		go s.ticker(tick)
	}
	if s.persist != nil {
		s.done.Add(1)
		go s.saver()
	}
	s.resendSaved()
	return s, nil
}

// Handler returns the emulator as an http.Handler: the API, the control API
// under /_emulator/ and (later) the hosted buyer pages.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.root.ServeHTTP(w, r) }

// Close stops the background work and, with a state file, saves the state
// one last time. It is safe to call more than once.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.deliverMu.Lock()
		s.deliverClosed = true
		s.deliverMu.Unlock()
		close(s.stop)
		s.deliveries.Wait()
		s.done.Wait()
		s.closeBuyerSide()
		if s.persist != nil {
			s.closeErr = errors.Join(s.save(), s.persist.close())
		}
	})
	return s.closeErr
}

// Now is the emulator's business time.
func (s *Server) Now() time.Time { return s.clock.now() }

// ticker applies due timers in real time, so a pending authorization turns
// Authorized after 30 s and its notification goes out even if nobody asks.
func (s *Server) ticker(every time.Duration) {
	defer s.done.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			s.runDue(s.clock.now())
			s.mu.Unlock()
		}
	}
}

// buildRoutes registers the route table on the API mux and the control API
// on the root mux.
func (s *Server) buildRoutes() error {
	s.routes = routes()
	s.api = http.NewServeMux()
	type groupKey struct{ method, path string }
	groups := map[groupKey][]route{}
	var order []groupKey
	paths := map[string]bool{}
	for _, rt := range s.routes {
		if !strings.HasPrefix(rt.Path, "/v2/") || strings.HasSuffix(rt.Path, "/") {
			return fmt.Errorf("emulator: route %s has path %q; it must start with /v2/ and not end in /", rt.Op, rt.Path)
		}
		k := groupKey{rt.Method, rt.Path}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], rt)
		paths[rt.Path] = true
	}
	for _, k := range order {
		g := groups[k]
		for i, rt := range g[:len(g)-1] {
			if rt.Match == nil {
				return fmt.Errorf("emulator: route %s shares %s %s with %s but has no Match", rt.Op, k.method, k.path, g[i+1].Op)
			}
		}
		s.api.Handle(k.method+" "+k.path, s.operation(g))
	}
	for p := range paths {
		s.api.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			writeResponse(w, fail(errorf(http.StatusMethodNotAllowed, codeUnsupportedOperation, "The HTTP method %s is not supported for this resource.", r.Method)))
		})
	}
	s.api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeResponse(w, fail(errorf(http.StatusNotFound, codeResourceNotFound, "No API operation is found at %s.", truncate(r.URL.Path, 200))))
	})

	s.root = http.NewServeMux()
	s.registerControl(s.root)
	s.registerBuyerSide(s.root) // hosted.go
	s.root.HandleFunc("/", s.serveAPI)
	return nil
}

// apiCall carries the original request through the API mux (which sees a
// rewritten path) to the operation.
type apiCall struct {
	orig    *http.Request
	pathEnv Environment
	reqID   string
	rw      trackingWriter // allocated with the call: one allocation less per request
}

type apiCallKey struct{}

// serveAPI is the entry of every API request: it sets the request id,
// recovers panics, strips /live or /sandbox and one trailing slash, and
// dispatches on the route table.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	reqID := newUUID()
	w.Header()[hdrRequestID] = []string{reqID}
	call := &apiCall{orig: r, reqID: reqID, rw: trackingWriter{ResponseWriter: w}}
	rw := &call.rw
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("emulator: panic", "panic", fmt.Sprint(v), "path", r.URL.Path, "requestId", reqID)
			if !rw.wrote {
				writeResponse(rw, fail(errorf(http.StatusInternalServerError, codeInternalServerError, "An internal error occurred; request id %s.", reqID)))
			}
		}
	}()

	path := r.URL.Path
	var env Environment
	switch {
	case strings.HasPrefix(path, "/sandbox/"):
		env, path = Sandbox, path[len("/sandbox"):]
	case strings.HasPrefix(path, "/live/"):
		env, path = Live, path[len("/live"):]
	}
	if len(path) > 1 && strings.HasSuffix(path, "/") {
		path = path[:len(path)-1]
	}
	call.pathEnv = env
	r2 := r.WithContext(context.WithValue(r.Context(), apiCallKey{}, call)) // a shallow copy
	u := *r.URL
	u.Path, u.RawPath = path, ""
	r2.URL = &u
	s.api.ServeHTTP(rw, r2)
}

// operation returns the handler for the routes sharing one method and path.
func (s *Server) operation(group []route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call, _ := r.Context().Value(apiCallKey{}).(*apiCall)
		if call == nil { // reached the API mux without serveAPI
			writeResponse(w, fail(errorf(http.StatusNotFound, codeResourceNotFound, "Not found.")))
			return
		}
		resp, reset := s.runOperation(r, call, group)
		if reset {
			hijackClose(w)
			return
		}
		writeResponse(w, resp)
	})
}

// runOperation is the pipeline: body cap, signature and policy, operation
// choice, simulation code, throttling, faults, then the handler under the
// state lock with idempotency. reset reports a reset-after-commit fault.
func (s *Server) runOperation(r *http.Request, call *apiCall, group []route) (resp response, reset bool) {
	orig := call.orig
	body, apiErr := readBody(orig, s.maxBody)
	if apiErr != nil {
		return fail(apiErr), false
	}
	auth, apiErr := s.authenticate(orig, body, call.pathEnv)
	if apiErr != nil {
		s.log.Info("emulator: rejected", "method", orig.Method, "path", orig.URL.Path, "reasonCode", apiErr.ReasonCode, "requestId", call.reqID)
		return fail(apiErr), false
	}
	req := &request{
		Owner:          Owner{MerchantID: auth.key.MerchantID, Env: auth.env},
		Body:           body,
		Query:          orig.URL.Query(),
		Header:         orig.Header,
		IdempotencyKey: strings.TrimSpace(orig.Header.Get(hdrIdempotencyKey)),
		BaseURL:        s.publicBase(orig),
		http:           r,
	}
	rt := group[len(group)-1]
	for _, cand := range group[:len(group)-1] {
		if cand.Match(req) {
			rt = cand
			break
		}
	}
	req.Op = rt.Op
	if req.IdempotencyKey != "" && !validIdempotencyKey(req.IdempotencyKey) {
		return fail(errorf(http.StatusBadRequest, codeInvalidHeaderValue, "The value %s provided for x-amz-pay-idempotency-key is invalid; use at most 32 characters from a-z, A-Z, 0-9, - and _.", truncate(req.IdempotencyKey, 64))), false
	}
	if code := strings.TrimSpace(orig.Header.Get(hdrSimulationCode)); code != "" && auth.env == Sandbox {
		norm, apiErr := checkSimulationCode(rt.Op, code)
		if apiErr != nil {
			return fail(apiErr), false
		}
		req.SimulationCode = norm
	}
	if apiErr := s.throttle.take(req.Owner, rt.Op); apiErr != nil {
		return fail(apiErr), false
	}
	f := s.faults.take(rt.Op)
	if f != nil && f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-orig.Context().Done():
			return fail(errorf(http.StatusServiceUnavailable, codeServiceUnavailable, "The request was canceled.")), false
		}
	}
	if f != nil && f.Status != 0 {
		return fail(f.apiError()), false
	}
	resp = s.execute(rt, req)
	// Enabled first: the arguments alone cost allocations, also when the
	// logger discards them (the default).
	if s.log.Enabled(orig.Context(), slog.LevelInfo) {
		s.log.Info("emulator: request", "op", rt.Op, "status", resp.status, "merchant", req.Owner.MerchantID, "env", req.Owner.Env, "requestId", call.reqID)
	}
	return resp, f != nil && f.Kind == FaultReset
}

// execute runs the handler under the state lock: due timers first, then the
// idempotency check, the handler, and storing the answer.
func (s *Server) execute(rt route, req *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	s.runDue(now)
	req.Now = now

	var ik string
	var fp string
	if req.IdempotencyKey != "" && req.http.Method == http.MethodPost {
		ik = idemMapKey(req.Owner, req.IdempotencyKey)
		fp = fingerprint(req)
		if rec := s.st.Idempotency[ik]; rec != nil && now.Before(rec.Expires) {
			if rec.Fingerprint != fp {
				return fail(errorf(http.StatusBadRequest, codeDuplicateIdempotencyKey, "The idempotency key %s was already used in a different request and cannot be reused.", req.IdempotencyKey))
			}
			return response{status: rec.Status, body: []byte(rec.Body), header: http.Header{"X-Amz-Pay-Idempotent-Replayed": {"true"}}}
		}
	}

	resp := rt.Handle(s, req)
	b, err := marshalBody(resp.body)
	if err != nil {
		return fail(errorf(http.StatusInternalServerError, codeInternalServerError, "The response could not be encoded."))
	}
	resp.body = b
	committed := resp.status < 300 || req.changed
	if ik != "" && committed {
		rec := &idemRecord{Key: ik, Fingerprint: fp, Status: resp.status, Body: string(b), Expires: now.Add(idempotencyTTL)}
		s.st.Idempotency[ik] = rec
		s.schedule(rec.Expires, timerIdempotency, ik)
	}
	if committed && req.http.Method != http.MethodGet {
		s.markDirty()
	}
	return resp
}

// readBody reads at most max bytes; more is 413.
func readBody(r *http.Request, max int64) ([]byte, *apiError) {
	if r.Body == nil || r.Body == http.NoBody { // a GET: nothing to read (io.ReadAll would allocate)
		return nil, nil
	}
	if r.ContentLength > max {
		return nil, errorf(http.StatusRequestEntityTooLarge, codeRequestEntityTooLarge, "The request body exceeds %d bytes.", max)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, codeInvalidRequestFormat, "The request body could not be read.")
	}
	if int64(len(b)) > max {
		return nil, errorf(http.StatusRequestEntityTooLarge, codeRequestEntityTooLarge, "The request body exceeds %d bytes.", max)
	}
	return b, nil
}

// baseURL is scheme://host as the client reached the emulator.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// fingerprint identifies "the same request" for idempotency: operation,
// routed path, simulation code and body bytes.
func fingerprint(r *request) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", r.Op, r.http.URL.Path, r.SimulationCode)
	h.Write(r.Body)
	return hex.EncodeToString(h.Sum(nil))
}

// writeResponse is the one adapter that writes every API answer.
func writeResponse(w http.ResponseWriter, resp response) {
	b, err := marshalBody(resp.body)
	if err != nil {
		resp = fail(errorf(http.StatusInternalServerError, codeInternalServerError, "The response could not be encoded."))
		b, _ = marshalBody(resp.body)
	}
	for k, vs := range resp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if len(b) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	if resp.status == 0 {
		resp.status = http.StatusOK
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(b)
}

// trackingWriter remembers whether the header was written, so a panic after
// it is not answered twice.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection for hijacking.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// hijackClose closes the connection without an answer (the reset fault).
// Where hijacking is impossible (HTTP/2, recorders) it aborts the handler,
// which net/http turns into a reset stream or closed connection.
func hijackClose(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
