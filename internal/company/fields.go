package company

import (
	"context"
	"maps"
	"reflect"
	"slices"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/mergepatch"
	"github.com/omnichannel/contacts/internal/tenant"
)

// StandardFields are a company's own fields, in display order: a custom
// field's key may not repeat one.
var StandardFields = []string{"name", "taxId", "domain", "phone", "email", "address", "ownerId", "tags"}

// MaxTags bounds the tags on one company, as on a contact (each is a row of
// the company's index).
const MaxTags = contact.MaxTagsPerContact

// FieldStore keeps the custom field definitions of the workspace's
// companies, apart from the contacts' ones.
type FieldStore interface {
	// Fields returns the saved definitions and order (version 1, none,
	// when never saved).
	Fields(ctx context.Context, workspace string) (contact.FieldSettings, error)
	// SaveFields replaces them; ifVersion > 0 demands that version.
	// Errors: Precondition.
	SaveFields(ctx context.Context, workspace string, ifVersion int, fs contact.FieldSettings) (contact.FieldSettings, error)
}

// Fields answers GET /v1/company-fields: the definitions and the display
// order of every field, standard and custom (every role).
func (s *Service) Fields(ctx context.Context, caller tenant.Caller) (contact.FieldSettings, error) {
	fs, err := s.FieldDefs.Fields(ctx, caller.Workspace)
	if err != nil {
		return contact.FieldSettings{}, err
	}
	fs.Order = contact.CompleteOrder(fs.Order, fs.Fields, StandardFields)
	return fs, nil
}

// SetFields answers PUT /v1/company-fields ({fields, order}, validated as
// the contacts' ones); owners and managers only. Errors: Forbidden,
// Invalid, Precondition.
func (s *Service) SetFields(ctx context.Context, caller tenant.Caller, ifVersion int, doc map[string]any) (contact.FieldSettings, error) {
	if !caller.IsManager() {
		return contact.FieldSettings{}, contact.ErrForbidden
	}
	fs, problems := contact.ParseFieldSettingsOf(doc, StandardFields)
	if len(problems) > 0 {
		return contact.FieldSettings{}, errs.Validation(problems)
	}
	return s.FieldDefs.SaveFields(ctx, caller.Workspace, ifVersion, fs)
}

// Equal reports whether c and o hold the same stored state.
func (c *Company) Equal(o *Company) bool {
	return c.Workspace == o.Workspace && c.ID == o.ID && c.Profile == o.Profile &&
		slices.Equal(c.TagIDs, o.TagIDs) && reflect.DeepEqual(c.CustomFields, o.CustomFields) &&
		c.CreatedAt.Equal(o.CreatedAt) && c.CreatedBy == o.CreatedBy &&
		c.UpdatedAt.Equal(o.UpdatedAt) && c.UpdatedBy == o.UpdatedBy && c.Version == o.Version
}

// HasTag reports whether the company carries the tag.
func (c *Company) HasTag(id string) bool { return slices.Contains(c.TagIDs, id) }

