package money_test

import (
	"strings"
	"testing"

	"github.com/apaykit/apaykit/internal/money"
)

// FuzzParse checks that Parse never panics and that every accepted amount
// survives a Format/Parse round trip unchanged, with Format writing out
// exactly the currency's number of decimals.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"14.50", "0", "0.01", "1400", "1.", ".5", "01", "-1", "1e3", "99999999999999999999", "1,000.00"} {
		f.Add(s, "USD")
		f.Add(s, "JPY")
	}
	f.Fuzz(func(t *testing.T, s, cur string) {
		minor, err := money.Parse(s, cur)
		if err != nil {
			return
		}
		if minor < 0 {
			t.Fatalf("Parse(%q, %q) = %d, negative", s, cur, minor)
		}
		out, err := money.Format(minor, cur)
		if err != nil {
			t.Fatalf("Format(%d, %q): %v", minor, cur, err)
		}
		exp, _ := money.Exponent(cur)
		if _, frac, _ := strings.Cut(out, "."); len(frac) != exp {
			t.Fatalf("Format(%d, %q) = %q: want %d decimals", minor, cur, out, exp)
		}
		back, err := money.Parse(out, cur)
		if err != nil || back != minor {
			t.Fatalf("round trip %q -> %d -> %q -> %d, %v", s, minor, out, back, err)
		}
	})
}
