// Command bench is `make bench`: it measures the service on this machine and
// prints one markdown table, which it also writes into docs/performance.md
// between the markers <!-- bench:start --> and <!-- bench:end -->.
//
//	go run ./infra/bench [flags]       (after make build, for the sizes)
//
// What it runs, in order, each phase against a fresh in-memory DynamoDB Local
// (or the one DYNAMODB_ENDPOINT names, e.g. under with-dynamodb):
//
//   - sizes: build/<fn>/bootstrap and build/<fn>.zip as `make build` leaves them;
//   - capacity: TestCapacity and TestConversationCapacity (internal/dynamo), whose
//     log lines give the DynamoDB calls and capacity units of each operation;
//   - search: BenchmarkSearch100k on -contacts contacts (p50/p99 beside a GetItem);
//   - import and export: BenchmarkImport and BenchmarkExport on -rows rows
//   - bulk delete: BenchmarkBulkDelete on -rows contacts
//     (rows/s beside raw BatchWriteItem, peak heap);
//   - cold starts: every function's bootstrap, built for this machine with the
//     Lambda flags, started -coldstarts times against the emulated Runtime API
//     (infra/local/lambdart) with its sample event (events/<fn>.json) and the
//     environment the local platform gives it;
//   - load: the local platform (loopback only) under -clients concurrent clients
//     for at most -requests requests or -duration, mixed create, search, update
//     and tag, then every created contact checked (no lost write).
//
// It exits non-zero when a phase fails or the load test sees an error or a lost
// write; docs/performance.md is then left alone.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/omnichannel/contacts/infra/local/template"
)

// config is what the flags set.
type config struct {
	root       string
	doc        string
	write      bool
	contacts   int
	from       int // the smaller workspace of the search's scale curve
	rows       int
	benchtime  string
	coldStarts int
	clients    int
	requests   int
	duration   time.Duration
	only       map[string]bool
	logDir     string
}

var phases = []string{"sizes", "capacity", "search", "import", "export", "bulkdelete", "coldstart", "load"}

func main() {
	os.Exit(run())
}

func run() int {
	var cfg config
	var only string
	flag.StringVar(&cfg.doc, "doc", "docs/performance.md", "file whose <!-- bench:start -->…<!-- bench:end --> section is rewritten (relative to the repository root)")
	flag.BoolVar(&cfg.write, "write", true, "rewrite the generated section of -doc (only when every phase ran)")
	flag.IntVar(&cfg.contacts, "contacts", envInt("BENCH_CONTACTS", 100_000), "contacts in the search workspace (env BENCH_CONTACTS)")
	flag.IntVar(&cfg.from, "from", envInt("BENCH_FROM", 10_000), "the search also runs on a workspace of this many contacts, for the scale curve (env BENCH_FROM; 0 or ≥ -contacts: one size)")
	flag.IntVar(&cfg.rows, "rows", envInt("BENCH_ROWS", 2_000), "rows imported and exported (env BENCH_ROWS)")
	flag.StringVar(&cfg.benchtime, "benchtime", "200x", "-benchtime of each search benchmark")
	flag.IntVar(&cfg.coldStarts, "coldstarts", 5, "cold starts measured per function (after one discarded round)")
	flag.IntVar(&cfg.clients, "clients", 8, "concurrent clients of the load test")
	flag.IntVar(&cfg.requests, "requests", envInt("BENCH_REQUESTS", 2_000), "HTTP requests of the load test at most (env BENCH_REQUESTS)")
	flag.DurationVar(&cfg.duration, "duration", 60*time.Second, "duration of the load test at most")
	flag.StringVar(&only, "only", "", "comma-separated phases to run ("+strings.Join(phases, ",")+"); implies -write=false")
	flag.Parse()
	if only != "" {
		cfg.only = map[string]bool{}
		for p := range strings.SplitSeq(only, ",") {
			if !contains(phases, p) {
				fmt.Fprintf(os.Stderr, "bench: unknown phase %q (phases: %s)\n", p, strings.Join(phases, ","))
				return 2
			}
			cfg.only[p] = true
		}
		cfg.write = false
	}
	root, err := template.FindRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	cfg.root = root
	cfg.logDir = filepath.Join(root, ".local", "bench")
	if err := os.MkdirAll(cfg.logDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer closePlatform()
	began := time.Now()
	r := &report{cfg: cfg}
	steps := []struct {
		name string
		fn   func(context.Context, *config, *report) error
	}{
		{"sizes", nil}, // with the cold starts, one row per function
		{"capacity", runCapacity},
		{"search", runSearch},
		{"import", runImport},
		{"export", runExport},
		{"bulkdelete", runBulkDelete},
		{"coldstart", runColdStarts},
		{"load", runLoad},
	}
	for _, s := range steps {
		if s.fn == nil || !cfg.want(s.name) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		t := time.Now()
		progress("==> %s", s.name)
		if err := s.fn(ctx, &cfg, r); err != nil {
			r.fail(s.name, err)
			progress("    %s FAILED after %s: %v", s.name, since(t), err)
			continue
		}
		progress("    %s done in %s", s.name, since(t))
	}
	closePlatform()
	if cfg.want("sizes") && !cfg.want("coldstart") {
		if err := sizesOnly(&cfg, r); err != nil {
			r.fail("sizes", err)
		}
	}
	if ctx.Err() != nil {
		r.fail("bench", errors.New("interrupted"))
	}
	r.elapsed = time.Since(began)

	table := r.table()
	fmt.Println(table)
	progress("bench: %s in total; logs in %s", since(began), rel(cfg.root, cfg.logDir))
	if len(r.failures) > 0 {
		for _, f := range r.failures {
			fmt.Fprintf(os.Stderr, "bench: FAILED: %s\n", f)
		}
		if cfg.write {
			fmt.Fprintf(os.Stderr, "bench: %s left unchanged\n", cfg.doc)
		}
		return 1
	}
	if cfg.write {
		path := filepath.Join(cfg.root, cfg.doc)
		if err := writeDoc(path, r.section(table)); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		progress("bench: wrote the generated section of %s", cfg.doc)
	}
	return 0
}

// want reports whether phase is to run.
func (c *config) want(phase string) bool { return c.only == nil || c.only[phase] }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// progress writes a line to stderr: stdout is kept for the table.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// machine describes where the figures were produced.
func machine() string {
	cpu := ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(data), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
		}
	}
	s := fmt.Sprintf("%d CPUs (`nproc`)%s, %s/%s, %s", runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
	if cpu != "" {
		s = cpu + ", " + s
	}
	return s
}
