// Package cursor encodes page cursors as opaque, authenticated tokens:
// clients can pass them back but cannot forge or alter one, reuse one in
// another workspace or for another kind of list, or use one after it expires.
//
// A token is base64url (no padding) of
//
//	version (1 byte) | expiry (8 bytes, big-endian unix seconds, 0 = none) | payload | MAC (32 bytes)
//
// where MAC is HMAC-SHA256 over
//
//	version | len(workspace) | workspace | len(scope) | scope | expiry | payload
//
// with the lengths as uvarints, so that no two (workspace, scope) pairs give
// the same MAC input. Workspace and scope are bound by the MAC but not
// carried in the token. The payload is authenticated, not encrypted: a
// client can read it.
//
// Keys rotate: a Codec signs with its current key and also accepts tokens
// signed with the previous keys it was given, so cursors handed out just
// before a rotation keep working.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// ErrInvalid is returned by Decode for any token it does not accept: bad
// base64, wrong length or version, a MAC that does not match (altered or
// forged, or made for another workspace, scope or key), or an expired one.
var ErrInvalid = errors.New("cursor: invalid")

// MinKeyLen is the shortest key New accepts, in bytes.
const MinKeyLen = 32

// MaxTokenLen is the longest token Decode accepts, in characters.
const MaxTokenLen = 4096

const (
	version   = 1
	headerLen = 1 + 8 // version, expiry
	macLen    = sha256.Size
	overhead  = headerLen + macLen
	maxRawLen = MaxTokenLen * 3 / 4 // bytes that base64 of MaxTokenLen characters holds
)

// MaxPayload is the longest payload Encode accepts, in bytes: the most whose
// token fits in MaxTokenLen characters.
const MaxPayload = maxRawLen - overhead

var encoding = base64.RawURLEncoding.Strict()

// Codec signs and verifies cursors with secret keys. It is safe for
// concurrent use.
type Codec struct {
	keys [][]byte         // keys[0] signs; every key verifies
	now  func() time.Time // the clock; tests replace it
}

// New returns a Codec that signs with key and verifies with key or any of
// previous (the keys of before a rotation). Each must be at least MinKeyLen
// bytes of secret random data. The keys are copied.
func New(key []byte, previous ...[]byte) (*Codec, error) {
	c := &Codec{now: time.Now}
	for i, k := range append([][]byte{key}, previous...) {
		if len(k) < MinKeyLen {
			if i == 0 {
				return nil, fmt.Errorf("cursor: key is %d bytes, need at least %d", len(k), MinKeyLen)
			}
			return nil, fmt.Errorf("cursor: previous key %d is %d bytes, need at least %d", i, len(k), MinKeyLen)
		}
		c.keys = append(c.keys, append([]byte(nil), k...))
	}
	return c, nil
}

// Encode returns a URL-safe token (base64url without padding) binding payload
// to workspace and scope (the kind of list, such as "contacts:name"). If ttl
// > 0 the token expires ttl after now, rounded up to the next second;
// otherwise it does not expire.
//
// Encode panics if payload is longer than MaxPayload bytes: cursors hold a
// few keys, so a longer payload is a programming error, and a token Decode
// would reject could only fail later, in a client's next request.
func (c *Codec) Encode(workspace, scope string, payload []byte, ttl time.Duration) string {
	if len(payload) > MaxPayload {
		panic(fmt.Sprintf("cursor: payload of %d bytes, at most %d", len(payload), MaxPayload))
	}
	var exp uint64
	if ttl > 0 {
		t := c.now().Add(ttl)
		exp = uint64(t.Unix())
		if t.Nanosecond() > 0 {
			exp++
		}
	}
	return c.encode(workspace, scope, payload, exp)
}

// encode returns the token of payload with expiry exp.
func (c *Codec) encode(workspace, scope string, payload []byte, exp uint64) string {
	raw := make([]byte, headerLen, overhead+len(payload))
	raw[0] = version
	binary.BigEndian.PutUint64(raw[1:headerLen], exp)
	raw = append(raw, payload...)
	raw = append(raw, mac(c.keys[0], workspace, scope, raw)...)
	return encoding.EncodeToString(raw)
}

// Decode verifies token and returns its payload. Any problem, including
// expiry, gives ErrInvalid itself (not wrapped) and a nil payload.
func (c *Codec) Decode(workspace, scope, token string) ([]byte, error) {
	// Only the 64 alphabet characters: the base64 decoder would skip
	// newlines, so "a\nb" would decode like "ab".
	if len(token) > MaxTokenLen || !validChars(token) {
		return nil, ErrInvalid
	}
	raw, err := encoding.DecodeString(token)
	if err != nil || len(raw) < overhead || raw[0] != version {
		return nil, ErrInvalid
	}
	body, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !c.signed(sum, workspace, scope, body) {
		return nil, ErrInvalid
	}
	exp := binary.BigEndian.Uint64(body[1:headerLen])
	if exp != 0 && !c.now().Before(time.Unix(int64(min(exp, 1<<62)), 0)) {
		return nil, ErrInvalid
	}
	return body[headerLen:], nil
}

// signed reports whether sum is the MAC of body under one of the keys.
func (c *Codec) signed(sum []byte, workspace, scope string, body []byte) bool {
	for _, k := range c.keys {
		if hmac.Equal(sum, mac(k, workspace, scope, body)) {
			return true
		}
	}
	return false
}

// mac returns the MAC under key of body (a token without its MAC) for
// workspace and scope.
func mac(key []byte, workspace, scope string, body []byte) []byte {
	buf := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(workspace)+len(scope)+len(body))
	buf = append(buf, body[0])
	buf = binary.AppendUvarint(buf, uint64(len(workspace)))
	buf = append(buf, workspace...)
	buf = binary.AppendUvarint(buf, uint64(len(scope)))
	buf = append(buf, scope...)
	buf = append(buf, body[1:]...)
	m := hmac.New(sha256.New, key)
	m.Write(buf)
	return m.Sum(nil)
}

func validChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
