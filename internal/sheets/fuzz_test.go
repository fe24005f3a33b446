package sheets

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/omnichannel/contacts/internal/errs"
)

// fuzzLimits are small, so the fuzzer reaches them.
var fuzzLimits = Limits{
	MaxBytes: 1 << 16, MaxRows: 50, MaxColumns: 8, MaxCellRunes: 64, MaxRecordBytes: 256, MaxFieldsPerRecord: 16,
	UnzipSizeLimit: 1 << 20, UnzipXMLSizeLimit: 16 << 10,
}

// checkStream reads every row of data and checks what a job relies on:
// no panic; every error a file error (*errs.Error), sticky; rows within the
// limits, never empty, on increasing lines after the header's.
func checkStream(t *testing.T, data []byte, name string, l Limits, utf8Only bool) {
	t.Helper()
	r, err := Open(bytes.NewReader(data), -1, name, l)
	if err != nil {
		var e *errs.Error
		if !errors.As(err, &e) {
			t.Fatalf("Open: got %T %v, want an *errs.Error", err, err)
		}
		return
	}
	defer func() { _ = r.Close() }()
	checkRow(t, r.Header(), l, utf8Only)
	line, n := r.Header().Line, 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) {
				t.Fatalf("Next: got %T %v, want an *errs.Error", err, err)
			}
			if _, again := r.Next(); again != err {
				t.Fatalf("Next after %v: got %v, want the same error", err, again)
			}
			break
		}
		if n++; n > l.MaxRows {
			t.Fatalf("got %d rows, want at most %d", n, l.MaxRows)
		}
		checkRow(t, row, l, utf8Only)
		if row.Line <= line {
			t.Fatalf("row on line %d after line %d", row.Line, line)
		}
		line = row.Line
	}
}

func checkRow(t *testing.T, row Row, l Limits, utf8Only bool) {
	t.Helper()
	if row.Line < 1 || len(row.Cells) == 0 || len(row.Cells) > l.MaxColumns {
		t.Fatalf("row on line %d with %d cells", row.Line, len(row.Cells))
	}
	if strings.TrimSpace(row.Cells[len(row.Cells)-1]) == "" {
		t.Fatalf("row on line %d ends with a blank cell", row.Line)
	}
	for _, c := range row.Cells {
		if utf8.RuneCountInString(c) > l.MaxCellRunes {
			t.Fatalf("cell of %d characters", utf8.RuneCountInString(c))
		}
		if utf8Only && !utf8.ValidString(c) {
			t.Fatalf("cell %q is not UTF-8", c)
		}
	}
}

func FuzzCSV(f *testing.F) {
	for _, name := range []string{"excel_ptbr_windows1252.csv", "excel_ptbr_utf8_bom.csv", "google_comma.csv", "excel_unicode_text.txt"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte("Nome;Telefone\n\"aberto;1\n"))
	f.Add([]byte("a,b\r\n\"x\"\"y\",\"multi\nline\"\r\n,,,\r\n"))
	f.Add([]byte("\xff\xfeN\x00o\x00m\x00e\x00\n\x00"))
	f.Add([]byte("Nome\tTel\nJos\xe9\t1\n"))
	f.Add([]byte(strings.Repeat("a;", 20) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.HasPrefix(data, zipMagic) || bytes.HasPrefix(data, oleMagic) {
			return // FuzzOpen's
		}
		checkStream(t, data, "fuzz.csv", fuzzLimits, true)
	})
}

