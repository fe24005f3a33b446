package sheets

import (
	"bytes"
	"strings"
	"testing"

	"github.com/omnichannel/contacts/internal/errs"
)

// ptBRRows are the data rows of the excel_ptbr_* fixtures: a quoted address
// over two lines, a delimiter inside quotes, an empty row, doubled quotes.
var ptBRRows = []Row{
	{2, []string{"José da Conceição", "(11) 99999-1234", "jose@example.com", "Rua São João, 100\nApto 12", "25/12/1980", "vip, atacado"}},
	{4, []string{"Maria D'Ávila", "+55 21 98888-7777", "maria@example.com.br", "Av. Atlântica; 500", "03/04/1975", "varejo"}},
	{6, []string{`Ana "Nina" Gonçalves`, "11 3333-4444", "", "Praça da Sé"}},
}

var ptBRHeader = []string{"Nome", "Telefone", "E-mail", "Endereço", "Data de nascimento", "Etiquetas"}

func TestCSVExcelWindows1252Semicolon(t *testing.T) {
	r, rows := openAll(t, readFixture(t, "excel_ptbr_windows1252.csv"), "contatos.csv", Limits{})
	if got, want := r.Format(), CSV; got != want {
		t.Errorf("format: got %q, want %q", got, want)
	}
	if got, want := r.Encoding(), EncodingWindows1252; got != want {
		t.Errorf("encoding: got %q, want %q", got, want)
	}
	if got, want := r.Delimiter(), ';'; got != want {
		t.Errorf("delimiter: got %q, want %q", got, want)
	}
	wantRows(t, []Row{r.Header()}, []Row{{1, ptBRHeader}})
	wantRows(t, rows, ptBRRows)
}

func TestCSVExcelUTF8BOM(t *testing.T) {
	r, rows := openAll(t, readFixture(t, "excel_ptbr_utf8_bom.csv"), "contatos.csv", Limits{})
	if got, want := r.Encoding(), EncodingUTF8; got != want {
		t.Errorf("encoding: got %q, want %q", got, want)
	}
	wantRows(t, []Row{r.Header()}, []Row{{1, ptBRHeader}}) // no BOM in "Nome"
	wantRows(t, rows, ptBRRows)
}

func TestCSVUnicodeTextTabs(t *testing.T) {
	r, rows := openAll(t, readFixture(t, "excel_unicode_text.txt"), "contatos.txt", Limits{})
	if got, want := r.Encoding(), EncodingUTF16; got != want {
		t.Errorf("encoding: got %q, want %q", got, want)
	}
	if got, want := r.Delimiter(), '\t'; got != want {
		t.Errorf("delimiter: got %q, want %q", got, want)
	}
	wantRows(t, []Row{r.Header()}, []Row{{1, ptBRHeader}})
	wantRows(t, rows, ptBRRows)
}

func TestCSVCommaEnglish(t *testing.T) {
	r, rows := openAll(t, readFixture(t, "google_comma.csv"), "contacts.csv", Limits{})
	if got, want := r.Delimiter(), ','; got != want {
		t.Errorf("delimiter: got %q, want %q", got, want)
	}
	if got, want := r.Encoding(), EncodingUTF8; got != want {
		t.Errorf("encoding: got %q, want %q", got, want)
	}
	wantRows(t, []Row{r.Header()}, []Row{{1, []string{"Full Name", "Phone Number", "Email", "Company", "Birthday", "Labels", "Plan"}}})
	wantRows(t, rows, []Row{
		{2, []string{"João Silva", "+5511999991234", "joao@example.com", "Acme, Ltda.", "1990-01-31", "a|b|a", "gold"}},
		{3, []string{"Zoë Çelik", "5521988887777", "zoe@example.com"}},
	})
}

func TestCSVEncodingDecidedAtFirstNonASCII(t *testing.T) {
	ascii := strings.Repeat("Silva;11999990000\n", 8000) // well past the sniff window
	for _, tc := range []struct {
		name, enc string
		last      []byte
	}{
		{"windows-1252", EncodingWindows1252, []byte("Jos\xe9;Concei\xe7\xe3o\n")},
		{"utf-8", EncodingUTF8, []byte("José;Conceição\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := append([]byte("Nome;Telefone\n"+ascii), tc.last...)
			r, rows := openAll(t, data, "x.csv", Limits{})
			if got, want := r.Encoding(), tc.enc; got != want {
				t.Errorf("encoding: got %q, want %q", got, want)
			}
			last := rows[len(rows)-1]
			if got, want := strings.Join(last.Cells, "|"), "José|Conceição"; got != want {
				t.Errorf("last row: got %q, want %q", got, want)
			}
			if got, want := last.Line, 8002; got != want {
				t.Errorf("last line: got %d, want %d", got, want)
			}
		})
	}
}

