package emulator

import (
	"net/http"
	"time"
)

// Temporary: the primary resources land in their own files next.

type CheckoutSession struct{ Owner }
type ChargePermission struct{ Owner }
type Charge struct{ Owner }
type Refund struct{ Owner }
type BuyerToken struct{ Owner }

func (*CheckoutSession) nextDeadline() (time.Time, bool)  { return time.Time{}, false }
func (*ChargePermission) nextDeadline() (time.Time, bool) { return time.Time{}, false }
func (*Charge) nextDeadline() (time.Time, bool)           { return time.Time{}, false }
func (*Refund) nextDeadline() (time.Time, bool)           { return time.Time{}, false }

func (s *Server) settleCheckoutSession(*CheckoutSession, time.Time)   {}
func (s *Server) settleChargePermission(*ChargePermission, time.Time) {}
func (s *Server) settleCharge(*Charge, time.Time)                     {}
func (s *Server) settleRefund(*Refund, time.Time)                     {}

func notYet(s *Server, r *request) response {
	return fail(errorf(http.StatusNotImplemented, "NotImplemented", "%s is not implemented yet.", r.Op))
}

func (s *Server) createCheckoutSession(r *request) response   { return notYet(s, r) }
func (s *Server) getCheckoutSession(r *request) response      { return notYet(s, r) }
func (s *Server) updateCheckoutSession(r *request) response   { return notYet(s, r) }
func (s *Server) completeCheckoutSession(r *request) response { return notYet(s, r) }
func (s *Server) finalizeCheckoutSession(r *request) response { return notYet(s, r) }
func (s *Server) getChargePermission(r *request) response     { return notYet(s, r) }
func (s *Server) updateChargePermission(r *request) response  { return notYet(s, r) }
func (s *Server) closeChargePermission(r *request) response   { return notYet(s, r) }
func (s *Server) createCharge(r *request) response            { return notYet(s, r) }
func (s *Server) getCharge(r *request) response               { return notYet(s, r) }
func (s *Server) updateCharge(r *request) response            { return notYet(s, r) }
func (s *Server) captureCharge(r *request) response           { return notYet(s, r) }
func (s *Server) cancelCharge(r *request) response            { return notYet(s, r) }
func (s *Server) createRefund(r *request) response            { return notYet(s, r) }
func (s *Server) getRefund(r *request) response               { return notYet(s, r) }
func (s *Server) getBuyer(r *request) response                { return notYet(s, r) }
func checkSimulationCode(op, code string) (string, *apiError) { return code, nil }
