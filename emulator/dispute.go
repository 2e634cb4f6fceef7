package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// Disputes (chargebacks) as the PSP-facing Dispute API models them: a PSP
// tells Amazon about a chargeback (CreateDispute), the merchant contests it
// with evidence (ContestDispute, only while ActionRequired), and the PSP
// reports the outcome (UpdateDispute). The states, reason codes, resolutions
// and filing reasons are the enums of the official SDKs; the transitions
// between them are pure functions below so they can be table-tested.

// Dispute states.
const (
	disputeUnderReview    = "UnderReview"
	disputeActionRequired = "ActionRequired"
	disputeResolved       = "Resolved"
	disputeClosed         = "Closed"
)

// Dispute reason codes.
const (
	disputeReasonMerchantResponseRequired            = "MerchantResponseRequired"
	disputeReasonMerchantAdditionalEvidencesRequired = "MerchantAdditionalEvidencesRequired"
	disputeReasonBuyerAdditionalEvidencesRequired    = "BuyerAdditionalEvidencesRequired"
	disputeReasonMerchantAcceptedDispute             = "MerchantAcceptedDispute"
	disputeReasonMerchantResponseDeadlineExpired     = "MerchantResponseDeadlineExpired"
	disputeReasonBuyerCancelled                      = "BuyerCancelled"
	disputeReasonInvestigatorResolved                = "InvestigatorResolved"
	disputeReasonAutoResolved                        = "AutoResolved"
	disputeReasonChargebackFiled                     = "ChargebackFiled"
)

// Dispute resolutions.
const (
	disputeBuyerWon    = "BuyerWon"
	disputeMerchantWon = "MerchantWon"
	disputeNoFault     = "NoFault"
)

// disputeReasonsByState says which reason codes may accompany a state. The
// terminal states share one set: the SDK samples pair Resolved with
// MerchantAcceptedDispute and Closed with ChargebackFiled, and the emulator
// must accept what the official samples send.
var disputeReasonsByState = map[string][]string{
	disputeActionRequired: {disputeReasonMerchantResponseRequired, disputeReasonMerchantAdditionalEvidencesRequired},
	disputeUnderReview:    {disputeReasonBuyerAdditionalEvidencesRequired},
	disputeResolved:       terminalDisputeReasons,
	disputeClosed:         terminalDisputeReasons,
}

var terminalDisputeReasons = []string{
	disputeReasonMerchantAcceptedDispute, disputeReasonMerchantResponseDeadlineExpired,
	disputeReasonBuyerCancelled, disputeReasonInvestigatorResolved,
	disputeReasonAutoResolved, disputeReasonChargebackFiled,
}

var disputeResolutions = []string{disputeBuyerWon, disputeMerchantWon, disputeNoFault}

// disputeFilingReasons are the reasons a buyer gives when filing.
var disputeFilingReasons = []string{
	"ProductNotReceived", "ProductUnacceptable", "ProductNoLongerNeeded", "CreditNotProcessed",
	"Overcharged", "DuplicateCharge", "SubscriptionCancelled", "Unrecognized", "Fraudulent", "Other",
}

// evidenceTypes are the kinds of merchant evidence ContestDispute accepts.
var evidenceTypes = []string{
	"ProductDescription", "Receipt", "CancellationPolicy", "CustomerSignature", "TrackingNumber",
	"CarrierName", "DeviceId", "DeviceName", "DownloadDateTime", "Other",
}

// Limits the emulator enforces on dispute input (Amazon documents none; these
// keep stored state bounded).
const (
	disputeChargebackWindow   = 11 * 24 * time.Hour // default response window for a chargeback
	maxDisputeTextLen         = 2048                // reasonDescription, evidenceText
	maxProviderDisputeIDLen   = 128
	maxEvidencesPerDispute    = 50
	maxEvidencesPerContestReq = 20
)

