package ids

import (
	"strconv"

	"github.com/omnichannel/contacts/internal/errs"
)

// List reads a request's list of ids (field names it in errors): 1 to max
// valid ids, each kept once, in order. Errors: one FieldError per broken
// rule (invalid_type, required, too_many, id_invalid at its index).
func List(field string, v any, max int) ([]string, []errs.FieldError) {
	list, ok := v.([]any)
	switch {
	case !ok:
		return nil, []errs.FieldError{errs.Field(field, "invalid_type", "type", "array of ids")}
	case len(list) == 0:
		return nil, []errs.FieldError{errs.Field(field, "required")}
	case len(list) > max:
		return nil, []errs.FieldError{errs.Field(field, "too_many", "max", strconv.Itoa(max))}
	}
	seen := make(map[string]bool, len(list))
	var out []string
	var problems []errs.FieldError
	for i, x := range list {
		id, ok := x.(string)
		if !ok || !Valid(id) {
			problems = append(problems, errs.Field(field+"["+strconv.Itoa(i)+"]", "id_invalid"))
			continue
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, problems
}
