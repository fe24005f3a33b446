// Package changes turns committed writes, as the table's stream gives them,
// into the events other modules subscribe to: contact created, updated,
// deleted, tagged, blocked, merged; companies created, updated and deleted;
// conversations started and closed; jobs finished. It reads what happened from the items' old and new images, so
// no write path can forget to publish, and a write that failed publishes
// nothing (the stream holds committed writes only).
package changes

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/merge"
)

// Source is the EventBridge source of every event.
const Source = "contacts"

// Detail types.
const (
	ContactCreated      = "contact.created"
	ContactUpdated      = "contact.updated"
	ContactDeleted      = "contact.deleted"
	ContactTagged       = "contact.tagged"
	ContactUntagged     = "contact.untagged"
	ContactBlocked      = "contact.blocked"
	ContactUnblocked    = "contact.unblocked"
	ContactMerged       = "contact.merged"
	ContactMergeUndone  = "contact.merge_undone"
	ConversationStarted = "conversation.started"
	ConversationClosed  = "conversation.closed"
	ImportFinished      = "import.finished"
	ExportFinished      = "export.finished"
	BulkDeleteFinished  = "bulk_delete.finished"
	CompanyCreated      = "company.created"
	CompanyUpdated      = "company.updated"
	CompanyDeleted      = "company.deleted"
)

// Types lists every detail type, in the order docs/architecture.md gives.
var Types = []string{
	ContactCreated, ContactUpdated, ContactDeleted, ContactTagged, ContactUntagged, ContactBlocked,
	ContactUnblocked, ContactMerged, ContactMergeUndone, ConversationStarted, ConversationClosed,
	ImportFinished, ExportFinished, BulkDeleteFinished, CompanyCreated, CompanyUpdated, CompanyDeleted,
}

// Event is one change, published as an EventBridge event of detail-type
// Type whose detail is the JSON of the rest. ID is stable: a redelivered
// stream record gives the same ids, so a consumer deduplicates on it.
type Event struct {
	Type      string    `json:"-"`
	ID        string    `json:"id"`
	Workspace string    `json:"workspace"`
	ContactID string    `json:"contactId,omitempty"`
	Version   int       `json:"version,omitempty"` // the contact's (the company's), for ordering its events
	Actor     string    `json:"actor,omitempty"`
	At        time.Time `json:"at"`
	// Changes are the fields a contact.created sets or a contact.updated
	// changes, each with its old and new value (old null on creation).
	Changes        map[string]Change `json:"changes,omitempty"`
	TagID          string            `json:"tagId,omitempty"`
	TagName        string            `json:"tagName,omitempty"`
	MergeID        string            `json:"mergeId,omitempty"`
	TargetID       string            `json:"targetId,omitempty"`
	SourceIDs      []string          `json:"sourceIds,omitempty"`
	ConversationID string            `json:"conversationId,omitempty"`
	Channel        string            `json:"channel,omitempty"`
	Reason         string            `json:"reason,omitempty"`
	JobID          string            `json:"jobId,omitempty"`
	Status         string            `json:"status,omitempty"`
	Total          int               `json:"total,omitempty"`
	Counts         map[string]int    `json:"counts,omitempty"`
	CompanyID      string            `json:"companyId,omitempty"`
}

// Change is one field's value before and after a write.
type Change struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// Record is one committed write of an item, as the stream gives it.
type Record struct {
	ID       string // the stream record's id: the same on every redelivery
	Sequence string // its position in its shard
	Insert   bool   // the item did not exist before the write
	Remove   bool   // the write deleted the item
	At       time.Time
	Old, New Image // what the item was and is; zero when absent or of no interest
}

// Image is an item the events are made of; at most one field is set. Any
// other item (index entries, counts, lookups, timeline) is the zero Image.
type Image struct {
	Contact           *contact.Contact
	ConversationStart *Conversation // a conversation's lookup: written once, when it opens
	Conversation      *Conversation
	Merge             *merge.Record
	Job               *jobs.Job
	Company           *company.Company
}

// Conversation is what the events say of a conversation.
type Conversation struct {
	Workspace, ID, ContactID, Channel, Status, Actor, Reason string
	At                                                       time.Time
}

