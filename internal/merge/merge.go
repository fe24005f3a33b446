// Package merge merges duplicate contacts into one, reversibly: a merge
// record keeps everything needed to undo it, and the merge history lists
// them.
package merge

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/tenant"
)

// MaxSources bounds the contacts merged into one target at a time.
const MaxSources = 10

// Statuses of a merge.
const (
	InProgress = "in_progress" // running as steps under a lock; resumable or undoable
	Applied    = "applied"
	Undoing    = "undoing"
	Undone     = "undone"
)

// Record is one merge: what was merged into what, by whom, and its state.
type Record struct {
	ID        string
	Workspace string
	TargetID  string
	SourceIDs []string
	Fields    []string // the target's fields the merge changed
	Status    string
	Steps     bool // ran as steps (the contacts owned more than one transaction holds)
	Moved     int  // items moved to the target (timeline, conversations, channels)
	Actor     string
	At        time.Time
	UndoneBy  string
	UndoneAt  time.Time
}

// Plan is a merge ready to be stored: the contacts as read, and the target
// as it will be.
type Plan struct {
	ID      string
	Target  *contact.Contact // as read (its version is checked when written)
	Sources []*contact.Contact
	Merged  *contact.Contact // the target after the merge
	Fields  []string         // the fields Merged changed
	Actor   string
	At      time.Time
}

// Store applies and undoes merges.
type Store interface {
	// Merge applies p: in one transaction when everything fits, else in
	// resumable steps under a lock on the contacts. Errors: NotFound,
	// Conflict "contact_merging" (a contact is in another merge),
	// Conflict "concurrent_update" (a contact changed since it was read).
	Merge(ctx context.Context, p Plan) (Record, error)
	// Resume finishes a merge a crash interrupted. Errors: NotFound.
	Resume(ctx context.Context, workspace, id string) (Record, error)
	// Undo restores every contact of the merge as it was, keeping what
	// changed on the target since where that is safe. Errors: NotFound,
	// Conflict "merge_undo_conflict" (fields changed since), Conflict
	// "merge_already_undone", Conflict "contact_merging".
	Undo(ctx context.Context, workspace, id, actor string, at time.Time) (Record, error)
	// Record returns one merge. Errors: NotFound.
	Record(ctx context.Context, workspace, id string) (Record, error)
	// Records returns up to limit merges older than before ("" for the
	// newest), newest first, and whether there are more.
	Records(ctx context.Context, workspace, before string, limit int) ([]Record, bool, error)
}

// Errors of merging.
var (
	ErrNotFound      = errs.E(errs.NotFound, "merge_not_found")
	ErrMerging       = errs.E(errs.Conflict, "contact_merging")
	ErrUndoConflict  = errs.E(errs.Conflict, "merge_undo_conflict")
	ErrAlreadyUndone = errs.E(errs.Conflict, "merge_already_undone")
	ErrTargetDeleted = errs.E(errs.Conflict, "merge_target_deleted")
	ErrTooLarge      = errs.E(errs.Invalid, "merge_too_large")
)

// People is what merges need of the contacts (contact.Service).
type People interface {
	// Get returns a contact the caller may see. Errors: NotFound.
	Get(ctx context.Context, caller tenant.Caller, id string) (*contact.Contact, error)
	// SeesAll reports whether the caller may see every one of ids.
	SeesAll(ctx context.Context, caller tenant.Caller, ids []string) (bool, error)
	// Scope returns which contacts the caller may see.
	Scope(ctx context.Context, caller tenant.Caller) (contact.Scope, error)
	// HasLinked reports whether any contact names id as its main contact.
	HasLinked(ctx context.Context, ws, id string) (bool, error)
	// Require returns Forbidden unless the workspace lets the caller take a.
	Require(ctx context.Context, caller tenant.Caller, a tenant.Action) error
}

// Service merges contacts, undoes merges and lists them.
type Service struct {
	People People
	Store  Store
	Clock  clock.Clock // the system clock when nil
}

// Request is a merge request: {sourceIds, fieldChoices?}.
type Request struct {
	SourceIDs []string
	Choices   map[string]string // field → the id of the contact whose value wins
}

