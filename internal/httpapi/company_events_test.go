package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/omnichannel/contacts/internal/changes"
)

// TestCompanyChangeEvents: a company's create, field changes and delete,
// read back from the table's stream, publish company.created (every field
// set), company.updated (the changed fields, old and new, in the API's
// names) and company.deleted, with its version rising; its CNPJ guard and
// index rows, a PATCH that changes nothing and a refused one publish
// nothing. Linking and unlinking a contact is a contact.updated of
// companyId (the delete's unlink too).
func TestCompanyChangeEvents(t *testing.T) {
	f := newStreamFixture(t)
	s := f.stream(t)
	bridge := &fakeBridge{}
	co := f.createCompany(t, `{"name":"Clínica Viva","taxId":"12.ABC.345/01DE-35","address":{"city":"São Paulo"}}`)
	f.do(t, call{route: "PATCH /v1/companies/{id}", id: co, body: `{"name":"Clínica Viva Mais","address":{"state":"SP"},"domain":"viva.com.br"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/companies/{id}", id: co, body: `{"name":"Clínica Viva Mais"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/companies/{id}", id: co, body: `{"taxId":"1"}`}).want(t, http.StatusUnprocessableEntity)
	ana := f.create(t, `{"name":"Ana Lima","email":"ana@viva.com.br"}`)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: ana, body: `{"companyId":"` + co + `"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "DELETE /v1/companies/{id}", id: co}).want(t, http.StatusNoContent)

	evs := f.publish(t, s, bridge)
	mine := withDetail(evs, "companyId", co)
	if got, want := typesOf(mine), []string{changes.CompanyCreated, changes.CompanyUpdated, changes.CompanyDeleted}; !slices.Equal(got, want) {
		t.Fatalf("events of the company:\n got %v\nwant %v", got, want)
	}
	created := mine[0].Detail
	if want := map[string]any{"name": map[string]any{"old": nil, "new": "Clínica Viva"}, "taxId": map[string]any{"old": nil, "new": "12ABC34501DE35"},
		"address": map[string]any{"old": nil, "new": map[string]any{"city": "São Paulo"}}}; !jsonEqual(created["changes"], want) {
		t.Errorf("created: changes %v, want %v", created["changes"], want)
	}
	if created["actor"] != "user-owner-1" || created["version"] != 1.0 || created["workspace"] != "acme" {
		t.Errorf("created: %v", created)
	}
	updated := mine[1].Detail
	if want := map[string]any{"name": map[string]any{"old": "Clínica Viva", "new": "Clínica Viva Mais"}, "domain": map[string]any{"old": nil, "new": "viva.com.br"},
		"address": map[string]any{"old": map[string]any{"city": "São Paulo"}, "new": map[string]any{"city": "São Paulo", "state": "SP"}}}; !jsonEqual(updated["changes"], want) {
		t.Errorf("updated: changes %v, want %v", updated["changes"], want)
	}
	if updated["version"] != 2.0 || updated["actor"] != "user-owner-1" {
		t.Errorf("updated: %v", updated)
	}
	if deleted := mine[2].Detail; deleted["version"] != 2.0 || deleted["actor"] != nil || deleted["changes"] != nil {
		t.Errorf("deleted: %v, want version 2, no actor, no changes", deleted)
	}

	var links []any
	for _, e := range ofContact(evs, ana) {
		if e.Type == changes.ContactUpdated {
			links = append(links, e.Detail["changes"])
		}
	}
	if want := []any{map[string]any{"companyId": map[string]any{"old": nil, "new": co}}, map[string]any{"companyId": map[string]any{"old": co, "new": nil}}}; !jsonEqual(links, want) {
		t.Errorf("contact.updated of the contact: changes %v, want the link then the unlink", links)
	}
	if n := len(evs) - len(mine) - len(ofContact(evs, ana)); n != 0 {
		t.Errorf("%d events of neither the company nor the contact: %v", n, evs)
	}
	checkSchemas(t, evs)
}

// TestCompanyTagsAndFieldsChanges: a PATCH of a company's tags alone, or of
// its custom fields alone, is a company.updated naming them (tags as ids,
// customFields as a whole object) and an updated timeline entry listing
// them.
func TestCompanyTagsAndFieldsChanges(t *testing.T) {
	f := newStreamFixture(t)
	s := f.stream(t)
	f.do(t, call{route: "PUT /v1/company-fields", body: `{"fields":[{"key":"plan","type":"text"}]}`}).want(t, http.StatusOK)
	co := f.createCompany(t, `{"name":"Clínica Delta"}`)
	tagged := f.do(t, call{route: "PATCH /v1/companies/{id}", id: co, body: `{"tags":["VIP"]}`}).want(t, http.StatusOK)
	vip := tagged.body["tags"].([]any)[0].(map[string]any)["id"]
	f.do(t, call{route: "PATCH /v1/companies/{id}", id: co, body: `{"customFields":{"plan":"pro"}}`}).want(t, http.StatusOK)

	kinds, entries := f.companyTimeline(t, call{id: co}, "50")
	if want := []string{"updated", "updated", "created"}; !slices.Equal(kinds, want) {
		t.Fatalf("timeline = %v, want %v", kinds, want)
	}
	if got, want := []any{entries[1]["fields"], entries[0]["fields"]}, []any{[]any{"tags"}, []any{"customFields"}}; !jsonEqual(got, want) {
		t.Errorf("updated entries' fields = %v, want %v", got, want)
	}
	mine := withDetail(f.publish(t, s, &fakeBridge{}), "companyId", co)
	if got, want := typesOf(mine), []string{changes.CompanyCreated, changes.CompanyUpdated, changes.CompanyUpdated}; !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	want := []any{
		map[string]any{"tags": map[string]any{"old": nil, "new": []any{vip}}},
		map[string]any{"customFields": map[string]any{"old": nil, "new": map[string]any{"plan": "pro"}}},
	}
	if got := []any{mine[1].Detail["changes"], mine[2].Detail["changes"]}; !jsonEqual(got, want) {
		t.Errorf("updated changes = %v, want %v", got, want)
	}
}
