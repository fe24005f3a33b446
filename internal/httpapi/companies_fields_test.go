package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// createTag adds name to the catalogue and returns its id.
func (f *fixture) createTag(t *testing.T, name string) string {
	t.Helper()
	return f.do(t, call{route: "POST /v1/tags", body: `{"name":"` + name + `","color":"#ff0000"}`}).want(t, http.StatusCreated).body["id"].(string)
}

// tagNames returns the names of a company's (or list row's) tags.
func tagNames(v any) []string {
	var out []string
	for _, t := range v.([]any) {
		out = append(out, t.(map[string]any)["name"].(string))
	}
	return out
}

// TestCompanyTags: tags from the contacts' catalogue on create and PATCH,
// shown from the catalogue (a rename at once, a deleted tag gone), an
// unknown id or too many a 422 naming tags; nothing written then.
func TestCompanyTags(t *testing.T) {
	f := newFixture(t)
	vip, gold := f.createTag(t, "VIP"), f.createTag(t, "Ouro")
	created := f.do(t, call{route: "POST /v1/companies", body: `{"name":"Alfa","tags":["` + vip + `","` + gold + `","` + vip + `"]}`}).want(t, http.StatusCreated)
	id := created.body["id"].(string)
	if got, want := tagNames(created.body["tags"]), []string{"VIP", "Ouro"}; !slices.Equal(got, want) {
		t.Errorf("created with tags: %q, want %q", got, want)
	}
	if got := created.body["tags"].([]any)[0].(map[string]any); got["id"] != vip || got["color"] != "#ff0000" {
		t.Errorf("a tag shown as %v, want its id and color", got)
	}
	if got := f.do(t, call{route: "POST /v1/companies", body: `{"name":"Beta"}`}).want(t, http.StatusCreated).raw; !strings.Contains(got, `"tags":[]`) {
		t.Errorf("a company without tags: %s, want tags []", got)
	}

	unknown := "01jdx8k2m4n6p8r0s2t4v6w8y0"
	bad := f.do(t, call{route: "POST /v1/companies", body: `{"name":"Gama","tags":["` + vip + `","` + unknown + `"]}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := bad.fieldErrors(), []string{"tags[1]:tag_unknown"}; !slices.Equal(got, want) {
		t.Errorf("an unknown tag id: errors %v, want %v", got, want)
	}
	many := make([]string, 26)
	for i := range many {
		many[i] = `"` + vip + `"`
	}
	tooMany := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"tags":[` + strings.Join(many, ",") + `]}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := tooMany.fieldErrors(), []string{"tags:too_many"}; !slices.Equal(got, want) {
		t.Errorf("26 tags: errors %v, want %v", got, want)
	}
	notList := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"tags":"` + vip + `"}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := notList.fieldErrors(), []string{"tags:invalid_type"}; !slices.Equal(got, want) {
		t.Errorf("tags as a string: errors %v, want %v", got, want)
	}
	if got := f.companyNames(t, call{query: map[string]string{"q": "gama"}}); len(got) != 0 {
		t.Errorf("a refused create was written: %q", got)
	}

	f.do(t, call{route: "PATCH /v1/tags/{id}", id: vip, body: `{"name":"Cliente VIP"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "DELETE /v1/tags/{id}", id: gold}).want(t, http.StatusNoContent)
	got := f.do(t, call{route: "GET /v1/companies/{id}", id: id}).want(t, http.StatusOK)
	if got, want := tagNames(got.body["tags"]), []string{"Cliente VIP"}; !slices.Equal(got, want) {
		t.Errorf("after renaming VIP and deleting Ouro: tags %q, want %q", got, want)
	}
	row := f.do(t, call{route: "GET /v1/companies", query: map[string]string{"q": "alfa"}}).want(t, http.StatusOK).body["items"].([]any)[0]
	if got, want := tagNames(row.(map[string]any)["tags"]), []string{"Cliente VIP"}; !slices.Equal(got, want) {
		t.Errorf("the list row's tags %q, want %q", got, want)
	}

	patched := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"tags":["Nova Etiqueta"]}`, headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusOK)
	if got, want := tagNames(patched.body["tags"]), []string{"Nova Etiqueta"}; !slices.Equal(got, want) || patched.body["version"] != 2.0 {
		t.Errorf("PATCH tags by name: %s, want the tag created and version 2", patched.raw)
	}
	same := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"tags":["Nova Etiqueta"]}`}).want(t, http.StatusOK)
	if same.body["version"] != 2.0 {
		t.Errorf("a PATCH changing nothing: version %v, want 2", same.body["version"])
	}
	cleared := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"tags":null}`}).want(t, http.StatusOK)
	if !strings.Contains(cleared.raw, `"tags":[]`) {
		t.Errorf("PATCH tags null: %s, want tags []", cleared.raw)
	}
}

// TestCompanyFields: GET|PUT /v1/company-fields as the contacts' ones
// (roles, validation, versions), apart from them; a company's customFields
// validated against them on create and PATCH, merged key by key, values of
// a definition since removed kept when the PATCH does not touch them.
func TestCompanyFields(t *testing.T) {
	f := newFixture(t)
	empty := f.do(t, call{route: "GET /v1/company-fields"}).want(t, http.StatusOK)
	if got, want := fmt.Sprint(empty.body["order"]), "[name taxId domain phone email address ownerId tags]"; got != want || empty.headers["ETag"] != `"1"` {
		t.Errorf("no definitions: order %s ETag %s, want %s and \"1\"", got, empty.headers["ETag"], want)
	}
	defs := `{"fields":[{"key":"plan","label":"Plano","type":"select","options":["free","pro"]},{"key":"seats","type":"number"}],"order":["name","plan"]}`
	f.do(t, call{route: "PUT /v1/company-fields", body: defs, role: "agent"}).want(t, http.StatusForbidden)
	bad := f.do(t, call{route: "PUT /v1/company-fields", body: `{"fields":[{"key":"domain","type":"text"},{"key":"Bad","type":"color"}]}`}).want(t, http.StatusUnprocessableEntity)
	for _, want := range []string{"fields[0].key:duplicate", "fields[1].key:key_invalid", "fields[1].type:choice_invalid"} {
		if !slices.Contains(bad.fieldErrors(), want) {
			t.Errorf("bad definitions: errors %v, want %s among them", bad.fieldErrors(), want)
		}
	}
	f.do(t, call{route: "PUT /v1/company-fields", body: defs, headers: map[string]string{"If-Match": `"5"`}}).want(t, http.StatusPreconditionFailed)
	saved := f.do(t, call{route: "PUT /v1/company-fields", body: defs, headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusOK)
	if got, want := fmt.Sprint(saved.body["order"]), "[name plan taxId domain phone email address ownerId tags seats]"; got != want || saved.headers["ETag"] != `"2"` {
		t.Errorf("saved: order %s ETag %s, want %s and \"2\"", got, saved.headers["ETag"], want)
	}
	if got := f.do(t, call{route: "GET /v1/contact-fields"}).want(t, http.StatusOK); strings.Contains(got.raw, "plan") {
		t.Errorf("the contact fields show the company ones: %s", got.raw)
	}
	if got := f.do(t, call{route: "GET /v1/company-fields", workspace: "globex"}).want(t, http.StatusOK); strings.Contains(got.raw, "plan") {
		t.Errorf("another workspace sees the definitions: %s", got.raw)
	}
	f.do(t, call{route: "PUT /v1/company-fields", body: `{"fields":[]}`, workspace: "globex"}).want(t, http.StatusOK)
	if got := f.do(t, call{route: "GET /v1/company-fields"}).want(t, http.StatusOK); !strings.Contains(got.raw, "plan") {
		t.Errorf("another workspace's save changed acme's definitions: %s", got.raw)
	}

	invalid := f.do(t, call{route: "POST /v1/companies", body: `{"name":"","customFields":{"plan":"gold","seats":"x","color":"red"}}`}).want(t, http.StatusUnprocessableEntity)
	for _, want := range []string{"name:required", "customFields.plan:choice_invalid", "customFields.seats:invalid_type", "customFields.color:unknown_field"} {
		if !slices.Contains(invalid.fieldErrors(), want) {
			t.Errorf("bad custom fields: errors %v, want %s among them", invalid.fieldErrors(), want)
		}
	}
	created := f.do(t, call{route: "POST /v1/companies", body: `{"name":"Alfa","customFields":{"plan":"pro","seats":12}}`}).want(t, http.StatusCreated)
	id := created.body["id"].(string)
	if got, want := fmt.Sprint(created.body["customFields"]), "map[plan:pro seats:12]"; got != want {
		t.Errorf("created customFields %s, want %s", got, want)
	}
	patched := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"customFields":{"seats":null}}`}).want(t, http.StatusOK)
	if got, want := fmt.Sprint(patched.body["customFields"]), "map[plan:pro]"; got != want {
		t.Errorf("after seats: null: customFields %s, want %s", got, want)
	}
	// plan's definition goes: the value stays, and does not block an edit
	// of something else; setting it again is refused.
	f.do(t, call{route: "PUT /v1/company-fields", body: `{"fields":[{"key":"seats","type":"number"}]}`}).want(t, http.StatusOK)
	renamed := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"name":"Alfa Matriz","customFields":{"seats":3}}`}).want(t, http.StatusOK)
	if got, want := fmt.Sprint(renamed.body["customFields"]), "map[plan:pro seats:3]"; got != want {
		t.Errorf("after the definition went: customFields %s, want %s", got, want)
	}
	gone := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"customFields":{"plan":"free"}}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := gone.fieldErrors(), []string{"customFields.plan:unknown_field"}; !slices.Equal(got, want) {
		t.Errorf("a removed definition set: errors %v, want %v", got, want)
	}
	cleared := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"customFields":null}`}).want(t, http.StatusOK)
	if _, ok := cleared.body["customFields"]; ok {
		t.Errorf("customFields null: %s, want none", cleared.raw)
	}
}

