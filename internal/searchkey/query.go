package searchkey

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// QueryKind is what a search string is taken to be.
type QueryKind int

// Query kinds.
const (
	// QueryNone is a query that matches nothing: blank, or punctuation only.
	QueryNone QueryKind = iota
	// QueryName searches name words; see Query.Words.
	QueryName
	// QueryPhone searches phone tokens; see Query.Digits and Query.Suffix.
	QueryPhone
	// QueryEmail searches emails by prefix; see Query.Email.
	QueryEmail
)

// String returns the kind's name, for logs and test failures.
func (k QueryKind) String() string {
	switch k {
	case QueryNone:
		return "none"
	case QueryName:
		return "name"
	case QueryPhone:
		return "phone"
	case QueryEmail:
		return "email"
	}
	return "QueryKind(?)"
}

// Query is what a search string asks for. Only the fields of its Kind are
// set.
type Query struct {
	Kind QueryKind
	// Words (QueryName) are folded words, each to be matched as a prefix of
	// a word from NameWords; a contact matches when every word does.
	Words []string
	// Digits (QueryPhone) is matched as a prefix of a token from PhoneTokens.
	Digits string
	// Suffix (QueryPhone) is the typed digits reversed, matched as a prefix
	// of SuffixToken: the digits may be the last digits of a number. A
	// contact matches when Digits or Suffix matches.
	Suffix string
	// Email (QueryEmail) is the lowercased query, matched as a prefix of the
	// lowercased email (contact.EmailKey).
	Email string
}

// MaxQueryLen is the longest query, in characters (runes), that ParseQuery
// reads; the rest is ignored.
const MaxQueryLen = 100

// minPhoneDigits is the fewest digits a phone query has: shorter digit
// strings match too many numbers to be useful.
const minPhoneDigits = 4

// ParseQuery classifies q, as typed in a search box. Only its first
// MaxQueryLen characters are read, and invalid UTF-8 is dropped. In order:
//
//  1. Blank → QueryNone.
//  2. Containing "@" → QueryEmail, Email = q trimmed and lowercased
//     ("Maria@Ex" → "maria@ex"). Emails are searched by prefix only, so
//     "@gmail.com" finds nothing.
//  3. Only ASCII digits, white space, "+", "-", ".", "(", ")" and typographic
//     dashes, with at least 4 digits → QueryPhone. Suffix is all the digits
//     reversed. Digits is the digits with the way of dialling removed:
//     - a "+" before the first digit: nothing removed ("+55 11 98765-4321"
//     → "5511987654321");
//     - else a leading "00" (international prefix) is dropped
//     ("00 55 11 9876" → "55119876");
//     - else a leading "0" (trunk prefix) is dropped ("011 98765 4321" →
//     "11987654321"), and when 12 or 13 digits remain, which is too long
//     for a national number, the 2-digit carrier selection code that
//     follows is dropped too ("0 15 11 98765-4321" → "11987654321").
//     If that leaves fewer than 4 digits, Digits is all the digits.
//     A Brazilian mobile typed in the old 8-digit form ("11 8765-4321",
//     "55 11 8765-4321", "8765-4321") needs nothing special: PhoneTokens
//     stores the forms without the ninth digit. A bare 4-digit number such
//     as "2024" is a phone query, not a name word.
//  4. Otherwise → QueryName, Words = the distinct folded words of q with its
//     apostrophes removed (so "D'Ávila" and "Davila" both give "davila"), at
//     most 8, each at most 32 bytes. Digits-only queries with fewer than 4
//     digits land here too ("12" → Words ["12"]): names can contain digits
//     ("Loja 12"), and as a phone query they would match nearly every
//     number. A query with letters and digits ("joao 11") is a name query.
//     No words at all (punctuation only) → QueryNone.
func ParseQuery(q string) Query {
	q = strings.ToValidUTF8(q, "")
	if utf8.RuneCountInString(q) > MaxQueryLen {
		n := 0
		for i := range q {
			if n == MaxQueryLen {
				q = q[:i]
				break
			}
			n++
		}
	}
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return Query{Kind: QueryNone}
	case strings.ContainsRune(q, '@'):
		return Query{Kind: QueryEmail, Email: strings.ToLower(q)}
	}
	if plus, d, ok := phoneQuery(q); ok {
		return Query{Kind: QueryPhone, Digits: dialledDigits(plus, d), Suffix: reverse(d)}
	}
	if w := queryWords(q); len(w) > 0 {
		return Query{Kind: QueryName, Words: w}
	}
	return Query{Kind: QueryNone}
}

// phoneQuery reports whether q looks like (part of) a phone number: only
// digits and what people type between them, and at least minPhoneDigits
// digits. It returns whether a "+" came before the first digit, and the
// digits.
func phoneQuery(q string) (plus bool, d string, ok bool) {
	for _, r := range q {
		switch {
		case '0' <= r && r <= '9':
		case r == '-', r == '+', r == '.', r == '(', r == ')', unicode.IsSpace(r),
			r == '\u2010', r == '\u2011', r == '\u2012', r == '\u2013', r == '\u2014', r == '\u2212':
		default:
			return false, "", false
		}
	}
	d = digits(q)
	plusAt := strings.IndexByte(q, '+')
	plus = plusAt >= 0 && plusAt < strings.IndexAny(q, "0123456789")
	return plus, d, len(d) >= minPhoneDigits
}

// dialledDigits removes the international, trunk and carrier selection
// prefixes from the digits d of a phone query; see ParseQuery.
func dialledDigits(plus bool, d string) string {
	s := d
	switch {
	case plus:
	case strings.HasPrefix(s, "00"):
		s = s[2:]
	case strings.HasPrefix(s, "0"):
		s = s[1:]
		if len(s) == 12 || len(s) == 13 {
			s = s[2:]
		}
	}
	if len(s) < minPhoneDigits {
		return d
	}
	return s
}