// ParseRequest reads {sourceIds, fieldChoices?} for the target id.
func ParseRequest(targetID string, doc map[string]any) (Request, []errs.FieldError) {
	var req Request
	var problems []errs.FieldError
	for k := range doc {
		if k != "sourceIds" && k != "fieldChoices" {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	list, ok := doc["sourceIds"].([]any)
	switch {
	case doc["sourceIds"] == nil:
		problems = append(problems, errs.Field("sourceIds", "required"))
	case !ok:
		problems = append(problems, errs.Field("sourceIds", "invalid_type", "type", "array of ids"))
	case len(list) == 0:
		problems = append(problems, errs.Field("sourceIds", "required"))
	case len(list) > MaxSources:
		problems = append(problems, errs.Field("sourceIds", "too_many", "max", strconv.Itoa(MaxSources)))
	}
	seen := map[string]bool{}
	for i, v := range list {
		path := "sourceIds[" + strconv.Itoa(i) + "]"
		id, ok := v.(string)
		switch {
		case !ok || !ids.Valid(id):
			problems = append(problems, errs.Field(path, "id_invalid"))
		case id == targetID:
			problems = append(problems, errs.Field(path, "merge_into_itself"))
		case seen[id]:
			problems = append(problems, errs.Field(path, "duplicate", "value", id))
		default:
			seen[id] = true
			req.SourceIDs = append(req.SourceIDs, id)
		}
	}
	if v, present := doc["fieldChoices"]; present && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			problems = append(problems, errs.Field("fieldChoices", "invalid_type", "type", "object"))
		}
		req.Choices = map[string]string{}
		for field, who := range m {
			path := "fieldChoices." + field
			id, ok := who.(string)
			switch {
			case !choosable(field):
				problems = append(problems, errs.Field(path, "unknown_field"))
			case !ok || (id != targetID && !seen[id]):
				problems = append(problems, errs.Field(path, "merge_choice_invalid"))
			default:
				req.Choices[field] = id
			}
		}
	}
	return req, problems
}

func choosable(field string) bool {
	if key, ok := strings.CutPrefix(field, "customFields."); ok {
		return key != ""
	}
	f, ok := contact.FieldNamed(field)
	return ok && f.Merged
}

// Resolve computes the target after merging sources into it: a field
// follows its choice, else the target keeps its value, else the first
// source (oldest first) that has one fills it. Tags are united, custom
// fields resolved key by key. It returns the fields that changed.
// Errors: Invalid "merge_too_many_tags".
func Resolve(target *contact.Contact, sources []*contact.Contact, choices map[string]string) (*contact.Contact, []string, error) {
	byID := map[string]*contact.Contact{target.ID: target}
	for _, c := range sources {
		byID[c.ID] = c
	}
	// ids are time-ordered: oldest first
	ordered := slices.SortedFunc(slices.Values(sources), func(a, b *contact.Contact) int { return cmp.Compare(a.ID, b.ID) })
	merged := target.Clone()
	for _, f := range contact.Fields {
		if !f.Merged {
			continue
		}
		has := func(c *contact.Contact) bool { return *f.Text(&c.Profile) != "" }
		from := ""
		if f.Name == "name" {
			// A name that is only the contact's number or address (a
			// channel's contact without a display name) never wins over a
			// real name.
			from = pick(choices, f.Name, merged, ordered, func(c *contact.Contact) bool { return c.Name != "" && !contact.NameIsPlaceholder(&c.Profile) })
			if from == "" && (merged.Name == "" || contact.NameIsPlaceholder(&merged.Profile)) {
				from = pick(choices, f.Name, merged, ordered, has)
			}
		} else {
			from = pick(choices, f.Name, merged, ordered, has)
		}
		if from != "" && from != target.ID {
			f.Copy(&merged.Profile, &byID[from].Profile)
		}
	}
	gatherIdentities(merged, target, ordered)
	resolveCustomFields(merged, target, ordered, byID, choices)
	for _, c := range ordered {
		for _, t := range c.TagIDs {
			if !merged.HasTag(t) {
				merged.TagIDs = append(merged.TagIDs, t)
			}
		}
		if c.ConversationStatus == "open" {
			merged.ConversationStatus = "open"
		}
		if c.LastActivityAt.After(merged.LastActivityAt) {
			merged.LastActivityAt = c.LastActivityAt
		}
		if c.LastInboundAt.After(merged.LastInboundAt) {
			merged.LastInboundAt = c.LastInboundAt
		}
		for _, ch := range c.Channels {
			if !slices.Contains(merged.Channels, ch) {
				merged.Channels = append(merged.Channels, ch) // its connections move to the target
			}
		}
	}
	merged.ListedActivityAt, merged.ListedInboundAt = merged.LastActivityAt, merged.LastInboundAt
	if len(merged.TagIDs) > contact.MaxTagsPerContact {
		return nil, nil, errs.Validation([]errs.FieldError{errs.Field("sourceIds", "merge_too_many_tags", "max", strconv.Itoa(contact.MaxTagsPerContact))})
	}
	// What the merge changed of the profile and tags; the conversation
	// status follows the contacts' conversations, not the merge.
	changed := slices.DeleteFunc(contact.Diff(target, merged).Fields, func(f string) bool { return f == "conversationStatus" })
	return merged, changed, nil
}

