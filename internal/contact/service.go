package contact

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/idem"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/mergepatch"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Errors the service returns.
var (
	ErrNotFound        = errs.E(errs.NotFound, "contact_not_found")
	ErrVersionMismatch = errs.E(errs.Precondition, "version_mismatch")
	ErrBusy            = errs.E(errs.Conflict, "concurrent_update")
	ErrKeyReused       = errs.E(errs.Invalid, "idempotency_key_reused")
	ErrForbidden       = errs.E(errs.Forbidden, "forbidden_role")
	// ErrMerged is the NotFound of a contact merged into another; its
	// "mergedInto" parameter names the contact it went to.
	ErrMerged = errs.E(errs.NotFound, "contact_merged")
	// ErrExists is a Create of an id already taken (an import row retried).
	ErrExists = errs.E(errs.Conflict, "contact_exists")
	// ErrMerging refuses a write to a contact a merge or its undo holds.
	ErrMerging = errs.E(errs.Conflict, "contact_merging")
	// ErrTooLarge refuses a write whose contact derives more items (its
	// lookups, index entries and counters: tags, name words, phones and
	// emails) than one transaction holds.
	ErrTooLarge = errs.E(errs.Invalid, "contact_too_large")
	// ErrExternalIDTaken refuses an externalId another contact of the
	// workspace holds.
	// ErrCompanyUnknown: the companyId names no company of the workspace.
	ErrCompanyUnknown  = errs.Validation([]errs.FieldError{errs.Field("companyId", "company_not_found")})
	ErrExternalIDTaken = &errs.Error{Kind: errs.Conflict, Code: "external_id_taken",
		Fields: []errs.FieldError{errs.Field("externalId", "external_id_taken")}}
)

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyRecord remembers the first outcome of a create made with an
// Idempotency-Key.
type IdempotencyRecord struct {
	Key         string
	Fingerprint string   // a hash of the request body
	Contact     *Contact // the contact as first created
	ExpiresAt   time.Time
}

// Repository stores contacts. Every method is scoped to one workspace.
type Repository interface {
	// Create stores a new contact with its phone and email lookups and its
	// "created" timeline entry, and rec when not nil, all in one transaction.
	// It sets c.Holders (kept with rec).
	// Errors: Conflict "idempotency_key_in_use" when rec.Key was stored meanwhile.
	Create(ctx context.Context, c *Contact, rec *IdempotencyRecord) error
	// Get returns the contact. Errors: NotFound.
	Get(ctx context.Context, workspace, id string) (*Contact, error)
	// Update reads the contact, lets fn change it, and writes it back with its
	// lookups and an "updated" timeline entry, under a check that nobody wrote
	// it in between. ifVersion > 0 demands that version. Errors: NotFound,
	// Precondition (ifVersion is stale), Conflict (lost too many races), and
	// whatever fn returns.
	Update(ctx context.Context, workspace, id string, ifVersion int, fn func(*Contact) error) (*Contact, error)
	// Delete removes the contact and everything it owns, as actor (its
	// company's timeline names who). ifVersion > 0 demands that version.
	// Errors: NotFound, Precondition.
	Delete(ctx context.Context, workspace, id string, ifVersion int, actor string) error
	// Idempotency returns the record stored under key, or nil.
	Idempotency(ctx context.Context, workspace, key string) (*IdempotencyRecord, error)
	// Linked returns up to limit ids of the contacts linked to mainID,
	// reading its own writes.
	Linked(ctx context.Context, workspace, mainID string, limit int) ([]string, error)
	// ByExternalID returns the id of the contact holding externalID, or "",
	// reading its own writes.
	ByExternalID(ctx context.Context, workspace, externalID string) (string, error)
}

// Service creates, reads, updates and deletes contacts.
type Service struct {
	Contacts   Repository
	Workspaces WorkspaceStore
	Tags       TagSource     // resolves tag names for display; nil shows none
	TagRefs    TagResolver   // resolves the tags a create names; nil refuses them (read_only)
	Companies  CompanySource // the names of linked companies, for display; nil shows none
	Clock      clock.Clock   // the system clock when nil
}

