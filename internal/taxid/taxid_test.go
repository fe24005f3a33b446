package taxid

import (
	"errors"
	"strings"
	"testing"
)

// mustParse parses raw and fails the test if it is not a valid tax id.
func mustParse(t *testing.T, raw string) ID {
	t.Helper()
	id, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse(%q): got error %v, want nil", raw, err)
	}
	return id
}

// checkErr fails the test unless err matches want.
func checkErr(t *testing.T, raw string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("Parse(%q): got error %v, want %v", raw, err, want)
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		raw  string
		want ID
	}{
		// CPF, as people type it.
		{"529.982.247-25", ID{CPF, "52998224725"}},
		{"52998224725", ID{CPF, "52998224725"}},
		{"529982247-25", ID{CPF, "52998224725"}},
		{" 529 982 247 25 ", ID{CPF, "52998224725"}},
		{"\t529.982.247-25\n", ID{CPF, "52998224725"}},
		{"529/982/247/25", ID{CPF, "52998224725"}},
		{"111.444.777-35", ID{CPF, "11144477735"}},
		{"123.456.789-09", ID{CPF, "12345678909"}},
		{"987.654.321-00", ID{CPF, "98765432100"}},                           // both remainders < 2
		{"000.000.001-91", ID{CPF, "00000000191"}},                           // leading zeros kept
		{"529.982.247-25" + strings.Repeat(" ", 18), ID{CPF, "52998224725"}}, // exactly 32 chars

		// Classic CNPJ.
		{"11.222.333/0001-81", ID{CNPJ, "11222333000181"}},
		{"11222333000181", ID{CNPJ, "11222333000181"}},
		{"11 222 333 0001 81", ID{CNPJ, "11222333000181"}},
		{" 11.222.333/0001-81 ", ID{CNPJ, "11222333000181"}},
		{"11.444.777/0001-61", ID{CNPJ, "11444777000161"}},
		{"00.000.000/0001-91", ID{CNPJ, "00000000000191"}},

		// Alphanumeric CNPJ; 12.ABC.345/01DE-35 is the Receita Federal's example.
		{"12.ABC.345/01DE-35", ID{CNPJ, "12ABC34501DE35"}},
		{"12ABC34501DE35", ID{CNPJ, "12ABC34501DE35"}},
		{"12.abc.345/01de-35", ID{CNPJ, "12ABC34501DE35"}},
		{"12aBc34501De35", ID{CNPJ, "12ABC34501DE35"}},
		{"AB.CDE.FGH/IJKL-80", ID{CNPJ, "ABCDEFGHIJKL80"}},
		{"zz.zzz.zzz/zzzz-62", ID{CNPJ, "ZZZZZZZZZZZZ62"}},
		{"A0.000.000/0000-32", ID{CNPJ, "A0000000000032"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got := mustParse(t, tt.raw)
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		raw  string
		want error
	}{
		// One check digit wrong.
		{"529.982.247-35", ErrCheckDigits},
		{"529.982.247-26", ErrCheckDigits},
		{"529.982.247-52", ErrCheckDigits},
		{"259.982.247-25", ErrCheckDigits}, // transposed
		{"11.222.333/0001-91", ErrCheckDigits},
		{"11.222.333/0001-82", ErrCheckDigits},
		{"12.ABC.345/01DE-45", ErrCheckDigits},
		{"12.ABC.345/01DE-36", ErrCheckDigits},
		{"12.ABD.345/01DE-35", ErrCheckDigits},
		{"12.ABC.345/01DE-53", ErrCheckDigits},

		// Repeated characters, whose check digits may well compute.
		{"000.000.000-00", ErrRepeated},
		{"111.111.111-11", ErrRepeated},
		{"99999999999", ErrRepeated},
		{"00.000.000/0000-00", ErrRepeated},
		{"11111111111111", ErrRepeated},
		{"55.555.555/5555-55", ErrRepeated},

		// Wrong length.
		{"", ErrFormat},
		{"   ", ErrFormat},
		{".-/", ErrFormat},
		{"5299822472", ErrFormat},
		{"529982247255", ErrFormat},
		{"1122233300018", ErrFormat},
		{"112223330001811", ErrFormat},
		{"11.222.333/0001-81 11.222.333", ErrFormat},
		{"529.982.247-25" + strings.Repeat(" ", 19), ErrFormat}, // 33 chars
		{strings.Repeat("1", 33), ErrFormat},

		// Wrong characters.
		{"529.982.247-2A", ErrFormat},
		{"ABC.982.247-25", ErrFormat},
		{"12.ABC.345/01DE-3A", ErrFormat},
		{"12.ABC.345/01DE-ab", ErrFormat},
		{"529#982#247#25", ErrFormat},
		{"529*982*247-25", ErrFormat},
		{"529_982_247_25", ErrFormat},
		{"529,982,247-25", ErrFormat},
		{"+52998224725", ErrFormat},
		{"529.982.247\x0025", ErrFormat},
		{"５２９.982.247-25", ErrFormat},     // fullwidth digits
		{"12.ÄBC.345/01DE-35", ErrFormat}, // non-ASCII letter
		{"12.ABC.345/01DE–35", ErrFormat}, // en dash
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := Parse(tt.raw)
			checkErr(t, tt.raw, err, tt.want)
			if got != (ID{}) {
				t.Errorf("Parse(%q) = %+v, want zero ID", tt.raw, got)
			}
		})
	}
}

