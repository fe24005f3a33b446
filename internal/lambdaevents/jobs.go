// Package lambdaevents turns Lambda events into calls of the domain packages,
// which know nothing of Lambda: SQS batches with partial failures and panic
// recovery, job run messages, S3 notifications of import files, and the chat
// layer's inbound events.
package lambdaevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/errs"
)

// JobMessage is the body of a job run message.
type JobMessage struct {
	Workspace string `json:"workspace"`
	JobID     string `json:"jobId"`
}

func decode(m events.SQSMessage) (JobMessage, error) {
	var msg JobMessage
	if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || msg.Workspace == "" || msg.JobID == "" {
		return msg, errs.E(errs.Malformed, "malformed_json").Wrap(err)
	}
	return msg, nil
}

// deadline is when a run stops: reserve before the function's deadline
// (or after fallback when the context has none).
func deadline(ctx context.Context, reserve, fallback time.Duration) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d.Add(-reserve)
	}
	return time.Now().Add(fallback)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// JobRunner runs one message of a job (runID is the message's id) until
// the job ends or the deadline (merge.Worker, export.Worker).
type JobRunner interface {
	Run(ctx context.Context, ws, jobID, runID string, deadline time.Time) (string, error)
}

// ImportEvents takes an import's file notifications and job runs
// (importer.Events).
type ImportEvents interface {
	// Landed takes a file that landed under key, of size bytes.
	Landed(ctx context.Context, key string, size int64) (string, error)
	// Run runs one message of an import job, and queues the rest.
	Run(ctx context.Context, ws, jobID, runID string, deadline time.Time) (string, error)
}

// Runs runs the messages of a job whose worker queues its own
// continuation (remove duplicates, company unlink).
type Runs struct {
	Worker  JobRunner
	Reserve time.Duration // kept before the function's deadline (20 s when zero)
}

// Duplicates runs remove-duplicates job messages.
type Duplicates = Runs

// Handle is a HandleFunc.
func (d Runs) Handle(ctx context.Context, m events.SQSMessage) (string, error) {
	msg, err := decode(m)
	if err != nil {
		return "", err
	}
	return d.Worker.Run(ctx, msg.Workspace, msg.JobID, m.MessageId, deadline(ctx, orDefault(d.Reserve, 20*time.Second), 10*time.Minute))
}

// Bulk runs bulk delete messages (expansions and batches).
type Bulk struct {
	Worker  *bulk.Worker
	Reserve time.Duration // kept before the function's deadline (30 s when zero)
}

// Handle is a HandleFunc.
func (b Bulk) Handle(ctx context.Context, m events.SQSMessage) (string, error) {
	var msg bulk.Message
	if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || msg.Workspace == "" || msg.JobID == "" {
		return "", errs.E(errs.Malformed, "malformed_json").Wrap(err)
	}
	return b.Worker.Handle(ctx, msg, m.MessageId, deadline(ctx, orDefault(b.Reserve, 30*time.Second), 5*time.Minute))
}

// Import takes the import function's events.
type Import struct {
	Events  ImportEvents
	Reserve time.Duration // kept before the function's deadline (30 s when zero)
}

// Landed takes one record of an S3 notification.
func (i Import) Landed(ctx context.Context, r events.S3EventRecord) (string, error) {
	key, err := url.QueryUnescape(r.S3.Object.Key) // S3 events encode keys, '+' for spaces
	if err != nil {
		return "bad key", nil
	}
	return i.Events.Landed(ctx, key, r.S3.Object.Size)
}

// Continue is a HandleFunc: one run of an import job.
func (i Import) Continue(ctx context.Context, m events.SQSMessage) (string, error) {
	msg, err := decode(m)
	if err != nil {
		return "", err
	}
	return i.Events.Run(ctx, msg.Workspace, msg.JobID, m.MessageId, deadline(ctx, orDefault(i.Reserve, 30*time.Second), 10*time.Minute))
}

// Export runs export job messages.
type Export struct {
	Worker JobRunner
}

// Handle is a HandleFunc: the run holds the job until a minute
// after the function's deadline.
func (x Export) Handle(ctx context.Context, m events.SQSMessage) (string, error) {
	msg, err := decode(m)
	if err != nil {
		return "", err
	}
	return x.Worker.Run(ctx, msg.Workspace, msg.JobID, m.MessageId, deadline(ctx, -time.Minute, 20*time.Minute))
}

// Handler returns the import function's Lambda handler: SQS events run jobs
// (through Batch, so failures are per message) and S3 notifications of
// landed files queue them. An S3 record that cannot be taken fails the
// invocation, so S3 invokes again (asynchronous retries).
func (i Import) Handler(log *slog.Logger) func(ctx context.Context, raw json.RawMessage) (any, error) {
	runs := Batch(log, i.Continue)
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var probe struct {
			Records []struct {
				EventSource string `json:"eventSource"`
			} `json:"Records"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil || len(probe.Records) == 0 {
			return nil, errors.New("import: not an S3 or SQS event")
		}
		if probe.Records[0].EventSource == "aws:sqs" {
			var ev events.SQSEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("import: decode SQS event: %w", err)
			}
			return runs(ctx, ev)
		}
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("import: decode S3 event: %w", err)
		}
		for _, r := range ev.Records {
			outcome, err := i.Landed(ctx, r)
			if err != nil {
				return nil, fmt.Errorf("import: take %s: %w", r.S3.Object.Key, err)
			}
			log.Info("import file landed", "outcome", outcome)
		}
		return nil, nil
	}
}
