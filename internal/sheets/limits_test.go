package sheets

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/omnichannel/contacts/internal/errs"
)

// csvOfRows returns a CSV with a header and n data rows.
func csvOfRows(n int) []byte {
	var b strings.Builder
	b.WriteString("Nome;Telefone\r\n")
	for i := range n {
		fmt.Fprintf(&b, "Pessoa %d;119%08d\r\n", i+1, i)
	}
	return []byte(b.String())
}

// xlsxOfRows returns a workbook with a header and n data rows.
func xlsxOfRows(t testing.TB, n int) []byte {
	t.Helper()
	return buildXLSX(t, func(f *excelize.File) {
		setRow(t, f, "A1", "Nome", "Telefone")
		for i := range n {
			setRow(t, f, fmt.Sprintf("A%d", i+2), fmt.Sprintf("Pessoa %d", i+1), 11900000000+i)
		}
	})
}

func TestLimitsDefaults(t *testing.T) {
	got := Limits{}.withDefaults()
	want := Limits{
		MaxBytes: 50 << 20, MaxRows: 1048576, MaxColumns: 200, MaxCellRunes: 32767,
		MaxRecordBytes: 2 << 20, MaxFieldsPerRecord: 16384,
		UnzipSizeLimit: 512 << 20, UnzipXMLSizeLimit: 1 << 20,
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got, want := (Limits{UnzipSizeLimit: 1 << 20}).withDefaults().UnzipXMLSizeLimit, int64(1<<20); got != want {
		t.Errorf("XML limit over the total: got %d, want %d", got, want)
	}
}

func TestLimitMaxRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"csv", csvOfRows(11)},
		{"xlsx", xlsxOfRows(t, 11)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := readUntilError(t, tc.data, int64(len(tc.data)), "", Limits{MaxRows: 10})
			e := wantCode(t, err, errs.TooLarge, "too_many_rows")
			if got, want := len(rows), 10; got != want {
				t.Errorf("rows before the error: got %d, want %d", got, want)
			}
			if got, want := e.Params["max"], "10"; got != want {
				t.Errorf("max: got %q, want %q", got, want)
			}
			if got, want := e.Params["line"], "12"; got != want {
				t.Errorf("line: got %q, want %q", got, want)
			}
			// Exactly at the limit is fine.
			rows, err = readUntilError(t, tc.data, int64(len(tc.data)), "", Limits{MaxRows: 11})
			if err != io.EOF || len(rows) != 11 {
				t.Errorf("at the limit: got %d rows and %v, want 11 and EOF", len(rows), err)
			}
		})
	}
}

func TestLimitMaxBytes(t *testing.T) {
	data := csvOfRows(1000)
	n := int64(len(data))
	t.Run("declared size", func(t *testing.T) {
		_, err := Open(bytes.NewReader(data), n, "x.csv", Limits{MaxBytes: n - 1})
		e := wantCode(t, err, errs.TooLarge, "file_too_large")
		if got, want := e.Params["max"], fmt.Sprint(n-1); got != want {
			t.Errorf("max: got %q, want %q", got, want)
		}
	})
	t.Run("unknown size, streamed", func(t *testing.T) {
		rows, err := readUntilError(t, data, -1, "x.csv", Limits{MaxBytes: n - 1})
		wantCode(t, err, errs.TooLarge, "file_too_large")
		if len(rows) == 0 || len(rows) >= 1000 {
			t.Errorf("got %d rows before the error, want some but not all", len(rows))
		}
	})
	t.Run("size understated", func(t *testing.T) {
		_, err := readUntilError(t, data, 10, "x.csv", Limits{MaxBytes: n - 1})
		wantCode(t, err, errs.TooLarge, "file_too_large")
	})
	t.Run("exactly the limit", func(t *testing.T) {
		rows, err := readUntilError(t, data, -1, "x.csv", Limits{MaxBytes: n})
		if err != io.EOF || len(rows) != 1000 {
			t.Errorf("got %d rows and %v, want 1000 and EOF", len(rows), err)
		}
	})
	t.Run("xlsx", func(t *testing.T) {
		x := xlsxOfRows(t, 10)
		_, err := Open(bytes.NewReader(x), -1, "x.xlsx", Limits{MaxBytes: int64(len(x)) - 1})
		wantCode(t, err, errs.TooLarge, "file_too_large")
	})
}

func TestLimitMaxColumns(t *testing.T) {
	data := []byte("a;b;c\n1;2;3;;;;\n1;2;3;4\n")
	rows, err := readUntilError(t, data, -1, "", Limits{MaxColumns: 3})
	e := wantCode(t, err, errs.TooLarge, "too_many_columns")
	if got, want := len(rows), 1; got != want { // trailing empty cells do not count
		t.Errorf("rows before the error: got %d, want %d", got, want)
	}
	if got, want := e.Params["line"], "3"; got != want {
		t.Errorf("line: got %q, want %q", got, want)
	}
	_, err = Open(bytes.NewReader(data), -1, "", Limits{MaxColumns: 2})
	wantCode(t, err, errs.TooLarge, "too_many_columns") // the header too
}

func TestLimitMaxCellRunes(t *testing.T) {
	// Characters, not bytes: 5 "ç" are 10 bytes and fit a limit of 5.
	data := []byte("Nome;Obs\nAna;ççççç\nBia;çççççç\n")
	rows, err := readUntilError(t, data, -1, "", Limits{MaxCellRunes: 5})
	e := wantCode(t, err, errs.TooLarge, "cell_too_long")
	if got, want := len(rows), 1; got != want {
		t.Errorf("rows before the error: got %d, want %d", got, want)
	}
	if got, want := e.Params["line"]+":"+e.Params["column"], "3:2"; got != want {
		t.Errorf("line:column: got %q, want %q", got, want)
	}
}

