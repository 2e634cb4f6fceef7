package emulator

import (
	"net/http"
	"regexp"
	"time"
)

// In-Store: a store associate scans the buyer's Amazon Pay code (Merchant
// Scan → a charge permission for that scan), charges it once (In-Store
// Charge → a captured charge) and may refund it (In-Store Refund). Every
// request carries a merchant-chosen reference id that "must be unique for
// every single API request"; the emulator rejects a reused one (a retry with
// the same idempotency key is replayed before that check).
//
// The objects live apart from the web-checkout charge permissions and
// charges: there is no Get operation for them, and the Checkout v2 Get
// Charge does not show them.

// In-store states.
const (
	inStoreChargeCaptured  = "Captured"
	inStoreRefundInitiated = "RefundInitiated"
)

// Limits on in-store input.
const (
	maxInStoreRefundsPerCharge = 10
	maxReferenceIDLen          = 255
	maxScanDataLen             = 4096
	maxInStoreTextLen          = 4096
)

// ledgerCurrencies are the currencies an Amazon Pay merchant settles in.
var ledgerCurrencies = []string{"USD", "EUR", "GBP", "JPY"}

// countryCodeRe matches an ISO 3166-1 alpha-2 code.
var countryCodeRe = regexp.MustCompile(`^[A-Z]{2}$`)

// InStoreScan is the charge permission a merchant scan created.
type InStoreScan struct {
	Owner
	ChargePermissionID string    `json:"chargePermissionId"`
	ScanReferenceID    string    `json:"scanReferenceId"`
	LedgerCurrency     string    `json:"ledgerCurrency"`
	MerchantCOE        string    `json:"merchantCOE"`
	CountryCode        string    `json:"countryCode"`
	ChargeID           string    `json:"chargeId"` // set once charged
	Created            time.Time `json:"created"`
}

// InStoreCharge is a captured in-store charge.
type InStoreCharge struct {
	Owner
	ChargeID           string    `json:"chargeId"`
	ChargePermissionID string    `json:"chargePermissionId"`
	ChargeReferenceID  string    `json:"chargeReferenceId"`
	Amount             int64     `json:"amount"`
	Currency           string    `json:"currency"`
	Refunded           int64     `json:"refunded"`
	Refunds            int       `json:"refunds"`
	Created            time.Time `json:"created"`
}

// InStoreRefund is a refund of an in-store charge.
type InStoreRefund struct {
	Owner
	RefundID          string    `json:"refundId"`
	ChargeID          string    `json:"chargeId"`
	RefundReferenceID string    `json:"refundReferenceId"`
	Amount            int64     `json:"amount"`
	Currency          string    `json:"currency"`
	Created           time.Time `json:"created"`
}

// inStoreMetadataIn is the metadata object of every in-store request.
type inStoreMetadataIn struct {
	MerchantNote         *string `json:"merchantNote"`
	CustomInformation    *string `json:"customInformation"`
	CommunicationContext *struct {
		MerchantStoreName *string `json:"merchantStoreName"`
		MerchantOrderID   *string `json:"merchantOrderId"`
	} `json:"communicationContext"`
}

// merchantScanIn is the Merchant Scan body.
type merchantScanIn struct {
	ScanData        *string `json:"scanData"`
	ScanReferenceID *string `json:"scanReferenceId"`
	MerchantCOE     *string `json:"merchantCOE"`
	LedgerCurrency  *string `json:"ledgerCurrency"`
	StoreLocation   *struct {
		CountryCode *string `json:"countryCode"`
	} `json:"storeLocation"`
	Metadata *inStoreMetadataIn `json:"metadata"`
}

// inStoreChargeIn is the In-Store Charge body.
type inStoreChargeIn struct {
	ChargePermissionID *string            `json:"chargePermissionId"`
	ChargeReferenceID  *string            `json:"chargeReferenceId"`
	ChargeTotal        *priceIn           `json:"chargeTotal"`
	SoftDescriptor     *string            `json:"softDescriptor"`
	Metadata           *inStoreMetadataIn `json:"metadata"`
}

