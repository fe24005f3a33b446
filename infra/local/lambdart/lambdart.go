// Package lambdart runs Lambda functions locally, without Docker: each
// instance of a function is its real `bootstrap` binary, started as a child
// process and served by its own emulation of the AWS Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
//
// It behaves like the Lambda service for one function: instances start lazily
// (cold starts), are reused while warm, run one invocation at a time, are
// killed when an invocation exceeds the timeout, are replaced when they
// crash, and their output is logged with START, END and REPORT lines.
package lambdart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Limits and defaults of the Lambda service.
const (
	// MaxPayload is the largest request and response payload of a
	// synchronous invocation (6 MB).
	MaxPayload = 6 << 20

	defaultTimeout        = 3 * time.Second
	defaultMemoryMB       = 128
	defaultMaxConcurrency = 4
	defaultRegion         = "us-east-1"
	accountID             = "000000000000"
)

// initTimeout bounds the init phase (process start to the first /next), as
// Lambda's 10 s init limit does. A variable so that tests can shorten it.
var initTimeout = 10 * time.Second

// finishGrace is how long an invocation waits for an instance that has just
// answered to call /next again, before starting another instance instead.
// Lambda's clients are a network hop away; local ones are microseconds away
// and would otherwise cause a needless cold start for back-to-back calls.
const finishGrace = 100 * time.Millisecond

// FunctionConfig describes one function as the template declares it.
type FunctionConfig struct {
	Name           string            // logical id, e.g. "ContactsFunction"; also used as log prefix
	Binary         string            // path of the built bootstrap
	Env            map[string]string // environment from the template, added to the Lambda defaults
	Timeout        time.Duration     // the function's Timeout; 0 means 3s
	MemoryMB       int               // default 128; only advertised to the function, not enforced
	MaxConcurrency int               // instances at most; 0 means 4
	Log            io.Writer         // every line the instances print, prefixed "[Name] "; nil = os.Stderr
}

var (
	// ErrTimeout means the invocation (or the instance's init) exceeded its
	// time limit: the instance was killed and will be replaced.
	ErrTimeout = errors.New("lambdart: task timed out")
	// ErrCrashed means the process died during the invocation (or at init)
	// without answering.
	ErrCrashed = errors.New("lambdart: runtime exited")
	// ErrBusy means MaxConcurrency instances were all busy and none freed
	// within the function's timeout.
	ErrBusy = errors.New("lambdart: too many concurrent invocations")
	// ErrRequestTooLarge means the request payload exceeds MaxPayload.
	ErrRequestTooLarge = errors.New("lambdart: request payload too large")
	// ErrClosed means the Function was closed.
	ErrClosed = errors.New("lambdart: function closed")
)

// FunctionError is an error the function reported through /error (or a
// response the platform rejected, such as Function.ResponseSizeTooLarge).
// Payload is the error document, {"errorMessage": …, "errorType": …}, as the
// Lambda Invoke API would return it.
type FunctionError struct {
	Type    string
	Message string
	Payload []byte
}

// Error returns "lambdart: function error: Type: Message".
func (e *FunctionError) Error() string {
	if e.Type == "" {
		return "lambdart: function error: " + e.Message
	}
	return "lambdart: function error: " + e.Type + ": " + e.Message
}

// Stats counts what happened to a Function since Start.
type Stats struct {
	ColdStarts  int // processes started
	Invocations int // invocations handed to an instance
	Timeouts    int // instances killed for exceeding the timeout (invocation or init)
	Crashes     int // processes that exited without being killed by the platform
	Instances   int // processes alive now
	// LastColdStart is, for the most recently answered cold start, the time
	// from process start to its first response (init plus first invocation).
	LastColdStart time.Duration
}

// Function is a running local Lambda function: a pool of instances of one
// bootstrap binary. It is safe for concurrent use.
type Function struct {
	cfg    FunctionConfig // normalised copy
	binary string         // absolute
	region string
	arn    string
	log    io.Writer
	logMu  sync.Mutex // serialises writes to log
	prefix string

	mu        sync.Mutex
	instances map[*instance]struct{} // every live process (starting, idle, busy)
	idle      []*instance            // waiting in /next, unassigned; last is the warmest
	changed   chan struct{}          // closed and replaced when idle or instances change
	closed    bool
	stats     Stats

	// wg counts instances (until reaped and cleaned up) and invocations in
	// flight; Add happens only under mu while !closed, so Close can Wait.
	wg sync.WaitGroup
}

