package jobs_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/tenant"
)

var owner = tenant.Caller{Workspace: "acme", Subject: "user-1", Role: tenant.Owner}

// clock is a settable time for the service.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T) (*jobs.Service, *clock, *dynamodb.Client, string) {
	t.Helper()
	client, table := dynamotest.NewTable(t)
	c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	return &jobs.Service{Store: &dynamo.Jobs{Client: client, Table: table}, Clock: c.now}, c, client, table
}

// create stores a queued job made at the clock's time.
func create(t *testing.T, s *jobs.Service) *jobs.Job {
	t.Helper()
	j := s.New(owner, "export", nil)
	if err := s.Store.Create(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestOverdueJobFailsWhenRead: a queued job no worker took before its start
// deadline is failed by Get and List, once; a job before its deadline, or
// held by a live lease, or ended, is left as it is.
func TestOverdueJobFailsWhenRead(t *testing.T) {
	s, c, _, _ := newService(t)
	ctx := context.Background()
	overdue := create(t, s)
	held := create(t, s)
	ended := create(t, s)
	if _, err := s.Store.Update(ctx, owner.Workspace, ended.ID, func(j *jobs.Job) error { j.Status = jobs.Succeeded; return nil }); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(jobs.QueueRetention - time.Second)
	if got, err := s.Get(ctx, owner, overdue.ID); err != nil || got.Status != jobs.Queued {
		t.Fatalf("before the deadline: %+v, %v; want queued", got, err)
	}
	leaseEnds := c.t.Add(time.Hour)
	if _, ok, err := s.Store.Acquire(ctx, owner.Workspace, held.ID, "run-1", leaseEnds, c.t); err != nil || !ok {
		t.Fatalf("Acquire: %v %v", ok, err)
	}

	c.t = c.t.Add(2 * time.Second)
	got, err := s.Get(ctx, owner, overdue.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := errs.Message(errs.English, "job_not_started", nil); got.Status != jobs.Failed || got.Error != want || !got.UpdatedAt.Equal(c.t) {
		t.Errorf("overdue job: status %q error %q updated %v; want failed with %q at %v", got.Status, got.Error, got.UpdatedAt, want, c.t)
	}
	list, _, err := s.List(ctx, owner, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, j := range list {
		status[j.ID] = j.Status
	}
	want := map[string]string{overdue.ID: jobs.Failed, held.ID: jobs.Queued, ended.ID: jobs.Succeeded}
	for id, w := range want {
		if status[id] != w {
			t.Errorf("listed job %s: status %q, want %q", id, status[id], w)
		}
	}
	if again, err := s.Get(ctx, owner, overdue.ID); err != nil || again.Version != got.Version {
		t.Errorf("read again: version %d, %v; want %d (failed once)", again.Version, err, got.Version)
	}

	c.t = leaseEnds.Add(time.Second) // the run holding it is gone too
	if got, err := s.Get(ctx, owner, held.ID); err != nil || got.Status != jobs.Failed {
		t.Errorf("job whose lease ended past its deadline: %+v, %v; want failed", got, err)
	}
}

// TestJobExpiresAt: the table's TTL attribute is set Retention after a job
// ends, or after its start deadline while it waits, and is absent while it
// runs.
func TestJobExpiresAt(t *testing.T) {
	s, c, client, table := newService(t)
	ctx := context.Background()
	j := create(t, s)
	expiresAt := func() string {
		t.Helper()
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "W#acme#JOBS"}, "SK": &types.AttributeValueMemberS{Value: "J#" + j.ID},
		}})
		if err != nil || out.Item == nil {
			t.Fatalf("GetItem: %v (item %v)", err, out.Item)
		}
		if v, ok := out.Item["expiresAt"].(*types.AttributeValueMemberN); ok {
			return v.Value
		}
		return "none"
	}
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	if got, want := expiresAt(), unix(c.t.Add(jobs.QueueRetention+jobs.Retention)); got != want {
		t.Errorf("queued: expiresAt %s, want %s (start deadline + retention)", got, want)
	}
	update := func(status string) {
		t.Helper()
		c.t = c.t.Add(time.Hour)
		if _, err := s.Store.Update(ctx, owner.Workspace, j.ID, func(j *jobs.Job) error { j.Status, j.UpdatedAt = status, c.t; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	update(jobs.Running)
	if got := expiresAt(); got != "none" {
		t.Errorf("running: expiresAt %s, want none", got)
	}
	update(jobs.Succeeded)
	if got, want := expiresAt(), unix(c.t.Add(jobs.Retention)); got != want {
		t.Errorf("succeeded: expiresAt %s, want %s (end + retention)", got, want)
	}
}
