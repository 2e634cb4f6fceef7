package emulator

import (
	"container/heap"
	"time"
)

// Timer kinds. A timer names an object; when it fires, settleTimer brings
// that object up to date for the timer's instant (it may do nothing if the
// object has moved on). Timers are not persisted: rebuildTimers derives them
// from the objects after a load.
const (
	timerCheckoutSession  = "checkoutSession"  // 24 h expiry
	timerChargePermission = "chargePermission" // 180-day / 13-month expiry
	timerCharge           = "charge"           // pending outcome, capture completion, 30-day expiry
	timerRefund           = "refund"           // RefundInitiated → Refunded/Declined
	timerIdempotency      = "idempotency"      // stored answer expires
	timerReport           = "report"           // IN_PROGRESS → COMPLETED/CANCELLED (report.go)
	timerReportSchedule   = "reportSchedule"   // the next scheduled report (report.go)
	timerDispute          = "dispute"          // merchant response deadline (dispute.go)
)

type timer struct {
	at   time.Time
	kind string
	id   string
	seq  int64
}

// timerHeap orders timers by time, then by scheduling order.
type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// schedule asks for settleTimer(kind, id) at the given emulator time. The
// caller holds s.mu.
func (s *Server) schedule(at time.Time, kind, id string) {
	s.st.Seq++
	heap.Push(&s.timers, timer{at: at, kind: kind, id: id, seq: s.st.Seq})
}

// runDue fires every timer due at or before now, in time order; a settle may
// schedule further timers that are also due (advancing the clock by 720 h
// turns a pending authorization Authorized, then expires it). The caller
// holds s.mu.
func (s *Server) runDue(now time.Time) {
	for len(s.timers) > 0 && !s.timers[0].at.After(now) {
		t := heap.Pop(&s.timers).(timer)
		s.settleTimer(t)
	}
}

// settleTimer applies the time-driven transition t names, at t.at.
func (s *Server) settleTimer(t timer) {
	switch t.kind {
	case timerIdempotency:
		if rec := s.st.Idempotency[t.id]; rec != nil && !rec.Expires.After(t.at) {
			delete(s.st.Idempotency, t.id)
		}
	case timerCheckoutSession:
		if cs := s.st.CheckoutSessions[t.id]; cs != nil {
			s.settleCheckoutSession(cs, t.at)
		}
	case timerChargePermission:
		if cp := s.st.ChargePermissions[t.id]; cp != nil {
			s.settleChargePermission(cp, t.at)
		}
	case timerCharge:
		if ch := s.st.Charges[t.id]; ch != nil {
			s.settleCharge(ch, t.at)
		}
	case timerRefund:
		if rf := s.st.Refunds[t.id]; rf != nil {
			s.settleRefund(rf, t.at)
		}
	case timerReport:
		if rp := s.st.Reports[t.id]; rp != nil {
			s.settleReport(rp, t.at)
		}
	case timerReportSchedule:
		if sc := s.st.ReportSchedules[t.id]; sc != nil {
			s.settleReportSchedule(sc, t.at)
		}
	case timerDispute:
		if d := s.st.Disputes[t.id]; d != nil {
			s.settleDispute(d, t.at)
		}
	}
	s.markDirty()
}

// rebuildTimers schedules the next deadline of every object (after a load).
func (s *Server) rebuildTimers() {
	s.timers = s.timers[:0]
	for id, rec := range s.st.Idempotency {
		s.schedule(rec.Expires, timerIdempotency, id)
	}
	for id, cs := range s.st.CheckoutSessions {
		if at, ok := cs.nextDeadline(); ok {
			s.schedule(at, timerCheckoutSession, id)
		}
	}
	for id, cp := range s.st.ChargePermissions {
		if at, ok := cp.nextDeadline(); ok {
			s.schedule(at, timerChargePermission, id)
		}
	}
	for id, ch := range s.st.Charges {
		if at, ok := ch.nextDeadline(); ok {
			s.schedule(at, timerCharge, id)
		}
	}
	for id, rf := range s.st.Refunds {
		if at, ok := rf.nextDeadline(); ok {
			s.schedule(at, timerRefund, id)
		}
	}
	s.rebuildSecondaryTimers() // report.go
}
