package sheets

import (
	"bufio"
	"bytes"
	"io"
)

// maxXMLRun returns the longest run of XML, text between two tags or one
// tag, that a worksheet may have: enough for a cell of MaxCellRunes
// characters each written as a 10-byte character reference, plus 64 KiB.
func maxXMLRun(l Limits) int64 { return 10*int64(l.MaxCellRunes) + 64<<10 }

// checkXMLRuns reads the XML in r and fails with ErrUnzippedTooLarge at the
// first run of text, tag, comment, CDATA section or directive longer than
// max bytes. excelize streams a large worksheet through encoding/xml, which
// holds one such token in memory at a time: bounding them bounds the memory
// of reading the sheet, where a crafted sheet of a few kilobytes zipped could
// otherwise unzip to one token of hundreds of megabytes.
func checkXMLRuns(r io.Reader, max int64) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var run int64
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if b != '<' {
			if run++; run > max {
				return limitErr(ErrUnzippedTooLarge, max, 0, 0)
			}
			continue
		}
		if err := skipMarkup(br, max); err != nil {
			return err
		}
		run = 0
	}
}

// skipMarkup reads the markup after a '<' up to its end, failing when it is
// longer than max bytes.
func skipMarkup(br *bufio.Reader, max int64) error {
	head, _ := br.Peek(8)
	var end []byte // the closing sequence, for comments and CDATA
	switch {
	case bytes.HasPrefix(head, []byte("!--")):
		end = []byte("-->")
	case bytes.HasPrefix(head, []byte("![CDATA[")):
		end = []byte("]]>")
	}
	var n int64
	var last [3]byte // the last bytes read, newest last
	var quote byte
	depth := 1 // of '<' '>' in directives such as <!DOCTYPE [ ... ]>
	for {
		b, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return nil // encoding/xml reports the unclosed markup
			}
			return err
		}
		if n++; n > max {
			return limitErr(ErrUnzippedTooLarge, max, 0, 0)
		}
		last = [3]byte{last[1], last[2], b}
		switch {
		case end != nil:
			if n >= 3 && bytes.Equal(last[:], end) {
				return nil
			}
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
