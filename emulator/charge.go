package emulator

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Charge states (api-objects.md §9.3).
const (
	chAuthorizationInitiated = "AuthorizationInitiated"
	chAuthorized             = "Authorized"
	chCaptureInitiated       = "CaptureInitiated"
	chCaptured               = "Captured"
	chCanceled               = "Canceled"
	chDeclined               = "Declined"
)

// Charge timings.
const (
	authorizationValidity = 30 * 24 * time.Hour // Authorized → Canceled/ExpiredUnused
	syncCaptureWindow     = 7 * 24 * time.Hour  // later captures go through CaptureInitiated
	asyncCaptureDelay     = 30 * time.Second    // CaptureInitiated → Captured
)

// Reason descriptions for charge states.
var chargeReasonText = map[string]string{
	"ExpiredUnused":             "The Charge has been in the Authorized state for 30 days without being captured.",
	"MerchantCanceled":          "The merchant canceled the Charge.",
	"ChargePermissionCanceled":  "The Charge was canceled because the Charge Permission was closed.",
	"AmazonCanceled":            "Amazon canceled the Charge.",
	"BuyerCanceled":             "The buyer canceled the Charge.",
	codeSoftDeclined:            "The charge was declined; a retry may succeed.",
	codeHardDeclined:            "The charge was declined; a retry will not succeed.",
	codeAmazonRejected:          "Amazon rejected the charge; the Charge Permission was canceled.",
	codeProcessingFailure:       "Amazon could not process the charge because of an internal processing error.",
	codeTransactionTimedOut:     "The authorization could not be completed in time.",
	codePaymentMethodNotAllowed: "The buyer's payment method is not allowed for this charge.",
	codeMFANotCompleted:         "The buyer did not complete multi-factor authentication.",
}

// Charge is a stored charge.
type Charge struct {
	Owner
	ID                 string            `json:"id"`
	ChargePermissionID string            `json:"chargePermissionId"`
	Amount             money             `json:"amount"`
	Captured           int64             `json:"captured"`         // captureAmount, minor units
	CaptureRequested   int64             `json:"captureRequested"` // while CaptureInitiated
	Refunded           int64             `json:"refunded"`         // refundedAmount (completed refunds)
	SoftDescriptor     string            `json:"softDescriptor"`
	CaptureNow         bool              `json:"captureNow"`
	CanHandlePending   bool              `json:"canHandlePending"`
	Merchant           *MerchantMetadata `json:"merchant"`
	ProviderRefID      string            `json:"providerRefId"`
	PlatformID         string            `json:"platformId"`
	ChargeInitiator    string            `json:"chargeInitiator"`
	Channel            string            `json:"channel"`
	RefundIDs          []string          `json:"refundIds"`
	Status             Status            `json:"status"`
	Created            time.Time         `json:"created"`
	Expires            time.Time         `json:"expires"`
	AuthorizedAt       time.Time         `json:"authorizedAt"`
	// PendingAt is when an AuthorizationInitiated or CaptureInitiated
	// charge settles, to PendingOutcome (outcomeSuccess or outcomeDeclined
	// with PendingReason).
	PendingAt      time.Time `json:"pendingAt"`
	PendingOutcome string    `json:"pendingOutcome"`
	PendingReason  string    `json:"pendingReason"`
}

// --- pure transitions -------------------------------------------------------

func (ch *Charge) setState(state, reason string, at time.Time) {
	ch.Status = Status{State: state, ReasonCode: reason, ReasonDescription: chargeReasonText[reason], Updated: at}
}

// authorize makes the charge Authorized, valid for 30 days.
func (ch *Charge) authorize(at time.Time) {
	ch.setState(chAuthorized, "", at)
	ch.AuthorizedAt = at
	ch.Expires = at.Add(authorizationValidity)
	ch.PendingAt, ch.PendingOutcome, ch.PendingReason = time.Time{}, "", ""
}

// capture marks amount captured now.
func (ch *Charge) capture(amount money, at time.Time) {
	ch.Captured = amount.Minor
	ch.CaptureRequested = 0
	ch.setState(chCaptured, "", at)
	ch.PendingAt, ch.PendingOutcome, ch.PendingReason = time.Time{}, "", ""
}