// CompanySource reads the names of companies (dynamo.Companies).
type CompanySource interface {
	// Names returns the names of the companies ids, by id; ids of
	// companies that do not exist are left out.
	Names(ctx context.Context, ws string, ids []string) (map[string]string, error)
}

// TagResolver turns tag ids or names into the workspace's tags, creating
// the names the catalogue lacks (tag.Service), with the limits and errors of
// tagging a contact. Errors: Invalid naming field (e.g. "tags[2]").
type TagResolver interface {
	ResolveTags(ctx context.Context, ws, field string, refs []any) ([]TagRef, error)
}

// ResolveTags fills what a contact shows from other entities: c.Tags from
// the catalogue (ids of deleted tags are left out) and c.CompanyName from
// its company ("" when it is gone).
func (s *Service) ResolveTags(ctx context.Context, c *Contact) error {
	c.Tags = []TagRef{}
	c.CompanyName = ""
	if c.CompanyID != "" && s.Companies != nil {
		names, err := s.Companies.Names(ctx, c.Workspace, []string{c.CompanyID})
		if err != nil {
			return err
		}
		c.CompanyName = names[c.CompanyID]
	}
	if s.Tags == nil || len(c.TagIDs) == 0 {
		return nil
	}
	catalog, err := s.Tags.Catalog(ctx, c.Workspace)
	if err != nil {
		return err
	}
	for _, id := range c.TagIDs {
		if t, ok := catalog[id]; ok {
			c.Tags = append(c.Tags, t)
		}
	}
	return nil
}

// CreateRequest is a request to create a contact.
type CreateRequest struct {
	Document       map[string]any // the JSON body
	IdempotencyKey string         // optional: the client's Idempotency-Key
	Fingerprint    string         // hash of the body, with IdempotencyKey
}

// Create validates and stores a new contact. With an idempotency key the
// caller already used for the same body it returns the first contact and
// replayed = true. The key is the caller's own (idem.ClientKey): it never
// meets another user's, nor the service's keys (CreateFromChannel).
// Errors: Invalid (validation_failed, idempotency_key_reused).
func (s *Service) Create(ctx context.Context, caller tenant.Caller, req CreateRequest) (c *Contact, replayed bool, err error) {
	if req.IdempotencyKey != "" {
		req.IdempotencyKey = idem.ClientKey(caller.Subject, req.IdempotencyKey)
	}
	for attempt := 0; ; attempt++ {
		if req.IdempotencyKey != "" {
			rec, err := s.Contacts.Idempotency(ctx, caller.Workspace, req.IdempotencyKey)
			if err != nil {
				return nil, false, err
			}
			if rec != nil {
				if rec.Fingerprint != req.Fingerprint {
					return nil, false, ErrKeyReused
				}
				c := rec.Contact
				c.PossibleDuplicates, err = s.possibleDuplicates(ctx, caller, c)
				return c, true, err
			}
		}
		c, err := s.newContact(ctx, caller, req.Document)
		if err != nil {
			return nil, false, err
		}
		var rec *IdempotencyRecord
		if req.IdempotencyKey != "" {
			rec = &IdempotencyRecord{Key: req.IdempotencyKey, Fingerprint: req.Fingerprint, Contact: c, ExpiresAt: c.CreatedAt.Add(IdempotencyTTL)}
		}
		err = s.Contacts.Create(ctx, c, rec)
		if errs.Is(err, errs.Conflict) && rec != nil && attempt == 0 {
			continue // a twin request stored the key first: replay its outcome
		}
		if err != nil {
			return nil, false, err
		}
		c.PossibleDuplicates, err = s.possibleDuplicates(ctx, caller, c)
		return c, false, err
	}
}

// MaxPossibleDuplicates bounds the possible duplicates a create lists.
const MaxPossibleDuplicates = 10

