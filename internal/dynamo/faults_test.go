package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/merge"
	"github.com/omnichannel/contacts/internal/tag"
	"github.com/omnichannel/contacts/internal/tenant"
)

// faultWorld is a table whose client meets injected faults.
type faultWorld struct {
	faults *dynamotest.Faults
	client *dynamodb.Client // with faults
	plain  *dynamodb.Client // without, to count items
	table  string
	people *contact.Service
	caller tenant.Caller
}

func newFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	plain, table := dynamotest.NewTable(t)
	faults := dynamotest.NewFaults()
	client := dynamodb.New(plain.Options(), dynamotest.WithFaults(faults))
	people := &contact.Service{Contacts: &dynamo.Contacts{Client: client, Table: table}, Workspaces: &dynamo.Workspaces{Client: client, Table: table}}
	return &faultWorld{faults: faults, client: client, plain: plain, table: table, people: people,
		caller: tenant.Caller{Workspace: "acme", Subject: "user-1", Role: tenant.Owner}}
}

// items counts the table's items but the family counts (a test-only Scan,
// without faults).
func (w *faultWorld) items(t *testing.T) int {
	t.Helper()
	out, err := w.plain.Scan(context.Background(), dynamotest.WithoutCounts(&dynamodb.ScanInput{TableName: &w.table, Select: types.SelectCount, ConsistentRead: aws.Bool(true)}))
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

func (w *faultWorld) create(t *testing.T, i int) (*contact.Contact, error) {
	t.Helper()
	c, _, err := w.people.Create(context.Background(), w.caller, contact.CreateRequest{Document: map[string]any{
		"name": fmt.Sprintf("Pessoa %d", i), "phone": fmt.Sprintf("+5511999%06d", i), "email": fmt.Sprintf("p%d@example.com", i),
	}})
	return c, err
}

// TestFaultsOnCreate: a create throttled twice goes through (the SDK
// retries); one that fails on every attempt fails cleanly, with nothing
// written, and can be retried.
func TestFaultsOnCreate(t *testing.T) {
	w := newFaultWorld(t)
	w.faults.Fail("TransactWriteItems", "ThrottlingException", "ProvisionedThroughputExceededException")
	if _, err := w.create(t, 1); err != nil {
		t.Fatalf("create after 2 throttles: %v", err)
	}
	one := w.items(t)
	w.faults.Fail("TransactWriteItems", "ThrottlingException", "ThrottlingException", "ThrottlingException", "ThrottlingException", "ThrottlingException")
	_, err := w.create(t, 2)
	if err == nil || errs.KindOf(err) != errs.Internal {
		t.Fatalf("create throttled on every attempt: %v, want an internal (retryable) error", err)
	}
	if got := w.items(t); got != one {
		t.Fatalf("a failed create left %d items", got-one)
	}
	w.faults.Clear()
	if _, err := w.create(t, 2); err != nil {
		t.Fatalf("retried create: %v", err)
	}
	if got := w.items(t); got != 2*one {
		t.Errorf("items after two creates = %d, want %d", got, 2*one)
	}
}

// TestFaultsOnUpdate: transaction conflicts are retried up to the bound,
// then a 409; the contact is intact either way.
func TestFaultsOnUpdate(t *testing.T) {
	w := newFaultWorld(t)
	c, err := w.create(t, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conflict := func(n int) {
		for i := 0; i < n; i++ {
			w.faults.Fail("TransactWriteItems", dynamotest.TransactionConflict) // the repository retries these
		}
	}
	conflict(2)
	got, err := w.people.Update(ctx, w.caller, c.ID, 0, map[string]any{"company": "ACME"})
	if err != nil || got.Company != "ACME" {
		t.Fatalf("update after 2 conflicts: %v %v", got, err)
	}
	conflict(20)
	_, err = w.people.Update(ctx, w.caller, c.ID, 0, map[string]any{"company": "Globex"})
	if errs.KindOf(err) != errs.Conflict && errs.KindOf(err) != errs.Internal {
		t.Fatalf("update under constant conflicts: %v, want a conflict or retryable error", err)
	}
	w.faults.Clear()
	cur, err := w.people.Get(ctx, w.caller, c.ID)
	if err != nil || cur.Company != "ACME" || cur.Version != got.Version {
		t.Errorf("contact after the failed update = %+v %v, want as before", cur, err)
	}
}

// TestFaultsUnprocessedItems: a bulk delete of a contact owning more than
// a transaction holds, and an import's failed rows (stored, then deleted), go through
// BatchWriteItem answering half its items unprocessed: nothing is dropped.
func TestFaultsUnprocessedItems(t *testing.T) {
	w := newFaultWorld(t)
	ctx := context.Background()
	c, err := w.create(t, 1)
	if err != nil {
		t.Fatal(err)
	}
	base := w.items(t)
	for i := 0; i < 120; i++ {
		if _, err := w.people.AddNote(ctx, w.caller, &dynamo.Contacts{Client: w.client, Table: w.table}, c.ID, map[string]any{"text": fmt.Sprint("nota ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	w.faults.Unprocessed(100)
	if err := w.people.Delete(ctx, w.caller, c.ID, 0); err != nil {
		t.Fatalf("delete with unprocessed items: %v", err)
	}
	if got := w.items(t); got != base-12-3-4-1 && got != 0 {
		// The contact, its lookups, index entries and counters are gone too.
		t.Logf("items left: %d", got)
	}
	if got := w.items(t); got != 0 {
		t.Errorf("%d items left after deleting the only contact", got)
	}
	failures := &dynamo.ImportFailures{Client: w.client, Table: w.table}
	var rows []importer.Failure
	for i := 1; i <= 60; i++ {
		rows = append(rows, importer.Failure{Line: i, Cells: []string{"x"}, Reasons: []string{"phone: invalid"}})
	}
	w.faults.Unprocessed(100)
	if err := failures.Add(ctx, "acme", "01jdx8k2m4n6p8r0s2t4v6w8y0", rows); err != nil {
		t.Fatal(err)
	}
	var lines []int
	err = failures.Each(ctx, "acme", "01jdx8k2m4n6p8r0s2t4v6w8y0", func(f importer.Failure) error {
		lines = append(lines, f.Line)
		return nil
	})
	if err != nil || len(lines) != 60 || lines[0] != 1 || lines[59] != 60 {
		t.Errorf("failed rows stored = %d (%v), want 60 in line order", len(lines), err)
	}
	w.faults.Unprocessed(100)
	if err := failures.Delete(ctx, "acme", "01jdx8k2m4n6p8r0s2t4v6w8y0"); err != nil {
		t.Fatal(err)
	}
	if got := w.items(t); got != 0 {
		t.Errorf("%d items left after deleting the failed rows", got)
	}
}

// TestFaultsOnMergeAndTags: a merge or a tag whose transaction fails
// (server errors on every attempt) leaves every item as it was.
func TestFaultsOnMergeAndTags(t *testing.T) {
	w := newFaultWorld(t)
	ctx := context.Background()
	a, err := w.create(t, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := w.people.Create(ctx, w.caller, contact.CreateRequest{Document: map[string]any{"name": "Outra", "phone": "+5511999000001"}})
	if err != nil {
		t.Fatal(err)
	}
	before := w.items(t)
	tags := &tag.Service{Tags: &dynamo.Tags{Client: w.client, Table: w.table}, Contacts: w.people.Contacts, People: w.people}
	w.faults.Fail("TransactWriteItems", "InternalServerError", "InternalServerError", "InternalServerError", "InternalServerError")
	if _, err := tags.Assign(ctx, w.caller, a.ID, []any{"VIP"}); err == nil {
		t.Fatal("tagging under server errors succeeded")
	}
	w.faults.Clear()
	tagged := w.items(t) // the new tag itself may exist; the contact is unchanged
	if c, _ := w.people.Get(ctx, w.caller, a.ID); len(c.TagIDs) != 0 {
		t.Errorf("contact tagged by a failed write: %v", c.TagIDs)
	}
	merges := &merge.Service{People: w.people, Store: &dynamo.Merges{Client: w.client, Table: w.table}}
	w.faults.Fail("TransactWriteItems", "InternalServerError", "InternalServerError", "InternalServerError", "InternalServerError")
	if _, err := merges.Merge(ctx, w.caller, a.ID, map[string]any{"sourceIds": []any{b.ID}}); err == nil {
		t.Fatal("merge under server errors succeeded")
	}
	w.faults.Clear()
	if got := w.items(t); got != tagged {
		t.Errorf("a failed merge changed the item count: %d, want %d", got, tagged)
	}
	if _, err := merges.Merge(ctx, w.caller, a.ID, map[string]any{"sourceIds": []any{b.ID}}); err != nil {
		t.Fatalf("merge retried: %v", err)
	}
	_ = before
}

// TestFaultsOnInbound: a throttled inbound message fails retryably and,
// retried, creates one contact and one conversation.
func TestFaultsOnInbound(t *testing.T) {
	w := newFaultWorld(t)
	ctx := context.Background()
	talk := &conversation.Service{People: w.people, Store: &dynamo.Conversations{Client: w.client, Table: w.table}}
	msg := conversation.Message{Type: "message.received", Workspace: "acme", Channel: "whatsapp", MessageID: "m-1",
		From: conversation.From{Phone: "5511977776666", Name: "João"}, At: time.Now()}
	w.faults.Fail("TransactWriteItems", "ThrottlingException", "ThrottlingException", "ThrottlingException", "ThrottlingException", "ThrottlingException", "ThrottlingException", "ThrottlingException", "ThrottlingException")
	if _, err := talk.Receive(ctx, msg); err == nil {
		t.Fatal("receive under constant throttling succeeded")
	}
	w.faults.Clear()
	r, err := talk.Receive(ctx, msg)
	if err != nil || r.Outcome != conversation.Delivered {
		t.Fatalf("retried receive: %+v %v", r, err)
	}
	again, err := talk.Receive(ctx, msg)
	if err != nil || again.Outcome != conversation.Duplicate {
		t.Fatalf("redelivered: %+v %v", again, err)
	}
	page, err := talk.Store.Conversations(ctx, "acme", r.ContactID, "", "", 10, "")
	if err != nil || len(page.Conversations) != 1 || page.Conversations[0].Messages != 1 {
		t.Errorf("conversations = %+v %v, want one with one message", page.Conversations, err)
	}
}
