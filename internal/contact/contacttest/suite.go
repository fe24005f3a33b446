// Package contacttest is the test suite every contact.Repository must pass.
package contacttest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
)

// Run runs the suite against repositories made by newRepo; each test gets
// a fresh one.
func Run(t *testing.T, newRepo func(t *testing.T) contact.Repository) {
	tests := []struct {
		name string
		fn   func(t *testing.T, repo contact.Repository)
	}{
		{"CreateThenGet", testCreateThenGet},
		{"GetMissing", testGetMissing},
		{"OtherWorkspaceSeesNothing", testOtherWorkspaceSeesNothing},
		{"Update", testUpdate},
		{"UpdateStaleVersion", testUpdateStaleVersion},
		{"UpdateFnErrorWritesNothing", testUpdateFnError},
		{"UpdateWithoutChangeKeepsVersion", testUpdateWithoutChange},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdates},
		{"ConcurrentUpdatesSameVersionOneWins", testConcurrentSameVersion},
		{"Delete", testDelete},
		{"DeleteStaleVersion", testDeleteStaleVersion},
		{"Idempotency", testIdempotency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newRepo(t))
		})
	}
}

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// NewContact returns a valid contact of workspace ws, not yet stored.
func NewContact(ws string) *contact.Contact {
	return &contact.Contact{
		Workspace: ws, ID: ids.New(time.Now()),
		Profile: contact.Profile{
			Name: "Maria Silva", FirstName: "Maria", LastName: "Silva", Kind: contact.Person,
			Phone: "+5511987654321", Email: "Maria@Example.com", Country: "BR",
			CustomFields: map[string]any{"seats": 1.0},
		},
		TagIDs:    []string{"01jdx00000000000000000tag1"},
		CreatedAt: now, CreatedBy: "user-1", UpdatedAt: now, UpdatedBy: "user-1", Version: 1,
	}
}

func mustCreate(t *testing.T, repo contact.Repository, ws string) *contact.Contact {
	t.Helper()
	c := NewContact(ws)
	if err := repo.Create(context.Background(), c, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return c
}

func mustGet(t *testing.T, repo contact.Repository, ws, id string) *contact.Contact {
	t.Helper()
	c, err := repo.Get(context.Background(), ws, id)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", ws, id, err)
	}
	return c
}

func wantKind(t *testing.T, err error, kind errs.Kind) {
	t.Helper()
	if got := errs.KindOf(err); err == nil || got != kind {
		t.Fatalf("error = %v (kind %q), want kind %q", err, got, kind)
	}
}

func testCreateThenGet(t *testing.T, repo contact.Repository) {
	c := mustCreate(t, repo, "ws-a")
	got := mustGet(t, repo, "ws-a", c.ID)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("Get() =\n %+v\nwant\n %+v", got, c)
	}
}

func testGetMissing(t *testing.T, repo contact.Repository) {
	_, err := repo.Get(context.Background(), "ws-a", ids.New(now))
	wantKind(t, err, errs.NotFound)
}

func testOtherWorkspaceSeesNothing(t *testing.T, repo contact.Repository) {
	ctx := context.Background()
	c := mustCreate(t, repo, "ws-a")
	_, err := repo.Get(ctx, "ws-b", c.ID)
	wantKind(t, err, errs.NotFound)
	_, err = repo.Update(ctx, "ws-b", c.ID, 0, func(c *contact.Contact) error { c.Name = "stolen"; return nil })
	wantKind(t, err, errs.NotFound)
	wantKind(t, repo.Delete(ctx, "ws-b", c.ID, 0, "u1"), errs.NotFound)
	if got := mustGet(t, repo, "ws-a", c.ID); !reflect.DeepEqual(got, c) {
		t.Errorf("contact changed by another workspace: %+v", got)
	}
}

