package main

import (
	"strings"
	"testing"
)

func TestParseCapacity(t *testing.T) {
	out := `=== RUN   TestCapacity
    contacts_test.go:152: create (phone+email)               calls=3 RCU=0.5 WCU=36.0
    contacts_test.go:152:     BatchGetItem         calls=1 RCU=0.0 WCU=0.0
    contacts_test.go:152:     GetItem              calls=2 RCU=0.5 WCU=0.0
    contacts_test.go:204: delete (6 timeline entries and a link) calls=3 RCU=1.0 WCU=44.0
--- PASS: TestCapacity (1.24s)
`
	got := parseCapacity(out)
	if len(got) != 2 {
		t.Fatalf("got %d rows: %+v", len(got), got)
	}
	if got[0].op != "create (phone+email)" || got[0].calls != 3 || got[0].rcu != 0.5 || got[0].wcu != 36 || len(got[0].parts) != 2 {
		t.Errorf("first row %+v", got[0])
	}
	if got[1].op != "delete (6 timeline entries and a link)" || got[1].wcu != 44 {
		t.Errorf("second row %+v", got[1])
	}
	if s := usageText(got[0]); s != "3 calls (BatchGetItem, GetItem ×2) · 0.5 RCU · 36 WCU" {
		t.Errorf("usageText = %q", s)
	}
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
BenchmarkSearch100k/GetItem-2         	loaded 2000 contacts in 3s
     200	    512345 ns/op	         1.000 calls/op	         0.4700 p50-ms	         4.600 p99-ms
BenchmarkSearch100k/ListByName-2      	     200	   8800000 ns/op	        11.00 calls/op	         7.000 RCU/op
BenchmarkImport-2   	       1	20234668870 ns/op	        15.50 peak-MiB	      6676 raw-rows/s	        98.84 rows/s
BenchmarkExport/csv   	       1	 421288733 ns/op	        12.62 peak-MiB	      4806 rows/s
PASS
`
	got := parseBench(out)
	if len(got) != 4 {
		t.Fatalf("got %d results: %+v", len(got), got)
	}
	if r, ok := find(got, "BenchmarkSearch100k/GetItem"); !ok || r.n != 200 || r.metrics["p50-ms"] != 0.47 {
		t.Errorf("GetItem: %+v %v", r, ok)
	}
	if r, ok := find(got, "BenchmarkImport"); !ok || r.metrics["raw-rows/s"] != 6676 || r.metrics["peak-MiB"] != 15.5 {
		t.Errorf("Import: %+v %v", r, ok)
	}
	if _, ok := find(got, "BenchmarkExport/csv"); !ok {
		t.Errorf("no BenchmarkExport/csv in %+v", got)
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# Performance\n\nIntro.\n\n## Search\n\nKept.\n"
	once, err := replaceSection([]byte(doc), "## Generated\n\nfirst\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Performance\n\nIntro.\n\n" + markStart + "\n## Generated\n\nfirst\n" + markEnd + "\n\n## Search\n\nKept.\n"
	if string(once) != want {
		t.Fatalf("first insertion:\n%s\nwant:\n%s", once, want)
	}
	twice, err := replaceSection(once, "## Generated\n\nsecond\n")
	if err != nil {
		t.Fatal(err)
	}
	if string(twice) != strings.Replace(want, "first", "second", 1) {
		t.Errorf("replacement:\n%s", twice)
	}
	if _, err := replaceSection([]byte(markEnd+"\n"+markStart), "x"); err == nil {
		t.Error("markers out of order: no error")
	}
}

func TestNumbers(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.47: "0.47", 0.5: "0.5", 8.8: "8.8", 36: "36", 1043.4: "1043", 28.55: "28.6", 1.932: "1.93"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 20000: "20,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
