package emulator

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// The control API (design.md §4): unsigned JSON endpoints under /_emulator/
// that do what a buyer, Amazon's back office or time would do. Answers use
// the same JSON writer and error shape as the API.

func (s *Server) registerControl(mux *http.ServeMux) {
	mux.HandleFunc("GET /_emulator/health", s.control(s.ctlHealth))
	mux.HandleFunc("POST /_emulator/keys", s.control(s.ctlAddKey))
	mux.HandleFunc("GET /_emulator/keys", s.control(s.ctlListKeys))
	mux.HandleFunc("POST /_emulator/checkoutSessions/{id}/buyer", s.control(s.ctlBuyer))
	mux.HandleFunc("POST /_emulator/checkoutSessions/{id}/confirm", s.control(s.ctlConfirm))
	mux.HandleFunc("POST /_emulator/buyerTokens", s.control(s.ctlBuyerToken))
	mux.HandleFunc("POST /_emulator/clock", s.control(s.ctlClock))
	mux.HandleFunc("GET /_emulator/clock", s.control(s.ctlGetClock))
	mux.HandleFunc("POST /_emulator/faults", s.control(s.ctlAddFault))
	mux.HandleFunc("GET /_emulator/faults", s.control(s.ctlListFaults))
	mux.HandleFunc("DELETE /_emulator/faults", s.control(s.ctlClearFaults))
	mux.HandleFunc("GET /_emulator/notifications", s.control(s.ctlNotifications))
	mux.HandleFunc("POST /_emulator/reset", s.control(s.ctlReset))
	mux.HandleFunc("GET /_emulator/throttling", s.control(s.ctlGetThrottling))
	mux.HandleFunc("POST /_emulator/throttling", s.control(s.ctlSetThrottling))
	s.registerContent(mux) // pre-signed URLs of files and report documents (file.go)
	mux.HandleFunc("/_emulator/", s.control(func(r *http.Request, _ []byte) response {
		return fail(errorf(http.StatusNotFound, codeResourceNotFound, "No control endpoint %s %s.", r.Method, truncate(r.URL.Path, 200)))
	}))
}

// control wraps a control handler: request id, body cap, panic recovery and
// the shared response writer.
func (s *Server) control(h func(r *http.Request, body []byte) response) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reqID := newUUID()
		w.Header().Set(signing.HeaderRequestID, reqID)
		rw := &trackingWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("emulator: control panic", "path", r.URL.Path)
				if !rw.wrote {
					writeResponse(rw, fail(errorf(http.StatusInternalServerError, codeInternalServerError, "An internal error occurred.")))
				}
			}
		}()
		body, apiErr := readBody(r, s.maxBody)
		if apiErr != nil {
			writeResponse(rw, fail(apiErr))
			return
		}
		writeResponse(rw, h(r, body))
	}
}

func (s *Server) ctlHealth(*http.Request, []byte) response {
	return ok(http.StatusOK, map[string]any{"status": "ok", "now": s.clock.now().Format(time.RFC3339)})
}

type keyInput struct {
	PublicKeyID string `json:"publicKeyId"`
	PublicKey   string `json:"publicKey"`
	MerchantID  string `json:"merchantId"`
}

func (s *Server) ctlAddKey(_ *http.Request, body []byte) response {
	var in keyInput
	if err := decodeStrict(body, &in); err != nil {
		return fail(err)
	}
	if in.PublicKeyID == "" {
		return fail(errMissing("publicKeyId"))
	}
	if in.PublicKey == "" {
		return fail(errMissing("publicKey"))
	}
	k, err := s.keys.add(Key{PublicKeyID: in.PublicKeyID, PublicKey: in.PublicKey, MerchantID: in.MerchantID})
	if err != nil {
		return fail(errorf(http.StatusBadRequest, codeInvalidParameterValue, "The key could not be registered: %s.", err))
	}
	s.markDirty()
	return ok(http.StatusCreated, map[string]any{"publicKeyId": k.PublicKeyID, "merchantId": k.MerchantID, "environment": nullableEnv(k.Env())})
}

func nullableEnv(e Environment) any {
	if e == "" {
		return nil
	}
	return e
}

func (s *Server) ctlListKeys(*http.Request, []byte) response {
	keys := s.keys.list()
	out := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]any{"publicKeyId": k.PublicKeyID, "merchantId": k.MerchantID, "environment": nullableEnv(k.Env())})
	}
	return ok(http.StatusOK, map[string]any{"keys": out})
}

type clockInput struct {
	Advance string `json:"advance"`
	Now     string `json:"now"`
}

func (s *Server) ctlClock(_ *http.Request, body []byte) response {
	var in clockInput
	if err := decodeStrict(body, &in); err != nil {
		return fail(err)
	}
	if (in.Advance == "") == (in.Now == "") {
		return fail(errorf(http.StatusBadRequest, codeInvalidParameterCombination, "Give exactly one of 'advance' (a Go duration such as \"720h\") and 'now' (RFC 3339)."))
	}
	var now time.Time
	if in.Advance != "" {
		d, err := time.ParseDuration(in.Advance)
		if err != nil || d < 0 {
			return fail(errInvalidValue("advance", in.Advance))
		}
		now = s.clock.advance(d)
	} else {
		t, err := time.Parse(time.RFC3339, in.Now)
		if err != nil {
			return fail(errInvalidValue("now", in.Now))
		}
		var moved bool
		if now, moved = s.clock.set(t); !moved {
			return fail(errorf(http.StatusBadRequest, codeInvalidParameterValue, "The clock only moves forward; it is %s.", now.Format(time.RFC3339)))
		}
	}
	s.mu.Lock()
	s.runDue(now)
	s.mu.Unlock()
	s.markDirty()
	return s.ctlGetClock(nil, nil)
}

