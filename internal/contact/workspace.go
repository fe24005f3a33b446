package contact

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// DefaultCountry is the country phone numbers are read in when the workspace
// has not chosen one.
const DefaultCountry = "BR"

// Workspace holds the settings of a workspace that shape its contacts.
type Workspace struct {
	ID              string
	DefaultCountry  string             // region for numbers typed without a country code
	Fields          []FieldDefinition  // custom field definitions
	FieldOrder      []string           // display order of fields, as saved
	AgentWalletOnly bool               // agents see only the contacts they own
	Permissions     tenant.Permissions // the roles chosen per action; the defaults for the others
	Version         int                // 1 for the defaults, never saved
}

// Region returns the country phone numbers are read in.
func (w Workspace) Region() string {
	if w.DefaultCountry == "" {
		return DefaultCountry
	}
	return w.DefaultCountry
}

// Field returns the definition of the custom field key.
func (w Workspace) Field(key string) (FieldDefinition, bool) {
	for _, f := range w.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return FieldDefinition{}, false
}

// TagSource gives a workspace's tag catalogue, to show tags by name.
type TagSource interface {
	// Catalog returns the workspace's tags by id.
	Catalog(ctx context.Context, workspace string) (map[string]TagRef, error)
}

// WorkspaceSource gives the settings of a workspace.
type WorkspaceSource interface {
	// Workspace returns the workspace's settings, defaults when none were saved.
	Workspace(ctx context.Context, workspace string) (Workspace, error)
}

// FieldType is the type of a custom field's values.
type FieldType string

// The custom field types.
const (
	FieldText        FieldType = "text"
	FieldNumber      FieldType = "number"
	FieldBoolean     FieldType = "boolean"
	FieldDate        FieldType = "date"
	FieldSelect      FieldType = "select"
	FieldMultiSelect FieldType = "multiselect"
)

// FieldDefinition defines a custom field of the workspace's contacts.
type FieldDefinition struct {
	Key     string
	Label   string
	Type    FieldType
	Options []string // for select and multiselect
}

// Limits of custom field values.
const (
	MaxCustomFields    = 100
	MaxCustomTextRunes = 2000
)

// validateCustomValue checks v against def and returns it normalised.
func validateCustomValue(path string, def FieldDefinition, v any, check *checker) (any, bool) {
	switch def.Type {
	case FieldText:
		s, ok := v.(string)
		if !ok {
			check.add(errs.Field(path, "invalid_type", "type", "string"))
			return nil, false
		}
		s = strings.TrimSpace(s)
		if runeCount(s) > MaxCustomTextRunes {
			check.add(errs.Field(path, "too_long", "max", strconv.Itoa(MaxCustomTextRunes)))
			return nil, false
		}
		return s, true
	case FieldNumber:
		n, ok := toFloat(v)
		if !ok {
			check.add(errs.Field(path, "invalid_type", "type", "number"))
			return nil, false
		}
		return n, true
	case FieldBoolean:
		b, ok := v.(bool)
		if !ok {
			check.add(errs.Field(path, "invalid_type", "type", "boolean"))
			return nil, false
		}
		return b, true
	case FieldDate:
		s, ok := v.(string)
		if !ok {
			check.add(errs.Field(path, "invalid_type", "type", "string"))
			return nil, false
		}
		d, code := parseDate(s, check.now, false)
		if code != "" {
			check.add(errs.Field(path, code))
			return nil, false
		}
		return d, true
	case FieldSelect:
		s, ok := v.(string)
		if !ok {
			check.add(errs.Field(path, "invalid_type", "type", "string"))
			return nil, false
		}
		if !slices.Contains(def.Options, s) {
			check.add(errs.Field(path, "choice_invalid", "choices", strings.Join(def.Options, ", ")))
			return nil, false
		}
		return s, true
	case FieldMultiSelect:
		list, ok := v.([]any)
		if !ok {
			check.add(errs.Field(path, "invalid_type", "type", "array of strings"))
			return nil, false
		}
		out := make([]any, 0, len(list))
		seen := map[string]bool{}
		for _, item := range list {
			s, ok := item.(string)
			if !ok || !slices.Contains(def.Options, s) {
				check.add(errs.Field(path, "choice_invalid", "choices", strings.Join(def.Options, ", ")))
				return nil, false
			}
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		return out, true
	}
	check.add(errs.Field(path, "unknown_field"))
	return nil, false
}