// TagNames gives a workspace's tags by id.
type TagNames interface {
	Catalog(ctx context.Context, ws string) (map[string]contact.TagRef, error)
}

// Translator makes the events of records, naming tags from Tags (read once
// per workspace and translator: a tag renamed meanwhile may show its
// former name).
type Translator struct {
	Tags  TagNames
	names map[string]map[string]contact.TagRef
	fresh map[string]bool // read again since a tag was not found
}

// Events returns r's events, in the order they happened.
func (t *Translator) Events(ctx context.Context, r Record) ([]Event, error) {
	var out []Event
	add := func(e Event) {
		e.ID = fmt.Sprintf("%s/%d", r.ID, len(out))
		out = append(out, e)
	}
	switch {
	case r.New.Contact != nil || r.Old.Contact != nil:
		if err := t.contactEvents(ctx, r, add); err != nil {
			return nil, err
		}
	case r.New.Company != nil || r.Old.Company != nil:
		companyEvents(r, add)
	case r.New.ConversationStart != nil && r.Insert:
		c := r.New.ConversationStart
		add(Event{Type: ConversationStarted, Workspace: c.Workspace, ContactID: c.ContactID, ConversationID: c.ID, Channel: c.Channel, Actor: c.Actor, At: atOr(c.At, r.At)})
	case r.New.Conversation != nil && r.Old.Conversation != nil:
		o, n := r.Old.Conversation, r.New.Conversation
		if o.Status != "closed" && n.Status == "closed" {
			add(Event{Type: ConversationClosed, Workspace: n.Workspace, ContactID: n.ContactID, ConversationID: n.ID, Channel: n.Channel, Actor: n.Actor, Reason: n.Reason, At: atOr(n.At, r.At)})
		}
	case r.New.Merge != nil:
		m, was := r.New.Merge, ""
		if r.Old.Merge != nil {
			was = r.Old.Merge.Status
		}
		e := Event{Workspace: m.Workspace, ContactID: m.TargetID, MergeID: m.ID, TargetID: m.TargetID, SourceIDs: m.SourceIDs}
		switch {
		case m.Status == merge.Applied && was != merge.Applied:
			e.Type, e.Actor, e.At = ContactMerged, m.Actor, atOr(m.At, r.At)
			add(e)
		case m.Status == merge.Undone && was != merge.Undone:
			e.Type, e.Actor, e.At = ContactMergeUndone, m.UndoneBy, atOr(m.UndoneAt, r.At)
			add(e)
		}
	case r.New.Job != nil:
		j := r.New.Job
		typ, ok := map[string]string{jobs.TypeImport: ImportFinished, jobs.TypeExport: ExportFinished, jobs.TypeBulkDelete: BulkDeleteFinished}[j.Type]
		if ok && j.Done() && (r.Old.Job == nil || !r.Old.Job.Done()) {
			add(Event{Type: typ, Workspace: j.Workspace, JobID: j.ID, Status: j.Status, Total: j.Total, Counts: j.Counts, Actor: j.CreatedBy, At: atOr(j.UpdatedAt, r.At)})
		}
	}
	return out, nil
}

