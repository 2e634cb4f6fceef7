package money_test

import (
	"errors"
	"math"
	"testing"

	"github.com/apaykit/apaykit/internal/money"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, cur string
		want    int64
		err     error
	}{
		{"14.50", "USD", 1450, nil},
		{"14.5", "USD", 1450, nil},
		{"14", "USD", 1400, nil},
		{"0", "USD", 0, nil},
		{"0.01", "EUR", 1, nil},
		{"1400", "JPY", 1400, nil},
		{"10000000", "JPY", 10000000, nil},
		{"9999999999999999.99", "USD", 999999999999999999, nil},
		{"", "USD", 0, money.ErrSyntax},
		{"-1.00", "USD", 0, money.ErrSyntax},
		{"+1.00", "USD", 0, money.ErrSyntax},
		{"1.", "USD", 0, money.ErrSyntax},
		{".5", "USD", 0, money.ErrSyntax},
		{"01.00", "USD", 0, money.ErrSyntax},
		{"1,000.00", "USD", 0, money.ErrSyntax},
		{"1 000", "JPY", 0, money.ErrSyntax},
		{"10.005", "USD", 0, money.ErrSyntax},
		{"705.00", "JPY", 0, money.ErrSyntax},
		{"1e3", "USD", 0, money.ErrSyntax},
		{"NaN", "USD", 0, money.ErrSyntax},
		{"１", "JPY", 0, money.ErrSyntax},
		{"10000000000000000.00", "USD", 0, money.ErrOverflow},
		{"1.00", "usd", 0, money.ErrUnknownCurrency},
		{"1.00", "XYZ", 0, money.ErrUnknownCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.in+"_"+tt.cur, func(t *testing.T) {
			t.Parallel()
			got, err := money.Parse(tt.in, tt.cur)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse(%q, %q) error = %v, want %v", tt.in, tt.cur, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q, %q) = %d, want %d", tt.in, tt.cur, got, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor int64
		cur   string
		want  string
	}{
		{1450, "USD", "14.50"},
		{5, "EUR", "0.05"},
		{0, "GBP", "0.00"},
		{100, "GBP", "1.00"},
		{1400, "JPY", "1400"},
		{0, "JPY", "0"},
		{-250, "USD", "-2.50"},
		{math.MinInt64, "JPY", "-9223372036854775808"},
		{math.MaxInt64, "USD", "92233720368547758.07"},
	}
	for _, tt := range tests {
		got, err := money.Format(tt.minor, tt.cur)
		if err != nil || got != tt.want {
			t.Errorf("Format(%d, %q) = %q, %v; want %q", tt.minor, tt.cur, got, err, tt.want)
		}
	}
	if _, err := money.Format(1, "BTC"); !errors.Is(err, money.ErrUnknownCurrency) {
		t.Errorf("Format with unknown currency: err = %v", err)
	}
}

func TestArithmetic(t *testing.T) {
	t.Parallel()
	if _, err := money.Add(math.MaxInt64, 1); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("Add overflow not detected: %v", err)
	}
	if _, err := money.Add(math.MinInt64, -1); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("Add underflow not detected: %v", err)
	}
	if got, _ := money.Add(150, -50); got != 100 {
		t.Errorf("Add(150,-50) = %d", got)
	}
	if _, err := money.Mul(math.MaxInt64/2+1, 2); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("Mul overflow not detected: %v", err)
	}
	if got, _ := money.Mul(1999, 99); got != 197901 {
		t.Errorf("Mul(1999,99) = %d", got)
	}
	for _, tt := range []struct{ minor, pct, want int64 }{
		{1001, 15, 150}, {10000, 15, 1500}, {99, 15, 14}, {0, 15, 0}, {math.MaxInt64, 15, 1383505805528216371},
	} {
		if got := money.Percent(tt.minor, tt.pct); got != tt.want {
			t.Errorf("Percent(%d, %d) = %d, want %d", tt.minor, tt.pct, got, tt.want)
		}
	}
	if got, _ := money.Units(75, "USD"); got != 7500 {
		t.Errorf("Units(75, USD) = %d", got)
	}
	if got, _ := money.Units(8400, "JPY"); got != 8400 {
		t.Errorf("Units(8400, JPY) = %d", got)
	}
}

func TestCurrenciesMatchTable(t *testing.T) {
	t.Parallel()
	for _, c := range money.Currencies() {
		if !money.Known(c) {
			t.Errorf("Currencies lists %s but Known(%s) is false", c, c)
		}
	}
}
