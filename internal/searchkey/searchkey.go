// Package searchkey computes the strings contacts are searched and sorted by:
// folded name words, phone digit strings and a reversed-digits suffix token,
// all of them matched by prefix (DynamoDB begins_with), and classifies what a
// search box query asks for.
//
// Everything here is pure and deterministic: the same contact always yields
// the same tokens, so a store can diff old and new tokens on update.
package searchkey

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"
)

// Limits on the tokens of one name.
const (
	// MaxNameWords is the most words NameWords returns.
	MaxNameWords = 8
	// MaxWordLen is the longest word NameWords returns, in bytes.
	MaxWordLen = 32
	// MaxSortKeyLen is the longest key SortKey returns, in bytes.
	MaxSortKeyLen = 64
)

// NoNameSortKey is SortKey's result for a name with nothing to sort by. It
// is U+10FFFF, the largest code point, so it sorts after every other sort
// key in UTF-8 byte order (which is DynamoDB's string order), including
// folded names in non-Latin scripts that would sort after "~".
const NoNameSortKey = "\U0010FFFF"

// folded maps the letters that have no Unicode decomposition to their usual
// Latin transliteration. Fold lowercases before looking runes up, so only
// lowercase letters are listed.
var folded = map[rune]string{
	'ß': "ss", // also ẞ, lowercased to ß
	'æ': "ae",
	'œ': "oe",
	'ø': "o",
	'đ': "d",
	'ð': "d",
	'ł': "l",
	'þ': "th",
	'ħ': "h",
	'ı': "i",
	'ŧ': "t",
	'ŋ': "n",
	'ĸ': "k",
	'ɨ': "i",
	'ƀ': "b",
	'ɍ': "r",
}

// Fold returns s as compared by search: lowercased, without accents and
// other diacritics, with letters that have no decomposition transliterated
// (ß→ss, æ→ae, ø→o, đ→d, ł→l, ...), every run of characters that are not
// letters or digits turned into a single space, and trimmed.
//
//	Fold("João  da SILVA-Souza") == "joao da silva souza"
//	Fold("Ñandú") == "nandu"
//
// Decomposition is NFKD rather than NFD, so compatibility characters fold
// too: fullwidth "ＪＯＡＯ" gives "joao", the ligature "ﬁ" gives "fi" and the
// Portuguese ordinal "1ª" gives "1a". Nonspacing and enclosing marks (the
// accents) are dropped; spacing marks (vowel signs of Indic scripts) are kept
// as part of their word. Invalid UTF-8 counts as a separator. Fold is
// idempotent: Fold(Fold(s)) == Fold(s).
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a separator is pending
	for _, r := range norm.NFKD.String(strings.ToLower(s)) {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			continue
		}
		// Compatibility decompositions can produce capitals ("™" → "TM").
		r = unicode.ToLower(r)
		t, ok := folded[r]
		if !ok && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mc, r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if ok {
			b.WriteString(t)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// apostrophes are the characters written inside names such as D'Ávila,
// Sant'Anna or O'Brien.
const apostrophes = "'’‘`´ʼ"

// stripApostrophes removes the apostrophes from s: "D'Ávila" → "DÁvila".
func stripApostrophes(s string) string {
	if !strings.ContainsAny(s, apostrophes) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(apostrophes, r) {
			return -1
		}
		return r
	}, s)
}

// NameWords returns the words under which a contact named name is found: the
// distinct words of Fold(name), in order, followed by those of the name with
// its apostrophes removed, so "Maria D'Ávila" gives "maria", "d", "avila",
// "davila" and is found by "avila" and by "davila". There are at most
// MaxNameWords words, each at most MaxWordLen bytes (longer ones are cut at a
// character boundary). Brazilian particles (da, de, do, das, dos, e) are
// kept: people search "dos santos". A blank name has no words (nil).
func NameWords(name string) []string {
	words := addWords(nil, Fold(name))
	if s := stripApostrophes(name); s != name {
		words = addWords(words, Fold(s))
	}
	return words
}