// inStoreRefundIn is the In-Store Refund body.
type inStoreRefundIn struct {
	ChargeID          *string            `json:"chargeId"`
	RefundReferenceID *string            `json:"refundReferenceId"`
	RefundTotal       *priceIn           `json:"refundTotal"`
	SoftDescriptor    *string            `json:"softDescriptor"`
	Metadata          *inStoreMetadataIn `json:"metadata"`
}

// validateInStoreMetadata bounds the free-text fields.
func validateInStoreMetadata(m *inStoreMetadataIn) *apiError {
	if m == nil {
		return nil
	}
	if len(deref(m.MerchantNote)) > maxInStoreTextLen {
		return errInvalidValue("metadata.merchantNote", truncate(deref(m.MerchantNote), 32))
	}
	if len(deref(m.CustomInformation)) > maxInStoreTextLen {
		return errInvalidValue("metadata.customInformation", truncate(deref(m.CustomInformation), 32))
	}
	if c := m.CommunicationContext; c != nil {
		if len(deref(c.MerchantStoreName)) > 50 {
			return errInvalidValue("metadata.communicationContext.merchantStoreName", truncate(deref(c.MerchantStoreName), 32))
		}
		if len(deref(c.MerchantOrderID)) > maxReferenceIDLen {
			return errInvalidValue("metadata.communicationContext.merchantOrderId", truncate(deref(c.MerchantOrderID), 32))
		}
	}
	return nil
}

// requireRef checks a reference id field.
func requireRef(p *string, field string) (string, *apiError) {
	v := deref(p)
	if v == "" {
		return "", errMissing(field)
	}
	if len(v) > maxReferenceIDLen {
		return "", errInvalidValue(field, truncate(v, 32))
	}
	return v, nil
}

// validateSoftDescriptor checks the ≤16 character statement text.
func validateSoftDescriptor(p *string) *apiError {
	if p != nil && len([]rune(*p)) > 16 {
		return errInvalidValue("softDescriptor", truncate(*p, 32))
	}
	return nil
}

// validateMerchantScan checks a Merchant Scan body in isolation.
func validateMerchantScan(in *merchantScanIn) (InStoreScan, *apiError) {
	var sc InStoreScan
	data := deref(in.ScanData)
	if data == "" {
		return sc, errMissing("scanData")
	}
	if len(data) > maxScanDataLen {
		return sc, errInvalidValue("scanData", truncate(data, 32))
	}
	ref, err := requireRef(in.ScanReferenceID, "scanReferenceId")
	if err != nil {
		return sc, err
	}
	coe := deref(in.MerchantCOE)
	if coe == "" {
		return sc, errMissing("merchantCOE")
	}
	if !countryCodeRe.MatchString(coe) {
		return sc, errInvalidValue("merchantCOE", truncate(coe, 32))
	}
	cur := deref(in.LedgerCurrency)
	if cur == "" {
		return sc, errMissing("ledgerCurrency")
	}
	if !isOneOf(cur, ledgerCurrencies) {
		return sc, errInvalidValue("ledgerCurrency", truncate(cur, 32))
	}
	if in.StoreLocation != nil && in.StoreLocation.CountryCode != nil {
		cc := *in.StoreLocation.CountryCode
		if !countryCodeRe.MatchString(cc) {
			return sc, errInvalidValue("storeLocation.countryCode", truncate(cc, 32))
		}
		sc.CountryCode = cc
	}
	if err := validateInStoreMetadata(in.Metadata); err != nil {
		return sc, err
	}
	sc.ScanReferenceID, sc.MerchantCOE, sc.LedgerCurrency = ref, coe, cur
	return sc, nil
}

// refKey identifies a used reference id: per merchant, environment and
// kind of request.
func refKey(o Owner, kind, ref string) string {
	return string(o.Env) + "|" + o.MerchantID + "|" + kind + "|" + ref
}

// checkRefUnused rejects a reference id used before.
func checkRefUnused(used map[string]bool, o Owner, kind, field, ref string) *apiError {
	if used[refKey(o, kind, ref)] {
		return errorf(http.StatusBadRequest, codeInvalidParameterValue,
			"The value '%s' provided for '%s' is invalid: it was already used; it must be unique for every request.", truncate(ref, 64), field)
	}
	return nil
}

