package sheets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/omnichannel/contacts/internal/errs"
)

// CSVDelimiter is the delimiter of exported CSV files. Exports are written
// for Brazilian Excel, which splits a double-clicked .csv on the system's
// list separator: ';' in pt-BR, where ',' is the decimal separator. A
// comma-separated file opens there as one column. (A "sep=," first line
// would force the delimiter, but then Excel ignores the BOM and garbles
// the accents.) The Reader sniffs either delimiter, so ';' files import
// back anywhere.
const CSVDelimiter = ';'

// SheetName is the name of the worksheet of exported XLSX files.
const SheetName = "Contatos"

// xlsxMaxCellUnits is the longest text an XLSX cell holds, in UTF-16 units.
const xlsxMaxCellUnits = 32767

// Writer writes an export file: a header row, then data rows. CSV is UTF-8
// with a BOM (without it, Excel reads the file as Windows-1252 and garbles
// every accent), CSVDelimiter between cells, CRLF line ends, quotes only
// where needed. XLSX is one worksheet of text cells streamed through
// excelize's StreamWriter, which keeps at most 16 MiB of rows in memory and
// the rest in a temporary file; the workbook is written out by Close.
//
// Every cell, header included, that starts with = + - @ tab or carriage
// return is neutralised against formula injection. In CSV it gets a single
// quote before it (Neutralize), which Excel shows. In XLSX cells are typed
// text, never formulas, and such a cell is also given Excel's own mark of a
// typed leading apostrophe, the quotePrefix style (with the Text number
// format), so "+5511999991234" shows as typed, and stays text when someone
// edits the cell, instead of turning into a formula.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	columns int
	rows    int // rows written, header included
	csv     *csv.Writer
	xlsx    *xlsxWriter
	w       io.Writer
	err     error
}

// xlsxWriter is the XLSX half of a Writer.
type xlsxWriter struct {
	f     *excelize.File
	sw    *excelize.StreamWriter
	text  int // style of neutralised cells
	row   []any
	cells []excelize.Cell
}

// errWriterClosed is returned by a Writer used after Close.
var errWriterClosed = errors.New("sheets: writer closed")

// NewWriter returns a Writer of format (CSV or XLSX) to w, with columns as
// its header row.
func NewWriter(w io.Writer, format Format, columns []string) (*Writer, error) {
	wr := &Writer{columns: len(columns), w: w}
	switch format {
	case CSV:
		if _, err := w.Write(bomUTF8); err != nil {
			return nil, err
		}
		wr.csv = csv.NewWriter(w)
		wr.csv.Comma = CSVDelimiter
		wr.csv.UseCRLF = true
	case XLSX:
		if len(columns) > excelize.MaxColumns {
			return nil, limitErr(ErrTooManyColumns, excelize.MaxColumns, 0, 0)
		}
		x, err := newXLSXWriter(len(columns))
		if err != nil {
			return nil, err
		}
		wr.xlsx = x
	default:
		return nil, fmt.Errorf("sheets: unknown format %q", format)
	}
	if err := wr.Write(columns); err != nil {
		_ = wr.Close()
		return nil, err
	}
	return wr, nil
}

func newXLSXWriter(columns int) (*xlsxWriter, error) {
	f := excelize.NewFile()
	x := &xlsxWriter{f: f, row: make([]any, 0, columns), cells: make([]excelize.Cell, columns)}
	err := f.SetSheetName("Sheet1", SheetName)
	if err == nil {
		x.text, err = f.NewStyle(&excelize.Style{NumFmt: 49}) // "@", Text
	}
	if err == nil && x.text == 0 {
		err = errors.New("sheets: no text style")
	}
	if err == nil {
		quote := true
		f.Styles.CellXfs.Xf[x.text].QuotePrefix = &quote
		x.sw, err = f.NewStreamWriter(SheetName)
	}
	if err == nil && columns > 0 {
		err = x.sw.SetColWidth(1, columns, 24)
	}
	if err == nil {
		err = x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return x, nil
}

// Write writes one row of at most as many cells as the header has.
// Errors: ErrTooManyRows past an XLSX sheet's 1,048,576 rows,
// ErrCellTooLong for an XLSX cell over 32,767 characters, or an error of
// the underlying writer.
func (w *Writer) Write(cells []string) error {
	if w.err != nil {
		return w.err
	}
	if len(cells) > w.columns && w.rows > 0 {
		return fmt.Errorf("sheets: row of %d cells under a header of %d", len(cells), w.columns)
	}
	var err error
	if w.csv != nil {
		rec := make([]string, len(cells))
		for i, c := range cells {
			rec[i] = Neutralize(c)
		}
		err = w.csv.Write(rec)
	} else {
		err = w.xlsx.write(w.rows+1, cells)
	}
	if err != nil {
		var limit *errs.Error
		if !errors.As(err, &limit) { // a broken limit leaves the file sound
			w.err = err
		}
		return err
	}
	w.rows++
	return nil
}

// write writes cells as sheet row n.
func (x *xlsxWriter) write(n int, cells []string) error {
	if n > excelize.TotalRows {
		return limitErr(ErrTooManyRows, excelize.TotalRows, n, 0)
	}
	x.row = x.row[:0]
	for i, c := range cells {
		if len(c) > xlsxMaxCellUnits && utf16Len(c) > xlsxMaxCellUnits {
			return limitErr(ErrCellTooLong, xlsxMaxCellUnits, n, i+1)
		}
		switch {
		case c == "":
			x.row = append(x.row, nil)
		case NeedsNeutralizing(c):
			x.cells[i] = excelize.Cell{StyleID: x.text, Value: c}
			x.row = append(x.row, &x.cells[i])
		default:
			x.row = append(x.row, c)
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, n)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.row)
}

// Close finishes the file: it flushes the CSV, or writes the XLSX workbook
// to the writer, and removes the XLSX temporary files. It does not close
// the io.Writer given to NewWriter.
func (w *Writer) Close() error {
	if errors.Is(w.err, errWriterClosed) {
		return nil
	}
	err := w.err
	if w.csv != nil {
		w.csv.Flush()
		if err == nil {
			err = w.csv.Error()
		}
	} else {
		if err == nil {
			err = w.xlsx.sw.Flush()
		}
		if err == nil {
			_, err = w.xlsx.f.WriteTo(w.w)
		}
		if cerr := w.xlsx.f.Close(); err == nil {
			err = cerr
		}
	}
	w.err = errWriterClosed
	return err
}

// utf16Len is the length of s in UTF-16 units, as Excel counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