// decline makes the charge Declined with reason.
func (ch *Charge) decline(reason string, at time.Time) {
	ch.setState(chDeclined, reason, at)
	ch.CaptureRequested = 0
	ch.PendingAt, ch.PendingOutcome, ch.PendingReason = time.Time{}, "", ""
}

// startPending makes the charge AuthorizationInitiated until
// at+pendingDelay, then outcome (with reason for a decline).
func (ch *Charge) startPending(outcome, reason string, at time.Time) {
	ch.setState(chAuthorizationInitiated, "", at)
	ch.PendingAt, ch.PendingOutcome, ch.PendingReason = at.Add(pendingDelay), outcome, reason
}

// canCancel: until capture is initiated.
func (ch *Charge) canCancel() *apiError {
	if ch.Status.State != chAuthorizationInitiated && ch.Status.State != chAuthorized {
		return errorf(http.StatusUnprocessableEntity, codeInvalidChargeStatus, "The Charge is in %s state; only an AuthorizationInitiated or Authorized Charge can be canceled.", ch.Status.State)
	}
	return nil
}

// cancel makes the charge Canceled with reason and description.
func (ch *Charge) cancel(reason, description string, at time.Time) {
	ch.setState(chCanceled, reason, at)
	if description != "" {
		ch.Status.ReasonDescription = description
	}
	ch.PendingAt, ch.PendingOutcome, ch.PendingReason = time.Time{}, "", ""
}

// canCapture: Authorized, same currency, 0 < amount ≤ authorized amount.
func (ch *Charge) canCapture(amount money) *apiError {
	if ch.Status.State != chAuthorized {
		return errorf(http.StatusUnprocessableEntity, codeInvalidChargeStatus, "The Charge is in %s state; only an Authorized Charge can be captured.", ch.Status.State)
	}
	if amount.Currency != ch.Amount.Currency {
		return errorf(http.StatusBadRequest, codeCurrencyMismatch, "Currency code provided in Capture does not match the currency of the Charge.")
	}
	if amount.Minor <= 0 {
		return errInvalidValue("captureAmount.Amount", amount.wire().Amount)
	}
	if amount.Minor > ch.Amount.Minor {
		return errorf(http.StatusBadRequest, codeTransactionAmountExceeded, "The captureAmount %s %s exceeds the authorized amount %s %s.", amount.wire().Amount, amount.Currency, ch.Amount.wire().Amount, ch.Amount.Currency)
	}
	return nil
}

// startCapture captures synchronously, or, more than 7 days after the
// authorization or when simulated, goes to CaptureInitiated until
// asyncCaptureDelay has passed (then Captured, or Declined with reason).
func (ch *Charge) startCapture(amount money, simCode string, at time.Time) {
	async := at.Sub(ch.AuthorizedAt) > syncCaptureWindow
	outcome, reason := outcomeSuccess, ""
	switch simCode {
	case "CaptureInitiated":
		async = true
	case codeAmazonRejected, codeProcessingFailure:
		async, outcome, reason = true, outcomeDeclined, simCode
	}
	if !async {
		ch.capture(amount, at)
		return
	}
	ch.CaptureRequested = amount.Minor
	ch.setState(chCaptureInitiated, "", at)
	ch.PendingAt, ch.PendingOutcome, ch.PendingReason = at.Add(asyncCaptureDelay), outcome, reason
}

// advance applies the time-driven transitions due by at and reports the
// instant of the change, if any: a pending authorization settles, a pending
// capture settles, an unused authorization expires after 30 days.
func (ch *Charge) advance(at time.Time) (time.Time, bool) {
	switch ch.Status.State {
	case chAuthorizationInitiated:
		if at.Before(ch.PendingAt) {
			return time.Time{}, false
		}
		when := ch.PendingAt
		if ch.PendingOutcome == outcomeDeclined {
			ch.decline(ch.PendingReason, when)
		} else {
			ch.authorize(when)
			if ch.CaptureNow {
				ch.capture(ch.Amount, when)
			}
		}
		return when, true
	case chCaptureInitiated:
		if at.Before(ch.PendingAt) {
			return time.Time{}, false
		}
		when := ch.PendingAt
		if ch.PendingOutcome == outcomeDeclined {
			ch.decline(ch.PendingReason, when)
		} else {
			ch.capture(money{Minor: ch.CaptureRequested, Currency: ch.Amount.Currency}, when)
		}
		return when, true
	case chAuthorized:
		if at.Before(ch.Expires) {
			return time.Time{}, false
		}
		ch.cancel("ExpiredUnused", "", ch.Expires)
		return ch.Expires, true
	}
	return time.Time{}, false
}