func (s *Server) ctlGetClock(*http.Request, []byte) response {
	return ok(http.StatusOK, map[string]any{"now": s.clock.now().Format(time.RFC3339), "offset": s.clock.Offset().String()})
}

type faultInput struct {
	Operation  string `json:"operation"`
	Count      *int   `json:"count"`
	Status     int    `json:"status"`
	ReasonCode string `json:"reasonCode"`
	Delay      string `json:"delay"`
	Kind       string `json:"kind"`
}

func (s *Server) ctlAddFault(_ *http.Request, body []byte) response {
	var in faultInput
	if err := decodeStrict(body, &in); err != nil {
		return fail(err)
	}
	f := Fault{Operation: in.Operation, Count: 1, Status: in.Status, ReasonCode: in.ReasonCode, Kind: in.Kind}
	if in.Count != nil {
		if *in.Count < 1 {
			return fail(errInvalidValue("count", *in.Count))
		}
		f.Count = *in.Count
	}
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil || d < 0 || d > 5*time.Minute {
			return fail(errInvalidValue("delay", in.Delay))
		}
		f.Delay = d
	}
	if f.Operation != "" && !s.knownOperation(f.Operation) {
		return fail(errInvalidValue("operation", f.Operation))
	}
	if f.Kind == "" {
		switch {
		case f.Status != 0:
			f.Kind = FaultStatus
		case f.Delay > 0:
			f.Kind = FaultDelay
		}
	}
	switch f.Kind {
	case FaultStatus:
		if f.Status < 400 || f.Status > 599 {
			return fail(errInvalidValue("status", f.Status))
		}
	case FaultReset, FaultDelay:
		if f.Status != 0 {
			return fail(errorf(http.StatusBadRequest, codeInvalidParameterCombination, "'status' only goes with kind %q.", FaultStatus))
		}
		if f.Kind == FaultDelay && f.Delay == 0 {
			return fail(errMissing("delay"))
		}
	case "":
		return fail(errMissing("status"))
	default:
		return fail(errInvalidValue("kind", f.Kind))
	}
	s.faults.add(f)
	return ok(http.StatusCreated, faultView(f))
}

func faultView(f Fault) map[string]any {
	return map[string]any{"operation": strp(f.Operation), "count": f.Count, "kind": f.Kind, "status": f.Status, "reasonCode": strp(f.ReasonCode), "delay": f.Delay.String()}
}

func (s *Server) ctlListFaults(*http.Request, []byte) response {
	out := []map[string]any{}
	for _, f := range s.faults.list() {
		out = append(out, faultView(f))
	}
	return ok(http.StatusOK, map[string]any{"faults": out})
}

func (s *Server) ctlClearFaults(*http.Request, []byte) response {
	s.faults.clear()
	return ok(http.StatusOK, map[string]any{"faults": []any{}})
}

func (s *Server) knownOperation(op string) bool {
	for _, rt := range s.routes {
		if rt.Op == op {
			return true
		}
	}
	return false
}

func (s *Server) ctlNotifications(*http.Request, []byte) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]Notification, len(s.st.Notifications))
	for i, n := range s.st.Notifications {
		list[i] = *n
	}
	b, err := json.Marshal(map[string]any{"notifications": s.withDeliveries(list), "deliveries": s.snsRecords()}) // notify_sns.go
	if err != nil {
		return fail(errorf(http.StatusInternalServerError, codeInternalServerError, "encode: %s", err))
	}
	return ok(http.StatusOK, b)
}

func (s *Server) ctlReset(*http.Request, []byte) response {
	s.mu.Lock()
	s.st = newState()
	s.timers = s.timers[:0]
	s.unsent = nil
	s.mu.Unlock()
	s.faults.clear()
	s.throttle.set(s.throttle.config())
	s.buyerSide.snsMu.Lock()
	if snd := s.buyerSide.sender; snd != nil {
		snd.Reset() // delivery records, notification faults, held reorders
	}
	s.buyerSide.snsMu.Unlock()
	s.markDirty()
	return ok(http.StatusOK, map[string]any{"reset": true})
}

type throttlingInput struct {
	Enabled   *bool            `json:"enabled"`
	Burst     *float64         `json:"burst"`
	Restore   *float64         `json:"restore"`
	Overrides map[string]Quota `json:"overrides"`
}

func (s *Server) ctlGetThrottling(*http.Request, []byte) response {
	c := s.throttle.config()
	return ok(http.StatusOK, map[string]any{"enabled": c.Enabled, "burst": c.Burst, "restore": c.Restore, "overrides": c.Overrides})
}

func (s *Server) ctlSetThrottling(_ *http.Request, body []byte) response {
	var in throttlingInput
	if err := decodeStrict(body, &in); err != nil {
		return fail(err)
	}
	c := s.throttle.config()
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	}
	if in.Burst != nil {
		if *in.Burst < 0 {
			return fail(errInvalidValue("burst", *in.Burst))
		}
		c.Burst = *in.Burst
	}
	if in.Restore != nil {
		if *in.Restore < 0 {
			return fail(errInvalidValue("restore", *in.Restore))
		}
		c.Restore = *in.Restore
	}
	if in.Overrides != nil {
		for op := range in.Overrides {
			if !s.knownOperation(op) {
				return fail(errInvalidValue("overrides", op))
			}
		}
		c.Overrides = in.Overrides
	}
	s.throttle.set(c)
	return s.ctlGetThrottling(nil, nil)
}
