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

// Entry is one event of a contact's timeline.
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
}

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
		return Entry{}, errs.Validation(problems)
	}
	if _, err := s.Get(ctx, caller, id); err != nil {
		return Entry{}, err
	}
	now := s.Clock.Now()
	e := Entry{ID: ids.New(now), Event: "note", At: now, Actor: caller.Subject, Text: text}
	return e, store.AddEntry(ctx, caller.Workspace, id, e)
}
