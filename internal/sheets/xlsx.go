package sheets

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource streams the rows of a workbook's first worksheet.
type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int // sheet row number of the last row returned
}

// newXLSXSource opens the workbook in data, which starts with the zip magic.
// The zip's directory is checked against the unzip limits before excelize
// unpacks anything. The rows are those of the first sheet excelize can
// stream.
func newXLSXSource(data []byte, l Limits) (src *xlsxSource, err error) {
	var f *excelize.File
	defer func() {
		if r := recover(); r != nil {
			err = ErrUnreadable.Wrap(fmt.Errorf("excelize panic: %v", r))
		}
		if err != nil && f != nil {
			_ = f.Close() // removes the temporary files
		}
	}()
	if err := checkZip(data, l); err != nil {
		return nil, err
	}
	f, err = excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    l.UnzipSizeLimit,
		UnzipXMLSizeLimit: l.UnzipXMLSizeLimit,
	})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") { // checkZip caught it first
			return nil, limitErr(ErrUnzippedTooLarge, l.UnzipSizeLimit, 0, 0).Wrap(err)
		}
		return nil, ErrUnreadable.Wrap(err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, ErrNotXLSX
	}
	isoDates(f)
	var rows *excelize.Rows
	for _, name := range sheets {
		if rows, err = f.Rows(name); err == nil {
			break
		}
	}
	if err != nil {
		return nil, ErrUnreadable.Wrap(err)
	}
	return &xlsxSource{f: f, rows: rows}, nil
}

// checkZip reads the zip's directory and refuses what is not a workbook
// (an Office Open XML package, with its [Content_Types].xml, whose parts
// are under xl/: not a Word document, nor an OpenDocument spreadsheet) and
// what would unzip beyond the limits: more than UnzipSizeLimit bytes in
// all, or more than inMemoryBudget bytes in the parts excelize keeps in
// memory (every part except worksheets and the shared strings table larger
// than UnzipXMLSizeLimit, which it unpacks to temporary files). Those larger
// parts are read once here to check that encoding/xml will hold no token
// longer than maxXMLRun while streaming them (see checkXMLRuns).
// Sizes are the ones the directory declares; archive/zip fails a part whose
// data is longer than declared.
func checkZip(data []byte, l Limits) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ErrUnreadable.Wrap(err)
	}
	var total, inMemory uint64
	budget := inMemoryBudget(l)
	types, xl := false, false
	for _, zf := range zr.File {
		name := strings.ToLower(strings.ReplaceAll(zf.Name, `\`, "/"))
		types = types || name == "[content_types].xml"
		xl = xl || strings.HasPrefix(name, "xl/")
		size := zf.UncompressedSize64
		total += size
		if total > uint64(l.UnzipSizeLimit) {
			return limitErr(ErrUnzippedTooLarge, l.UnzipSizeLimit, 0, 0)
		}
		streamed := strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml"
		if !streamed || size <= uint64(l.UnzipXMLSizeLimit) {
			inMemory += size
		} else if err := checkPartRuns(zf, maxXMLRun(l)); err != nil {
			return err
		}
		if inMemory > uint64(budget) {
			return limitErr(ErrUnzippedTooLarge, budget, 0, 0)
		}
	}
	if !types || !xl {
		return ErrNotXLSX
	}
	return nil
}

// checkPartRuns checks the XML runs of a part excelize will stream from disk.
func checkPartRuns(zf *zip.File, max int64) error {
	rc, err := zf.Open()
	if err != nil {
		return ErrUnreadable.Wrap(err)
	}
	defer func() { _ = rc.Close() }()
	if err := checkXMLRuns(rc, max); err != nil {
		return asFileError(err)
	}
	return nil
}

// next returns the next row of the sheet and its row number. Rows missing
// from the sheet's XML come back empty, so row numbers are the sheet's.
func (s *xlsxSource) next() (line int, cells []string, err error) {
	defer recoverAs(&err)
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			if err == excelize.ErrMaxRows {
				return 0, nil, limitErr(ErrTooManyRows, excelize.TotalRows, 0, 0)
			}
			return 0, nil, ErrUnreadable.Wrap(err)
		}
		return 0, nil, io.EOF
	}
	s.row++
	cells, err = s.rows.Columns()
	if err != nil {
		return 0, nil, ErrUnreadable.Wrap(err)
	}
	return s.row, cells, nil
}

// close closes the sheet's temporary file and removes every temporary file
// of the workbook. The rows' own error was already reported by next.
func (s *xlsxSource) close() error {
	_ = s.rows.Close()
	return s.f.Close()
}

// recoverAs turns a panic in excelize on a crafted file into ErrUnreadable.
func recoverAs(err *error) {
	if r := recover(); r != nil {
		*err = ErrUnreadable.Wrap(fmt.Errorf("excelize panic: %v", r))
	}
}
