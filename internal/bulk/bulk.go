// Package bulk deletes contacts in bulk as a background job: by ids, by a
// list filter, or all of them after the user confirmed how many. The API
// records the job and queues its work; the worker deletes each contact with
// everything it owns, in batches, reporting progress, and is idempotent
// under redelivery.
package bulk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Limits of a bulk delete.
const (
	MaxIDs    = 1000 // ids in one request; larger sets go by filter
	BatchSize = 25   // contacts per queued batch
	pageSize  = 100  // contacts listed at a time when expanding a filter
)

// Message is one unit of queued work: the expansion of a filter into
// batches, or a batch of ids to delete.
type Message struct {
	Workspace string   `json:"workspace"`
	JobID     string   `json:"jobId"`
	Kind      string   `json:"kind"` // expand or delete
	Batch     string   `json:"batch,omitempty"`
	IDs       []string `json:"ids,omitempty"`
}

// batchOf returns the delete message of ids: its key is a hash of the ids,
// so listing the same contacts again after a crash makes the same batch.
func batchOf(ws, jobID string, idList []string) Message {
	sorted := append([]string(nil), idList...)
	sort.Strings(sorted)
	sum := sha256.Sum256([]byte(strings.Join(sorted, ",")))
	return Message{Workspace: ws, JobID: jobID, Kind: "delete", Batch: hex.EncodeToString(sum[:12]), IDs: idList}
}

// Queue sends messages to the bulk delete worker.
type Queue interface {
	Send(ctx context.Context, msgs []Message) error
}

// Counter counts a workspace's contacts (the number "all" means).
type Counter interface {
	Count(ctx context.Context, workspace string) (int, error)
}

// Batches keeps the batches of a job that are queued and not done yet, so
// a redelivered batch counts once and the job knows when it is over.
type Batches interface {
	// Pending records batches as queued (again: no change).
	Pending(ctx context.Context, workspace, jobID string, batches []string) error
	// Done marks a batch done and adds its counts to the job, in one
	// transaction, once: false when it was not pending (a redelivery).
	Done(ctx context.Context, workspace, jobID, batch string, processed int, counts map[string]int) (bool, error)
	// Remaining counts the batches of the job still pending.
	Remaining(ctx context.Context, workspace, jobID string) (int, error)
}

// JobStarter records new jobs (jobs.Service).
type JobStarter interface {
	// New returns a queued job, not stored yet.
	New(caller tenant.Caller, typ string, params map[string]string) *jobs.Job
	// Create stores a new job.
	Create(ctx context.Context, j *jobs.Job) error
	// Fail ends a job that has not run as failed.
	Fail(ctx context.Context, j *jobs.Job, reason string) error
}

// Filters checks list filters for a caller (search.Service).
type Filters interface {
	// NewFilter validates a filter. Errors: Invalid.
	NewFilter(ctx context.Context, caller tenant.Caller, filter map[string]string) (search.Filter, error)
}

// Finder walks the contacts of a filter (search.Service).
type Finder interface {
	Filters
	// Page returns the page of f after after.
	Page(ctx context.Context, f search.Filter, after string, limit int) (search.Page, error)
}

// Deleter deletes a contact for a bulk delete job (contact.Service).
type Deleter interface {
	// DeleteInBulk deletes the contact if the caller sees it (the job's
	// start checked the permission). Errors: NotFound, Conflict.
	DeleteInBulk(ctx context.Context, caller tenant.Caller, id string) error
}

// Permits tells whether the workspace lets a caller take an action
// (contact.Service).
type Permits interface {
	// Require returns Forbidden unless the caller may take a.
	Require(ctx context.Context, caller tenant.Caller, a tenant.Action) error
	// Scope returns which contacts the caller may see.
	Scope(ctx context.Context, caller tenant.Caller) (contact.Scope, error)
}

// Service starts bulk deletes.
type Service struct {
	People  Permits // who may bulk delete
	Jobs    JobStarter
	Search  Filters
	Counter Counter
	Batches Batches
	Queue   Queue
}