func FuzzOpen(f *testing.F) {
	book := buildXLSX(f, func(x *excelize.File) {
		setRow(f, x, "A1", "Nome", "Telefone", "Nascimento")
		setRow(f, x, "A2", "José", 5511999991234, "1980-12-25")
		setRow(f, x, "A4", "Ana", "+5511988887777")
	})
	f.Add(book, "contatos.xlsx")
	f.Add(readFixture(f, "libreoffice_contacts.xlsx"), "contatos.xlsx")
	f.Add(book[:len(book)-100], "contatos.xlsx")
	f.Add(writeAll(f, XLSX, exportRows), "export.xlsx")
	f.Add(buildZip(f, zipEntry{"[Content_Types].xml", []byte("<Types/>")}, zipEntry{"xl/workbook.xml", []byte("<workbook/>")}), "x.xlsx")
	f.Add(append(append([]byte{}, oleMagic...), 0, 0), "x.xls")
	f.Add(readFixture(f, "excel_ptbr_windows1252.csv"), "x.xlsx")
	f.Add(readFixture(f, "google_comma.csv"), "")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		checkStream(t, data, name, fuzzLimits, !bytes.HasPrefix(data, zipMagic))
	})
}

// FuzzRoundTripCSV writes a row with the Writer and reads it back: the same
// cells, once unneutralised.
func FuzzRoundTripCSV(f *testing.F) {
	f.Add("José", "+5511999991234", "Rua A, 1; \"fundos\"")
	f.Add("=1+1", "", "linha\nquebrada")
	f.Add(" ", "\t", "@")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		cells := []string{a, b, c}
		for _, s := range cells {
			// Out of scope: invalid UTF-8 (read back as U+FFFD), carriage
			// returns (CSV readers turn CRLF into LF), NUL (read as binary),
			// and a value that already starts with a neutralising quote.
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\x00") || Unneutralize(s) != s {
				return
			}
		}
		data := writeAll(t, CSV, [][]string{{"h1", "h2", "h3"}, cells})
		rows, err := readUntilError(t, data, -1, "x.csv", Limits{})
		if err != io.EOF {
			t.Fatalf("read back: %v", err)
		}
		// What the Reader sees are the neutralised cells ("\t" becomes
		// "'\t", which is not blank), trailing blank ones dropped.
		neutral := make([]string, len(cells))
		for i, c := range cells {
			neutral[i] = Neutralize(c)
		}
		want := trimTrailing(neutral)
		for i := range want {
			want[i] = Unneutralize(want[i])
		}
		if len(want) == 0 {
			if len(rows) != 0 {
				t.Fatalf("got %v, want no row", rows)
			}
			return
		}
		if len(rows) != 1 {
			t.Fatalf("got %d rows, want 1", len(rows))
		}
		got := rows[0].Cells
		for i := range got {
			got[i] = Unneutralize(got[i])
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// FuzzRoundTripXLSX writes a row with the Writer as XLSX and reads it back:
// the very same cells (the neutralising quote is a style, not text).
func FuzzRoundTripXLSX(f *testing.F) {
	f.Add("José", "+5511999991234", "_x0041_ literal")
	f.Add("=1+1", "", "linha\nquebrada\r\n")
	f.Add(" ", "\t", "@")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		cells := []string{a, b, c}
		for _, s := range cells {
			// Out of scope: what XML cannot hold (invalid UTF-8, most C0
			// controls, U+FFFE, U+FFFF), which excelize writes as U+FFFD.
			if !utf8.ValidString(s) || strings.IndexFunc(s, notXMLChar) >= 0 {
				return
			}
		}
		data := writeAll(t, XLSX, [][]string{{"h1", "h2", "h3"}, cells})
		rows, err := readUntilError(t, data, -1, "x.xlsx", Limits{})
		if err != io.EOF {
			t.Fatalf("read back: %v", err)
		}
		want := trimTrailing(cells)
		if len(want) == 0 {
			if len(rows) != 0 {
				t.Fatalf("got %v, want no row", rows)
			}
			return
		}
		if len(rows) != 1 || strings.Join(rows[0].Cells, "\x00") != strings.Join(want, "\x00") || len(rows[0].Cells) != len(want) {
			t.Fatalf("got %v, want %q", rows, want)
		}
	})
}

// notXMLChar reports whether XML 1.0 cannot hold r.
func notXMLChar(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF
}
