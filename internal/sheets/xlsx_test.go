package sheets

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/omnichannel/contacts/internal/errs"
)

// contactsWorkbook is a workbook as a person makes one in Excel: Portuguese
// headers, a birth date typed as a date in the pt-BR format, another as a
// built-in short date, a date-time, phones typed as numbers, a CPF with
// leading zeros typed as text, a number with a display format, and an empty
// row in the middle.
func contactsWorkbook(t testing.TB) []byte {
	t.Helper()
	return buildXLSX(t, func(f *excelize.File) {
		ptBRDate := "dd/mm/yyyy"
		brDate, err := f.NewStyle(&excelize.Style{CustomNumFmt: &ptBRDate})
		if err != nil {
			t.Fatal(err)
		}
		shortDate, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		dateTime, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
		money, _ := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
		percent, _ := f.NewStyle(&excelize.Style{NumFmt: 9})
		text, _ := f.NewStyle(&excelize.Style{NumFmt: 49})

		setRow(t, f, "A1", "Nome", "Celular", "CPF", "Data de nascimento", "Cliente desde", "Último contato", "Limite", "Desconto")
		setRow(t, f, "A2", "José da Conceição", 5511999991234, "01234567890",
			time.Date(1980, 12, 25, 0, 0, 0, 0, time.UTC), time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2024, 5, 6, 14, 30, 0, 0, time.UTC), 1234.5, 0.15)
		// Row 3 is empty; row 4 has a phone typed with its plus as text,
		// and a date typed as text in a date-formatted cell.
		setRow(t, f, "A4", "Maria D'Ávila", "+55 21 98888-7777", "98765432100", "03/04/1975")
		for _, s := range []struct {
			cell  string
			style int
		}{{"D2", brDate}, {"E2", shortDate}, {"F2", dateTime}, {"G2", money}, {"H2", percent}, {"C2", text}, {"C4", text}, {"D4", brDate}} {
			if err := f.SetCellStyle("Sheet1", s.cell, s.cell, s.style); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestXLSXCellValues(t *testing.T) {
	r, rows := openAll(t, contactsWorkbook(t), "contatos.xlsx", Limits{})
	if got, want := r.Format(), XLSX; got != want {
		t.Errorf("format: got %q, want %q", got, want)
	}
	wantRows(t, []Row{r.Header()}, []Row{{1, []string{"Nome", "Celular", "CPF", "Data de nascimento", "Cliente desde", "Último contato", "Limite", "Desconto"}}})
	wantRows(t, rows, []Row{
		{2, []string{"José da Conceição", "5511999991234", "01234567890", "1980-12-25", "2019-03-01", "2024-05-06 14:30:00", "1234.5", "0.15"}},
		{4, []string{"Maria D'Ávila", "+55 21 98888-7777", "98765432100", "03/04/1975"}},
	})
}

func TestXLSXDateWrittenByExcelize(t *testing.T) {
	// SetCellValue with a time.Time picks excelize's own date style.
	data := buildXLSX(t, func(f *excelize.File) {
		setRow(t, f, "A1", "Nascimento")
		if err := f.SetCellValue("Sheet1", "A2", time.Date(2001, 2, 3, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	})
	_, rows := openAll(t, data, "x.xlsx", Limits{})
	wantRows(t, rows, []Row{{2, []string{"2001-02-03"}}})
}

func TestClassifyCode(t *testing.T) {
	for _, tc := range []struct {
		code string
		want formatKind
	}{
		{"General", kindNumber},
		{"0.00", kindNumber},
		{"#,##0.00", kindNumber},
		{"0.00E+00", kindNumber},
		{"@", kindNumber},
		{`[$R$-416] #,##0.00;[Red]-[$R$-416] #,##0.00`, kindNumber},
		{`0 "dias"`, kindNumber},
		{`\(00\) 00000\-0000`, kindNumber},
		{"dd/mm/yyyy", kindDate},
		{"[$-416]d\\ mmmm\\ yyyy", kindDate},
		{"DD/MM/YYYY", kindDate},
		{"mmm-yy", kindDate},
		{"dd/mm/yyyy hh:mm", kindDateTime},
		{"m/d/yy h:mm AM/PM", kindDateTime},
		{"hh:mm:ss", kindTime},
		{"mm:ss", kindTime},
		{"[h]:mm", kindTime},
		{`"dia" 0`, kindNumber},
	} {
		if got := classifyCode(tc.code); got != tc.want {
			t.Errorf("classifyCode(%q): got %d, want %d", tc.code, got, tc.want)
		}
	}
}

func TestXLSXFirstSheet(t *testing.T) {
	data := buildXLSX(t, func(f *excelize.File) {
		setRow(t, f, "A1", "Telefone")
		setRow(t, f, "A2", "11999990000")
		if _, err := f.NewSheet("Outra"); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellValue("Outra", "A1", "Nada"); err != nil {
			t.Fatal(err)
		}
		f.SetActiveSheet(1)
	})
	r, rows := openAll(t, data, "x.xlsx", Limits{})
	if got, want := r.Header().Cells[0], "Telefone"; got != want {
		t.Errorf("header: got %q, want %q", got, want)
	}
	wantRows(t, rows, []Row{{2, []string{"11999990000"}}})
}

func TestXLSXHeaderNotOnFirstRow(t *testing.T) {
	data := buildXLSX(t, func(f *excelize.File) {
		setRow(t, f, "B3", "Nome", "Email")
		setRow(t, f, "B4", "Ana", "ana@example.com")
	})
	r, rows := openAll(t, data, "x.xlsx", Limits{})
	wantRows(t, []Row{r.Header()}, []Row{{3, []string{"", "Nome", "Email"}}})
	wantRows(t, rows, []Row{{4, []string{"", "Ana", "ana@example.com"}}})
}

func TestXLSXSheetStreamedFromDisk(t *testing.T) {
	// A sheet over UnzipXMLSizeLimit is unpacked to a temporary file and
	// streamed from there.
	data := buildXLSX(t, func(f *excelize.File) {
		setRow(t, f, "A1", "Nome", "Telefone")
		for i := 2; i <= 2001; i++ {
			setRow(t, f, fmt.Sprintf("A%d", i), fmt.Sprintf("Pessoa %d", i), 5511900000000+i)
		}
	})
	_, rows := openAll(t, data, "x.xlsx", Limits{UnzipXMLSizeLimit: 4 << 10})
	if got, want := len(rows), 2000; got != want {
		t.Fatalf("got %d rows, want %d", got, want)
	}
	wantRows(t, rows[len(rows)-1:], []Row{{2001, []string{"Pessoa 2001", "5511900002001"}}})
}

func TestXLSXNotAWorkbook(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		code string
	}{
		{"zip of a csv", buildZip(t, zipEntry{"contatos.csv", []byte("Nome;Telefone\n")}), "file_not_xlsx"},
		{"docx", buildZip(t,
			zipEntry{"[Content_Types].xml", []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`)},
			zipEntry{"word/document.xml", []byte(`<w:document/>`)}), "file_not_xlsx"},
		{"damaged zip", append([]byte("PK\x03\x04"), bytes.Repeat([]byte{7}, 200)...), "file_unreadable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(tc.data), int64(len(tc.data)), "contatos.xlsx", Limits{})
			wantCode(t, err, errs.Invalid, tc.code)
		})
	}
}

func TestXLSXTruncated(t *testing.T) {
	data := contactsWorkbook(t)
	cut := data[:len(data)/2]
	_, err := Open(bytes.NewReader(cut), int64(len(cut)), "contatos.xlsx", Limits{})
	wantCode(t, err, errs.Invalid, "file_unreadable")
}

func TestXLSXBooleansAndFormulas(t *testing.T) {
	data := buildXLSX(t, func(f *excelize.File) {
		setRow(t, f, "A1", "Ativo", "Total")
		setRow(t, f, "A2", true, 2)
		if err := f.SetCellFormula("Sheet1", "B2", "=1+1"); err != nil {
			t.Fatal(err)
		}
	})
	_, rows := openAll(t, data, "x.xlsx", Limits{})
	// A formula reads as its cached value, never evaluated.
	if got, want := strings.Join(rows[0].Cells, "|"), "TRUE|2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestXLSXSavedByLibreOffice(t *testing.T) {
	// contactsWorkbook opened and saved again by LibreOffice Calc 7.4:
	// shared strings, and its own codes for the formats (dd/mm/yyyy,
	// m/d/yyyy, m/d/yyyy\ h:mm, #,##0.00, 0%).
	r, rows := openAll(t, readFixture(t, "libreoffice_contacts.xlsx"), "contatos.xlsx", Limits{})
	if got, want := r.Header().Cells[5], "Último contato"; got != want {
		t.Errorf("header: got %q, want %q", got, want)
	}
	wantRows(t, rows, []Row{
		{2, []string{"José da Conceição", "5511999991234", "01234567890", "1980-12-25", "2019-03-01", "2024-05-06 14:30:00", "1234.5", "0.15"}},
		{4, []string{"Maria D'Ávila", "+55 21 98888-7777", "98765432100", "03/04/1975"}},
	})
}
