package importer

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/sheets"
)

// Events runs the import function's two event sources: S3 (a file landed
// under Prefix: its job is queued) and SQS (a run of a job, queued by the
// S3 event or by a run that reached its deadline).
type Events struct {
	Worker *Worker
	Queue  jobs.Queue
	// Reserve is the time kept before the function's deadline to save
	// progress and queue the rest (30 s when zero).
	Reserve time.Duration
}

// Landed queues the job of an uploaded file, once: a redelivered event of
// a job already queued or running changes nothing.
func (e *Events) Landed(ctx context.Context, record events.S3EventRecord) (string, error) {
	key, err := url.QueryUnescape(record.S3.Object.Key)
	if err != nil {
		return "bad key", nil
	}
	ws, jobID, ok := ParseKey(key)
	if !ok {
		return "not an import", nil
	}
	w := e.Worker
	j, err := w.Jobs.Get(ctx, ws, jobID)
	if errs.Is(err, errs.NotFound) {
		return "no such job", nil
	}
	if err != nil {
		return "", err
	}
	if j.Params["key"] != key || j.Params["landed"] == "true" || j.Done() {
		return "already queued", nil
	}
	maxBytes := w.Limits.MaxBytes
	if maxBytes <= 0 {
		maxBytes = sheets.DefaultMaxBytes
	}
	if record.S3.Object.Size > maxBytes {
		return "too large", w.failFile(ctx, j, errs.E(errs.TooLarge, "file_too_large").With("max", strconv.FormatInt(maxBytes, 10)))
	}
	first := false
	if _, err := w.Jobs.Update(ctx, ws, jobID, func(j *jobs.Job) error {
		first = j.Params["landed"] != "true"
		j.Params["landed"] = "true"
		return nil
	}); err != nil {
		return "", err
	}
	if !first {
		return "already queued", nil
	}
	return "queued", e.Queue.Enqueue(ctx, ws, jobID)
}

// Continue runs a queued job message until the job ends or the deadline
// nears, then queues the rest.
func (e *Events) Continue(ctx context.Context, m events.SQSMessage) (string, error) {
	var msg struct {
		Workspace string `json:"workspace"`
		JobID     string `json:"jobId"`
	}
	if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || msg.Workspace == "" || msg.JobID == "" {
		return "", errs.E(errs.Malformed, "malformed_json").Wrap(err)
	}
	reserve := e.Reserve
	if reserve == 0 {
		reserve = 30 * time.Second
	}
	deadline := time.Now().Add(10 * time.Minute)
	if d, ok := ctx.Deadline(); ok {
		deadline = d.Add(-reserve)
	}
	done, err := e.Worker.Run(ctx, msg.Workspace, msg.JobID, m.MessageId, deadline)
	if err != nil {
		return "", err
	}
	if done {
		return "done", nil
	}
	return "continued", e.Queue.Enqueue(ctx, msg.Workspace, msg.JobID)
}
