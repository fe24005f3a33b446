// Command echo is a test function: it returns its input, after acting on
// the commands the input may hold.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type command struct {
	Sleep   int      `json:"sleep"`   // milliseconds to sleep first
	Fail    bool     `json:"fail"`    // return an error
	Exit    bool     `json:"exit"`    // os.Exit(2)
	Panic   bool     `json:"panic"`   // panic
	Big     int      `json:"big"`     // return a JSON string of this many bytes
	Env     []string `json:"env"`     // return these environment variables
	Info    bool     `json:"info"`    // return the pid, request id and deadline
	ReadErr bool     `json:"readerr"` // return an io.Reader that fails midway
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		r.n--
		return copy(p, "partial "), nil
	}
	return 0, errors.New("reader failed on purpose")
}

func handle(ctx context.Context, in json.RawMessage) (any, error) {
	var c command
	_ = json.Unmarshal(in, &c) // anything else is simply echoed
	fmt.Printf("echo: %d bytes in\n", len(in))
	fmt.Fprintln(os.Stderr, "echo: this goes to stderr")
	time.Sleep(time.Duration(c.Sleep) * time.Millisecond)
	switch {
	case c.Fail:
		return nil, errors.New("failed on purpose")
	case c.Exit:
		os.Exit(2)
	case c.Panic:
		panic("panicked on purpose")
	case c.Big > 0:
		return strings.Repeat("x", c.Big), nil
	case c.Env != nil:
		env := map[string]string{}
		for _, k := range c.Env {
			env[k] = os.Getenv(k)
		}
		return env, nil
	case c.ReadErr:
		return &failingReader{n: 2}, nil
	case c.Info:
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		wd, _ := os.Getwd()
		return map[string]any{
			"pid": os.Getpid(), "requestId": lc.AwsRequestID, "arn": lc.InvokedFunctionArn,
			"deadlineIn": time.Until(deadline).Milliseconds(), "wd": wd,
		}, nil
	}
	return in, nil
}

func main() {
	fmt.Println("echo: init")
	lambda.Start(handle)
}
