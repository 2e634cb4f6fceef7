package emulator

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// Disbursements: what Amazon paid out to the merchant's bank account. The
// emulator settles daily: every UTC day's captured amounts minus completed
// refunds, per currency, are paid out at 00:00 UTC the next day (when the
// net is positive). Nothing is stored: disbursements are derived from the
// charges and refunds each time, with ids derived from (merchant, day,
// currency) so that repeated calls agree. Amazon's real schedule (a first
// settlement 14 days after the first payment, reserves) is not modelled.

// settlementEvent is one money movement that settles: a capture (positive)
// or a completed refund (negative), in minor units.
type settlementEvent struct {
	At       time.Time
	Currency string
	Amount   int64
}

// Disbursement is one payout.
type Disbursement struct {
	SettlementID    string
	ReferenceID     string
	Amount          int64
	Currency        string
	TransactionTime time.Time
}

const (
	defaultDisbursementPageSize, maxDisbursementPageSize = 10, 100
	// maxDisbursementWindow bounds the queried period.
	maxDisbursementWindow = 366 * 24 * time.Hour
)

// settle groups events into daily payouts, paid before now only, oldest
// first (then by currency).
func settle(merchantID string, events []settlementEvent, now time.Time) []Disbursement {
	type dayCur struct {
		day time.Time
		cur string
	}
	net := map[dayCur]int64{}
	for _, e := range events {
		k := dayCur{e.At.UTC().Truncate(24 * time.Hour), e.Currency}
		net[k] += e.Amount
	}
	var out []Disbursement
	for k, amount := range net {
		paid := k.day.Add(24 * time.Hour)
		if amount <= 0 || paid.After(now) {
			continue
		}
		sid, ref := disbursementIDs(merchantID, k.day, k.cur)
		out = append(out, Disbursement{SettlementID: sid, ReferenceID: ref, Amount: amount, Currency: k.cur, TransactionTime: paid})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].TransactionTime.Equal(out[j].TransactionTime) {
			return out[i].TransactionTime.Before(out[j].TransactionTime)
		}
		return out[i].Currency < out[j].Currency
	})
	return out
}

// disbursementIDs derives the settlement id (11 digits) and the bank
// reference id (upper-case alphanumerics) from what identifies a payout.
func disbursementIDs(merchantID string, day time.Time, currency string) (string, string) {
	sum := sha256.Sum256([]byte(merchantID + "|" + day.Format("20060102") + "|" + currency))
	n := binary.BigEndian.Uint64(sum[:8]) % 90_000_000_000
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	ref := make([]byte, 16)
	for i := range ref {
		ref[i] = alphabet[int(sum[8+i])%len(alphabet)]
	}
	return strconv.FormatUint(10_000_000_000+n, 10), "AMZN" + string(ref)
}

// disbursementQuery is a Get Disbursements query; it travels in nextToken.
type disbursementQuery struct {
	Start    time.Time `json:"a"`
	End      time.Time `json:"b"`
	PageSize int       `json:"n"`
	Offset   int       `json:"o"`
}

// parseDisbursementQuery reads startTime, endTime (both required), pageSize
// and nextToken; with a nextToken the token carries the query.
func parseDisbursementQuery(q url.Values) (disbursementQuery, *apiError) {
	if err := checkQueryNames(q, "startTime", "endTime", "pageSize", "nextToken"); err != nil {
		return disbursementQuery{}, err
	}
	tok, err := singleValue(q, "nextToken")
	if err != nil {
		return disbursementQuery{}, err
	}
	if tok != "" {
		var dq disbursementQuery
		if err := decodePageToken(tok, &dq); err != nil {
			return dq, err
		}
		if dq.PageSize < 1 || dq.PageSize > maxDisbursementPageSize || dq.Offset < 0 || dq.End.Before(dq.Start) {
			return disbursementQuery{}, errInvalidValue("nextToken", truncate(tok, 64))
		}
		return dq, nil
	}
	var dq disbursementQuery
	var has bool
	if dq.Start, has, err = queryTime(q, "startTime"); err != nil {
		return dq, err
	} else if !has {
		return dq, errMissing("startTime")
	}
	if dq.End, has, err = queryTime(q, "endTime"); err != nil {
		return dq, err
	} else if !has {
		return dq, errMissing("endTime")
	}
	switch {
	case dq.End.Before(dq.Start):
		return dq, errorf(http.StatusBadRequest, codeInvalidParameterCombination, "endTime must not be before startTime.")
	case dq.End.Sub(dq.Start) > maxDisbursementWindow:
		return dq, errorf(http.StatusBadRequest, codeInvalidParameterCombination, "The period from startTime to endTime may span at most 366 days.")
	}
	if dq.PageSize, err = queryPageSize(q, defaultDisbursementPageSize, maxDisbursementPageSize); err != nil {
		return dq, err
	}
	return dq, nil
}

// pageDisbursements selects the payouts in [Start, End] and the page asked
// for; the second result is the next page's token ("" when none).
func pageDisbursements(all []Disbursement, dq disbursementQuery) ([]Disbursement, string) {
	var match []Disbursement
	for _, d := range all {
		if !d.TransactionTime.Before(dq.Start) && !d.TransactionTime.After(dq.End) {
			match = append(match, d)
		}
	}
	if dq.Offset >= len(match) {
		return []Disbursement{}, ""
	}
	end := min(dq.Offset+dq.PageSize, len(match))
	if end == len(match) {
		return match[dq.Offset:end], ""
	}
	next := dq
	next.Offset = end
	return match[dq.Offset:end], encodePageToken(next)
}

