// Package tag is the workspace's tag catalogue ("etiquetas") and the tagging
// of contacts: tags are stored on contacts by id, so a rename shows
// everywhere at once, and a deleted tag disappears from every contact.
package tag

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Limits of the catalogue.
const (
	MaxNameRunes    = 50
	MaxTags         = 1000 // per workspace
	MaxBulkContacts = 100  // contacts in one bulk assign/remove
	DefaultColor    = "#9e9e9e"
)

// Errors the service returns.
var (
	ErrNotFound  = errs.E(errs.NotFound, "tag_not_found")
	ErrNameTaken = errs.E(errs.Conflict, "tag_name_taken")
	ErrTooMany   = errs.E(errs.Conflict, "too_many_tags")
)

// Tag is a tag of the workspace's catalogue.
type Tag struct {
	Workspace string
	ID        string
	Name      string
	Color     string // #rrggbb
	CreatedAt time.Time
	Version   int
}

// Ref returns the tag as shown on a contact.
func (t Tag) Ref() contact.TagRef { return contact.TagRef{ID: t.ID, Name: t.Name, Color: t.Color} }

// NameKey is the form under which tag names are unique: case-insensitive,
// spaces collapsed.
func NameKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// Repository stores the catalogue.
type Repository interface {
	// List returns every tag of the workspace, by name.
	List(ctx context.Context, workspace string) ([]Tag, error)
	// Create stores a new tag. Errors: Conflict tag_name_taken.
	Create(ctx context.Context, t *Tag) error
	// Update changes a tag under a version check. Errors: NotFound,
	// Precondition, Conflict tag_name_taken.
	Update(ctx context.Context, workspace, id string, ifVersion int, fn func(*Tag) error) (*Tag, error)
	// Delete removes a tag from the catalogue; ifVersion > 0 demands that
	// version. Errors: NotFound, Precondition.
	Delete(ctx context.Context, workspace, id string, ifVersion int) error
}

// Service manages the catalogue and the tags on contacts.
type Service struct {
	Tags     Repository
	Contacts contact.Repository
	People   AccessChecker // wallet checks on the contacts tagged
	Clock    clock.Clock   // the system clock when nil
}

// AccessChecker tells whether a caller may see a contact (contact.Service).
type AccessChecker interface {
	// CheckAccess returns nil when caller may see c. Errors: NotFound.
	CheckAccess(ctx context.Context, caller tenant.Caller, c *contact.Contact) error
}

// List returns the catalogue.
func (s *Service) List(ctx context.Context, caller tenant.Caller) ([]Tag, error) {
	return s.Tags.List(ctx, caller.Workspace)
}

// Create adds a tag from {name, color?}. Errors: Invalid, Conflict.
func (s *Service) Create(ctx context.Context, caller tenant.Caller, doc map[string]any) (*Tag, error) {
	name, color, problems := parseTag(doc, true)
	if len(problems) > 0 {
		return nil, errs.Validation(problems)
	}
	return s.create(ctx, caller.Workspace, name, color)
}

func (s *Service) create(ctx context.Context, ws, name, color string) (*Tag, error) {
	existing, err := s.Tags.List(ctx, ws)
	if err != nil {
		return nil, err
	}
	if len(existing) >= MaxTags {
		return nil, ErrTooMany.With("max", strconv.Itoa(MaxTags))
	}
	now := s.Clock.Now()
	t := &Tag{Workspace: ws, ID: ids.New(now), Name: name, Color: color, CreatedAt: now, Version: 1}
	if t.Color == "" {
		t.Color = DefaultColor
	}
	if err := s.Tags.Create(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// Update renames or recolours a tag from {name?, color?}; owners and
// managers only. Errors: Forbidden, NotFound, Invalid, Conflict, Precondition.
func (s *Service) Update(ctx context.Context, caller tenant.Caller, id string, ifVersion int, doc map[string]any) (*Tag, error) {
	if !caller.IsManager() {
		return nil, contact.ErrForbidden
	}
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	name, color, problems := parseTag(doc, false)
	if len(problems) > 0 {
		return nil, errs.Validation(problems)
	}
	return s.Tags.Update(ctx, caller.Workspace, id, ifVersion, func(t *Tag) error {
		if name != "" {
			t.Name = name
		}
		if color != "" {
			t.Color = color
		}
		return nil
	})
}

// Delete removes a tag from the catalogue; owners and managers only. The
// tag disappears from every contact at once: contacts are shown and
// filtered through the catalogue, and drop the id at their next write.
// Errors: Forbidden, NotFound, Precondition.
func (s *Service) Delete(ctx context.Context, caller tenant.Caller, id string, ifVersion int) error {
	if !caller.IsManager() {
		return contact.ErrForbidden
	}
	if !ids.Valid(id) {
		return ErrNotFound
	}
	return s.Tags.Delete(ctx, caller.Workspace, id, ifVersion)
}

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func parseTag(doc map[string]any, requireName bool) (name, color string, problems []errs.FieldError) {
	for k := range doc {
		if k != "name" && k != "color" {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	if v, ok := doc["name"]; ok && v != nil {
		s, isString := v.(string)
		name = strings.Join(strings.Fields(s), " ")
		switch {
		case !isString:
			problems = append(problems, errs.Field("name", "invalid_type", "type", "string"))
		case name == "":
			problems = append(problems, errs.Field("name", "required"))
		case len([]rune(name)) > MaxNameRunes:
			problems = append(problems, errs.Field("name", "too_long", "max", strconv.Itoa(MaxNameRunes)))
		}
	} else if requireName {
		problems = append(problems, errs.Field("name", "required"))
	}
	if v, ok := doc["color"]; ok && v != nil {
		s, isString := v.(string)
		if !isString || !colorPattern.MatchString(s) {
			problems = append(problems, errs.Field("color", "color_invalid"))
		}
		color = strings.ToLower(s)
	}
	return name, color, problems
}