// nextDeadline is when advance will next change the charge.
func (ch *Charge) nextDeadline() (time.Time, bool) {
	switch ch.Status.State {
	case chAuthorizationInitiated, chCaptureInitiated:
		return ch.PendingAt, true
	case chAuthorized:
		return ch.Expires, true
	}
	return time.Time{}, false
}

// --- server side ----------------------------------------------------------------

// newCharge builds a charge on cp (not stored: addCharge stores it). Charge
// ids extend the order reference: the OneTime charge permission's id, or a
// fresh S01-/P01- reference for Recurring and Saved Wallet ones.
func (s *Server) newCharge(cp *ChargePermission, amount money, at time.Time) *Charge {
	ch := &Charge{Owner: cp.Owner, ChargePermissionID: cp.ID, Amount: amount, Created: at, Expires: at.Add(authorizationValidity)}
	ref := cp.ID
	if cp.Type != "OneTime" {
		ref = newOrderRef(cp.Env, false)
	}
	for {
		ch.ID = ref + "-C" + randDigits(6)
		if _, taken := s.st.Charges[ch.ID]; !taken {
			break
		}
	}
	return ch
}

// addCharge stores a charge, links it to its charge permission and
// schedules its next deadline.
func (s *Server) addCharge(ch *Charge) {
	s.st.Charges[ch.ID] = ch
	if cp := s.st.ChargePermissions[ch.ChargePermissionID]; cp != nil {
		cp.ChargeIDs = append(cp.ChargeIDs, ch.ID)
	}
	s.scheduleCharge(ch)
}

func (s *Server) scheduleCharge(ch *Charge) {
	if at, ok := ch.nextDeadline(); ok {
		s.schedule(at, timerCharge, ch.ID)
	}
}

// applyCharge updates the charge permission after a new charge: recurring
// expiry restarts, a HardDeclined charge makes it NonChargeable, an
// AmazonRejected one closes it, a full capture closes a OneTime one.
func (cp *ChargePermission) applyCharge(ch *Charge, at time.Time) {
	if cp.Type != "OneTime" {
		cp.Expires = expiryFor(cp.Type, false, at)
	}
	cp.applyOutcome(ch, at)
}

// applyOutcome reflects a charge's final state on its charge permission and
// reports whether the charge permission changed.
func (cp *ChargePermission) applyOutcome(ch *Charge, at time.Time) bool {
	if cp.Status.State == cpClosed || ch.Status.State != chDeclined {
		return false
	}
	switch ch.Status.ReasonCode {
	case codeHardDeclined:
		cp.Status = CPStatus{State: cpNonChargeable, Reasons: []CPReason{{"PaymentMethodInvalid", "The previous charge was declined. Ask the buyer to update the payment method."}}, Updated: at}
		return true
	case codeAmazonRejected:
		cp.close("AmazonCanceled", "Amazon canceled the Charge Permission.", at)
		return true
	}
	return false
}

// settleCharge runs a charge's due transitions and their consequences.
func (s *Server) settleCharge(ch *Charge, at time.Time) {
	when, changed := ch.advance(at)
	if !changed {
		if next, ok := ch.nextDeadline(); ok && next.After(at) {
			s.schedule(next, timerCharge, ch.ID)
		}
		return
	}
	s.notify(ch.Owner, "CHARGE", ch.ID, ch.ChargePermissionID, ch.Status.State, when)
	if cp := s.st.ChargePermissions[ch.ChargePermissionID]; cp != nil {
		cpChanged := cp.applyOutcome(ch, when)
		if cp.refresh(s.chargesOf(cp), when) {
			cpChanged = true
		}
		if cpChanged {
			s.notify(cp.Owner, "CHARGE_PERMISSION", cp.ID, cp.ID, cp.Status.State, when)
		}
	}
	s.scheduleCharge(ch)
}

