package company

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/contact"
)

// TestParseListFilters: tag and ownerId are read, a malformed one is an
// error naming it.
func TestParseListFilters(t *testing.T) {
	q, problems := parseList(map[string]string{"tag": " 01jdx4q0a1b2c3d4e5f6g7h8j9 ", "ownerId": "agent-1", "sort": "-createdAt"})
	if len(problems) > 0 || q.Tag != "01jdx4q0a1b2c3d4e5f6g7h8j9" || q.OwnerID != "agent-1" || q.Sort != SortNewest {
		t.Errorf("parseList = %+v %v, want the tag, the owner and newest first", q, problems)
	}
	_, problems = parseList(map[string]string{"tag": "vip", "ownerId": "a b"})
	var got []string
	for _, p := range problems {
		got = append(got, p.Field+":"+p.Code)
	}
	if want := []string{"tag:id_invalid", "ownerId:id_invalid"}; !slices.Equal(got, want) {
		t.Errorf("malformed filters: %v, want %v", got, want)
	}
}

// TestPatchExtras: a merge patch replaces the tags when it names them,
// merges custom fields key by key (untouched ones kept as they are, even
// without a definition), and leaves both out of the document Parse reads.
func TestPatchExtras(t *testing.T) {
	s := &Service{}
	c := &Company{Profile: Profile{Name: "Acme"}, TagIDs: []string{"a", "b"}, CustomFields: map[string]any{"plan": "pro", "old": "kept"}}
	defs := []contact.FieldDefinition{{Key: "plan", Type: contact.FieldText}, {Key: "seats", Type: contact.FieldNumber}}
	base, problems := s.patchExtras(c, map[string]any{"name": "Acme SA", "tags": []any{"c"}, "customFields": map[string]any{"plan": nil, "seats": 3.0}}, []string{"c"}, defs)
	if len(problems) > 0 || base["name"] != "Acme SA" || base["customFields"] != nil {
		t.Fatalf("patchExtras = %v %v, want the patched document without customFields", base, problems)
	}
	if !slices.Equal(c.TagIDs, []string{"c"}) || len(c.CustomFields) != 2 || c.CustomFields["old"] != "kept" || c.CustomFields["seats"] != 3.0 {
		t.Errorf("after the patch: tags %v, customFields %v, want [c] and old kept, seats 3, plan gone", c.TagIDs, c.CustomFields)
	}
	_, problems = s.patchExtras(c, map[string]any{"customFields": map[string]any{"color": "red"}}, nil, defs)
	if len(problems) != 1 || problems[0].Field != "customFields.color" {
		t.Errorf("an undefined key: %v, want customFields.color", problems)
	}
	if !slices.Equal(c.TagIDs, []string{"c"}) {
		t.Errorf("a patch without tags changed them: %v", c.TagIDs)
	}
}

// TestEqual: every stored member counts, the tags shown do not.
func TestEqual(t *testing.T) {
	now := time.Now()
	a := Company{ID: "x", Profile: Profile{Name: "Acme"}, TagIDs: []string{"t"}, CustomFields: map[string]any{"m": []any{"a"}}, UpdatedAt: now}
	b := a
	b.Tags = []contact.TagRef{{ID: "t"}}
	if !a.Equal(&b) {
		t.Error("a copy with tags shown is not Equal")
	}
	for name, change := range map[string]func(*Company){
		"tags":         func(c *Company) { c.TagIDs = []string{"u"} },
		"customFields": func(c *Company) { c.CustomFields = map[string]any{"m": []any{"b"}} },
		"name":         func(c *Company) { c.Name = strings.ToUpper(c.Name) },
		"updatedAt":    func(c *Company) { c.UpdatedAt = now.Add(time.Second) },
	} {
		c := a
		change(&c)
		if a.Equal(&c) {
			t.Errorf("a change of %s is Equal", name)
		}
	}
}
