package sheets

import (
	"bufio"
	"encoding/csv"
	"errors"
	"strings"
	"unicode/utf8"
)

// csvSource reads the records of a CSV file.
type csvSource struct {
	r     *csv.Reader
	comma rune
	enc   func() string
}

// newCSVSource reads CSV text from br (raw bytes): it decodes the text (see
// decodeText), sniffs the delimiter from the header line, and bounds each
// record's bytes and fields before encoding/csv reads it (see recordGuard).
func newCSVSource(br *bufio.Reader, l Limits) (*csvSource, error) {
	text, enc, err := decodeText(br)
	if err != nil {
		return nil, err
	}
	tr := bufio.NewReaderSize(text, sniffWindow)
	// A read error here (the file is too large, say) is sticky in the
	// readers below and comes back from the first record.
	head, _ := tr.Peek(sniffWindow)
	comma := sniffDelimiter(head)
	r := csv.NewReader(newRecordGuard(tr, comma, l))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true // next copies the cells it keeps
	return &csvSource{r: r, comma: comma, enc: enc}, nil
}

// next returns the next record, trailing blank cells dropped, and the line
// it starts on.
func (s *csvSource) next() (int, []string, error) {
	rec, err := s.r.Read()
	if err != nil {
		// With LazyQuotes and FieldsPerRecord < 0 encoding/csv reports no
		// parse errors of its own; keep the case in case that changes.
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return 0, nil, ErrUnreadable.Wrap(err)
		}
		return 0, nil, err
	}
	line, _ := s.r.FieldPos(0)
	rec = append([]string(nil), trimTrailing(rec)...)
	for i, c := range rec {
		if !utf8.ValidString(c) {
			rec[i] = strings.ToValidUTF8(c, "\uFFFD")
		}
	}
	return line, rec, nil
}

func (s *csvSource) close() error { return nil }

// delimiters are the delimiters sniffed, in order of preference on a tie.
var delimiters = []rune{';', ',', '\t'}

// sniffDelimiter returns the delimiter of the first non-blank line of head:
// the one of ';', ',' and tab that occurs most often outside double quotes,
// ';' winning ties (Excel's pt-BR default), ',' when none occurs. When every
// line is blank (delimiters and spaces only), the delimiters of all of them
// count.
func sniffDelimiter(head []byte) rune {
	var line, all [3]int
	quoted, content := false, false
	for _, b := range head {
		i := -1
		switch {
		case b == '"':
			quoted = !quoted
			content = true
		case quoted:
		case b == '\n':
			if content {
				return pick(line)
			}
			line = [3]int{}
		case b == ';':
			i = 0
		case b == ',':
			i = 1
		case b == '\t':
			i = 2
		case b != ' ' && b != '\r':
			content = true
		}
		if i >= 0 {
			line[i]++
			all[i]++
		}
	}
	if content {
		return pick(line)
	}
	return pick(all)
}

func pick(counts [3]int) rune {
	best := 1 // ','
	for i := range counts {
		if counts[i] > counts[best] || (counts[i] == counts[best] && counts[i] > 0 && i < best) {
			best = i
		}
	}
	return delimiters[best]
}
