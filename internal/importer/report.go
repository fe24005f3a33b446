package importer

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/sheets"
)

// report writes the error report of an import to out: a CSV (UTF-8 with a
// BOM and semicolons, as Excel in Portuguese opens it) of every failed row
// each gives, as kept, with its line and reasons, cells neutralised against
// formula injection.
func report(out io.Writer, header []string, each func(func(Failure) error) error, lang errs.Language) error {
	if _, err := io.WriteString(out, "\ufeff"); err != nil {
		return err
	}
	w := csv.NewWriter(out)
	w.Comma = sheets.CSVDelimiter // as the exports: what Excel in Portuguese splits on
	w.UseCRLF = true
	lineCol, reasonsCol := "line", "errors"
	if lang == errs.Portuguese {
		lineCol, reasonsCol = "linha", "erros"
	}
	head := append([]string{lineCol}, header...)
	head = append(head, reasonsCol)
	if err := w.Write(neutralize(head)); err != nil {
		return err
	}
	err := each(func(f Failure) error {
		row := make([]string, len(header))
		copy(row, f.Cells)
		if len(f.Cells) > len(header) {
			row = f.Cells
		}
		line := append([]string{strconv.Itoa(f.Line)}, row...)
		line = append(line, strings.Join(f.Reasons, "; "))
		return w.Write(neutralize(line))
	})
	if err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

func neutralize(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = sheets.Neutralize(c)
	}
	return out
}
