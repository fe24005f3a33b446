package contact

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/tenant"
)

// MaxNoteRunes bounds a note's text.
const MaxNoteRunes = 5000

// Entry is one event of a timeline: a contact's, or a company's (created,
// updated, contact_added, contact_removed, note).
type Entry struct {
	ID     string // time-ordered
	Event  string // created, updated, tagged, blocked, unblocked, channel, conversation, note (merged and imported as they come)
	At     time.Time
	Actor  string   // who did it
	Fields []string // for updated: the fields changed
	Text   string   // for note
	// For channel and conversation entries: the channel, the conversation,
	// and what happened (connected, removed; started, closed).
	Channel        string
	ConversationID string
	Action         string
	// For merged entries: the merge and the contacts merged in.
	MergeID string
	Sources []string
	// For an edited note: who edited it last, and when.
	EditedAt time.Time
	EditedBy string
	// For contact_added and contact_removed (a company's timeline): the
	// contact, and its name and owner then.
	ContactID    string
	ContactName  string
	ContactOwner string
}

// ErrNoteNotFound: the contact has no note with that id.
var ErrNoteNotFound = errs.E(errs.NotFound, "note_not_found")

// TimelinePage is one page of a timeline, newest first.
type TimelinePage struct {
	Entries []Entry
	More    bool
}

// TimelineStore reads and appends timeline entries.
type TimelineStore interface {
	// Timeline returns up to limit entries of the contact older than the
	// entry id before ("" for the newest), leaving out the items a merge
	// running in steps (id hide) is moving. It does not check the contact exists.
	Timeline(ctx context.Context, workspace, contactID, before string, limit int, hide string) (TimelinePage, error)
	// AddEntry appends e to the contact's timeline on condition that the
	// contact exists. Errors: NotFound.
	AddEntry(ctx context.Context, workspace, contactID string, e Entry) error
	// Note returns the note noteID of the contact. Errors: NotFound
	// (ErrNoteNotFound, also for an entry that is not a note).
	Note(ctx context.Context, workspace, contactID, noteID string) (Entry, error)
	// EditNote stores e's text and who edited it when. Errors: NotFound.
	EditNote(ctx context.Context, workspace, contactID string, e Entry) error
	// DeleteNote removes the note noteID. Errors: NotFound.
	DeleteNote(ctx context.Context, workspace, contactID, noteID string) error
}

// Timeline returns a page of the contact's timeline, newest first. Errors:
// NotFound.
func (s *Service) Timeline(ctx context.Context, caller tenant.Caller, store TimelineStore, id, before string, limit int) (TimelinePage, error) {
	c, err := s.Get(ctx, caller, id)
	if err != nil {
		return TimelinePage{}, err
	}
	return store.Timeline(ctx, caller.Workspace, id, before, limit, c.MergeLock)
}

// AddNote appends a comment {text} to the contact's timeline. Errors:
// NotFound, Invalid.
func (s *Service) AddNote(ctx context.Context, caller tenant.Caller, store TimelineStore, id string, doc map[string]any) (Entry, error) {
	text, err := NoteText(doc)
	if err != nil {
		return Entry{}, err
	}
	if _, err := s.Get(ctx, caller, id); err != nil {
		return Entry{}, err
	}
	now := s.Clock.Now()
	e := Entry{ID: ids.New(now), Event: "note", At: now, Actor: caller.Subject, Text: text}
	return e, store.AddEntry(ctx, caller.Workspace, id, e)
}

// EditNote replaces the text of a note {text}; its author, an owner or a
// manager may. The note shows who edited it and when. Errors: NotFound,
// Invalid, Forbidden.
func (s *Service) EditNote(ctx context.Context, caller tenant.Caller, store TimelineStore, id, noteID string, doc map[string]any) (Entry, error) {
	e, err := s.ownNote(ctx, caller, store, id, noteID)
	if err != nil {
		return Entry{}, err
	}
	text, err := NoteText(doc)
	if err != nil {
		return Entry{}, err
	}
	e.Text, e.EditedAt, e.EditedBy = text, s.Clock.Now(), caller.Subject
	return e, store.EditNote(ctx, caller.Workspace, id, e)
}

// DeleteNote removes a note from the timeline; its author, an owner or a
// manager may. Errors: NotFound, Forbidden.
func (s *Service) DeleteNote(ctx context.Context, caller tenant.Caller, store TimelineStore, id, noteID string) error {
	if _, err := s.ownNote(ctx, caller, store, id, noteID); err != nil {
		return err
	}
	return store.DeleteNote(ctx, caller.Workspace, id, noteID)
}

// ownNote returns a note of a contact the caller sees, when the caller may
// change it: its author, an owner or a manager. Errors: NotFound, Forbidden.
func (s *Service) ownNote(ctx context.Context, caller tenant.Caller, store TimelineStore, id, noteID string) (Entry, error) {
	if _, err := s.Get(ctx, caller, id); err != nil {
		return Entry{}, err
	}
	e, err := store.Note(ctx, caller.Workspace, id, noteID)
	if err != nil {
		return Entry{}, err
	}
	if e.Actor != caller.Subject && !caller.IsManager() {
		return Entry{}, ErrForbidden
	}
	return e, nil
}

// NoteText reads a note's body {text}: trimmed, required, at most
// MaxNoteRunes characters. Errors: Invalid.
func NoteText(doc map[string]any) (string, error) {
	var problems []errs.FieldError
	for k := range doc {
		if k != "text" {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	text, isString := doc["text"].(string)
	text = strings.TrimSpace(text)
	switch {
	case doc["text"] == nil || isString && text == "":
		problems = append(problems, errs.Field("text", "required"))
	case !isString:
		problems = append(problems, errs.Field("text", "invalid_type", "type", "string"))
	case runeCount(text) > MaxNoteRunes:
		problems = append(problems, errs.Field("text", "too_long", "max", strconv.Itoa(MaxNoteRunes)))
	}
	if len(problems) > 0 {
		return "", errs.Validation(problems)
	}
	return text, nil
}
