package importer

import (
	"unicode/utf8"

	"github.com/omnichannel/contacts/internal/errs"
)

// The bounds of a failed row as it is kept until the error report is
// written: its item must stay well under DynamoDB's 400 KB, whatever the
// file (a row may have 200 cells of 32,767 characters, 19 MiB).
const (
	// MaxStoredCellBytes bounds each cell and each reason: a longer one is
	// cut at a character boundary and ends with "…".
	MaxStoredCellBytes = 8 << 10
	// MaxStoredRowBytes bounds the reasons and cells of a row together,
	// reasons first: cells past it are kept empty.
	MaxStoredRowBytes = 64 << 10
)

// ellipsis ends a cut cell.
const ellipsis = "…"

// truncated returns f cut to the bounds above, with a reason saying so
// when anything was cut.
func truncated(f Failure, lang errs.Language) Failure {
	note := errs.Message(lang, "import_row_truncated", nil)
	left := MaxStoredRowBytes - len(note)
	cut := false
	out := Failure{Line: f.Line, Reasons: make([]string, len(f.Reasons)), Cells: make([]string, len(f.Cells))}
	for i, r := range f.Reasons {
		out.Reasons[i] = fit(r, &left, &cut)
	}
	for i, c := range f.Cells {
		out.Cells[i] = fit(c, &left, &cut)
	}
	if cut {
		out.Reasons = append(out.Reasons, note)
	}
	return out
}

// fit returns s cut to MaxStoredCellBytes and to the bytes left, which it
// takes from left; cut is set when s did not fit whole.
func fit(s string, left *int, cut *bool) string {
	if limit := min(MaxStoredCellBytes, *left); len(s) > limit {
		*cut = true
		if limit < len(ellipsis) {
			s = ""
		} else {
			s = cutAt(s, limit-len(ellipsis)) + ellipsis
		}
	}
	*left -= len(s)
	return s
}

// cutAt returns the longest prefix of s of at most n bytes that does not
// split a character.
func cutAt(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
