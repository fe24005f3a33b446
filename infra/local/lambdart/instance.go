package lambdart

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/omnichannel/contacts/infra/local/proc"
)

// Runtime API headers.
const (
	hdrRequestID   = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline    = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID     = "Lambda-Runtime-Trace-Id"
	hdrErrorType   = "Lambda-Runtime-Function-Error-Type"
	// aws-lambda-go streams /response bodies and, if reading the handler's
	// io.Reader fails midway, reports the error in these trailers.
	trlErrorType = "Lambda-Runtime-Function-Error-Type"
	trlErrorBody = "Lambda-Runtime-Function-Error-Body"
)

type instanceState int

const (
	stateStarting instanceState = iota // process started, no /next yet
	stateIdle                          // waiting in /next, in Function.idle
	stateBusy                          // assigned an invocation, until its next /next
	stateDead                          // reaped
)

// instance is one process of the function with its own Runtime API server.
type instance struct {
	f      *Function
	work   chan *invocation // capacity 1: the invocation for the pending /next
	exited chan struct{}    // closed once reaped, after exitErr is set

	// Guarded by Function.mu.
	state        instanceState
	pid          int
	started      time.Time
	initDone     bool // called /next at least once
	initDuration time.Duration
	invoked      bool // has been handed an invocation
	answered     bool // has answered one (its cold start is measured)
	finishing    bool // answered its invocation, has not called /next since
	current      *invocation
	killReason   error // why the platform killed it; nil if it was not
	initErr      string
	exitErr      error // what a waiting invocation or cold start reports
}

type invocation struct {
	id, traceID string
	payload     []byte
	deadline    time.Time   // set under Function.mu before it is handed out
	delivered   bool        // a /next took it; guarded by Function.mu
	done        chan result // capacity 1, written once by resolve
	once        sync.Once
}

type result struct {
	body []byte
	err  error
}

// resolve records the invocation's outcome if none was recorded yet, and
// reports whether it did.
func (inv *invocation) resolve(r result) bool {
	first := false
	inv.once.Do(func() {
		inv.done <- r
		first = true
	})
	return first
}

// newInstance registers a starting instance; f.mu must be held and f not closed.
func (f *Function) newInstance() *instance {
	inst := &instance{
		f:      f,
		work:   make(chan *invocation, 1),
		exited: make(chan struct{}),
	}
	f.instances[inst] = struct{}{}
	f.wg.Add(1) // released by reap, or by launch if the process cannot start
	return inst
}

// launch starts inst's Runtime API server and process, and the goroutines
// that log its output and reap it.
func (f *Function) launch(inst *instance) (err error) {
	var cleanup []func()
	defer func() {
		if err == nil {
			return
		}
		for _, c := range slices.Backward(cleanup) {
			c()
		}
		f.mu.Lock()
		inst.state = stateDead
		delete(f.instances, inst)
		f.broadcast()
		f.mu.Unlock()
		f.wg.Done()
	}()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("lambdart: %s: runtime API listener: %w", f.cfg.Name, err)
	}
	cleanup = append(cleanup, func() { ln.Close() })
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("lambdart: %s: stdout pipe: %w", f.cfg.Name, err)
	}
	cleanup = append(cleanup, func() { outR.Close(); outW.Close() })
	errR, errW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("lambdart: %s: stderr pipe: %w", f.cfg.Name, err)
	}
	cleanup = append(cleanup, func() { errR.Close(); errW.Close() })

	cmd := exec.Command(f.binary)
	cmd.Dir = filepath.Dir(f.binary)
	cmd.Env = f.environ(ln.Addr().String())
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.SysProcAttr = proc.SysProcAttr()
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("lambdart: %s: starting %s: %w", f.cfg.Name, f.binary, err)
	}
	outW.Close()
	errW.Close()

	f.mu.Lock()
	inst.pid = cmd.Process.Pid
	inst.started = started
	f.stats.ColdStarts++
	if f.closed {
		inst.kill(ErrClosed)
	}
	f.mu.Unlock()

	var helpers sync.WaitGroup
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", inst.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", inst.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", inst.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", inst.handleInitError)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(lineWriter{f}, "runtime API: ", 0),
	}
	helpers.Add(3)
	go func() { defer helpers.Done(); _ = srv.Serve(ln) }()
	go func() { defer helpers.Done(); f.pump(outR) }()
	go func() { defer helpers.Done(); f.pump(errR) }()
	initTimer := time.AfterFunc(initTimeout, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !inst.initDone && inst.state != stateDead && inst.killReason == nil {
			f.stats.Timeouts++
			inst.kill(fmt.Errorf("%w: init did not finish within %v", ErrTimeout, initTimeout))
			f.logf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: timeout", ms(initTimeout))
		}
	})
	go inst.reap(cmd, srv, initTimer, &helpers, outR, errR)
	return nil
}

