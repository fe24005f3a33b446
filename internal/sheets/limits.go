package sheets

import (
	"strconv"

	"github.com/omnichannel/contacts/internal/errs"
)

// Defaults of Limits; a zero or negative field of Limits takes its default.
const (
	// DefaultMaxBytes bounds the uploaded file: 50 MiB.
	DefaultMaxBytes int64 = 50 << 20
	// DefaultMaxRows is Excel's sheet limit, 1,048,576, counted in data rows
	// (the header and empty rows are not counted).
	DefaultMaxRows = 1 << 20
	// DefaultMaxColumns bounds the columns of a row, trailing empty cells
	// not counted.
	DefaultMaxColumns = 200
	// DefaultMaxCellRunes is the longest cell Excel can hold, 32,767
	// characters. It guards memory (a row is at most MaxColumns ×
	// MaxCellRunes characters), not the fields' own rules: a contact field
	// that is too long is reported on its row by the domain's validation,
	// while a longer cell cannot have come from a spreadsheet program and
	// fails the file.
	DefaultMaxCellRunes = 32767
	// DefaultMaxRecordBytes bounds a CSV record (a line, or several when a
	// quoted cell holds line breaks): 2 MiB of text, counted as it streams
	// in, before encoding/csv holds the record, which costs it about four
	// times the record's size. A row of contacts never comes near it (200
	// cells of 10,000 characters each).
	DefaultMaxRecordBytes int64 = 2 << 20
	// DefaultMaxFieldsPerRecord bounds the fields of a CSV record and the
	// cells of an XLSX row, empty ones included: 16,384, Excel's column
	// limit (a sheet saved as CSV can carry that many trailing empty
	// cells). It is counted before encoding/csv splits the record, which
	// costs it about 40 bytes per field: an 8 MiB line of commas would
	// otherwise take over 1 GiB.
	DefaultMaxFieldsPerRecord = 16384
	// DefaultUnzipSizeLimit bounds the unzipped size of an XLSX workbook,
	// all parts together: 512 MiB. Worksheets larger than UnzipXMLSizeLimit
	// are unpacked to the temporary directory, so it also bounds the disk
	// an import uses (size the function's ephemeral storage above it).
	DefaultUnzipSizeLimit int64 = 512 << 20
	// DefaultUnzipXMLSizeLimit is the largest worksheet or shared strings
	// table kept in memory (larger ones are streamed from a temporary file):
	// 1 MiB. excelize unmarshals a shared strings table kept in memory
	// whole, at about 350 bytes an entry (a 16 MiB table of short entries
	// took 317 MiB of heap), while from a temporary file it keeps about 40
	// bytes an entry.
	DefaultUnzipXMLSizeLimit int64 = 1 << 20
)

// The bounds of what excelize builds from a workbook's XML, checked by
// reading every XML part once before excelize opens it (see checkPart).
const (
	// inMemoryBytes is how many bytes the parts of a workbook that excelize
	// keeps in memory (all but the worksheets and shared strings table it
	// streams from disk) may add up to: 64 MiB.
	inMemoryBytes = 64 << 20
	// maxParsedElements bounds the elements of the parts excelize
	// unmarshals whole (styles, workbook, relationships, content types,
	// theme, calculation chain: every XML part but the sheets and the
	// shared strings), an attribute counting a quarter of an element:
	// unmarshalled, an element takes about 300 bytes and an attribute
	// about 60 (96 KB of <xf/> zipped took 3.6 GiB of heap; 500,000 take
	// 194 MiB). Excel's 64,000 cell formats with ten attributes and
	// an alignment each count about 290,000.
	maxParsedElements = 500_000
	// maxSharedStrings bounds the entries of the shared strings table (the
	// distinct texts of the workbook): two per row of Excel's largest sheet.
	// excelize keeps an offset pair per entry, about 40 bytes.
	maxSharedStrings = 2 << 20
	// maxXMLDepth bounds how deep elements nest: encoding/xml keeps a stack
	// entry per open element while excelize streams a sheet. A workbook's
	// parts nest about ten deep.
	maxXMLDepth = 256
)

// inMemoryBudget is how many bytes the parts of a workbook that excelize
// keeps in memory may add up to: inMemoryBytes, or the unzip limit when
// that is lower.
func inMemoryBudget(l Limits) int64 {
	return min(inMemoryBytes, l.UnzipSizeLimit)
}