func isOneOf(v string, set []string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// Dispute is a stored dispute.
type Dispute struct {
	Owner
	DisputeID          string        `json:"disputeId"`
	ChargeID           string        `json:"chargeId"`
	ChargePermissionID string        `json:"chargePermissionId"`
	ProviderDisputeID  string        `json:"providerDisputeId"`
	Amount             int64         `json:"amount"` // minor units
	Currency           string        `json:"currency"`
	FilingReason       string        `json:"filingReason"`
	Status             DisputeStatus `json:"status"`
	Evidences          []Evidence    `json:"evidences"`
	FilingTime         time.Time     `json:"filingTime"`
	Deadline           time.Time     `json:"deadline"`
	ClosureTime        time.Time     `json:"closureTime"`
	Created            time.Time     `json:"created"`
}

// DisputeStatus is where a dispute stands.
type DisputeStatus struct {
	State             string    `json:"state"`
	ReasonCode        string    `json:"reasonCode"`
	ReasonDescription string    `json:"reasonDescription"`
	Resolution        string    `json:"resolution"`
	LastUpdated       time.Time `json:"lastUpdated"`
}

// Evidence is one piece of merchant evidence.
type Evidence struct {
	EvidenceType string `json:"evidenceType"`
	FileID       string `json:"fileId"`
	EvidenceText string `json:"evidenceText"`
}

// flexTime is a timestamp as the SDK samples send it: a JSON number of Unix
// seconds (PHP, Java) or milliseconds (Node's Date.now()), or a string in
// Amazon's basic (20240115T123456Z) or extended (2024-01-15T12:34:56Z) form.
type flexTime time.Time

// Numbers at or above this are taken as milliseconds (seconds would be the
// year 5138).
const flexTimeMillisFrom = 100_000_000_000

// UnmarshalJSON accepts the forms flexTime documents.
func (t *flexTime) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		parsed, err := parseAPITime(s)
		if err != nil {
			return err
		}
		*t = flexTime(parsed)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}
	v, err := n.Int64()
	if err != nil || v <= 0 || v > math.MaxInt64/int64(time.Millisecond) {
		return fmt.Errorf("not a timestamp")
	}
	if v >= flexTimeMillisFrom {
		*t = flexTime(time.UnixMilli(v).UTC())
	} else {
		*t = flexTime(time.Unix(v, 0).UTC())
	}
	return nil
}