// Errors of bulk deletes.
var ErrCountChanged = errs.E(errs.Conflict, "confirm_count_mismatch")

// Start validates {ids} | {filter} | {all: true, confirmCount}, records the
// job and queues its work; the roles the workspace lets bulk delete
// (owners only by default). Errors: Forbidden, Invalid, Conflict
// "confirm_count_mismatch".
func (s *Service) Start(ctx context.Context, caller tenant.Caller, doc map[string]any) (*jobs.Job, error) {
	if err := s.People.Require(ctx, caller, tenant.BulkDelete); err != nil {
		return nil, err
	}
	var problems []errs.FieldError
	given := 0
	for k := range doc {
		switch k {
		case "ids", "filter", "all":
			given++
		case "confirmCount":
		default:
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	if given != 1 {
		problems = append(problems, errs.Field("ids", "bulk_target_required"))
		return nil, errs.Validation(problems)
	}
	if len(problems) > 0 {
		return nil, errs.Validation(problems)
	}
	switch {
	case doc["ids"] != nil:
		return s.startIDs(ctx, caller, doc["ids"])
	case doc["filter"] != nil:
		f, ok := doc["filter"].(map[string]any)
		if !ok {
			return nil, errs.Validation([]errs.FieldError{errs.Field("filter", "invalid_type", "type", "object")})
		}
		params, problems := search.FilterParams(f)
		if len(problems) > 0 {
			return nil, errs.Validation(problems)
		}
		if _, err := s.Search.NewFilter(ctx, caller, params); err != nil {
			return nil, err
		}
		raw, _ := json.Marshal(params)
		return s.startExpand(ctx, caller, map[string]string{"mode": "filter", "filter": string(raw)}, 0)
	default:
		if doc["all"] != true {
			return nil, errs.Validation([]errs.FieldError{errs.Field("all", "must_be_true")})
		}
		// "all" is confirmed against the workspace's count: not for an
		// agent that sees only its wallet (its filter {} is the wallet).
		if scope, err := s.People.Scope(ctx, caller); err != nil || scope.Wallet != "" {
			if err != nil {
				return nil, err
			}
			return nil, errs.Validation([]errs.FieldError{errs.Field("all", "all_outside_wallet")})
		}
		confirm, ok := wholeNumber(doc["confirmCount"])
		if !ok {
			return nil, errs.Validation([]errs.FieldError{errs.Field("confirmCount", "required")})
		}
		n, err := s.Counter.Count(ctx, caller.Workspace)
		if err != nil {
			return nil, err
		}
		if n != confirm {
			return nil, ErrCountChanged.With("current", strconv.Itoa(n))
		}
		return s.startExpand(ctx, caller, map[string]string{"mode": "all"}, n)
	}
}

func wholeNumber(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.Atoi(n.String())
		return i, err == nil && i >= 0
	case float64:
		return int(n), n == float64(int(n)) && n >= 0
	}
	return 0, false
}

func (s *Service) startIDs(ctx context.Context, caller tenant.Caller, v any) (*jobs.Job, error) {
	idList, problems := ids.List("ids", v, MaxIDs)
	if len(problems) > 0 {
		return nil, errs.Validation(problems)
	}
	j := s.Jobs.New(caller, jobs.TypeBulkDelete, map[string]string{"mode": "ids", "role": string(caller.Role), "expanded": "true"})
	j.Total = len(idList)
	if err := s.Jobs.Create(ctx, j); err != nil {
		return nil, err
	}
	if err := queueBatches(ctx, s.Batches, s.Queue, caller.Workspace, j.ID, idList); err != nil {
		return nil, s.failQueue(ctx, j, err)
	}
	return j, nil
}

func (s *Service) startExpand(ctx context.Context, caller tenant.Caller, params map[string]string, total int) (*jobs.Job, error) {
	params["role"] = string(caller.Role)
	j := s.Jobs.New(caller, jobs.TypeBulkDelete, params)
	j.Total = total
	if err := s.Jobs.Create(ctx, j); err != nil {
		return nil, err
	}
	if err := s.Queue.Send(ctx, []Message{{Workspace: caller.Workspace, JobID: j.ID, Kind: "expand"}}); err != nil {
		return nil, s.failQueue(ctx, j, err)
	}
	return j, nil
}

func (s *Service) failQueue(ctx context.Context, j *jobs.Job, err error) error {
	_ = s.Jobs.Fail(ctx, j, "could not be queued") // the queue's error is the one to report
	return err
}

// queueBatches records and sends the delete batches of idList.
func queueBatches(ctx context.Context, batches Batches, queue Queue, ws, jobID string, idList []string) error {
	var msgs []Message
	var keys []string
	for start := 0; start < len(idList); start += BatchSize {
		m := batchOf(ws, jobID, idList[start:min(start+BatchSize, len(idList))])
		msgs, keys = append(msgs, m), append(keys, m.Batch)
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := batches.Pending(ctx, ws, jobID, keys); err != nil {
		return err
	}
	return queue.Send(ctx, msgs)
}

// Worker runs bulk delete messages.
type Worker struct {
	People  Deleter
	Search  Finder
	Jobs    jobs.Store
	Batches Batches
	Queue   Queue
	Clock   clock.Clock // the system clock when nil
}

// Handle runs one message. deadline bounds an expansion, which queues its
// own continuation. Errors: store and queue errors (the message is retried).
func (w *Worker) Handle(ctx context.Context, m Message, runID string, deadline time.Time) (string, error) {
	j, err := w.Jobs.Get(ctx, m.Workspace, m.JobID)
	if errs.Is(err, errs.NotFound) {
		return "no such job", nil
	}
	if err != nil {
		return "", err
	}
	if j.Done() {
		return "job ended", nil
	}
	caller := tenant.Caller{Workspace: m.Workspace, Subject: j.CreatedBy, Role: tenant.Role(j.Params["role"])}
	switch m.Kind {
	case "delete":
		return w.deleteBatch(ctx, j, caller, m)
	case "expand":
		return w.expand(ctx, j, caller, runID, deadline)
	}
	return "", errs.E(errs.Malformed, "unknown_message")
}

func (w *Worker) deleteBatch(ctx context.Context, j *jobs.Job, caller tenant.Caller, m Message) (string, error) {
	counts := map[string]int{}
	if j.Cancel {
		counts["cancelled"] = len(m.IDs)
	} else {
		if j.Status == jobs.Queued {
			if _, err := w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
				if j.Status == jobs.Queued {
					j.Status = jobs.Running
				}
				return nil
			}); err != nil {
				return "", err
			}
		}
		// The batch's contacts are deleted 5 at a time (each is one or two
		// transactions of its own).
		results := make([]error, len(m.IDs))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 5)
		for i, id := range m.IDs {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int, id string) {
				defer wg.Done()
				defer func() { <-sem }()
				defer errs.Recover(&results[i])
				results[i] = w.People.DeleteInBulk(ctx, caller, id)
			}(i, id)
		}
		wg.Wait()
		for _, err := range results {
			switch {
			case err == nil:
				counts["deleted"]++
			case contact.IsNotFound(err):
				counts["notFound"]++ // gone before, or a redelivered batch
			case errs.KindOf(err) == errs.Internal:
				return "", err // retried: the batch goes on where it is
			default:
				counts["failed"]++ // e.g. in a merge
			}
		}
	}
	first, err := w.Batches.Done(ctx, j.Workspace, j.ID, m.Batch, len(m.IDs), counts)
	if err != nil {
		return "", err
	}
	if !first {
		return "redelivered", nil
	}
	return "deleted", w.finishIfDone(ctx, j.Workspace, j.ID)
}

