package sheets

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/omnichannel/contacts/internal/errs"
)

// exportRows are cells an export writes: accents, the delimiter, quotes,
// line breaks, leading zeros, formula-like text, phones in E.164, blanks.
var exportRows = [][]string{
	{"Nome", "Telefone", "CPF", "Endereço", "Observações"},
	{"José da Conceição", "+5511999991234", "01234567890", "Rua São João, 100; apto 12", `Disse "olá"`},
	{"=HYPERLINK(\"http://x\")", "-5", "@SUM(A1)", "\tescondido", "linha 1\nlinha 2"},
	{"Ana", "", "", "", ""},
	{"  espaços  ", "'já citado", "+", "日本語", "emoji 🎉"},
}

// writeAll writes rows (the first is the header) in format and returns the file.
func writeAll(t testing.TB, format Format, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, format, rows[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriterCSVDialect(t *testing.T) {
	got := string(writeAll(t, CSV, [][]string{{"Nome", "Endereço"}, {"Ana", "Rua A, 1; fundos"}, {`Bia "B"`, ""}}))
	want := "\xef\xbb\xbfNome;Endereço\r\nAna;\"Rua A, 1; fundos\"\r\n\"Bia \"\"B\"\"\";\r\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":           "'=1+1",
		"+5511999991234": "'+5511999991234", // deliberate: see Neutralize
		"-5":             "'-5",
		"@SUM(A1)":       "'@SUM(A1)",
		"\tx":            "'\tx",
		"\rx":            "'\rx",
		"José":           "José",
		"":               "",
		"'=já":           "'=já", // a quote first: already inert, but see below
		"a=b":            "a=b",
		" =1":            " =1",
	} {
		got := Neutralize(in)
		if got != want {
			t.Errorf("Neutralize(%q): got %q, want %q", in, got, want)
		}
		if back := Unneutralize(got); back != in && in != "'=já" {
			t.Errorf("Unneutralize(%q): got %q, want %q", got, back, in)
		}
	}
	// The one ambiguity: a value that had a quote before = of its own
	// loses it on import.
	if got, want := Unneutralize("'=já"), "=já"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWriterCSVNeutralizes(t *testing.T) {
	out := string(writeAll(t, CSV, [][]string{{"=cmd|' /C calc'!A0", "Telefone"}, {"+5511999991234", "@x"}}))
	for _, want := range []string{`'=cmd|' /C calc'!A0;`, "'+5511999991234;'@x\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("got %q, want it to contain %q", out, want)
		}
	}
}

func TestWriterXLSXNeutralizes(t *testing.T) {
	data := writeAll(t, XLSX, [][]string{{"Nome", "Telefone"}, {"=1+1", "+5511999991234"}, {"Ana", "11999990000"}})
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	for _, tc := range []struct {
		cell, value string
		quoted      bool
	}{{"A2", "=1+1", true}, {"B2", "+5511999991234", true}, {"A3", "Ana", false}, {"B3", "11999990000", false}} {
		v, err := f.GetCellValue(SheetName, tc.cell)
		if err != nil || v != tc.value {
			t.Errorf("%s: got %q (%v), want %q", tc.cell, v, err, tc.value)
		}
		formula, _ := f.GetCellFormula(SheetName, tc.cell)
		if formula != "" {
			t.Errorf("%s: got formula %q, want none", tc.cell, formula)
		}
		typ, _ := f.GetCellType(SheetName, tc.cell)
		if typ != excelize.CellTypeInlineString {
			t.Errorf("%s: got type %v, want an inline string", tc.cell, typ)
		}
		style, _ := f.GetCellStyle(SheetName, tc.cell)
		xf := f.Styles.CellXfs.Xf[style]
		quoted := xf.QuotePrefix != nil && *xf.QuotePrefix && xf.NumFmtID != nil && *xf.NumFmtID == 49
		if quoted != tc.quoted {
			t.Errorf("%s: got quotePrefix and text format %v, want %v", tc.cell, quoted, tc.quoted)
		}
	}
}

func TestRoundTripCSV(t *testing.T) {
	_, rows := openAll(t, writeAll(t, CSV, exportRows), "export.csv", Limits{})
	var got [][]string
	for _, r := range rows {
		cells := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			cells[i] = Unneutralize(c)
		}
		got = append(got, cells)
	}
	wantRoundTrip(t, got, exportRows[1:])
}

func TestRoundTripXLSX(t *testing.T) {
	r, rows := openAll(t, writeAll(t, XLSX, exportRows), "export.xlsx", Limits{})
	if !reflect.DeepEqual(r.Header().Cells, exportRows[0]) {
		t.Errorf("header: got %q, want %q", r.Header().Cells, exportRows[0])
	}
	var got [][]string
	for _, r := range rows {
		got = append(got, r.Cells) // exact: the quote is a style, not text
	}
	wantRoundTrip(t, got, exportRows[1:])
}

// wantRoundTrip fails the test unless got are the rows of want as a
// Reader returns them: trailing blank cells dropped.
func wantRoundTrip(t testing.TB, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if w := trimTrailing(want[i]); !reflect.DeepEqual(got[i], w) {
			t.Errorf("row %d: got %q, want %q", i, got[i], w)
		}
	}
}

func TestRoundTripThroughMapping(t *testing.T) {
	// Export, import: the neutralising quote does not reach the contact.
	for _, format := range []Format{CSV, XLSX} {
		data := writeAll(t, format, [][]string{{"Nome", "Telefone"}, {"Ana", "+5511999991234"}})
		r, rows := openAll(t, data, "export."+string(format), Limits{})
		m, problems := MapHeader(r.Header().Cells, nil, nil)
		if len(problems) > 0 {
			t.Fatal(problems)
		}
		if got, want := m.Apply(rows[0].Cells)["phone"], "+5511999991234"; got != want {
			t.Errorf("%s: got %q, want %q", format, got, want)
		}
	}
}

func TestWriterXLSXCellTooLong(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, XLSX, []string{"Obs"})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, w.Write([]string{strings.Repeat("a", 32768)}), errs.TooLarge, "cell_too_long")
	if err := w.Write([]string{strings.Repeat("a", 32767)}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close after a refused cell: %v", err)
	}
	_, rows := openAll(t, buf.Bytes(), "x.xlsx", Limits{})
	if got, want := len(rows), 1; got != want {
		t.Errorf("got %d rows, want %d", got, want)
	}
}

func TestWriterErrors(t *testing.T) {
	if _, err := NewWriter(&bytes.Buffer{}, "ods", []string{"a"}); err == nil {
		t.Error("unknown format: got no error")
	}
	w, err := NewWriter(&bytes.Buffer{}, CSV, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]string{"1", "2"}); err == nil {
		t.Error("row wider than the header: got no error")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]string{"1"}); err == nil {
		t.Error("write after close: got no error")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second close: got %v, want nil", err)
	}
}
