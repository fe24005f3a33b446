package sheets

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// maxXMLRun returns the longest run of XML, text between two tags or one
// tag, that a part may have: enough for a cell of MaxCellRunes characters
// each written as a 10-byte character reference, plus 64 KiB.
func maxXMLRun(l Limits) int64 { return 10*int64(l.MaxCellRunes) + 64<<10 }

// shortBytes keeps the first bytes of a name or a value: enough to compare
// it with the short names the checks look for.
type shortBytes struct {
	b    [20]byte
	n    int
	long bool // more bytes than kept
}

func (s *shortBytes) add(c byte) {
	if s.n == len(s.b) {
		s.long = true
		return
	}
	s.b[s.n] = c
	s.n++
}

// addName adds a byte of a qualified name, keeping its local part: what
// follows the first colon, as encoding/xml splits it.
func (s *shortBytes) addName(c byte, colon *bool) {
	if c == ':' && !*colon {
		*colon = true
		*s = shortBytes{}
		return
	}
	s.add(c)
}

func (s *shortBytes) is(v string) bool { return !s.long && string(s.b[:s.n]) == v }

// has reports whether the kept bytes contain c.
func (s *shortBytes) has(c byte) bool { return bytes.IndexByte(s.b[:s.n], c) >= 0 }

// xmlTag is a start, end or empty-element tag as xmlScanner reads it.
type xmlTag struct {
	end, empty bool       // an end tag; an empty-element tag (a start and its end)
	name       shortBytes // local name
	attrs      int        // how many attributes it has
	t, r       shortBytes // the values of its attributes named t and r, if any
	hasT       bool
}

// xmlEvents receives what xmlScanner reads. depth counts the elements open
// around the event (the tag's own element included for a start tag).
type xmlEvents interface {
	tag(t *xmlTag, depth int) error
	text(b []byte)
	opaque() // a CDATA section: character data not handed over
}

// xmlScanner reads a part's XML once, as encoding/xml would tokenize it,
// without building anything: tags (with the attributes t and r), text and
// the rest of the markup. It fails at the first run (text between tags, or
// one piece of markup) longer than maxRun, at elements nested deeper than
// maxXMLDepth (encoding/xml keeps a stack entry per open element), and at
// an XML declaration of another encoding than UTF-8 (encoding/xml would
// switch to it, and the bytes read here would no longer be its markup).
type xmlScanner struct {
	br     *bufio.Reader
	maxRun int64
	on     xmlEvents
	pos    int64 // bytes read
	start  int64 // where the current markup starts (its '<')
	depth  int
	run    int64 // bytes of the current markup
	tag    xmlTag
}

func newXMLScanner(r io.Reader, maxRun int64, on xmlEvents) *xmlScanner {
	return &xmlScanner{br: bufio.NewReaderSize(r, 64<<10), maxRun: maxRun, on: on}
}

// scan reads the part to its end. A part cut short ends the scan quietly:
// encoding/xml reports it.
func (s *xmlScanner) scan() error {
	for {
		if err := s.text(); err != nil {
			return eofIsEnd(err)
		}
		if err := s.markup(); err != nil {
			return eofIsEnd(err)
		}
	}
}

