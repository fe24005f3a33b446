package tag

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/tenant"
)

// MaxRefs bounds the tags named in one request.
const MaxRefs = contact.MaxTagsPerContact

// Assign puts tags on a contact; each ref is a tag id or a name, and names
// not in the catalogue are created. Errors: NotFound, Invalid, Conflict.
func (s *Service) Assign(ctx context.Context, caller tenant.Caller, contactID string, refs []any) (*contact.Contact, error) {
	if len(refs) == 0 {
		return nil, errs.Validation([]errs.FieldError{errs.Field("tags", "required")})
	}
	// The contact first: no tag is created for a contact the caller cannot see.
	if !ids.Valid(contactID) {
		return nil, contact.ErrNotFound
	}
	c, err := s.Contacts.Get(ctx, caller.Workspace, contactID)
	if err != nil {
		return nil, err
	}
	if err := s.People.CheckAccess(ctx, caller, c); err != nil {
		return nil, err
	}
	catalog, err := s.catalog(ctx, caller.Workspace)
	if err != nil {
		return nil, err
	}
	tagIDs, err := s.resolve(ctx, caller.Workspace, catalog, "tags", refs, true)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, caller, catalog, contactID, tagIDs, nil)
}

// ResolveTags implements contact.TagResolver: refs (ids or names, unknown
// names created, at most MaxRefs) as the workspace's tags, each once.
// Errors: Invalid naming field.
func (s *Service) ResolveTags(ctx context.Context, ws, field string, refs []any) ([]contact.TagRef, error) {
	catalog, err := s.catalog(ctx, ws)
	if err != nil {
		return nil, err
	}
	tagIDs, err := s.resolve(ctx, ws, catalog, field, refs, true)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(tagIDs, func(id string) bool { _, ok := catalog[id]; return !ok }) {
		if catalog, err = s.catalog(ctx, ws); err != nil { // with the tags just created
			return nil, err
		}
	}
	out := []contact.TagRef{}
	for _, id := range tagIDs {
		if t, ok := catalog[id]; ok && !slices.ContainsFunc(out, func(r contact.TagRef) bool { return r.ID == id }) {
			out = append(out, contact.TagRef{ID: t.ID, Name: t.Name, Color: t.Color})
		}
	}
	return out, nil
}

// Unassign takes a tag off a contact; the tag stays in the catalogue.
// Errors: NotFound.
func (s *Service) Unassign(ctx context.Context, caller tenant.Caller, contactID, tagID string) (*contact.Contact, error) {
	catalog, err := s.catalog(ctx, caller.Workspace)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, caller, catalog, contactID, nil, []string{tagID})
}

// BulkResult is the outcome of a bulk change on one contact.
type BulkResult struct {
	ContactID string
	Err       error // nil on success
}

// Bulk adds and removes tags on up to MaxBulkContacts contacts. Every
// contact is changed on its own; the result says which failed and why.
// Errors: Invalid (too many contacts, bad refs).
func (s *Service) Bulk(ctx context.Context, caller tenant.Caller, contactIDs []string, add, remove []any) ([]BulkResult, error) {
	var problems []errs.FieldError
	if len(contactIDs) == 0 {
		problems = append(problems, errs.Field("contactIds", "required"))
	}
	if len(contactIDs) > MaxBulkContacts {
		problems = append(problems, errs.Field("contactIds", "too_many", "max", strconv.Itoa(MaxBulkContacts)))
	}
	if len(add)+len(remove) == 0 {
		problems = append(problems, errs.Field("add", "required"))
	}
	if len(problems) > 0 {
		return nil, errs.Validation(problems)
	}
	catalog, err := s.catalog(ctx, caller.Workspace)
	if err != nil {
		return nil, err
	}
	addIDs, err := s.resolve(ctx, caller.Workspace, catalog, "add", add, true)
	if err != nil {
		return nil, err
	}
	removeIDs, err := s.resolve(ctx, caller.Workspace, catalog, "remove", remove, false)
	if err != nil {
		return nil, err
	}
	out := make([]BulkResult, 0, len(contactIDs))
	seen := map[string]bool{}
	for _, id := range contactIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		_, err := s.change(ctx, caller, catalog, id, addIDs, removeIDs)
		out = append(out, BulkResult{ContactID: id, Err: err})
	}
	return out, nil
}

