package sheets

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// Format is a spreadsheet file format.
type Format string

// The formats read and written.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Row is one row of a file.
type Row struct {
	// Line is where the row is in the file as a person sees it, 1-based:
	// for CSV the physical line the record starts on (a quoted cell can
	// span lines), for XLSX the sheet's row number.
	Line int
	// Cells are the row's cells in column order, trailing empty cells
	// dropped; never empty.
	Cells []string
}

// source is one format's stream of rows, empty ones included.
type source interface {
	next() (line int, cells []string, err error) // io.EOF at the end
	close() error
}

// errClosed is returned by a Reader used after Close.
var errClosed = errors.New("sheets: reader closed")

// Reader streams the rows of a CSV or XLSX file. Its first non-empty row is
// the header; Next returns the data rows after it, skipping empty rows. A
// Reader is not safe for concurrent use.
type Reader struct {
	src    source
	format Format
	csv    *csvSource // nil for XLSX
	limits Limits
	header Row
	rows   int // data rows returned
	err    error
}

// zipMagic starts every zip file, and so every XLSX workbook.
var zipMagic = []byte("PK\x03\x04")

// oleMagic starts every OLE compound file: legacy .xls workbooks and
// password-protected XLSX ones.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// Open reads the header of the file in r and returns a Reader of its rows.
// size is the file's size when known (an S3 object's ContentLength), or -1;
// name is its file name, used only as a hint. The format is told by
// content: a zip is read as XLSX, anything else as CSV, except that a file
// named .xlsx or .xlsm that is not a zip is ErrNotXLSX. An XLSX workbook is
// read into memory whole (at most Limits.MaxBytes; excelize copies it once
// more while opening) and its first worksheet streamed from there; CSV is
// streamed from r.
//
// Errors: ErrFileTooLarge, ErrUnzippedTooLarge, ErrNotXLSX,
// ErrFormatUnsupported, ErrUnreadable, ErrEmpty, the row limits for the
// header, or an error of r.
func Open(r io.Reader, size int64, name string, limits Limits) (*Reader, error) {
	l := limits.withDefaults()
	if size > l.MaxBytes {
		return nil, limitErr(ErrFileTooLarge, l.MaxBytes, 0, 0)
	}
	br := bufio.NewReaderSize(newCappedReader(r, l.MaxBytes), sniffWindow)
	head, err := br.Peek(len(oleMagic))
	if err != nil && err != io.EOF {
		return nil, err
	}
	ext := strings.ToLower(path.Ext(name))
	rd := &Reader{limits: l}
	switch {
	case bytes.HasPrefix(head, zipMagic):
		data, err := io.ReadAll(br)
		if err != nil {
			return nil, err
		}
		src, err := newXLSXSource(data, l)
		if err != nil {
			return nil, err
		}
		rd.src, rd.format = src, XLSX
	case bytes.HasPrefix(head, oleMagic):
		return nil, ErrFormatUnsupported.With("format", "xls")
	case ext == ".xlsx" || ext == ".xlsm":
		return nil, ErrNotXLSX
	default:
		src, err := newCSVSource(br, l)
		if err != nil {
			return nil, err
		}
		rd.src, rd.format, rd.csv = src, CSV, src
	}
	header, err := rd.nextRow()
	if err == io.EOF {
		err = ErrEmpty
	}
	if err != nil {
		_ = rd.src.close()
		return nil, err
	}
	rd.header = header
	return rd, nil
}

// Header returns the file's header: its first non-empty row.
func (r *Reader) Header() Row { return r.header }

// Format returns the format the file was read as.
func (r *Reader) Format() Format { return r.format }

// Encoding returns the text encoding of a CSV file (EncodingUTF8,
// EncodingWindows1252 or EncodingUTF16), as decided so far: a file whose
// first non-ASCII byte was not read yet is UTF-8. It is "" for XLSX.
func (r *Reader) Encoding() string {
	if r.csv == nil {
		return ""
	}
	return r.csv.enc()
}

// Delimiter returns the delimiter of a CSV file, sniffed from its header
// line: ';', ',' or '\t'. It is 0 for XLSX.
func (r *Reader) Delimiter() rune {
	if r.csv == nil {
		return 0
	}
	return r.csv.comma
}

// Next returns the next data row, or io.EOF after the last. Any other
// error ends the reading and is returned again by later calls; breaking a
// limit is ErrTooManyRows, ErrTooManyColumns, ErrCellTooLong or
// ErrFileTooLarge, with the limit as parameter "max" and, where it applies,
// the "line" and "column" (1-based) it was broken at.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	row, err := r.nextRow()
	if err == nil && r.rows == r.limits.MaxRows {
		err = limitErr(ErrTooManyRows, int64(r.limits.MaxRows), row.Line, 0)
	}
	if err != nil {
		r.err = err
		return Row{}, err
	}
	r.rows++
	return row, nil
}

// Close releases the reader's resources (an XLSX workbook's temporary
// files). It does not close the io.Reader given to Open.
func (r *Reader) Close() error {
	if r.src == nil {
		return nil
	}
	err := r.src.close()
	r.src = nil
	if r.err == nil {
		r.err = errClosed
	}
	return err
}

// nextRow returns the next non-empty row, checked against the column and
// cell limits.
func (r *Reader) nextRow() (Row, error) {
	if r.src == nil {
		return Row{}, errClosed
	}
	for {
		line, cells, err := r.src.next()
		if err != nil {
			return Row{}, err
		}
		cells = trimTrailing(cells)
		if len(cells) == 0 {
			continue
		}
		if len(cells) > r.limits.MaxColumns {
			return Row{}, limitErr(ErrTooManyColumns, int64(r.limits.MaxColumns), line, 0)
		}
		for i, c := range cells {
			if len(c) > r.limits.MaxCellRunes && utf8.RuneCountInString(c) > r.limits.MaxCellRunes {
				return Row{}, limitErr(ErrCellTooLong, int64(r.limits.MaxCellRunes), line, i+1)
			}
		}
		return Row{Line: line, Cells: cells}, nil
	}
}

// trimTrailing drops the trailing cells that are blank.
func trimTrailing(cells []string) []string {
	n := len(cells)
	for n > 0 && strings.TrimSpace(cells[n-1]) == "" {
		n--
	}
	return cells[:n]
}
