package taxid

import (
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"529.982.247-25",
		"111.444.777-35",
		"11.222.333/0001-81",
		"12.ABC.345/01DE-35",
		"12abc34501de35",
		"000.000.000-00",
		"529.982.247-26",
		" 11 444 777 0001 61 ",
		"",
		"12.ÄBC.345/01DE-35",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrCheckDigits) && !errors.Is(err, ErrRepeated) {
				t.Fatalf("Parse(%q): unexpected error %v", raw, err)
			}
			if id != (ID{}) {
				t.Fatalf("Parse(%q) = %+v with error %v, want zero ID", raw, id, err)
			}
			return
		}
		checkCanonical(t, id)
		for _, s := range []string{id.Formatted(), id.String()} {
			got, err := Parse(s)
			if err != nil || got != id {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v, nil (from %q)", s, got, err, id, raw)
			}
		}
	})
}

// checkCanonical fails unless id.Value has the canonical form for id.Kind.
func checkCanonical(t *testing.T, id ID) {
	t.Helper()
	v := id.Value
	switch {
	case id.Kind == CPF && len(v) == 11 && allDigits(v):
	case id.Kind == CNPJ && len(v) == 14 && allDigits(v[12:]):
		for i := 0; i < 12; i++ {
			if c := v[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
				t.Fatalf("%+v: character %q at %d, want 0-9 or A-Z", id, c, i)
			}
		}
	default:
		t.Fatalf("%+v: not canonical", id)
	}
}