// finishIfDone ends the job when the expansion queued every batch and none
// is pending.
func (w *Worker) finishIfDone(ctx context.Context, ws, id string) error {
	j, err := w.Jobs.Get(ctx, ws, id)
	if err != nil || j.Done() || j.Params["expanded"] != "true" {
		return err
	}
	left, err := w.Batches.Remaining(ctx, ws, id)
	if err != nil || left > 0 {
		return err
	}
	_, err = w.Jobs.Update(ctx, ws, id, func(j *jobs.Job) error {
		if j.Done() {
			return nil
		}
		j.Status, j.Total, j.UpdatedAt = jobs.Succeeded, j.Processed, w.Clock.Now()
		if j.Cancel {
			j.Status = jobs.Cancelled
		}
		return nil
	})
	return err
}

// expand lists the contacts of the job's filter page by page and queues
// them as batches, saving where it is after each page, until the deadline
// (then it queues its continuation).
func (w *Worker) expand(ctx context.Context, j *jobs.Job, caller tenant.Caller, runID string, deadline time.Time) (string, error) {
	run := jobs.Run{Store: w.Jobs, Clock: w.Clock, ID: runID, Deadline: deadline}
	j, outcome, err := run.Acquire(ctx, j.Workspace, j.ID, time.Minute)
	if err != nil || outcome != "" {
		return outcome, err
	}
	passes := []map[string]string{{}, {"blocked": "true"}} // all: the active and the blocked lists
	if j.Params["mode"] == "filter" {
		var f map[string]string
		if err := j.DecodeParam("filter", &f); err != nil {
			return "", err
		}
		passes = []map[string]string{f}
	}
	var pos expandCursor
	if err := j.DecodeCursor(&pos); err != nil {
		return "", err
	}
	for ; pos.Pass < len(passes); pos.Pass, pos.After = pos.Pass+1, "" {
		f, err := w.Search.NewFilter(ctx, caller, passes[pos.Pass])
		if err != nil {
			return "", w.fail(ctx, j, "the filter is no longer valid")
		}
		for more := true; more; {
			if run.Expired() {
				return run.Continue(ctx, j, func(ctx context.Context) error {
					return w.Queue.Send(ctx, []Message{{Workspace: j.Workspace, JobID: j.ID, Kind: "expand"}})
				})
			}
			if more, err = w.expandPage(ctx, j, f, &pos); err != nil {
				return "", err
			}
		}
	}
	_, err = w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		j.Params["expanded"] = "true"
		return nil
	})
	if err != nil {
		return "", err
	}
	return "expanded", w.finishIfDone(ctx, j.Workspace, j.ID)
}

