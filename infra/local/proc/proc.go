// Package proc holds what the local platform's packages share to run child
// processes: finding a free port, keeping the tail of a process's output,
// waiting for a server to answer, and starting and stopping a process in
// its own process group.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// FreePort returns port if it is free on host ("" for every interface), or
// a free port if port is 0. The port is released before FreePort returns.
//
// Checking an explicit port first matters: if another server already holds
// it, the child would fail to bind, but a readiness probe could get its
// answer from the other server.
func FreePort(host string, port int) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// TailBuffer is an io.Writer that keeps the last bytes written to it. It is
// safe for concurrent use.
type TailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// NewTailBuffer returns a TailBuffer that keeps the last size bytes.
func NewTailBuffer(size int) *TailBuffer { return &TailBuffer{max: size} }

// Write appends p, dropping the oldest bytes beyond the buffer's size. It
// never fails.
func (b *TailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// String returns the bytes kept.
func (b *TailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// ErrExited is what WaitReady returns when the process exits before it
// answers.
var ErrExited = errors.New("process exited before it answered")

// WaitReady calls probe, each call bounded by two seconds, every 100 ms
// until it succeeds, printing a dot to progress every second (and a newline
// at the end if it printed any). It returns nil once probe succeeds,
// ErrExited once exited is closed, or, once ctx is done, ctx's error with
// probe's last error in the message. Bound the wait with ctx's deadline.
func WaitReady(ctx context.Context, probe func(context.Context) error, exited <-chan struct{}, progress io.Writer) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastDot, dotted := time.Now(), false
	defer func() {
		if dotted {
			fmt.Fprintln(progress)
		}
	}()
	for {
		callCtx, cancelCall := context.WithTimeout(ctx, 2*time.Second)
		err := probe(callCtx)
		cancelCall()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return ErrExited
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
		if time.Since(lastDot) >= time.Second {
			fmt.Fprint(progress, ".")
			lastDot, dotted = time.Now(), true
		}
	}
}

// KillGroup sends SIGKILL to the process group led by pgid, ignoring
// errors (the group may be gone already).
func KillGroup(pgid int) { _ = syscall.Kill(-pgid, syscall.SIGKILL) }

// Process is a child process started by Start, the leader of its own
// process group.
type Process struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // cmd.Wait's result, valid after done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts cmd in its own process group (it sets cmd.SysProcAttr to
// SysProcAttr()) and reaps it in the background. It returns cmd.Start's
// error as is.
func Start(cmd *exec.Cmd) (*Process, error) {
	cmd.SysProcAttr = SysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process's id, which is also its process group's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done returns a channel that is closed once the process has exited and
// been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns how the process exited, as exec.Cmd.Wait reports it. It is
// valid only once Done is closed.
func (p *Process) Err() error { return p.waitErr }

// Stop terminates the process group (SIGTERM, then SIGKILL after grace) and
// waits for the process to exit. If the process had already exited by
// itself, Stop signals nothing and returns Err instead, so its error is
// non-nil only for a process that failed before Stop was called. It is safe
// to call more than once; later calls return what the first did.
func (p *Process) Stop(grace time.Duration) error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done: // exited on its own: report how
			p.stopErr = p.waitErr
			return
		default:
		}
		_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			KillGroup(p.Pid())
			<-p.done
		}
	})
	return p.stopErr
}
