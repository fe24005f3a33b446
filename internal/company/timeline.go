package company

import (
	"context"
	"slices"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/mergepatch"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Events of a company's timeline. created and updated are written in the
// company's own transaction; contact_added and contact_removed in the
// transaction of the contact whose companyId changes (a link, an unlink,
// a move: removed from one, added to the other, a merge, the unlinking of
// a company's delete); note by POST /v1/companies/{id}/notes.
const (
	EventCreated        = "created"
	EventUpdated        = "updated"
	EventContactAdded   = "contact_added"
	EventContactRemoved = "contact_removed"
	EventNote           = "note"
)

// TimelineStore reads and appends the entries of a company's timeline
// (contact.Entry, the type a contact's timeline has).
type TimelineStore interface {
	// Timeline returns up to limit entries of the company older than the
	// entry id before ("" for the newest), newest first; for a wallet (""
	// for none), leaving out the contact entries of contacts another owned
	// then. It does not check the company exists.
	Timeline(ctx context.Context, workspace, id, before string, limit int, wallet string) (contact.TimelinePage, error)
	// AddEntry appends e to the company's timeline on condition that the
	// company exists. Errors: NotFound.
	AddEntry(ctx context.Context, workspace, id string, e contact.Entry) error
}

// Timeline returns a page of the company's timeline, newest first. A
// wallet-bound agent reads only its companies' (Get), and of their
// contact_added and contact_removed entries those of the contacts in its
// wallet when they were written (the name of a contact it does not see is
// not shown). Errors: NotFound.
func (s *Service) Timeline(ctx context.Context, caller tenant.Caller, store TimelineStore, id, before string, limit int) (contact.TimelinePage, error) {
	if _, err := s.Get(ctx, caller, id); err != nil {
		return contact.TimelinePage{}, err
	}
	wallet, err := s.wallet(ctx, caller)
	if err != nil {
		return contact.TimelinePage{}, err
	}
	return store.Timeline(ctx, caller.Workspace, id, before, limit, wallet)
}

// AddNote appends a note {text} to the company's timeline, with the rules
// of a contact's notes (contact.NoteText). Errors: NotFound, Invalid.
func (s *Service) AddNote(ctx context.Context, caller tenant.Caller, store TimelineStore, id string, doc map[string]any) (contact.Entry, error) {
	text, err := contact.NoteText(doc)
	if err != nil {
		return contact.Entry{}, err
	}
	if _, err := s.Get(ctx, caller, id); err != nil {
		return contact.Entry{}, err
	}
	now := s.Clock.Now()
	e := contact.Entry{ID: ids.New(now), Event: EventNote, At: now, Actor: caller.Subject, Text: text}
	return e, store.AddEntry(ctx, caller.Workspace, id, e)
}

// ChangedFields names the members of the company's document (Fields: its
// tags and custom fields too) that differ between a and b, sorted: what an
// updated entry lists.
func ChangedFields(a, b *Company) []string {
	out := mergepatch.Changed(a.Fields(), b.Fields())
	slices.Sort(out)
	return out
}
