package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
)

// holding returns every item of the table (a test-only Scan) holding one
// of marks, as text.
func (f *fixture) holding(t *testing.T, marks ...string) []string {
	t.Helper()
	return dynamotest.Items(t, f.client, f.table, func(it map[string]types.AttributeValue) bool {
		text := dynamotest.Render(it)
		return slices.ContainsFunc(marks, func(m string) bool { return strings.Contains(text, m) })
	})
}

// TestDeleteLeavesNoPersonalData: a contact created with an
// Idempotency-Key, given a note and a conversation each with a key, and a
// second one (also created with a key, with a keyed note) merged into it,
// are deleted with the survivor: no item of the table holds their data
// after, neither an idempotency record nor a merge record.
func TestDeleteLeavesNoPersonalData(t *testing.T) {
	f := newFixture(t)
	key := func(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }
	keep := f.create(t, `{"name":"Restante","email":"restante@outra.com"}`) // another contact: its data stays
	id := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Rita Retida","phone":"(11) 96666-5555","email":"rita@retida.com"}`, headers: key("create-rita")}).want(t, http.StatusCreated).body["id"].(string)
	f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":"Segredo da Rita"}`, headers: key("note-rita")}).want(t, http.StatusCreated)
	f.do(t, call{route: "POST /v1/conversations", body: `{"contactId":"` + id + `","channel":"sms","teamId":"t1"}`, headers: key("talk-rita")}).want(t, http.StatusCreated)
	twin := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Rita Gêmea","email":"rita@retida.com","company":"Retida Gêmea"}`, headers: key("create-twin")}).want(t, http.StatusCreated).body["id"].(string)
	f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: twin, body: `{"text":"Segredo da Gêmea"}`, headers: key("note-twin")}).want(t, http.StatusCreated)
	f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: id, body: `{"sourceIds":["` + twin + `"]}`}).want(t, http.StatusOK)
	marks := []string{"Rita", "rita@", "966665555", "Segredo", "Retida", "Gêmea"}
	if len(f.holding(t, marks...)) == 0 {
		t.Fatal("nothing holds the contacts' data before the delete: the test checks nothing")
	}
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: id}).want(t, http.StatusNoContent)
	for _, it := range f.holding(t, marks...) {
		t.Errorf("personal data left after the delete: %s", it)
	}
	if len(f.holding(t, "restante@")) == 0 {
		t.Errorf("the delete took another contact's data")
	}
	f.do(t, call{route: "GET /v1/contacts/{id}", id: keep}).want(t, http.StatusOK)
	// The keys are free again: a retry creates anew, it does not replay the deleted contact.
	again := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Rita Retida","phone":"(11) 96666-5555","email":"rita@retida.com"}`, headers: key("create-rita")}).want(t, http.StatusCreated)
	if again.body["id"] == id || again.headers["Idempotent-Replayed"] == "true" {
		t.Errorf("a create after the delete replays the deleted contact: %s", again.raw)
	}
}

// TestUndoneMergeKeepsNoPersonalData: after an undo, the merge record says
// who merged which contacts and when, and holds none of their data.
func TestUndoneMergeKeepsNoPersonalData(t *testing.T) {
	f := newFixture(t)
	target := f.create(t, `{"name":"Alvo Pessoal","email":"alvo@pessoal.com"}`)
	source := f.create(t, `{"name":"Fonte Pessoal","phone":"(11) 93333-2222","company":"Empresa Pessoal"}`)
	rec := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"]}`}).want(t, http.StatusOK)
	mergeID := rec.body["id"].(string)
	marks := []string{"Pessoal", "alvo@", "933332222"}
	if records := f.holding(t, "M#"+mergeID); len(records) != 1 || !strings.Contains(records[0], "Pessoal") {
		t.Fatalf("merge record before the undo: %q, want one holding the snapshots", records)
	}
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": mergeID}, body: `{}`}).want(t, http.StatusOK)
	records := f.holding(t, "M#"+mergeID)
	if len(records) != 1 {
		t.Fatalf("merge record after the undo: %q, want one", records)
	}
	for _, m := range marks {
		if strings.Contains(records[0], m) {
			t.Errorf("undone merge record holds %q: %s", m, records[0])
		}
	}
	for _, want := range []string{target, source, "undone", "user-owner-1"} {
		if !strings.Contains(records[0], want) {
			t.Errorf("undone merge record lost %q: %s", want, records[0])
		}
	}
	got := f.do(t, call{route: "GET /v1/merges/{mergeId}", params: map[string]string{"mergeId": mergeID}}).want(t, http.StatusOK)
	if got.body["status"] != "undone" || got.body["undoneBy"] != "user-owner-1" {
		t.Errorf("undone merge = %s", got.raw)
	}
}
