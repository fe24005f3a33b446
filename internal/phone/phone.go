// Package phone parses phone numbers the way people type them into a
// contacts form, a WhatsApp webhook or an SMS gateway, and turns them into
// E.164 strings plus an identity key used to find duplicate contacts.
//
// # Input
//
// Parse accepts ASCII digits, one leading "+", spaces (any Unicode white
// space, so pasted non-breaking spaces work), the punctuation "-", ".", "(",
// ")", "/" and typographic dashes. Everything else is rejected with
// ErrInvalid: letters (so vanity numbers such as 1-800-FLOWERS), extensions,
// "tel:" URIs, non-ASCII digits (fullwidth, Arabic-Indic, ...) and any other
// symbol. The one exception is the Brazilian "0xx" placeholder for the
// carrier selection code, as in "(0xx11) 3333-4444", which is skipped.
// Only the "+" and the digits are handed to phonenumbers, so its own
// leniency (letters, extensions, non-ASCII digits) never comes into play.
//
// Besides what phonenumbers understands for the default region (for Brazil:
// trunk prefix "0", carrier selection codes as in "0 21 11 99999-1234", the
// "00 XX" international prefix with a carrier code), Parse also reads:
//   - "00" followed by a country code as an international number
//     ("005511999991234"); phonenumbers alone expects a Brazilian carrier
//     code after "00" and would misread it;
//   - 12 or 13 digits without "+" starting with 55 as a Brazilian number in
//     international form ("5511999991234", the shape of WhatsApp ids).
//
// Numbers must pass phonenumbers.IsValidNumber (see Parse for why) and have
// at most the 15 digits E.164 allows.
//
// # The Brazilian ninth digit and Identity
//
// Since 2016 every Brazilian mobile has 9 digits starting with 9, but the old
// 8-digit form (+55 11 8765-4321 for +55 11 98765-4321) is still written
// and still exists as WhatsApp ids. Old mobile ranges started with 6-9 and
// landlines start with 2-5, so an 8-digit Brazilian subscriber number
// starting with 6, 7, 8 or 9 is unambiguously an old-form mobile. Parse
// prepends the 9 to those, so E164 is always the modern form; landlines are
// never touched. (This includes 8-digit numbers starting with 7, which the
// phonenumbers metadata still calls valid mobiles.) The rule cannot tell an
// old-form mobile from a modern one typed with a digit missing:
// "11 99999-123" is read as +55 11 99999-9123.
//
// Design decision: the identity key is the modern 9-digit E.164 itself, not
// "+55 + area + last 8 digits". Dropping the 9 would make the mobile
// +55 11 93333-4444 collide with the landline +55 11 3333-4444, because both
// would become +551133334444. Keeping the 9 has no such collision: a landline
// (2-5) can never gain a 9, and an old-form mobile and its 9-digit form map to
// the same string. Consequently Number.Identity == Number.E164 for every
// Number that Parse returns; the separate Identity function exists for stores
// that hold E.164 strings written before normalisation (old-form
// "+551187654321" gives "+5511987654321") and is a cheap string operation.
package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Number is a parsed, valid phone number.
type Number struct {
	E164     string // "+5511999991234"; Brazilian mobiles always in the 9-digit form
	Region   string // ISO 3166-1 alpha-2 of the number, e.g. "BR", "US", "PT"; "" for non-geographic numbers such as +800
	Identity string // duplicate-detection key; equals E164 for every Number returned by Parse (see the package doc)
}

// Errors returned by Parse. Test for them with errors.Is.
var (
	// ErrEmpty is returned for blank input: nothing but white space and
	// punctuation (an untouched input mask such as "(  )     -    ").
	ErrEmpty = errors.New("phone: empty")
	// ErrInvalid is returned for input that is not a valid phone number:
	// characters other than digits, spaces and punctuation, too few or too
	// many digits, unassigned ranges, or an unknown default region.
	ErrInvalid = errors.New("phone: not a valid phone number")
	// ErrTooLong is returned when the raw input is over 64 characters (runes).
	ErrTooLong = errors.New("phone: too long")
)

