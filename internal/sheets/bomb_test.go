package sheets

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/omnichannel/contacts/internal/errs"
)

// allocatedBy returns the bytes allocated while fn ran (the TotalAlloc
// delta: every allocation, freed or not, so a peak cannot hide in it).
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// bombCeiling is what reading one of the bombs below may allocate: the
// file itself is in memory already, so this bounds the reader's own cost.
const bombCeiling = 64 << 20

func TestCSVColumnBomb(t *testing.T) {
	commas := func(n int) []byte { return bytes.Repeat([]byte(","), n) }
	quotedLines := "Nome,Obs\nAna,\"" + strings.Repeat("linha\n", 2<<20) + "\"\n"
	for _, tc := range []struct {
		name string
		data []byte
		code string
		line string
	}{
		{"8 MiB line of commas", append([]byte("Nome,Telefone\n"), commas(8<<20)...), "too_many_fields", "2"},
		{"8 MiB header of commas", commas(8 << 20), "too_many_fields", "1"},
		{"12 MiB quoted cell over many lines", []byte(quotedLines), "record_too_large", "2"},
		{"12 MiB line without a delimiter", append([]byte("Nome\nAna\n"), bytes.Repeat([]byte("x"), 12<<20)...), "record_too_large", "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			got := allocatedBy(func() {
				_, err = readUntilError(t, tc.data, int64(len(tc.data)), "bomba.csv", Limits{})
			})
			t.Logf("allocated %.1f MiB", float64(got)/(1<<20))
			if got > bombCeiling {
				t.Errorf("allocated %d MiB, want at most %d MiB", got>>20, bombCeiling>>20)
			}
			e := wantCode(t, err, errs.TooLarge, tc.code)
			if e.Params["line"] != tc.line {
				t.Errorf("line: got %q, want %q", e.Params["line"], tc.line)
			}
		})
	}
}

// TestCSVWideRecordsWithinLimits: a 12 MiB file of records of 16,384
// fields (Excel's trailing empty cells) is read to its end, each record's
// fields allocated once and reused.
func TestCSVWideRecordsWithinLimits(t *testing.T) {
	wide := bytes.Repeat([]byte(";"), DefaultMaxFieldsPerRecord-1)
	var b bytes.Buffer
	b.WriteString("Nome;Telefone\n")
	for b.Len() < 12<<20 {
		b.WriteString("Ana;(11) 98888-7777")
		b.Write(wide[2:])
		b.WriteString("\n")
	}
	data := b.Bytes()
	var rows []Row
	var err error
	got := allocatedBy(func() {
		rows, err = readUntilError(t, data, int64(len(data)), "largo.csv", Limits{})
	})
	t.Logf("allocated %.1f MiB for %d rows", float64(got)/(1<<20), len(rows))
	if err != io.EOF {
		t.Fatalf("got %v, want EOF", err)
	}
	if want := bytes.Count(data, []byte("\n")) - 1; len(rows) != want || len(rows[0].Cells) != 2 {
		t.Errorf("got %d rows (first %q), want %d of 2 cells", len(rows), rows[0].Cells, want)
	}
	if got > bombCeiling {
		t.Errorf("allocated %d MiB, want at most %d MiB", got>>20, bombCeiling>>20)
	}
}