// inflateSheet returns workbook with pad bytes of spaces added to its
// sheet's XML: whitespace between elements, valid XML that deflates to
// almost nothing.
func inflateSheet(t testing.TB, workbook []byte, pad int) []byte {
	t.Helper()
	parts := unzip(t, workbook)
	for i, p := range parts {
		if p.name == "xl/worksheets/sheet1.xml" {
			end := bytes.LastIndex(p.data, []byte("</worksheet>"))
			padded := append(append(append([]byte{}, p.data[:end]...), bytes.Repeat([]byte(" "), pad)...), p.data[end:]...)
			parts[i].data = padded
		}
	}
	return buildZip(t, parts...)
}

func TestXLSXZipBomb(t *testing.T) {
	bomb := inflateSheet(t, xlsxOfRows(t, 3), 64<<20) // 64 MiB of sheet XML
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes, want under 1 MiB", len(bomb))
	}
	t.Run("over the unzip limit", func(t *testing.T) {
		_, err := Open(bytes.NewReader(bomb), int64(len(bomb)), "x.xlsx", Limits{UnzipSizeLimit: 32 << 20})
		e := wantCode(t, err, errs.TooLarge, "unzipped_too_large")
		if got, want := e.Params["max"], fmt.Sprint(32<<20); got != want {
			t.Errorf("max: got %q, want %q", got, want)
		}
	})
	t.Run("within it, one huge XML token", func(t *testing.T) {
		// Streamed from disk, the sheet would still be one 64 MiB token
		// for encoding/xml: checked first, in a streaming pass.
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Open(bytes.NewReader(bomb), int64(len(bomb)), "x.xlsx", Limits{UnzipSizeLimit: 128 << 20})
		runtime.ReadMemStats(&after)
		e := wantCode(t, err, errs.TooLarge, "unzipped_too_large")
		if got, want := e.Params["max"], fmt.Sprint(maxXMLRun(Limits{}.withDefaults())); got != want {
			t.Errorf("max: got %q, want %q", got, want)
		}
		if got, max := after.TotalAlloc-before.TotalAlloc, uint64(16<<20); got > max {
			t.Errorf("allocated %d bytes, want at most %d", got, max)
		}
	})
}

// ignoreXML is xmlEvents that checks nothing.
type ignoreXML struct{}

func (ignoreXML) tag(*xmlTag, int) error { return nil }
func (ignoreXML) text([]byte)            {}
func (ignoreXML) opaque()                {}

func TestXMLRuns(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, tc := range []struct {
		name, xml string
		ok        bool
	}{
		{"short runs", `<?xml version="1.0"?><a b="1"><c>texto</c></a>`, true},
		{"long text", `<a>` + long + `</a>`, false},
		{"long tag", `<a b="` + long + `"/>`, false},
		{"> inside an attribute", `<a b="` + strings.Repeat(">", 100) + `"/>`, false},
		{"quote in a comment", `<!-- don't --><a>` + strings.Repeat("y", 60) + `</a>`, true},
		{"long comment", `<!--` + long + `-->`, false},
		{"long CDATA", `<a><![CDATA[` + long + `]]></a>`, false},
		{"directive with a subset", `<!DOCTYPE a [<!ENTITY e "` + long + `">]><a/>`, false},
		{"unclosed", `<a b="`, true},
	} {
		err := newXMLScanner(strings.NewReader(tc.xml), 80, ignoreXML{}).scan()
		if got := err == nil; got != tc.ok {
			t.Errorf("%s: got error %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestXLSXPartBombKeptInMemory(t *testing.T) {
	// Parts other than worksheets and a large shared strings table are
	// unpacked into memory: their total is bounded by inMemoryBytes.
	parts := unzip(t, xlsxOfRows(t, 1))
	parts = append(parts, zipEntry{"xl/custom.xml", bytes.Repeat([]byte(" "), inMemoryBytes)})
	bomb := buildZip(t, parts...)
	_, err := Open(bytes.NewReader(bomb), -1, "x.xlsx", Limits{})
	e := wantCode(t, err, errs.TooLarge, "unzipped_too_large")
	if got, want := e.Params["max"], fmt.Sprint(inMemoryBytes); got != want {
		t.Errorf("max: got %q, want %q", got, want)
	}
}

func TestXLSXUnderstatedSize(t *testing.T) {
	// A zip whose directory claims a small sheet that inflates to 64 MiB:
	// archive/zip stops at the declared size, so the sheet reads as cut
	// short (here: empty), never as a memory bomb.
	var payload bytes.Buffer
	payload.WriteString(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	payload.Write(bytes.Repeat([]byte(" "), 64<<20))
	payload.WriteString(`</sheetData></worksheet>`)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	_, _ = fw.Write(payload.Bytes())
	_ = fw.Close()

	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, p := range unzip(t, xlsxOfRows(t, 1)) {
		if p.name == "xl/worksheets/sheet1.xml" {
			w, err := zw.CreateRaw(&zip.FileHeader{
				Name: p.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(payload.Bytes()),
				CompressedSize64: uint64(comp.Len()), UncompressedSize64: 1000,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write(comp.Bytes())
			continue
		}
		w, _ := zw.Create(p.name)
		_, _ = w.Write(p.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := out.Bytes()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := readUntilError(t, data, -1, "x.xlsx", Limits{})
	runtime.ReadMemStats(&after)
	if got := errs.KindOf(err); got != errs.Invalid {
		t.Errorf("got %v, want an Invalid error", err)
	}
	if got, max := after.TotalAlloc-before.TotalAlloc, uint64(32<<20); got > max {
		t.Errorf("allocated %d bytes, want at most %d", got, max)
	}
}