// TestCompanyFilters: tag and ownerId filters alone, together and with q,
// in both orders, paged by cursors that hold for their filters only;
// malformed ones are 422s naming them; a change of tags or owner moves the
// company between the lists.
func TestCompanyFilters(t *testing.T) {
	f := newFixture(t)
	vip, gold := f.createTag(t, "VIP"), f.createTag(t, "Ouro")
	for _, body := range []string{
		`{"name":"Alfa Verde","tags":["` + vip + `"],"ownerId":"agent-1"}`,
		`{"name":"Delta Ótica","tags":["` + vip + `"],"ownerId":"agent-1"}`,
		`{"name":"Beta Alimentos","tags":["` + vip + `","` + gold + `"]}`,
		`{"name":"Casa Verde","tags":["` + gold + `"],"ownerId":"agent-1"}`,
		`{"name":"Álamo Transportes","ownerId":"agent-2"}`,
	} {
		f.createCompany(t, body)
	}
	for _, tt := range []struct {
		query map[string]string
		want  string
	}{
		{map[string]string{"tag": vip}, "Alfa Verde, Beta Alimentos, Delta Ótica"},
		{map[string]string{"tag": vip, "sort": "-createdAt"}, "Beta Alimentos, Delta Ótica, Alfa Verde"},
		{map[string]string{"ownerId": "agent-1"}, "Alfa Verde, Casa Verde, Delta Ótica"},
		{map[string]string{"ownerId": "agent-1", "sort": "-createdAt"}, "Casa Verde, Delta Ótica, Alfa Verde"},
		{map[string]string{"ownerId": "agent-1", "tag": gold}, "Casa Verde"},
		{map[string]string{"tag": vip, "q": "verde"}, "Alfa Verde"},
		{map[string]string{"ownerId": "agent-2", "tag": vip}, ""},
		{map[string]string{"ownerId": "nobody"}, ""},
	} {
		if got := strings.Join(f.companyNames(t, call{query: tt.query}), ", "); got != tt.want {
			t.Errorf("%v lists %q, want %q", tt.query, got, tt.want)
		}
	}

	var got []string
	cursor := ""
	for pages := 0; pages < 5; pages++ {
		q := map[string]string{"tag": vip, "limit": "1", "sort": "-createdAt"}
		if cursor != "" {
			q["cursor"] = cursor
		}
		r := f.do(t, call{route: "GET /v1/companies", query: q}).want(t, http.StatusOK)
		for _, it := range r.body["items"].([]any) {
			got = append(got, it.(map[string]any)["name"].(string))
		}
		if cursor, _ = r.body["nextCursor"].(string); cursor == "" {
			break
		}
		for _, other := range []map[string]string{{"tag": gold, "sort": "-createdAt"}, {"tag": vip}, {"ownerId": "agent-1", "sort": "-createdAt"}} {
			other["cursor"] = cursor
			f.do(t, call{route: "GET /v1/companies", query: other}).want(t, http.StatusBadRequest)
		}
	}
	if want := []string{"Beta Alimentos", "Delta Ótica", "Alfa Verde"}; !slices.Equal(got, want) {
		t.Errorf("tag=VIP newest first, a page of 1 at a time: %q, want %q", got, want)
	}

	bad := f.do(t, call{route: "GET /v1/companies", query: map[string]string{"tag": "vip", "ownerId": "a b"}}).want(t, http.StatusUnprocessableEntity)
	if got, want := strings.Join(bad.fieldErrors(), " "), "tag:id_invalid ownerId:id_invalid"; got != want {
		t.Errorf("malformed filters: %s, want %s", got, want)
	}
	f.do(t, call{route: "GET /v1/companies", query: map[string]string{"tag": gold}, workspace: "globex"}).want(t, http.StatusUnprocessableEntity)

	beta := f.do(t, call{route: "GET /v1/companies", query: map[string]string{"q": "beta"}}).want(t, http.StatusOK).body["items"].([]any)[0].(map[string]any)["id"].(string)
	f.do(t, call{route: "PATCH /v1/companies/{id}", id: beta, body: `{"name":"Zeta Alimentos","tags":["` + gold + `"],"ownerId":"agent-1"}`}).want(t, http.StatusOK)
	for _, tt := range []struct {
		query map[string]string
		want  string
	}{
		{map[string]string{"tag": vip}, "Alfa Verde, Delta Ótica"},
		{map[string]string{"tag": gold}, "Casa Verde, Zeta Alimentos"},
		{map[string]string{"ownerId": "agent-1"}, "Alfa Verde, Casa Verde, Delta Ótica, Zeta Alimentos"},
	} {
		if got := strings.Join(f.companyNames(t, call{query: tt.query}), ", "); got != tt.want {
			t.Errorf("after the PATCH, %v lists %q, want %q", tt.query, got, tt.want)
		}
	}

	// A deleted tag filters nothing: 422, as on the contact list, though
	// its rows stay on the companies until their next write.
	f.do(t, call{route: "DELETE /v1/tags/{id}", id: gold}).want(t, http.StatusNoContent)
	gone := f.do(t, call{route: "GET /v1/companies", query: map[string]string{"tag": gold}}).want(t, http.StatusUnprocessableEntity)
	if got, want := gone.fieldErrors(), []string{"tag:tag_unknown"}; !slices.Equal(got, want) {
		t.Errorf("a deleted tag's filter: errors %v, want %v", got, want)
	}

	// A wallet-bound agent lists its own wallet's rows; another owner's
	// filter shows it nothing.
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`}).want(t, http.StatusOK)
	agent := func(q map[string]string) call { return call{role: "agent", sub: "agent-2", query: q} }
	if got := strings.Join(f.companyNames(t, agent(nil)), ", "); got != "Álamo Transportes" {
		t.Errorf("agent-2's list: %q, want only its company", got)
	}
	if got := f.companyNames(t, agent(map[string]string{"ownerId": "agent-1"})); len(got) != 0 {
		t.Errorf("agent-2 filtering by agent-1: %q, want none", got)
	}
}