// Limits bound what a Reader accepts, so that a crafted or runaway file
// costs bounded memory, disk and time. Breaking one is an *errs.Error whose
// code names the limit.
type Limits struct {
	MaxBytes           int64 // bytes of the file as uploaded; file_too_large
	MaxRows            int   // data rows; too_many_rows
	MaxColumns         int   // cells of a row; too_many_columns
	MaxCellRunes       int   // characters of a cell; cell_too_long
	MaxRecordBytes     int64 // CSV: bytes of a record; record_too_large
	MaxFieldsPerRecord int   // CSV fields of a record, XLSX cells of a row, empty ones included; too_many_fields
	UnzipSizeLimit     int64 // XLSX: bytes of all parts unzipped; unzipped_too_large
	UnzipXMLSizeLimit  int64 // XLSX: bytes of a part kept in memory
}

// withDefaults returns l with every unset field at its default and the
// unzip limits consistent (the XML limit at most the total).
func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxColumns <= 0 {
		l.MaxColumns = DefaultMaxColumns
	}
	if l.MaxCellRunes <= 0 {
		l.MaxCellRunes = DefaultMaxCellRunes
	}
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if l.MaxFieldsPerRecord <= 0 {
		l.MaxFieldsPerRecord = DefaultMaxFieldsPerRecord
	}
	if l.UnzipSizeLimit <= 0 {
		l.UnzipSizeLimit = DefaultUnzipSizeLimit
	}
	if l.UnzipXMLSizeLimit <= 0 {
		l.UnzipXMLSizeLimit = DefaultUnzipXMLSizeLimit
	}
	l.UnzipXMLSizeLimit = min(l.UnzipXMLSizeLimit, l.UnzipSizeLimit)
	return l
}

// The errors of a file that cannot be read. Each is copied with its
// parameters set, e.g. ErrFileTooLarge.With("max", "52428800").
var (
	// ErrFileTooLarge: the file has more than Limits.MaxBytes bytes.
	ErrFileTooLarge = errs.E(errs.TooLarge, "file_too_large")
	// ErrUnzippedTooLarge: the XLSX workbook unzips to more than the unzip limits.
	ErrUnzippedTooLarge = errs.E(errs.TooLarge, "unzipped_too_large")
	// ErrTooManyRows: the file has more than Limits.MaxRows data rows.
	ErrTooManyRows = errs.E(errs.TooLarge, "too_many_rows")
	// ErrTooManyColumns: a row has more than Limits.MaxColumns cells.
	ErrTooManyColumns = errs.E(errs.TooLarge, "too_many_columns")
	// ErrCellTooLong: a cell has more than Limits.MaxCellRunes characters.
	ErrCellTooLong = errs.E(errs.TooLarge, "cell_too_long")
	// ErrRecordTooLarge: a CSV record has more than Limits.MaxRecordBytes bytes.
	ErrRecordTooLarge = errs.E(errs.TooLarge, "record_too_large")
	// ErrTooManyFields: a CSV record or an XLSX row has more than
	// Limits.MaxFieldsPerRecord fields or cells, empty ones included.
	ErrTooManyFields = errs.E(errs.TooLarge, "too_many_fields")
	// ErrTooManySharedStrings: the XLSX workbook has more distinct texts
	// (shared strings) than maxSharedStrings.
	ErrTooManySharedStrings = errs.E(errs.TooLarge, "too_many_shared_strings")
	// ErrSharedStringTooLong: a shared string of the XLSX workbook is
	// longer than Limits.MaxRecordBytes, as XML.
	ErrSharedStringTooLong = errs.E(errs.TooLarge, "shared_string_too_long")
	// ErrWorkbookTooComplex: the XLSX parts excelize unmarshals whole
	// (styles, ...) have more than maxParsedNodes elements and attributes.
	ErrWorkbookTooComplex = errs.E(errs.TooLarge, "workbook_too_complex")
	// ErrNotXLSX: the file is named .xlsx but is not a zip, or is a zip but
	// not an Excel workbook (an OpenDocument or Word file, say).
	ErrNotXLSX = errs.E(errs.Invalid, "file_not_xlsx")
	// ErrFormatUnsupported: a legacy .xls workbook, or a password-protected
	// one (both are OLE compound files).
	ErrFormatUnsupported = errs.E(errs.Invalid, "file_format_unsupported")
	// ErrUnreadable: the file is damaged, or binary data that is not a
	// spreadsheet.
	ErrUnreadable = errs.E(errs.Invalid, "file_unreadable")
	// ErrEmpty: the file has no non-empty row, so no header.
	ErrEmpty = errs.E(errs.Invalid, "file_empty")
)

// limitErr returns base with the limit and, when known, where it was broken.
// line and column are 1-based; 0 leaves them out.
func limitErr(base *errs.Error, max int64, line, column int) *errs.Error {
	e := base.With("max", strconv.FormatInt(max, 10))
	if line > 0 {
		e = e.With("line", strconv.Itoa(line))
	}
	if column > 0 {
		e = e.With("column", strconv.Itoa(column))
	}
	return e
}
