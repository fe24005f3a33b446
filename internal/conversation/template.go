package conversation

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/errs"
)

// Template is a message template: the only way to start a conversation on
// the official WhatsApp API. Its parameters are {{1}}, {{2}}... in its body.
type Template struct {
	Name           string
	Language       string // e.g. pt_BR
	Category       string // marketing, utility, authentication
	Body           string
	ParameterCount int
	Status         string // approved, pending, rejected: only approved ones start conversations
	UpdatedAt      time.Time
}

// Template statuses.
const (
	TemplateApproved = "approved"
	TemplatePending  = "pending"
	TemplateRejected = "rejected"
)

// Limits of templates.
const (
	MaxTemplates          = 500
	MaxTemplateBodyRunes  = 1024
	MaxTemplateParameters = 20
	MaxParameterRunes     = 1000
)

var (
	templateNamePattern = regexp.MustCompile(`^[a-z0-9_]{1,100}$`)
	languagePattern     = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
	placeholderPattern  = regexp.MustCompile(`\{\{\s*(\d+)\s*\}\}`)
)

// ValidTemplateName reports whether name can name a template.
func ValidTemplateName(name string) bool { return templateNamePattern.MatchString(name) }

// ParseTemplate reads {language, body?, parameterCount?, status?, category?}
// for the template name. The parameter count is that of the body's
// placeholders ({{1}}..{{n}}) when a body is given.
func ParseTemplate(name string, doc map[string]any, now time.Time) (Template, []errs.FieldError) {
	t := Template{Name: name, Status: TemplateApproved, UpdatedAt: now}
	var problems []errs.FieldError
	if !ValidTemplateName(name) {
		problems = append(problems, errs.Field("name", "template_name_invalid"))
	}
	count, hasCount := -1, false
	for k, v := range doc {
		switch k {
		case "language", "body", "status", "category":
			s, ok := v.(string)
			if !ok {
				problems = append(problems, errs.Field(k, "invalid_type", "type", "string"))
				continue
			}
			s = strings.TrimSpace(s)
			switch k {
			case "language":
				t.Language = s
			case "body":
				t.Body = s
			case "status":
				t.Status = s
			case "category":
				t.Category = s
			}
		case "parameterCount":
			n, ok := number(v)
			if !ok || n != float64(int(n)) || n < 0 || n > MaxTemplateParameters {
				problems = append(problems, errs.Field(k, "parameter_count_invalid", "max", strconv.Itoa(MaxTemplateParameters)))
				continue
			}
			count, hasCount = int(n), true
		default:
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	if t.Language == "" {
		problems = append(problems, errs.Field("language", "required"))
	} else if !languagePattern.MatchString(t.Language) {
		problems = append(problems, errs.Field("language", "template_language_invalid"))
	}
	switch t.Status {
	case TemplateApproved, TemplatePending, TemplateRejected:
	default:
		problems = append(problems, errs.Field("status", "choice_invalid", "choices", "approved, pending, rejected"))
	}
	switch t.Category {
	case "", "marketing", "utility", "authentication":
	default:
		problems = append(problems, errs.Field("category", "choice_invalid", "choices", "marketing, utility, authentication"))
	}
	if len([]rune(t.Body)) > MaxTemplateBodyRunes {
		problems = append(problems, errs.Field("body", "too_long", "max", strconv.Itoa(MaxTemplateBodyRunes)))
	}
	if t.Body != "" {
		n, ok := placeholders(t.Body)
		switch {
		case !ok:
			problems = append(problems, errs.Field("body", "template_placeholders_invalid"))
		case n > MaxTemplateParameters:
			problems = append(problems, errs.Field("body", "too_many", "max", strconv.Itoa(MaxTemplateParameters)))
		case hasCount && count != n:
			problems = append(problems, errs.Field("parameterCount", "parameter_count_mismatch", "count", strconv.Itoa(n)))
		}
		t.ParameterCount = n
	} else if hasCount {
		t.ParameterCount = count
	} else {
		problems = append(problems, errs.Field("body", "required"))
	}
	return t, problems
}

// placeholders returns how many parameters the body has: its placeholders
// must be {{1}}..{{n}}, each at least once.
func placeholders(body string) (int, bool) {
	seen := map[int]bool{}
	max := 0
	for _, m := range placeholderPattern.FindAllStringSubmatch(body, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 || n > 100 {
			return 0, false
		}
		seen[n] = true
		if n > max {
			max = n
		}
	}
	return max, len(seen) == max
}

// TemplateUse is a template chosen to start a conversation, with its values.
type TemplateUse struct {
	Name       string   `json:"name"`
	Language   string   `json:"language"`
	Parameters []string `json:"parameters"`
}

// parseTemplateUse reads {name, language?, parameters?}.
func parseTemplateUse(v any) (*TemplateUse, []errs.FieldError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, []errs.FieldError{errs.Field("template", "invalid_type", "type", "object")}
	}
	var problems []errs.FieldError
	use := &TemplateUse{Parameters: []string{}}
	for k, v := range m {
		switch k {
		case "name", "language":
			s, ok := v.(string)
			if !ok {
				problems = append(problems, errs.Field("template."+k, "invalid_type", "type", "string"))
				continue
			}
			if k == "name" {
				use.Name = strings.TrimSpace(s)
			} else {
				use.Language = strings.TrimSpace(s)
			}
		case "parameters":
			list, ok := v.([]any)
			if !ok || len(list) > MaxTemplateParameters {
				problems = append(problems, errs.Field("template.parameters", "invalid_type", "type", "array of at most "+strconv.Itoa(MaxTemplateParameters)+" strings"))
				continue
			}
			for i, p := range list {
				s, ok := p.(string)
				path := "template.parameters[" + strconv.Itoa(i) + "]"
				switch {
				case !ok:
					problems = append(problems, errs.Field(path, "invalid_type", "type", "string"))
				case strings.TrimSpace(s) == "":
					problems = append(problems, errs.Field(path, "required"))
				case len([]rune(s)) > MaxParameterRunes:
					problems = append(problems, errs.Field(path, "too_long", "max", strconv.Itoa(MaxParameterRunes)))
				}
				use.Parameters = append(use.Parameters, s)
			}
		default:
			problems = append(problems, errs.Field("template."+k, "unknown_field"))
		}
	}
	if use.Name == "" {
		problems = append(problems, errs.Field("template.name", "required"))
	}
	return use, problems
}

// number reads a JSON number, decoded as json.Number or float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}
