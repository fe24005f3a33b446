package search

import (
	"slices"
	"testing"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
)

func codes(problems []errs.FieldError) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.Field+":"+p.Code)
	}
	return out
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		want   []string
	}{
		{"none", map[string]string{}, nil},
		{"all good", map[string]string{"q": "maria", "tag": "vip, vip,b", "ownerId": "u1", "blocked": "true", "pending": "false", "sort": "-createdAt", "limit": "50"}, nil},
		{"bad values", map[string]string{"blocked": "yes", "sort": "phone", "limit": "0", "x": "1"},
			[]string{"blocked:choice_invalid", "limit:limit_invalid", "sort:choice_invalid", "x:unknown_field"}},
		{"too many tags", map[string]string{"tag": "a,b,c,d,e,f,g,h,i,j,k"}, []string{"tag:too_many"}},
	}
	for _, tt := range tests {
		if _, problems := parseParams(tt.params); !slices.Equal(codes(problems), tt.want) {
			t.Errorf("%s: problems = %v, want %v", tt.name, codes(problems), tt.want)
		}
	}
	q, _ := parseParams(map[string]string{"tag": "vip, vip,b", "sort": "-createdAt", "limit": "50", "blocked": "true"})
	if !slices.Equal(q.TagIDs, []string{"vip", "b"}) || q.Order != ByNewest || q.Limit != 50 || !q.Blocked {
		t.Errorf("parseParams = %+v", q)
	}
	if q, _ := parseParams(nil); q.Order != ByName || q.Limit != DefaultLimit {
		t.Errorf("defaults = %+v, want by name, %d", q, DefaultLimit)
	}
}

// TestScopeOf: a cursor continues only the list it was made for; the order
// of tags does not make another list.
func TestScopeOf(t *testing.T) {
	a, _ := parseParams(map[string]string{"tag": "a,b", "q": "maria"})
	b, _ := parseParams(map[string]string{"tag": "b,a", "q": "maria"})
	c, _ := parseParams(map[string]string{"tag": "a,b", "q": "maria", "blocked": "true"})
	if scopeOf(a) != scopeOf(b) {
		t.Errorf("scope depends on the tags' order: %q, %q", scopeOf(a), scopeOf(b))
	}
	if scopeOf(a) == scopeOf(c) {
		t.Error("the blocked list has the same scope as the active one")
	}
}

func TestResolveTag(t *testing.T) {
	catalog := map[string]contact.TagRef{"t1": {ID: "t1", Name: "Cliente  VIP"}}
	for ref, want := range map[string]string{"t1": "t1", "cliente vip": "t1", " CLIENTE VIP ": "t1", "vip": ""} {
		if got, ok := resolveTag(catalog, ref); got != want || ok != (want != "") {
			t.Errorf("resolveTag(%q) = %q, %v; want %q", ref, got, ok, want)
		}
	}
}

func TestFilterParams(t *testing.T) {
	got, problems := FilterParams(map[string]any{"q": "maria", "tag": []any{"a", "b"}, "blocked": true})
	if len(problems) > 0 || got["q"] != "maria" || got["tag"] != "a,b" || got["blocked"] != "true" {
		t.Errorf("FilterParams = %v, %v", got, problems)
	}
	_, problems = FilterParams(map[string]any{"tag": []any{"a", 1}, "limit": 5.0})
	slices.SortFunc(problems, func(a, b errs.FieldError) int { return len(a.Field) - len(b.Field) })
	if want := []string{"filter.tag:invalid_type", "filter.limit:invalid_type"}; !slices.Equal(codes(problems), want) {
		t.Errorf("problems = %v, want %v", codes(problems), want)
	}
}
