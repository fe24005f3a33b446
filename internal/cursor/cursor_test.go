package cursor

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func newCodec(t testing.TB, seed byte) *Codec {
	t.Helper()
	c, err := New(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return t0 }
	return c
}

func TestNewKeyLength(t *testing.T) {
	if _, err := New(make([]byte, 31)); err == nil {
		t.Error("New accepted a 31-byte key")
	}
	if _, err := New(nil); err == nil {
		t.Error("New accepted a nil key")
	}
	key := bytes.Repeat([]byte{7}, 32)
	c, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	tok := c.Encode("ws", "s", []byte("p"), 0)
	key[0] = 8 // New copied the key
	if _, err := c.Decode("ws", "s", tok); err != nil {
		t.Errorf("Decode after changing the caller's key slice: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	c := newCodec(t, 1)
	for _, p := range [][]byte{nil, {}, []byte("x"), []byte(`{"pk":"W#1#L#A#3","sk":"N#joao#01J"}`), {0, 0xff, '#'}, bytes.Repeat([]byte{0xab}, MaxPayload)} {
		for _, ttl := range []time.Duration{0, -time.Second, time.Nanosecond, time.Hour} {
			tok := c.Encode("ws_1", "contacts:name", p, ttl)
			if len(tok) > MaxTokenLen || strings.Trim(tok, alphabet) != "" {
				t.Fatalf("token of %d chars not URL-safe or too long", len(tok))
			}
			got, err := c.Decode("ws_1", "contacts:name", tok)
			if err != nil || !bytes.Equal(got, p) {
				t.Errorf("Decode(Encode(%q, ttl %v)) = %q, %v", p, ttl, got, err)
			}
		}
	}
}

func TestEncodePanicsOnLongPayload(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	newCodec(t, 1).Encode("ws", "s", make([]byte, MaxPayload+1), 0)
}

func TestExpiry(t *testing.T) {
	c := newCodec(t, 1)
	tok := c.Encode("ws", "s", []byte("p"), 90*time.Second)
	tests := []struct {
		at time.Time
		ok bool
	}{
		{t0, true},
		{t0.Add(-time.Hour), true},
		{t0.Add(90*time.Second - time.Nanosecond), true},
		{t0.Add(90 * time.Second), false},
		{t0.Add(24 * time.Hour), false},
	}
	for _, tt := range tests {
		c.now = func() time.Time { return tt.at }
		_, err := c.Decode("ws", "s", tok)
		if (err == nil) != tt.ok {
			t.Errorf("at %v: err = %v, want ok %v", tt.at.Sub(t0), err, tt.ok)
		}
	}

	// A sub-second ttl is rounded up, not down to an expired token.
	c.now = func() time.Time { return t0.Add(100 * time.Millisecond) }
	tok = c.Encode("ws", "s", nil, 500*time.Millisecond)
	if _, err := c.Decode("ws", "s", tok); err != nil {
		t.Errorf("500ms token rejected at once: %v", err)
	}
	c.now = func() time.Time { return t0.Add(time.Second) }
	if _, err := c.Decode("ws", "s", tok); err != ErrInvalid {
		t.Errorf("500ms token accepted 900ms later: %v", err)
	}

	// Without ttl a token never expires.
	c.now = func() time.Time { return t0 }
	tok = c.Encode("ws", "s", nil, 0)
	c.now = func() time.Time { return t0.AddDate(100, 0, 0) }
	if _, err := c.Decode("ws", "s", tok); err != nil {
		t.Errorf("token without ttl: %v", err)
	}
}

func TestBinding(t *testing.T) {
	c := newCodec(t, 1)
	tok := c.Encode("ab", "c", []byte("p"), time.Hour)
	for _, tt := range []struct{ ws, scope string }{
		{"a", "bc"}, // the lengths keep the pairs apart
		{"abc", ""},
		{"ab", "c2"},
		{"AB", "c"},
		{"other", "c"},
		{"ab", "contacts:name"},
		{"", ""},
	} {
		if p, err := c.Decode(tt.ws, tt.scope, tok); err != ErrInvalid || p != nil {
			t.Errorf("Decode(%q, %q) = %q, %v; want ErrInvalid", tt.ws, tt.scope, p, err)
		}
	}
	if _, err := newCodec(t, 2).Decode("ab", "c", tok); err != ErrInvalid {
		t.Errorf("other key: %v", err)
	}
}

func TestEveryChange(t *testing.T) {
	c := newCodec(t, 1)
	for _, tok := range []string{
		c.Encode("ws", "contacts:name", []byte("page-2"), 0),
		c.Encode("ws", "contacts:name", nil, time.Hour),
		c.Encode("ws", "contacts:name", []byte("xy"), time.Hour), // len % 3 == 2: trailing bits
		c.Encode("ws", "contacts:name", []byte("x"), time.Hour),  // len % 3 == 1
	} {
		if _, err := c.Decode("ws", "contacts:name", tok); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(tok); i++ {
			for b := 0; b < 256; b++ {
				if byte(b) == tok[i] {
					continue
				}
				bad := tok[:i] + string([]byte{byte(b)}) + tok[i+1:]
				if p, err := c.Decode("ws", "contacts:name", bad); err != ErrInvalid || p != nil {
					t.Fatalf("byte %d of %q changed to %#x: %q, %v", i, tok, b, p, err)
				}
			}
		}
		for n := 0; n < len(tok); n++ {
			if _, err := c.Decode("ws", "contacts:name", tok[:n]); err != ErrInvalid {
				t.Fatalf("truncated to %d: %v", n, err)
			}
			if _, err := c.Decode("ws", "contacts:name", tok[len(tok)-n:]); err != ErrInvalid {
				t.Fatalf("first %d chars cut: %v", len(tok)-n, err)
			}
		}
		for _, extra := range []string{"A", "=", "==", "\n", "\r\n", " "} {
			for _, bad := range []string{tok + extra, extra + tok, tok[:5] + extra + tok[5:]} {
				if _, err := c.Decode("ws", "contacts:name", bad); err != ErrInvalid {
					t.Fatalf("%q: %v", bad, err)
				}
			}
		}
	}
}

func TestGarbage(t *testing.T) {
	c := newCodec(t, 1)
	long := c.Encode("ws", "s", make([]byte, MaxPayload), 0)
	if len(long) > MaxTokenLen {
		t.Fatalf("largest token has %d chars", len(long))
	}
	raw, _ := base64.RawURLEncoding.DecodeString(c.Encode("ws", "s", []byte("pq"), 0)) // 43 bytes: padded base64 has "="
	v2 := append([]byte{2}, raw[1:]...)
	for _, s := range []string{
		"", "A", "AA", "AAAA", "====", "!!!!", "null", "%41%41",
		strings.Repeat("A", 100), strings.Repeat("A", MaxTokenLen+4), long + "AAAA",
		base64.RawURLEncoding.EncodeToString(make([]byte, overhead)),
		base64.RawURLEncoding.EncodeToString(v2), // other version
		base64.URLEncoding.EncodeToString(raw),   // padded
	} {
		if p, err := c.Decode("ws", "s", s); err != ErrInvalid || p != nil {
			t.Errorf("Decode(%.40q) = %q, %v", s, p, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	c := newCodec(f, 1)
	for _, tok := range []string{
		c.Encode("ws", "scope", nil, 0),
		c.Encode("ws", "scope", []byte("payload"), time.Hour),
		c.Encode("ws", "scope", []byte{0, 1, 2, 0xff}, -1),
		c.Encode("ws", "other", []byte("x"), 0),
		"", "AAAA", "AQAAAAAAAAAA",
	} {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := c.Decode("ws", "scope", tok)
		if err != nil {
			if err != ErrInvalid || p != nil {
				t.Fatalf("Decode(%q) = %q, %v", tok, p, err)
			}
			return
		}
		// Accepted: it must be exactly a token Encode produces.
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		exp := binary.BigEndian.Uint64(raw[1:headerLen])
		if want := c.encode("ws", "scope", p, exp); tok != want {
			t.Fatalf("Decode accepted %q, which Encode does not produce (%q)", tok, want)
		}
	})
}

// TestRotation: a codec given the previous key accepts the tokens signed
// before the rotation and signs new ones with the current key only, which a
// codec that knows only the old key refuses.
func TestRotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	before := newCodec(t, 1)
	after, err := New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	after.now = before.now
	oldTok := before.Encode("ws", "s", []byte("p"), 0)
	if got, err := after.Decode("ws", "s", oldTok); err != nil || string(got) != "p" {
		t.Errorf("rotated codec Decode(token of the previous key) = %q, %v; want \"p\", nil", got, err)
	}
	if _, err := after.Decode("other", "s", oldTok); err != ErrInvalid {
		t.Errorf("rotated codec Decode(previous key's token, another workspace) = %v, want ErrInvalid", err)
	}
	newTok := after.Encode("ws", "s", []byte("p"), 0)
	if _, err := before.Decode("ws", "s", newTok); err != ErrInvalid {
		t.Errorf("codec of the previous key Decode(new token) = %v, want ErrInvalid: new tokens must be signed with the new key", err)
	}
	onlyNew, err := New(newKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := onlyNew.Decode("ws", "s", newTok); err != nil {
		t.Errorf("codec of the new key alone Decode(new token) = %v, want nil", err)
	}
	if _, err := onlyNew.Decode("ws", "s", oldTok); err != ErrInvalid {
		t.Errorf("codec without the previous key Decode(old token) = %v, want ErrInvalid", err)
	}
}

func TestNewPreviousKeyLength(t *testing.T) {
	if _, err := New(bytes.Repeat([]byte{1}, 32), make([]byte, 31)); err == nil {
		t.Error("New accepted a 31-byte previous key")
	}
}
