package merge

import (
	"errors"
	"slices"
	"testing"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
)

func TestRestore(t *testing.T) {
	before := &contact.Contact{ID: "t", Profile: contact.Profile{Name: "Maria", Phone: "+5511999991234"}, TagIDs: []string{"a"}, Version: 3}
	after := &contact.Contact{ID: "t", Profile: contact.Profile{Name: "Maria", Phone: "+5511999991234", Email: "m@x.co", Company: "Acme"},
		TagIDs: []string{"a", "b"}, Merges: []string{"m1"}, Version: 4}
	rec := Record{ID: "m1", Fields: []string{"company", "email", "tags"}}
	later := func(edit func(c *contact.Contact)) *contact.Contact {
		c := after.Clone()
		c.Version = 6
		edit(c)
		return c
	}

	t.Run("untouched since: exactly as before", func(t *testing.T) {
		got, exact, err := Restore(rec, before, after, after.Clone())
		if err != nil || !exact || got != before {
			t.Fatalf("Restore = %+v, %v, %v; want before, exact", got, exact, err)
		}
	})
	t.Run("other fields changed since: they stay", func(t *testing.T) {
		cur := later(func(c *contact.Contact) {
			c.Language = "pt-BR"
			c.TagIDs = append(c.TagIDs, "c")
			c.Merges = append(c.Merges, "m2")
		})
		got, exact, err := Restore(rec, before, after, cur)
		if err != nil || exact {
			t.Fatalf("Restore: exact %v, err %v", exact, err)
		}
		if got.Email != "" || got.Company != "" || got.Language != "pt-BR" || got.Name != "Maria" {
			t.Errorf("profile = %+v, want email and company undone, language kept", got.Profile)
		}
		if want := []string{"a", "c"}; !slices.Equal(got.TagIDs, want) {
			t.Errorf("tags = %v, want %v (the merge's tag removed, the later one kept)", got.TagIDs, want)
		}
		if want := []string{"m2"}; !slices.Equal(got.Merges, want) || got.Version != 7 {
			t.Errorf("merges %v, version %d; want %v, 7", got.Merges, got.Version, want)
		}
	})
	t.Run("a merged field changed since: conflict", func(t *testing.T) {
		_, _, err := Restore(rec, before, after, later(func(c *contact.Contact) { c.Company = "Acme Ltda" }))
		if !errors.Is(err, ErrUndoConflict) || errs.As(err).Params["fields"] != "company" {
			t.Fatalf("Restore err = %v, want %v naming company", err, ErrUndoConflict)
		}
	})
}
