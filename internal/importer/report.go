package importer

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/sheets"
)

// report is the error report of an import: a CSV (UTF-8 with a BOM and
// semicolons, as Excel in Portuguese opens it) of every failed row as given, with its line and reasons,
// cells neutralised against formula injection.
func report(header []string, failures []Failure, lang errs.Language) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.Comma = sheets.CSVDelimiter // as the exports: what Excel in Portuguese splits on
	w.UseCRLF = true
	lineCol, reasonsCol := "line", "errors"
	if lang == errs.Portuguese {
		lineCol, reasonsCol = "linha", "erros"
	}
	head := append([]string{lineCol}, header...)
	head = append(head, reasonsCol)
	if err := w.Write(neutralize(head)); err != nil {
		return nil, err
	}
	for _, f := range failures {
		row := make([]string, len(header))
		copy(row, f.Cells)
		if len(f.Cells) > len(header) {
			row = f.Cells
		}
		out := append([]string{strconv.Itoa(f.Line)}, row...)
		out = append(out, strings.Join(f.Reasons, "; "))
		if err := w.Write(neutralize(out)); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func neutralize(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = sheets.Neutralize(c)
	}
	return out
}
