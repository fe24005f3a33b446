package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/omnichannel/contacts/infra/local/proc"
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
	proc     *proc.Process
	endpoint string
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
	// DynamoDB Local listens on every interface, so the port must be free on all.
	port, err := proc.FreePort("", opts.Port)
	if err != nil {
		return nil, fmt.Errorf("port %d for DynamoDB Local is not free: %w", opts.Port, err)
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
	tail := proc.NewTailBuffer(4 << 10)
	cmd.Stdout = io.MultiWriter(log, tail)
	cmd.Stderr = cmd.Stdout
	p, err := proc.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting java for DynamoDB Local: %w", err)
	}
	s := &Server{proc: p, endpoint: "http://127.0.0.1:" + strconv.Itoa(port)}

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
	if err := s.proc.Stop(stopGrace); err != nil {
		return fmt.Errorf("DynamoDB Local exited before Stop: %w", err)
	}
	return nil
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
	err = proc.WaitReady(ctx, func(ctx context.Context) error {
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)},
			func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
		return err
	}, s.proc.Done(), log)
	switch {
	case errors.Is(err, proc.ErrExited):
		return fmt.Errorf("java exited before DynamoDB Local answered: %v", s.proc.Err())
	case err != nil:
		return fmt.Errorf("no answer from %s: %w", s.endpoint, err)
	}
	return nil
}
