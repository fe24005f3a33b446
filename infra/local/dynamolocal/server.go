package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// StartTimeout is how long Start waits for DynamoDB Local to answer.
const StartTimeout = 60 * time.Second

// stopGrace is how long Stop waits after SIGTERM before sending SIGKILL.
const stopGrace = 5 * time.Second

// Options configures Start.
type Options struct {
	// JarDir is the directory holding DynamoDBLocal.jar and
	// DynamoDBLocal_lib, as returned by EnsureInstalled.
	JarDir string
	// DataDir is where the database file is kept; "" runs in memory.
	DataDir string
	// Port is the port to listen on; 0 picks a free one.
	Port int
	// Log receives java's output and startup progress; nil discards them.
	Log io.Writer
}

// Server is a running DynamoDB Local process.
type Server struct {
	cmd      *exec.Cmd
	endpoint string
	done     chan struct{} // closed once java has exited and been reaped
	waitErr  error         // cmd.Wait's result, valid after done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start launches DynamoDB Local (java in its own process group, with
// -sharedDb so that every credential and region sees the same tables, and
// -disableTelemetry since it would otherwise phone home) and waits until it
// answers a ListTables call, for at most StartTimeout or until ctx is done.
// The server keeps running after ctx ends; call Stop.
//
// DynamoDB Local has no option to choose its listen address: it listens on
// every interface, although Endpoint always names 127.0.0.1.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.JarDir == "" {
		return nil, errors.New("dynamolocal: Options.JarDir is empty")
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	port, err := choosePort(opts.Port)
	if err != nil {
		return nil, err
	}

	args := []string{
		"-Djava.library.path=" + filepath.Join(opts.JarDir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(opts.JarDir, "DynamoDBLocal.jar"),
		"-port", strconv.Itoa(port),
		"-sharedDb",
		"-disableTelemetry",
	}
	if opts.DataDir == "" {
		args = append(args, "-inMemory")
	} else {
		dir, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return nil, fmt.Errorf("resolving DynamoDB Local data dir: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating DynamoDB Local data dir: %w", err)
		}
		args = append(args, "-dbPath", dir)
	}

	// Not CommandContext: the server must outlive ctx, which only bounds startup.
	cmd := exec.Command("java", args...)
	tail := &tailBuffer{max: 4 << 10}
	cmd.Stdout = io.MultiWriter(log, tail)
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting java for DynamoDB Local: %w", err)
	}
	s := &Server{
		cmd:      cmd,
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		done:     make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()

	if err := s.waitReady(ctx, log); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("starting DynamoDB Local on port %d: %w; its output:\n%s", port, err, tail)
	}
	return s, nil
}

// Endpoint returns the server's URL, "http://127.0.0.1:PORT".
func (s *Server) Endpoint() string { return s.endpoint }

// Stop terminates the server's process group (SIGTERM, then SIGKILL after
// five seconds) and waits for java to exit. It is safe to call more than
// once; it reports an error only if java had exited by itself with a
// failure before Stop was called.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.done: // exited on its own: report how
			if s.waitErr != nil {
				s.stopErr = fmt.Errorf("DynamoDB Local exited before Stop: %w", s.waitErr)
			}
			return
		default:
		}
		pgid := s.cmd.Process.Pid // the leader of its own group (Setpgid)
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(stopGrace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-s.done
		}
	})
	return s.stopErr
}

// waitReady polls ListTables until it succeeds, java exits, ctx is done or
// StartTimeout passes, printing a dot to log every second.
func (s *Server) waitReady(ctx context.Context, log io.Writer) error {
	client, err := NewClient(ctx, s.endpoint)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastDot, dotted := time.Now(), false
	defer func() {
		if dotted {
			fmt.Fprintln(log)
		}
	}()
	for {
		callCtx, cancelCall := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.ListTables(callCtx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)},
			func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
		cancelCall()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("java exited before DynamoDB Local answered: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("no answer from %s: %w (last error: %v)", s.endpoint, ctx.Err(), err)
		case <-tick.C:
		}
		if time.Since(lastDot) >= time.Second {
			fmt.Fprint(log, ".")
			lastDot, dotted = time.Now(), true
		}
	}
}

// choosePort returns port if it is free, or a free port if port is 0.
// Checking an explicit port first matters: if another server already holds
// it, java would fail to bind, but the readiness probe could get its answer
// from the other server.
func choosePort(port int) (int, error) {
	l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return 0, fmt.Errorf("port %d for DynamoDB Local is not free: %w", port, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