// maxInputLen is the longest raw input, in characters (runes), that Parse
// looks at; longer input yields ErrTooLong.
const maxInputLen = 64

// fallbackRegion is the region used by Parse when defaultRegion is "".
const fallbackRegion = "BR"

const (
	maxE164Digits = 15 // ITU-T E.164: at most 15 digits including the country code
	brCountryCode = 55
	nonGeoRegion  = "001" // phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY, a var
)

// Parse parses raw as typed by a person and returns the valid number it
// denotes. defaultRegion (ISO 3166-1 alpha-2, case-insensitive) is the region
// assumed for numbers written without a country code; "" means "BR".
//
// Validity is phonenumbers.IsValidNumber, not IsPossibleNumber: the latter
// checks only the length, so it accepts numbers in ranges that do not exist
// (area code 10, a Brazilian subscriber number starting with 1, ...), and a
// contacts store fed by people and webhooks would fill with junk that can
// never receive a WhatsApp message or an SMS. The price is that a range
// allocated after the metadata in phonenumbers was published is rejected
// until the library is upgraded. Old 8-digit Brazilian mobiles, which
// IsValidNumber rejects, are rewritten to the 9-digit form before the check.
func Parse(raw, defaultRegion string) (Number, error) {
	// A rune is at most 4 bytes, so over 4*maxInputLen bytes is surely too
	// long; the cheap test first bounds the work done on hostile input.
	if len(raw) > 4*maxInputLen || utf8.RuneCountInString(raw) > maxInputLen {
		return Number{}, ErrTooLong
	}
	region, err := normaliseRegion(defaultRegion)
	if err != nil {
		return Number{}, err
	}
	plus, digits, err := scan(raw)
	if err != nil {
		return Number{}, err
	}

	// Candidate readings of the digits, most specific first; the first one
	// that yields a valid number wins.
	if !plus {
		// "00" is the international prefix in Brazil and most of the world.
		// phonenumbers expects "00" + 2-digit carrier code for BR, so
		// "0055..." would be read as carrier 55 + country code 1; if the
		// "+" reading is not valid, the phonenumbers reading is still tried
		// below ("0021 1 415 555 2671": carrier 21, then +1).
		if len(digits) > 2 && digits[0] == '0' && digits[1] == '0' {
			if n, ok := parseValid("+"+digits[2:], region); ok {
				return n, nil
			}
		}
		// 55 + 2-digit area code + 8 or 9 digits without "+": WhatsApp ids
		// and numbers copied from them. A Brazilian national number has at
		// most 11 digits, so this cannot steal a national reading.
		if (len(digits) == 12 || len(digits) == 13) && digits[0] == '5' && digits[1] == '5' {
			if n, ok := parseValid("+"+digits, region); ok {
				return n, nil
			}
		}
	}
	s := digits
	if plus {
		s = "+" + digits
	}
	if n, ok := parseValid(s, region); ok {
		return n, nil
	}
	return Number{}, ErrInvalid
}

// Identity returns the identity key of e164, an already-normalised E.164
// number (as kept by stores): an old-form Brazilian mobile, "+55" + area code
// + 8 digits starting with 6-9, gets its ninth digit, "+5511" + "9" +
// "87654321"; everything else, including non-Brazilian numbers, Brazilian
// landlines and modern mobiles, is returned unchanged. It does no validation.
func Identity(e164 string) string {
	if !isOldBrazilianMobile(e164) {
		return e164
	}
	return e164[:5] + "9" + e164[5:]
}

