package lambdart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binaries built once by TestMain: name → path of its bootstrap.
var binaries = map[string]string{}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lambdart-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	for _, name := range []string{"echo", "badinit"} {
		out := filepath.Join(dir, name, "bootstrap")
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "./testdata/"+name)
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building testdata/%s: %v\n%s", name, err, b)
			return 1
		}
		binaries[name] = out
	}
	return m.Run()
}

// syncBuffer is a log that tests can read while instances write to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start starts a function of the named test binary, closed at the end of the test.
func start(t *testing.T, binary string, cfg FunctionConfig) (*Function, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.Name == "" {
		cfg.Name = "Echo"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	cfg.Binary = binaries[binary]
	cfg.Log = logs
	f, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("function log:\n%s", logs)
		}
	})
	return f, logs
}

func invoke(t *testing.T, f *Function, payload string) string {
	t.Helper()
	out, err := f.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	return string(out)
}

// pids returns the pids of the live instances.
func pids(f *Function) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for inst := range f.instances {
		if inst.pid > 0 {
			out = append(out, inst.pid)
		}
	}
	return out
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// eventually polls cond for up to 2s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(2 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestStartValidates(t *testing.T) {
	for name, cfg := range map[string]FunctionConfig{
		"no name":      {Binary: binaries["echo"]},
		"no binary":    {Name: "F"},
		"missing":      {Name: "F", Binary: "/nonexistent/bootstrap"},
		"directory":    {Name: "F", Binary: os.TempDir()},
		"memory":       {Name: "F", Binary: binaries["echo"], MemoryMB: 64},
		"timeout":      {Name: "F", Binary: binaries["echo"], Timeout: -time.Second},
		"concurrency":  {Name: "F", Binary: binaries["echo"], MaxConcurrency: -1},
		"non-runnable": {Name: "F", Binary: "lambdart.go"},
	} {
		if _, err := Start(cfg); err == nil {
			t.Errorf("%s: Start succeeded", name)
		}
	}
}

