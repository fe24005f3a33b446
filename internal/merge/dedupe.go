package merge

import (
	"context"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// JobStarter records and queues a new job (jobs.Service).
type JobStarter interface {
	// Start records a queued job of type typ and hands it to queue.
	Start(ctx context.Context, caller tenant.Caller, typ string, queue jobs.Queue) (*jobs.Job, error)
}

// StartRemoveDuplicates records the job and queues it; the roles the
// workspace lets remove duplicates (owners and managers by default). The
// job runs with the starter's role (jobs.Service.Start records it): an
// agent of a wallet-bound workspace merges only the groups it sees whole.
// Errors: Forbidden.
func (s *Service) StartRemoveDuplicates(ctx context.Context, caller tenant.Caller, js JobStarter, queue jobs.Queue) (*jobs.Job, error) {
	if err := s.People.Require(ctx, caller, tenant.RemoveDuplicates); err != nil {
		return nil, err
	}
	return js.Start(ctx, caller, jobs.TypeRemoveDuplicates, queue)
}

// groupsPage is how many groups a worker reads at a time.
const groupsPage = 25

// RemoveDuplicates works on a remove_duplicates job until it ends or until
// the deadline, and reports whether it ended. Each suggested group (after
// the job's cursor, in key order) is merged into its oldest contact, each
// merge on its own record (undoable alone); a group that cannot be merged
// (e.g. its tags would be too many) is counted failed and passed. Progress
// is saved after every group, so a redelivered or continued message goes on
// where the last one stopped. Errors: store errors (the message is retried).
func (s *Service) RemoveDuplicates(ctx context.Context, index DuplicateIndex, store jobs.Store, ws, jobID string, deadline time.Time) (bool, error) {
	j, err := store.Get(ctx, ws, jobID)
	if err != nil {
		return errs.Is(err, errs.NotFound), err
	}
	if j.Done() {
		return true, nil
	}
	if j.Status == jobs.Queued {
		total, err := s.countGroups(ctx, index, ws)
		if err != nil {
			return false, err
		}
		if j, err = store.Update(ctx, ws, jobID, func(j *jobs.Job) error {
			if j.Status == jobs.Queued {
				j.Status, j.Total, j.UpdatedAt = jobs.Running, total, s.Clock.Now()
			}
			return nil
		}); err != nil {
			return false, err
		}
	}
	caller := tenant.Caller{Workspace: ws, Subject: j.CreatedBy, Role: tenant.Role(j.Params["role"])}
	if caller.Role == "" {
		caller.Role = tenant.Owner // a job started before the role was recorded
	}
	for {
		groups, more, err := index.Duplicates(ctx, ws, j.Cursor, groupsPage)
		if err != nil {
			return false, err
		}
		for _, g := range groups {
			if s.Clock.Now().After(deadline) {
				return false, nil
			}
			merges, contacts, refused, err := s.mergeGroup(ctx, caller, index, g)
			if err != nil && errs.KindOf(err) == errs.Internal {
				return false, err
			}
			stop := false
			j, err = store.Update(ctx, ws, jobID, func(j *jobs.Job) error {
				j.Cursor, j.Processed, j.UpdatedAt = g.Key, j.Processed+1, s.Clock.Now()
				if j.Processed > j.Total {
					j.Total = j.Processed
				}
				j.Counts["merges"] += merges
				j.Counts["contactsMerged"] += contacts
				switch {
				case refused:
					j.Counts["failed"]++
				case merges == 0:
					j.Counts["skipped"]++ // changed since it was listed
				}
				if j.Cancel {
					j.Status, stop = jobs.Cancelled, true
				}
				return nil
			})
			if err != nil {
				return false, err
			}
			if stop {
				return true, nil
			}
		}
		if !more {
			_, err := store.Update(ctx, ws, jobID, func(j *jobs.Job) error {
				j.Status, j.Total, j.UpdatedAt = jobs.Succeeded, j.Processed, s.Clock.Now()
				if j.Cancel {
					j.Status = jobs.Cancelled
				}
				return nil
			})
			return err == nil, err
		}
	}
}

// mergeGroup merges the group's contacts into the oldest one, MaxSources at
// a time. It returns how many merges it made, how many contacts they merged,
// and whether a merge was refused.
func (s *Service) mergeGroup(ctx context.Context, caller tenant.Caller, index DuplicateIndex, g Group) (merges, merged int, refused bool, err error) {
	sg, ok, err := s.suggestion(ctx, caller, index, g)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	target := sg.Contacts[0]
	for _, c := range sg.Contacts[1:] {
		if c.ID < target.ID { // ids are time-ordered: the smallest is the oldest
			target = c
		}
	}
	var sources []any
	for _, c := range sg.Contacts {
		if c.ID != target.ID {
			sources = append(sources, c.ID)
		}
	}
	for start := 0; start < len(sources); start += MaxSources {
		batch := sources[start:min(start+MaxSources, len(sources))]
		if _, err := s.Merge(ctx, caller, target.ID, map[string]any{"sourceIds": batch}); err != nil {
			if errs.KindOf(err) == errs.Internal {
				return merges, merged, false, err
			}
			return merges, merged, true, nil
		}
		merges++
		merged += len(batch)
	}
	return merges, merged, false, nil
}

func (s *Service) countGroups(ctx context.Context, index DuplicateIndex, ws string) (int, error) {
	n, after := 0, ""
	for {
		groups, more, err := index.Duplicates(ctx, ws, after, 200)
		if err != nil {
			return 0, err
		}
		n += len(groups)
		if !more || len(groups) == 0 {
			return n, nil
		}
		after = groups[len(groups)-1].Key
	}
}

// Worker runs remove_duplicates jobs from their queue's messages.
type Worker struct {
	Merges *Service
	Index  DuplicateIndex
	Jobs   jobs.Store
	Queue  jobs.Queue
	Clock  clock.Clock // the system clock when nil
}

// Run runs a job's message (run is its id): the job until it ends or the
// deadline, then the rest goes back on the queue. One run at a time holds
// the job: a message delivered twice finds it held and does nothing.
func (w *Worker) Run(ctx context.Context, ws, jobID, runID string, deadline time.Time) (string, error) {
	run := jobs.Run{Store: w.Jobs, Clock: w.Clock, ID: runID, Deadline: deadline}
	return run.Drive(ctx, ws, jobID, time.Minute, func(ctx context.Context, _ *jobs.Job) (bool, error) {
		return w.Merges.RemoveDuplicates(ctx, w.Index, w.Jobs, ws, jobID, deadline)
	}, func(ctx context.Context) error { return w.Queue.Enqueue(ctx, ws, jobID) })
}