// gatherIdentities keeps on merged every distinct phone and email of the
// target and the sources: the primaries chosen stay primaries, every other
// number and address (the target's first, then the sources' oldest first,
// each contact's primary before its others) becomes an other, up to
// contact.MaxOtherIdentities each; those beyond are not kept on the
// contact (the merge record's snapshots keep them, and an undo gives
// them back).
func gatherIdentities(merged, target *contact.Contact, ordered []*contact.Contact) {
	merged.OtherPhones, merged.OtherEmails = nil, nil
	for _, c := range append([]*contact.Contact{target}, ordered...) {
		merged.OtherPhones = append(merged.OtherPhones, c.Phones()...)
		merged.OtherEmails = append(merged.OtherEmails, c.Emails()...)
	}
	contact.SettleOthers(&merged.Profile)
	if len(merged.OtherPhones) == 0 {
		merged.OtherPhones = nil
	}
	if len(merged.OtherEmails) == 0 {
		merged.OtherEmails = nil
	}
}

// pick returns whose value of field the merged contact takes: the choice's,
// else none when merged (still the target's values) has one, else the first
// source's that has one; "" for none.
func pick(choices map[string]string, field string, merged *contact.Contact, ordered []*contact.Contact, has func(c *contact.Contact) bool) string {
	if who, ok := choices[field]; ok {
		return who
	}
	if has(merged) {
		return ""
	}
	for _, c := range ordered {
		if has(c) {
			return c.ID
		}
	}
	return ""
}

// resolveCustomFields resolves merged's custom fields key by key as
// Resolve does the others; a choice of a contact without the key removes it.
func resolveCustomFields(merged, target *contact.Contact, ordered []*contact.Contact, byID map[string]*contact.Contact, choices map[string]string) {
	keys := map[string]bool{}
	for _, c := range append([]*contact.Contact{target}, ordered...) {
		for k := range c.CustomFields {
			keys[k] = true
		}
	}
	for k := range keys {
		from := pick(choices, "customFields."+k, merged, ordered, func(c *contact.Contact) bool { _, ok := c.CustomFields[k]; return ok })
		if from == "" || from == target.ID {
			continue
		}
		v, ok := byID[from].CustomFields[k]
		if merged.CustomFields == nil {
			merged.CustomFields = map[string]any{}
		}
		if ok {
			merged.CustomFields[k] = v
		} else {
			delete(merged.CustomFields, k)
		}
	}
}