// reap waits for the process to exit, kills what is left of its process
// group, retires the instance and waits for its output to be logged.
func (inst *instance) reap(cmd *exec.Cmd, srv *http.Server, initTimer *time.Timer, helpers *sync.WaitGroup, pipes ...*os.File) {
	f := inst.f
	defer f.wg.Done()
	waitErr := cmd.Wait()
	proc.KillGroup(cmd.Process.Pid) // children it may have left behind
	initTimer.Stop()
	how := "exit status 0"
	if waitErr != nil {
		how = waitErr.Error()
	}

	f.mu.Lock()
	inst.state = stateDead
	delete(f.instances, inst)
	if i := slices.Index(f.idle, inst); i >= 0 {
		f.idle = slices.Delete(f.idle, i, i+1)
	}
	switch {
	case inst.killReason != nil:
		inst.exitErr = inst.killReason
	case inst.initErr != "":
		f.stats.Crashes++
		inst.exitErr = fmt.Errorf("%w: init error: %s", ErrCrashed, inst.initErr)
	default:
		f.stats.Crashes++
		inst.exitErr = fmt.Errorf("%w: %s", ErrCrashed, how)
		switch {
		case !inst.initDone:
			f.logf("Error: Runtime exited with error: %s\nINIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError",
				how, ms(time.Since(inst.started)))
		case inst.current != nil:
			f.logf("RequestId: %s Error: Runtime exited with error: %s\nRuntime.ExitError", inst.current.id, how)
		default:
			f.logf("Error: Runtime exited with error: %s\nRuntime.ExitError", how)
		}
	}
	f.broadcast()
	f.mu.Unlock()
	close(inst.exited)

	_ = srv.Close()
	done := make(chan struct{})
	go func() { helpers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		// A process that left the group still holds the pipes: stop reading.
		for _, p := range pipes {
			p.Close()
		}
		<-done
	}
}

// kill SIGKILLs the instance's process group, recording why; f.mu must be
// held. A nil reason makes the death count as a crash.
func (inst *instance) kill(reason error) {
	if inst.killReason == nil {
		inst.killReason = reason
	}
	if inst.pid > 0 && inst.state != stateDead {
		proc.KillGroup(inst.pid)
	}
}

