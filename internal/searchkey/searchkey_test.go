package searchkey

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"João  da SILVA-Souza", "joao da silva souza"},
		{"JOSÉ", "jose"},
		{"Ñandú", "nandu"},
		{"Conceição", "conceicao"},
		{"Antônia Araújo", "antonia araujo"},
		{"Müller", "muller"},
		{"D'Ávila", "d avila"},
		{"Sant’Anna", "sant anna"},
		{"Maria-José dos Santos", "maria jose dos santos"},
		{"  ...Zé!!  ", "ze"},
		{"Straße", "strasse"},
		{"STRASSE ẞ", "strasse ss"},
		{"Æsir Øystein Đorđe Łukasz Þór Œuvre", "aesir oystein dorde lukasz thor oeuvre"},
		{"İstanbul ıs", "istanbul is"},
		{"ＪＯＡＯ", "joao"},       // fullwidth
		{"ﬁlipe", "filipe"},    // ligature
		{"1ª Vara", "1a vara"}, // ordinal indicator
		{"Loja 12 - Centro", "loja 12 centro"},
		{"Jo\u0303ao", "joao"}, // decomposed input
		{"Δημήτρης ΚΑΛΌΣ", "δημητρης καλοσ"},
		{"", ""},
		{" \t\n", ""},
		{"-_-", ""},
		{"a\xffb", "a b"}, // invalid UTF-8 is a separator
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNameWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"João da Silva", []string{"joao", "da", "silva"}},
		{"Maria das Dores dos Santos e Silva", []string{"maria", "das", "dores", "dos", "santos", "e", "silva"}},
		{"Maria D'Ávila", []string{"maria", "d", "avila", "davila"}},
		{"Sant'Anna", []string{"sant", "anna", "santanna"}},
		{"Ana-Luísa Müller", []string{"ana", "luisa", "muller"}},
		{"Ana ana ANA", []string{"ana"}},
		{"a b c d e f g h i j", []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{strings.Repeat("x", 40), []string{strings.Repeat("x", 32)}},
		{strings.Repeat("x", 31) + "ωω", []string{strings.Repeat("x", 31)}}, // cut at a rune boundary
		{strings.Repeat("y", 33) + " " + strings.Repeat("y", 34), []string{strings.Repeat("y", 32)}},
		{"", nil},
		{"  --  ", nil},
	}
	for _, tt := range tests {
		if got := NameWords(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("NameWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSortKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"João da Silva", "joao da silva"},
		{"  Álvaro  ", "alvaro"},
		{"", NoNameSortKey},
		{"!!!", NoNameSortKey},
		{strings.Repeat("ab ", 40), strings.TrimSpace(strings.Repeat("ab ", 22))[:64]},
		{strings.Repeat("a", 63) + " b", strings.Repeat("a", 63)}, // no trailing space
		{strings.Repeat("a", 63) + "ç", strings.Repeat("a", 63) + "c"},
		{strings.Repeat("a", 63) + "ω", strings.Repeat("a", 63)},
	}
	for _, tt := range tests {
		got := SortKey(tt.in)
		if got != tt.want {
			t.Errorf("SortKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if len(got) > MaxSortKeyLen || !utf8.ValidString(got) {
			t.Errorf("SortKey(%q) = %q: too long or invalid UTF-8", tt.in, got)
		}
	}
	// Nameless contacts sort after every named one, in any script.
	for _, name := range []string{"Zé", "~tilde", "Ωmega", "Юрий", "山田", "𠀀"} {
		if k := SortKey(name); k >= NoNameSortKey {
			t.Errorf("SortKey(%q) = %q sorts after NoNameSortKey", name, k)
		}
	}
	if !(SortKey("Ana") < SortKey("Ângela") && SortKey("Ângela") < SortKey("Bruno")) {
		t.Error("accents change the order")
	}
}

func TestPhoneTokens(t *testing.T) {
	tests := []struct {
		e164       string
		want       []string
		wantSuffix string
	}{
		{"+5511987654321",
			[]string{"5511987654321", "11987654321", "1187654321", "551187654321", "987654321", "87654321"},
			"12345678911"},
		{"+552133334444", []string{"552133334444", "2133334444", "33334444"}, "4444333312"},
		{"+558001234567", []string{"558001234567", "8001234567"}, "7654321008"}, // toll-free: no area code
		{"+14155552671", []string{"14155552671", "4155552671", "5552671"}, "1762555514"},
		{"+351912345678", []string{"351912345678", "912345678"}, "876543219"},
		{"+390612345678", []string{"390612345678", "0612345678", "12345678"}, "8765432160"}, // Italy keeps its leading 0
		{"+999", []string{"999"}, "999"},                                                    // unparsable: digits only
		{"", nil, ""},
	}
	for _, tt := range tests {
		if got := PhoneTokens(tt.e164); !slices.Equal(got, tt.want) {
			t.Errorf("PhoneTokens(%q) = %q, want %q", tt.e164, got, tt.want)
		}
		if got := SuffixToken(tt.e164); got != tt.wantSuffix {
			t.Errorf("SuffixToken(%q) = %q, want %q", tt.e164, got, tt.wantSuffix)
		}
	}
}

// matches reports whether a search for q finds a contact whose phone is the
// E.164 number stored, by the rule the store applies: some phone token
// begins with q's Digits, or the suffix token begins with q's Suffix.
func matches(stored, q string) bool {
	pq := ParseQuery(q)
	if pq.Kind != QueryPhone {
		return false
	}
	for _, tok := range PhoneTokens(stored) {
		if strings.HasPrefix(tok, pq.Digits) {
			return true
		}
	}
	return strings.HasPrefix(SuffixToken(stored), pq.Suffix)
}

func TestPhoneSearch(t *testing.T) {
	tests := []struct {
		stored string
		found  []string
		not    []string
	}{
		{"+5511987654321",
			[]string{
				"11987654321", "(11) 98765-4321", "+55 11 98765-4321", "5511987654321",
				"1187654321", "(11) 8765-4321", "55 11 8765-4321", "+55 11 8765-4321", "87654321", "8765-4321",
				"98765", "4321", "987654321", "011 98765 4321", "0 15 11 98765-4321", "015 11 8765-4321",
				"00 55 11 98765 4321", "+55 (11) 9", "1198", "11 98765–4321", " 4321 ",
			},
			[]string{"5521987654321", "4322", "21987654321", "+1 415 555", "0055 21 98765"},
		},
		{"+552133334444",
			[]string{"2133334444", "3333-4444", "4444", "(21) 3333-4444", "+55 21 3333-4444", "021 3333 4444", "3333"},
			[]string{"2133334445", "1133334444", "4445", "21933334444"},
		},
	}
	for _, tt := range tests {
		for _, q := range tt.found {
			if !matches(tt.stored, q) {
				t.Errorf("%s not found by %q (%+v)", tt.stored, q, ParseQuery(q))
			}
		}
		for _, q := range tt.not {
			if matches(tt.stored, q) {
				t.Errorf("%s found by %q (%+v)", tt.stored, q, ParseQuery(q))
			}
		}
	}
}

// nameMatches reports whether a search for q finds a contact named name: each
// query word is a prefix of some name word.
func nameMatches(name, q string) bool {
	pq := ParseQuery(q)
	if pq.Kind != QueryName {
		return false
	}
	words := NameWords(name)
	for _, qw := range pq.Words {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, qw) }) {
			return false
		}
	}
	return true
}

