// Package ids makes the identifiers of the service's entities: 26 characters
// of lowercase Crockford base32, a millisecond timestamp followed by 80 random
// bits (the ULID layout), so ids sort by creation time.
package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"regexp"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

var pattern = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{26}$`)

// New returns a new id for the given time.
func New(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails on supported platforms
	// 128 bits → 26 base32 characters; the first character holds the top 3 bits.
	var out [26]byte
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// Valid reports whether s has the form of an id made by New.
func Valid(s string) bool { return pattern.MatchString(s) }

// Derived returns the id of time t whose random part is derived from seed:
// the same (t, seed) always gives the same id, so a retried import row
// creates its contact once.
func Derived(t time.Time, seed string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	sum := sha256.Sum256([]byte(seed))
	copy(b[6:], sum[:10])
	var out [26]byte
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}