// Start validates cfg and returns the Function. It starts no process: the
// first Invoke starts an instance, like a cold start.
func Start(cfg FunctionConfig) (*Function, error) {
	if cfg.Name == "" {
		return nil, errors.New("lambdart: FunctionConfig.Name is empty")
	}
	if cfg.Binary == "" {
		return nil, fmt.Errorf("lambdart: %s: FunctionConfig.Binary is empty", cfg.Name)
	}
	bin, err := filepath.Abs(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("lambdart: %s: binary: %w", cfg.Name, err)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		return nil, fmt.Errorf("lambdart: %s: binary: %w", cfg.Name, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("lambdart: %s: binary %s is not an executable file", cfg.Name, bin)
	}
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("lambdart: %s: negative Timeout %v", cfg.Name, cfg.Timeout)
	case cfg.Timeout == 0:
		cfg.Timeout = defaultTimeout
	}
	switch {
	case cfg.MemoryMB == 0:
		cfg.MemoryMB = defaultMemoryMB
	case cfg.MemoryMB < 128 || cfg.MemoryMB > 10240:
		return nil, fmt.Errorf("lambdart: %s: MemoryMB %d outside Lambda's 128..10240", cfg.Name, cfg.MemoryMB)
	}
	switch {
	case cfg.MaxConcurrency < 0:
		return nil, fmt.Errorf("lambdart: %s: negative MaxConcurrency %d", cfg.Name, cfg.MaxConcurrency)
	case cfg.MaxConcurrency == 0:
		cfg.MaxConcurrency = defaultMaxConcurrency
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	cfg.Env = maps.Clone(cfg.Env)
	region := firstNonEmpty(cfg.Env["AWS_REGION"], cfg.Env["AWS_DEFAULT_REGION"], defaultRegion)
	return &Function{
		cfg:       cfg,
		binary:    bin,
		region:    region,
		arn:       "arn:aws:lambda:" + region + ":" + accountID + ":function:" + cfg.Name,
		log:       cfg.Log,
		prefix:    "[" + cfg.Name + "] ",
		instances: make(map[*instance]struct{}),
		changed:   make(chan struct{}),
	}, nil
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Invoke runs one synchronous invocation and returns the function's response.
// It takes an idle instance, starts one if fewer than MaxConcurrency exist,
// or waits for one to free (ErrBusy after the function's Timeout). Errors:
// *FunctionError, ErrTimeout, ErrCrashed, ErrBusy, ErrRequestTooLarge,
// ErrClosed (all wrapped), or ctx's error. When ctx ends during the
// invocation Invoke returns at once, but the instance finishes (or times out)
// before it serves another invocation.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: %s: %d bytes, limit %d", ErrRequestTooLarge, f.cfg.Name, len(payload), MaxPayload)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inst, err := f.acquire(ctx)
	if err != nil {
		return nil, err
	}
	inv := &invocation{
		id:      newRequestID(),
		traceID: newTraceID(),
		payload: bytes.Clone(payload),
		done:    make(chan result, 1),
	}
	out := make(chan result, 1)
	go func() { out <- f.run(inst, inv) }()
	select {
	case r := <-out:
		return r.body, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// acquire returns an instance marked busy, with f.wg incremented for the
// invocation it will run.
func (f *Function) acquire(ctx context.Context) (*instance, error) {
	busy := time.NewTimer(f.cfg.Timeout)
	defer busy.Stop()
	var mine *instance // started by this call and still initialising
	var graceC <-chan time.Time
	graceOver := false
	for {
		f.mu.Lock()
		if f.closed {
			f.mu.Unlock()
			return nil, ErrClosed
		}
		if mine != nil && mine.state != stateStarting {
			if mine.state == stateDead && !mine.initDone {
				err := mine.exitErr
				f.mu.Unlock()
				return nil, err
			}
			mine = nil // ready; maybe taken by another caller, which is fine
		}
		if n := len(f.idle); n > 0 {
			inst := f.idle[n-1]
			f.idle = f.idle[:n-1]
			inst.state = stateBusy
			f.wg.Add(1)
			f.mu.Unlock()
			return inst, nil
		}
		if mine == nil && len(f.instances) < f.cfg.MaxConcurrency {
			// An instance that has just answered is about to ask for the
			// next invocation: prefer it, briefly, to a cold start.
			if graceOver || !f.finishing() {
				mine = f.newInstance()
				f.mu.Unlock()
				if err := f.launch(mine); err != nil {
					return nil, err
				}
				continue
			}
			if graceC == nil {
				graceC = time.After(finishGrace)
			}
		}
		changed := f.changed
		busyC := busy.C
		if mine != nil {
			busyC = nil // a cold start is bounded by initTimeout instead
		}
		f.mu.Unlock()
		select {
		case <-changed:
		case <-graceC:
			graceOver, graceC = true, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-busyC:
			return nil, fmt.Errorf("%w: %s: all %d instances busy for %v", ErrBusy, f.cfg.Name, f.cfg.MaxConcurrency, f.cfg.Timeout)
		}
	}
}

// run hands inv to inst and waits for its outcome: an answer, the process's
// death, or the timeout.
func (f *Function) run(inst *instance, inv *invocation) result {
	defer f.wg.Done()
	f.logf("START RequestId: %s Version: $LATEST", inv.id)
	start := time.Now()
	f.mu.Lock()
	inv.deadline = start.Add(f.cfg.Timeout)
	inst.current = inv
	select { // drop an invocation a vanished /next never took
	case <-inst.work:
	default:
	}
	inst.work <- inv
	f.stats.Invocations++
	first := !inst.invoked
	inst.invoked = true
	initDuration := inst.initDuration
	f.mu.Unlock()

	timer := time.NewTimer(f.cfg.Timeout)
	defer timer.Stop()
	var r result
	status := ""
	select {
	case r = <-inv.done:
	case <-inst.exited:
		f.mu.Lock()
		err := inst.exitErr
		f.mu.Unlock()
		if inv.resolve(result{err: err}) {
			status = "error\tError Type: Runtime.ExitError"
		}
		r = <-inv.done
	case <-timer.C:
		err := fmt.Errorf("%w after %.2f seconds", ErrTimeout, f.cfg.Timeout.Seconds())
		if inv.resolve(result{err: err}) {
			status = "timeout"
			f.logf("%s %s Task timed out after %.2f seconds",
				time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, f.cfg.Timeout.Seconds())
			f.mu.Lock()
			f.stats.Timeouts++
			inst.kill(ErrTimeout)
			f.mu.Unlock()
			select { // SIGKILL is prompt; wait so that no process outlives the call
			case <-inst.exited:
			case <-time.After(5 * time.Second):
			}
		}
		r = <-inv.done
	}
	elapsed := time.Since(start)

	f.logf("END RequestId: %s", inv.id)
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB",
		inv.id, ms(elapsed), (elapsed+time.Millisecond-1)/time.Millisecond, f.cfg.MemoryMB)
	if first {
		report += fmt.Sprintf("\tInit Duration: %.2f ms", ms(initDuration))
	}
	if status != "" {
		report += "\tStatus: " + status
	}
	f.logf("%s", report)
	return r
}

// Stats returns the counters.
func (f *Function) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Instances = len(f.instances)
	return s
}

// Close kills every instance (its whole process group) and waits until they
// are reaped and their output is logged. Invocations in flight fail with
// ErrClosed. It is idempotent and always returns nil.
func (f *Function) Close() error {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		for inst := range f.instances {
			inst.kill(ErrClosed)
		}
		f.broadcast()
	}
	f.mu.Unlock()
	f.wg.Wait()
	return nil
}

// finishing reports whether an instance has answered its invocation but
// not yet asked for the next one; f.mu must be held.
func (f *Function) finishing() bool {
	for inst := range f.instances {
		if inst.finishing {
			return true
		}
	}
	return false
}

// broadcast wakes every acquire waiting for a change; f.mu must be held.
func (f *Function) broadcast() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// logf writes a platform line (or several) to the log, prefixed like the
// instances' output.
func (f *Function) logf(format string, args ...any) {
	for line := range strings.SplitSeq(fmt.Sprintf(format, args...), "\n") {
		f.writeLine([]byte(line))
	}
}

// writeLine writes "[Name] line\n" to the log in one Write.
func (f *Function) writeLine(line []byte) {
	buf := make([]byte, 0, len(f.prefix)+len(line)+1)
	buf = append(append(append(buf, f.prefix...), line...), '\n')
	f.logMu.Lock()
	defer f.logMu.Unlock()
	_, _ = f.log.Write(buf)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