// chargeInStore is the In-Store Charge transition check on a scan: one
// charge per scan, in the scan's ledger currency (the per-currency maximum
// is checked when the price is parsed).
func chargeInStore(sc *InStoreScan, amount int64, currency string) *apiError {
	if sc.ChargeID != "" {
		return errorf(http.StatusUnprocessableEntity, codeInvalidChargePermissionStatus,
			"The Charge Permission %s was already charged.", sc.ChargePermissionID)
	}
	if currency != sc.LedgerCurrency {
		return errorf(http.StatusBadRequest, codeCurrencyMismatch,
			"Currency code %s provided in chargeTotal does not match the ledger currency %s of the scan.", currency, sc.LedgerCurrency)
	}
	return nil
}

// refundInStore is the In-Store Refund transition check: refunds in the
// charge's currency, at most ten, totalling at most the charge plus the
// over-refund margin (the lesser of 15% and 75 USD/EUR/GBP or 8,400 JPY).
func refundInStore(ch *InStoreCharge, amount int64, currency string) *apiError {
	if currency != ch.Currency {
		return errorf(http.StatusBadRequest, codeCurrencyMismatch,
			"Currency code %s provided in refundTotal does not match the charge currency %s.", currency, ch.Currency)
	}
	if ch.Refunds >= maxInStoreRefundsPerCharge {
		return errorf(http.StatusUnprocessableEntity, codeTransactionCountExceeded,
			"The maximum number of refunds (%d) for this charge was reached.", maxInStoreRefundsPerCharge)
	}
	if ch.Refunded+amount > ch.Amount+inStoreOverRefundMargin(ch.Amount, currency) {
		return errorf(http.StatusBadRequest, codeTransactionAmountExceeded,
			"The refund amount exceeds the maximum refundable amount for this charge.")
	}
	return nil
}

// inStoreOverRefundMargin is how far refunds may exceed the captured amount:
// the lesser of 15% and a per-currency cap.
func inStoreOverRefundMargin(captured int64, currency string) int64 {
	pct := captured * 15 / 100
	cap, known := map[string]int64{"USD": 7500, "EUR": 7500, "GBP": 7500, "JPY": 8400}[currency]
	if !known {
		return 0
	}
	return min(pct, cap)
}

// inStoreChargeWire and inStoreRefundWire are the answers.
type inStoreChargeWire struct {
	ChargeID     string            `json:"chargeId"`
	ChargeStatus inStoreStatusWire `json:"chargeStatus"`
}

type inStoreRefundWire struct {
	RefundID     string            `json:"refundId"`
	RefundStatus inStoreStatusWire `json:"refundStatus"`
}

type inStoreStatusWire struct {
	State string `json:"state"`
}

type merchantScanWire struct {
	ChargePermissionID string `json:"chargePermissionId"`
}

// merchantScan is In-Store Merchant Scan (POST /v2/in-store/merchantScan).
func (s *Server) merchantScan(r *request) response {
	var in merchantScanIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	sc, err := validateMerchantScan(&in)
	if err != nil {
		return fail(err)
	}
	if err := checkRefUnused(s.st.InStoreRefs, r.Owner, "scan", "scanReferenceId", sc.ScanReferenceID); err != nil {
		return fail(err)
	}
	sc.Owner, sc.Created = r.Owner, r.Now
	sc.ChargePermissionID = newOrderRef(r.Owner.Env, false)
	for s.st.InStoreScans[sc.ChargePermissionID] != nil || s.st.ChargePermissions[sc.ChargePermissionID] != nil {
		sc.ChargePermissionID = newOrderRef(r.Owner.Env, false)
	}
	s.st.InStoreScans[sc.ChargePermissionID] = &sc
	s.st.InStoreRefs[refKey(r.Owner, "scan", sc.ScanReferenceID)] = true
	return ok(http.StatusOK, merchantScanWire{ChargePermissionID: sc.ChargePermissionID})
}

