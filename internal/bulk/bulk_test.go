package bulk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/tenant"
)

// queue is a bulk.Queue holding SQS messages.
type queue struct {
	mu   sync.Mutex
	msgs []events.SQSMessage
	n    int
}

func (q *queue) Send(_ context.Context, msgs []bulk.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range msgs {
		body, err := json.Marshal(m)
		if err != nil {
			return err
		}
		q.n++
		q.msgs = append(q.msgs, events.SQSMessage{MessageId: "msg-" + strconv.Itoa(q.n), Body: string(body)})
	}
	return nil
}

func (q *queue) take() []events.SQSMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.msgs
	q.msgs = nil
	return out
}

type world struct {
	people *contact.Service
	jobs   *jobs.Service
	svc    *bulk.Service
	worker *bulk.Worker
	queue  *queue
	caller tenant.Caller
	index  *dynamo.Search
}

func newWorld(t *testing.T) *world {
	t.Helper()
	client, table := dynamotest.NewTable(t)
	contacts := &dynamo.Contacts{Client: client, Table: table}
	tags := &dynamo.Tags{Client: client, Table: table}
	people := &contact.Service{Contacts: contacts, Workspaces: &dynamo.Workspaces{Client: client, Table: table}, Tags: tags}
	index := &dynamo.Search{Client: client, Table: table}
	finder := &search.Service{Index: index, Contacts: people, Workspaces: people.Workspaces, Tags: tags}
	js := &jobs.Service{Store: &dynamo.Jobs{Client: client, Table: table}}
	q := &queue{}
	batches := &dynamo.JobBatches{Client: client, Table: table}
	return &world{
		people: people, jobs: js, queue: q, index: index,
		svc:    &bulk.Service{People: people, Jobs: js, Search: finder, Counter: index, Batches: batches, Queue: q},
		worker: &bulk.Worker{People: people, Search: finder, Jobs: js.Store, Batches: batches, Queue: q},
		caller: tenant.Caller{Workspace: "acme", Subject: "user-1", Role: tenant.Owner},
	}
}

