package importer

import (
	"context"
	"strconv"
	"time"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/sheets"
)

// Events is what the import function's two event sources do: a file
// landed under Prefix (its job is queued), and a run of a job (queued by the
// landing or by a run that reached its deadline).
type Events struct {
	Worker *Worker
	Queue  jobs.Queue
}

// Landed queues the job of an uploaded file, once: a redelivered event of
// a job already queued or running changes nothing. A file larger than the
// limit fails its job, and a file of a job that ended is deleted, unread.
// key is the object's key (decoded), size its size as the event reports it.
func (e *Events) Landed(ctx context.Context, key string, size int64) (string, error) {
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
	switch {
	case j.Params["key"] != key:
		return "not the job's file", nil
	case j.Done():
		// An upload after the job ended (its form is valid 15 minutes), or
		// the event of one cleaned up: nothing will read it.
		return "job ended", w.Files.Delete(ctx, key)
	case j.Params["landed"] == "true":
		return "already queued", nil
	}
	maxBytes := w.Limits.MaxBytes
	if maxBytes <= 0 {
		maxBytes = sheets.DefaultMaxBytes
	}
	if size > maxBytes {
		// S3 refuses such a file from the upload form; this is the check
		// where a store does not (moto). The file is deleted unread.
		return "too large", w.failFile(ctx, j, sheets.ErrFileTooLarge.With("max", strconv.FormatInt(maxBytes, 10)))
	}
	first := false
	if _, err := w.Jobs.Update(ctx, ws, jobID, func(j *jobs.Job) error {
		first = j.Params["landed"] != "true"
		j.Params["landed"] = "true"
		j.StartBy = w.Clock.Now().Add(jobs.QueueRetention) // now on the queue
		return nil
	}); err != nil {
		return "", err
	}
	if !first {
		return "already queued", nil
	}
	return "queued", e.Queue.Enqueue(ctx, ws, jobID)
}

// Run runs a job's message (run is its id) until the job ends or the
// deadline, then queues the rest.
func (e *Events) Run(ctx context.Context, ws, jobID, run string, deadline time.Time) (string, error) {
	done, err := e.Worker.Run(ctx, ws, jobID, run, deadline)
	if err != nil {
		return "", err
	}
	if done {
		return "done", nil
	}
	return "continued", e.Queue.Enqueue(ctx, ws, jobID)
}
