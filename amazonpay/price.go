package amazonpay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Price is an amount of money as Amazon Pay puts it on the wire: a decimal
// string and an ISO 4217 currency code. The amount stays a string so that no
// value ever passes through a float; use [Price.MinorUnits] to do arithmetic
// in integer minor units (cents, pence, yen) and [NewPrice] to go back.
type Price struct {
	// Amount is a plain decimal such as "14.00" or, for JPY, "1400".
	Amount string `json:"amount"`
	// CurrencyCode is the ISO 4217 code, for example "USD".
	CurrencyCode string `json:"currencyCode"`
}

// currencyExponents lists the currencies Amazon Pay documents (ledger
// currencies USD, EUR, GBP, JPY and the EU/UK presentment currencies) with
// their ISO 4217 number of decimal places. A currency outside this list is
// refused rather than guessed, because a wrong exponent moves money by a
// factor of 100.
var currencyExponents = map[string]int{
	"AUD": 2, "CHF": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2,
	"JPY": 0, "NOK": 2, "NZD": 2, "SEK": 2, "USD": 2, "ZAR": 2,
}

// maxAmountDigits bounds the digits of an amount in minor units (int64 has
// 19), so parsing stays cheap; strconv catches the values beyond MaxInt64.
const maxAmountDigits = 19

// CurrencyExponent returns the number of decimal places of a currency (2 for
// USD, EUR, GBP and the other documented currencies, 0 for JPY). Codes are
// matched exactly, upper case. An unknown currency is an *InputError.
func CurrencyExponent(currency string) (int, error) {
	exp, ok := currencyExponents[currency]
	if !ok {
		return 0, &InputError{Field: "currencyCode", Reason: fmt.Sprintf("unsupported currency %q", currency)}
	}
	return exp, nil
}

// ParseAmount converts a decimal amount in the given currency to integer
// minor units: ParseAmount("14.5", "USD") is 1450, ParseAmount("1400",
// "JPY") is 1400. The grammar is strict so that a typo cannot turn into a
// different charge: digits, optionally a dot and at most the currency's
// number of decimals; no sign, no exponent, no spaces, no leading zeros
// (except a single "0"), no thousands separators.
func ParseAmount(amount, currency string) (int64, error) {
	exp, err := CurrencyExponent(currency)
	if err != nil {
		return 0, err
	}
	bad := func(reason string) (int64, error) {
		return 0, &InputError{Field: "amount", Reason: fmt.Sprintf("%q %s", truncate(amount, 40), reason)}
	}
	if amount == "" {
		return bad("is empty")
	}
	whole, frac, hasDot := strings.Cut(amount, ".")
	if !allDigits(whole) || whole == "" {
		return bad("is not a plain decimal number")
	}
	if len(whole) > 1 && whole[0] == '0' {
		return bad("has a leading zero")
	}
	if hasDot {
		if frac == "" || !allDigits(frac) {
			return bad("is not a plain decimal number")
		}
		if len(frac) > exp {
			return bad(fmt.Sprintf("has more than %d decimal places for %s", exp, currency))
		}
	}
	if len(whole)+exp > maxAmountDigits {
		return bad("is too large")
	}
	digits := whole + frac + strings.Repeat("0", exp-len(frac))
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return bad("is too large")
	}
	return n, nil
}

// FormatAmount renders minor units as the decimal string Amazon Pay expects,
// with exactly the currency's number of decimals: FormatAmount(1450, "USD")
// is "14.50", FormatAmount(1400, "JPY") is "1400".
func FormatAmount(minor int64, currency string) (string, error) {
	exp, err := CurrencyExponent(currency)
	if err != nil {
		return "", err
	}
	if minor < 0 {
		return "", &InputError{Field: "amount", Reason: "must not be negative"}
	}
	s := strconv.FormatInt(minor, 10)
	if exp == 0 {
		return s, nil
	}
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	return s[:len(s)-exp] + "." + s[len(s)-exp:], nil
}

// NewPrice builds a Price from integer minor units, for example
// NewPrice(1450, "USD") gives {"14.50", "USD"}.
func NewPrice(minor int64, currency string) (Price, error) {
	s, err := FormatAmount(minor, currency)
	if err != nil {
		return Price{}, err
	}
	return Price{Amount: s, CurrencyCode: currency}, nil
}

// ParsePrice validates a decimal amount and returns it in canonical form
// (all decimals written out): ParsePrice("14.5", "USD") gives {"14.50",
// "USD"}. Use it on amounts typed by people before sending them.
func ParsePrice(amount, currency string) (Price, error) {
	minor, err := ParseAmount(amount, currency)
	if err != nil {
		return Price{}, err
	}
	return NewPrice(minor, currency)
}

// MinorUnits returns the amount in integer minor units of its currency.
func (p Price) MinorUnits() (int64, error) { return ParseAmount(p.Amount, p.CurrencyCode) }

// IsZero reports whether p is unset. Request fields of type Price use the
// omitzero option, so an unset Price is left out of the request body instead
// of being sent as an empty object the API would reject.
func (p Price) IsZero() bool { return p.Amount == "" && p.CurrencyCode == "" }

// String renders p as "14.50 USD" for logs and messages.
func (p Price) String() string { return strings.TrimSpace(p.Amount + " " + p.CurrencyCode) }

// validate checks p for a request: both parts present, the currency known
// and the amount well formed. field names the request field in errors.
func (p Price) validate(field string) error {
	if _, err := p.MinorUnits(); err != nil {
		var ie *InputError
		if asInputError(err, &ie) {
			return &InputError{Field: field + "." + ie.Field, Reason: ie.Reason}
		}
		return err
	}
	return nil
}

// UnmarshalJSON accepts the amount as a JSON string (what Amazon Pay sends)
// or as a JSON number (what some integrations send), keeping the number's
// literal text so no float conversion happens. null leaves p unchanged.
func (p *Price) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var aux struct {
		Amount       json.RawMessage `json:"amount"`
		CurrencyCode *string         `json:"currencyCode"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	amount, err := decodeAmount(aux.Amount)
	if err != nil {
		return err
	}
	p.Amount = amount
	p.CurrencyCode = ""
	if aux.CurrencyCode != nil {
		p.CurrencyCode = *aux.CurrencyCode
	}
	return nil
}

func decodeAmount(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return "", nil
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	default:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", fmt.Errorf("amazonpay: price amount is neither a string nor a number")
		}
		return n.String(), nil
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Decimal is a decimal number kept as its text, for values Amazon Pay sends
// sometimes as a JSON string and sometimes as a number (conversionRate).
// It is never converted to a float.
type Decimal string

// UnmarshalJSON accepts a string, a number or null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s, err := decodeAmount(b)
	if err != nil {
		return err
	}
	*d = Decimal(s)
	return nil
}

// LooseAmount is an amount that arrives in two shapes: a decimal string
// (the documentation's convertedAmount) or a Price object (the .NET SDK's
// model of the same field). Either decodes; CurrencyCode is empty for the
// string form.
type LooseAmount struct {
	Price
}

// UnmarshalJSON accepts a Price object, a decimal string or number, or null.
func (a *LooseAmount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		return a.Price.UnmarshalJSON(b)
	}
	s, err := decodeAmount(b)
	if err != nil {
		return err
	}
	a.Price = Price{Amount: s}
	return nil
}

// MarshalJSON writes the form it was read in: a string without a
// currency, a Price with one.
func (a LooseAmount) MarshalJSON() ([]byte, error) {
	if a.CurrencyCode == "" {
		return json.Marshal(a.Amount)
	}
	return json.Marshal(a.Price)
}
