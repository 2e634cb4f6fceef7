package emulator

import (
	"net/http"
	"time"
	"unicode/utf8"
)

// Charge permission states (api-objects.md §9.2).
const (
	cpChargeable    = "Chargeable"
	cpNonChargeable = "NonChargeable"
	cpClosed        = "Closed"
)

// Limits and lifetimes of charge permissions.
const (
	maxChargesOneTime  = 25                   // charges per OneTime charge permission
	oneTimeLifetime    = 180 * 24 * time.Hour // OneTime expiry
	buyerDataRetention = 30 * 24 * time.Hour  // buyer details visible this long
)

// recurringLimit is the monthly charge limit of a Recurring charge
// permission in minor units: USD 1,000 and JPY 100,000 are documented; the
// EU/UK figures follow the v1 billing-agreement table (inferred).
func recurringLimit(ccy string) int64 {
	switch ccy {
	case "JPY":
		return 100_000
	case "DKK", "HKD", "NOK", "SEK", "ZAR":
		return 10_000_00
	}
	return 1_000_00
}

// savedWalletLimit is the monthly limit of a PaymentMethodOnFile charge
// permission in minor units (api-objects.md §8).
func savedWalletLimit(ccy string) int64 {
	switch ccy {
	case "JPY":
		return 2_000_000
	case "DKK", "HKD", "NOK", "SEK", "ZAR":
		return 150_000_00
	}
	return 15_000_00
}