// parseAPITime parses a timestamp in a request: Amazon's basic form, the
// extended form, and the extended form with fractional seconds or the
// dashed time the disbursement docs print (2022-08-04T00-00-00Z).
func parseAPITime(s string) (time.Time, error) {
	if t, err := signing.ParseDate(s); err == nil {
		return t, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15-04-05Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp")
}

// disputeStatusIn is statusDetails in a request.
type disputeStatusIn struct {
	State             *string `json:"state"`
	ReasonCode        *string `json:"reasonCode"`
	ReasonDescription *string `json:"reasonDescription"`
	Resolution        *string `json:"resolution"`
}

// createDisputeIn is the Create Dispute body.
type createDisputeIn struct {
	ChargeID         *string `json:"chargeId"`
	ProviderMetadata *struct {
		ProviderDisputeID *string `json:"providerDisputeId"`
	} `json:"providerMetadata"`
	DisputeAmount            *priceIn         `json:"disputeAmount"`
	FilingReason             *string          `json:"filingReason"`
	FilingTimestamp          *flexTime        `json:"filingTimestamp"`
	CreationTimestamp        *flexTime        `json:"creationTimestamp"`
	StatusDetails            *disputeStatusIn `json:"statusDetails"`
	MerchantResponseDeadline *flexTime        `json:"merchantResponseDeadline"`
}

// updateDisputeIn is the Update Dispute body.
type updateDisputeIn struct {
	StatusDetails    *disputeStatusIn `json:"statusDetails"`
	ClosureTimestamp *flexTime        `json:"closureTimestamp"`
}

// evidenceIn is one merchantEvidences element.
type evidenceIn struct {
	EvidenceType *string `json:"evidenceType"`
	FileID       *string `json:"fileId"`
	EvidenceText *string `json:"evidenceText"`
}

// contestDisputeIn is the Contest Dispute body.
type contestDisputeIn struct {
	MerchantEvidences []evidenceIn `json:"merchantEvidences"`
}

// validateDisputeStatus checks statusDetails: the state is known, the reason
// code fits the state, and a resolution is given exactly when the dispute is
// over (Resolved requires one; open states forbid one).
func validateDisputeStatus(in *disputeStatusIn) (DisputeStatus, *apiError) {
	if in == nil {
		return DisputeStatus{}, errMissing("statusDetails")
	}
	if in.State == nil || *in.State == "" {
		return DisputeStatus{}, errMissing("statusDetails.state")
	}
	st := DisputeStatus{State: *in.State}
	allowed, known := disputeReasonsByState[st.State]
	if !known {
		return DisputeStatus{}, errInvalidValue("statusDetails.state", st.State)
	}
	if in.ReasonCode != nil && *in.ReasonCode != "" {
		st.ReasonCode = *in.ReasonCode
		if !isOneOf(st.ReasonCode, allowed) {
			return DisputeStatus{}, errInvalidValue("statusDetails.reasonCode", st.ReasonCode)
		}
	}
	if in.ReasonDescription != nil {
		st.ReasonDescription = *in.ReasonDescription
		if len(st.ReasonDescription) > maxDisputeTextLen {
			return DisputeStatus{}, errInvalidValue("statusDetails.reasonDescription", truncate(st.ReasonDescription, 32))
		}
	}
	if in.Resolution != nil && *in.Resolution != "" {
		st.Resolution = *in.Resolution
		if !isOneOf(st.Resolution, disputeResolutions) {
			return DisputeStatus{}, errInvalidValue("statusDetails.resolution", st.Resolution)
		}
	}
	open := st.State == disputeActionRequired || st.State == disputeUnderReview
	if open && st.Resolution != "" {
		return DisputeStatus{}, errorf(http.StatusBadRequest, codeInvalidParameterCombination,
			"statusDetails.resolution cannot be set while the state is %s.", st.State)
	}
	if st.State == disputeResolved && st.Resolution == "" {
		return DisputeStatus{}, errMissing("statusDetails.resolution")
	}
	return st, nil
}

// newDisputeInput is a validated Create Dispute request, before the charge it
// names has been looked up.
type newDisputeInput struct {
	ChargeID          string
	ProviderDisputeID string
	Amount            money
	FilingReason      string
	FilingTime        time.Time
	Status            DisputeStatus
	Deadline          time.Time
}

// validateCreateDispute checks a Create Dispute body in isolation (no state):
// required fields, enums, and that the dates make sense at now.
func validateCreateDispute(in *createDisputeIn, now time.Time) (newDisputeInput, *apiError) {
	var out newDisputeInput
	if in.ChargeID == nil || *in.ChargeID == "" {
		return out, errMissing("chargeId")
	}
	out.ChargeID = *in.ChargeID
	if in.ProviderMetadata == nil || in.ProviderMetadata.ProviderDisputeID == nil || *in.ProviderMetadata.ProviderDisputeID == "" {
		return out, errMissing("providerMetadata.providerDisputeId")
	}
	out.ProviderDisputeID = *in.ProviderMetadata.ProviderDisputeID
	if len(out.ProviderDisputeID) > maxProviderDisputeIDLen {
		return out, errInvalidValue("providerMetadata.providerDisputeId", truncate(out.ProviderDisputeID, 32))
	}
	amount, err := in.DisputeAmount.parse("disputeAmount")
	if err != nil {
		return out, err
	}
	if amount.Minor == 0 {
		return out, errInvalidValue("disputeAmount.Amount", string(*in.DisputeAmount.Amount))
	}
	out.Amount = amount
	if in.FilingReason == nil || *in.FilingReason == "" {
		return out, errMissing("filingReason")
	}
	out.FilingReason = *in.FilingReason
	if !isOneOf(out.FilingReason, disputeFilingReasons) {
		return out, errInvalidValue("filingReason", out.FilingReason)
	}
	st, err := validateDisputeStatus(in.StatusDetails)
	if err != nil {
		return out, err
	}
	if st.State != disputeActionRequired && st.State != disputeUnderReview {
		return out, errInvalidValue("statusDetails.state", st.State)
	}
	out.Status = st
	out.FilingTime = now
	switch {
	case in.FilingTimestamp != nil:
		out.FilingTime = time.Time(*in.FilingTimestamp)
	case in.CreationTimestamp != nil:
		out.FilingTime = time.Time(*in.CreationTimestamp)
	}
	if out.FilingTime.After(now) {
		return out, errorf(http.StatusBadRequest, codeInvalidParameterValue,
			"The value '%s' provided for 'filingTimestamp' should not be in future.", signing.FormatDate(out.FilingTime))
	}
	out.Deadline = out.FilingTime.Add(disputeChargebackWindow)
	if in.MerchantResponseDeadline != nil {
		out.Deadline = time.Time(*in.MerchantResponseDeadline)
	}
	if out.Status.State == disputeActionRequired && !out.Deadline.After(now) {
		return out, errorf(http.StatusBadRequest, codeInvalidParameterValue,
			"The value '%s' provided for 'merchantResponseDeadline' is invalid: it must be in the future.", signing.FormatDate(out.Deadline))
	}
	return out, nil
}

// errDisputeState is the answer to an operation the dispute's state does
// not allow. Amazon documents no dispute-specific reason code, so the
// emulator uses the generic InvalidRequest.
func errDisputeState(d *Dispute, op string) *apiError {
	return errorf(http.StatusBadRequest, codeInvalidRequest,
		"The Dispute is in %s state; %s is not allowed.", d.Status.State, op)
}

// applyDisputeUpdate is the Update Dispute transition: open disputes may move
// to any state; a Resolved dispute may only be Closed; a Closed dispute is
// final. It returns the new value, leaving d untouched.
func applyDisputeUpdate(d Dispute, in *updateDisputeIn, now time.Time) (Dispute, *apiError) {
	st, err := validateDisputeStatus(in.StatusDetails)
	if err != nil {
		return d, err
	}
	switch d.Status.State {
	case disputeClosed:
		return d, errDisputeState(&d, "UpdateDispute")
	case disputeResolved:
		if st.State != disputeClosed {
			return d, errDisputeState(&d, "a move to "+st.State)
		}
	}
	closure := now
	if in.ClosureTimestamp != nil {
		closure = time.Time(*in.ClosureTimestamp)
		if closure.After(now) {
			return d, errorf(http.StatusBadRequest, codeInvalidParameterValue,
				"The value '%s' provided for 'closureTimestamp' should not be in future.", signing.FormatDate(closure))
		}
	}
	if st.Resolution == "" && st.State == disputeClosed {
		st.Resolution = d.Status.Resolution
	}
	st.LastUpdated = now
	d.Status = st
	if st.State == disputeResolved || st.State == disputeClosed {
		d.ClosureTime = closure
	} else {
		d.ClosureTime = time.Time{}
	}
	return d, nil
}

// validateEvidences checks merchantEvidences in isolation; fileExists tells
// whether a file id names an uploaded file of the caller.
func validateEvidences(in []evidenceIn, fileExists func(id string) *apiError) ([]Evidence, *apiError) {
	if len(in) == 0 {
		return nil, errMissing("merchantEvidences")
	}
	if len(in) > maxEvidencesPerContestReq {
		return nil, errorf(http.StatusBadRequest, codeInvalidParameterValue,
			"At most %d merchantEvidences may be sent in one request.", maxEvidencesPerContestReq)
	}
	out := make([]Evidence, 0, len(in))
	for i, e := range in {
		field := fmt.Sprintf("merchantEvidences[%d]", i)
		if e.EvidenceType == nil || *e.EvidenceType == "" {
			return nil, errMissing(field + ".evidenceType")
		}
		if !isOneOf(*e.EvidenceType, evidenceTypes) {
			return nil, errInvalidValue(field+".evidenceType", *e.EvidenceType)
		}
		ev := Evidence{EvidenceType: *e.EvidenceType}
		if e.FileID != nil {
			ev.FileID = *e.FileID
		}
		if e.EvidenceText != nil {
			ev.EvidenceText = *e.EvidenceText
		}
		if ev.FileID == "" && ev.EvidenceText == "" {
			return nil, errorf(http.StatusBadRequest, codeMissingParameterValue,
				"One of '%s.fileId' or '%s.evidenceText' is required.", field, field)
		}
		if len(ev.EvidenceText) > maxDisputeTextLen {
			return nil, errInvalidValue(field+".evidenceText", truncate(ev.EvidenceText, 32))
		}
		if ev.FileID != "" {
			if err := fileExists(ev.FileID); err != nil {
				return nil, err
			}
		}
		out = append(out, ev)
	}
	return out, nil
}

// applyDisputeContest is the Contest Dispute transition: only an
// ActionRequired dispute whose response deadline has not passed can be
// contested; the evidence is appended and the dispute goes UnderReview.
func applyDisputeContest(d Dispute, evidences []Evidence, now time.Time) (Dispute, *apiError) {
	if d.Status.State != disputeActionRequired {
		return d, errDisputeState(&d, "ContestDispute")
	}
	if !d.Deadline.IsZero() && !now.Before(d.Deadline) {
		return d, errorf(http.StatusBadRequest, codeInvalidRequest,
			"The merchant response deadline %s has passed.", signing.FormatDate(d.Deadline))
	}
	if len(d.Evidences)+len(evidences) > maxEvidencesPerDispute {
		return d, errorf(http.StatusBadRequest, codeInvalidParameterValue,
			"A Dispute holds at most %d merchantEvidences.", maxEvidencesPerDispute)
	}
	d.Evidences = append(append([]Evidence(nil), d.Evidences...), evidences...)
	d.Status = DisputeStatus{State: disputeUnderReview, LastUpdated: now}
	return d, nil
}

// expireDispute is the deadline transition: an ActionRequired dispute whose
// merchant response deadline passed is resolved for the buyer. It reports
// whether anything changed.
func expireDispute(d Dispute, now time.Time) (Dispute, bool) {
	if d.Status.State != disputeActionRequired || d.Deadline.IsZero() || now.Before(d.Deadline) {
		return d, false
	}
	d.Status = DisputeStatus{
		State:             disputeResolved,
		ReasonCode:        disputeReasonMerchantResponseDeadlineExpired,
		ReasonDescription: "The merchant did not respond before the merchant response deadline.",
		Resolution:        disputeBuyerWon,
		LastUpdated:       d.Deadline,
	}
	d.ClosureTime = d.Deadline
	return d, true
}

// newDisputeID returns a dispute id in Amazon's shape: the order reference
// of the charge permission, then -B and seven digits
// (S01-0000000-0000000-B0000000).
func newDisputeID(orderRef string) string {
	return orderRef + "-B" + randDigits(7)
}

// orderRefOf returns the SNN-NNNNNNN-NNNNNNN prefix of a charge id.
func orderRefOf(chargeID string) string {
	if i := strings.LastIndex(chargeID, "-"); i > 0 {
		return chargeID[:i]
	}
	return chargeID
}

// disputeWire is the Dispute object on the wire: every key, null when unset.
type disputeWire struct {
	DisputeID                string              `json:"disputeId"`
	ChargeID                 string              `json:"chargeId"`
	ProviderMetadata         providerDisputeWire `json:"providerMetadata"`
	DisputeType              string              `json:"disputeType"`
	DisputeAmount            priceWire           `json:"disputeAmount"`
	FilingReason             string              `json:"filingReason"`
	FilingTimestamp          *string             `json:"filingTimestamp"`
	StatusDetails            disputeStatusWire   `json:"statusDetails"`
	MerchantEvidences        []evidenceWire      `json:"merchantEvidences"`
	MerchantResponseDeadline *string             `json:"merchantResponseDeadline"`
	ResolutionAuthority      string              `json:"resolutionAuthority"`
	ClosureTimestamp         *string             `json:"closureTimestamp"`
	CreationTimestamp        *string             `json:"creationTimestamp"`
	ReleaseEnvironment       Environment         `json:"releaseEnvironment"`
}

type providerDisputeWire struct {
	ProviderDisputeID *string `json:"providerDisputeId"`
}

type disputeStatusWire struct {
	State                string  `json:"state"`
	ReasonCode           *string `json:"reasonCode"`
	ReasonDescription    *string `json:"reasonDescription"`
	Resolution           *string `json:"resolution"`
	LastUpdatedTimestamp *string `json:"lastUpdatedTimestamp"`
}

type evidenceWire struct {
	EvidenceType string  `json:"evidenceType"`
	FileID       *string `json:"fileId"`
	EvidenceText *string `json:"evidenceText"`
}

// wire renders the dispute.
func (d *Dispute) wire() disputeWire {
	evs := make([]evidenceWire, 0, len(d.Evidences))
	for _, e := range d.Evidences {
		evs = append(evs, evidenceWire{EvidenceType: e.EvidenceType, FileID: strp(e.FileID), EvidenceText: strp(e.EvidenceText)})
	}
	return disputeWire{
		DisputeID:        d.DisputeID,
		ChargeID:         d.ChargeID,
		ProviderMetadata: providerDisputeWire{ProviderDisputeID: strp(d.ProviderDisputeID)},
		DisputeType:      "Chargeback",
		DisputeAmount:    priceOf(d.Amount, d.Currency),
		FilingReason:     d.FilingReason,
		FilingTimestamp:  wireTime(d.FilingTime),
		StatusDetails: disputeStatusWire{
			State:                d.Status.State,
			ReasonCode:           strp(d.Status.ReasonCode),
			ReasonDescription:    strp(d.Status.ReasonDescription),
			Resolution:           strp(d.Status.Resolution),
			LastUpdatedTimestamp: wireTime(d.Status.LastUpdated),
		},
		MerchantEvidences:        evs,
		MerchantResponseDeadline: wireTime(d.Deadline),
		ResolutionAuthority:      "AmazonPay",
		ClosureTimestamp:         wireTime(d.ClosureTime),
		CreationTimestamp:        wireTime(d.Created),
		ReleaseEnvironment:       d.Env,
	}
}

// chargeFacts is what a dispute needs to know about the charge it disputes.
type chargeFacts struct {
	ChargePermissionID string
	Captured           money
	State              string
}

// disputedCharge looks up the caller's charge a dispute names; it must have
// been captured, in the dispute's currency, for at least the disputed
// amount.
func (s *Server) disputedCharge(r *request, in newDisputeInput) (chargeFacts, *apiError) {
	facts, found := s.chargeFactsOf(in.ChargeID, r.Owner)
	if !found {
		return facts, errNotFound("Charge", in.ChargeID)
	}
	if facts.State != chCaptured {
		return facts, errorf(http.StatusUnprocessableEntity, codeInvalidChargeStatus,
			"The Charge is in %s state; only a Captured charge can be disputed.", facts.State)
	}
	if facts.Captured.Currency != in.Amount.Currency {
		return facts, errorf(http.StatusBadRequest, codeCurrencyMismatch,
			"Currency code %s provided in disputeAmount does not match the charge currency %s.", in.Amount.Currency, facts.Captured.Currency)
	}
	if in.Amount.Minor > facts.Captured.Minor {
		return facts, errorf(http.StatusBadRequest, codeTransactionAmountExceeded,
			"The disputeAmount exceeds the captured amount of the charge.")
	}
	return facts, nil
}

// createDispute is Create Dispute (POST /v2/disputes).
func (s *Server) createDispute(r *request) response {
	var in createDisputeIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	v, err := validateCreateDispute(&in, r.Now)
	if err != nil {
		return fail(err)
	}
	facts, err := s.disputedCharge(r, v)
	if err != nil {
		return fail(err)
	}
	for _, d := range s.st.Disputes {
		if d.Owner == r.Owner && d.ProviderDisputeID == v.ProviderDisputeID {
			return fail(errorf(http.StatusBadRequest, codeInvalidParameterValue,
				"The value '%s' provided for 'providerMetadata.providerDisputeId' is invalid: it was already used for %s.", truncate(v.ProviderDisputeID, 64), d.DisputeID))
		}
	}
	d := &Dispute{
		Owner: r.Owner, ChargeID: v.ChargeID, ChargePermissionID: facts.ChargePermissionID,
		ProviderDisputeID: v.ProviderDisputeID, Amount: v.Amount.Minor, Currency: v.Amount.Currency,
		FilingReason: v.FilingReason, Status: v.Status, FilingTime: v.FilingTime, Deadline: v.Deadline, Created: r.Now,
	}
	d.Status.LastUpdated = r.Now
	d.DisputeID = newDisputeID(orderRefOf(v.ChargeID))
	for s.st.Disputes[d.DisputeID] != nil {
		d.DisputeID = newDisputeID(orderRefOf(v.ChargeID))
	}
	s.st.Disputes[d.DisputeID] = d
	if d.Status.State == disputeActionRequired {
		s.schedule(d.Deadline, timerDispute, d.DisputeID)
	}
	s.notify(d.Owner, "CHARGEBACK", d.DisputeID, d.ChargePermissionID, d.Status.State, r.Now)
	return ok(http.StatusOK, d.wire())
}

// getDispute is Get Dispute (GET /v2/disputes/{disputeId}).
func (s *Server) getDispute(r *request) response {
	if err := checkQueryNames(r.Query); err != nil {
		return fail(err)
	}
	d, err := find(s.st.Disputes, "Dispute", r.PathValue("disputeId"), r)
	if err != nil {
		return fail(err)
	}
	return ok(http.StatusOK, d.wire())
}

// updateDispute is Update Dispute (PATCH /v2/disputes/{disputeId}).
func (s *Server) updateDispute(r *request) response {
	d, err := find(s.st.Disputes, "Dispute", r.PathValue("disputeId"), r)
	if err != nil {
		return fail(err)
	}
	var in updateDisputeIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	next, err := applyDisputeUpdate(*d, &in, r.Now)
	if err != nil {
		return fail(err)
	}
	changed := next.Status.State != d.Status.State
	*d = next
	if d.Status.State == disputeActionRequired {
		s.schedule(d.Deadline, timerDispute, d.DisputeID)
	}
	if changed {
		s.notify(d.Owner, "CHARGEBACK", d.DisputeID, d.ChargePermissionID, d.Status.State, r.Now)
	}
	return ok(http.StatusOK, d.wire())
}

// contestDispute is Contest Dispute (POST /v2/disputes/{disputeId}/contest).
func (s *Server) contestDispute(r *request) response {
	d, err := find(s.st.Disputes, "Dispute", r.PathValue("disputeId"), r)
	if err != nil {
		return fail(err)
	}
	var in contestDisputeIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	evs, err := validateEvidences(in.MerchantEvidences, fileEvidenceCheck(s.st.Files, r.Owner))
	if err != nil {
		return fail(err)
	}
	next, err := applyDisputeContest(*d, evs, r.Now)
	if err != nil {
		return fail(err)
	}
	*d = next
	s.notify(d.Owner, "CHARGEBACK", d.DisputeID, d.ChargePermissionID, d.Status.State, r.Now)
	return ok(http.StatusOK, d.wire())
}

// settleDispute applies the response deadline at instant at.
func (s *Server) settleDispute(d *Dispute, at time.Time) {
	next, changed := expireDispute(*d, at)
	if !changed {
		return
	}
	*d = next
	s.notify(d.Owner, "CHARGEBACK", d.DisputeID, d.ChargePermissionID, d.Status.State, d.Deadline)
}

// chargeFactsOf reads a charge of the owner.
func (s *Server) chargeFactsOf(id string, o Owner) (chargeFacts, bool) {
	ch := s.st.Charges[id]
	if ch == nil || ch.Owner != o {
		return chargeFacts{}, false
	}
	return chargeFacts{
		ChargePermissionID: ch.ChargePermissionID,
		Captured:           money{Minor: ch.Captured, Currency: ch.Amount.Currency},
		State:              ch.Status.State,
	}, true
}
