package emulator

import (
	"net/http"
	"strconv"
	"strings"
)

// Money inside the emulator is int64 minor units plus an ISO 4217 code; on
// the wire it is Amazon's Price {"amount": "14.00", "currencyCode": "USD"}.

// currency describes one supported currency.
type currency struct {
	exp int   // decimal places: 0 for JPY, 2 otherwise
	max int64 // largest single charge, in minor units
}

// currencies are the ledger and presentment currencies Amazon Pay accepts
// (api-objects.md §7). Maximum charge: USD/GBP/EUR 150,000 and JPY
// 10,000,000 are documented; the others are set to the same order of
// magnitude (inferred).
var currencies = map[string]currency{
	"USD": {2, 150_000_00},
	"EUR": {2, 150_000_00},
	"GBP": {2, 150_000_00},
	"JPY": {0, 10_000_000},
	"AUD": {2, 150_000_00},
	"CHF": {2, 150_000_00},
	"NZD": {2, 150_000_00},
	"DKK": {2, 1_500_000_00},
	"HKD": {2, 1_500_000_00},
	"NOK": {2, 1_500_000_00},
	"SEK": {2, 1_500_000_00},
	"ZAR": {2, 1_500_000_00},
}

// money is an amount in minor units of a currency.
type money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// priceIn is a Price in a request body. amount may be a JSON string or number.
type priceIn struct {
	Amount       *decimalText `json:"amount"`
	CurrencyCode *string      `json:"currencyCode"`
}

// parse validates the price: both fields present, a known currency, a
// non-negative decimal with the currency's number of places (JPY whole
// numbers), at most the currency's maximum. field names the price in error
// messages ("chargeAmount"), which read like Amazon's:
// "The value '705.00' provided for 'chargeAmount.Amount' is invalid."
func (p *priceIn) parse(field string) (money, *apiError) {
	if p == nil {
		return money{}, errMissing(field)
	}
	if p.CurrencyCode == nil || *p.CurrencyCode == "" {
		return money{}, errMissing(field + ".currencyCode")
	}
	if p.Amount == nil || *p.Amount == "" {
		return money{}, errMissing(field + ".amount")
	}
	code := *p.CurrencyCode
	cur, known := currencies[code]
	if !known {
		return money{}, errorf(http.StatusBadRequest, codeInvalidParameterValue, "The value '%s' provided for '%s.CurrencyCode' is invalid.", truncate(code, 16), field)
	}
	minor, ok := parseMinor(string(*p.Amount), cur.exp)
	if !ok {
		return money{}, errorf(http.StatusBadRequest, codeInvalidParameterValue, "The value '%s' provided for '%s.Amount' is invalid.", truncate(string(*p.Amount), 32), field)
	}
	if minor > cur.max {
		return money{}, errorf(http.StatusBadRequest, codeTransactionAmountExceeded, "The value '%s' provided for '%s.Amount' exceeds the maximum of %s %s.", truncate(string(*p.Amount), 32), field, formatMinor(cur.max, cur.exp), code)
	}
	return money{Minor: minor, Currency: code}, nil
}

// parseMinor parses a non-negative decimal with at most exp places (none
// at all for exp 0: "705.00" is not a JPY amount) into minor units.
func parseMinor(s string, exp int) (int64, bool) {
	if s == "" || len(s) > 24 {
		return 0, false
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) {
		return 0, false
	}
	if hasDot && (exp == 0 || frac == "" || len(frac) > exp || !allDigits(frac)) {
		return 0, false
	}
	for len(frac) < exp {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatMinor renders minor units with exp decimal places.
func formatMinor(minor int64, exp int) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := strconv.FormatInt(minor, 10)
	if exp > 0 {
		for len(s) <= exp {
			s = "0" + s
		}
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// priceWire is a Price in a response.
type priceWire struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

// priceOf renders minor units of a currency as Amazon does ("14.00",
// "100000").
func priceOf(minor int64, currencyCode string) priceWire {
	return priceWire{Amount: formatMinor(minor, currencies[currencyCode].exp), CurrencyCode: currencyCode}
}

// pricePtr is priceOf for an optional price: nil (null) when m is unset.
func pricePtr(m *money) *priceWire {
	if m == nil {
		return nil
	}
	p := priceOf(m.Minor, m.Currency)
	return &p
}

// wire renders m.
func (m money) wire() priceWire { return priceOf(m.Minor, m.Currency) }