// environ builds the process environment: a clean base, Lambda's reserved
// variables, the template's Env, and the Runtime API address.
func (f *Function) environ(api string) []string {
	env := map[string]string{"TZ": ":UTC"}
	for _, k := range []string{"PATH", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	env["AWS_LAMBDA_FUNCTION_NAME"] = f.cfg.Name
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(f.cfg.MemoryMB)
	env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
	env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand"
	env["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + f.cfg.Name
	env["AWS_LAMBDA_LOG_STREAM_NAME"] = time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randHex(16)
	env["AWS_REGION"] = f.region
	env["AWS_DEFAULT_REGION"] = f.region
	env["_HANDLER"] = "bootstrap"
	env["LAMBDA_TASK_ROOT"] = filepath.Dir(f.binary)
	env["AWS_EXECUTION_ENV"] = "AWS_Lambda_provided.al2023"
	for k, v := range f.cfg.Env {
		env[k] = v
	}
	env["AWS_LAMBDA_RUNTIME_API"] = api
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// handleNext is the long poll: the instance is idle until an invocation is
// handed to it.
func (inst *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	f := inst.f
	f.mu.Lock()
	if !inst.initDone {
		inst.initDone = true
		inst.initDuration = time.Since(inst.started)
	}
	if inv := inst.current; inv != nil && inv.delivered {
		inst.current = nil
		inv.resolve(result{err: fmt.Errorf("lambdart: %s: runtime asked for the next invocation without answering %s", f.cfg.Name, inv.id)})
	}
	// An undelivered current invocation is waiting in inst.work for this
	// poll; otherwise the instance is free for the next caller.
	inst.finishing = false
	if inst.current == nil && inst.state != stateIdle && inst.state != stateDead && inst.killReason == nil && !f.closed {
		inst.state = stateIdle
		f.idle = append(f.idle, inst)
		f.broadcast()
	}
	f.mu.Unlock()

	for {
		select {
		case inv := <-inst.work:
			f.mu.Lock()
			ok := inst.current == inv
			inv.delivered = ok
			deadline := inv.deadline
			f.mu.Unlock()
			if !ok {
				continue
			}
			h := w.Header()
			h.Set(hdrRequestID, inv.id)
			h.Set(hdrDeadline, strconv.FormatInt(deadline.UnixMilli(), 10))
			h.Set(hdrFunctionARN, f.arn)
			h.Set(hdrTraceID, inv.traceID)
			h.Set("Content-Type", "application/json")
			_, _ = w.Write(inv.payload)
			return
		case <-r.Context().Done():
			return
		case <-inst.exited:
			http.Error(w, "instance is gone", http.StatusGone)
			return
		}
	}
}

// claim takes the invocation a /response or /error names, if it is the
// instance's current one; it also measures the cold start.
func (inst *instance) claim(w http.ResponseWriter, id string) (*invocation, bool) {
	f := inst.f
	f.mu.Lock()
	defer f.mu.Unlock()
	inv := inst.current
	if inv == nil || inv.id != id || !inv.delivered {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with id "+id)
		return nil, false
	}
	inst.current = nil
	inst.finishing = true
	if !inst.answered {
		inst.answered = true
		f.stats.LastColdStart = time.Since(inst.started)
	}
	return inv, true
}

func (inst *instance) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv, ok := inst.claim(w, r.PathValue("id"))
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		inv.resolve(result{err: fmt.Errorf("%w: reading the response: %v", ErrCrashed, err)})
		return
	}
	if len(body) > MaxPayload {
		// Drain (within reason) so the runtime sees the 413 rather than a
		// broken pipe. aws-lambda-go then exits; the instance is replaced.
		n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
		msg := fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", int64(len(body))+n, MaxPayload)
		inv.resolve(result{err: newFunctionError("Function.ResponseSizeTooLarge", msg)})
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
		return
	}
	if typ := r.Trailer.Get(trlErrorType); typ != "" {
		payload, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(trlErrorBody))
		inv.resolve(result{err: parseFunctionError(typ, payload)})
	} else {
		inv.resolve(result{body: body})
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func (inst *instance) handleError(w http.ResponseWriter, r *http.Request) {
	inv, ok := inst.claim(w, r.PathValue("id"))
	if !ok {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
	inv.resolve(result{err: parseFunctionError(r.Header.Get(hdrErrorType), body)})
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// handleInitError records the runtime's init failure and kills the process;
// the cold start that is waiting for it fails with ErrCrashed.
func (inst *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	f := inst.f
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
	fe := parseFunctionError(r.Header.Get(hdrErrorType), body)
	f.logf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s\n%s",
		ms(time.Since(inst.started)), fe.Type, fe.Message)
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
	f.mu.Lock()
	inst.initErr = fe.Type + ": " + fe.Message
	inst.kill(nil)
	f.mu.Unlock()
}

// parseFunctionError builds a FunctionError from an error document. The
// document's errorType wins over the header: aws-lambda-go sends no header.
func parseFunctionError(headerType string, payload []byte) *FunctionError {
	var doc struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	_ = json.Unmarshal(payload, &doc)
	if len(payload) == 0 {
		payload = nil
	}
	return &FunctionError{Type: firstNonEmpty(doc.Type, headerType, "Unhandled"), Message: doc.Message, Payload: payload}
}

func newFunctionError(typ, msg string) *FunctionError {
	payload, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": typ})
	return &FunctionError{Type: typ, Message: msg, Payload: payload}
}

// apiError writes a Runtime API error document.
func apiError(w http.ResponseWriter, status int, typ, msg string) {
	body, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": typ})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// pump copies r to the log line by line; overlong lines are split.
func (f *Function) pump(r *os.File) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			f.writeLine(bytes.TrimSuffix(line, []byte("\n")))
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// lineWriter logs what the Runtime API's http.Server reports.
type lineWriter struct{ f *Function }

func (lw lineWriter) Write(p []byte) (int, error) {
	lw.f.logf("%s", bytes.TrimSuffix(p, []byte("\n")))
	return len(p), nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b)
}

// newRequestID returns a random UUID (version 4), like Lambda's request ids.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newTraceID returns an X-Ray trace header, not sampled.
func newTraceID() string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randHex(12), randHex(8))
}
