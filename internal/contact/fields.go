package contact

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"golang.org/x/text/language"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Limits of the custom field definitions.
const (
	MaxFieldDefinitions = 100
	MaxFieldOptions     = 100
	MaxLabelRunes       = 100
)

var fieldKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// FieldSettings is the custom field definitions of a workspace and the
// display order of every field, standard and custom.
type FieldSettings struct {
	Fields  []FieldDefinition
	Order   []string
	Version int
}

// WorkspaceStore keeps workspace settings.
type WorkspaceStore interface {
	WorkspaceSource
	// SaveFields replaces the field settings. ifVersion > 0 demands that the
	// stored settings are at that version. Errors: Precondition.
	SaveFields(ctx context.Context, workspace string, ifVersion int, s FieldSettings) (FieldSettings, error)
	// SaveSettings changes the settings given (nil ones stay) and returns them all.
	// ifVersion > 0 demands that version. Errors: Precondition.
	SaveSettings(ctx context.Context, workspace string, ifVersion int, s Settings) (Workspace, error)
}

// Settings are the workspace options people change; nil leaves one as it is.
type Settings struct {
	DefaultCountry  *string
	AgentWalletOnly *bool
	Permissions     tenant.Permissions // the actions given are replaced; the others stay
}

// Settings returns the caller's workspace settings.
func (s *Service) Settings(ctx context.Context, caller tenant.Caller) (Workspace, error) {
	return s.Workspaces.Workspace(ctx, caller.Workspace)
}

