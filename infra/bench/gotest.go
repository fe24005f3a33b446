package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/omnichannel/contacts/infra/local/dynamolocal"
)

// withDynamo runs fn with the endpoint of a DynamoDB Local: the one
// DYNAMODB_ENDPOINT names, else a fresh in-memory one stopped afterwards,
// so that no phase measures a database another phase has filled.
func withDynamo(ctx context.Context, cfg *config, fn func(endpoint string) error) error {
	if ep := os.Getenv("DYNAMODB_ENDPOINT"); ep != "" {
		return fn(ep)
	}
	jarDir, err := dynamolocal.EnsureInstalled(ctx, filepath.Join(cfg.root, "infra", "local"), os.Stderr)
	if err != nil {
		return err
	}
	srv, err := dynamolocal.Start(ctx, dynamolocal.Options{JarDir: jarDir})
	if err != nil {
		return err
	}
	defer srv.Stop()
	return fn(srv.Endpoint())
}

// goTest runs `go test args...` at the repository root with env added, its
// output kept in .local/bench/<name>.log, and returns the output.
func goTest(ctx context.Context, cfg *config, name string, env []string, args ...string) (string, error) {
	logPath := filepath.Join(cfg.logDir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", append([]string{"test"}, args...)...)
	cmd.Dir = cfg.root
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = io.MultiWriter(&out, logFile)
	cmd.Stderr = cmd.Stdout
	progress("    go test %s  (%s; log %s)", strings.Join(args, " "), strings.Join(env, " "), rel(cfg.root, logPath))
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("go test %s: %v\n%s", strings.Join(args, " "), err, tail(out.String(), 40))
	}
	return out.String(), nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// usage is what a TestCapacity line says: calls and capacity units.
type usage struct {
	op    string
	calls int
	rcu   float64
	wcu   float64
	parts []usage // per DynamoDB operation
}

// capacityLine matches `    contacts_test.go:152: create (phone+email)   calls=3 RCU=0.5 WCU=36.0`;
// a per-operation line has more spaces after the colon.
var capacityLine = regexp.MustCompile(`^\s+\S+_test\.go:\d+: ( *)(\S.*?)\s+calls=(\d+) RCU=([\d.]+) WCU=([\d.]+)\s*$`)

// parseCapacity reads the t.Logf lines of TestCapacity-like tests.
func parseCapacity(out string) []usage {
	var list []usage
	for line := range strings.SplitSeq(out, "\n") {
		m := capacityLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		u := usage{op: m[2]}
		u.calls, _ = strconv.Atoi(m[3])
		u.rcu, _ = strconv.ParseFloat(m[4], 64)
		u.wcu, _ = strconv.ParseFloat(m[5], 64)
		if m[1] != "" {
			if len(list) > 0 {
				last := &list[len(list)-1]
				last.parts = append(last.parts, u)
			}
			continue
		}
		list = append(list, u)
	}
	return list
}

// benchResult is one benchmark line: its name without the -GOMAXPROCS
// suffix, b.N and every `value unit` pair.
type benchResult struct {
	name    string
	n       int
	metrics map[string]float64
}

var (
	benchName  = regexp.MustCompile(`^(Benchmark\S+)(.*)$`)
	procSuffix = regexp.MustCompile(`-\d+$`)
)

// parseBench reads `go test -bench` output. A benchmark that prints while it
// runs splits its line in two (the name, then the figures): both are read.
func parseBench(out string) []benchResult {
	var list []benchResult
	pending := ""
	for line := range strings.SplitSeq(out, "\n") {
		rest := line
		if m := benchName.FindStringSubmatch(line); m != nil {
			pending = procSuffix.ReplaceAllString(m[1], "")
			rest = m[2]
		}
		if pending == "" {
			continue
		}
		if r, ok := parseFigures(rest); ok {
			r.name = pending
			list = append(list, r)
			pending = ""
		}
	}
	return list
}

// parseFigures reads "200   123 ns/op   1.5 calls/op ...".
func parseFigures(s string) (benchResult, bool) {
	f := strings.Fields(s)
	if len(f) < 3 || len(f)%2 == 0 {
		return benchResult{}, false
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return benchResult{}, false
	}
	r := benchResult{n: n, metrics: map[string]float64{}}
	for i := 1; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return benchResult{}, false
		}
		r.metrics[f[i+1]] = v
	}
	if _, ok := r.metrics["ns/op"]; !ok {
		return benchResult{}, false
	}
	return r, true
}

// find returns the result named name, if any.
func find(list []benchResult, name string) (benchResult, bool) {
	for _, r := range list {
		if r.name == name {
			return r, true
		}
	}
	return benchResult{}, false
}