// contactEvents: created on insert, deleted on removal, and on a change the
// update of its fields, then its tags, then its block. A contact becoming a
// merge's tombstone, or restored from one by an undo, is told by the
// merge's own events.
func (t *Translator) contactEvents(ctx context.Context, r Record, add func(Event)) error {
	o, n := r.Old.Contact, r.New.Contact
	switch {
	case n == nil && o != nil && r.Remove:
		add(Event{Type: ContactDeleted, Workspace: o.Workspace, ContactID: o.ID, Version: o.Version, At: r.At})
		return nil
	case n == nil || (o == nil && !r.Insert):
		return nil
	}
	base := Event{Workspace: n.Workspace, ContactID: n.ID, Version: n.Version, Actor: n.UpdatedBy, At: atOr(n.UpdatedAt, r.At)}
	var before contact.Profile
	var oldTags []string
	oldBlocked := false
	if o != nil {
		before, oldTags, oldBlocked = o.Profile, o.TagIDs, o.Blocked
	}
	if fields := fieldChanges(before, o, n); o == nil || len(fields) > 0 {
		e := base
		e.Type, e.Changes = ContactUpdated, fields
		if o == nil {
			e.Type, e.Actor = ContactCreated, n.CreatedBy
		}
		add(e)
	}
	for _, step := range []struct {
		typ string
		ids []string
	}{{ContactTagged, missing(n.TagIDs, oldTags)}, {ContactUntagged, missing(oldTags, n.TagIDs)}} {
		for _, id := range step.ids {
			name, err := t.tagName(ctx, n.Workspace, id)
			if err != nil {
				return err
			}
			e := base
			e.Type, e.TagID, e.TagName = step.typ, id, name
			add(e)
		}
	}
	if n.Blocked != oldBlocked {
		e := base
		e.Type = ContactUnblocked
		if n.Blocked {
			e.Type, e.Actor = ContactBlocked, n.BlockedBy
		}
		add(e)
	}
	return nil
}

// fieldChanges returns the profile fields (and country, main contact) that
// differ between old (nil: none) and n, with both values. Tags and the
// block have events of their own; activity and conversation status are
// not contact fields here (conversations have events).
func fieldChanges(before contact.Profile, o, n *contact.Contact) map[string]Change {
	da, db := before.Document(), n.Profile.Document()
	if o != nil {
		da["country"], da["mainContactId"] = o.Country, o.MainContactID
	} else {
		da["country"], da["mainContactId"] = "", ""
	}
	db["country"], db["mainContactId"] = n.Country, n.MainContactID
	return documentChanges(da, db)
}

func nullIfEmpty(v any) any {
	if s, ok := v.(string); ok && s == "" {
		return nil
	}
	return v
}

// missing returns the ids of a not in b, sorted.
func missing(a, b []string) []string {
	var out []string
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (t *Translator) tagName(ctx context.Context, ws, id string) (string, error) {
	if t.names == nil {
		t.names, t.fresh = map[string]map[string]contact.TagRef{}, map[string]bool{}
	}
	cat, ok := t.names[ws]
	if _, known := cat[id]; !ok || (!known && !t.fresh[ws]) {
		// Read once, and again once for a tag made since: a deleted tag's
		// id finds no name (the event has its id alone).
		var err error
		if cat, err = t.Tags.Catalog(ctx, ws); err != nil {
			return "", fmt.Errorf("read the tags of %s: %w", ws, err)
		}
		t.names[ws], t.fresh[ws] = cat, ok
	}
	return cat[id].Name, nil
}

func atOr(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// Bus publishes events.
type Bus interface {
	// Publish sends events in order. It returns how many of the first were
	// published: all, or those before the first it could not publish, with
	// why. Some after that one may have been published too: a retry sends
	// them again, with their ids.
	Publish(ctx context.Context, events []Event) (int, error)
}

// Publisher publishes the events of stream records.
type Publisher struct {
	Tags TagNames // read once per workspace and call
	Bus  Bus
}

// Publish publishes the events of records, in order. It returns the index
// of the first record whose events are not all published (len(records)
// when every one is), and why.
func (p *Publisher) Publish(ctx context.Context, records []Record) (int, error) {
	t := &Translator{Tags: p.Tags}
	var events []Event
	var from []int // the record of each event
	for i, r := range records {
		evs, err := t.Events(ctx, r)
		if err != nil {
			n, perr := p.publish(ctx, events, from, i)
			if perr != nil {
				return n, perr
			}
			return i, err
		}
		for range evs {
			from = append(from, i)
		}
		events = append(events, evs...)
	}
	return p.publish(ctx, events, from, len(records))
}

// publish sends events (those of the records before upTo); it returns
// upTo, or the record of the first event not published.
func (p *Publisher) publish(ctx context.Context, events []Event, from []int, upTo int) (int, error) {
	if len(events) == 0 {
		return upTo, nil
	}
	n, err := p.Bus.Publish(ctx, events)
	if err != nil {
		return from[n], err
	}
	return upTo, nil
}
