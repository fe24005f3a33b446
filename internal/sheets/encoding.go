package sheets

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// The text encodings a CSV file is read in, as Reader.Encoding reports them.
const (
	EncodingUTF8        = "utf-8"        // with or without a BOM
	EncodingWindows1252 = "windows-1252" // Excel's "CSV (separado por vírgulas)" on Brazilian Windows
	EncodingUTF16       = "utf-16"       // Excel's "Texto Unicode", with a BOM
)

// sniffWindow is how many bytes are looked at to decide the encoding and the
// delimiter.
const sniffWindow = 64 << 10

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decodeText returns UTF-8 text read from br and the encoding it was in:
// UTF-8 when it starts with a UTF-8 BOM (which is dropped), UTF-16 when it
// starts with a UTF-16 BOM, and otherwise UTF-8 or Windows-1252, decided at
// the first non-ASCII byte (see autoDecoder). Binary data (a NUL byte near
// the start of a file that is not UTF-16) is ErrUnreadable.
func decodeText(br *bufio.Reader) (io.Reader, func() string, error) {
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		_, _ = br.Discard(3)
		return br, func() string { return EncodingUTF8 }, nil
	case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(br, dec), func() string { return EncodingUTF16 }, nil
	}
	window, _ := br.Peek(min(br.Size(), 4096))
	if bytes.IndexByte(window, 0) >= 0 {
		return nil, nil, ErrUnreadable
	}
	d := &autoDecoder{br: br}
	return d, d.encoding, nil
}

// autoDecoder passes ASCII through until the first non-ASCII byte, and there
// decides once between UTF-8 and Windows-1252 from the bytes buffered from
// there on (see looksUTF8). Everything before was ASCII, which both
// encodings read alike, so the decision loses nothing, and the whole file
// need not be read first.
type autoDecoder struct {
	br      *bufio.Reader
	decided io.Reader // nil while only ASCII was seen
	enc     string
}

func (d *autoDecoder) encoding() string {
	if d.enc == "" {
		return EncodingUTF8
	}
	return d.enc
}

func (d *autoDecoder) Read(p []byte) (int, error) {
	if d.decided != nil {
		return d.decided.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if d.br.Buffered() == 0 {
		if _, err := d.br.Peek(1); err != nil {
			return 0, err
		}
	}
	buf, _ := d.br.Peek(d.br.Buffered())
	i := 0
	for i < len(buf) && buf[i] < utf8.RuneSelf {
		i++
	}
	if i > 0 {
		n := copy(p, buf[:i])
		_, _ = d.br.Discard(n)
		return n, nil
	}
	window, _ := d.br.Peek(d.br.Size())
	if looksUTF8(window) {
		d.decided, d.enc = d.br, EncodingUTF8
	} else {
		d.decided, d.enc = charmap.Windows1252.NewDecoder().Reader(d.br), EncodingWindows1252
	}
	return d.decided.Read(p)
}

// looksUTF8 reports whether w, which starts with a non-ASCII byte, is
// UTF-8 rather than Windows-1252: it starts with a valid multi-byte
// character, and its valid multi-byte characters are at least as many as
// its invalid bytes (a character cut at the end of w not counted). In
// Windows-1252 text an accented letter is one byte ≥ 0x80 followed by
// ASCII, which is never valid UTF-8, so a few stray bytes in a UTF-8 file
// do not turn its accents into mojibake.
func looksUTF8(w []byte) bool {
	if r, _ := utf8.DecodeRune(w); r == utf8.RuneError {
		return false
	}
	valid, invalid := 0, 0
	for i := 0; i < len(w); {
		if w[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(w[i:]) {
			break
		}
		r, size := utf8.DecodeRune(w[i:])
		if r == utf8.RuneError {
			invalid++
		} else {
			valid++
		}
		i += size
	}
	return valid >= invalid
}