func testUpdate(t *testing.T, repo contact.Repository) {
	c := mustCreate(t, repo, "ws-a")
	updated, err := repo.Update(context.Background(), "ws-a", c.ID, 1, func(c *contact.Contact) error {
		c.Phone = "+5521999998888"
		c.Email = ""
		c.UpdatedBy = "user-2"
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got, want := updated.Version, 2; got != want {
		t.Errorf("version = %d, want %d", got, want)
	}
	got := mustGet(t, repo, "ws-a", c.ID)
	if got.Phone != "+5521999998888" || got.Email != "" || got.Version != 2 || got.UpdatedBy != "user-2" {
		t.Errorf("stored contact = %+v, want the update", got)
	}
}

func testUpdateStaleVersion(t *testing.T, repo contact.Repository) {
	c := mustCreate(t, repo, "ws-a")
	_, err := repo.Update(context.Background(), "ws-a", c.ID, 7, func(c *contact.Contact) error { c.Name = "x"; return nil })
	wantKind(t, err, errs.Precondition)
	if got := mustGet(t, repo, "ws-a", c.ID); !reflect.DeepEqual(got, c) {
		t.Errorf("a stale update wrote: %+v", got)
	}
}

func testUpdateFnError(t *testing.T, repo contact.Repository) {
	c := mustCreate(t, repo, "ws-a")
	boom := errors.New("boom")
	_, err := repo.Update(context.Background(), "ws-a", c.ID, 0, func(c *contact.Contact) error { c.Name = "x"; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want %v", err, boom)
	}
	if got := mustGet(t, repo, "ws-a", c.ID); !reflect.DeepEqual(got, c) {
		t.Errorf("a failed update wrote: %+v", got)
	}
}

func testUpdateWithoutChange(t *testing.T, repo contact.Repository) {
	c := mustCreate(t, repo, "ws-a")
	got, err := repo.Update(context.Background(), "ws-a", c.ID, 1, func(*contact.Contact) error { return nil })
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got.Version != 1 {
		t.Errorf("version = %d after an empty update, want 1", got.Version)
	}
}

// testConcurrentUpdates increments a counter from many goroutines: every
// update that reports success must be counted, none lost.
func testConcurrentUpdates(t *testing.T, repo contact.Repository) {
	c := mustCreate(t, repo, "ws-a")
	const workers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	succeeded := 0
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := repo.Update(context.Background(), "ws-a", c.ID, 0, func(c *contact.Contact) error {
				c.CustomFields["seats"] = c.CustomFields["seats"].(float64) + 1
				return nil
			})
			if err != nil && !errs.Is(err, errs.Conflict) {
				t.Errorf("Update: %v", err)
				return
			}
			if err == nil {
				mu.Lock()
				succeeded++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got := mustGet(t, repo, "ws-a", c.ID)
	if want := float64(1 + succeeded); got.CustomFields["seats"] != want {
		t.Errorf("counter = %v after %d successful increments, want %v", got.CustomFields["seats"], succeeded, want)
	}
	if got.Version != 1+succeeded {
		t.Errorf("version = %d, want %d", got.Version, 1+succeeded)
	}
	if succeeded < workers/2 {
		t.Errorf("only %d of %d concurrent updates succeeded", succeeded, workers)
	}
}

func testConcurrentSameVersion(t *testing.T, repo contact.Repository) {
	c := mustCreate(t, repo, "ws-a")
	const workers = 4
	results := make(chan error, workers)
	for i := 0; i < workers; i++ {
		go func() {
			_, err := repo.Update(context.Background(), "ws-a", c.ID, 1, func(c *contact.Contact) error {
				c.Name = fmt.Sprintf("writer %d", i)
				return nil
			})
			results <- err
		}()
	}
	wins := 0
	for i := 0; i < workers; i++ {
		err := <-results
		switch {
		case err == nil:
			wins++
		case errs.Is(err, errs.Precondition):
		default:
			t.Errorf("Update: %v, want nil or a precondition failure", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d updates of version 1 won, want exactly 1", wins)
	}
}

func testDelete(t *testing.T, repo contact.Repository) {
	ctx := context.Background()
	c := mustCreate(t, repo, "ws-a")
	if err := repo.Delete(ctx, "ws-a", c.ID, 1, "u1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := repo.Get(ctx, "ws-a", c.ID)
	wantKind(t, err, errs.NotFound)
	wantKind(t, repo.Delete(ctx, "ws-a", c.ID, 0, "u1"), errs.NotFound)
}

func testDeleteStaleVersion(t *testing.T, repo contact.Repository) {
	c := mustCreate(t, repo, "ws-a")
	wantKind(t, repo.Delete(context.Background(), "ws-a", c.ID, 2, "u1"), errs.Precondition)
	mustGet(t, repo, "ws-a", c.ID)
}

func testIdempotency(t *testing.T, repo contact.Repository) {
	ctx := context.Background()
	c := NewContact("ws-a")
	rec := &contact.IdempotencyRecord{Key: "key-1", Fingerprint: "f1", Contact: c, ExpiresAt: time.Now().Add(time.Hour)}
	if err := repo.Create(ctx, c, rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	got, err := repo.Idempotency(ctx, "ws-a", "key-1")
	if err != nil || got == nil {
		t.Fatalf("Idempotency() = %v, %v; want the record", got, err)
	}
	if got.Fingerprint != "f1" || !reflect.DeepEqual(got.Contact, c) {
		t.Errorf("Idempotency() = %+v, want fingerprint f1 and the contact", got)
	}
	if other, _ := repo.Idempotency(ctx, "ws-b", "key-1"); other != nil {
		t.Errorf("another workspace sees the record: %+v", other)
	}
	twin := NewContact("ws-a")
	err = repo.Create(ctx, twin, &contact.IdempotencyRecord{Key: "key-1", Fingerprint: "f1", Contact: twin, ExpiresAt: time.Now().Add(time.Hour)})
	wantKind(t, err, errs.Conflict)
	_, err = repo.Get(ctx, "ws-a", twin.ID)
	wantKind(t, err, errs.NotFound)
}
