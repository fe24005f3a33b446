package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// lookupExternalID returns the ids GET /v1/contacts/lookup?externalId=
// answers in workspace ws ("" for the default).
func (f *fixture) lookupExternalID(t *testing.T, ws, externalID string) []string {
	t.Helper()
	r := f.do(t, call{route: "GET /v1/contacts/lookup", workspace: ws, query: map[string]string{"externalId": externalID}}).want(t, http.StatusOK)
	var out []string
	for _, it := range items(r) {
		out = append(out, it["id"].(string))
	}
	return out
}

// putByExternalID calls PUT /v1/contacts/by-external-id/{externalId}.
func (f *fixture) putByExternalID(t *testing.T, externalID, body string) result {
	t.Helper()
	return f.do(t, call{route: "PUT /v1/contacts/by-external-id/{externalId}", params: map[string]string{"externalId": externalID}, body: body})
}

// wantLookup fails unless the lookup of externalID finds exactly want
// (none when want is empty).
func (f *fixture) wantLookup(t *testing.T, externalID string, want ...string) {
	t.Helper()
	if got := f.lookupExternalID(t, "", externalID); !slices.Equal(got, want) {
		t.Errorf("lookup externalId=%s = %v, want %v", externalID, got, want)
	}
}

func TestExternalIDCreateConflictPatchDelete(t *testing.T) {
	f := newFixture(t)
	created := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Ana","phone":"+5511988880001","externalId":"  erp-42  "}`}).want(t, http.StatusCreated)
	id := created.body["id"].(string)
	if got, want := created.body["externalId"], "erp-42"; got != want {
		t.Errorf("created externalId = %v, want %q (trimmed)", got, want)
	}
	if got, want := f.getContact(t, id)["externalId"], "erp-42"; got != want {
		t.Errorf("GET externalId = %v, want %q", got, want)
	}
	f.wantLookup(t, "erp-42", id)

	// A second contact with the same externalId: 409, nothing written.
	before := f.countItems(t)
	r := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Bia","phone":"+5511988880002","externalId":"erp-42"}`}).want(t, http.StatusConflict)
	if got, want := r.body["code"], "external_id_taken"; got != want {
		t.Errorf("code = %v, want %q", got, want)
	}
	if got, want := r.fieldErrors(), []string{"externalId:external_id_taken"}; !slices.Equal(got, want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
	if got := f.countItems(t); got != before {
		t.Errorf("items after the refused create = %d, want %d (nothing written)", got, before)
	}
	other := f.create(t, `{"name":"Bia","phone":"+5511988880002","externalId":"erp-43"}`)
	r = f.do(t, call{route: "PATCH /v1/contacts/{id}", id: other, body: `{"externalId":"erp-42","company":"Acme"}`}).want(t, http.StatusConflict)
	if got, want := r.body["code"], "external_id_taken"; got != want {
		t.Errorf("PATCH code = %v, want %q", got, want)
	}
	if got := f.getContact(t, other); got["company"] != nil || got["externalId"] != "erp-43" {
		t.Errorf("after the refused PATCH: company %v, externalId %v; want unchanged", got["company"], got["externalId"])
	}

	// Invalid values name the field.
	for _, body := range []string{`{"externalId":"` + strings.Repeat("x", 201) + `"}`, `{"externalId":"a\u200bb"}`, `{"externalId":7}`} {
		r := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: body}).want(t, http.StatusUnprocessableEntity)
		if got := r.fieldErrors(); len(got) != 1 || !strings.HasPrefix(got[0], "externalId:") {
			t.Errorf("PATCH %s: errors = %v, want one on externalId", body, got)
		}
	}

	// PATCH moves it: the old value is free again.
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"externalId":"erp-99"}`}).want(t, http.StatusOK)
	f.wantLookup(t, "erp-42")
	f.wantLookup(t, "erp-99", id)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: other, body: `{"externalId":"erp-42"}`}).want(t, http.StatusOK)
	f.wantLookup(t, "erp-42", other)
	f.wantLookup(t, "erp-43")

	// null and "" remove it.
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"externalId":null}`}).want(t, http.StatusOK)
	if got := f.getContact(t, id)["externalId"]; got != nil {
		t.Errorf("externalId after null = %v, want none", got)
	}
	f.wantLookup(t, "erp-99")
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: other, body: `{"externalId":""}`}).want(t, http.StatusOK)
	f.wantLookup(t, "erp-42")

	// Delete frees it.
	third := f.create(t, `{"name":"Cris","phone":"+5511988880003","externalId":"erp-7"}`)
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: third}).want(t, http.StatusNoContent)
	f.wantLookup(t, "erp-7")
	f.create(t, `{"name":"Duda","phone":"+5511988880004","externalId":"erp-7"}`)
}