// --- wire ---------------------------------------------------------------------

type chargeWire struct {
	ChargeID            string                `json:"chargeId"`
	ChargePermissionID  string                `json:"chargePermissionId"`
	ChargeAmount        priceWire             `json:"chargeAmount"`
	CaptureAmount       *priceWire            `json:"captureAmount"`
	RefundedAmount      *priceWire            `json:"refundedAmount"`
	ConvertedAmount     *string               `json:"convertedAmount"`
	ConversionRate      *string               `json:"conversionRate"`
	SoftDescriptor      *string               `json:"softDescriptor"`
	MerchantMetadata    *merchantMetadataWire `json:"merchantMetadata"`
	ProviderMetadata    providerMetadataWire  `json:"providerMetadata"`
	ChargeInitiator     *string               `json:"chargeInitiator"`
	Channel             *string               `json:"channel"`
	StatusDetails       statusDetailsWire     `json:"statusDetails"`
	CreationTimestamp   *string               `json:"creationTimestamp"`
	ExpirationTimestamp *string               `json:"expirationTimestamp"`
	ReleaseEnvironment  string                `json:"releaseEnvironment"`
}

// wire renders the charge. captureAmount and refundedAmount appear once
// captured; convertedAmount and conversionRate stay null (the docs give
// strings, the .NET model a Price: null parses everywhere).
func (ch *Charge) wire() chargeWire {
	w := chargeWire{
		ChargeID: ch.ID, ChargePermissionID: ch.ChargePermissionID, ChargeAmount: ch.Amount.wire(),
		SoftDescriptor: strp(ch.SoftDescriptor), MerchantMetadata: ch.Merchant.wire(),
		ProviderMetadata: providerMetadataWire{ProviderReferenceID: strp(ch.ProviderRefID)},
		ChargeInitiator:  strp(ch.ChargeInitiator), Channel: strp(ch.Channel),
		StatusDetails: ch.Status.wire(), CreationTimestamp: wireTime(ch.Created), ExpirationTimestamp: wireTime(ch.Expires),
		ReleaseEnvironment: string(ch.Env),
	}
	if ch.Status.State == chCaptured {
		c := priceOf(ch.Captured, ch.Amount.Currency)
		rf := priceOf(ch.Refunded, ch.Amount.Currency)
		w.CaptureAmount, w.RefundedAmount = &c, &rf
	}
	return w
}

// --- handlers -------------------------------------------------------------------

var (
	chargeInitiators = map[string]bool{"CITU": true, "MITU": true, "CITR": true, "MITR": true}
	chargeChannels   = map[string]bool{"Web": true, "Phone": true, "App": true, "Alexa": true, "PointOfSale": true, "FireTv": true, "Offline": true, "Amazon": true}
)

type createChargeIn struct {
	ChargePermissionID            *string             `json:"chargePermissionId"`
	ChargeAmount                  *priceIn            `json:"chargeAmount"`
	CaptureNow                    *flexBool           `json:"captureNow"`
	SoftDescriptor                *string             `json:"softDescriptor"`
	CanHandlePendingAuthorization *flexBool           `json:"canHandlePendingAuthorization"`
	MerchantMetadata              *merchantMetadataIn `json:"merchantMetadata"`
	ProviderMetadata              *providerMetadataIn `json:"providerMetadata"`
	PlatformID                    *string             `json:"platformId"`
	ChargeInitiator               *string             `json:"chargeInitiator"`
	Channel                       *string             `json:"channel"`
	WebCheckoutDetails            *struct {
		CheckoutResultReturnURL *string `json:"checkoutResultReturnUrl"`
	} `json:"webCheckoutDetails"`
}

