// Package awsemu emulates the S3, SQS and SSM Parameter Store parts of the
// contacts service locally, without Docker: it runs moto server (a Python
// emulator of AWS APIs) and turns SQS event source mappings and S3 bucket
// notifications into function invocations, following Lambda's rules.
//
// What moto 5.2.1 does faithfully, and what this package adds or adjusts,
// is documented next to the code concerned:
//   - dead-letter queues: moto applies RedrivePolicy on receive, as SQS does
//     (RunSQSMapping);
//   - visibility timeout: moto honours the queue's VisibilityTimeout, so
//     unprocessed messages come back as on SQS;
//   - send limits: moto enforces 10 entries per batch and the message size
//     limit, with small differences (MaxMessageSize);
//   - S3 notifications: moto sends them to SQS itself; a few fields differ
//     from S3's and are normalised (SubscribeS3);
//   - SSM SecureString parameters, their versions and GetParameter's
//     name:version selector: moto keeps them as SSM does (PutSecureStrings);
//   - persistence: none (MotoOptions.DataDir).
package awsemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/omnichannel/contacts/infra/local/proc"
)

// Region is the AWS region of every client and resource in the emulator.
const Region = "us-east-1"

// AccountID is the account moto puts in every ARN and queue URL.
const AccountID = "123456789012"

// StartTimeout is how long StartMoto waits for moto server to answer.
const StartTimeout = 30 * time.Second

// stopGrace is how long Stop waits after SIGTERM before sending SIGKILL.
const stopGrace = 5 * time.Second

// Invoker runs a function with a payload and returns its response payload
// (the local platform's Lambda runtime). An error means the invocation
// failed (a function error or a runtime failure): the event source then
// treats the whole event as failed.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// MotoOptions configures StartMoto.
type MotoOptions struct {
	// Port is the port to listen on, on 127.0.0.1; 0 picks a free one.
	Port int
	// Log receives moto's output (one line per request) and startup
	// progress; nil discards them.
	Log io.Writer
	// DataDir is unused: moto server 5.2.1 keeps every bucket, object and
	// queue in memory and has no option to persist them, so nothing
	// survives Stop. Callers that need data across restarts must recreate
	// it (CreateQueues and CreateBuckets are idempotent).
	DataDir string
}

// Moto is a running moto server process.
type Moto struct {
	proc     *proc.Process
	endpoint string

	// notifyMu serialises the read-modify-write of bucket notification
	// configurations in SubscribeS3.
	notifyMu sync.Mutex
}

// StartMoto launches `moto_server -H 127.0.0.1 -p PORT` in its own process
// group and waits until it answers, for at most StartTimeout or until ctx is
// done, printing progress to opt.Log. The server keeps running after ctx
// ends; call Stop.
//
// moto runs with TZ=UTC because it writes S3 event times in local time
// without a zone.
func StartMoto(ctx context.Context, opt MotoOptions) (*Moto, error) {
	log := opt.Log
	if log == nil {
		log = io.Discard
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto server is needed: `pip install \"moto[server]\"` (%w)", err)
	}
	port, err := proc.FreePort("127.0.0.1", opt.Port)
	if err != nil {
		return nil, fmt.Errorf("port %d for moto server is not free: %w", opt.Port, err)
	}

	// Not CommandContext: the server must outlive ctx, which only bounds startup.
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "TZ=UTC")
	tail := proc.NewTailBuffer(4 << 10)
	cmd.Stdout = io.MultiWriter(log, tail)
	cmd.Stderr = cmd.Stdout
	fmt.Fprintf(log, "awsemu: starting moto server on port %d\n", port)
	start := time.Now()
	p, err := proc.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting moto server: %w", err)
	}
	m := &Moto{proc: p, endpoint: "http://127.0.0.1:" + strconv.Itoa(port)}

	if err := m.waitReady(ctx, log); err != nil {
		_ = m.Stop()
		return nil, fmt.Errorf("starting moto server on port %d: %w; its output:\n%s", port, err, tail)
	}
	fmt.Fprintf(log, "awsemu: moto server ready at %s after %v\n", m.endpoint, time.Since(start).Round(time.Millisecond))
	return m, nil
}

// Endpoint returns the server's URL, "http://127.0.0.1:PORT".
func (m *Moto) Endpoint() string { return m.endpoint }

// Stop terminates moto's process group (SIGTERM, then SIGKILL after five
// seconds) and waits for it to exit. It is safe to call more than once; it
// reports an error only if moto had exited by itself with a failure before
// Stop was called.
func (m *Moto) Stop() error {
	if err := m.proc.Stop(stopGrace); err != nil {
		return fmt.Errorf("moto server exited before Stop: %w", err)
	}
	return nil
}

// Config returns an AWS configuration for the server: static credentials
// "test"/"test", region us-east-1 and BaseEndpoint set to Endpoint. It is
// built from scratch rather than with config.LoadDefaultConfig, so that a
// developer's AWS_* variables or profiles can never point it at real AWS.
// ctx is accepted for symmetry with the SDK's config loading; it does no I/O.
//
// S3 clients made from it must use path-style addressing; S3Client does.
func (m *Moto) Config(ctx context.Context) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(m.endpoint),
	}
}

// S3Client returns an S3 client for the server, with path-style addressing
// (http://127.0.0.1:PORT/bucket/key), which moto needs on 127.0.0.1.
func (m *Moto) S3Client() *s3.Client {
	return s3.NewFromConfig(m.Config(context.Background()), func(o *s3.Options) {
		o.UsePathStyle = true
	})
}

// SQSClient returns an SQS client for the server.
func (m *Moto) SQSClient() *sqs.Client {
	return sqs.NewFromConfig(m.Config(context.Background()))
}

// waitReady polls ListQueues until it succeeds, moto exits, ctx is done or
// StartTimeout passes, printing a dot to log every second.
func (m *Moto) waitReady(ctx context.Context, log io.Writer) error {
	client := m.SQSClient()
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	err := proc.WaitReady(ctx, func(ctx context.Context) error {
		_, err := client.ListQueues(ctx, &sqs.ListQueuesInput{},
			func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
		return err
	}, m.proc.Done(), log)
	switch {
	case errors.Is(err, proc.ErrExited):
		return fmt.Errorf("moto server exited before it answered: %v", m.proc.Err())
	case err != nil:
		return fmt.Errorf("no answer from %s: %w", m.endpoint, err)
	}
	return nil
}

// apiErrorCode returns the error code of an AWS API error, or "".
func apiErrorCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// PutSecureStrings stores each name → value as an SSM SecureString
// parameter (moto encrypts it with its stand-in of the aws/ssm key),
// overwriting a parameter of that name, as an operator does before a deploy.
func (m *Moto) PutSecureStrings(ctx context.Context, params map[string]string) error {
	client := ssm.NewFromConfig(m.Config(ctx))
	for name, value := range params {
		_, err := client.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true),
		})
		if err != nil {
			return fmt.Errorf("putting SSM parameter %s: %w", name, err)
		}
	}
	return nil
}
