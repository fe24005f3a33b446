package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omnichannel/contacts/infra/local/lambdart"
	"github.com/omnichannel/contacts/infra/local/platform"
	"github.com/omnichannel/contacts/infra/local/stack"
)

// The local platform, started once for the cold starts and the load test.
var (
	plat      *platform.Platform
	platState string
)

func startPlatform(ctx context.Context, cfg *config) (*platform.Platform, error) {
	if plat != nil {
		return plat, nil
	}
	state, err := os.MkdirTemp("", "bench-platform-")
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(cfg.logDir, "platform.log"))
	if err != nil {
		os.RemoveAll(state)
		return nil, err
	}
	progress("    starting the local platform (log %s)", rel(cfg.root, logFile.Name()))
	p, err := platform.Start(ctx, platform.Options{
		Root: cfg.root, StateDir: state, InMemory: true, APIAddr: "127.0.0.1:0",
		StackName: "bench" + randHex(3), DynamoEndpoint: os.Getenv("DYNAMODB_ENDPOINT"), Log: &syncWriter{w: logFile},
	})
	if err != nil {
		os.RemoveAll(state)
		return nil, err
	}
	plat, platState = p, state
	return p, nil
}

func closePlatform() {
	if plat != nil {
		if err := plat.Close(); err != nil {
			progress("bench: stopping the platform: %v", err)
		}
		os.RemoveAll(platState)
		plat = nil
	}
}

// fnSize is a function's build/ output.
type fnSize struct{ bootstrap, zip int64 }

func sizeOf(root, fn string) (fnSize, bool) {
	b, err1 := os.Stat(filepath.Join(root, "build", fn, "bootstrap"))
	z, err2 := os.Stat(filepath.Join(root, "build", fn+".zip"))
	if err1 != nil || err2 != nil {
		return fnSize{}, false
	}
	return fnSize{b.Size(), z.Size()}, true
}

func sizeText(root, fn string) string {
	s, ok := sizeOf(root, fn)
	if !ok {
		return "size not measured (no build/" + fn + ".zip: run make build)"
	}
	return fmt.Sprintf("zip %s MiB · bootstrap %s MiB", num(float64(s.zip)/(1<<20)), num(float64(s.bootstrap)/(1<<20)))
}

// sizesOnly adds the size rows when the cold starts are not measured.
func sizesOnly(cfg *config, r *report) error {
	dirs, err := filepath.Glob(filepath.Join(cfg.root, "functions", "*"))
	if err != nil {
		return err
	}
	for _, d := range dirs {
		fn := filepath.Base(d)
		r.add(row{area: "function", what: "`" + fn + "`", result: sizeText(cfg.root, fn)})
	}
	return nil
}

// coldSample is one cold start of one function.
type coldSample struct {
	first   time.Duration // process start to first response
	init    time.Duration // process start to first /next
	warm    time.Duration // the second invocation, as the caller sees it
	outcome string
}

var initDuration = regexp.MustCompile(`Init Duration: ([\d.]+) ms`)

