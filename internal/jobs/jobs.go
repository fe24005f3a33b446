// Package jobs is the background work of a workspace (removing duplicates,
// and later imports, exports and bulk deletes) as people follow it: a job's
// status, progress and counts, and its cancellation.
package jobs

import (
	"context"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/tenant"
)

// QueueRetention is how long the job queues keep a message
// (MessageRetentionPeriod): a job no worker took by then never will be.
// It is a job's default start deadline.
const QueueRetention = 14 * 24 * time.Hour

// Retention is how long a job is kept after it ended, or after its start
// deadline when it never started: the table's TTL deletes it then.
const Retention = 30 * 24 * time.Hour

// Statuses of a job.
const (
	Queued    = "queued"
	Running   = "running"
	Succeeded = "succeeded"
	Failed    = "failed"
	Cancelled = "cancelled"
)

// Types of job.
const (
	TypeImport           = "import"
	TypeExport           = "export"
	TypeBulkDelete       = "bulk_delete"
	TypeRemoveDuplicates = "remove_duplicates"
	// TypeCompanyUnlink unlinks the contacts of a deleted company; it is
	// started by the delete, has no permission of its own and cannot be
	// cancelled.
	TypeCompanyUnlink = "company_unlink"
)

// ActionOf is the permission (tenant.Action) that starting a job of type
// typ asks for.
func ActionOf(typ string) (tenant.Action, bool) {
	switch typ {
	case TypeImport:
		return tenant.Import, true
	case TypeExport:
		return tenant.Export, true
	case TypeBulkDelete:
		return tenant.BulkDelete, true
	case TypeRemoveDuplicates:
		return tenant.RemoveDuplicates, true
	}
	return "", false
}

// MayStart reports whether the workspace's permissions p let caller start a
// job of type typ (by default imports, exports and removing duplicates are
// for owners and managers, a bulk delete for owners). The services check
// the same permission before starting a job, and a job's files are shown
// only to those it lets start one (see FilesVisibleTo).
func MayStart(p tenant.Permissions, caller tenant.Caller, typ string) bool {
	a, ok := ActionOf(typ)
	return ok && p.Allows(caller, a)
}

// Job is one piece of background work.
type Job struct {
	ID        string
	Workspace string
	Type      string // one of the Type constants
	Status    string
	Processed int
	Total     int
	Counts    map[string]int    // e.g. merged, failed
	Cursor    string            // where the worker goes on from
	Error     string            // why it failed
	Cancel    bool              // cancellation asked; the worker stops at its next batch
	Params    map[string]string // what the job was asked to do (mode, format, filter...)
	Files     map[string]string // objects it wrote (errorReport, download: S3 keys)
	Lease     string            // the worker run holding the job
	LeaseEnds time.Time         // until when
	StartBy   time.Time         // a queued job no worker took by then is failed when read; zero: no deadline
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
}

// FilesVisibleTo reports whether caller may have the links to the job's
// files (an export's download, an import's error report with its raw
// rows): whoever the workspace's permissions p let start a job of its
// type, and whoever started it.
// Everyone else still sees its status, progress and counts.
func (j *Job) FilesVisibleTo(p tenant.Permissions, caller tenant.Caller) bool {
	return MayStart(p, caller, j.Type) || j.CreatedBy == caller.Subject
}

// Done reports whether the job ended.
func (j *Job) Done() bool {
	return j.Status == Succeeded || j.Status == Failed || j.Status == Cancelled
}

// Overdue reports whether the job is still queued after its start deadline
// with no worker holding it: the event that was to start it was lost.
func (j *Job) Overdue(now time.Time) bool {
	return j.Status == Queued && !j.StartBy.IsZero() && now.After(j.StartBy) && (j.Lease == "" || now.After(j.LeaseEnds))
}

// ExpiresAt is when the table may delete the job: Retention after it ended,
// or after its start deadline while it waits; zero while it runs.
func (j *Job) ExpiresAt() time.Time {
	switch {
	case j.Done():
		return j.UpdatedAt.Add(Retention)
	case j.Status == Queued && !j.StartBy.IsZero():
		return j.StartBy.Add(Retention)
	}
	return time.Time{}
}

// Store keeps jobs.
type Store interface {
	// Create stores a new job.
	Create(ctx context.Context, j *Job) error
	// Get returns a job. Errors: NotFound.
	Get(ctx context.Context, workspace, id string) (*Job, error)
	// List returns up to limit jobs older than before ("" for the newest),
	// newest first, and whether there are more.
	List(ctx context.Context, workspace, before string, limit int) ([]*Job, bool, error)
	// Update reads the job, lets fn change it and writes it back unless it
	// changed meanwhile (then it reads again). Errors: NotFound, and fn's.
	Update(ctx context.Context, workspace, id string, fn func(*Job) error) (*Job, error)
	// Progress adds to the job's processed count and counts in one atomic
	// write (concurrent workers add without reading) and returns the job.
	Progress(ctx context.Context, workspace, id string, processed int, counts map[string]int) (*Job, error)
	// Acquire gives the run owner the job until until, unless another run
	// holds it past now or it ended: false then.
	Acquire(ctx context.Context, workspace, id, owner string, until, now time.Time) (*Job, bool, error)
}

// Queue hands a job's work to its worker.
type Queue interface {
	Enqueue(ctx context.Context, workspace, jobID string) error
}

// Errors of jobs.
var (
	ErrNotFound = errs.E(errs.NotFound, "job_not_found")
	ErrEnded    = errs.E(errs.Conflict, "job_ended")
	// ErrNotCancellable: a company_unlink job is not stopped (the
	// contacts would stay linked to a company that is gone).
	ErrNotCancellable = errs.E(errs.Conflict, "job_not_cancellable")
)

