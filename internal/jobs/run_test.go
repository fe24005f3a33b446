package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/jobs"
)

// TestRun: one run holds the job; a second delivery meanwhile is told it is
// held; Continue releases the lease and queues the rest, so the next run
// takes the job; an ended job and an unknown one end a run at once.
func TestRun(t *testing.T) {
	s, c, _, _ := newService(t)
	ctx := context.Background()
	j := create(t, s)
	first := jobs.Run{Store: s.Store, Clock: c.now, ID: "m-1", Deadline: c.t.Add(10 * time.Minute)}
	second := jobs.Run{Store: s.Store, Clock: c.now, ID: "m-2", Deadline: c.t.Add(10 * time.Minute)}

	held, outcome, err := first.Acquire(ctx, j.Workspace, j.ID, time.Minute)
	if err != nil || outcome != "" || held.Lease != "m-1" || !held.LeaseEnds.Equal(c.t.Add(11*time.Minute)) {
		t.Fatalf("first Acquire = %+v, %q, %v; want held by m-1 until deadline + grace", held, outcome, err)
	}
	if _, outcome, err := second.Acquire(ctx, j.Workspace, j.ID, time.Minute); err != nil || outcome != jobs.OutcomeHeld {
		t.Fatalf("second Acquire while held = %q, %v; want %q", outcome, err, jobs.OutcomeHeld)
	}
	if first.Expired() {
		t.Error("Expired before the deadline")
	}
	queued := 0
	if outcome, err := first.Continue(ctx, held, func(context.Context) error { queued++; return nil }); err != nil || outcome != "continued" || queued != 1 {
		t.Fatalf("Continue = %q, %v, queued %d; want continued, 1", outcome, err, queued)
	}
	if _, outcome, err := second.Acquire(ctx, j.Workspace, j.ID, time.Minute); err != nil || outcome != "" {
		t.Fatalf("Acquire after Continue = %q, %v; want the job", outcome, err)
	}
	// A release by a run that lost the lease leaves the new holder's.
	if err := first.Release(ctx, held); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Store.Get(ctx, j.Workspace, j.ID); got.Lease != "m-2" {
		t.Errorf("lease after a stale release = %q, want m-2", got.Lease)
	}
	wantErr := errors.New("queue down")
	if _, err := second.Continue(ctx, held, func(context.Context) error { return wantErr }); !errors.Is(err, wantErr) {
		t.Errorf("Continue with a failing queue = %v, want %v", err, wantErr)
	}

	if _, err := s.Store.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error { j.Status = jobs.Succeeded; return nil }); err != nil {
		t.Fatal(err)
	}
	third := jobs.Run{Store: s.Store, Clock: c.now, ID: "m-3", Deadline: c.t.Add(time.Hour)}
	if _, outcome, err := third.Acquire(ctx, j.Workspace, j.ID, 0); err != nil || outcome != jobs.OutcomeEnded {
		t.Errorf("Acquire of an ended job = %q, %v; want %q", outcome, err, jobs.OutcomeEnded)
	}
	if _, outcome, err := third.Acquire(ctx, j.Workspace, "no-such-job", 0); err != nil || outcome != jobs.OutcomeNoJob {
		t.Errorf("Acquire of an unknown job = %q, %v; want %q", outcome, err, jobs.OutcomeNoJob)
	}
	c.t = c.t.Add(2 * time.Hour)
	if !third.Expired() {
		t.Error("not Expired after the deadline")
	}
}

// TestDecodeState: a job's parameters and checkpoint decode with their
// errors checked (no DynamoDB).
func TestDecodeState(t *testing.T) {
	j := &jobs.Job{ID: "j1", Params: map[string]string{"filter": `{"tag":"t1"}`, "bad": `{"tag":`}, Cursor: `{"Pass":1,"After":"c9"}`}
	var f map[string]string
	if err := j.DecodeParam("filter", &f); err != nil || f["tag"] != "t1" {
		t.Errorf("DecodeParam(filter) = %v, %v", f, err)
	}
	var none map[string]string
	if err := j.DecodeParam("absent", &none); err != nil || none != nil {
		t.Errorf("DecodeParam(absent) = %v, %v; want nothing, no error", none, err)
	}
	if err := j.DecodeParam("bad", &f); err == nil {
		t.Error("DecodeParam(bad): no error")
	}
	var pos struct {
		Pass  int
		After string
	}
	if err := j.DecodeCursor(&pos); err != nil || pos.Pass != 1 || pos.After != "c9" {
		t.Errorf("DecodeCursor = %+v, %v", pos, err)
	}
	j.Cursor = "42"
	if err := j.DecodeCursor(&pos); err == nil {
		t.Error("DecodeCursor of a cursor of another shape: no error")
	}
}
