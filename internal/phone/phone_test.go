package phone

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// mustParse parses raw with region and fails the test on error.
func mustParse(t *testing.T, raw, region string) Number {
	t.Helper()
	n, err := Parse(raw, region)
	if err != nil {
		t.Fatalf("Parse(%q, %q): unexpected error %v", raw, region, err)
	}
	return n
}

// checkNumber compares got with want field by field.
func checkNumber(t *testing.T, raw, region string, got, want Number) {
	t.Helper()
	if got != want {
		t.Errorf("Parse(%q, %q) = %+v, want %+v", raw, region, got, want)
	}
}

// br is the Number Parse should return for a Brazilian E.164 string
// already in modern form.
func br(e164 string) Number { return Number{E164: e164, Region: "BR", Identity: e164} }

func TestParseBrazil(t *testing.T) {
	tests := []struct {
		raw  string
		want Number
	}{
		// Mobile, as typed.
		{"(11) 99999-1234", br("+5511999991234")},
		{"11 9 9999 1234", br("+5511999991234")},
		{"11999991234", br("+5511999991234")},
		{"11 99999.1234", br("+5511999991234")},
		{"11/99999-1234", br("+5511999991234")},
		{"  (11)99999-1234\n", br("+5511999991234")},
		{"11\u00a099999\u20131234", br("+5511999991234")}, // pasted NBSP and en dash
		// With country code.
		{"+55 11 99999-1234", br("+5511999991234")},
		{"+55 (11) 9 9999-1234", br("+5511999991234")},
		{"+5511999991234", br("+5511999991234")},
		{"(+55) 11 99999-1234", br("+5511999991234")},
		{"+55 0 11 99999-1234", br("+5511999991234")}, // trunk prefix after the country code
		// Country code without "+" (WhatsApp ids): 12 or 13 digits starting with 55.
		{"5511999991234", br("+5511999991234")},
		{"55 11 99999-1234", br("+5511999991234")},
		// International prefix 00.
		{"005511999991234", br("+5511999991234")},
		{"00 55 11 99999-1234", br("+5511999991234")},
		// International prefix 00 + carrier code 21 (Brazilian style).
		{"00 21 55 11 99999-1234", br("+5511999991234")},
		// Trunk prefix 0.
		{"0 11 99999-1234", br("+5511999991234")},
		{"011 99999-1234", br("+5511999991234")},
		{"(011) 99999-1234", br("+5511999991234")},
		// Carrier selection code after the trunk prefix (phonenumbers strips it).
		{"0 21 11 99999-1234", br("+5511999991234")},
		{"0 15 11 99999-1234", br("+5511999991234")},
		{"02111999991234", br("+5511999991234")},
		{"0xx11 99999-1234", br("+5511999991234")},
		{"(0XX11) 3333-4444", br("+551133334444")},
		// Landlines keep 8 digits.
		{"(21) 3333-4444", br("+552133334444")},
		{"+55 21 3333-4444", br("+552133334444")},
		{"(11) 2345-6789", br("+551123456789")},
		{"(51) 5555-1234", br("+555155551234")},
		{"552133334444", br("+552133334444")},
		// Area code 55 (Santa Maria, RS) must not be mistaken for the country code.
		{"(55) 99999-1234", br("+5555999991234")},
		{"(55) 3222-1234", br("+555532221234")},
		{"(55) 8765-4321", br("+5555987654321")},
		// A modern mobile missing its last digit looks exactly like an
		// old-form mobile; the rule cannot tell them apart.
		{"11 99999-123", br("+5511999999123")},
		{"5555999991234", br("+5555999991234")},
		// Other kinds of Brazilian numbers.
		{"0800 123 4567", br("+558001234567")},
	}
	for _, tt := range tests {
		for _, region := range []string{"BR", "", "br"} {
			got := mustParse(t, tt.raw, region)
			checkNumber(t, tt.raw, region, got, tt.want)
		}
	}
}

