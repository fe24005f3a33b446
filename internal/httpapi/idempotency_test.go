package httpapi_test

import (
	"net/http"
	"testing"
)

// TestIdempotencyKeyOnCreates: tag and note creation replay their first
// success for the same key and body, refuse the key for another body, and
// let a failed request be retried with its key.
func TestIdempotencyKeyOnCreates(t *testing.T) {
	f := newFixture(t)
	key := map[string]string{"Idempotency-Key": "tag-req-1"}
	first := f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP"}`, headers: key}).want(t, http.StatusCreated)
	again := f.do(t, call{route: "POST /v1/tags", body: `{ "name" : "VIP" }`, headers: key}).want(t, http.StatusCreated)
	if again.raw != first.raw || again.headers["Idempotent-Replayed"] != "true" || again.headers["Location"] != first.headers["Location"] {
		t.Errorf("replay = %s %v, want the first response", again.raw, again.headers)
	}
	f.do(t, call{route: "POST /v1/tags", body: `{"name":"Lead"}`, headers: key}).want(t, http.StatusUnprocessableEntity)
	if n := len(f.do(t, call{route: "GET /v1/tags"}).want(t, http.StatusOK).body["items"].([]any)); n != 1 {
		t.Errorf("catalogue has %d tags, want 1", n)
	}

	id := f.create(t, mariaBody)
	noteKey := map[string]string{"Idempotency-Key": "note-req-1"}
	f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":""}`, headers: noteKey}).want(t, http.StatusUnprocessableEntity)
	n1 := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":"Ligar amanhã"}`, headers: noteKey}).want(t, http.StatusCreated)
	n2 := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":"Ligar amanhã"}`, headers: noteKey}).want(t, http.StatusCreated)
	if n1.body["id"] != n2.body["id"] {
		t.Errorf("a retried note was added twice: %v, %v", n1.body["id"], n2.body["id"])
	}
	notes := 0
	for _, e := range f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: id}).want(t, http.StatusOK).body["items"].([]any) {
		if e.(map[string]any)["type"] == "note" {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("timeline has %d notes, want 1", notes)
	}
	// Keys belong to a workspace.
	f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP"}`, headers: key, workspace: "globex"}).want(t, http.StatusCreated)
}
