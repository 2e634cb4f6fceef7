// Package money converts between the decimal strings money travels in
// (Amazon Pay's wire format, form fields, REST bodies) and the int64 minor
// units the shop computes and stores with (cents, pence, yen).
//
// No value ever passes through a float: a float cannot represent 0.10
// exactly, and a payment system that rounds is a payment system that loses or
// invents money. Parsing is strict for the same reason: a typo such as
// "1,000" or "10.005" is refused instead of being read as something else.
//
// The currency table lists the currencies Amazon Pay documents (ledger
// currencies USD, EUR, GBP, JPY and the EU/UK presentment currencies) with
// their ISO 4217 exponent. A currency outside the table is refused rather
// than guessed, because a wrong exponent moves money by a factor of 100.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// exponents maps ISO 4217 codes to their number of decimal places.
var exponents = map[string]int{
	"AUD": 2, "CHF": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2,
	"JPY": 0, "NOK": 2, "NZD": 2, "SEK": 2, "USD": 2, "ZAR": 2,
}

// maxDigits bounds the number of digits of an amount (whole part plus the
// currency's decimals). 18 digits always fit an int64, so parsing can never
// overflow, and no real charge comes near it (Amazon Pay's largest is
// JPY 10,000,000).
const maxDigits = 18

// ErrUnknownCurrency is returned (wrapped) for a currency code that is not in
// the table. Codes are matched exactly: "usd" is unknown.
var ErrUnknownCurrency = errors.New("money: unknown currency")

// ErrSyntax is returned (wrapped) for an amount string that is not a plain
// non-negative decimal with at most the currency's number of decimals.
var ErrSyntax = errors.New("money: invalid amount")

// ErrOverflow is returned (wrapped) when an amount or a sum does not fit.
var ErrOverflow = errors.New("money: amount out of range")

// Exponent returns the number of decimal places of currency: 2 for USD, EUR,
// GBP and the other documented currencies, 0 for JPY.
func Exponent(currency string) (int, error) {
	exp, ok := exponents[currency]
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownCurrency, truncate(currency, 8))
	}
	return exp, nil
}

// Known reports whether currency is in the table.
func Known(currency string) bool {
	_, ok := exponents[currency]
	return ok
}

// Currencies returns the known currency codes in alphabetical order.
func Currencies() []string {
	return []string{"AUD", "CHF", "DKK", "EUR", "GBP", "HKD", "JPY", "NOK", "NZD", "SEK", "USD", "ZAR"}
}

// Parse converts a decimal amount to minor units of currency:
// Parse("14.5", "USD") is 1450, Parse("1400", "JPY") is 1400.
//
// The grammar is: one or more digits, no leading zero unless the whole part
// is exactly "0", optionally a dot followed by one to exponent digits. No
// sign, exponent, spaces, thousands separators or trailing dot. "0" is
// accepted (a zero amount); callers that need a positive amount check it.
func Parse(s, currency string) (int64, error) {
	exp, err := Exponent(currency)
	if err != nil {
		return 0, err
	}
	bad := func(why string) (int64, error) {
		return 0, fmt.Errorf("%w %q for %s: %s", ErrSyntax, truncate(s, 32), currency, why)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	switch {
	case whole == "" || !digits(whole):
		return bad("not a plain decimal number")
	case len(whole) > 1 && whole[0] == '0':
		return bad("leading zero")
	case hasDot && (frac == "" || !digits(frac)):
		return bad("not a plain decimal number")
	case len(frac) > exp:
		return bad(fmt.Sprintf("more than %d decimal places", exp))
	case len(whole)+exp > maxDigits:
		return 0, fmt.Errorf("%w: %q has too many digits", ErrOverflow, truncate(s, 32))
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", exp-len(frac)), 10, 64)
	if err != nil { // unreachable: length is bounded above
		return 0, fmt.Errorf("%w: %q", ErrOverflow, truncate(s, 32))
	}
	return n, nil
}

// Format renders minor units with exactly the currency's number of decimals:
// Format(1450, "USD") is "14.50", Format(5, "EUR") is "0.05",
// Format(1400, "JPY") is "1400". Negative amounts get a leading "-" (they
// appear in reports of refunds, never on the wire to Amazon Pay).
func Format(minor int64, currency string) (string, error) {
	exp, err := Exponent(currency)
	if err != nil {
		return "", err
	}
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-(minor+1))+1 // no overflow for math.MinInt64
	}
	s := strconv.FormatUint(u, 10)
	if exp == 0 {
		return sign + s, nil
	}
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	return sign + s[:len(s)-exp] + "." + s[len(s)-exp:], nil
}

// MustFormat is Format for currencies known to be valid (for example read
// back from the database, where every row was validated on the way in). It
// panics on an unknown currency, which would be a programming error.
func MustFormat(minor int64, currency string) string {
	s, err := Format(minor, currency)
	if err != nil {
		panic(err)
	}
	return s
}

// Add returns a+b, or ErrOverflow instead of wrapping around.
func Add(a, b int64) (int64, error) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, ErrOverflow
	}
	return a + b, nil
}

// Mul returns a*n, or ErrOverflow instead of wrapping around (a line total
// is unit price × quantity).
func Mul(a, n int64) (int64, error) {
	if a == 0 || n == 0 {
		return 0, nil
	}
	p := a * n
	if p/n != a || (a == -1 && n == math.MinInt64) || (n == -1 && a == math.MinInt64) {
		return 0, ErrOverflow
	}
	return p, nil
}

// Percent returns pct percent of minor, rounded down to a whole minor unit
// (15 percent of 1001 cents is 150 cents). Rounding down is the safe
// direction for limits such as Amazon Pay's over-refund margin. minor and pct
// must be non-negative; Percent panics otherwise, as that is a programming
// error.
func Percent(minor, pct int64) int64 {
	if minor < 0 || pct < 0 {
		panic("money: Percent of a negative value")
	}
	// minor/100*pct + (minor%100)*pct/100 avoids overflowing minor*pct.
	return minor/100*pct + (minor%100)*pct/100
}

// Units returns whole units of currency in minor units: Units(75, "USD") is
// 7500, Units(8400, "JPY") is 8400. It is for constants such as limits.
func Units(n int64, currency string) (int64, error) {
	exp, err := Exponent(currency)
	if err != nil {
		return 0, err
	}
	m := n
	for range exp {
		if m, err = Mul(m, 10); err != nil {
			return 0, err
		}
	}
	return m, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// truncate keeps error messages short when given hostile input.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
