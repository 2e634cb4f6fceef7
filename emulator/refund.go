package emulator

import (
	"net/http"
	"strings"
	"time"
)

// Refund states (api-objects.md §9.4).
const (
	rfInitiated = "RefundInitiated"
	rfRefunded  = "Refunded"
	rfDeclined  = "Declined"
)

// Refund rules.
const (
	maxRefundsPerCharge = 10               // v1's MaxRefundsProcessed; v2 does not say (inferred)
	refundDelay         = 30 * time.Second // RefundInitiated → Refunded on the emulator clock
)

// refundMargin is how much refunds may exceed the captured amount:
// min(15 %, 75 USD/EUR/GBP or 8,400 JPY). Other currencies use 75 units
// (inferred).
func refundMargin(captured int64, ccy string) int64 {
	capMinor := int64(75_00)
	if ccy == "JPY" {
		capMinor = 8_400
	}
	pct := captured * 15 / 100
	return min(pct, capMinor)
}

// Refund is a stored refund.
type Refund struct {
	Owner
	ID             string    `json:"id"`
	ChargeID       string    `json:"chargeId"`
	Amount         money     `json:"amount"`
	SoftDescriptor string    `json:"softDescriptor"`
	Status         Status    `json:"status"`
	Created        time.Time `json:"created"`
	SettleAt       time.Time `json:"settleAt"`
	Outcome        string    `json:"outcome"` // outcomeSuccess or outcomeDeclined
	DeclineReason  string    `json:"declineReason"`
}

var refundReasonText = map[string]string{
	codeAmazonRejected:    "Amazon rejected the refund. Refund the buyer by other means.",
	codeProcessingFailure: "Amazon could not process the refund because of an internal processing error, or the buyer was already refunded.",
}

// canRefund checks Create Refund against the charge and its refunds:
// Captured, currency, at most 10 refunds, cumulative amount within the
// over-refund margin.
func (ch *Charge) canRefund(amount money, refunds []*Refund) *apiError {
	if ch.Status.State != chCaptured {
		return errorf(http.StatusUnprocessableEntity, codeInvalidChargeStatus, "The Charge is in %s state; only a Captured Charge can be refunded.", ch.Status.State)
	}
	if amount.Currency != ch.Amount.Currency {
		return errorf(http.StatusBadRequest, codeCurrencyMismatch, "Currency code provided in Refund does not match the currency of the Charge.")
	}
	if amount.Minor <= 0 {
		return errInvalidValue("refundAmount.Amount", amount.wire().Amount)
	}
	var total int64
	count := 0
	for _, rf := range refunds {
		if rf.Status.State == rfDeclined {
			continue
		}
		count++
		total += rf.Amount.Minor
	}
	if count >= maxRefundsPerCharge {
		return errorf(http.StatusUnprocessableEntity, codeTransactionCountExceeded, "You have reached the maximum of %d refunds for this Charge.", maxRefundsPerCharge)
	}
	limit := ch.Captured + refundMargin(ch.Captured, ch.Amount.Currency)
	if total+amount.Minor > limit {
		exp := currencies[ch.Amount.Currency].exp
		return errorf(http.StatusBadRequest, codeTransactionAmountExceeded, "The refundAmount exceeds what can be refunded: %s %s of %s %s remain.",
			formatMinor(max(limit-total, 0), exp), ch.Amount.Currency, formatMinor(limit, exp), ch.Amount.Currency)
	}
	return nil
}

// advance settles the refund when due; it reports the instant if it changed.
func (rf *Refund) advance(at time.Time) (time.Time, bool) {
	if rf.Status.State != rfInitiated || at.Before(rf.SettleAt) {
		return time.Time{}, false
	}
	if rf.Outcome == outcomeDeclined {
		rf.Status = Status{State: rfDeclined, ReasonCode: rf.DeclineReason, ReasonDescription: refundReasonText[rf.DeclineReason], Updated: rf.SettleAt}
	} else {
		rf.Status = Status{State: rfRefunded, Updated: rf.SettleAt}
	}
	return rf.SettleAt, true
}

func (rf *Refund) nextDeadline() (time.Time, bool) {
	if rf.Status.State == rfInitiated {
		return rf.SettleAt, true
	}
	return time.Time{}, false
}

