package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/merge"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/tenant"
)

// mergeWorld is a table with a target and a source contact that own
// timelines, conversations (both open on WhatsApp), channel connections
// and a webchat visitor id.
type mergeWorld struct {
	client         *dynamodb.Client
	table          string
	people         *contact.Service
	talk           *conversation.Service
	store          *dynamo.Merges
	merges         *merge.Service
	caller         tenant.Caller
	target, source string
}

func newMergeWorld(t *testing.T, notes int) *mergeWorld {
	t.Helper()
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	contacts := &dynamo.Contacts{Client: client, Table: table}
	people := &contact.Service{Contacts: contacts, Workspaces: &dynamo.Workspaces{Client: client, Table: table}}
	talk := &conversation.Service{People: people, Store: &dynamo.Conversations{Client: client, Table: table}, Outbound: nopOutbound{}}
	store := &dynamo.Merges{Client: client, Table: table}
	w := &mergeWorld{client: client, table: table, people: people, talk: talk, store: store,
		merges: &merge.Service{People: people, Store: store}, caller: tenant.Caller{Workspace: "acme", Subject: "user-1", Role: tenant.Owner}}
	receive := func(channel, id string, from conversation.From) {
		t.Helper()
		if _, err := talk.Receive(ctx, conversation.Message{Type: "message.received", Workspace: "acme", Channel: channel, MessageID: id, From: from, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	// The target: an old contact with an email, on WhatsApp.
	tc, _, err := people.Create(ctx, w.caller, contact.CreateRequest{Document: map[string]any{"name": "Maria Silva", "email": "maria@example.com", "company": "ACME"}})
	if err != nil {
		t.Fatal(err)
	}
	w.target = tc.ID
	if _, err := people.Update(ctx, w.caller, w.target, 0, map[string]any{"phone": "+5511999990001"}); err != nil {
		t.Fatal(err)
	}
	receive("whatsapp", "t-1", conversation.From{Phone: "+5511999990001"})
	// The source: the same person by another number, created by WhatsApp
	// and a webchat visit, with notes.
	receive("whatsapp", "s-1", conversation.From{Phone: "5511988887777", Name: "Maria S."})
	found, err := talk.Store.FindContacts(ctx, "acme", "whatsapp", conversation.Sender{Phone: "+5511988887777"}, 1)
	if err != nil || len(found) == 0 {
		t.Fatalf("source contact: %q %v", found, err)
	}
	w.source = found[0]
	if _, err := people.Update(ctx, w.caller, w.source, 0, map[string]any{"taxId": "529.982.247-25", "birthDate": "1985-04-03"}); err != nil {
		t.Fatal(err)
	}
	if _, err := talk.Start(ctx, w.caller, map[string]any{"contactId": w.source, "channel": "sms", "teamId": "vendas"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < notes; i++ {
		if _, err := people.AddNote(ctx, w.caller, contacts, w.source, map[string]any{"text": fmt.Sprintf("nota %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// items returns every item of the table but the merge records, as text,
// sorted: two calls compare the whole table.
func (w *mergeWorld) items(t *testing.T) []string {
	t.Helper()
	return dynamotest.Items(t, w.client, w.table, func(it map[string]types.AttributeValue) bool {
		return !strings.HasSuffix(it["PK"].(*types.AttributeValueMemberS).Value, "#MERGES") && dynamotest.NotCount(it)
	})
}

func sameItems(t *testing.T, what string, got, want []string) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	gotSet, wantSet := map[string]bool{}, map[string]bool{}
	for _, s := range got {
		gotSet[s] = true
	}
	for _, s := range want {
		wantSet[s] = true
	}
	for _, s := range want {
		if !gotSet[s] {
			t.Errorf("%s: missing %s", what, s)
		}
	}
	for _, s := range got {
		if !wantSet[s] {
			t.Errorf("%s: extra %s", what, s)
		}
	}
	t.Fatalf("%s: %d items, want %d", what, len(got), len(want))
}

// checkMerged checks the state after a merge: the source is a tombstone
// pointing to the target, which has its fields, conversations and timeline.
func (w *mergeWorld) checkMerged(t *testing.T, notes int) {
	t.Helper()
	ctx := context.Background()
	_, err := w.people.Get(ctx, w.caller, w.source)
	if e := errs.As(err); err == nil || e.Code != "contact_merged" || e.Params["mergedInto"] != w.target {
		t.Fatalf("get source after merge: %v, want contact_merged into %s", err, w.target)
	}
	c, err := w.people.Get(ctx, w.caller, w.target)
	if err != nil {
		t.Fatal(err)
	}
	if c.TaxID != "52998224725" || c.Phone != "+5511999990001" || c.Company != "ACME" || c.MergeLock != "" {
		t.Errorf("target after merge: taxId %q phone %q company %q lock %q", c.TaxID, c.Phone, c.Company, c.MergeLock)
	}
	page, err := w.talk.Conversations(ctx, w.caller, w.target, "", "", 50)
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, conv := range page.Conversations {
		if conv.Status == conversation.Open {
			open++
		}
	}
	if len(page.Conversations) != 3 || open != 2 {
		t.Errorf("target conversations = %d (%d open), want 3 (2 open: the source's WhatsApp one closed)", len(page.Conversations), open)
	}
	tl, err := w.people.Timeline(ctx, w.caller, &dynamo.Contacts{Client: w.client, Table: w.table}, w.target, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	notesSeen := 0
	for _, e := range tl.Entries {
		if e.Event == "note" {
			notesSeen++
		}
	}
	if notesSeen != notes || tl.Entries[0].Event != "merged" {
		t.Errorf("target timeline: %d notes (want %d), newest %q (want merged)", notesSeen, notes, tl.Entries[0].Event)
	}
	found, err := w.talk.Store.FindContacts(ctx, "acme", "whatsapp", conversation.Sender{Phone: "+5511988887777"}, 1)
	if err != nil || len(found) != 1 || found[0] != w.target {
		t.Errorf("the source's number finds %q (%v), want the target %s (the merge keeps it as an other phone)", found, err, w.target)
	}
	if got, want := c.OtherPhones, []string{"+5511988887777"}; !slices.Equal(got, want) {
		t.Errorf("target otherPhones = %q, want %q", got, want)
	}
}

func TestMergeAndUndo(t *testing.T) {
	w := newMergeWorld(t, 3)
	ctx := context.Background()
	before := w.items(t)
	rec, err := w.merges.Merge(ctx, w.caller, w.target, map[string]any{"sourceIds": []any{w.source}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Steps || rec.Status != merge.Applied {
		t.Errorf("record = %+v, want applied in one transaction", rec)
	}
	w.checkMerged(t, 3)
	if _, err := w.merges.Undo(ctx, w.caller, rec.ID); err != nil {
		t.Fatal(err)
	}
	sameItems(t, "after undo", w.items(t), before)
	w.checkNoSnapshots(t, rec.ID)
	if _, err := w.merges.Undo(ctx, w.caller, rec.ID); errs.As(err).Code != "merge_already_undone" {
		t.Errorf("second undo: %v, want merge_already_undone", err)
	}
}

// TestUndoAfterTargetEdit: a later edit of a field the merge did not set
// is kept by the undo; one of a field it set makes the undo a 409.
func TestUndoAfterTargetEdit(t *testing.T) {
	w := newMergeWorld(t, 1)
	ctx := context.Background()
	rec, err := w.merges.Merge(ctx, w.caller, w.target, map[string]any{"sourceIds": []any{w.source}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.people.Update(ctx, w.caller, w.target, 0, map[string]any{"company": "ACME Ltda"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.merges.Undo(ctx, w.caller, rec.ID); err != nil {
		t.Fatal(err)
	}
	c, err := w.people.Get(ctx, w.caller, w.target)
	if err != nil {
		t.Fatal(err)
	}
	if c.Company != "ACME Ltda" || c.TaxID != "" {
		t.Errorf("target after undo: company %q (want the later edit kept), taxId %q (want the merge's fill removed)", c.Company, c.TaxID)
	}
	if s, err := w.people.Get(ctx, w.caller, w.source); err != nil || s.TaxID != "52998224725" {
		t.Errorf("source after undo: %+v %v", s, err)
	}

	w2 := newMergeWorld(t, 1)
	rec, err = w2.merges.Merge(ctx, w2.caller, w2.target, map[string]any{"sourceIds": []any{w2.source}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w2.people.Update(ctx, w2.caller, w2.target, 0, map[string]any{"taxId": "11.222.333/0001-81"}); err != nil {
		t.Fatal(err)
	}
	_, err = w2.merges.Undo(ctx, w2.caller, rec.ID)
	if e := errs.As(err); e.Code != "merge_undo_conflict" || !strings.Contains(e.Params["fields"], "taxId") {
		t.Errorf("undo after editing a merged field: %v, want merge_undo_conflict naming taxId", err)
	}
}

// errCrash stands for a crash of the function between two steps.
var errCrash = errors.New("crash")

// TestLargeMergeCrashAtEachStep: a source with more items than one
// transaction holds merges in steps; a crash after any step leaves the
// merge finishable (Resume) and undoable (Undo), and the undo of a merge
// or of its undo, crashed at any step, puts back every item exactly.
func TestLargeMergeCrashAtEachStep(t *testing.T) {
	const notes = 120
	steps := []string{"locked", "copied", "unlisted", "applied"}
	for _, step := range steps {
		for _, then := range []string{"resume", "undo"} {
			t.Run(step+"/"+then, func(t *testing.T) {
				w := newMergeWorld(t, notes)
				ctx := context.Background()
				before := w.items(t)
				w.store.AfterStep = func(s string) error {
					if s == step {
						return errCrash
					}
					return nil
				}
				_, err := w.merges.Merge(ctx, w.caller, w.target, map[string]any{"sourceIds": []any{w.source}})
				if !errors.Is(err, errCrash) {
					t.Fatalf("merge: %v, want the crash", err)
				}
				w.store.AfterStep = nil
				list, _, err := w.store.Records(ctx, "acme", "", 1)
				if err != nil || len(list) != 1 || !list[0].Steps {
					t.Fatalf("records = %+v, %v; want the merge in steps", list, err)
				}
				id := list[0].ID
				if step != "applied" {
					// Locked: writes wait, and the half-copied items do not show.
					if _, err := w.people.Update(ctx, w.caller, w.target, 0, map[string]any{"company": "X"}); errs.As(err).Code != "contact_merging" {
						t.Errorf("update during the merge: %v, want contact_merging", err)
					}
					tl, err := w.people.Timeline(ctx, w.caller, &dynamo.Contacts{Client: w.client, Table: w.table}, w.target, "", 200)
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range tl.Entries {
						if e.Event == "note" {
							t.Fatalf("the target shows a note being moved before the merge applies")
						}
					}
					conv, err := w.talk.Conversations(ctx, w.caller, w.target, "", "", 50)
					if err != nil || len(conv.Conversations) != 1 {
						t.Errorf("target conversations during the merge = %d (%v), want its own 1", len(conv.Conversations), err)
					}
				}
				switch then {
				case "resume":
					if _, err := w.merges.Resume(ctx, w.caller, id); err != nil {
						t.Fatal(err)
					}
					w.checkMerged(t, notes)
					checkListCount(t, w.client, w.table)
					if _, err := w.merges.Undo(ctx, w.caller, id); err != nil {
						t.Fatal(err)
					}
				case "undo":
					if _, err := w.merges.Undo(ctx, w.caller, id); err != nil {
						t.Fatal(err)
					}
				}
				sameItems(t, "after undo", w.items(t), before)
				checkListCount(t, w.client, w.table)
				w.checkNoSnapshots(t, id)
			})
		}
	}
	for _, step := range []string{"undo:locked", "undo:restored", "undo:cleared", "undo:applied"} {
		t.Run(step, func(t *testing.T) {
			w := newMergeWorld(t, notes)
			ctx := context.Background()
			before := w.items(t)
			rec, err := w.merges.Merge(ctx, w.caller, w.target, map[string]any{"sourceIds": []any{w.source}})
			if err != nil {
				t.Fatal(err)
			}
			w.checkMerged(t, notes)
			w.store.AfterStep = func(s string) error {
				if s == step {
					return errCrash
				}
				return nil
			}
			if _, err := w.merges.Undo(ctx, w.caller, rec.ID); !errors.Is(err, errCrash) {
				t.Fatalf("undo: %v, want the crash", err)
			}
			w.store.AfterStep = nil
			if _, err := w.merges.Undo(ctx, w.caller, rec.ID); err != nil {
				t.Fatal(err)
			}
			sameItems(t, "after undo", w.items(t), before)
			w.checkNoSnapshots(t, rec.ID)
		})
	}
}

// TestMergeRace: two merges of the same source into different targets at
// once: one wins, the other gets 409, and no timeline entry is lost.
func TestMergeRace(t *testing.T) {
	w := newMergeWorld(t, 2)
	ctx := context.Background()
	other, _, err := w.people.Create(ctx, w.caller, contact.CreateRequest{Document: map[string]any{"name": "Outra", "email": "outra@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 2)
	for i, target := range []string{w.target, other.ID} {
		wg.Add(1)
		go func(i int, target string) {
			defer wg.Done()
			_, results[i] = w.merges.Merge(ctx, w.caller, target, map[string]any{"sourceIds": []any{w.source}})
		}(i, target)
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		switch {
		case err == nil:
			wins++
		case errs.KindOf(err) != errs.Conflict:
			t.Errorf("losing merge: %v, want a conflict", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d merges won (%v), want exactly 1", wins, results)
	}
	notes := 0
	for _, id := range []string{w.target, other.ID} {
		tl, err := w.people.Timeline(ctx, w.caller, &dynamo.Contacts{Client: w.client, Table: w.table}, id, "", 200)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range tl.Entries {
			if e.Event == "note" {
				notes++
			}
		}
	}
	if notes != 2 {
		t.Errorf("notes after the race = %d, want 2", notes)
	}
}

// checkListCount: the count of acme's list is the number of rows the list
// has, however the merge's steps were interrupted and resumed.
func checkListCount(t *testing.T, client *dynamodb.Client, table string) {
	t.Helper()
	idx := &dynamo.Search{Client: client, Table: table}
	n, err := idx.CountOf(context.Background(), search.Query{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	rows, _, _ := walk(t, idx, search.Query{Workspace: "acme", Limit: 100})
	if n != len(rows) {
		t.Errorf("the list's count is %d, the list has %d rows", n, len(rows))
	}
}

// TestMergeMovesExternalID: a source's externalId moves to a target
// without one, in one transaction and in steps, and the undo gives it back
// exactly (the guard item included).
func TestMergeMovesExternalID(t *testing.T) {
	for _, notes := range []int{1, 120} {
		t.Run(fmt.Sprintf("%d notes", notes), func(t *testing.T) {
			w := newMergeWorld(t, notes)
			ctx := context.Background()
			contacts := &dynamo.Contacts{Client: w.client, Table: w.table}
			if _, err := w.people.Update(ctx, w.caller, w.source, 0, map[string]any{"externalId": "erp-fonte"}); err != nil {
				t.Fatal(err)
			}
			before := w.items(t)
			rec, err := w.merges.Merge(ctx, w.caller, w.target, map[string]any{"sourceIds": []any{w.source}})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := rec.Steps, notes > 100; got != want {
				t.Errorf("merge in steps = %v, want %v", got, want)
			}
			c, err := w.people.Get(ctx, w.caller, w.target)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := c.ExternalID, "erp-fonte"; got != want {
				t.Errorf("target externalId = %q, want %q", got, want)
			}
			if got, err := contacts.ByExternalID(ctx, "acme", "erp-fonte"); err != nil || got != w.target {
				t.Errorf("holder of erp-fonte = %q, %v; want the target %s", got, err, w.target)
			}
			if _, err := w.merges.Undo(ctx, w.caller, rec.ID); err != nil {
				t.Fatal(err)
			}
			sameItems(t, "after undo", w.items(t), before)
			if got, err := contacts.ByExternalID(ctx, "acme", "erp-fonte"); err != nil || got != w.source {
				t.Errorf("holder of erp-fonte after undo = %q, %v; want the source %s", got, err, w.source)
			}
		})
	}
}