func TestExternalIDPutCreatesThenUpdates(t *testing.T) {
	f := newFixture(t)
	body := `{"name":"Erp Quarenta e Dois","phone":"(11) 98888-0042","company":"Acme"}`
	first := f.putByExternalID(t, "erp-42", body).want(t, http.StatusCreated)
	id := first.body["id"].(string)
	if got, want := first.headers["Location"], "/v1/contacts/"+id; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got, want := first.body["externalId"], "erp-42"; got != want {
		t.Errorf("externalId = %v, want %q", got, want)
	}
	items := f.countItems(t)
	second := f.putByExternalID(t, "erp-42", body).want(t, http.StatusOK)
	if got := second.body["id"]; got != id {
		t.Errorf("second PUT id = %v, want %s", got, id)
	}
	if got, want := second.body["version"], first.body["version"]; got != want {
		t.Errorf("second identical PUT version = %v, want %v (nothing changed)", got, want)
	}
	if got := f.countItems(t); got != items {
		t.Errorf("items after the second PUT = %d, want %d", got, items)
	}
	f.wantLookup(t, "erp-42", id)
	if got := len(f.lookupPhone(t, "acme", "+5511988880042")); got != 1 {
		t.Errorf("contacts with the phone = %d, want 1", got)
	}

	// An update is a merge patch of the fields given.
	third := f.putByExternalID(t, "erp-42", `{"company":"Acme Ltda","externalId":"erp-42"}`).want(t, http.StatusOK)
	if third.body["company"] != "Acme Ltda" || third.body["name"] != "Erp Quarenta e Dois" || third.body["phone"] != "+5511988880042" {
		t.Errorf("after PUT of company: %s", third.raw)
	}
	// The same validation as create and PATCH.
	r := f.putByExternalID(t, "erp-43", `{"name":"Sem contato"}`).want(t, http.StatusUnprocessableEntity)
	if got, want := r.fieldErrors(), []string{"phone:phone_or_email_required"}; !slices.Equal(got, want) {
		t.Errorf("create without phone or email: errors = %v, want %v", got, want)
	}
	r = f.putByExternalID(t, "erp-42", `{"phone":"12"}`).want(t, http.StatusUnprocessableEntity)
	if got, want := r.fieldErrors(), []string{"phone:phone_invalid"}; !slices.Equal(got, want) {
		t.Errorf("update with a bad phone: errors = %v, want %v", got, want)
	}
	r = f.putByExternalID(t, "erp-42", `{"externalId":"erp-44"}`).want(t, http.StatusUnprocessableEntity)
	if got, want := r.fieldErrors(), []string{"externalId:external_id_mismatch"}; !slices.Equal(got, want) {
		t.Errorf("body externalId unlike the path: errors = %v, want %v", got, want)
	}
	f.putByExternalID(t, strings.Repeat("x", 201), body).want(t, http.StatusUnprocessableEntity)
}