func TestParseForeign(t *testing.T) {
	tests := []struct {
		raw, region string
		want        Number
	}{
		{"+1 (415) 555-2671", "BR", Number{"+14155552671", "US", "+14155552671"}},
		{"+351 912 345 678", "BR", Number{"+351912345678", "PT", "+351912345678"}},
		{"+44 20 7946 0958", "BR", Number{"+442079460958", "GB", "+442079460958"}},
		{"+54 9 11 2345-6789", "BR", Number{"+5491123456789", "AR", "+5491123456789"}},
		{"+39 06 1234 5678", "BR", Number{"+390612345678", "IT", "+390612345678"}},         // Italian leading zero kept
		{"+49 201 0000000000", "BR", Number{"+492010000000000", "DE", "+492010000000000"}}, // 15 digits, the most E.164 allows
		{"00 351 912 345 678", "BR", Number{"+351912345678", "PT", "+351912345678"}},
		{"0021 1 415 555 2671", "BR", Number{"+14155552671", "US", "+14155552671"}}, // 00 + carrier 21 + country code 1
		{"(415) 555-2671", "US", Number{"+14155552671", "US", "+14155552671"}},
		{"415.555.2671", "us", Number{"+14155552671", "US", "+14155552671"}},
		{"1 415 555 2671", "US", Number{"+14155552671", "US", "+14155552671"}},
		{"011 44 20 7946 0958", "US", Number{"+442079460958", "GB", "+442079460958"}},
		{"+55 11 99999-1234", "US", br("+5511999991234")},
		{"5511999991234", "US", br("+5511999991234")},
		{"5511 8765 4321", "US", br("+5511987654321")},
		{"912 345 678", "PT", Number{"+351912345678", "PT", "+351912345678"}},
		// Non-geographic numbers have no region.
		{"+800 1234 5678", "BR", Number{"+80012345678", "", "+80012345678"}},
	}
	for _, tt := range tests {
		got := mustParse(t, tt.raw, tt.region)
		checkNumber(t, tt.raw, tt.region, got, tt.want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		raw, region string
		want        error
	}{
		{"", "BR", ErrEmpty},
		{"   ", "BR", ErrEmpty},
		{"\t\n", "BR", ErrEmpty},
		{"(  )      -    ", "BR", ErrEmpty}, // untouched input mask
		{strings.Repeat("\u00a0", 64), "BR", ErrEmpty},

		{strings.Repeat("1", 65), "BR", ErrTooLong},
		{strings.Repeat(" ", 65), "BR", ErrTooLong},
		{"+55 11 99999-1234" + strings.Repeat(" ", 48), "BR", ErrTooLong}, // 65 characters
		{strings.Repeat("\u00a0", 65), "BR", ErrTooLong},
		{strings.Repeat("1", 10000), "BR", ErrTooLong},

		// Garbage and letters.
		{"abc", "BR", ErrInvalid},
		{"hello 11 99999-1234", "BR", ErrInvalid},
		{"1-800-FLOWERS", "US", ErrInvalid},
		{"11 9999 ABCD", "BR", ErrInvalid},
		{"11 99999-1234 ext 5", "BR", ErrInvalid},
		{"11 99999-1234 x5", "BR", ErrInvalid},
		{"tel:+5511999991234", "BR", ErrInvalid},
		{"+55 11 99999-1234#", "BR", ErrInvalid},
		{"*11 99999-1234", "BR", ErrInvalid},
		{"\xff11999991234", "BR", ErrInvalid}, // invalid UTF-8
		{"0xxx11 99999-1234", "BR", ErrInvalid},
		{"0xx0xx11 99999-1234", "BR", ErrInvalid},
		{"+0xx11 99999-1234", "BR", ErrInvalid},
		{"0xx", "BR", ErrInvalid},
		{"xx11 99999-1234", "BR", ErrInvalid},
		// Non-ASCII digits.
		{"１１９９９９９１２３４", "BR", ErrInvalid},            // fullwidth
		{"١١٩٩٩٩٩١٢٣٤", "BR", ErrInvalid},            // Arabic-Indic
		{"11 ９９９９９-1234", "BR", ErrInvalid},          // mixed
		{"۱۱۹۹۹۹۹۱۲۳۴", "BR", ErrInvalid},            // Extended Arabic-Indic
		{"\uff0b55 11 99999-1234", "BR", ErrInvalid}, // fullwidth plus
		// Misplaced plus.
		{"+", "BR", ErrInvalid},
		{"++55 11 99999-1234", "BR", ErrInvalid},
		{"11 99999+1234", "BR", ErrInvalid},
		{"55+11999991234", "BR", ErrInvalid},
		{"+0055 11 99999-1234", "BR", ErrInvalid},
		// Too few or too many digits.
		{"1", "BR", ErrInvalid},
		{"12", "BR", ErrInvalid},
		{"1234", "BR", ErrInvalid},
		{"190", "BR", ErrInvalid},            // emergency short code
		{"99999-1234", "BR", ErrInvalid},     // no area code
		{"3333-4444", "BR", ErrInvalid},      // no area code
		{"+55", "BR", ErrInvalid},            // country code only
		{"+55 11", "BR", ErrInvalid},         // area code only
		{"11 9999-123", "BR", ErrInvalid},    // 7-digit subscriber number
		{"11 99999-12345", "BR", ErrInvalid}, // one digit too many
		{"+55 11 999991-12345", "BR", ErrInvalid},
		{strings.Repeat("9", 64), "BR", ErrInvalid},
		{"555 415 2671", "US", ErrInvalid},
		{"+49 201 00000000000", "BR", ErrInvalid}, // valid for phonenumbers, but 16 digits
		{"004920100000000000", "BR", ErrInvalid},
		// Ranges that do not exist.
		{"(10) 99999-1234", "BR", ErrInvalid}, // no area code 10
		{"(20) 3333-4444", "BR", ErrInvalid},  // no area code 20
		{"(11) 1765-4321", "BR", ErrInvalid},  // subscriber starting with 1
		{"(11) 0765-4321", "BR", ErrInvalid},  // subscriber starting with 0
		{"(11) 88765-4321", "BR", ErrInvalid}, // 9 digits not starting with 9
		{"+55 11 88765-4321", "BR", ErrInvalid},
		{"+1 (415) 055-2671", "BR", ErrInvalid},
		// Unknown default region.
		{"11 99999-1234", "XX", ErrInvalid},
		{"+55 11 99999-1234", "ZZ", ErrInvalid},
		{"11 99999-1234", "BRA", ErrInvalid},
		{"11 99999-1234", "001", ErrInvalid},
	}
	for _, tt := range tests {
		got, err := Parse(tt.raw, tt.region)
		if !errors.Is(err, tt.want) {
			t.Errorf("Parse(%q, %q) = %+v, %v; want error %v", tt.raw, tt.region, got, err, tt.want)
		}
		if err != nil && got != (Number{}) {
			t.Errorf("Parse(%q, %q) returned %+v with error %v, want zero Number", tt.raw, tt.region, got, err)
		}
	}
}

func TestParseMaxLength(t *testing.T) {
	// 64 characters (runes) is still accepted, even if that is more bytes.
	for _, pad := range []string{" ", "\u00a0", "\u2013"} {
		raw := "+55 11 99999-1234"
		raw += strings.Repeat(pad, 64-len([]rune(raw)))
		if n := len([]rune(raw)); n != 64 {
			t.Fatalf("test input has %d runes, want 64", n)
		}
		got := mustParse(t, raw, "BR")
		checkNumber(t, raw, "BR", got, br("+5511999991234"))
	}
}

// TestNinthDigit checks that every way of writing one Brazilian mobile line,
// old 8-digit form included, gives the modern E.164 and one identity.
func TestNinthDigit(t *testing.T) {
	lines := []struct {
		want   string
		inputs []string
	}{
		{"+5511987654321", []string{
			"+5511987654321", "+551187654321", "(11) 98765-4321", "11 8765-4321",
			"11 87654321", "+55 11 8765-4321", "551187654321", "5511987654321",
			"00551187654321", "011 8765-4321", "0 21 11 8765-4321", "0xx11 8765-4321",
			"+55 (11) 9 8765-4321",
		}},
		{"+5521977654321", []string{"(21) 97765-4321", "(21) 7765-4321", "+552177654321", "552177654321"}},
		{"+5531966554433", []string{"(31) 96655-4433", "(31) 6655-4433", "+553166554433"}},
		{"+5585999887766", []string{"(85) 99988-7766", "(85) 9988-7766", "+558599887766", "558599887766"}},
		{"+5555987654321", []string{"(55) 98765-4321", "(55) 8765-4321", "+555587654321", "555587654321", "5555987654321"}},
	}
	for _, line := range lines {
		for _, raw := range line.inputs {
			got := mustParse(t, raw, "BR")
			checkNumber(t, raw, "BR", got, br(line.want))
			if id := Identity(got.E164); id != line.want {
				t.Errorf("Identity(%q) = %q, want %q", got.E164, id, line.want)
			}
		}
	}
}

// TestLandlineMobileNoCollision checks that a landline never gets a ninth
// digit and never shares an identity with a mobile.
func TestLandlineMobileNoCollision(t *testing.T) {
	landline := mustParse(t, "(11) 3333-4444", "BR")
	mobile := mustParse(t, "(11) 93333-4444", "BR")
	if got, want := landline.E164, "+551133334444"; got != want {
		t.Errorf("landline E164 = %q, want %q", got, want)
	}
	if got, want := mobile.E164, "+5511933334444"; got != want {
		t.Errorf("mobile E164 = %q, want %q", got, want)
	}
	if landline.Identity == mobile.Identity {
		t.Errorf("landline and mobile share identity %q", landline.Identity)
	}
	if got := Identity(landline.E164); got != landline.E164 {
		t.Errorf("Identity(%q) = %q, want it unchanged", landline.E164, got)
	}

	// Every area code and leading digit: 8-digit numbers starting 2-5 are
	// landlines and stay as they are; 6-9 are old mobiles and share the
	// identity of their 9-digit form; 9-digit forms stay as they are.
	lines := map[string]string{} // identity -> the line (national, modern form) it came from
	record := func(line string, n Number) {
		t.Helper()
		if prev, ok := lines[n.Identity]; ok && prev != line {
			t.Errorf("lines %s and %s share identity %q", prev, line, n.Identity)
		}
		lines[n.Identity] = line
	}
	valid := 0
	for area := 11; area <= 99; area++ {
		for first := 2; first <= 9; first++ {
			eight := fmt.Sprintf("%d%d2345678", area, first)
			nine := fmt.Sprintf("%d9%d2345678", area, first)
			n8, err8 := Parse(eight, "BR")
			n9, err9 := Parse(nine, "BR")
			if err8 == nil {
				valid++
				if first <= 5 {
					if got, want := n8.E164, "+55"+eight; got != want {
						t.Errorf("landline %s: E164 = %q, want %q", eight, got, want)
					}
				} else if got, want := n8.E164, "+55"+nine; got != want {
					t.Errorf("old mobile %s: E164 = %q, want %q", eight, got, want)
				}
				if n8.Identity != n8.E164 {
					t.Errorf("%s: Identity %q != E164 %q", eight, n8.Identity, n8.E164)
				}
				if first <= 5 {
					record(eight, n8)
				} else {
					record(nine, n8)
				}
			}
			if err9 == nil {
				if got, want := n9.E164, "+55"+nine; got != want {
					t.Errorf("mobile %s: E164 = %q, want %q", nine, got, want)
				}
				record(nine, n9)
			}
			if err8 == nil && first >= 6 && (err9 != nil || n8.Identity != n9.Identity) {
				t.Errorf("old mobile %s (%+v) and %s (%+v, %v) differ", eight, n8, nine, n9, err9)
			}
		}
	}
	if valid < 67*4 { // 67 area codes, landline digits 2-5 are all assigned
		t.Errorf("only %d valid 8-digit numbers, the loop tests too little", valid)
	}
}

func TestIdentity(t *testing.T) {
	tests := []struct{ in, want string }{
		// Old-form mobiles get the ninth digit.
		{"+551187654321", "+5511987654321"},
		{"+552167654321", "+5521967654321"},
		{"+552177654321", "+5521977654321"},
		{"+559999887766", "+5599999887766"},
		{"+555587654321", "+5555987654321"},
		// Modern mobiles, landlines and non-Brazilian numbers are unchanged.
		{"+5511987654321", "+5511987654321"},
		{"+5511933334444", "+5511933334444"},
		{"+551133334444", "+551133334444"},
		{"+552123456789", "+552123456789"},
		{"+555155551234", "+555155551234"},
		{"+14155552671", "+14155552671"},
		{"+351912345678", "+351912345678"},
		{"+5491123456789", "+5491123456789"},
		{"+442079460958", "+442079460958"},
		{"+558001234567", "+558001234567"}, // 0800 toll free: "area" 80 has a zero
		{"+551087654321", "+551087654321"}, // area code 10 does not exist
		{"+550187654321", "+550187654321"},
		{"+551117654321", "+551117654321"},
		// Not E.164: returned as is.
		{"", ""},
		{"551187654321", "551187654321"},
		{"+55 1187654321", "+55 1187654321"},
		{"+55118765432a", "+55118765432a"},
		{"+5511876543210", "+5511876543210"},
	}
	for _, tt := range tests {
		if got := Identity(tt.in); got != tt.want {
			t.Errorf("Identity(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Identity(Identity(tt.in)); got != tt.want {
			t.Errorf("Identity(Identity(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", ""},
		{"(11) 99999-1234", "11999991234"},
		{"+55 11 99999-1234", "5511999991234"},
		{"１１９９", ""},              // fullwidth digits are not ASCII
		{"1١2۲3", "123"},          // neither are Arabic-Indic ones
		{"\xff1\xfe2", "12"},      // invalid UTF-8
		{"0xx11 3333", "0113333"}, // letters dropped
	}
	for _, tt := range tests {
		if got := Digits(tt.in); got != tt.want {
			t.Errorf("Digits(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestParseConcurrent runs Parse from many goroutines; meaningful under -race.
func TestParseConcurrent(t *testing.T) {
	inputs := []string{"(11) 99999-1234", "+1 (415) 555-2671", "11 8765-4321", "005511999991234", "garbage"}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				raw := inputs[(g+i)%len(inputs)]
				n, err := Parse(raw, "BR")
				if raw == "garbage" {
					if !errors.Is(err, ErrInvalid) {
						t.Errorf("Parse(%q) error = %v, want ErrInvalid", raw, err)
					}
				} else if err != nil || n.E164 == "" {
					t.Errorf("Parse(%q) = %+v, %v", raw, n, err)
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkParse(b *testing.B) {
	benches := []struct{ name, raw, region string }{
		{"BRMobile", "(11) 99999-1234", "BR"},
		{"BROldForm", "11 8765-4321", "BR"},
		{"BRInternational", "+55 11 99999-1234", "BR"},
		{"WhatsAppID", "5511999991234", "BR"},
		{"Prefix00", "005511999991234", "BR"},
		{"US", "+1 (415) 555-2671", "BR"},
		{"Invalid", "(10) 99999-1234", "BR"},
		{"Garbage", "hello world", "BR"},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Parse(bb.raw, bb.region)
			}
		})
	}
}
