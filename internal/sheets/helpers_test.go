package sheets

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/omnichannel/contacts/internal/errs"
)

// readFixture returns the bytes of testdata/name.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// openAll opens data and reads every row, failing the test on any error.
func openAll(t testing.TB, data []byte, name string, l Limits) (*Reader, []Row) {
	t.Helper()
	r, err := Open(bytes.NewReader(data), int64(len(data)), name, l)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	t.Cleanup(func() { _ = r.Close() })
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return r, rows
		}
		if err != nil {
			t.Fatalf("Next after %d rows: %v", len(rows), err)
		}
		rows = append(rows, row)
	}
}

// readUntilError opens data and reads rows until an error, which it returns
// with the rows read before it (io.EOF when the file was read to the end).
func readUntilError(t testing.TB, data []byte, size int64, name string, l Limits) ([]Row, error) {
	t.Helper()
	r, err := Open(bytes.NewReader(data), size, name, l)
	if err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	var rows []Row
	for {
		row, err := r.Next()
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

// wantCode fails the test unless err is an *errs.Error of kind and code.
func wantCode(t testing.TB, err error, kind errs.Kind, code string) *errs.Error {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want *errs.Error %s", err, code)
	}
	if e.Kind != kind || e.Code != code {
		t.Fatalf("got %s/%s (%v), want %s/%s", e.Kind, e.Code, err, kind, code)
	}
	return e
}

// wantRows fails the test unless the rows have the given lines and cells.
func wantRows(t testing.TB, got []Row, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows %v, want %d rows %v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Line != want[i].Line || !reflect.DeepEqual(got[i].Cells, want[i].Cells) {
			t.Errorf("row %d: got line %d %q, want line %d %q", i, got[i].Line, got[i].Cells, want[i].Line, want[i].Cells)
		}
	}
}

// buildXLSX returns the bytes of a workbook that fill made.
func buildXLSX(t testing.TB, fill func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	fill(f)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// setRow writes values from cell ref on, failing the test on error.
func setRow(t testing.TB, f *excelize.File, ref string, values ...any) {
	t.Helper()
	if err := f.SetSheetRow("Sheet1", ref, &values); err != nil {
		t.Fatal(err)
	}
}

// zipEntry is one part of a zip built by buildZip.
type zipEntry struct {
	name string
	data []byte
}

// buildZip returns a deflated zip of the entries.
func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// unzip returns the parts of the zip data, in order.
func unzip(t testing.TB, data []byte) []zipEntry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []zipEntry
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		_ = rc.Close()
		out = append(out, zipEntry{zf.Name, b})
	}
	return out
}