// without returns a copy of doc without the keys.
func without(doc map[string]any, keys ...string) map[string]any {
	out := maps.Clone(doc)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// joinProblems adds more to err's field errors (err nil or Invalid).
func joinProblems(err error, more []errs.FieldError) error {
	if len(more) == 0 {
		return err
	}
	if err == nil {
		return errs.Validation(more)
	}
	e := errs.As(err)
	if e.Kind != errs.Invalid {
		return err
	}
	return errs.Validation(append(slices.Clone(e.Fields), more...))
}

// definitions returns the custom field definitions when doc names custom
// fields (none are read otherwise).
func (s *Service) definitions(ctx context.Context, ws string, doc map[string]any) ([]contact.FieldDefinition, error) {
	if _, ok := doc["customFields"]; !ok || s.FieldDefs == nil {
		return nil, nil
	}
	fs, err := s.FieldDefs.Fields(ctx, ws)
	return fs.Fields, err
}

// resolveTags returns the tags a tags member names (ids or names, as a
// contact's tags; names the catalogue lacks are created), each once, at
// most MaxTags, and their ids (nil for none). Errors: Invalid naming tags.
func (s *Service) resolveTags(ctx context.Context, ws string, raw any) ([]contact.TagRef, []string, error) {
	if raw == nil {
		return []contact.TagRef{}, nil, nil
	}
	refs, ok := raw.([]any)
	if !ok {
		return nil, nil, errs.Validation([]errs.FieldError{errs.Field("tags", "invalid_type", "type", "array of tag ids or names")})
	}
	if s.People == nil || s.People.TagRefs == nil {
		return nil, nil, errs.Validation([]errs.FieldError{errs.Field("tags", "read_only")})
	}
	tags, err := s.People.TagRefs.ResolveTags(ctx, ws, "tags", refs)
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for _, t := range tags {
		ids = append(ids, t.ID) // ResolveTags lists each tag once
	}
	return tags, ids, nil
}

// patchExtras applies the tags and customFields of a merge patch to c:
// tags (resolved already: tagIDs) replace the list when the patch names
// them; custom fields merge, those the patch does not touch kept as they
// are (contact.KeepUntouched), the others validated against defs. base is
// the company's patched document without customFields, for Parse.
func (s *Service) patchExtras(c *Company, patch map[string]any, tagIDs []string, defs []contact.FieldDefinition) (base map[string]any, problems []errs.FieldError) {
	doc := c.Document()
	if len(c.CustomFields) > 0 {
		doc["customFields"] = maps.Clone(c.CustomFields)
	}
	doc = mergepatch.Apply(doc, without(patch, "tags"))
	kept := contact.KeepUntouched(c.CustomFields, doc, patch)
	cf, problems := contact.CheckCustomFields(doc["customFields"], defs, s.Clock.Now())
	for k, v := range kept {
		if cf == nil {
			cf = map[string]any{}
		}
		cf[k] = v
	}
	if _, ok := patch["tags"]; ok {
		c.TagIDs = tagIDs
	}
	c.CustomFields = cf
	return without(doc, "customFields"), problems
}

// showTags fills each company's Tags from the catalogue (one read, when any
// carries tags): a rename shows at once, ids of deleted tags are left out.
func (s *Service) showTags(ctx context.Context, ws string, cs ...*Company) error {
	if !slices.ContainsFunc(cs, func(c *Company) bool { return len(c.TagIDs) > 0 }) || s.People == nil {
		fillTags(nil, cs)
		return nil
	}
	catalog, err := s.People.TagCatalog(ctx, ws)
	if err != nil {
		return err
	}
	fillTags(catalog, cs)
	return nil
}

// fillTags sets each company's Tags to those of its TagIDs in catalog.
func fillTags(catalog map[string]contact.TagRef, cs []*Company) {
	for _, c := range cs {
		c.Tags = []contact.TagRef{}
		for _, id := range c.TagIDs {
			if t, ok := catalog[id]; ok {
				c.Tags = append(c.Tags, t)
			}
		}
	}
}

// checkTag reads the catalogue when q filters by a tag: a tag it lacks
// (never made, or deleted: its rows stay on companies until their next
// write) is a 422 tag_unknown naming tag, as on the contact list. The
// catalogue read serves the page's tags too (nil without a tag filter).
func (s *Service) checkTag(ctx context.Context, ws string, q ListQuery) (map[string]contact.TagRef, error) {
	if q.Tag == "" || s.People == nil {
		return nil, nil
	}
	catalog, err := s.People.TagCatalog(ctx, ws)
	if err != nil {
		return nil, err
	}
	if _, ok := catalog[q.Tag]; !ok {
		return nil, errs.Validation([]errs.FieldError{errs.Field("tag", "tag_unknown", "value", q.Tag)})
	}
	return catalog, nil
}
