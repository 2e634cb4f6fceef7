package emulator

import (
	"net/http"
	"sync"
	"time"
)

// Fault kinds for /_emulator/faults.
const (
	// FaultStatus answers with Status and ReasonCode without running the
	// operation.
	FaultStatus = "status"
	// FaultReset runs the operation (it commits), then closes the connection
	// without an answer: what a client sees when a response is lost.
	FaultReset = "reset-after-commit"
	// FaultDelay waits Delay, then runs the operation normally.
	FaultDelay = "delay"
)

// Fault makes the next Count matching calls fail.
type Fault struct {
	// Operation limits the fault to one operation name; "" matches all.
	Operation string `json:"operation"`
	// Count is how many calls it affects (default 1).
	Count int `json:"count"`
	// Kind is FaultStatus (default when Status is set), FaultReset or
	// FaultDelay (default when only Delay is set).
	Kind string `json:"kind"`
	// Status and ReasonCode are the answer for FaultStatus (ReasonCode
	// defaults from the status: TooManyRequests, InternalServerError,
	// ServiceUnavailable…).
	Status     int    `json:"status"`
	ReasonCode string `json:"reasonCode"`
	// Delay is slept before the call (any kind).
	Delay time.Duration `json:"-"`
}

func (f *Fault) apiError() *apiError {
	code := f.ReasonCode
	if code == "" {
		switch f.Status {
		case http.StatusTooManyRequests:
			code = codeTooManyRequests
		case http.StatusServiceUnavailable:
			code = codeServiceUnavailable
		case http.StatusRequestTimeout:
			code = "RequestTimeout"
		case http.StatusInternalServerError:
			code = codeInternalServerError
		default:
			code = http.StatusText(f.Status)
		}
	}
	return errorf(f.Status, code, "Injected fault.")
}

// faultList is the queue of armed faults, under its own lock.
type faultList struct {
	mu     sync.Mutex
	faults []*Fault
}

func (l *faultList) add(f Fault) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.faults = append(l.faults, &f)
}

func (l *faultList) clear() {
	l.mu.Lock()
	l.faults = nil
	l.mu.Unlock()
}

// take consumes one use of the first fault matching op, or returns nil.
func (l *faultList) take(op string) *Fault {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, f := range l.faults {
		if f.Operation != "" && f.Operation != op {
			continue
		}
		f.Count--
		if f.Count <= 0 {
			l.faults = append(l.faults[:i], l.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

func (l *faultList) list() []Fault {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Fault, len(l.faults))
	for i, f := range l.faults {
		out[i] = *f
	}
	return out
}
