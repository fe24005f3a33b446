package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// row is one line of the table.
type row struct {
	area   string // "function", "DynamoDB", "search", ...
	what   string // the function, operation or request
	result string // the figures
	beside string // what to read them against, measured in the same run
}

// report collects the rows of every phase.
type report struct {
	cfg      config
	mu       sync.Mutex
	rows     []row
	failures []string
	notes    []string // said under the table
	elapsed  time.Duration
	rawRows  float64 // raw BatchWriteItem rows/s of the import run, beside the export rows
}

func (r *report) add(rows ...row) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, rows...)
}

func (r *report) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *report) fail(phase string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, phase+": "+err.Error())
	msg := strings.SplitN(err.Error(), "\n", 2)[0]
	r.rows = append(r.rows, row{area: phase, what: "—", result: "**failed**: " + msg})
}

// table renders the rows as one markdown table, in phase order.
func (r *report) table() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	order := map[string]int{}
	for i, a := range []string{"function", "DynamoDB", "search", "import", "export", "load"} {
		order[a] = i
	}
	rows := make([]row, len(r.rows))
	copy(rows, r.rows)
	// Stable: rows keep their order within an area.
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rank(order, rows[j].area) < rank(order, rows[j-1].area); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
	var b strings.Builder
	b.WriteString("| area | what | result | beside it (same run) |\n|---|---|---|---|\n")
	for _, x := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(x.area), cell(x.what), cell(x.result), cell(x.beside))
	}
	for _, n := range r.notes {
		b.WriteString("\n" + n + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func rank(order map[string]int, area string) int {
	if i, ok := order[area]; ok {
		return i
	}
	return len(order)
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// section is the generated part of docs/performance.md.
func (r *report) section(table string) string {
	c := r.cfg
	var b strings.Builder
	fmt.Fprintf(&b, "## Measured by `make bench` (generated: do not edit by hand)\n\n")
	fmt.Fprintf(&b, "Run on %s on %s; the measurements took %s (after `make build`).\n",
		time.Now().UTC().Format("2006-01-02"), machine(), r.elapsed.Round(time.Second))
	fmt.Fprintf(&b, "Settings: search workspaces of %s and %s contacts (`BENCH_FROM`, `BENCH_CONTACTS`), %s import/export rows (`BENCH_ROWS`), "+
		"search benchtime %s, %d cold starts per function, load test of %d clients for at most %s requests "+
		"(`BENCH_REQUESTS`) or %s. `go run ./infra/bench -h` lists the flags.\n\n",
		thousands(c.from), thousands(c.contacts), thousands(c.rows), c.benchtime, c.coldStarts, c.clients, thousands(c.requests), secs(c.duration))
	b.WriteString(`What the rows are:
- **function**: the size of ` + "`build/<fn>/bootstrap`" + ` and ` + "`build/<fn>.zip`" + ` as ` + "`make build`" + ` makes them (linux/arm64,
  what is deployed), and the cold start: the same source built for this machine with the same flags,
  started by the emulated Lambda Runtime API (` + "`infra/local/lambdart`" + `) with its sample event
  ` + "`events/<fn>.json`" + ` and the environment of the local platform (DynamoDB Local, moto), from process start
  to its first response (median of the cold starts, min–max in brackets; init is process start to the
  first ` + "`/next`" + `). The first response is what the sample event gets (an HTTP status, ` + "`ok`" + ` or the error
  type for a worker); beside it, the next (warm) invocation of the same event on the same process.
- **DynamoDB**: calls and capacity units of one operation, as DynamoDB Local reports them (the meter
  corrects transactions), from ` + "`TestCapacity`" + ` and ` + "`TestConversationCapacity`" + ` (` + "`internal/dynamo`" + `); they
  depend on item sizes only, not on the machine.
- **search**: ` + "`BenchmarkSearch100k`" + ` on one workspace of the given size in DynamoDB Local (in memory): one
  page of 50 per request, eventually consistent; latencies beside a consistent ` + "`GetItem`" + ` of one contact.
- **import**/**export**: ` + "`BenchmarkImport`" + ` (a CSV through the import worker into a fresh table) and
  ` + "`BenchmarkExport`" + ` (CSV and XLSX files of the workspace); rows/s beside the raw ` + "`BatchWriteItem`" + ` ceiling
  measured by the import benchmark (one 400-byte item per row, 25 per call, 16 calls at once, where an
  imported row is a contact with its lookups and index entries); peak memory is the benchmark
  process's peak Go heap in use (sampled every 5 ms).
- **load**: the local platform (HTTP API, functions, DynamoDB Local, moto; clients on 127.0.0.1), concurrent
  clients each doing 30% create, 40% search (list, name prefix, phone digits, tag), 20% update (a read
  for the ETag, then ` + "`PATCH`" + ` with ` + "`If-Match`" + `) and 10% tag; then every created contact is read back and
  looked for in the list: its last successful update and every tag put on it must be there.
  Latencies are as the client sees them, through the emulated HTTP API.

Not measured yet: the bulk delete worker's rows/s (it has no benchmark).

Latencies depend on this machine (DynamoDB Local, the functions and the benchmark share its CPUs):
read them against the baseline beside them, not as AWS figures.

`)
	b.WriteString(table)
	b.WriteString("\n")
	return b.String()
}

const (
	markStart = "<!-- bench:start -->"
	markEnd   = "<!-- bench:end -->"
)

// writeDoc replaces what lies between the markers of path with section; with
// no markers, the section goes before the file's first "## " heading.
func writeDoc(path, section string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := replaceSection(data, section)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}

func replaceSection(data []byte, section string) ([]byte, error) {
	block := markStart + "\n" + strings.TrimRight(section, "\n") + "\n" + markEnd
	i := bytes.Index(data, []byte(markStart))
	j := bytes.Index(data, []byte(markEnd))
	switch {
	case i >= 0 && j > i:
		var b bytes.Buffer
		b.Write(data[:i])
		b.WriteString(block)
		b.Write(data[j+len(markEnd):])
		return b.Bytes(), nil
	case i >= 0 || j >= 0:
		return nil, fmt.Errorf("one of %s and %s is missing or they are out of order", markStart, markEnd)
	}
	k := bytes.Index(data, []byte("\n## "))
	if k < 0 {
		return append(append(bytes.TrimRight(data, "\n"), "\n\n"...), block+"\n"...), nil
	}
	var b bytes.Buffer
	b.Write(data[:k+1])
	b.WriteString(block + "\n\n")
	b.Write(data[k+1:])
	return b.Bytes(), nil
}

// secs formats a duration as "60 s".
func secs(d time.Duration) string { return num(d.Seconds()) + " s" }