func eofIsEnd(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// text reads character data up to the next '<', which it leaves unread.
func (s *xmlScanner) text() error {
	var run int64
	for {
		if _, err := s.br.Peek(1); err != nil {
			return err
		}
		buf, _ := s.br.Peek(s.br.Buffered())
		i := bytes.IndexByte(buf, '<')
		if i < 0 {
			i = len(buf)
		}
		if i > 0 {
			s.on.text(buf[:i])
		}
		_, _ = s.br.Discard(i)
		s.pos += int64(i)
		if run += int64(i); run > s.maxRun {
			return limitErr(ErrUnzippedTooLarge, s.maxRun, 0, 0)
		}
		if i < len(buf) {
			return nil
		}
	}
}

// next reads one byte of markup.
func (s *xmlScanner) next() (byte, error) {
	b, err := s.br.ReadByte()
	if err != nil {
		return 0, err
	}
	s.pos++
	if s.run++; s.run > s.maxRun {
		return 0, limitErr(ErrUnzippedTooLarge, s.maxRun, 0, 0)
	}
	return b, nil
}

// markup reads the markup that starts at the next byte, a '<'.
func (s *xmlScanner) markup() error {
	s.run, s.start = 0, s.pos
	if _, err := s.next(); err != nil {
		return err
	}
	head, _ := s.br.Peek(8)
	switch {
	case bytes.HasPrefix(head, []byte("!--")):
		return s.skipTo("-->")
	case bytes.HasPrefix(head, []byte("![CDATA[")):
		s.on.opaque()
		return s.skipTo("]]>")
	case bytes.HasPrefix(head, []byte("?")):
		return s.instruction()
	case bytes.HasPrefix(head, []byte("!")):
		return s.skipMarkup()
	}
	s.tag = xmlTag{}
	if err := s.readTag(&s.tag); err != nil {
		return err
	}
	if !s.tag.end {
		if s.depth++; s.depth > maxXMLDepth {
			return ErrUnreadable
		}
	}
	err := s.on.tag(&s.tag, s.depth)
	if s.tag.end || s.tag.empty {
		s.depth = max(s.depth-1, 0)
	}
	return err
}

// skipTo reads up to and including end.
func (s *xmlScanner) skipTo(end string) error {
	var last [3]byte
	for n := 0; ; n++ {
		b, err := s.next()
		if err != nil {
			return err
		}
		last = [3]byte{last[1], last[2], b}
		if n >= len(end) && string(last[3-len(end):]) == end {
			return nil
		}
	}
}

// instruction reads a processing instruction, refusing an XML declaration
// of an encoding other than UTF-8.
func (s *xmlScanner) instruction() error {
	var body []byte
	var last byte
	for {
		b, err := s.next()
		if err != nil {
			return err
		}
		if last == '?' && b == '>' {
			break
		}
		if len(body) < 512 {
			body = append(body, b)
		}
		last = b
	}
	target, rest, _ := strings.Cut(string(body[1:]), " ")
	if target != "xml" {
		return nil
	}
	if len(body) >= 512 {
		return ErrUnreadable
	}
	enc := declaredEncoding(rest)
	if enc != "" && !strings.EqualFold(enc, "utf-8") {
		return ErrUnreadable
	}
	return nil
}

// declaredEncoding returns the encoding named in the body of an XML
// declaration, or "".
func declaredEncoding(decl string) string {
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return ""
	}
	v := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	v, ok := strings.CutPrefix(v, "=")
	if !ok {
		return ""
	}
	v = strings.TrimLeft(v, " \t\r\n")
	if v == "" || (v[0] != '"' && v[0] != '\'') {
		return v
	}
	if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
		return v[1 : 1+end]
	}
	return v
}

// skipMarkup reads up to the '>' that closes the markup being read, past
// quoted strings and nested markup, which may hold '>': a directive such as
// <!DOCTYPE a [ ... ]>, or the rest of a tag encoding/xml would refuse.
func (s *xmlScanner) skipMarkup() error {
	var quote byte
	depth := 1
	for {
		b, err := s.next()
		if err != nil {
			return err
		}
		switch {
		case quote != 0:
			if b == quote {
				quote = 0
			}
		case b == '"' || b == '\'':
			quote = b
		case b == '<':
			depth++
		case b == '>':
			if depth--; depth == 0 {
				return nil
			}
		}
	}
}

// valueOf counts an attribute of t and returns where to keep its value:
// the value of t or r, nil for the others. A repeated attribute replaces
// the value, as in excelize.
func (t *xmlTag) valueOf(attr *shortBytes) *shortBytes {
	t.attrs++
	switch {
	case attr.is("t"):
		t.t, t.hasT = shortBytes{}, true
		return &t.t
	case attr.is("r"):
		t.r = shortBytes{}
		return &t.r
	}
	return nil
}

// tagState is where readTag is in a tag.
type tagState uint8

const (
	inName tagState = iota
	beforeAttr
	inAttrName
	beforeEquals
	beforeValue
	inValue
	afterSlash
)

// readTag reads a start, end or empty-element tag after its '<'. A tag
// encoding/xml would refuse is skipped to its '>' (skipMarkup): excelize
// stops reading a part at its first syntax error, so what follows does not
// count.
func (s *xmlScanner) readTag(t *xmlTag) error {
	if head, _ := s.br.Peek(1); len(head) == 1 && head[0] == '/' {
		t.end = true
		_, _ = s.next()
	}
	state, colon := inName, false
	var attr shortBytes
	var value *shortBytes
	var quote byte
	for {
		b, err := s.next()
		if err != nil {
			return err
		}
		space := b == ' ' || b == '\t' || b == '\n' || b == '\r'
		switch state {
		case inName, beforeAttr:
			switch {
			case b == '>':
				return nil
			case b == '/':
				state = afterSlash
			case space:
				state = beforeAttr
			case state == inName:
				t.name.addName(b, &colon)
			default:
				state, attr, colon = inAttrName, shortBytes{}, false
				attr.addName(b, &colon)
			}
		case inAttrName, beforeEquals:
			switch {
			case b == '=':
				state = beforeValue
			case space:
				state = beforeEquals
			case state == inAttrName:
				attr.addName(b, &colon)
			default:
				return s.skipMarkup()
			}
		case beforeValue:
			switch {
			case b == '"' || b == '\'':
				state, quote, value = inValue, b, t.valueOf(&attr)
			case !space:
				return s.skipMarkup()
			}
		case inValue:
			if b == quote {
				state, quote = beforeAttr, 0
			} else if value != nil {
				value.add(b)
			}
		case afterSlash:
			if b != '>' {
				return s.skipMarkup()
			}
			t.empty = !t.end
			return nil
		}
	}
}
