package company

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// DefaultUnlinkInline is the most contacts a company delete unlinks in the
// request. One unlink is two DynamoDB calls (the contact's GetItem and its
// TransactWriteItems, 1 RCU and 8 WCU; TestCompanyUnlinkCalls): 50 are 100
// calls, a second or two, well inside the companies function's 10 s.
const DefaultUnlinkInline = 50

// unlinkPage is how many of a company's contacts one read of its index
// returns while unlinking them; the job saves its progress after each.
const unlinkPage = 25

// notDeleted is why a company_unlink job failed before it started: the
// delete that recorded it did not delete the company (it changed meanwhile).
const notDeleted = "the company was not deleted"

func (s *Service) unlinkInline() int {
	if s.UnlinkInline > 0 {
		return s.UnlinkInline
	}
	return DefaultUnlinkInline
}

// deleteLater deletes a company with many contacts: it records a queued
// company_unlink job (params companyId, role), deletes the company (its
// contacts show no linkedCompany from then on, and none can be linked to
// it) and queues the job, which unlinks them. A delete that fails (the
// company changed) fails the job, which never ran.
func (s *Service) deleteLater(ctx context.Context, caller tenant.Caller, c *Company) (*jobs.Job, error) {
	j := s.Jobs.New(caller, jobs.TypeCompanyUnlink, map[string]string{"role": string(caller.Role), "companyId": c.ID})
	if err := s.Jobs.Create(ctx, j); err != nil {
		return nil, err
	}
	if err := s.Companies.Delete(ctx, caller.Workspace, c.ID, c.Version, caller.Subject); err != nil {
		_ = s.Jobs.Fail(ctx, j, notDeleted) // the delete's error is the one to report
		return nil, err
	}
	if err := s.Jobs.Enqueue(ctx, j, s.Queue); err != nil {
		return nil, err
	}
	return j, nil
}

// unlinkOne unlinks a contact from the company companyID, as actor; a
// contact linked elsewhere meanwhile, or gone, is left as it is. It
// reports whether the contact changed.
func (s *Service) unlinkOne(ctx context.Context, ws, actor, companyID, contactID string) (bool, error) {
	changed := false
	_, err := s.People.Contacts.Update(ctx, ws, contactID, 0, func(c *contact.Contact) error {
		changed = c.CompanyID == companyID
		if changed {
			c.CompanyID = ""
			c.UpdatedAt, c.UpdatedBy = s.Clock.Now(), actor
		}
		return nil
	})
	switch {
	case errs.Is(err, errs.NotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("unlink contact %s from company %s: %w", contactID, companyID, err)
	}
	return changed, nil
}

// unlinkCursor is a company_unlink job's checkpoint: the index row it goes
// on after, and what the pass under way unlinked and could not.
type unlinkCursor struct {
	After    string `json:"after,omitempty"`
	Unlinked int    `json:"unlinked,omitempty"`
	Failed   int    `json:"failed,omitempty"`
}

// ContactCounter counts a company's contacts (dynamo.Companies).
type ContactCounter interface {
	// CountContacts returns how many contacts are linked to the company id.
	CountContacts(ctx context.Context, ws, id string) (int, error)
}

// Worker runs company_unlink jobs from their queue's messages.
type Worker struct {
	Companies *Service // its Companies index and People.Contacts
	Counter   ContactCounter
	Jobs      jobs.Store
	Queue     jobs.Queue
	Clock     clock.Clock // the system clock when nil
}

// Run runs a job's message (run is its id): the job until it ends or the
// deadline, then the rest goes back on the queue. One run at a time holds
// the job: a message delivered twice finds it held and does nothing.
func (w *Worker) Run(ctx context.Context, ws, jobID, runID string, deadline time.Time) (string, error) {
	run := jobs.Run{Store: w.Jobs, Clock: w.Clock, ID: runID, Deadline: deadline}
	return run.Drive(ctx, ws, jobID, time.Minute, func(ctx context.Context, j *jobs.Job) (bool, error) {
		return w.unlink(ctx, j, deadline)
	}, func(ctx context.Context) error { return w.Queue.Enqueue(ctx, ws, jobID) })
}

// unlink works on a company_unlink job until it ends or the deadline, and
// reports whether it ended. It reads the company's contacts index after
// the job's cursor, unlinkPage rows at a time, unlinks each contact and
// saves its progress after each page (a continued or redelivered message
// goes on from there). At the end of the index, a pass that unlinked
// anything is followed by another from the start (a contact renamed before
// the cursor meanwhile); the last pass's contacts that could not be
// unlinked (e.g. in a merge) are counted failed. A job is not cancelled:
// its contacts would stay linked to a company that is gone. Errors: store
// errors (the message is retried).
func (w *Worker) unlink(ctx context.Context, j *jobs.Job, deadline time.Time) (bool, error) {
	ws, companyID := j.Workspace, j.Params["companyId"]
	var cur unlinkCursor
	if err := j.DecodeCursor(&cur); err != nil {
		return false, err
	}
	if j.Status == jobs.Queued {
		if err := w.begin(ctx, j); err != nil {
			return false, err
		}
	}
	for {
		if w.Clock.Now().After(deadline) {
			return false, nil
		}
		rows, next, err := w.Companies.Companies.Contacts(ctx, ws, companyID, cur.After, unlinkPage, true)
		if err != nil {
			return false, err
		}
		unlinked, failed := 0, 0
		for _, r := range rows {
			changed, err := w.Companies.unlinkOne(ctx, ws, j.CreatedBy, companyID, r.ID)
			switch {
			case err != nil && errs.KindOf(err) == errs.Internal:
				return false, err
			case err != nil:
				failed++
			case changed:
				unlinked++
			}
		}
		cur.After, cur.Unlinked, cur.Failed = next, cur.Unlinked+unlinked, cur.Failed+failed
		end := next == "" && cur.Unlinked == 0
		if next == "" && !end {
			cur = unlinkCursor{} // another pass
		}
		if end {
			// Each unlink wrote a contact_removed entry in the timeline
			// of a company that is gone: nothing reads them.
			if err := w.Companies.Companies.DropTimeline(ctx, ws, companyID); err != nil {
				return false, err
			}
		}
		if err := w.save(ctx, j, cur, unlinked, failed, end); err != nil || end {
			return end, err
		}
	}
}

// begin marks a queued job running, its total the company's contacts.
func (w *Worker) begin(ctx context.Context, j *jobs.Job) error {
	total, err := w.Counter.CountContacts(ctx, j.Workspace, j.Params["companyId"])
	if err != nil {
		return err
	}
	_, err = w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		if j.Status == jobs.Queued {
			j.Status, j.Total, j.UpdatedAt = jobs.Running, total, w.Clock.Now()
		}
		return nil
	})
	return err
}

// save records a page's progress: the cursor, the contacts unlinked, and
// at the end the job's outcome.
func (w *Worker) save(ctx context.Context, j *jobs.Job, cur unlinkCursor, unlinked, failed int, end bool) error {
	raw, err := json.Marshal(cur)
	if err != nil {
		return fmt.Errorf("job %s: encode checkpoint: %w", j.ID, err)
	}
	_, err = w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		j.Cursor, j.UpdatedAt = string(raw), w.Clock.Now()
		j.Processed += unlinked
		j.Counts["unlinked"] += unlinked
		if end {
			j.Status, j.Total, j.Counts["failed"] = jobs.Succeeded, j.Processed, cur.Failed
		} else if j.Processed > j.Total {
			j.Total = j.Processed
		}
		return nil
	})
	return err
}
