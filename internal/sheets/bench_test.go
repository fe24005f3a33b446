package sheets

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/omnichannel/contacts/internal/heaptest"
)

// benchRows is the size of the benchmark files.
const benchRows = 100_000

var benchHeader = []string{"Nome", "Celular", "E-mail", "CPF", "Data de nascimento", "Empresa", "Etiquetas", "Plano"}

// benchCells returns the cells of data row i.
func benchCells(i int) []string {
	return []string{
		fmt.Sprintf("José da Conceição %d", i), fmt.Sprintf("+55119%08d", i), fmt.Sprintf("pessoa%d@example.com.br", i),
		fmt.Sprintf("%011d", i), "1980-12-25", "Padaria São João Ltda", "vip, atacado", "ouro",
	}
}

// benchCSV is a pt-BR Excel CSV (';', UTF-8 with BOM) of benchRows rows.
func benchCSV(b *testing.B) []byte {
	b.Helper()
	rows := [][]string{benchHeader}
	for i := range benchRows {
		rows = append(rows, benchCells(i))
	}
	return writeAll(b, CSV, rows)
}

// benchXLSX is a workbook of benchRows rows as Excel would have them typed:
// phones and CPFs as numbers or text, birth dates as dates.
func benchXLSX(b *testing.B) []byte {
	b.Helper()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	header := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		header[i] = h
	}
	if err := sw.SetRow("A1", header); err != nil {
		b.Fatal(err)
	}
	birth := time.Date(1980, 12, 25, 0, 0, 0, 0, time.UTC)
	for i := range benchRows {
		c := benchCells(i)
		row := []any{c[0], 5511900000000 + i, c[2], c[3], excelize.Cell{StyleID: date, Value: birth}, c[5], c[6], c[7]}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// benchRead reads data b.N times, reporting rows/s and allocations per row.
func benchRead(b *testing.B, data []byte, name string) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		r, err := Open(bytes.NewReader(data), int64(len(data)), name, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		_ = r.Close()
		if n != benchRows {
			b.Fatalf("got %d rows, want %d", n, benchRows)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	rows := float64(benchRows * b.N)
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/rows, "allocs/row")
}

func BenchmarkReadCSV(b *testing.B) {
	benchRead(b, benchCSV(b), "contatos.csv")
}

func BenchmarkReadXLSX(b *testing.B) {
	benchRead(b, benchXLSX(b), "contatos.xlsx")
}

// benchWrite writes benchRows rows in format b.N times, reporting rows/s.
func benchWrite(b *testing.B, format Format) {
	b.ReportAllocs()
	rows := make([][]string, benchRows)
	for i := range rows {
		rows[i] = benchCells(i)
	}
	b.ResetTimer()
	for b.Loop() {
		w, err := NewWriter(io.Discard, format, benchHeader)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkWriteCSV(b *testing.B)  { benchWrite(b, CSV) }
func BenchmarkWriteXLSX(b *testing.B) { benchWrite(b, XLSX) }

// BenchmarkReadXLSXAtEveryLimit reads the costliest workbook the checks
// let through: styles of just under maxParsedElements elements, a shared
// strings table of maxSharedStrings entries, and an incompressible part
// filling the file to 45 MiB. It reports the peak heap while reading
// (sampled every 5 ms, over the heap before), which the import function's
// GOMEMLIMIT must leave room for (tests/template_test.go).
func BenchmarkReadXLSXAtEveryLimit(b *testing.B) {
	junk := make([]byte, 45<<20)
	_, _ = rand.Read(junk)
	book := withParts(b, xlsxOfRows(b, 1), map[string]string{
		stylesPath:          xmlHead + `<styleSheet ` + mainNS + `><cellXfs>` + strings.Repeat("<xf/>", maxParsedElements-2000) + `</cellXfs></styleSheet>`,
		stringsPath:         stringsOf(strings.Repeat("<si><t>a</t></si>", maxSharedStrings)),
		sheetPath:           sheetOf(`<row r="2"><c r="A2" t="s"><v>5</v></c></row>`),
		"xl/media/junk.bin": string(junk),
	})
	var peak uint64
	for b.Loop() {
		var err error
		var base runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&base)
		stop := heaptest.Sample()
		_, err = readUntilError(b, book, int64(len(book)), "x.xlsx", Limits{})
		top := stop()
		peak = max(peak, top-min(top, base.HeapInuse))
		if err != io.EOF {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(book))/(1<<20), "file-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