// queryWords returns the words a name query matches by prefix: the distinct
// words of the query with its apostrophes removed ("D'Ávila" → "davila",
// which is a prefix of a word of both "D'Ávila" and "Davila"), limited as in
// NameWords so a query word is never longer than a stored word.
func queryWords(q string) []string {
	return addWords(nil, Fold(stripApostrophes(q)))
}

// addWords appends to words the words of the folded string f that it does not
// have yet, each cut to MaxWordLen bytes, up to MaxNameWords in all.
func addWords(words []string, f string) []string {
	for w := range strings.FieldsSeq(f) {
		if len(words) == MaxNameWords {
			break
		}
		w = truncate(w, MaxWordLen)
		if !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return words
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SortKey returns the key contacts are listed by in name order: Fold(name)
// cut to MaxSortKeyLen bytes, or NoNameSortKey when that is empty (a blank
// name, or one of punctuation only), so that nameless contacts come after
// named ones. The result never contains "#" or any other punctuation.
func SortKey(name string) string {
	k := strings.TrimRight(truncate(Fold(name), MaxSortKeyLen), " ")
	if k == "" {
		return NoNameSortKey
	}
	return k
}

// PhoneTokens returns the digit strings under which the number e164 (as
// returned by phone.Parse: "+" and digits) is found by prefix search, distinct
// and in this order:
//   - the international digits without "+": "5511987654321";
//   - the national significant number: "11987654321";
//   - for a Brazilian mobile, the national number without the ninth digit,
//     "1187654321", and the international one without it, "551187654321", so
//     numbers typed in the old 8-digit form are found;
//   - the subscriber number (the national number without its area code),
//     "987654321", and for a Brazilian mobile also without the ninth digit,
//     "87654321", so people can type the number without the area code.
//     Numbers with no geographic area code (toll-free, most non-Brazilian
//     mobiles) have no subscriber token.
//
// A string that phonenumbers cannot parse yields just its digits; one
// without digits yields nil.
func PhoneTokens(e164 string) []string {
	intl := digits(e164)
	if intl == "" {
		return nil
	}
	pn, err := phonenumbers.Parse("+"+intl, "")
	if err != nil {
		return []string{intl}
	}
	nsn := phonenumbers.GetNationalSignificantNumber(pn)
	tokens := []string{intl}
	add := func(t string) {
		if t != "" && !slices.Contains(tokens, t) {
			tokens = append(tokens, t)
		}
	}
	add(nsn)
	mobile := isBrazilianMobile(pn.GetCountryCode(), nsn)
	if mobile {
		old := nsn[:2] + nsn[3:]
		add(old)
		add("55" + old)
	}
	if n := phonenumbers.GetLengthOfGeographicalAreaCode(pn); n > 0 && n < len(nsn) {
		add(nsn[n:])
		if mobile {
			add(nsn[3:])
		}
	}
	return tokens
}

// isBrazilianMobile reports whether cc and nsn are a Brazilian mobile: two
// digits of area code and nine of subscriber number, the first of which is
// 9. Only mobiles have 9-digit subscriber numbers.
func isBrazilianMobile(cc int32, nsn string) bool {
	return cc == 55 && len(nsn) == 11 && nsn[2] == '9'
}

// SuffixToken returns the digits of the national significant number of e164
// reversed ("+5511987654321" → "12345678911"), so that a search by the last
// digits of a number is a prefix search of this token. It is "" for a string
// without digits and the reversed digits of a string phonenumbers cannot
// parse.
func SuffixToken(e164 string) string {
	d := digits(e164)
	if d == "" {
		return ""
	}
	if pn, err := phonenumbers.Parse("+"+d, ""); err == nil {
		d = phonenumbers.GetNationalSignificantNumber(pn)
	}
	return reverse(d)
}

// digits returns the ASCII digits of s.
func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// reverse reverses s, which must be ASCII.
func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