func TestRoundTripLogsAndReuse(t *testing.T) {
	f, logs := start(t, "echo", FunctionConfig{})
	in := `{"hello":"world"}`
	if out := invoke(t, f, in); out != in {
		t.Fatalf("got %s, want %s", out, in)
	}
	s := f.Stats()
	if s.ColdStarts != 1 || s.Instances != 1 || s.LastColdStart <= 0 {
		t.Fatalf("after one invoke: %+v", s)
	}
	t.Logf("cold start (process start → first response): %v", s.LastColdStart)
	first := pids(f)

	if out := invoke(t, f, `[1,2,3]`); out != `[1,2,3]` {
		t.Fatalf("second invoke: %s", out)
	}
	s = f.Stats()
	if s.ColdStarts != 1 || s.Invocations != 2 || s.Instances != 1 {
		t.Fatalf("after two invokes: %+v", s)
	}
	if second := pids(f); len(second) != 1 || second[0] != first[0] {
		t.Fatalf("pids %v then %v: instance not reused", first, second)
	}

	eventually(t, "the function's output in the log", func() bool {
		return strings.Count(logs.String(), "[Echo] echo: this goes to stderr\n") == 2
	})
	log := logs.String()
	for _, want := range []string{
		"[Echo] echo: init\n",
		"[Echo] echo: 17 bytes in\n",
		"[Echo] START RequestId: ",
		"[Echo] END RequestId: ",
		"[Echo] REPORT RequestId: ",
		"\tDuration: ",
		"\tInit Duration: ",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if n := strings.Count(log, "Init Duration"); n != 1 {
		t.Errorf("%d REPORT lines with Init Duration, want 1", n)
	}
	for line := range strings.SplitSeq(strings.TrimSuffix(log, "\n"), "\n") {
		if !strings.HasPrefix(line, "[Echo] ") {
			t.Errorf("unprefixed log line %q", line)
		}
	}
}

func TestEnvironmentAndContext(t *testing.T) {
	f, _ := start(t, "echo", FunctionConfig{
		MemoryMB: 256,
		Env: map[string]string{
			"TABLE_NAME":             "contacts",
			"AWS_REGION":             "eu-west-1",
			"AWS_LAMBDA_RUNTIME_API": "example.com:1",
		},
	})
	keys := []string{"TABLE_NAME", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_RUNTIME_API", "TZ", "_HANDLER", "LAMBDA_TASK_ROOT",
		"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_EXECUTION_ENV", "GOFLAGS"}
	req, _ := json.Marshal(map[string]any{"env": keys})
	var env map[string]string
	if err := json.Unmarshal([]byte(invoke(t, f, string(req))), &env); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"TABLE_NAME": "contacts", "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
		"AWS_LAMBDA_FUNCTION_NAME": "Echo", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "TZ": ":UTC",
		"_HANDLER": "bootstrap", "LAMBDA_TASK_ROOT": filepath.Dir(binaries["echo"]),
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/Echo", "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
		"GOFLAGS": "", // not inherited
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	if !strings.HasPrefix(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API=%q", env["AWS_LAMBDA_RUNTIME_API"])
	}

	var info struct {
		Pid        int
		RequestID  string `json:"requestId"`
		ARN        string
		DeadlineIn int64 `json:"deadlineIn"`
		WD         string
	}
	if err := json.Unmarshal([]byte(invoke(t, f, `{"info":true}`)), &info); err != nil {
		t.Fatal(err)
	}
	if len(info.RequestID) != 36 || info.ARN != "arn:aws:lambda:eu-west-1:000000000000:function:Echo" ||
		info.DeadlineIn <= 0 || info.DeadlineIn > 1000 || info.WD != filepath.Dir(binaries["echo"]) {
		t.Errorf("invocation context: %+v", info)
	}
}

func TestFunctionError(t *testing.T) {
	f, _ := start(t, "echo", FunctionConfig{})
	_, err := f.Invoke(context.Background(), []byte(`{"fail":true}`))
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *FunctionError", err)
	}
	if fe.Type != "errorString" || fe.Message != "failed on purpose" || !json.Valid(fe.Payload) {
		t.Fatalf("got %+v (payload %s)", fe, fe.Payload)
	}
	// A response body that fails midway: aws-lambda-go streams the body and
	// reports the failure in HTTP trailers.
	_, err = f.Invoke(context.Background(), []byte(`{"readerr":true}`))
	if !errors.As(err, &fe) || fe.Type != "errorString" || fe.Message != "reader failed on purpose" {
		t.Fatalf("failing reader: got %v", err)
	}
	// A returned error leaves the instance warm.
	invoke(t, f, `{}`)
	if s := f.Stats(); s.ColdStarts != 1 || s.Crashes != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPanic(t *testing.T) {
	f, _ := start(t, "echo", FunctionConfig{})
	_, err := f.Invoke(context.Background(), []byte(`{"panic":true}`))
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *FunctionError", err)
	}
	if fe.Type != "string" || fe.Message != "panicked on purpose" || !bytes.Contains(fe.Payload, []byte(`"stackTrace"`)) {
		t.Fatalf("got %+v (payload %s)", fe, fe.Payload)
	}
	// aws-lambda-go exits after reporting a panic: the next invoke gets a
	// new instance.
	invoke(t, f, `{}`)
	if s := f.Stats(); s.ColdStarts != 2 || s.Crashes != 1 || s.Instances != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestTimeout(t *testing.T) {
	f, logs := start(t, "echo", FunctionConfig{Timeout: 500 * time.Millisecond})
	invoke(t, f, `{}`) // warm, so that the timeout covers only the invocation
	old := pids(f)
	begin := time.Now()
	_, err := f.Invoke(context.Background(), []byte(`{"sleep":3000}`))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if d := time.Since(begin); d < 500*time.Millisecond || d > 1500*time.Millisecond {
		t.Errorf("timed out after %v", d)
	}
	if alive(old[0]) {
		t.Fatalf("pid %d still alive after the timeout", old[0])
	}
	if !strings.Contains(logs.String(), "Task timed out after 0.50 seconds") ||
		!strings.Contains(logs.String(), "Status: timeout") {
		t.Errorf("no timeout in the log")
	}
	invoke(t, f, `{}`)
	if s := f.Stats(); s.ColdStarts != 2 || s.Timeouts != 1 || s.Crashes != 0 || s.Instances != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCrash(t *testing.T) {
	f, logs := start(t, "echo", FunctionConfig{})
	_, err := f.Invoke(context.Background(), []byte(`{"exit":true}`))
	if !errors.Is(err, ErrCrashed) || !strings.Contains(err.Error(), "exit status 2") {
		t.Fatalf("got %v, want ErrCrashed with exit status 2", err)
	}
	if !strings.Contains(logs.String(), "Error: Runtime exited with error: exit status 2") {
		t.Errorf("no exit in the log")
	}
	invoke(t, f, `{}`)
	if s := f.Stats(); s.ColdStarts != 2 || s.Crashes != 1 || s.Instances != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestBadInit(t *testing.T) {
	f, logs := start(t, "badinit", FunctionConfig{Name: "Bad"})
	for range 2 { // each invoke tries a new process
		if _, err := f.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, ErrCrashed) {
			t.Fatalf("got %v, want ErrCrashed", err)
		}
	}
	if s := f.Stats(); s.ColdStarts != 2 || s.Crashes != 2 || s.Instances != 0 || s.Invocations != 0 {
		t.Fatalf("stats %+v", s)
	}
	eventually(t, "the init error in the log", func() bool {
		return strings.Contains(logs.String(), "[Bad] badinit: missing configuration\n")
	})
	if !strings.Contains(logs.String(), "Phase: init\tStatus: error") {
		t.Errorf("no INIT_REPORT in the log")
	}
}

func TestInitError(t *testing.T) {
	f, logs := start(t, "badinit", FunctionConfig{Env: map[string]string{"BADINIT_REPORT": "1"}})
	_, err := f.Invoke(context.Background(), []byte(`{}`))
	if !errors.Is(err, ErrCrashed) || !strings.Contains(err.Error(), "Runtime.Custom: no TABLE_NAME") {
		t.Fatalf("got %v, want ErrCrashed with the reported error", err)
	}
	if !strings.Contains(logs.String(), "Error Type: Runtime.Custom") {
		t.Errorf("no INIT_REPORT in the log")
	}
	if s := f.Stats(); s.Crashes != 1 || s.Instances != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestInitTimeout(t *testing.T) {
	defer func(d time.Duration) { initTimeout = d }(initTimeout)
	initTimeout = 300 * time.Millisecond
	f, _ := start(t, "badinit", FunctionConfig{Env: map[string]string{"BADINIT_HANG": "1"}})
	_, err := f.Invoke(context.Background(), []byte(`{}`))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if s := f.Stats(); s.Timeouts != 1 || s.Instances != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPayloadLimits(t *testing.T) {
	f, _ := start(t, "echo", FunctionConfig{Timeout: 3 * time.Second})
	if _, err := f.Invoke(context.Background(), make([]byte, MaxPayload+1)); !errors.Is(err, ErrRequestTooLarge) {
		t.Fatalf("large request: got %v", err)
	}
	_, err := f.Invoke(context.Background(), fmt.Appendf(nil, `{"big":%d}`, MaxPayload))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "Function.ResponseSizeTooLarge" {
		t.Fatalf("large response: got %v", err)
	}
	invoke(t, f, `{}`)
}

func TestConcurrency(t *testing.T) {
	f, _ := start(t, "echo", FunctionConfig{MaxConcurrency: 2, Timeout: 2 * time.Second})
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	begin := time.Now()
	for range 5 {
		wg.Go(func() {
			_, err := f.Invoke(context.Background(), []byte(`{"sleep":300}`))
			errs <- err
		})
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	peak := 0
	for waiting := true; waiting; {
		peak = max(peak, f.Stats().Instances)
		select {
		case <-time.After(5 * time.Millisecond):
		case <-allDone:
			waiting = false
		}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// Three rounds on two instances.
	if d := time.Since(begin); d < 900*time.Millisecond {
		t.Errorf("5 invocations of 300ms on 2 instances took %v", d)
	}
	if s := f.Stats(); s.ColdStarts != 2 || s.Invocations != 5 || peak != 2 {
		t.Fatalf("stats %+v, peak %d instances", s, peak)
	}
}

func TestBusy(t *testing.T) {
	f, _ := start(t, "echo", FunctionConfig{MaxConcurrency: 1, Timeout: time.Second})
	invoke(t, f, `{}`)
	first := make(chan error, 1)
	go func() {
		_, err := f.Invoke(context.Background(), []byte(`{"sleep":700}`))
		first <- err
	}()
	eventually(t, "the first invocation", func() bool { return f.Stats().Invocations == 2 })
	// Two more queue for the one instance: one gets it when it frees after
	// 700ms, the other gives up after the 1s timeout.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := f.Invoke(context.Background(), []byte(`{"sleep":700}`))
			errs <- err
		}()
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) || !errors.Is(errors.Join(e1, e2), ErrBusy) {
		t.Fatalf("got %v and %v, want one success and one ErrBusy", e1, e2)
	}
}

func TestContextCancelled(t *testing.T) {
	f, _ := start(t, "echo", FunctionConfig{MaxConcurrency: 1, Timeout: 2 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	if _, err := f.Invoke(ctx, []byte(`{"sleep":500}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(begin); d > 400*time.Millisecond {
		t.Errorf("cancelled invoke returned after %v", d)
	}
	// The instance is still busy: the next invoke waits for it, not reuses it early.
	invoke(t, f, `{}`)
	if d := time.Since(begin); d < 500*time.Millisecond {
		t.Errorf("second invoke done after %v, before the first finished", d)
	}
	if s := f.Stats(); s.ColdStarts != 1 || s.Invocations != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestClose(t *testing.T) {
	f, _ := start(t, "echo", FunctionConfig{MaxConcurrency: 3, Timeout: 5 * time.Second})
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := f.Invoke(context.Background(), []byte(`{"sleep":5000}`))
			errs <- err
		}()
	}
	eventually(t, "three busy instances", func() bool { return f.Stats().Invocations == 3 })
	live := pids(f)
	if len(live) != 3 {
		t.Fatalf("pids %v", live)
	}
	begin := time.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	for _, pid := range live {
		if alive(pid) {
			t.Errorf("pid %d alive after Close", pid)
		}
	}
	for range 3 {
		if err := <-errs; !errors.Is(err, ErrClosed) {
			t.Errorf("in-flight invoke: got %v, want ErrClosed", err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := f.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Fatalf("invoke after Close: got %v", err)
	}
	if s := f.Stats(); s.Instances != 0 || s.Crashes != 0 {
		t.Fatalf("stats %+v", s)
	}
}
