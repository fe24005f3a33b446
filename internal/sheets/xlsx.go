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
// than UnzipXMLSizeLimit, which it unpacks to temporary files). Then it
// reads every XML part once, the shared strings table first, to bound what
// excelize would build from it (see checkPart). Sizes are the ones the
// directory declares; archive/zip fails a part whose data is longer than
// declared.
func checkZip(data []byte, l Limits) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ErrUnreadable.Wrap(err)
	}
	var total, inMemory uint64
	budget := inMemoryBudget(l)
	types, xl := false, false
	names := map[string]bool{}
	for _, zf := range zr.File {
		name := partName(zf)
		if names[name] { // part names are case-insensitive and unique (ECMA-376 part 2)
			return ErrUnreadable
		}
		names[name] = true
		types = types || name == "[content_types].xml"
		xl = xl || strings.HasPrefix(name, "xl/")
		size := zf.UncompressedSize64
		total += size
		if total > uint64(l.UnzipSizeLimit) {
			return limitErr(ErrUnzippedTooLarge, l.UnzipSizeLimit, 0, 0)
		}
		if kind := kindOf(name, size, l); kind != sheetPart && kind != stringsOnDisk {
			inMemory += size
		}
		if inMemory > uint64(budget) {
			return limitErr(ErrUnzippedTooLarge, budget, 0, 0)
		}
	}
	if !types || !xl {
		return ErrNotXLSX
	}
	return checkParts(zr, l)
}

// partName is a part's name as excelize matches it: lower case, with
// forward slashes.
func partName(zf *zip.File) string {
	return strings.ToLower(strings.ReplaceAll(zf.Name, `\`, "/"))
}

// kindOf tells how excelize reads the part name of size bytes.
func kindOf(name string, size uint64, l Limits) partKind {
	switch {
	case name == "xl/sharedstrings.xml" && size > uint64(l.UnzipXMLSizeLimit):
		return stringsOnDisk
	case name == "xl/sharedstrings.xml":
		return stringsInMemory
	case strings.HasPrefix(name, "xl/worksheets/sheet"):
		return sheetPart
	}
	return parsedPart
}

// checkParts checks the XML parts, the shared strings table first (the
// sheets' checks need the size of its entries). Other parts (images,
// printer settings) are not read when importing.
func checkParts(zr *zip.Reader, l Limits) error {
	nodes, ss := 0, &sharedStrings{}
	for _, stringsFirst := range []bool{true, false} {
		for _, zf := range zr.File {
			name := partName(zf)
			kind := kindOf(name, zf.UncompressedSize64, l)
			isStrings := kind == stringsInMemory || kind == stringsOnDisk
			xml := strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels") || kind == sheetPart
			if isStrings != stringsFirst || !xml {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				return ErrUnreadable.Wrap(err)
			}
			err = checkPart(rc, l, kind, &nodes, ss)
			_ = rc.Close()
			if err != nil {
				return asFileError(err)
			}
		}
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