// expandCursor is where an expansion goes on from: the pass (the lists of
// a delete-all, or the one filter) and the last contact queued in it.
type expandCursor struct {
	Pass  int
	After string
}

// expandPage queues the batches of the next page of f after pos, records
// the new position and the total, and reports whether more pages follow.
func (w *Worker) expandPage(ctx context.Context, j *jobs.Job, f search.Filter, pos *expandCursor) (bool, error) {
	page, err := w.Search.Page(ctx, f, pos.After, pageSize)
	if err != nil {
		return false, err
	}
	var idList []string
	for _, it := range page.Items {
		idList = append(idList, it.ID)
	}
	if err := queueBatches(ctx, w.Batches, w.Queue, j.Workspace, j.ID, idList); err != nil {
		return false, err
	}
	pos.After = page.Last
	cursor, err := json.Marshal(pos)
	if err != nil {
		return false, fmt.Errorf("bulk delete %s: encode checkpoint: %w", j.ID, err)
	}
	n := len(page.Items)
	if _, err := w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		j.Cursor, j.UpdatedAt = string(cursor), w.Clock.Now()
		if j.Status == jobs.Queued {
			j.Status = jobs.Running
		}
		if j.Params["mode"] == "filter" || j.Processed+n > j.Total {
			j.Total += n
		}
		return nil
	}); err != nil {
		return false, err
	}
	return page.More, nil
}

func (w *Worker) fail(ctx context.Context, j *jobs.Job, reason string) error {
	_, err := w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		j.Status, j.Error, j.UpdatedAt = jobs.Failed, reason, w.Clock.Now()
		return nil
	})
	return err
}
