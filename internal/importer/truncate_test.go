package importer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/omnichannel/contacts/internal/errs"
)

func TestTruncated(t *testing.T) {
	note := errs.Message(errs.Portuguese, "import_row_truncated", nil)
	t.Run("a row within the bounds is kept whole", func(t *testing.T) {
		f := Failure{Line: 3, Cells: []string{"Ana", ""}, Reasons: []string{"phone: inválido"}}
		got := truncated(f, errs.Portuguese)
		if strings.Join(got.Cells, "|") != "Ana|" || strings.Join(got.Reasons, "|") != "phone: inválido" || got.Line != 3 {
			t.Errorf("got %+v, want %+v", got, f)
		}
	})
	t.Run("a long cell is cut at a character", func(t *testing.T) {
		cell := strings.Repeat("ç", MaxStoredCellBytes) // 2 bytes each
		got := truncated(Failure{Cells: []string{cell}, Reasons: []string{"r"}}, errs.Portuguese)
		c := got.Cells[0]
		if len(c) > MaxStoredCellBytes || len(c) < MaxStoredCellBytes-4 || !utf8.ValidString(c) || !strings.HasSuffix(c, "ç…") {
			t.Errorf("cell of %d bytes ending %q, want at most %d, valid UTF-8, ending ç…", len(c), c[len(c)-6:], MaxStoredCellBytes)
		}
		if got, want := strings.Join(got.Reasons, "|"), "r|"+note; got != want {
			t.Errorf("reasons %q, want %q", got, want)
		}
	})
	t.Run("the row's bound keeps the reasons and empties the last cells", func(t *testing.T) {
		cells := make([]string, 20)
		for i := range cells {
			cells[i] = strings.Repeat("x", MaxStoredCellBytes)
		}
		reason := strings.Repeat("r", 100)
		got := truncated(Failure{Cells: cells, Reasons: []string{reason}}, errs.Portuguese)
		size := 0
		for _, s := range append(got.Cells, got.Reasons...) {
			size += len(s)
		}
		if size > MaxStoredRowBytes || got.Reasons[0] != reason || got.Cells[19] != "" || len(got.Cells) != 20 {
			t.Errorf("%d bytes kept, reason kept %v, last cell %q; want at most %d, the reason whole, the last cell empty",
				size, got.Reasons[0] == reason, got.Cells[19], MaxStoredRowBytes)
		}
	})
}
