package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/errs"
)

// Run is one worker run of a job (one queue message): it holds the job's
// lease from Acquire until it ends or Continue releases it, so a message
// delivered twice meanwhile does nothing, and it stops taking work at its
// deadline, handing the rest to a continuation. Import, export, bulk delete
// and remove-duplicates all run through it.
type Run struct {
	Store    Store
	Clock    clock.Clock
	ID       string    // the run's id (its message's), the lease's owner
	Deadline time.Time // when the run stops taking work
}

// Outcomes of Acquire that end a run before it starts.
const (
	OutcomeNoJob = "no such job"
	OutcomeHeld  = "held by another run"
	OutcomeEnded = "done"
)

// Acquire takes the job's lease until the deadline plus grace (what the
// run may still need after it, e.g. to release or to write a report). When
// the run may not go on, outcome says why (OutcomeNoJob, OutcomeEnded,
// OutcomeHeld) and j is the job when there is one. Errors: store errors.
func (r Run) Acquire(ctx context.Context, workspace, jobID string, grace time.Duration) (j *Job, outcome string, err error) {
	j, held, err := r.Store.Acquire(ctx, workspace, jobID, r.ID, r.Deadline.Add(grace), r.Clock.Now())
	switch {
	case errs.Is(err, errs.NotFound):
		return nil, OutcomeNoJob, nil
	case err != nil:
		return nil, "", err
	case j != nil && j.Done():
		return j, OutcomeEnded, nil
	case !held:
		return j, OutcomeHeld, nil
	}
	return j, "", nil
}

// Expired reports whether the run passed its deadline.
func (r Run) Expired() bool { return r.Clock.Now().After(r.Deadline) }

// Release gives up the run's lease, which outlasts the deadline: the run
// queued next must not find the job still held (it would take that for a
// run under way and drop its message). A lease another run took meanwhile
// stays.
func (r Run) Release(ctx context.Context, j *Job) error {
	_, err := r.Store.Update(ctx, j.Workspace, j.ID, func(j *Job) error {
		if j.Lease == r.ID {
			j.Lease, j.LeaseEnds = "", time.Time{}
		}
		return nil
	})
	return err
}

// Continue releases the lease and queues the rest of the job with next; it
// returns the outcome "continued".
func (r Run) Continue(ctx context.Context, j *Job, next func(ctx context.Context) error) (string, error) {
	if err := r.Release(ctx, j); err != nil {
		return "", err
	}
	if err := next(ctx); err != nil {
		return "", err
	}
	return "continued", nil
}

// Drive is a whole run: it acquires the job (with grace, as Acquire), lets
// work go on with it until it ends or the deadline (work reports whether
// it ended), and otherwise continues it with next. The outcome is "done",
// "continued", or why the run did not take the job.
func (r Run) Drive(ctx context.Context, workspace, jobID string, grace time.Duration, work func(ctx context.Context, j *Job) (bool, error), next func(ctx context.Context) error) (string, error) {
	j, outcome, err := r.Acquire(ctx, workspace, jobID, grace)
	if err != nil || outcome != "" {
		return outcome, err
	}
	done, err := work(ctx, j)
	if err != nil {
		return "", err
	}
	if done {
		return "done", nil
	}
	return r.Continue(ctx, j, next)
}

// DecodeParam decodes the job's parameter name, a JSON value, into v; an
// absent parameter leaves v as it is. Errors: one that names the parameter
// when its value is not what v holds (the job's state is corrupt).
func (j *Job) DecodeParam(name string, v any) error {
	raw, ok := j.Params[name]
	if !ok || raw == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return fmt.Errorf("job %s: decode parameter %s: %w", j.ID, name, err)
	}
	return nil
}

// DecodeCursor decodes the job's checkpoint, a JSON value, into v; an
// empty checkpoint leaves v as it is. Errors: one naming the job when the
// checkpoint is not what v holds.
func (j *Job) DecodeCursor(v any) error {
	if j.Cursor == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(j.Cursor), v); err != nil {
		return fmt.Errorf("job %s: decode checkpoint: %w", j.ID, err)
	}
	return nil
}