func (s *Server) createCharge(r *request) response {
	var in createChargeIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	if in.ChargePermissionID == nil || *in.ChargePermissionID == "" {
		return fail(errMissing("chargePermissionId"))
	}
	if in.ChargeAmount == nil {
		return fail(errMissing("chargeAmount"))
	}
	amount, err := in.ChargeAmount.parse("chargeAmount")
	if err != nil {
		return fail(err)
	}
	if err := checkSoftDescriptor("softDescriptor", in.SoftDescriptor); err != nil {
		return fail(err)
	}
	captureNow := in.CaptureNow != nil && bool(*in.CaptureNow)
	pendingOK := in.CanHandlePendingAuthorization != nil && bool(*in.CanHandlePendingAuthorization)
	if in.SoftDescriptor != nil && *in.SoftDescriptor != "" && !captureNow {
		return fail(errorf(http.StatusBadRequest, codeInvalidParameterCombination, "softDescriptor can only be set when captureNow is true."))
	}
	if in.ChargeInitiator != nil && !chargeInitiators[*in.ChargeInitiator] {
		return fail(errInvalidValue("chargeInitiator", truncate(*in.ChargeInitiator, 16)))
	}
	if in.Channel != nil && !chargeChannels[*in.Channel] {
		return fail(errInvalidValue("channel", truncate(*in.Channel, 16)))
	}
	if w := in.WebCheckoutDetails; w != nil && w.CheckoutResultReturnURL != nil {
		if err := checkURL("webCheckoutDetails.checkoutResultReturnUrl", *w.CheckoutResultReturnURL); err != nil {
			return fail(err)
		}
	}
	mm, err := in.MerchantMetadata.apply(nil)
	if err != nil {
		return fail(err)
	}
	cp, err := find(s.st.ChargePermissions, "Charge Permission", *in.ChargePermissionID, r)
	if err != nil {
		return fail(err)
	}
	if err := cp.canCreateCharge(amount, s.chargesOf(cp), r.Now); err != nil {
		return fail(err)
	}

	// Decide the authorization: simulation code, else the buyer's card.
	outcome, reason := outcomeSuccess, ""
	sim := r.SimulationCode
	if sim == "" && r.Owner.Env == Sandbox {
		switch paymentMethods[cp.PaymentMethod].outcome {
		case outcomePendingAuth:
			sim = "AuthorizationInitiated"
		case outcomePendingDeclined:
			sim = "PendingHardDeclined"
		}
	}
	pending := false
	switch {
	case sim == "AuthorizationInitiated":
		pending = pendingOK
	case strings.HasPrefix(sim, "Pending"):
		outcome, reason, pending = outcomeDeclined, strings.TrimPrefix(sim, "Pending"), pendingOK
	case sim != "":
		outcome, reason = outcomeDeclined, sim
	}

	ch := s.newCharge(cp, amount, r.Now)
	ch.CaptureNow, ch.CanHandlePending, ch.SoftDescriptor = captureNow, pendingOK, sv(in.SoftDescriptor)
	ch.Merchant, ch.PlatformID, ch.ChargeInitiator, ch.Channel = mm, sv(in.PlatformID), sv(in.ChargeInitiator), sv(in.Channel)
	if in.ProviderMetadata != nil {
		ch.ProviderRefID = sv(in.ProviderMetadata.ProviderReferenceID)
	}
	if ch.ChargeInitiator == "" {
		ch.ChargeInitiator = "MITU"
	}
	if ch.Channel == "" {
		ch.Channel = "Web"
	}

	switch {
	case pending:
		ch.startPending(outcome, reason, r.Now)
	case outcome == outcomeDeclined:
		// A synchronous decline is an error answer; the charge permission
		// feels it (HardDeclined → NonChargeable, AmazonRejected → Closed).
		ch.decline(reason, r.Now)
		if cp.applyOutcome(ch, r.Now) {
			r.changed = true
		}
		status := http.StatusUnprocessableEntity
		if reason == codeProcessingFailure {
			status = http.StatusInternalServerError
		}
		return fail(errorf(status, reason, "%s", chargeReasonText[reason]))
	default:
		ch.authorize(r.Now)
		if captureNow {
			ch.capture(amount, r.Now)
		}
	}
	s.addCharge(ch)
	cp.applyCharge(ch, r.Now)
	if cp.refresh(s.chargesOf(cp), r.Now) {
		s.notify(cp.Owner, "CHARGE_PERMISSION", cp.ID, cp.ID, cp.Status.State, r.Now)
	}
	return ok(http.StatusCreated, ch.wire())
}