// SetSettings changes settings from {defaultCountry?, agentWalletOnly?,
// permissions?}; owners and managers only. Errors: Forbidden, Invalid,
// Precondition.
func (s *Service) SetSettings(ctx context.Context, caller tenant.Caller, ifVersion int, doc map[string]any) (Workspace, error) {
	if !caller.IsManager() {
		return Workspace{}, ErrForbidden
	}
	var set Settings
	var problems []errs.FieldError
	for k, v := range doc {
		switch k {
		case "defaultCountry":
			c, ok := v.(string)
			r, err := language.ParseRegion(c)
			if !ok || err != nil || !r.IsCountry() || len(c) != 2 {
				problems = append(problems, errs.Field(k, "country_invalid"))
				continue
			}
			code := r.String()
			set.DefaultCountry = &code
		case "agentWalletOnly":
			b, ok := v.(bool)
			if !ok {
				problems = append(problems, errs.Field(k, "invalid_type", "type", "boolean"))
				continue
			}
			set.AgentWalletOnly = &b
		case "permissions":
			var p []errs.FieldError
			set.Permissions, p = ParsePermissions(k, v)
			problems = append(problems, p...)
		default:
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	if len(problems) > 0 {
		return Workspace{}, errs.Validation(problems)
	}
	return s.Workspaces.SaveSettings(ctx, caller.Workspace, ifVersion, set)
}

// FieldSettingsOf returns the field settings of w, the order completed with
// every field it leaves out.
func FieldSettingsOf(w Workspace) FieldSettings {
	return FieldSettings{Fields: w.Fields, Order: CompleteOrder(w.FieldOrder, w.Fields, StandardFields), Version: w.Version}
}

// Fields returns the caller's workspace's field settings.
func (s *Service) Fields(ctx context.Context, caller tenant.Caller) (FieldSettings, error) {
	w, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return FieldSettings{}, err
	}
	return FieldSettingsOf(w), nil
}

// SetFields replaces the field settings from doc ({fields, order});
// owners and managers only. Errors: Forbidden, Invalid, Precondition.
func (s *Service) SetFields(ctx context.Context, caller tenant.Caller, ifVersion int, doc map[string]any) (FieldSettings, error) {
	if !caller.IsManager() {
		return FieldSettings{}, ErrForbidden
	}
	fs, problems := ParseFieldSettings(doc)
	if len(problems) > 0 {
		return FieldSettings{}, errs.Validation(problems)
	}
	return s.Workspaces.SaveFields(ctx, caller.Workspace, ifVersion, fs)
}

// ParseFieldSettings validates {fields: [{key, label, type, options}], order: [key]}.
func ParseFieldSettings(doc map[string]any) (FieldSettings, []errs.FieldError) {
	return ParseFieldSettingsOf(doc, StandardFields)
}

// ParseFieldSettingsOf validates the field settings of an entity whose
// standard fields are standard (a custom key may not repeat one; the order
// names them and the custom keys).
func ParseFieldSettingsOf(doc map[string]any, standard []string) (FieldSettings, []errs.FieldError) {
	c := &checker{}
	var fs FieldSettings
	for k := range doc {
		if k != "fields" && k != "order" {
			c.add(errs.Field(k, "unknown_field"))
		}
	}
	list, ok := doc["fields"].([]any)
	switch {
	case doc["fields"] == nil:
		c.add(errs.Field("fields", "required"))
	case !ok:
		c.add(errs.Field("fields", "invalid_type", "type", "array"))
	case len(list) > MaxFieldDefinitions:
		c.add(errs.Field("fields", "too_many", "max", strconv.Itoa(MaxFieldDefinitions)))
	default:
		seen := map[string]bool{}
		for i, item := range list {
			def, ok := parseFieldDefinition(fmt.Sprintf("fields[%d]", i), item, c)
			if !ok {
				continue
			}
			if seen[def.Key] || slices.Contains(standard, def.Key) {
				c.add(errs.Field(fmt.Sprintf("fields[%d].key", i), "duplicate", "value", def.Key))
				continue
			}
			seen[def.Key] = true
			fs.Fields = append(fs.Fields, def)
		}
	}
	if raw, present := doc["order"]; present && raw != nil {
		order, ok := raw.([]any)
		if !ok {
			c.add(errs.Field("order", "invalid_type", "type", "array of field keys"))
		}
		seen := map[string]bool{}
		for i, v := range order {
			k, ok := v.(string)
			path := fmt.Sprintf("order[%d]", i)
			switch {
			case !ok:
				c.add(errs.Field(path, "invalid_type", "type", "string"))
			case seen[k]:
				c.add(errs.Field(path, "duplicate", "value", k))
			case !slices.Contains(standard, k) && !definesKey(fs.Fields, k):
				c.add(errs.Field(path, "unknown_field"))
			default:
				seen[k] = true
				fs.Order = append(fs.Order, k)
			}
		}
	}
	fs.Order = CompleteOrder(fs.Order, fs.Fields, standard)
	return fs, c.errors
}

func parseFieldDefinition(path string, item any, c *checker) (FieldDefinition, bool) {
	m, ok := item.(map[string]any)
	if !ok {
		c.add(errs.Field(path, "invalid_type", "type", "object"))
		return FieldDefinition{}, false
	}
	before := len(c.errors)
	for k := range m {
		if k != "key" && k != "label" && k != "type" && k != "options" {
			c.add(errs.Field(path+"."+k, "unknown_field"))
		}
	}
	var def FieldDefinition
	def.Key, _ = m["key"].(string)
	if !fieldKeyPattern.MatchString(def.Key) {
		c.add(errs.Field(path+".key", "key_invalid"))
	}
	def.Label = c.text(m, "label", MaxLabelRunes)
	if def.Label == "" {
		def.Label = def.Key
	}
	def.Type = FieldType(c.text(m, "type", 16))
	switch def.Type {
	case FieldText, FieldNumber, FieldBoolean, FieldDate:
		if m["options"] != nil {
			c.add(errs.Field(path+".options", "unknown_field"))
		}
	case FieldSelect, FieldMultiSelect:
		opts, ok := m["options"].([]any)
		if !ok || len(opts) == 0 {
			c.add(errs.Field(path+".options", "options_required"))
			break
		}
		if len(opts) > MaxFieldOptions {
			c.add(errs.Field(path+".options", "too_many", "max", strconv.Itoa(MaxFieldOptions)))
			break
		}
		for i, o := range opts {
			s, ok := o.(string)
			op := fmt.Sprintf("%s.options[%d]", path, i)
			switch {
			case !ok || s == "":
				c.add(errs.Field(op, "invalid_type", "type", "non-empty string"))
			case runeCount(s) > MaxLabelRunes:
				c.add(errs.Field(op, "too_long", "max", strconv.Itoa(MaxLabelRunes)))
			case slices.Contains(def.Options, s):
				c.add(errs.Field(op, "duplicate", "value", s))
			default:
				def.Options = append(def.Options, s)
			}
		}
	default:
		c.add(errs.Field(path+".type", "choice_invalid", "choices", "text, number, boolean, date, select, multiselect"))
	}
	return def, len(c.errors) == before
}

// CompleteOrder appends to order every field it leaves out, standard fields
// first, then custom ones in definition order.
func CompleteOrder(order []string, fields []FieldDefinition, standard []string) []string {
	out := append([]string(nil), order...)
	for _, k := range standard {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, f := range fields {
		if !slices.Contains(out, f.Key) {
			out = append(out, f.Key)
		}
	}
	return out
}

func definesKey(fields []FieldDefinition, key string) bool {
	for _, f := range fields {
		if f.Key == key {
			return true
		}
	}
	return false
}