// settleRefund completes a refund and updates the charge's refundedAmount.
func (s *Server) settleRefund(rf *Refund, at time.Time) {
	when, changed := rf.advance(at)
	if !changed {
		return
	}
	ch := s.st.Charges[rf.ChargeID]
	if ch != nil && rf.Status.State == rfRefunded {
		ch.Refunded += rf.Amount.Minor
	}
	cpID := ""
	if ch != nil {
		cpID = ch.ChargePermissionID
	}
	s.notify(rf.Owner, "REFUND", rf.ID, cpID, rf.Status.State, when)
}

// refundsOf returns a charge's refunds.
func (s *Server) refundsOf(ch *Charge) []*Refund {
	out := make([]*Refund, 0, len(ch.RefundIDs))
	for _, id := range ch.RefundIDs {
		if rf := s.st.Refunds[id]; rf != nil {
			out = append(out, rf)
		}
	}
	return out
}

type refundWire struct {
	RefundID           string            `json:"refundId"`
	ChargeID           string            `json:"chargeId"`
	RefundAmount       priceWire         `json:"refundAmount"`
	SoftDescriptor     *string           `json:"softDescriptor"`
	CreationTimestamp  *string           `json:"creationTimestamp"`
	StatusDetails      statusDetailsWire `json:"statusDetails"`
	ReleaseEnvironment string            `json:"releaseEnvironment"`
}

func (rf *Refund) wire() refundWire {
	return refundWire{RefundID: rf.ID, ChargeID: rf.ChargeID, RefundAmount: rf.Amount.wire(), SoftDescriptor: strp(rf.SoftDescriptor),
		CreationTimestamp: wireTime(rf.Created), StatusDetails: rf.Status.wire(), ReleaseEnvironment: string(rf.Env)}
}

type createRefundIn struct {
	ChargeID       *string  `json:"chargeId"`
	RefundAmount   *priceIn `json:"refundAmount"`
	SoftDescriptor *string  `json:"softDescriptor"`
}

func (s *Server) createRefund(r *request) response {
	var in createRefundIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	if in.ChargeID == nil || *in.ChargeID == "" {
		return fail(errMissing("chargeId"))
	}
	if in.RefundAmount == nil {
		return fail(errMissing("refundAmount"))
	}
	amount, err := in.RefundAmount.parse("refundAmount")
	if err != nil {
		return fail(err)
	}
	if err := checkSoftDescriptor("softDescriptor", in.SoftDescriptor); err != nil {
		return fail(err)
	}
	ch, err := find(s.st.Charges, "Charge", *in.ChargeID, r)
	if err != nil {
		return fail(err)
	}
	if err := ch.canRefund(amount, s.refundsOf(ch)); err != nil {
		return fail(err)
	}
	rf := &Refund{Owner: r.Owner, ChargeID: ch.ID, Amount: amount, SoftDescriptor: sv(in.SoftDescriptor),
		Status: Status{State: rfInitiated, Updated: r.Now}, Created: r.Now, SettleAt: r.Now.Add(refundDelay), Outcome: outcomeSuccess}
	if r.SimulationCode == codeAmazonRejected || r.SimulationCode == codeProcessingFailure {
		rf.Outcome, rf.DeclineReason = outcomeDeclined, r.SimulationCode
	}
	ref := ch.ID
	if i := strings.LastIndex(ref, "-C"); i > 0 {
		ref = ref[:i]
	}
	for {
		rf.ID = ref + "-R" + randDigits(6)
		if _, taken := s.st.Refunds[rf.ID]; !taken {
			break
		}
	}
	s.st.Refunds[rf.ID] = rf
	ch.RefundIDs = append(ch.RefundIDs, rf.ID)
	s.schedule(rf.SettleAt, timerRefund, rf.ID)
	return ok(http.StatusCreated, rf.wire())
}

func (s *Server) getRefund(r *request) response {
	rf, err := find(s.st.Refunds, "Refund", r.PathValue("refundId"), r)
	if err != nil {
		return fail(err)
	}
	return ok(http.StatusOK, rf.wire())
}
