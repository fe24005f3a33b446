package phone

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks Parse's invariants on arbitrary input: it never panics,
// fails only with the package's errors, and a Number it returns is stable:
// E164 is "+" and digits, re-parsing E164 gives the same Number, and the
// Identity field agrees with the Identity function.
func FuzzParse(f *testing.F) {
	seeds := []struct {
		raw string
		us  bool
	}{
		{"(11) 99999-1234", false},
		{"11 9 9999 1234", false},
		{"11999991234", false},
		{"+55 11 99999-1234", false},
		{"+55 (11) 9 9999-1234", false},
		{"5511999991234", false},
		{"551187654321", false},
		{"005511999991234", false},
		{"0 11 99999-1234", false},
		{"011 99999-1234", false},
		{"(21) 3333-4444", false},
		{"+55 21 3333-4444", false},
		{"0 21 11 99999-1234", false},
		{"0xx11 8765-4321", false},
		{"11 8765-4321", false},
		{"+55 11 7765-4321", false},
		{"(55) 8765-4321", false},
		{"+1 (415) 555-2671", false},
		{"+351 912 345 678", false},
		{"+44 20 7946 0958", false},
		{"+54 9 11 2345-6789", false},
		{"+39 06 1234 5678", false},
		{"+800 1234 5678", false},
		{"0021 1 415 555 2671", false},
		{"(415) 555-2671", true},
		{"011 44 20 7946 0958", true},
		{"1-800-FLOWERS", true},
		{"１１９９９９９１２３４", false},
		{"", false},
		{"(  )     -    ", false},
		{"+", false},
		{"\xff", false},
		{strings.Repeat("9", 65), false},
	}
	for _, s := range seeds {
		f.Add(s.raw, s.us)
	}
	f.Fuzz(func(t *testing.T, raw string, us bool) {
		region := "BR"
		if us {
			region = "US"
		}
		n, err := Parse(raw, region)
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("Parse(%q, %q): unexpected error %v", raw, region, err)
			}
			if n != (Number{}) {
				t.Fatalf("Parse(%q, %q) = %+v with error %v, want zero Number", raw, region, n, err)
			}
			return
		}
		if len(n.E164) < 2 || n.E164[0] != '+' || Digits(n.E164) != n.E164[1:] || len(n.E164) > 16 {
			t.Fatalf("Parse(%q, %q).E164 = %q, want '+' and at most 15 digits", raw, region, n.E164)
		}
		if n.Region != "" && len(n.Region) != 2 {
			t.Fatalf("Parse(%q, %q).Region = %q, want 2 letters or empty", raw, region, n.Region)
		}
		if got := Identity(n.E164); got != n.Identity {
			t.Fatalf("Identity(%q) = %q, want %q (Parse(%q, %q).Identity)", n.E164, got, n.Identity, raw, region)
		}
		if n.Identity != n.E164 {
			t.Fatalf("Parse(%q, %q) = %+v: Identity != E164", raw, region, n)
		}
		for _, r := range []string{"BR", "US"} {
			again, err := Parse(n.E164, r)
			if err != nil || again != n {
				t.Fatalf("Parse(%q, %q) = %+v, %v; want %+v (from Parse(%q, %q))", n.E164, r, again, err, n, raw, region)
			}
		}
	})
}
