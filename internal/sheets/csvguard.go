package sheets

import "io"

// csvState is where a recordGuard is in the CSV syntax.
type csvState uint8

const (
	betweenRecords csvState = iota // the next byte starts a record
	fieldStart                     // after a delimiter: a quote here opens a quoted field
	unquoted                       // in a field that did not start with a quote
	quoted                         // in a quoted field
	quoteInQuoted                  // after a quote in a quoted field
	quoteCR                        // after a quote and a carriage return in a quoted field
)

// recordGuard passes CSV text through to encoding/csv and fails a record
// longer than maxBytes or of more than maxFields fields as soon as the
// byte that breaks the limit arrives: encoding/csv reads a record whole
// before splitting it, and allocates about 40 bytes per field, so without
// it one line of commas costs hundreds of times its size.
//
// It follows encoding/csv's reading with LazyQuotes: a field is quoted when
// its first byte is a double quote; in a quoted field, a quote followed by
// a quote is one quote, a quote followed by the delimiter or a line end
// (LF, or CR LF) ends the field, and any other quote is kept as text; line
// breaks inside a quoted field belong to the record. Its errors are sticky.
type recordGuard struct {
	r         io.Reader
	comma     byte
	maxBytes  int64
	maxFields int
	state     csvState
	line      int   // line of the next byte, 1-based
	start     int   // line the current record starts on
	size      int64 // bytes of the current record so far
	fields    int   // fields of the current record so far
	err       error
}

func newRecordGuard(r io.Reader, comma rune, l Limits) *recordGuard {
	return &recordGuard{r: r, comma: byte(comma), maxBytes: l.MaxRecordBytes, maxFields: l.MaxFieldsPerRecord, line: 1}
}

// Read reads from the text and returns the bytes before the first one that
// breaks a limit, with ErrRecordTooLarge or ErrTooManyFields.
func (g *recordGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	for i, b := range p[:n] {
		if g.state == betweenRecords {
			g.state, g.start, g.size, g.fields = fieldStart, g.line, 0, 1
		}
		g.size++
		if b == '\n' {
			g.line++
		}
		if g.step(b) {
			g.fields++
		}
		switch {
		case g.size > g.maxBytes:
			g.err = limitErr(ErrRecordTooLarge, g.maxBytes, g.start, 0)
		case g.fields > g.maxFields:
			g.err = limitErr(ErrTooManyFields, int64(g.maxFields), g.start, 0)
		}
		if g.err != nil {
			return i, g.err
		}
	}
	if err != nil {
		g.err = err
	}
	return n, err
}

// step moves the state past b and reports whether b ends a field that the
// record continues after (a delimiter outside quotes).
func (g *recordGuard) step(b byte) bool {
	switch g.state {
	case quoted:
		if b == '"' {
			g.state = quoteInQuoted
		}
		return false
	case quoteCR:
		switch b {
		case '\n':
			g.state = betweenRecords
		case '"':
			g.state = quoteInQuoted
		default:
			g.state = quoted
		}
		return false
	case quoteInQuoted:
		switch b {
		case g.comma, '\n': // the quoted field ends: as outside quotes below
		case '\r':
			g.state = quoteCR
			return false
		default:
			g.state = quoted // a doubled quote, or a bare one kept as text
			return false
		}
	case fieldStart:
		if b == '"' {
			g.state = quoted
			return false
		}
	}
	switch b {
	case g.comma:
		g.state = fieldStart
		return true
	case '\n':
		g.state = betweenRecords
	default:
		g.state = unquoted
	}
	return false
}