func (w *world) createMany(t *testing.T, n int) []any {
	t.Helper()
	var ids []any
	for i := 0; i < n; i++ {
		c, _, err := w.people.Create(context.Background(), w.caller, contact.CreateRequest{Document: map[string]any{
			"name": fmt.Sprintf("Pessoa %02d", i), "email": fmt.Sprintf("p%d@exemplo.com", i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func (w *world) count(t *testing.T) int {
	t.Helper()
	n, err := w.index.Count(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBulkSQSBatch: in one SQS batch, a malformed message fails alone;
// the two good ones around it do their work.
func TestBulkSQSBatch(t *testing.T) {
	w := newWorld(t)
	ids := w.createMany(t, 30)
	j, err := w.svc.Start(context.Background(), w.caller, map[string]any{"ids": ids[:28]})
	if err != nil {
		t.Fatal(err)
	}
	good := w.queue.take()
	if len(good) != 2 {
		t.Fatalf("%d batches queued, want 2", len(good))
	}
	bad := events.SQSMessage{MessageId: "bad-1", Body: `{"workspace":"acme","jobId":`}
	handle := lambdaevents.Batch(slog.New(slog.NewTextHandler(io.Discard, nil)), lambdaevents.Bulk{Worker: w.worker}.Handle)
	resp, err := handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{good[0], bad, good[1]}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "bad-1" {
		t.Fatalf("failures %+v, want only bad-1", resp.BatchItemFailures)
	}
	j, err = w.jobs.Store.Get(context.Background(), "acme", j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != jobs.Succeeded || j.Counts["deleted"] != 28 || j.Processed != 28 {
		t.Errorf("job %+v", j)
	}
	if n := w.count(t); n != 2 {
		t.Errorf("%d contacts left, want 2", n)
	}
	// The good messages again (SQS redelivers the whole batch when the
	// function fails): nothing more.
	resp, _ = handle(context.Background(), events.SQSEvent{Records: good})
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("redelivery failed: %+v", resp.BatchItemFailures)
	}
	if again, _ := w.jobs.Store.Get(context.Background(), "acme", j.ID); again.Counts["deleted"] != 28 || again.Version != j.Version {
		t.Errorf("redelivery changed the job: %+v", again)
	}
}

// TestBulkExpandContinued: an expansion that reaches its deadline queues
// its continuation, which another invocation takes at once.
func TestBulkExpandContinued(t *testing.T) {
	w := newWorld(t)
	w.createMany(t, 5)
	j, err := w.svc.Start(context.Background(), w.caller, map[string]any{"all": true, "confirmCount": json.Number("5")})
	if err != nil {
		t.Fatal(err)
	}
	// The first invocation has less than its 30 s reserve left.
	short, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first := w.queue.take()
	if len(first) != 1 {
		t.Fatalf("queued %d messages, want the expansion", len(first))
	}
	if got, err := (lambdaevents.Bulk{Worker: w.worker}).Handle(short, first[0]); err != nil || got != "continued" {
		t.Fatalf("first run: %q %v", got, err)
	}
	for round := 0; round < 10; round++ {
		msgs := w.queue.take()
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			if _, err := (lambdaevents.Bulk{Worker: w.worker}).Handle(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	j, err = w.jobs.Store.Get(context.Background(), "acme", j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != jobs.Succeeded || j.Counts["deleted"] != 5 {
		t.Errorf("job %s %v, want succeeded with 5 deleted", j.Status, j.Counts)
	}
	if n := w.count(t); n != 0 {
		t.Errorf("%d contacts left", n)
	}
}

// drain runs every queued message until none is left.
func (w *world) drain(t *testing.T) {
	t.Helper()
	for round := 0; round < 50; round++ {
		msgs := w.queue.take()
		if len(msgs) == 0 {
			return
		}
		for i, sqs := range msgs {
			var m bulk.Message
			if err := json.Unmarshal([]byte(sqs.Body), &m); err != nil {
				t.Fatal(err)
			}
			if _, err := w.worker.Handle(context.Background(), m, fmt.Sprintf("r-%d-%d", round, i), time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Fatal("the bulk delete never ran out of messages")
}

// TestBulkDeletePermissions: who may bulk delete is the workspace's choice
// (owners only by default), checked before anything else, and the batches
// do not ask the delete permission again (a manager refused single
// deletes bulk deletes when allowed to). An agent allowed to, in a
// wallet-bound workspace, deletes only its own contacts: another wallet's
// are counted not found and stay.
func TestBulkDeletePermissions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	agent := tenant.Caller{Workspace: "acme", Subject: "agent-1", Role: tenant.Agent}
	manager := tenant.Caller{Workspace: "acme", Subject: "manager-1", Role: tenant.Manager}
	set := func(doc map[string]any) {
		t.Helper()
		if _, err := w.people.SetSettings(ctx, w.caller, 0, doc); err != nil {
			t.Fatal(err)
		}
	}
	ids := w.createMany(t, 2)
	for _, tc := range []struct {
		name    string
		perms   map[string]any
		caller  tenant.Caller
		allowed bool
	}{
		{"default, owner", nil, w.caller, true},
		{"default, manager", nil, manager, false},
		{"default, agent", nil, agent, false},
		{"managers, manager", map[string]any{"bulkDelete": []any{"manager"}}, manager, true},
		{"managers, agent", map[string]any{"bulkDelete": []any{"manager"}}, agent, false},
		{"agents, agent", map[string]any{"bulkDelete": []any{"agent"}}, agent, true},
	} {
		if tc.perms != nil {
			set(map[string]any{"permissions": tc.perms})
		}
		_, err := w.svc.Start(ctx, tc.caller, map[string]any{"ids": []any{"01jdx0000000000000000000zz"}})
		if allowed := err == nil; allowed != tc.allowed || (err != nil && errs.KindOf(err) != errs.Forbidden) {
			t.Errorf("%s: %v, want allowed %v", tc.name, err, tc.allowed)
		}
	}
	w.drain(t)

	set(map[string]any{"permissions": map[string]any{"delete": []any{}, "bulkDelete": []any{"manager"}}})
	j, err := w.svc.Start(ctx, manager, map[string]any{"ids": ids[:1]})
	if err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	if j, _ = w.jobs.Store.Get(ctx, "acme", j.ID); j.Status != jobs.Succeeded || j.Counts["deleted"] != 1 {
		t.Errorf("a manager's bulk delete where managers may not delete one: %+v", j)
	}

	mine, _, err := w.people.Create(ctx, w.caller, contact.CreateRequest{Document: map[string]any{"name": "Ana", "email": "ana@exemplo.com", "ownerId": "agent-1"}})
	if err != nil {
		t.Fatal(err)
	}
	set(map[string]any{"agentWalletOnly": true, "permissions": map[string]any{"bulkDelete": []any{"agent"}}})
	j, err = w.svc.Start(ctx, agent, map[string]any{"ids": []any{mine.ID, ids[1]}})
	if err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	if j, _ = w.jobs.Store.Get(ctx, "acme", j.ID); j.Status != jobs.Succeeded || j.Counts["deleted"] != 1 || j.Counts["notFound"] != 1 {
		t.Errorf("a wallet-bound agent's bulk delete: %+v", j)
	}
	if _, err := w.people.Get(ctx, w.caller, ids[1].(string)); err != nil {
		t.Errorf("another wallet's contact: %v, want it kept", err)
	}
	if _, err := w.people.Get(ctx, w.caller, mine.ID); !contact.IsNotFound(err) {
		t.Errorf("the agent's own contact: %v, want deleted", err)
	}
	// "all" is confirmed against the workspace's count: not for a wallet.
	_, err = w.svc.Start(ctx, agent, map[string]any{"all": true, "confirmCount": float64(w.count(t))})
	if e := errs.As(err); e == nil || e.Kind != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Code != "all_outside_wallet" {
		t.Errorf("a wallet-bound agent's bulk delete of all: %v, want 422 all_outside_wallet", err)
	}
}