// disbursementWire is one disbursement on the wire. transactionTime uses the
// extended form with milliseconds, as the documentation's sample does.
type disbursementWire struct {
	SellerID                      string `json:"sellerId"`
	SettlementID                  string `json:"settlementId"`
	AmazonDisbursementReferenceID string `json:"amazonDisbursementReferenceId"`
	Amount                        string `json:"amount"`
	CurrencyCode                  string `json:"currencyCode"`
	TransactionTime               string `json:"transactionTime"`
}

// disbursementsWire is the Get Disbursements answer.
type disbursementsWire struct {
	Disbursements []disbursementWire `json:"disbursements"`
	NextToken     *string            `json:"nextToken"`
}

func (d Disbursement) wire(sellerID string) disbursementWire {
	return disbursementWire{
		SellerID:                      sellerID,
		SettlementID:                  d.SettlementID,
		AmazonDisbursementReferenceID: d.ReferenceID,
		Amount:                        priceOf(d.Amount, d.Currency).Amount,
		CurrencyCode:                  d.Currency,
		TransactionTime:               d.TransactionTime.UTC().Format("2006-01-02T15:04:05.000Z"),
	}
}

// Ledger entry kinds: what the emulator's transactions look like to
// reports and disbursements.
const (
	ledgerOneTimePermission   = "OrderReference"
	ledgerRecurringPermission = "BillingAgreement"
	ledgerAuthorization       = "Authorization"
	ledgerCapture             = "Capture"
	ledgerRefund              = "Refund"
)

// ledgerEntry is one transaction of a merchant, flattened from the charge
// permissions, charges and refunds.
type ledgerEntry struct {
	At                 time.Time
	Kind               string
	ID                 string
	ChargePermissionID string
	Amount             int64
	Currency           string
	State              string
}

// settlementEvents are the entries that move money: captures in, completed
// refunds out.
func settlementEvents(entries []ledgerEntry) []settlementEvent {
	var out []settlementEvent
	for _, e := range entries {
		switch {
		case e.Kind == ledgerCapture:
			out = append(out, settlementEvent{At: e.At, Currency: e.Currency, Amount: e.Amount})
		case e.Kind == ledgerRefund && e.State == rfRefunded:
			out = append(out, settlementEvent{At: e.At, Currency: e.Currency, Amount: -e.Amount})
		}
	}
	return out
}

// ledger lists the owner's transactions from the primary resources: charge
// permissions at creation, authorizations, captures (at the moment the
// charge became Captured — a captured charge keeps that state, so its
// status time is the capture time) and refunds (at their last change).
func (s *Server) ledger(o Owner) []ledgerEntry {
	var out []ledgerEntry
	for _, cp := range s.st.ChargePermissions {
		if cp.Owner != o {
			continue
		}
		kind := ledgerOneTimePermission
		if cp.Type == "Recurring" {
			kind = ledgerRecurringPermission
		}
		out = append(out, ledgerEntry{At: cp.Created, Kind: kind, ID: cp.ID, ChargePermissionID: cp.ID, Amount: cp.Limit, Currency: cp.Currency, State: cp.Status.State})
	}
	for _, ch := range s.st.Charges {
		if ch.Owner != o {
			continue
		}
		if !ch.AuthorizedAt.IsZero() {
			out = append(out, ledgerEntry{At: ch.AuthorizedAt, Kind: ledgerAuthorization, ID: ch.ID, ChargePermissionID: ch.ChargePermissionID,
				Amount: ch.Amount.Minor, Currency: ch.Amount.Currency, State: ch.Status.State})
		}
		if ch.Status.State == chCaptured {
			out = append(out, ledgerEntry{At: ch.Status.Updated, Kind: ledgerCapture, ID: ch.ID, ChargePermissionID: ch.ChargePermissionID,
				Amount: ch.Captured, Currency: ch.Amount.Currency, State: ch.Status.State})
		}
	}
	for _, rf := range s.st.Refunds {
		if rf.Owner != o {
			continue
		}
		var cpID string
		if ch := s.st.Charges[rf.ChargeID]; ch != nil {
			cpID = ch.ChargePermissionID
		}
		at := rf.Status.Updated
		if at.IsZero() {
			at = rf.Created
		}
		out = append(out, ledgerEntry{At: at, Kind: ledgerRefund, ID: rf.ID, ChargePermissionID: cpID,
			Amount: rf.Amount.Minor, Currency: rf.Amount.Currency, State: rf.Status.State})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// getDisbursements is Get Disbursements (GET /v2/disbursements).
func (s *Server) getDisbursements(r *request) response {
	dq, err := parseDisbursementQuery(r.Query)
	if err != nil {
		return fail(err)
	}
	all := settle(r.Owner.MerchantID, settlementEvents(s.ledger(r.Owner)), r.Now)
	page, next := pageDisbursements(all, dq)
	out := disbursementsWire{Disbursements: make([]disbursementWire, 0, len(page)), NextToken: strp(next)}
	for _, d := range page {
		out.Disbursements = append(out.Disbursements, d.wire(r.Owner.MerchantID))
	}
	return ok(http.StatusOK, out)
}