// ChargePermission is a stored charge permission.
type ChargePermission struct {
	Owner
	ID              string             `json:"id"`
	Type            string             `json:"type"`
	Buyer           *BuyerInfo         `json:"buyer"`
	ShippingAddress *Address           `json:"shippingAddress"`
	BillingAddress  *Address           `json:"billingAddress"`
	PaymentMethod   string             `json:"paymentMethod"`
	Merchant        *MerchantMetadata  `json:"merchant"`
	PlatformID      string             `json:"platformId"`
	Recurring       *RecurringMetadata `json:"recurring"`
	Currency        string             `json:"currency"`
	// Limit is the OneTime amount limit (totalOrderAmount, else
	// chargeAmount) in minor units.
	Limit     int64     `json:"limit"`
	SetupOnly *bool     `json:"setupOnly"`
	ChargeIDs []string  `json:"chargeIds"`
	Status    CPStatus  `json:"status"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	ClosedAt  time.Time `json:"closedAt"`
}

// CPStatus is a charge permission's state; unlike the other objects it
// carries a list of reasons.
type CPStatus struct {
	State   string     `json:"state"`
	Reasons []CPReason `json:"reasons"`
	Updated time.Time  `json:"updated"`
}

// CPReason is one reason in a charge permission's statusDetails.
type CPReason struct {
	ReasonCode        string `json:"reasonCode"`
	ReasonDescription string `json:"reasonDescription"`
}

// cpUsage summarises the charges of a charge permission.
type cpUsage struct {
	captured int64 // captured so far
	reserved int64 // authorized or pending, not yet captured
	count    int   // charges that count toward the 25 (all created)
	open     int   // charges still AuthorizationInitiated, Authorized or CaptureInitiated
	pending  int   // charges AuthorizationInitiated
}

// usage sums the given charges (those of this charge permission).
func (cp *ChargePermission) usage(charges []*Charge) cpUsage {
	var u cpUsage
	for _, ch := range charges {
		u.count++
		switch ch.Status.State {
		case chAuthorizationInitiated:
			u.reserved += ch.Amount.Minor
			u.open++
			u.pending++
		case chAuthorized:
			u.reserved += ch.Amount.Minor
			u.open++
		case chCaptureInitiated:
			u.reserved += ch.CaptureRequested
			u.open++
		case chCaptured:
			u.captured += ch.Captured
		}
	}
	return u
}

// monthlyUsed is what the charges created in at's calendar month (UTC)
// consume of a Recurring or Saved Wallet monthly limit. Declined charges
// and canceled authorizations do not count.
func monthlyUsed(charges []*Charge, at time.Time) int64 {
	y, m, _ := at.UTC().Date()
	var used int64
	for _, ch := range charges {
		cy, cm, _ := ch.Created.UTC().Date()
		if cy != y || cm != m {
			continue
		}
		switch ch.Status.State {
		case chDeclined:
			continue
		case chCanceled:
			if ch.Captured == 0 {
				continue
			}
		}
		if ch.Captured > 0 {
			used += ch.Captured
		} else {
			used += ch.Amount.Minor
		}
	}
	return used
}

// monthlyLimit is the per-month limit for Recurring and Saved Wallet
// charge permissions (0 for OneTime).
func (cp *ChargePermission) monthlyLimit() int64 {
	switch cp.Type {
	case "Recurring":
		return recurringLimit(cp.Currency)
	case "PaymentMethodOnFile":
		return savedWalletLimit(cp.Currency)
	}
	return 0
}

// limits returns amountLimit and amountBalance in minor units.
func (cp *ChargePermission) limits(charges []*Charge, at time.Time) (limit, balance int64) {
	if cp.Type == "OneTime" {
		u := cp.usage(charges)
		balance = cp.Limit - u.captured - u.reserved
		if cp.Status.State == cpClosed || balance < 0 {
			balance = 0
		}
		return cp.Limit, balance
	}
	limit = cp.monthlyLimit()
	balance = limit - monthlyUsed(charges, at)
	if balance < 0 {
		balance = 0
	}
	return limit, balance
}

// canCreateCharge checks Create Charge against the charge permission:
// Chargeable, currency, 25 charges (OneTime), balance (OneTime), monthly
// limit (Recurring, Saved Wallet), and no charge already pending.
func (cp *ChargePermission) canCreateCharge(amount money, charges []*Charge, at time.Time) *apiError {
	if cp.Status.State != cpChargeable {
		return errorf(http.StatusUnprocessableEntity, codeInvalidChargePermissionStatus, "The Charge Permission is in %s state; you cannot create a charge.", cp.Status.State)
	}
	if amount.Currency != cp.Currency {
		return errorf(http.StatusBadRequest, codeCurrencyMismatch, "Currency code provided in Charge does not match the currency set during checkout.")
	}
	if amount.Minor <= 0 {
		return errInvalidValue("chargeAmount.Amount", amount.wire().Amount)
	}
	u := cp.usage(charges)
	if u.pending > 0 {
		return errorf(http.StatusUnprocessableEntity, codeInvalidChargePermissionStatus, "A charge is already in progress. You cannot initiate a new charge unless previous charge is canceled.")
	}
	if cp.Type == "OneTime" {
		if u.count >= maxChargesOneTime {
			return errorf(http.StatusUnprocessableEntity, codeTransactionCountExceeded, "You have reached the maximum of %d charges for this Charge Permission.", maxChargesOneTime)
		}
		if _, balance := cp.limits(charges, at); amount.Minor > balance {
			return errorf(http.StatusBadRequest, codeTransactionAmountExceeded, "The chargeAmount %s %s exceeds the Charge Permission's amountBalance %s %s.", amount.wire().Amount, amount.Currency, formatMinor(balance, currencies[cp.Currency].exp), cp.Currency)
		}
		return nil
	}
	if monthlyUsed(charges, at)+amount.Minor > cp.monthlyLimit() {
		return errorf(http.StatusBadRequest, codePeriodicAmountExceeded, "You've exceeded the monthly limit for the Charge Permission and must wait until the next month to charge this buyer.")
	}
	return nil
}

// close moves the charge permission to Closed with one reason.
func (cp *ChargePermission) close(reasonCode, description string, at time.Time) {
	cp.Status = CPStatus{State: cpClosed, Reasons: []CPReason{{reasonCode, description}}, Updated: at}
	cp.ClosedAt = at
}

// canClose: anything but Closed.
func (cp *ChargePermission) canClose() *apiError {
	if cp.Status.State == cpClosed {
		return errorf(http.StatusUnprocessableEntity, codeInvalidChargePermissionStatus, "The Charge Permission is already Closed.")
	}
	return nil
}

// canUpdate: anything but Closed.
func (cp *ChargePermission) canUpdate() *apiError {
	if cp.Status.State == cpClosed {
		return errorf(http.StatusUnprocessableEntity, codeChargePermissionNotModifiable, "The Charge Permission is Closed and cannot be modified.")
	}
	return nil
}

// refresh applies the rules that follow from its charges: a OneTime charge
// permission whose whole amount was captured closes (AmazonClosed). It
// reports whether the state changed.
func (cp *ChargePermission) refresh(charges []*Charge, at time.Time) bool {
	if cp.Type != "OneTime" || cp.Status.State == cpClosed {
		return false
	}
	u := cp.usage(charges)
	if u.open == 0 && u.captured >= cp.Limit && cp.Limit > 0 {
		cp.close("AmazonClosed", "Amazon closed the Charge Permission since the Charge was Completed.", at)
		return true
	}
	return false
}

// expire closes a charge permission past its expiry.
func (cp *ChargePermission) expire(at time.Time) bool {
	if cp.Status.State == cpClosed || cp.Expires.IsZero() || at.Before(cp.Expires) {
		return false
	}
	cp.close("Expired", "The Charge Permission expired.", cp.Expires)
	return true
}

// nextDeadline is the expiry while not Closed.
func (cp *ChargePermission) nextDeadline() (time.Time, bool) {
	if cp.Status.State == cpClosed || cp.Expires.IsZero() {
		return time.Time{}, false
	}
	return cp.Expires, true
}

// buyerVisible: OneTime buyer details for 30 days after creation; Recurring
// and Saved Wallet while open and 30 days after closing.
func (cp *ChargePermission) buyerVisible(at time.Time) bool {
	if cp.Type == "OneTime" {
		return at.Before(cp.Created.Add(buyerDataRetention))
	}
	return cp.Status.State != cpClosed || at.Before(cp.ClosedAt.Add(buyerDataRetention))
}

// expiryFor is the expiry of a new (or just charged) charge permission:
// OneTime 180 days (13 months with extendExpiration), Recurring and Saved
// Wallet 13 months, restarted by every charge.
func expiryFor(typ string, extend bool, from time.Time) time.Time {
	if typ == "OneTime" && !extend {
		return from.Add(oneTimeLifetime)
	}
	return from.AddDate(0, 13, 0)
}

// --- server side --------------------------------------------------------------

// newChargePermission builds the charge permission a completed checkout
// creates (not yet stored: addChargePermission stores it).
func (s *Server) newChargePermission(o Owner, cs *CheckoutSession, at time.Time) *ChargePermission {
	cp := &ChargePermission{
		Owner: o, Type: cs.ChargePermissionType, Buyer: cs.sharedBuyer(), ShippingAddress: cs.ShippingAddress,
		BillingAddress: cs.sharedBillingAddress(), PaymentMethod: cs.PaymentMethod, PlatformID: cs.PlatformID,
		Currency: cs.presentmentCurrency(), SetupOnly: cs.SetupOnly,
		Status: CPStatus{State: cpChargeable, Updated: at}, Created: at,
	}
	if cs.Merchant != nil {
		m := *cs.Merchant
		cp.Merchant = &m
	}
	if cs.Recurring != nil {
		rm := *cs.Recurring
		cp.Recurring = &rm
	}
	if cs.TotalOrderAmount != nil {
		cp.Limit = cs.TotalOrderAmount.Minor
	} else if cs.ChargeAmount != nil {
		cp.Limit = cs.ChargeAmount.Minor
	}
	cp.Expires = expiryFor(cp.Type, cs.ExtendExpiration != nil && *cs.ExtendExpiration, at)
	for {
		cp.ID = newOrderRef(o.Env, cp.Type != "OneTime")
		if _, taken := s.st.ChargePermissions[cp.ID]; !taken {
			break
		}
	}
	return cp
}

func (s *Server) addChargePermission(cp *ChargePermission) {
	s.st.ChargePermissions[cp.ID] = cp
	s.schedule(cp.Expires, timerChargePermission, cp.ID)
}

// chargesOf returns the charges of a charge permission.
func (s *Server) chargesOf(cp *ChargePermission) []*Charge {
	out := make([]*Charge, 0, len(cp.ChargeIDs))
	for _, id := range cp.ChargeIDs {
		if ch := s.st.Charges[id]; ch != nil {
			out = append(out, ch)
		}
	}
	return out
}

// settleChargePermission applies the expiry.
func (s *Server) settleChargePermission(cp *ChargePermission, at time.Time) {
	if cp.expire(at) {
		s.notify(cp.Owner, "CHARGE_PERMISSION", cp.ID, cp.ID, cp.Status.State, cp.Expires)
		return
	}
	if next, ok := cp.nextDeadline(); ok && next.After(at) {
		// The expiry moved (a recurring charge restarted it): wait for it.
		s.schedule(next, timerChargePermission, cp.ID)
	}
}

// --- wire ---------------------------------------------------------------------

type cpReasonWire struct {
	ReasonCode        string  `json:"reasonCode"`
	ReasonDescription *string `json:"reasonDescription"`
}

type cpStatusWire struct {
	State                string         `json:"state"`
	Reasons              []cpReasonWire `json:"reasons"`
	LastUpdatedTimestamp *string        `json:"lastUpdatedTimestamp"`
}

type limitsWire struct {
	AmountLimit   *priceWire `json:"amountLimit"`
	AmountBalance *priceWire `json:"amountBalance"`
}

type chargePermissionWire struct {
	ChargePermissionID          string                  `json:"chargePermissionId"`
	ChargePermissionReferenceID *string                 `json:"chargePermissionReferenceId"`
	PlatformID                  *string                 `json:"platformId"`
	Buyer                       *buyerWire              `json:"buyer"`
	ShippingAddress             *addressWire            `json:"shippingAddress"`
	BillingAddress              *addressWire            `json:"billingAddress"`
	PaymentPreferences          []paymentPreferenceWire `json:"paymentPreferences"`
	StatusDetails               cpStatusWire            `json:"statusDetails"`
	CreationTimestamp           *string                 `json:"creationTimestamp"`
	ExpirationTimestamp         *string                 `json:"expirationTimestamp"`
	MerchantMetadata            *merchantMetadataWire   `json:"merchantMetadata"`
	ReleaseEnvironment          string                  `json:"releaseEnvironment"`
	Limits                      limitsWire              `json:"limits"`
	ChargePermissionType        string                  `json:"chargePermissionType"`
	RecurringMetadata           recurringMetadataWire   `json:"recurringMetadata"`
	PresentmentCurrency         *string                 `json:"presentmentCurrency"`
	PaymentMethodOnFileMetadata *setupOnlyWire          `json:"paymentMethodOnFileMetadata"`
}

func (cp *ChargePermission) wire(charges []*Charge, at time.Time) chargePermissionWire {
	w := chargePermissionWire{
		ChargePermissionID: cp.ID, PlatformID: strp(cp.PlatformID),
		StatusDetails:        cpStatusWire{State: cp.Status.State, LastUpdatedTimestamp: wireTime(cp.Status.Updated)},
		CreationTimestamp:    wireTime(cp.Created),
		ExpirationTimestamp:  wireTime(cp.Expires),
		MerchantMetadata:     cp.Merchant.wire(),
		ReleaseEnvironment:   string(cp.Env),
		ChargePermissionType: cp.Type,
		PresentmentCurrency:  strp(cp.Currency),
	}
	for _, r := range cp.Status.Reasons {
		w.StatusDetails.Reasons = append(w.StatusDetails.Reasons, cpReasonWire{r.ReasonCode, strp(r.ReasonDescription)})
	}
	if cp.buyerVisible(at) {
		w.Buyer = cp.Buyer.wire()
		w.ShippingAddress = cp.ShippingAddress.wire()
		w.BillingAddress = cp.BillingAddress.wire()
		w.PaymentPreferences = []paymentPreferenceWire{{PaymentDescriptor: strp(paymentDescriptor(cp.PaymentMethod))}}
	}
	limit, balance := cp.limits(charges, at)
	w.Limits = limitsWire{AmountLimit: &priceWire{}, AmountBalance: &priceWire{}}
	*w.Limits.AmountLimit = priceOf(limit, cp.Currency)
	*w.Limits.AmountBalance = priceOf(balance, cp.Currency)
	if cp.Recurring != nil {
		w.RecurringMetadata = *cp.Recurring.wire()
	}
	if cp.SetupOnly != nil {
		w.PaymentMethodOnFileMetadata = &setupOnlyWire{SetupOnly: *cp.SetupOnly}
	}
	return w
}

// --- handlers -------------------------------------------------------------------

func (s *Server) getChargePermission(r *request) response {
	cp, err := find(s.st.ChargePermissions, "Charge Permission", r.PathValue("chargePermissionId"), r)
	if err != nil {
		return fail(err)
	}
	return ok(http.StatusOK, cp.wire(s.chargesOf(cp), r.Now))
}

type updateChargePermissionIn struct {
	MerchantMetadata  *merchantMetadataIn  `json:"merchantMetadata"`
	RecurringMetadata *recurringMetadataIn `json:"recurringMetadata"`
}

func (s *Server) updateChargePermission(r *request) response {
	cp, err := find(s.st.ChargePermissions, "Charge Permission", r.PathValue("chargePermissionId"), r)
	if err != nil {
		return fail(err)
	}
	var in updateChargePermissionIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	if err := cp.canUpdate(); err != nil {
		return fail(err)
	}
	mm, err := in.MerchantMetadata.apply(cp.Merchant)
	if err != nil {
		return fail(err)
	}
	rm, err := in.RecurringMetadata.parse()
	if err != nil {
		return fail(err)
	}
	if rm != nil && rm.Amount != nil && rm.Amount.Currency != cp.Currency {
		return fail(errorf(http.StatusBadRequest, codeCurrencyMismatch, "recurringMetadata.amount must use the Charge Permission's currency %s.", cp.Currency))
	}
	cp.Merchant = mm
	if rm != nil {
		cp.Recurring = rm
	}
	return ok(http.StatusOK, cp.wire(s.chargesOf(cp), r.Now))
}

type closeChargePermissionIn struct {
	ClosureReason        *string   `json:"closureReason"`
	CancelPendingCharges *flexBool `json:"cancelPendingCharges"`
}

func (s *Server) closeChargePermission(r *request) response {
	cp, err := find(s.st.ChargePermissions, "Charge Permission", r.PathValue("chargePermissionId"), r)
	if err != nil {
		return fail(err)
	}
	var in closeChargePermissionIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	if in.ClosureReason != nil && utf8.RuneCountInString(*in.ClosureReason) > 255 {
		return fail(errInvalidValue("closureReason", truncate(*in.ClosureReason, 32)))
	}
	if err := cp.canClose(); err != nil {
		return fail(err)
	}
	reason, desc := "MerchantClosed", sv(in.ClosureReason)
	if r.SimulationCode == "AmazonClosed" {
		reason, desc = "AmazonClosed", "Amazon closed the Charge Permission."
	}
	if in.CancelPendingCharges != nil && bool(*in.CancelPendingCharges) {
		for _, ch := range s.chargesOf(cp) {
			if ch.canCancel() == nil {
				ch.cancel("ChargePermissionCanceled", "The Charge Permission was closed.", r.Now)
				s.notify(ch.Owner, "CHARGE", ch.ID, cp.ID, ch.Status.State, r.Now)
			}
		}
	}
	cp.close(reason, desc, r.Now)
	return ok(http.StatusOK, cp.wire(s.chargesOf(cp), r.Now))
}