func TestNameSearch(t *testing.T) {
	tests := []struct {
		name  string
		found []string
		not   []string
	}{
		{"João da Silva", []string{"joao", "JOÃO", "jo", "silva joao", "da silva", "João Silva"}, []string{"joana", "souza", "joao souza"}},
		{"Maria da Conceição dos Santos", []string{"conceicao", "Conceição", "dos santos", "maria santos", "conc"}, []string{"maria silva"}},
		{"Antônia Müller", []string{"antonia", "ANTÔNIA", "muller", "müll"}, []string{"mueller"}},
		{"Ñandú Pérez", []string{"nandu", "ñandú", "perez"}, nil},
		{"Carlos D'Ávila", []string{"davila", "d'avila", "D’Ávila", "avila", "carlos davila", "dav"}, []string{"de avila"}},
		{"Ana-Luísa Braga", []string{"ana luisa", "ana-luisa", "luisa", "braga ana"}, []string{"analuisa"}},
		{"Loja 12 Centro", []string{"loja 12", "12", "centro 1"}, []string{"13"}},
	}
	for _, tt := range tests {
		for _, q := range tt.found {
			if !nameMatches(tt.name, q) {
				t.Errorf("%q not found by %q (%+v)", tt.name, q, ParseQuery(q))
			}
		}
		for _, q := range tt.not {
			if nameMatches(tt.name, q) {
				t.Errorf("%q found by %q (%+v)", tt.name, q, ParseQuery(q))
			}
		}
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		q    string
		want Query
	}{
		{"", Query{Kind: QueryNone}},
		{"   ", Query{Kind: QueryNone}},
		{"- ( ) .", Query{Kind: QueryNone}},
		{"Maria@Ex", Query{Kind: QueryEmail, Email: "maria@ex"}},
		{"  JOAO.SILVA@Gmail.com ", Query{Kind: QueryEmail, Email: "joao.silva@gmail.com"}},
		{"+55 11 99999", Query{Kind: QueryPhone, Digits: "551199999", Suffix: "999991155"}},
		{"011 9999", Query{Kind: QueryPhone, Digits: "119999", Suffix: "9999110"}},
		{"0055 11 9999", Query{Kind: QueryPhone, Digits: "55119999", Suffix: "9999115500"}},
		{"0 21 11 98765-4321", Query{Kind: QueryPhone, Digits: "11987654321", Suffix: "12345678911120"}},
		{"(11) 98765-4321", Query{Kind: QueryPhone, Digits: "11987654321", Suffix: "12345678911"}},
		{"(+55) 11", Query{Kind: QueryPhone, Digits: "5511", Suffix: "1155"}},
		{"4321", Query{Kind: QueryPhone, Digits: "4321", Suffix: "1234"}},
		{"2024", Query{Kind: QueryPhone, Digits: "2024", Suffix: "4202"}},
		{"0012", Query{Kind: QueryPhone, Digits: "0012", Suffix: "2100"}}, // too short without the prefix
		{"12", Query{Kind: QueryName, Words: []string{"12"}}},
		{"+1 23", Query{Kind: QueryName, Words: []string{"1", "23"}}},
		{"11/2024", Query{Kind: QueryName, Words: []string{"11", "2024"}}},
		{"joao 11987", Query{Kind: QueryName, Words: []string{"joao", "11987"}}},
		{"José  dos Santos", Query{Kind: QueryName, Words: []string{"jose", "dos", "santos"}}},
		{"D'Ávila", Query{Kind: QueryName, Words: []string{"davila"}}},
		{"a\xffb", Query{Kind: QueryName, Words: []string{"ab"}}},
	}
	for _, tt := range tests {
		if got := ParseQuery(tt.q); !equalQuery(got, tt.want) {
			t.Errorf("ParseQuery(%q) = %+v, want %+v", tt.q, got, tt.want)
		}
	}
}

