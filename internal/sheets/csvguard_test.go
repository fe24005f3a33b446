package sheets

import (
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/omnichannel/contacts/internal/errs"
)

// guardedRecords reads text with encoding/csv behind a recordGuard, as
// csvSource does, and returns the records before the first error and it.
func guardedRecords(text string, comma rune, l Limits) ([][]string, error) {
	var r *csv.Reader
	if l.MaxFieldsPerRecord == 0 && l.MaxRecordBytes == 0 {
		r = csv.NewReader(strings.NewReader(text)) // no guard
	} else {
		r = csv.NewReader(newRecordGuard(strings.NewReader(text), comma, l))
	}
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = comma, -1, true
	var out [][]string
	for {
		rec, err := r.Read()
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func TestRecordGuard(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		fields     int
		bytes      int64
		code, line string // "" when the text is read whole
	}{
		{"at the field limit", "a,b,c\n", 3, 0, "", ""},
		{"over it", "a,b\nc,d,e\n", 2, 0, "too_many_fields", "2"},
		{"delimiters in quotes", "\"a,b,c\",d\n", 2, 0, "", ""},
		{"line breaks in quotes", "h\n\"x\ny,z\",w\nq,r,s\n", 2, 0, "too_many_fields", "4"},
		{"a record over lines counts them all", "h\n\"x\ny\",z,\"w\n\",v\n", 3, 0, "too_many_fields", "2"},
		{"doubled quotes", "\"a\"\",b\",c\n", 2, 0, "", ""},
		{"a bare quote in a quoted field", "\"a\"b,c\",d\n", 2, 0, "", ""},
		{"a bare quote in an unquoted field", "a\"b,c\n", 2, 0, "", ""},
		{"quote, CR LF ends the record", "\"a\"\r\nb,c,d\r\n", 2, 0, "too_many_fields", "2"},
		{"quote, CR and text stays quoted", "\"a\"\rb,c\",d\n", 2, 0, "", ""},
		{"an unclosed quote to the end", "a\n\"b,c\nd,e,f", 1, 0, "", ""},
		{"at the byte limit, line end included", "abcd\n", 0, 5, "", ""},
		{"over it", "abcd\nabcde\n", 0, 5, "record_too_large", "2"},
		{"a quoted record over lines", "a\n\"b\nc\nd\"\n", 0, 5, "record_too_large", "2"},
		{"empty lines are not records", "a\n\n\n\nb,c\n", 1, 0, "too_many_fields", "5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := guardedRecords(tc.text, ',', Limits{})
			got, err := guardedRecords(tc.text, ',', Limits{}.withFields(tc.fields, tc.bytes))
			if tc.code == "" {
				if err != io.EOF || !reflect.DeepEqual(got, want) {
					t.Fatalf("got %q and %v, want %q and EOF", got, err, want)
				}
				return
			}
			e := wantCode(t, err, errs.TooLarge, tc.code)
			if e.Params["line"] != tc.line {
				t.Errorf("line: got %q, want %q", e.Params["line"], tc.line)
			}
		})
	}
}

// withFields returns l with the record limits set where given (non-zero).
func (l Limits) withFields(fields int, bytes int64) Limits {
	l.MaxFieldsPerRecord, l.MaxRecordBytes = 1<<20, 1<<20
	if fields > 0 {
		l.MaxFieldsPerRecord = fields
	}
	if bytes > 0 {
		l.MaxRecordBytes = bytes
	}
	return l
}

// FuzzRecordGuard checks the guard against encoding/csv itself: with a
// field limit of k, the guarded reading fails exactly at the first record
// encoding/csv reads with more than k fields, on the line it starts on,
// after the same records.
func FuzzRecordGuard(f *testing.F) {
	f.Add("a;b\n\"c;\nd\";e;f\n", 2)
	f.Add("\"a\"\"b\";\"c\"d;e\"\r\n;;;\n", 3)
	f.Add("\"x\"\r;y\";z\n\r\n\"", 1)
	f.Fuzz(func(t *testing.T, text string, k int) {
		if k < 1 || k > 64 {
			return
		}
		all, err := guardedRecords(text, ';', Limits{})
		if err != io.EOF {
			t.Skipf("encoding/csv: %v", err)
		}
		wantN, wantLine := len(all), ""
		lines := recordLines(text)
		for i, rec := range all {
			if len(rec) > k {
				wantN, wantLine = i, strconv.Itoa(lines[i])
				break
			}
		}
		got, err := guardedRecords(text, ';', Limits{MaxFieldsPerRecord: k, MaxRecordBytes: 1 << 30})
		if len(got) != wantN {
			t.Fatalf("got %d records before %v, want %d", len(got), err, wantN)
		}
		var e *errs.Error
		switch {
		case wantLine == "" && err != io.EOF:
			t.Fatalf("got %v, want EOF", err)
		case wantLine != "" && (!errors.As(err, &e) || e.Code != "too_many_fields" || e.Params["line"] != wantLine):
			t.Fatalf("got %v, want too_many_fields on line %s", err, wantLine)
		}
	})
}

// recordLines returns the line each record of text starts on, as
// encoding/csv tells it.
func recordLines(text string) []int {
	r := csv.NewReader(strings.NewReader(text))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = ';', -1, true
	var lines []int
	for {
		if _, err := r.Read(); err != nil {
			return lines
		}
		line, _ := r.FieldPos(0)
		lines = append(lines, line)
	}
}