func runColdStarts(ctx context.Context, cfg *config, r *report) error {
	p, err := startPlatform(ctx, cfg)
	if err != nil {
		return err
	}
	// The binaries as make build makes them, but for this machine.
	bin, err := os.MkdirTemp("", "bench-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	progress("    building every function for %s/%s with the Lambda flags", runtime.GOOS, runtime.GOARCH)
	build := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", bin+string(filepath.Separator), "./functions/...")
	build.Dir = cfg.root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./functions/...: %v\n%s", err, out)
	}
	logFile, err := os.Create(filepath.Join(cfg.logDir, "coldstart.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := &syncWriter{w: logFile}

	type target struct {
		fn      stack.Function
		dir     string // functions/<dir>
		binary  string
		event   []byte
		env     map[string]string
		samples []coldSample
		err     error
	}
	var targets []*target
	for _, fn := range p.Stack.Functions {
		dir := filepath.Base(fn.Package)
		t := &target{fn: fn, dir: dir}
		targets = append(targets, t)
		// go build -o dir/ names each binary after its package: make it <fn>/bootstrap.
		binary := filepath.Join(bin, dir, "bootstrap")
		if err := os.Rename(filepath.Join(bin, dir), filepath.Join(bin, dir+".bin")); err != nil {
			t.err = fmt.Errorf("no binary for %s: %v", fn.Package, err)
			continue
		}
		if err := os.MkdirAll(filepath.Join(bin, dir), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(bin, dir+".bin"), binary); err != nil {
			return err
		}
		t.binary = binary
		if t.event, err = os.ReadFile(filepath.Join(cfg.root, "events", dir+".json")); err != nil {
			t.err = fmt.Errorf("no sample event: %v", err)
			continue
		}
		// What platform.buildAndStartFunctions gives the function.
		t.env = map[string]string{
			"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": stack.Region,
			"AWS_ENDPOINT_URL_DYNAMODB": p.DynamoEndpoint,
		}
		if p.MotoEndpoint != "" {
			t.env["AWS_ENDPOINT_URL_S3"] = p.MotoEndpoint
			t.env["AWS_S3_USE_PATH_STYLE"] = "true"
			t.env["AWS_ENDPOINT_URL_SQS"] = p.MotoEndpoint
			t.env["AWS_ENDPOINT_URL_SSM"] = p.MotoEndpoint // the cursor secret
		}
		for k, v := range fn.Env {
			t.env[k] = v
		}
	}

	// Round 0 warms DynamoDB Local, moto and the page cache; it is not counted.
	for round := 0; round <= cfg.coldStarts; round++ {
		for _, t := range targets {
			if t.err != nil {
				continue
			}
			s, err := coldStart(ctx, t.fn, t.binary, t.env, t.event, log)
			if err != nil {
				t.err = err
				continue
			}
			if round > 0 {
				t.samples = append(t.samples, s)
			}
		}
	}

	var failed []string
	for _, t := range targets {
		what := fmt.Sprintf("`%s` (%s)", t.dir, t.fn.LogicalID)
		if t.err != nil {
			failed = append(failed, t.dir)
			r.add(row{area: "function", what: what, result: sizeText(cfg.root, t.dir) + " · cold start **failed**: " + t.err.Error()})
			continue
		}
		first := durations(t.samples, func(s coldSample) time.Duration { return s.first })
		inits := durations(t.samples, func(s coldSample) time.Duration { return s.init })
		warm := durations(t.samples, func(s coldSample) time.Duration { return s.warm })
		outcomes := map[string]bool{}
		var outs []string
		for _, s := range t.samples {
			if !outcomes[s.outcome] {
				outcomes[s.outcome] = true
				outs = append(outs, s.outcome)
			}
		}
		r.add(row{
			area: "function", what: what,
			result: fmt.Sprintf("%s · cold start %s ms (%s–%s) · init %s ms · first response %s",
				sizeText(cfg.root, t.dir), msText(median(first)), msText(first[0]), msText(first[len(first)-1]),
				msText(median(inits)), strings.Join(outs, ", ")),
			beside: fmt.Sprintf("warm invocation %s ms", msText(median(warm))),
		})
	}
	if len(failed) > 0 {
		return fmt.Errorf("cold start of %s failed (see %s)", strings.Join(failed, ", "), rel(cfg.root, logFile.Name()))
	}
	return nil
}

// coldStart starts a new instance of the function, invokes it with event
// (the cold start), then again (warm), and stops it.
func coldStart(ctx context.Context, fn stack.Function, binary string, env map[string]string, event []byte, log *syncWriter) (coldSample, error) {
	var buf syncBuffer
	f, err := lambdart.Start(lambdart.FunctionConfig{
		Name: fn.LogicalID, Binary: binary, Env: env, Timeout: fn.Timeout, MemoryMB: fn.MemoryMB,
		MaxConcurrency: 1, Log: &buf,
	})
	if err != nil {
		return coldSample{}, err
	}
	defer func() {
		f.Close()
		_, _ = log.Write(buf.Bytes())
	}()
	ictx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var s coldSample
	out, err := f.Invoke(ictx, event)
	if s.outcome, err = outcome(out, err); err != nil {
		return s, err
	}
	st := f.Stats()
	if st.ColdStarts != 1 {
		return s, fmt.Errorf("%d processes started for one invocation", st.ColdStarts)
	}
	s.first = st.LastColdStart
	if m := initDuration.FindSubmatch(buf.Bytes()); m != nil {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		s.init = time.Duration(v * float64(time.Millisecond))
	}
	began := time.Now()
	out, err = f.Invoke(ictx, event)
	s.warm = time.Since(began)
	if _, err := outcome(out, err); err != nil {
		return s, fmt.Errorf("warm invocation: %w", err)
	}
	if st := f.Stats(); st.ColdStarts != 1 {
		return s, fmt.Errorf("the warm invocation started another process")
	}
	return s, nil
}

// outcome describes a response: "HTTP 201", "ok", "ok, 1 batch item failure",
// or the error type a function reported; a crash or timeout is an error.
func outcome(out []byte, err error) (string, error) {
	var fe *lambdart.FunctionError
	switch {
	case errors.As(err, &fe):
		return "error " + fe.Type, nil
	case err != nil:
		return "", err
	}
	var doc struct {
		StatusCode int `json:"statusCode"`
		Failures   []struct {
			ID string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	_ = json.Unmarshal(out, &doc)
	switch {
	case doc.StatusCode != 0:
		return "HTTP " + strconv.Itoa(doc.StatusCode), nil
	case len(doc.Failures) > 0:
		return "ok, " + plural(len(doc.Failures), "batch item failure"), nil
	default:
		return "ok", nil
	}
}

func durations(samples []coldSample, get func(coldSample) time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		out = append(out, get(s))
	}
	slices.Sort(out)
	return out
}

// median of sorted durations.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

func msText(d time.Duration) string { return num(float64(d) / float64(time.Millisecond)) }

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  *os.File
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
