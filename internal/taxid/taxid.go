// Package taxid parses and validates Brazilian tax ids: CPF (individuals)
// and CNPJ (companies), including the alphanumeric CNPJ issued from July 2026.
package taxid

import (
	"errors"
	"strings"
)

// Kind tells which kind of tax id an ID is.
type Kind string

// The kinds of tax id.
const (
	CPF  Kind = "cpf"
	CNPJ Kind = "cnpj"
)

// ID is a verified tax id in canonical form.
type ID struct {
	Kind  Kind
	Value string // canonical: 11 digits (CPF) or 14 uppercase chars (CNPJ), no punctuation
}

// Errors returned by Parse. They do not include the input, which is personal data.
var (
	ErrFormat      = errors.New("taxid: not a CPF or CNPJ")           // wrong length, wrong characters
	ErrCheckDigits = errors.New("taxid: check digits do not match")   // a typo, most likely
	ErrRepeated    = errors.New("taxid: all characters are the same") // e.g. 000.000.000-00, whose check digits compute
)

const (
	maxRawLen = 32 // longest accepted input, before cleaning
	cpfLen    = 11
	cnpjLen   = 14
)

// Parse reads a CPF or CNPJ as people type it: surrounding whitespace is
// trimmed, spaces, dots, dashes and slashes are ignored, and lowercase
// letters are upcased. Eleven remaining characters make a CPF (digits only),
// fourteen a CNPJ (letters or digits, except the two numeric check digits).
func Parse(raw string) (ID, error) {
	if len(raw) > maxRawLen {
		return ID{}, ErrFormat
	}
	raw = strings.TrimSpace(raw)
	buf := make([]byte, 0, cnpjLen)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == ' ' || c == '.' || c == '-' || c == '/':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case '0' <= c && c <= '9', 'A' <= c && c <= 'Z':
		default:
			return ID{}, ErrFormat
		}
		if len(buf) == cnpjLen {
			return ID{}, ErrFormat
		}
		buf = append(buf, c)
	}
	v := string(buf)

	var id ID
	var maxWeight int
	switch len(v) {
	case cpfLen:
		if !allDigits(v) {
			return ID{}, ErrFormat
		}
		id, maxWeight = ID{Kind: CPF, Value: v}, 11
	case cnpjLen:
		if !allDigits(v[12:]) {
			return ID{}, ErrFormat
		}
		id, maxWeight = ID{Kind: CNPJ, Value: v}, 9
	default:
		return ID{}, ErrFormat
	}

	if strings.Count(v, v[:1]) == len(v) {
		return ID{}, ErrRepeated
	}
	n := len(v)
	d1 := checkDigit(v[:n-2], maxWeight)
	d2 := checkDigit(v[:n-1], maxWeight)
	if v[n-2] != d1 || v[n-1] != d2 {
		return ID{}, ErrCheckDigits
	}
	return id, nil
}

// checkDigit computes the mod-11 check digit of s. Each character is worth
// its ASCII code minus 48 ('0'..'9' = 0..9, 'A' = 17 ... 'Z' = 42). Weights
// run 2, 3, 4, ... from the rightmost character, wrapping back to 2 after
// maxWeight (9 for CNPJ; CPFs are short enough never to wrap at 11).
func checkDigit(s string, maxWeight int) byte {
	sum, w := 0, 2
	for i := len(s) - 1; i >= 0; i-- {
		sum += int(s[i]-'0') * w
		if w++; w > maxWeight {
			w = 2
		}
	}
	r := sum % 11
	if r < 2 {
		return '0'
	}
	return byte('0' + 11 - r)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Formatted returns the id punctuated the usual way: 000.000.000-00 for a
// CPF, 00.000.000/0000-00 for a CNPJ (alphanumeric ones alike, e.g.
// 12.ABC.345/01DE-35). An ID not produced by Parse is returned as is.
func (id ID) Formatted() string {
	v := id.Value
	switch {
	case id.Kind == CPF && len(v) == cpfLen:
		return v[0:3] + "." + v[3:6] + "." + v[6:9] + "-" + v[9:11]
	case id.Kind == CNPJ && len(v) == cnpjLen:
		return v[0:2] + "." + v[2:5] + "." + v[5:8] + "/" + v[8:12] + "-" + v[12:14]
	}
	return v
}

// String returns the canonical Value, without punctuation.
func (id ID) String() string {
	return id.Value
}