// TestParseEveryWrongCheckDigit replaces each check digit of valid ids by
// every other digit.
func TestParseEveryWrongCheckDigit(t *testing.T) {
	for _, v := range []string{"52998224725", "98765432100", "11222333000181", "12ABC34501DE35"} {
		for pos := len(v) - 2; pos < len(v); pos++ {
			for c := byte('0'); c <= '9'; c++ {
				if c == v[pos] {
					continue
				}
				raw := v[:pos] + string(c) + v[pos+1:]
				_, err := Parse(raw)
				checkErr(t, raw, err, ErrCheckDigits)
			}
		}
	}
}

// TestCheckDigitOfficialExample pins the alphanumeric rule (ASCII code
// minus 48) to the Receita Federal's worked example.
func TestCheckDigitOfficialExample(t *testing.T) {
	if got, want := checkDigit("12ABC34501DE", 9), byte('3'); got != want {
		t.Errorf("first check digit: got %c, want %c", got, want)
	}
	if got, want := checkDigit("12ABC34501DE3", 9), byte('5'); got != want {
		t.Errorf("second check digit: got %c, want %c", got, want)
	}
}

func TestFormatted(t *testing.T) {
	tests := []struct {
		id   ID
		want string
	}{
		{ID{CPF, "52998224725"}, "529.982.247-25"},
		{ID{CPF, "00000000191"}, "000.000.001-91"},
		{ID{CNPJ, "11222333000181"}, "11.222.333/0001-81"},
		{ID{CNPJ, "12ABC34501DE35"}, "12.ABC.345/01DE-35"},
		{ID{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.id.Formatted(); got != tt.want {
				t.Errorf("Formatted() = %q, want %q", got, tt.want)
			}
			if got := tt.id.String(); got != tt.id.Value {
				t.Errorf("String() = %q, want %q", got, tt.id.Value)
			}
		})
	}
}

func TestFormattedRoundTrip(t *testing.T) {
	for _, raw := range []string{"529.982.247-25", "11144477735", "11.444.777/0001-61", "12.abc.345/01de-35", "ABCDEFGHIJKL80"} {
		t.Run(raw, func(t *testing.T) {
			id := mustParse(t, raw)
			if got := mustParse(t, id.Formatted()); got != id {
				t.Errorf("Parse(%q) = %+v, want %+v", id.Formatted(), got, id)
			}
			if got := mustParse(t, id.String()); got != id {
				t.Errorf("Parse(%q) = %+v, want %+v", id.String(), got, id)
			}
		})
	}
}
