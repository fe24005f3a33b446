// Package tests drives the local platform as a client would: over HTTP, S3
// and SQS, against the functions' real bootstrap binaries.
package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/omnichannel/contacts/infra/local/platform"
)

// Platforms started once per test binary, stopped by TestMain.
var (
	mu        sync.Mutex
	platforms = map[string]*started{}
	stateDirs []string // removed by TestMain once the platforms are stopped
)

type started struct {
	p   *platform.Platform
	log *syncBuffer
	err error
}

func TestMain(m *testing.M) {
	code := m.Run()
	for name, s := range platforms {
		if s.p != nil {
			if err := s.p.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "stop platform %s: %v\n", name, err)
			}
		}
	}
	for _, d := range stateDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// startPlatform returns the platform running template (relative to the
// repository root), starting it on free ports the first time. It shares the
// DynamoDB Local of `make test` when DYNAMODB_ENDPOINT is set.
func startPlatform(t *testing.T, template, functionRoot string) (*platform.Platform, *syncBuffer) {
	t.Helper()
	if testing.Short() {
		t.Skip("the local platform is not started in -short mode")
	}
	mu.Lock()
	defer mu.Unlock()
	s, ok := platforms[template]
	if !ok {
		s = &started{log: &syncBuffer{}}
		platforms[template] = s
		root := repoRoot(t)
		state, err := os.MkdirTemp("", "platform-state-")
		if err != nil {
			t.Fatal(err)
		}
		stateDirs = append(stateDirs, state)
		s.p, s.err = platform.Start(context.Background(), platform.Options{
			Root: root, Template: root + "/" + template, FunctionRoot: functionRoot,
			StateDir: state, InMemory: true, APIAddr: "127.0.0.1:0",
			StackName: "bb" + randomHex(4), DynamoEndpoint: os.Getenv("DYNAMODB_ENDPOINT"),
			Log: s.log, MaxConcurrency: 3,
		})
	}
	if s.err != nil {
		t.Fatalf("start platform for %s: %v\n%s", template, s.err, s.log.String())
	}
	mark := s.log.Len()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("platform output during the test:\n%s", s.log.From(mark))
		}
	})
	return s.p, s.log
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(wd, "/tests")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects the platform's output for failure messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Len returns how many bytes were written so far.
func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// From returns what was written after the first n bytes.
func (b *syncBuffer) From(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf.Bytes()[n:])
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*syncBuffer)(nil)