// change adds and removes tag ids on a contact; ids not in catalog (deleted
// tags) are dropped on the way.
func (s *Service) change(ctx context.Context, caller tenant.Caller, catalog map[string]Tag, contactID string, add, remove []string) (*contact.Contact, error) {
	if !ids.Valid(contactID) {
		return nil, contact.ErrNotFound
	}
	c, err := s.Contacts.Update(ctx, caller.Workspace, contactID, 0, func(c *contact.Contact) error {
		if err := s.People.CheckAccess(ctx, caller, c); err != nil {
			return err
		}
		var kept []string
		for _, id := range c.TagIDs {
			if _, ok := catalog[id]; ok && !slices.Contains(remove, id) {
				kept = append(kept, id) // ids of deleted tags are dropped here
			}
		}
		for _, id := range add {
			if !slices.Contains(kept, id) {
				kept = append(kept, id)
			}
		}
		if len(kept) > contact.MaxTagsPerContact {
			return errs.Validation([]errs.FieldError{errs.Field("tags", "too_many", "max", strconv.Itoa(contact.MaxTagsPerContact))})
		}
		c.TagIDs = kept
		c.UpdatedAt = s.Clock.Now()
		c.UpdatedBy = caller.Subject
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Tags = []contact.TagRef{}
	for _, id := range c.TagIDs {
		c.Tags = append(c.Tags, catalog[id].Ref())
	}
	return c, nil
}

func (s *Service) catalog(ctx context.Context, ws string) (map[string]Tag, error) {
	list, err := s.Tags.List(ctx, ws)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Tag, len(list))
	for _, t := range list {
		out[t.ID] = t
	}
	return out, nil
}

// resolve turns refs (tag ids or names) into tag ids, creating unknown
// names when create is set (and adding them to catalog); an unknown id or,
// without create, an unknown name is a validation error naming it.
func (s *Service) resolve(ctx context.Context, ws string, catalog map[string]Tag, field string, refs []any, create bool) ([]string, error) {
	if len(refs) > MaxRefs {
		return nil, errs.Validation([]errs.FieldError{errs.Field(field, "too_many", "max", strconv.Itoa(MaxRefs))})
	}
	byName := map[string]string{}
	for _, t := range catalog {
		byName[NameKey(t.Name)] = t.ID
	}
	var out []string
	var problems []errs.FieldError
	for i, r := range refs {
		path := fmt.Sprintf("%s[%d]", field, i)
		ref, ok := r.(string)
		if !ok || NameKey(ref) == "" {
			problems = append(problems, errs.Field(path, "invalid_type", "type", "tag id or name"))
			continue
		}
		if _, ok := catalog[ref]; ok {
			out = append(out, ref)
			continue
		}
		if id, ok := byName[NameKey(ref)]; ok {
			out = append(out, id)
			continue
		}
		if !create || ids.Valid(ref) {
			problems = append(problems, errs.Field(path, "tag_unknown"))
			continue
		}
		name, _, bad := parseTag(map[string]any{"name": ref}, true)
		if len(bad) > 0 {
			bad[0].Field = path
			problems = append(problems, bad...)
			continue
		}
		t, err := s.create(ctx, ws, name, "")
		if errs.Is(err, errs.Conflict) {
			// Created by a concurrent request meanwhile: use it.
			if again, lerr := s.catalog(ctx, ws); lerr == nil {
				for _, x := range again {
					if NameKey(x.Name) == NameKey(name) {
						t, err = &x, nil
					}
				}
			}
		}
		if err != nil {
			return nil, err
		}
		byName[NameKey(name)] = t.ID
		catalog[t.ID] = *t
		out = append(out, t.ID)
	}
	if len(problems) > 0 {
		return nil, errs.Validation(problems)
	}
	return out, nil
}

// Names resolves tag names to ids for one workspace, creating the unknown
// ones, with the catalogue read once; safe for concurrent use (imports).
type Names struct {
	s       *Service
	ws      string
	mu      sync.Mutex
	catalog map[string]Tag
}

// Names returns a resolver of the workspace's tag names.
func (s *Service) Names(ctx context.Context, ws string) (*Names, error) {
	catalog, err := s.catalog(ctx, ws)
	if err != nil {
		return nil, err
	}
	return &Names{s: s, ws: ws, catalog: catalog}, nil
}

// IDs returns the ids of names, creating unknown tags. Errors: Invalid
// (a name breaks the tag rules), Invalid "too_many_tags" (the catalogue is full).
func (n *Names) IDs(ctx context.Context, names []string) ([]string, error) {
	refs := make([]any, len(names))
	for i, name := range names {
		refs[i] = name
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.s.resolve(ctx, n.ws, n.catalog, "tags", refs, true)
}