func TestCSVInvalidUTF8Replaced(t *testing.T) {
	// Mostly UTF-8 with a stray byte: the file is UTF-8, the byte U+FFFD.
	_, rows := openAll(t, []byte("Nome\nJosé\nConceição\nab\xffc\n"), "x.csv", Limits{})
	if got, want := rows[0].Cells[0], "José"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := rows[2].Cells[0], "ab\uFFFDc"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCSVBlankRowsAndTrailingCells(t *testing.T) {
	data := "\r\n  \r\nNome;Telefone;;;\r\n;;;\r\nAna;1;;\r\n\r\n   ;  \r\nBia;;\r\n\r\n\r\n"
	r, rows := openAll(t, []byte(data), "x.csv", Limits{})
	wantRows(t, []Row{r.Header()}, []Row{{3, []string{"Nome", "Telefone"}}})
	wantRows(t, rows, []Row{{5, []string{"Ana", "1"}}, {8, []string{"Bia"}}})
}

func TestSniffDelimiter(t *testing.T) {
	for _, tc := range []struct {
		head string
		want rune
	}{
		{"Nome;Telefone;Email\n", ';'},
		{"Name,Phone,Email\n", ','},
		{"Name\tPhone\tEmail\n", '\t'},
		{`"Silva, João";Telefone` + "\n", ';'},   // comma inside quotes
		{`"a;b;c",Phone,Email` + "\n", ','},      // semicolons inside quotes
		{"\n\n  \nNome;Tel\nA,B,C,D,E\n", ';'},   // first non-blank line only
		{"Nome\n", ','},                          // one column
		{"Nome;Tel,Email\n", ';'},                // tie: ';'
		{"\"Endereço\nmultilinha\";Nome\n", ';'}, // a line break inside quotes
		{"Nome;Telefone", ';'},                   // no line end
		{"", ','},
		{";;;\r\n  ;\r\n", ';'}, // blank lines only
	} {
		if got := sniffDelimiter([]byte(tc.head)); got != tc.want {
			t.Errorf("sniffDelimiter(%q): got %q, want %q", tc.head, got, tc.want)
		}
	}
}

func TestOpenEmpty(t *testing.T) {
	for _, data := range []string{"", "\n\n", ";;;\r\n  ;\r\n", "\xef\xbb\xbf"} {
		_, err := Open(strings.NewReader(data), -1, "x.csv", Limits{})
		if err == nil {
			t.Fatalf("%q: got no error, want file_empty", data)
		}
		wantCode(t, err, errs.Invalid, "file_empty")
	}
}

func TestOpenBinary(t *testing.T) {
	data := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	_, err := Open(bytes.NewReader(data), -1, "foto.csv", Limits{})
	wantCode(t, err, errs.Invalid, "file_unreadable")
}

func TestOpenLegacyXLS(t *testing.T) {
	data := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)
	_, err := Open(bytes.NewReader(data), -1, "contatos.xls", Limits{})
	e := wantCode(t, err, errs.Invalid, "file_format_unsupported")
	if got, want := e.Params["format"], "xls"; got != want {
		t.Errorf("format: got %q, want %q", got, want)
	}
}

func TestOpenCSVNamedXLSX(t *testing.T) {
	_, err := Open(strings.NewReader("Nome;Telefone\nAna;1\n"), -1, "Contatos.XLSX", Limits{})
	wantCode(t, err, errs.Invalid, "file_not_xlsx")
}

func TestOpenCSVWhateverTheName(t *testing.T) {
	// The content decides: a CSV named .txt, or with no name, is CSV.
	for _, name := range []string{"", "contatos.txt", "planilha"} {
		r, rows := openAll(t, []byte("Nome;Telefone\nAna;1\n"), name, Limits{})
		if got, want := r.Format(), CSV; got != want || len(rows) != 1 {
			t.Errorf("%q: got %s with %d rows, want %s with 1", name, got, len(rows), want)
		}
	}
}