// Digits returns just the ASCII digits of raw, in order ("" if none).
func Digits(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		// ASCII bytes never occur inside a multi-byte UTF-8 sequence.
		if c := raw[i]; '0' <= c && c <= '9' {
			if b.Len() == 0 {
				b.Grow(len(raw) - i)
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// isOldBrazilianMobile reports whether s is "+55", an area code of two
// digits 1-9 (no Brazilian area code has a 0) and an 8-digit subscriber
// number starting with 6, 7, 8 or 9.
func isOldBrazilianMobile(s string) bool {
	if len(s) != len("+55AA87654321") || s[:3] != "+55" {
		return false
	}
	for i := 3; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s[3] != '0' && s[4] != '0' && s[5] >= '6'
}

// normaliseRegion upper-cases r, defaults it to fallbackRegion and checks
// that phonenumbers knows it. An unknown region is a configuration error,
// reported as a wrapped ErrInvalid whatever the number.
func normaliseRegion(r string) (string, error) {
	if r == "" {
		return fallbackRegion, nil
	}
	u := strings.ToUpper(r)
	if !phonenumbers.GetSupportedRegions()[u] {
		return "", fmt.Errorf("%w: unknown default region %q", ErrInvalid, r)
	}
	return u, nil
}

// scan checks that raw contains only what a person types in a phone number
// and returns whether it had a leading "+" and its ASCII digits.
func scan(raw string) (plus bool, digits string, err error) {
	var buf [maxInputLen]byte // raw has at most maxInputLen runes
	d := buf[:0]
	sawXX := false
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRuneInString(raw[i:])
		switch {
		case '0' <= r && r <= '9':
			d = append(d, byte(r))
		case r == '+':
			// One "+", before any digit ("(+55) 11 ..." is fine).
			if plus || len(d) > 0 {
				return false, "", ErrInvalid
			}
			plus = true
		case isSeparator(r):
		case (r == 'x' || r == 'X') && !plus && !sawXX && len(d) == 1 && d[0] == '0' &&
			i+1 < len(raw) && (raw[i+1] == 'x' || raw[i+1] == 'X'):
			// "0xx11 3333-4444": trunk prefix 0 and a placeholder for the
			// carrier selection code; drop the placeholder.
			sawXX = true
			size = 2
		default:
			return false, "", ErrInvalid
		}
		i += size
	}
	if len(d) == 0 {
		if plus || sawXX {
			return false, "", ErrInvalid
		}
		return false, "", ErrEmpty
	}
	return plus, string(d), nil
}

// isSeparator reports whether r is white space or punctuation people put
// between the digits of a phone number.
func isSeparator(r rune) bool {
	switch r {
	case '-', '.', '(', ')', '/',
		'\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212': // hyphens, dashes, minus sign
		return true
	}
	return unicode.IsSpace(r)
}

// parseValid parses s ("+" and ASCII digits, or digits only) with
// phonenumbers, applies the Brazilian ninth digit and reports whether the
// result is a valid number.
func parseValid(s, region string) (Number, bool) {
	pn, err := phonenumbers.Parse(s, region)
	if err != nil {
		return Number{}, false
	}
	addBrazilianNinthDigit(pn)
	if !phonenumbers.IsValidNumber(pn) {
		return Number{}, false
	}
	e164 := phonenumbers.Format(pn, phonenumbers.E164)
	if len(e164) > 1+maxE164Digits {
		// phonenumbers' metadata accepts some longer German numbers
		// (+49 201 00000000000), which E.164 itself does not allow.
		return Number{}, false
	}
	reg := phonenumbers.GetRegionCodeForNumber(pn)
	if reg == nonGeoRegion || len(reg) != 2 {
		reg = ""
	}
	return Number{E164: e164, Region: reg, Identity: Identity(e164)}, true
}

// addBrazilianNinthDigit rewrites an old-form Brazilian mobile (2-digit area
// code without zeros + 8 digits starting with 6-9) to the 9-digit form. The
// arithmetic mirrors isOldBrazilianMobile on the E.164 string.
func addBrazilianNinthDigit(pn *phonenumbers.PhoneNumber) {
	if pn.GetCountryCode() != brCountryCode {
		return
	}
	nsn := pn.GetNationalNumber()
	if nsn < 1e9 || nsn >= 1e10 { // not area code + 8 digits
		return
	}
	area, sub := nsn/1e8, nsn%1e8
	if area%10 == 0 || sub/1e7 < 6 {
		return
	}
	modern := area*1e9 + 9e8 + sub
	pn.NationalNumber = &modern
}