// PermissionSource gives a workspace's permissions (contact.Service).
type PermissionSource interface {
	Permissions(ctx context.Context, workspace string) (tenant.Permissions, error)
}

// Service starts, shows and cancels jobs.
type Service struct {
	Store Store
	// Permissions decides whose job files are shown; nil: the default
	// permissions (the functions that only start jobs need none).
	Permissions PermissionSource
	Clock       clock.Clock // the system clock when nil
}

// FilesVisible reports, for each job of list, whether its files are visible
// to caller (Job.FilesVisibleTo). The workspace's permissions are read once,
// and only when a job's answer depends on them: never for an owner, nor for
// jobs the caller started.
func (s *Service) FilesVisible(ctx context.Context, caller tenant.Caller, list ...*Job) ([]bool, error) {
	out := make([]bool, len(list))
	var p tenant.Permissions
	read := caller.Role == tenant.Owner || s.Permissions == nil
	for i, j := range list {
		if !read && j.CreatedBy != caller.Subject {
			var err error
			if p, err = s.Permissions.Permissions(ctx, caller.Workspace); err != nil {
				return nil, err
			}
			read = true
		}
		out[i] = j.FilesVisibleTo(p, caller)
	}
	return out, nil
}

// Start records a queued job of type typ, with the caller's role (the
// worker acts with it), and hands it to queue.
func (s *Service) Start(ctx context.Context, caller tenant.Caller, typ string, queue Queue) (*Job, error) {
	j := s.New(caller, typ, map[string]string{"role": string(caller.Role)})
	if err := s.Store.Create(ctx, j); err != nil {
		return nil, err
	}
	if err := s.Enqueue(ctx, j, queue); err != nil {
		return nil, err
	}
	return j, nil
}

// New returns a queued job of type typ with params, not stored yet, to be
// started within QueueRetention.
func (s *Service) New(caller tenant.Caller, typ string, params map[string]string) *Job {
	now := s.Clock.Now()
	if params == nil {
		params = map[string]string{}
	}
	return &Job{ID: ids.New(now), Workspace: caller.Workspace, Type: typ, Status: Queued, Counts: map[string]int{},
		Params: params, Files: map[string]string{}, CreatedBy: caller.Subject, CreatedAt: now, UpdatedAt: now, Version: 1,
		StartBy: now.Add(QueueRetention)}
}

// Create stores a new job.
func (s *Service) Create(ctx context.Context, j *Job) error { return s.Store.Create(ctx, j) }

// Fail ends a job that has not run as failed, with reason.
func (s *Service) Fail(ctx context.Context, j *Job, reason string) error {
	_, err := s.Store.Update(ctx, j.Workspace, j.ID, func(j *Job) error {
		j.Status, j.Error, j.UpdatedAt = Failed, reason, s.Clock.Now()
		return nil
	})
	return err
}

// Enqueue hands a stored job to queue; when that fails the job is marked
// failed, so it does not wait forever.
func (s *Service) Enqueue(ctx context.Context, j *Job, queue Queue) error {
	if err := queue.Enqueue(ctx, j.Workspace, j.ID); err != nil {
		_ = s.Fail(ctx, j, "could not be queued") // the queue's error is the one to report
		return err
	}
	return nil
}

// Get returns a job of the caller's workspace, failing it first if it is
// overdue. Errors: NotFound.
func (s *Service) Get(ctx context.Context, caller tenant.Caller, id string) (*Job, error) {
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	j, err := s.Store.Get(ctx, caller.Workspace, id)
	if err != nil {
		return nil, err
	}
	return s.failOverdue(ctx, j)
}

// List returns the workspace's jobs, newest first, failing the overdue ones
// first.
func (s *Service) List(ctx context.Context, caller tenant.Caller, before string, limit int) ([]*Job, bool, error) {
	list, more, err := s.Store.List(ctx, caller.Workspace, before, limit)
	if err != nil {
		return nil, false, err
	}
	for i, j := range list {
		if list[i], err = s.failOverdue(ctx, j); err != nil {
			return nil, false, err
		}
	}
	return list, more, nil
}

// failOverdue fails j if it is overdue (its file never arrived, or the event
// or message that was to start it was lost), so that it is not shown queued
// forever; otherwise it returns j as it is.
func (s *Service) failOverdue(ctx context.Context, j *Job) (*Job, error) {
	now := s.Clock.Now()
	if !j.Overdue(now) {
		return j, nil
	}
	return s.Store.Update(ctx, j.Workspace, j.ID, func(j *Job) error {
		if j.Overdue(now) {
			j.Status, j.UpdatedAt = Failed, now
			j.Error = errs.Message(errs.Language(j.Params["lang"]), "job_not_started", nil)
		}
		return nil
	})
}

// Cancel asks a job to stop at its next batch; a queued job is cancelled at
// once. Owners and managers, or whoever started it. Errors: NotFound,
// Forbidden, Conflict "job_ended".
func (s *Service) Cancel(ctx context.Context, caller tenant.Caller, id string) (*Job, error) {
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	return s.Store.Update(ctx, caller.Workspace, id, func(j *Job) error {
		if !caller.IsManager() && j.CreatedBy != caller.Subject {
			return errs.E(errs.Forbidden, "forbidden_role")
		}
		if j.Done() {
			return ErrEnded
		}
		if j.Type == TypeCompanyUnlink {
			return ErrNotCancellable
		}
		j.Cancel, j.UpdatedAt = true, s.Clock.Now()
		if j.Status == Queued {
			j.Status = Cancelled
		}
		return nil
	})
}