func TestExternalIDMergeAndUndo(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Alvo","phone":"+5511977770001"}`,
		`{"name":"Fonte","phone":"+5511977770002","externalId":"erp-fonte"}`,
		`{"name":"Alvo Dois","phone":"+5511977770003","externalId":"erp-alvo"}`,
		`{"name":"Fonte Dois","phone":"+5511977770004","externalId":"erp-fonte-2"}`,
	)
	target, source, target2, source2 := ids[0], ids[1], ids[2], ids[3]

	// The target has none: the source's moves to it.
	m := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"]}`}).want(t, http.StatusOK)
	if got, want := f.getContact(t, target)["externalId"], "erp-fonte"; got != want {
		t.Errorf("merged target externalId = %v, want %q", got, want)
	}
	f.wantLookup(t, "erp-fonte", target)
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": m.body["id"].(string)}, body: `{}`}).want(t, http.StatusOK)
	if got := f.getContact(t, target)["externalId"]; got != nil {
		t.Errorf("target externalId after undo = %v, want none", got)
	}
	if got, want := f.getContact(t, source)["externalId"], "erp-fonte"; got != want {
		t.Errorf("source externalId after undo = %v, want %q", got, want)
	}
	f.wantLookup(t, "erp-fonte", source)

	// The target has one: it keeps it, the source's is freed until an undo.
	m = f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target2, body: `{"sourceIds":["` + source2 + `"]}`}).want(t, http.StatusOK)
	if got, want := f.getContact(t, target2)["externalId"], "erp-alvo"; got != want {
		t.Errorf("merged target externalId = %v, want %q", got, want)
	}
	f.wantLookup(t, "erp-alvo", target2)
	f.wantLookup(t, "erp-fonte-2")
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": m.body["id"].(string)}, body: `{}`}).want(t, http.StatusOK)
	f.wantLookup(t, "erp-alvo", target2)
	f.wantLookup(t, "erp-fonte-2", source2)
	if got, want := f.getContact(t, source2)["externalId"], "erp-fonte-2"; got != want {
		t.Errorf("source externalId after undo = %v, want %q", got, want)
	}
}

// TestExternalIDTenantIsolation: an externalId is unique per workspace:
// another workspace's PUT of the same one creates its own contact, and
// neither sees the other's through the lookup.
func TestExternalIDTenantIsolation(t *testing.T) {
	f := newFixture(t)
	mine := f.putByExternalID(t, "erp-1", `{"name":"Da Acme","email":"a@acme.com"}`).want(t, http.StatusCreated).body["id"].(string)
	theirs := f.do(t, call{route: "PUT /v1/contacts/by-external-id/{externalId}", workspace: "globex", params: map[string]string{"externalId": "erp-1"},
		body: `{"name":"Da Globex","email":"g@globex.com"}`}).want(t, http.StatusCreated).body["id"].(string)
	if mine == theirs {
		t.Fatalf("both workspaces got contact %s", mine)
	}
	if got := f.lookupExternalID(t, "globex", "erp-1"); !slices.Equal(got, []string{theirs}) {
		t.Errorf("globex lookup = %v, want [%s]", got, theirs)
	}
	f.wantLookup(t, "erp-1", mine)
	if got, want := f.getContact(t, mine)["name"], "Da Acme"; got != want {
		t.Errorf("acme's contact name = %v, want %q", got, want)
	}
}

// TestExternalIDUndoWhenTaken: an externalId a merge freed and another
// contact took since cannot be given back: the undo is a 409
// merge_undo_conflict and changes nothing.
func TestExternalIDUndoWhenTaken(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Alvo","phone":"+5511966660001","externalId":"erp-alvo"}`,
		`{"name":"Fonte","phone":"+5511966660002","externalId":"erp-fonte"}`,
	)
	m := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: ids[0], body: `{"sourceIds":["` + ids[1] + `"]}`}).want(t, http.StatusOK)
	taker := f.create(t, `{"name":"Outra","phone":"+5511966660003","externalId":"erp-fonte"}`)
	r := f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": m.body["id"].(string)}, body: `{}`}).want(t, http.StatusConflict)
	if got, want := r.body["code"], "merge_undo_conflict"; got != want {
		t.Errorf("undo code = %v, want %q", got, want)
	}
	f.wantLookup(t, "erp-fonte", taker)
	f.wantLookup(t, "erp-alvo", ids[0])
	if got, want := f.mergedInto(t, ids[1]), ids[0]; got != want {
		t.Errorf("source merged into %q after the refused undo, want %q", got, want)
	}
}