// possibleDuplicates returns the ids of c's holders (the contacts sharing a
// key of it when it was created) the caller may see: for a wallet-bound
// agent, a read of each.
func (s *Service) possibleDuplicates(ctx context.Context, caller tenant.Caller, c *Contact) ([]string, error) {
	out := []string{}
	if len(c.Holders) == 0 {
		return out, nil
	}
	scope, err := s.Scope(ctx, caller)
	if err != nil {
		return nil, err
	}
	for _, id := range c.Holders {
		if id == c.ID || slices.Contains(out, id) || len(out) == MaxPossibleDuplicates {
			continue
		}
		if scope.Wallet != "" {
			other, err := s.Contacts.Get(ctx, c.Workspace, id)
			if IsNotFound(err) || err == nil && !scope.Sees(other) {
				continue
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, id)
	}
	return out, nil
}

func (s *Service) newContact(ctx context.Context, caller tenant.Caller, doc map[string]any) (*Contact, error) {
	ws, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	rawTags, hasTags := doc["tags"]
	if hasTags && s.TagRefs != nil {
		doc = without(doc, "tags")
	}
	p, problems := BuildProfile(doc, ws, now, true)
	if len(problems) > 0 {
		return nil, errs.Validation(problems)
	}
	if wallet := ScopeOf(ws, caller).Wallet; p.OwnerID == "" && wallet != "" {
		p.OwnerID = wallet // else the agent could not see what they created
	}
	tags := []TagRef{}
	if hasTags && s.TagRefs != nil {
		refs, ok := rawTags.([]any)
		if !ok {
			return nil, errs.Validation([]errs.FieldError{errs.Field("tags", "invalid_type", "type", "array of tag ids or names")})
		}
		if tags, err = s.TagRefs.ResolveTags(ctx, caller.Workspace, "tags", refs); err != nil {
			return nil, err
		}
	}
	tagIDs := make([]string, 0, len(tags))
	for _, t := range tags {
		if !slices.Contains(tagIDs, t.ID) {
			tagIDs = append(tagIDs, t.ID)
		}
	}
	if len(tagIDs) == 0 {
		tagIDs = nil
	}
	return &Contact{
		Workspace: caller.Workspace,
		ID:        ids.New(now),
		Profile:   p,
		CreatedAt: now,
		CreatedBy: caller.Subject,
		UpdatedAt: now,
		UpdatedBy: caller.Subject,
		Version:   1,
		TagIDs:    tagIDs,
		Tags:      tags,
	}, nil
}

// Workspace returns the settings of workspace ws (for work with no caller,
// such as inbound messages).
func (s *Service) Workspace(ctx context.Context, ws string) (Workspace, error) {
	return s.Workspaces.Workspace(ctx, ws)
}

// TagCatalog returns the workspace's tags by id (empty without a tag source).
func (s *Service) TagCatalog(ctx context.Context, ws string) (map[string]TagRef, error) {
	if s.Tags == nil {
		return map[string]TagRef{}, nil
	}
	return s.Tags.Catalog(ctx, ws)
}

// HasLinked reports whether any contact names id as its main contact.
func (s *Service) HasLinked(ctx context.Context, ws, id string) (bool, error) {
	linked, err := s.Contacts.Linked(ctx, ws, id, 1)
	return len(linked) > 0, err
}

// Get returns a contact of the caller's workspace. Errors: NotFound.
func (s *Service) Get(ctx context.Context, caller tenant.Caller, id string) (*Contact, error) {
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	c, err := s.Contacts.Get(ctx, caller.Workspace, id)
	if err != nil {
		return nil, err
	}
	if err := s.CheckAccess(ctx, caller, c); err != nil {
		return nil, err
	}
	return c, s.ResolveTags(ctx, c)
}

// Update applies patch, a JSON merge patch of the profile, to a contact.
// ifVersion > 0 demands that the contact is still at that version.
// Errors: NotFound, Invalid, Precondition, Conflict.
func (s *Service) Update(ctx context.Context, caller tenant.Caller, id string, ifVersion int, patch map[string]any) (*Contact, error) {
	return s.update(ctx, caller, id, ifVersion, patch, nil)
}

// update is Update with check, when not nil, run on the contact as read
// (after the access check, before the patch): an error it returns ends the
// update.
func (s *Service) update(ctx context.Context, caller tenant.Caller, id string, ifVersion int, patch map[string]any, check func(*Contact) error) (*Contact, error) {
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	ws, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return nil, err
	}
	mainRef, linking := patch["mainContactId"]
	if linking {
		patch = without(patch, "mainContactId")
	}
	c, err := s.Contacts.Update(ctx, caller.Workspace, id, ifVersion, func(c *Contact) error {
		if err := s.CheckAccess(ctx, caller, c); err != nil {
			return err
		}
		if check != nil {
			if err := check(c); err != nil {
				return err
			}
		}
		if linking {
			main, err := s.linkTarget(ctx, caller, c, mainRef)
			if err != nil {
				return err
			}
			c.MainContactID = main
		}
		now := s.Clock.Now()
		doc, kept := patchDocument(c, patch)
		// A contact that has a phone or email must keep one; one created by a
		// channel without either may be edited before it gets one.
		hadReach := c.Phone != "" || c.Email != ""
		p, problems := BuildProfile(doc, ws, now, hadReach)
		if len(problems) > 0 {
			return errs.Validation(problems)
		}
		for k, v := range kept {
			if p.CustomFields == nil {
				p.CustomFields = map[string]any{}
			}
			p.CustomFields[k] = v
		}
		c.Profile = p
		c.UpdatedAt = now
		c.UpdatedBy = caller.Subject
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, s.ResolveTags(ctx, c)
}

// without returns a copy of m without key.
func without(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// patchDocument applies patch to the contact's document. Custom fields the
// patch does not touch are taken out of the result and returned apart, to be
// kept as they are: a definition changed or removed since they were written
// must not block an edit of something else.
func patchDocument(c *Contact, patch map[string]any) (doc, kept map[string]any) {
	doc = mergepatch.Apply(c.Profile.Document(), patch)
	keepNamesInStep(doc, patch)
	return doc, KeepUntouched(c.CustomFields, doc, patch)
}

// KeepUntouched takes the stored custom fields a merge patch does not touch
// out of doc (the patched document) and returns them apart, to be kept as
// they are: a definition changed or removed since they were written must
// not block an edit of something else.
func KeepUntouched(stored, doc, patch map[string]any) (kept map[string]any) {
	touched, isObject := patch["customFields"].(map[string]any)
	if _, present := patch["customFields"]; present && !isObject {
		return nil // replaced or removed as a whole
	}
	cf, _ := doc["customFields"].(map[string]any)
	for k, v := range stored {
		if _, ok := touched[k]; ok {
			continue
		}
		if kept == nil {
			kept = map[string]any{}
		}
		kept[k] = v
		delete(cf, k)
	}
	return kept
}

// keepNamesInStep makes a patch of the name re-derive its parts, and a patch
// of a part re-derive the name (BuildProfile derives what is missing),
// unless the patch sets both.
func keepNamesInStep(doc, patch map[string]any) {
	_, name := patch["name"]
	_, first := patch["firstName"]
	_, last := patch["lastName"]
	switch {
	case name && !first && !last:
		delete(doc, "firstName")
		delete(doc, "lastName")
	case !name && (first || last):
		delete(doc, "name")
	}
}

// Delete removes a contact with everything it owns, for the roles the
// workspace lets delete (owners and managers by default): an owner's call
// reads no settings, anyone else's one. An agent deletes only a contact it
// sees (its wallet in a wallet-bound workspace). Errors: Forbidden,
// NotFound, Precondition.
func (s *Service) Delete(ctx context.Context, caller tenant.Caller, id string, ifVersion int) error {
	var w *Workspace
	if caller.Role != tenant.Owner {
		ws, err := s.Workspaces.Workspace(ctx, caller.Workspace)
		if err != nil {
			return err
		}
		if err := ws.Allows(caller, tenant.Delete); err != nil {
			return err
		}
		w = &ws
	}
	return s.deleteSeen(ctx, caller, id, ifVersion, w)
}

// DeleteInBulk deletes a contact for a bulk delete job, whose start checked
// the bulk delete permission: the delete permission is not asked again, but
// an agent deletes only the contacts it sees. Errors: NotFound.
func (s *Service) DeleteInBulk(ctx context.Context, caller tenant.Caller, id string) error {
	return s.deleteSeen(ctx, caller, id, 0, nil)
}

// deleteSeen deletes the contact when the caller sees it; w is the
// workspace's settings when read already.
func (s *Service) deleteSeen(ctx context.Context, caller tenant.Caller, id string, ifVersion int, w *Workspace) error {
	if !ids.Valid(id) {
		return ErrNotFound
	}
	if caller.Role == tenant.Agent {
		c, err := s.Contacts.Get(ctx, caller.Workspace, id)
		if err != nil {
			return err
		}
		if c.OwnerID != caller.Subject {
			if w == nil {
				ws, err := s.Workspaces.Workspace(ctx, caller.Workspace)
				if err != nil {
					return err
				}
				w = &ws
			}
			if !ScopeOf(*w, caller).Sees(c) {
				return ErrNotFound
			}
		}
	}
	if err := s.unlinkAll(ctx, caller, id); err != nil {
		return err
	}
	return s.Contacts.Delete(ctx, caller.Workspace, id, ifVersion, caller.Subject)
}

// IsNotFound reports whether err means the contact does not exist.
func IsNotFound(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Kind == errs.NotFound
}

// inboundKeyTTL is how long the creation of a contact by a sender's first
// message is remembered: long enough for every message of a burst to find it.
const inboundKeyTTL = time.Hour

// CreateFromChannel stores a contact created by a message of a new sender,
// once per senderKey: a twin message racing to create the same sender gets
// the same contact back (created = false). It is created with its first
// message's channel and time as its connection and activity, so opening the
// conversation does not rewrite its list rows at once. Errors: store errors.
func (s *Service) CreateFromChannel(ctx context.Context, ws Workspace, p Profile, senderKey, channel string, at time.Time) (c *Contact, created bool, err error) {
	now := s.Clock.Now()
	actor := "channel:" + channel
	c = &Contact{
		Workspace: ws.ID, ID: ids.New(now), Profile: p,
		CreatedAt: now, CreatedBy: actor, UpdatedAt: now, UpdatedBy: actor, Version: 1, Tags: []TagRef{},
		// Its first message is its first activity: written with it, so its
		// conversation's open does not rewrite its list rows at once.
		LastActivityAt: at, LastInboundAt: at, ListedActivityAt: at, ListedInboundAt: at,
		Channels: []string{channel},
	}
	rec := &IdempotencyRecord{Key: senderKey, Contact: c, ExpiresAt: now.Add(inboundKeyTTL)}
	err = s.Contacts.Create(ctx, c, rec)
	if !errs.Is(err, errs.Conflict) {
		return c, err == nil, err
	}
	first, err := s.Contacts.Idempotency(ctx, ws.ID, senderKey)
	if err != nil {
		return nil, false, err
	}
	if first != nil {
		got, err := s.Contacts.Get(ctx, ws.ID, first.Contact.ID)
		if !IsNotFound(err) {
			return got, false, err
		}
	}
	// The first contact was deleted (or its record expired): a new one.
	c.ID = ids.New(now)
	err = s.Contacts.Create(ctx, c, nil)
	return c, err == nil, err
}

// errExternalIDMoved is an upsert's update finding that the contact no
// longer holds the externalId it was found by.
var errExternalIDMoved = errors.New("externalId moved meanwhile")

// maxUpsertAttempts bounds the rounds of an upsert racing creates, moves
// and deletes of its externalId.
const maxUpsertAttempts = 3

// Upsert creates or updates the contact holding externalID
// (PUT /v1/contacts/by-external-id/{externalId}): doc is a contact document
// as Create takes; when a contact holds externalID it is applied to it as a
// PATCH of the fields given (tags, when given, replace the contact's), so a
// second identical call changes nothing. doc's externalId, when given, must
// be externalID. created tells which happened. Errors: Invalid, NotFound
// (the holder is outside the caller's wallet), Conflict.
func (s *Service) Upsert(ctx context.Context, caller tenant.Caller, externalID string, doc map[string]any) (c *Contact, created bool, err error) {
	xid, ok := CheckExternalID(externalID)
	if !ok || xid == "" {
		return nil, false, errs.Validation([]errs.FieldError{errs.Field("externalId", "external_id_invalid", "max", strconv.Itoa(MaxExternalIDRunes))})
	}
	if v, present := doc["externalId"]; present {
		given, _ := v.(string)
		if g, ok := CheckExternalID(given); !ok || g != xid {
			return nil, false, errs.Validation([]errs.FieldError{errs.Field("externalId", "external_id_mismatch")})
		}
	}
	doc = maps.Clone(doc)
	doc["externalId"] = xid
	for attempt := 1; ; attempt++ {
		id, err := s.Contacts.ByExternalID(ctx, caller.Workspace, xid)
		if err != nil {
			return nil, false, err
		}
		if id == "" {
			c, _, err := s.Create(ctx, caller, CreateRequest{Document: doc})
			if errors.Is(err, ErrExternalIDTaken) && attempt < maxUpsertAttempts {
				continue // created meanwhile by another call: update it
			}
			return c, err == nil, err
		}
		c, err := s.upsertUpdate(ctx, caller, id, xid, doc)
		if errors.Is(err, errExternalIDMoved) || errors.Is(err, ErrNotFound) {
			// Moved or deleted since it was found; a contact outside the
			// caller's wallet that still holds it is a NotFound.
			again, gerr := s.Contacts.ByExternalID(ctx, caller.Workspace, xid)
			if gerr != nil {
				return nil, false, gerr
			}
			if again == id && errors.Is(err, ErrNotFound) || attempt == maxUpsertAttempts {
				return nil, false, notFoundOr(err)
			}
			continue
		}
		return c, false, err
	}
}

// notFoundOr turns the internal errExternalIDMoved into a Conflict.
func notFoundOr(err error) error {
	if errors.Is(err, errExternalIDMoved) {
		return ErrBusy.Wrap(err)
	}
	return err
}

// upsertUpdate applies doc to the contact id while it holds xid.
func (s *Service) upsertUpdate(ctx context.Context, caller tenant.Caller, id, xid string, doc map[string]any) (*Contact, error) {
	var tagIDs []string
	rawTags, hasTags := doc["tags"]
	if hasTags && s.TagRefs != nil {
		doc = without(doc, "tags")
		refs, ok := rawTags.([]any)
		if !ok {
			return nil, errs.Validation([]errs.FieldError{errs.Field("tags", "invalid_type", "type", "array of tag ids or names")})
		}
		tags, err := s.TagRefs.ResolveTags(ctx, caller.Workspace, "tags", refs)
		if err != nil {
			return nil, err
		}
		for _, t := range tags {
			if !slices.Contains(tagIDs, t.ID) {
				tagIDs = append(tagIDs, t.ID)
			}
		}
	}
	return s.update(ctx, caller, id, 0, doc, func(c *Contact) error {
		if c.ExternalID != xid {
			return errExternalIDMoved
		}
		if hasTags && s.TagRefs != nil && !slices.Equal(c.TagIDs, tagIDs) {
			c.TagIDs = tagIDs
		}
		return nil
	})
}