// inStoreCharge is In-Store Charge (POST /v2/in-store/charge): it charges
// and captures a scan's charge permission once.
func (s *Server) inStoreCharge(r *request) response {
	var in inStoreChargeIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	cpID := deref(in.ChargePermissionID)
	if cpID == "" {
		return fail(errMissing("chargePermissionId"))
	}
	ref, err := requireRef(in.ChargeReferenceID, "chargeReferenceId")
	if err != nil {
		return fail(err)
	}
	amount, err := in.ChargeTotal.parse("chargeTotal")
	if err != nil {
		return fail(err)
	}
	if amount.Minor == 0 {
		return fail(errInvalidValue("chargeTotal.Amount", string(*in.ChargeTotal.Amount)))
	}
	if err := validateSoftDescriptor(in.SoftDescriptor); err != nil {
		return fail(err)
	}
	if err := validateInStoreMetadata(in.Metadata); err != nil {
		return fail(err)
	}
	sc, err := find(s.st.InStoreScans, "ChargePermission", cpID, r)
	if err != nil {
		return fail(err)
	}
	if err := checkRefUnused(s.st.InStoreRefs, r.Owner, "charge", "chargeReferenceId", ref); err != nil {
		return fail(err)
	}
	if err := chargeInStore(sc, amount.Minor, amount.Currency); err != nil {
		return fail(err)
	}
	ch := &InStoreCharge{
		Owner: r.Owner, ChargePermissionID: cpID, ChargeReferenceID: ref,
		Amount: amount.Minor, Currency: amount.Currency, Created: r.Now,
	}
	ch.ChargeID = cpID + "-C" + randDigits(7)
	sc.ChargeID = ch.ChargeID
	s.st.InStoreCharges[ch.ChargeID] = ch
	s.st.InStoreRefs[refKey(r.Owner, "charge", ref)] = true
	return ok(http.StatusOK, inStoreChargeWire{ChargeID: ch.ChargeID, ChargeStatus: inStoreStatusWire{State: inStoreChargeCaptured}})
}

// inStoreRefund is In-Store Refund (POST /v2/in-store/refund).
func (s *Server) inStoreRefund(r *request) response {
	var in inStoreRefundIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	chID := deref(in.ChargeID)
	if chID == "" {
		return fail(errMissing("chargeId"))
	}
	ref, err := requireRef(in.RefundReferenceID, "refundReferenceId")
	if err != nil {
		return fail(err)
	}
	amount, err := in.RefundTotal.parse("refundTotal")
	if err != nil {
		return fail(err)
	}
	if amount.Minor == 0 {
		return fail(errInvalidValue("refundTotal.Amount", string(*in.RefundTotal.Amount)))
	}
	if err := validateSoftDescriptor(in.SoftDescriptor); err != nil {
		return fail(err)
	}
	if err := validateInStoreMetadata(in.Metadata); err != nil {
		return fail(err)
	}
	ch, err := find(s.st.InStoreCharges, "Charge", chID, r)
	if err != nil {
		return fail(err)
	}
	if err := checkRefUnused(s.st.InStoreRefs, r.Owner, "refund", "refundReferenceId", ref); err != nil {
		return fail(err)
	}
	if err := refundInStore(ch, amount.Minor, amount.Currency); err != nil {
		return fail(err)
	}
	rf := &InStoreRefund{
		Owner: r.Owner, ChargeID: chID, RefundReferenceID: ref,
		Amount: amount.Minor, Currency: amount.Currency, Created: r.Now,
	}
	rf.RefundID = ch.ChargePermissionID + "-R" + randDigits(7)
	for s.st.InStoreRefunds[rf.RefundID] != nil {
		rf.RefundID = ch.ChargePermissionID + "-R" + randDigits(7)
	}
	ch.Refunded += amount.Minor
	ch.Refunds++
	s.st.InStoreRefunds[rf.RefundID] = rf
	s.st.InStoreRefs[refKey(r.Owner, "refund", ref)] = true
	return ok(http.StatusOK, inStoreRefundWire{RefundID: rf.RefundID, RefundStatus: inStoreStatusWire{State: inStoreRefundInitiated}})
}