func TestParseQueryTruncates(t *testing.T) {
	q := ParseQuery(strings.Repeat("é", 99) + "xyz")
	if len(q.Words) != 1 || q.Words[0] != truncate(strings.Repeat("e", 99)+"x", MaxWordLen) {
		t.Errorf("got %+v", q)
	}
	// Only the first 100 characters are read: the "@" at 101 is ignored.
	if q := ParseQuery(strings.Repeat("a", 100) + "@x"); q.Kind != QueryName {
		t.Errorf("got %+v", q)
	}
	if q := ParseQuery(strings.Repeat("9", 150)); len(q.Digits) != 100 || len(q.Suffix) != 100 {
		t.Errorf("got %d digits", len(q.Digits))
	}
}

func equalQuery(a, b Query) bool {
	return a.Kind == b.Kind && slices.Equal(a.Words, b.Words) && a.Digits == b.Digits &&
		a.Suffix == b.Suffix && a.Email == b.Email
}

// TestFoldEveryRune checks FuzzFold's properties for every code point, alone
// and after a letter (where a mark would combine).
func TestFoldEveryRune(t *testing.T) {
	if testing.Short() {
		t.Skip("1.1M code points")
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		for _, s := range []string{string(r), "A" + string(r) + "b"} {
			got := Fold(s)
			if Fold(got) != got {
				t.Fatalf("Fold(%q) = %q is not a fixed point: %q", s, got, Fold(got))
			}
			for _, c := range norm.NFD.String(got) {
				if unicode.ToLower(c) != c || unicode.IsUpper(c) || unicode.IsTitle(c) || unicode.Is(unicode.Mn, c) {
					t.Fatalf("Fold(%q) = %q contains %q", s, got, c)
				}
			}
		}
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"João  da SILVA-Souza", "Ñandú", "D'Ávila", "Straße ẞ", "ＪＯＡＯ", "ﬁ™½", "İı", "\xff", "ᾈ ǅ", "a\u0903b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Fold(s)
		if again := Fold(got); again != got {
			t.Fatalf("Fold(%q) = %q, but Fold(%q) = %q", s, got, got, again)
		}
		if !utf8.ValidString(got) || strings.TrimSpace(got) != got || strings.Contains(got, "  ") {
			t.Fatalf("Fold(%q) = %q: invalid UTF-8 or bad spacing", s, got)
		}
		for _, r := range norm.NFD.String(got) {
			if unicode.ToLower(r) != r || unicode.IsUpper(r) || unicode.IsTitle(r) || unicode.Is(unicode.Mn, r) {
				t.Fatalf("Fold(%q) = %q contains %q", s, got, r)
			}
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "Maria@Ex", "+55 11 99999", "011 9999", "0 15 11 98765-4321", "12", "D'Ávila", "joao 11", "(+55)", "\xff@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := ParseQuery(s)
		switch q.Kind {
		case QueryNone:
		case QueryName:
			if len(q.Words) == 0 || len(q.Words) > MaxNameWords {
				t.Fatalf("ParseQuery(%q) = %+v", s, q)
			}
			for _, w := range q.Words {
				if w == "" || len(w) > MaxWordLen || strings.Contains(w, " ") || !utf8.ValidString(w) {
					t.Fatalf("ParseQuery(%q) = %+v", s, q)
				}
			}
		case QueryPhone:
			if len(q.Digits) < minPhoneDigits || len(q.Suffix) < minPhoneDigits || digits(q.Digits) != q.Digits {
				t.Fatalf("ParseQuery(%q) = %+v", s, q)
			}
		case QueryEmail:
			if !strings.Contains(q.Email, "@") || !utf8.ValidString(q.Email) {
				t.Fatalf("ParseQuery(%q) = %+v", s, q)
			}
		default:
			t.Fatalf("ParseQuery(%q) = %+v", s, q)
		}
	})
}