// Merge merges the request's sources into the contact targetID and returns
// the merge record. Errors: NotFound, Invalid, Conflict.
func (s *Service) Merge(ctx context.Context, caller tenant.Caller, targetID string, doc map[string]any) (Record, error) {
	req, problems := ParseRequest(targetID, doc)
	if len(problems) > 0 {
		return Record{}, errs.Validation(problems)
	}
	target, err := s.People.Get(ctx, caller, targetID)
	if err != nil {
		return Record{}, alreadyMerged(err)
	}
	var sources []*contact.Contact
	for i, id := range req.SourceIDs {
		c, err := s.People.Get(ctx, caller, id)
		if contact.IsNotFound(err) && errs.As(err).Code != contact.ErrMerged.Code {
			return Record{}, errs.Validation([]errs.FieldError{errs.Field("sourceIds["+strconv.Itoa(i)+"]", "main_contact_unknown")})
		}
		if err != nil {
			return Record{}, alreadyMerged(err)
		}
		linked, err := s.People.HasLinked(ctx, caller.Workspace, id)
		if err != nil {
			return Record{}, err
		}
		if linked {
			return Record{}, errs.Validation([]errs.FieldError{errs.Field("sourceIds["+strconv.Itoa(i)+"]", "merge_source_is_main")})
		}
		sources = append(sources, c)
	}
	merged, changed, err := Resolve(target, sources, req.Choices)
	if err != nil {
		return Record{}, err
	}
	now := s.Clock.Now()
	merged.UpdatedAt, merged.UpdatedBy = now, caller.Subject
	return s.Store.Merge(ctx, Plan{ID: ids.New(now), Target: target, Sources: sources, Merged: merged, Fields: changed, Actor: caller.Subject, At: now})
}

// Undo undoes a merge. Errors: NotFound, Conflict.
func (s *Service) Undo(ctx context.Context, caller tenant.Caller, id string) (Record, error) {
	if !ids.Valid(id) {
		return Record{}, ErrNotFound
	}
	if _, err := s.Record(ctx, caller, id); err != nil {
		return Record{}, err
	}
	return s.Store.Undo(ctx, caller.Workspace, id, caller.Subject, s.Clock.Now())
}

// History lists the workspace's merges, newest first; owners and managers
// only. Errors: Forbidden.
func (s *Service) History(ctx context.Context, caller tenant.Caller, before string, limit int) ([]Record, bool, error) {
	if !caller.IsManager() {
		return nil, false, contact.ErrForbidden
	}
	return s.Store.Records(ctx, caller.Workspace, before, limit)
}

// Resume finishes a merge a crash interrupted (its contacts stay locked
// until it is finished or undone). Errors: NotFound.
func (s *Service) Resume(ctx context.Context, caller tenant.Caller, id string) (Record, error) {
	if _, err := s.Record(ctx, caller, id); err != nil {
		return Record{}, err
	}
	return s.Store.Resume(ctx, caller.Workspace, id)
}

// Record returns one merge; owners and managers see every merge, agents
// a merge whose target they can see and whose sources, where they are
// contacts again (an undone merge), they can see too. Errors: NotFound.
func (s *Service) Record(ctx context.Context, caller tenant.Caller, id string) (Record, error) {
	if !ids.Valid(id) {
		return Record{}, ErrNotFound
	}
	rec, err := s.Store.Record(ctx, caller.Workspace, id)
	if err != nil || caller.IsManager() {
		return rec, err
	}
	if _, err := s.People.Get(ctx, caller, rec.TargetID); contact.IsNotFound(err) {
		return Record{}, ErrNotFound
	} else if err != nil {
		return Record{}, err
	}
	if seen, err := s.People.SeesAll(ctx, caller, rec.SourceIDs); err != nil || !seen {
		return Record{}, notFoundUnless(err, ErrNotFound)
	}
	return rec, nil
}

// notFoundUnless returns err, or notFound when err is nil.
func notFoundUnless(err, notFound error) error {
	if err != nil {
		return err
	}
	return notFound
}

// ErrAlreadyMerged is the conflict of merging a contact that was merged
// into another meanwhile (a lost race); "mergedInto" names where it went.
var ErrAlreadyMerged = errs.E(errs.Conflict, "contact_already_merged")

// alreadyMerged turns the NotFound of a merged contact into the conflict
// a merge reports.
func alreadyMerged(err error) error {
	if e := errs.As(err); err != nil && e.Code == contact.ErrMerged.Code {
		return ErrAlreadyMerged.With("mergedInto", e.Params["mergedInto"])
	}
	return err
}
