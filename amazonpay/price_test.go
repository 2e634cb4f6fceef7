package amazonpay

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		amount, currency string
		want             int64
		field            string // "" = ok
	}{
		{"14.00", "USD", 1400, ""},
		{"14.5", "USD", 1450, ""},
		{"14", "USD", 1400, ""},
		{"0", "EUR", 0, ""},
		{"0.01", "GBP", 1, ""},
		{"1400", "JPY", 1400, ""},
		{"100000", "JPY", 100000, ""},
		{"9999999999999999.99", "USD", 999999999999999999, ""},
		{"705.00", "JPY", 0, "amount"},
		{"705.", "USD", 0, "amount"},
		{".5", "USD", 0, "amount"},
		{"14.001", "USD", 0, "amount"},
		{"-1.00", "USD", 0, "amount"},
		{"+1.00", "USD", 0, "amount"},
		{"1e3", "USD", 0, "amount"},
		{"1E3", "JPY", 0, "amount"},
		{" 1.00", "USD", 0, "amount"},
		{"1.00 ", "USD", 0, "amount"},
		{"1,000.00", "USD", 0, "amount"},
		{"01.00", "USD", 0, "amount"},
		{"00", "JPY", 0, "amount"},
		{"", "USD", 0, "amount"},
		{"NaN", "USD", 0, "amount"},
		{"١٢", "USD", 0, "amount"},
		{"99999999999999999.00", "USD", 0, "amount"},
		{"9999999999999999999", "JPY", 0, "amount"},
		{"1.00", "usd", 0, "currencyCode"},
		{"1.00", "XYZ", 0, "currencyCode"},
		{"1.00", "", 0, "currencyCode"},
	} {
		got, err := ParseAmount(tc.amount, tc.currency)
		if tc.field == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseAmount(%q, %s) = %d, %v; want %d", tc.amount, tc.currency, got, err, tc.want)
			}
			continue
		}
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want InputError on %s", tc.amount, tc.currency, got, err, tc.field)
		}
	}
}

func TestFormatAmountAndNewPrice(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{0, "USD", "0.00"}, {1, "USD", "0.01"}, {10, "EUR", "0.10"}, {1450, "GBP", "14.50"},
		{1400, "JPY", "1400"}, {0, "JPY", "0"}, {math.MaxInt64, "USD", "92233720368547758.07"},
	} {
		p, err := NewPrice(tc.minor, tc.currency)
		if err != nil || p.Amount != tc.want || p.CurrencyCode != tc.currency {
			t.Errorf("NewPrice(%d, %s) = %+v, %v; want %s", tc.minor, tc.currency, p, err, tc.want)
		}
	}
	if _, err := NewPrice(-1, "USD"); err == nil {
		t.Error("negative accepted")
	}
	if _, err := NewPrice(1, "BTC"); err == nil {
		t.Error("unknown currency accepted")
	}
	p, err := ParsePrice("14.5", "USD")
	if err != nil || p != (Price{"14.50", "USD"}) {
		t.Errorf("ParsePrice = %+v, %v", p, err)
	}
	if n, err := p.MinorUnits(); err != nil || n != 1450 {
		t.Errorf("MinorUnits = %d, %v", n, err)
	}
	if p.String() != "14.50 USD" || !(Price{}).IsZero() || p.IsZero() {
		t.Error("String/IsZero")
	}
	for cur, want := range map[string]int{"JPY": 0, "USD": 2, "EUR": 2, "GBP": 2, "AUD": 2, "CHF": 2, "DKK": 2, "HKD": 2, "NOK": 2, "NZD": 2, "SEK": 2, "ZAR": 2} {
		if got, err := CurrencyExponent(cur); err != nil || got != want {
			t.Errorf("CurrencyExponent(%s) = %d, %v", cur, got, err)
		}
	}
}

func TestPriceJSON(t *testing.T) {
	for in, want := range map[string]Price{
		`{"amount":"14.00","currencyCode":"USD"}`:   {"14.00", "USD"},
		`{"amount":14,"currencyCode":"USD"}`:        {"14", "USD"},
		`{"amount":14.5,"currencyCode":"USD"}`:      {"14.5", "USD"},
		`{"amount":null,"currencyCode":null}`:       {},
		`{"currencyCode":"JPY"}`:                    {"", "JPY"},
		`{"amount":"1","currencyCode":"JPY","x":1}`: {"1", "JPY"},
	} {
		var p Price
		if err := json.Unmarshal([]byte(in), &p); err != nil || p != want {
			t.Errorf("%s → %+v, %v; want %+v", in, p, err, want)
		}
	}
	for _, bad := range []string{`{"amount":true}`, `{"amount":{}}`, `[]`} {
		var p Price
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	p := Price{"1.00", "USD"}
	if err := json.Unmarshal([]byte(`null`), &p); err != nil || p.Amount != "1.00" {
		t.Errorf("null changed the price: %+v %v", p, err)
	}
	// Request fields of type Price are omitted when unset.
	b, _ := json.Marshal(CompleteCheckoutSessionRequest{ChargeAmount: Price{"1.00", "USD"}})
	if string(b) != `{"chargeAmount":{"amount":"1.00","currencyCode":"USD"}}` {
		t.Errorf("marshal: %s", b)
	}
}

var fuzzCurrencies = []string{"USD", "JPY", "EUR", "GBP", "XXX"}

// FuzzParseAmount: every accepted amount survives minor units → string →
// minor units, and every non-negative minor amount survives string → minor
// units unchanged.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"14.00", "14.5", "0", "0.01", "1400", "705.00", "1e3", "-1", "01", "92233720368547758.07"} {
		f.Add(s, uint8(0), int64(1450))
	}
	f.Add("100", uint8(1), int64(0))
	f.Add("", uint8(4), int64(-5))
	f.Fuzz(func(t *testing.T, amount string, cur uint8, minor int64) {
		currency := fuzzCurrencies[int(cur)%len(fuzzCurrencies)]
		if n, err := ParseAmount(amount, currency); err == nil {
			if n < 0 {
				t.Fatalf("%q parsed to negative %d", amount, n)
			}
			s, err := FormatAmount(n, currency)
			if err != nil {
				t.Fatalf("FormatAmount(%d): %v", n, err)
			}
			back, err := ParseAmount(s, currency)
			if err != nil || back != n {
				t.Fatalf("%q → %d → %q → %d, %v", amount, n, s, back, err)
			}
			if _, ferr := strconv.ParseFloat(amount, 64); ferr != nil {
				t.Fatalf("accepted %q, which is not even a number", amount)
			}
		}
		if minor >= 0 {
			s, err := FormatAmount(minor, currency)
			if currency == "XXX" {
				if err == nil {
					t.Fatal("unknown currency formatted")
				}
				return
			}
			if err != nil {
				t.Fatalf("FormatAmount(%d, %s): %v", minor, currency, err)
			}
			back, err := ParseAmount(s, currency)
			if err != nil || back != minor {
				t.Fatalf("%d → %q → %d, %v", minor, s, back, err)
			}
		}
	})
}