func (s *Server) getCharge(r *request) response {
	ch, err := find(s.st.Charges, "Charge", r.PathValue("chargeId"), r)
	if err != nil {
		return fail(err)
	}
	return ok(http.StatusOK, ch.wire())
}

type captureIn struct {
	CaptureAmount  *priceIn `json:"captureAmount"`
	SoftDescriptor *string  `json:"softDescriptor"`
}

func (s *Server) captureCharge(r *request) response {
	ch, err := find(s.st.Charges, "Charge", r.PathValue("chargeId"), r)
	if err != nil {
		return fail(err)
	}
	var in captureIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	if in.CaptureAmount == nil {
		return fail(errMissing("captureAmount"))
	}
	amount, err := in.CaptureAmount.parse("captureAmount")
	if err != nil {
		return fail(err)
	}
	if err := checkSoftDescriptor("softDescriptor", in.SoftDescriptor); err != nil {
		return fail(err)
	}
	if err := ch.canCapture(amount); err != nil {
		return fail(err)
	}
	if in.SoftDescriptor != nil {
		ch.SoftDescriptor = *in.SoftDescriptor
	}
	ch.startCapture(amount, r.SimulationCode, r.Now)
	s.scheduleCharge(ch)
	if cp := s.st.ChargePermissions[ch.ChargePermissionID]; cp != nil && cp.refresh(s.chargesOf(cp), r.Now) {
		s.notify(cp.Owner, "CHARGE_PERMISSION", cp.ID, cp.ID, cp.Status.State, r.Now)
	}
	return ok(http.StatusOK, ch.wire())
}

type cancelChargeIn struct {
	CancellationReason *string `json:"cancellationReason"`
}

func (s *Server) cancelCharge(r *request) response {
	ch, err := find(s.st.Charges, "Charge", r.PathValue("chargeId"), r)
	if err != nil {
		return fail(err)
	}
	var in cancelChargeIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	if in.CancellationReason != nil && utf8.RuneCountInString(*in.CancellationReason) > 255 {
		return fail(errInvalidValue("cancellationReason", truncate(*in.CancellationReason, 32)))
	}
	if err := ch.canCancel(); err != nil {
		return fail(err)
	}
	ch.cancel("MerchantCanceled", sv(in.CancellationReason), r.Now)
	if cp := s.st.ChargePermissions[ch.ChargePermissionID]; cp != nil && cp.refresh(s.chargesOf(cp), r.Now) {
		s.notify(cp.Owner, "CHARGE_PERMISSION", cp.ID, cp.ID, cp.Status.State, r.Now)
	}
	return ok(http.StatusOK, ch.wire())
}

type updateChargeIn struct {
	StatusDetails *struct {
		State      *string `json:"state"`
		ReasonCode *string `json:"reasonCode"`
	} `json:"statusDetails"`
}

// updateCharge is the PSP-only Update Charge: it can only cancel an
// uncaptured charge with a reason (ExpiredUnused in Amazon's example).
func (s *Server) updateCharge(r *request) response {
	ch, err := find(s.st.Charges, "Charge", r.PathValue("chargeId"), r)
	if err != nil {
		return fail(err)
	}
	var in updateChargeIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	if in.StatusDetails == nil || in.StatusDetails.State == nil {
		return fail(errMissing("statusDetails.state"))
	}
	if *in.StatusDetails.State != chCanceled {
		return fail(errInvalidValue("statusDetails.state", truncate(*in.StatusDetails.State, 32)))
	}
	reason := "MerchantCanceled"
	if in.StatusDetails.ReasonCode != nil {
		reason = *in.StatusDetails.ReasonCode
	}
	switch reason {
	case "ExpiredUnused", "MerchantCanceled", "AmazonCanceled", "BuyerCanceled":
	default:
		return fail(errInvalidValue("statusDetails.reasonCode", truncate(reason, 32)))
	}
	if err := ch.canCancel(); err != nil {
		return fail(err)
	}
	ch.cancel(reason, "", r.Now)
	return ok(http.StatusOK, ch.wire())
}
