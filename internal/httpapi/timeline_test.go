package httpapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestTimelineAndNotes(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, mariaBody)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"company":"ACME","email":null}`}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: id, body: `{"tags":["VIP"]}`}).want(t, http.StatusOK)
	for i := 0; i < 3; i++ {
		r := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: fmt.Sprintf(`{"text":" nota %d "}`, i)}).want(t, http.StatusCreated)
		if r.body["type"] != "note" || r.body["text"] != fmt.Sprintf("nota %d", i) {
			t.Errorf("note = %s", r.raw)
		}
	}
	var got []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		q := map[string]string{"limit": "2"}
		if cursor != "" {
			q["cursor"] = cursor
		}
		r := f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: id, query: q}).want(t, http.StatusOK)
		for _, it := range r.body["items"].([]any) {
			e := it.(map[string]any)
			s := e["type"].(string)
			if txt, ok := e["text"].(string); ok {
				s += ":" + txt
			}
			if fields, ok := e["fields"].([]any); ok {
				s += fmt.Sprint(fields)
			}
			got = append(got, s)
		}
		next, _ := r.body["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	want := []string{"note:nota 2", "note:nota 1", "note:nota 0", "tagged[tags]", "updated[company email]", "created"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timeline = %v, want %v (newest first)", got, want)
	}
	bad := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":"","x":1}`}).want(t, http.StatusUnprocessableEntity)
	if got := bad.fieldErrors(); !reflect.DeepEqual(got, []string{"x:unknown_field", "text:required"}) {
		t.Errorf("errors = %v", got)
	}
	f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":"` + strings.Repeat("a", 5001) + `"}`}).want(t, http.StatusUnprocessableEntity)
	f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: id, query: map[string]string{"cursor": "forged"}}).want(t, http.StatusBadRequest)
	f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: id, workspace: "globex"}).want(t, http.StatusNotFound)
	f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, workspace: "globex", body: `{"text":"x"}`}).want(t, http.StatusNotFound)
	// Deleting the contact deletes its timeline.
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: id}).want(t, http.StatusNoContent)
	// What is left is the workspace's catalogue: the tag and its name guard.
	if n := f.countItems(t); n != 2 {
		t.Errorf("%d items left after deleting the contact and its notes, want the tag's 2", n)
	}
}

// TestNotesCanBeFixed: a note's author, an owner or a manager fixes or
// deletes it; another agent may not; the timeline shows the edit; other
// entries, other contacts' notes and other workspaces find nothing.
func TestNotesCanBeFixed(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, mariaBody)
	other := f.create(t, `{"name":"Outra","phone":"+5511912345678"}`)
	note := func(sub, role, text string) string {
		t.Helper()
		r := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, sub: sub, role: role, body: `{"text":"` + text + `"}`}).want(t, http.StatusCreated)
		return r.body["id"].(string)
	}
	edit := func(noteID, sub, role, body string, status int) result {
		t.Helper()
		return f.do(t, call{route: "PATCH /v1/contacts/{id}/notes/{noteId}", id: id, sub: sub, role: role, params: map[string]string{"noteId": noteID}, body: body}).want(t, status)
	}
	mine := note("agent-1", "agent", "Ligar às 14h")
	r := edit(mine, "agent-1", "agent", `{"text":" Ligar às 15h "}`, http.StatusOK)
	if r.body["text"] != "Ligar às 15h" || r.body["editedBy"] != "agent-1" || r.body["editedAt"] == nil || r.body["actor"] != "agent-1" || r.body["id"] != mine {
		t.Errorf("edited note = %s", r.raw)
	}
	edit(mine, "agent-2", "agent", `{"text":"x"}`, http.StatusForbidden)
	edit(mine, "manager-1", "manager", `{"text":"Ligar às 16h"}`, http.StatusOK)
	if got := edit(mine, "agent-1", "agent", `{"text":"","x":1}`, http.StatusUnprocessableEntity).fieldErrors(); !reflect.DeepEqual(got, []string{"x:unknown_field", "text:required"}) {
		t.Errorf("errors = %v", got)
	}
	timeline := f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: id}).want(t, http.StatusOK).body["items"].([]any)
	first := timeline[0].(map[string]any)
	if first["id"] != mine || first["text"] != "Ligar às 16h" || first["editedBy"] != "manager-1" {
		t.Errorf("timeline shows %v, want the note as the manager left it", first)
	}
	created := timeline[len(timeline)-1].(map[string]any)["id"].(string)
	edit(created, "owner-1", "owner", `{"text":"x"}`, http.StatusNotFound) // not a note
	f.do(t, call{route: "PATCH /v1/contacts/{id}/notes/{noteId}", id: other, params: map[string]string{"noteId": mine}, body: `{"text":"x"}`}).want(t, http.StatusNotFound)
	f.do(t, call{route: "PATCH /v1/contacts/{id}/notes/{noteId}", id: id, workspace: "globex", params: map[string]string{"noteId": mine}, body: `{"text":"x"}`}).want(t, http.StatusNotFound)

	del := func(noteID, sub, role string, status int) {
		t.Helper()
		f.do(t, call{route: "DELETE /v1/contacts/{id}/notes/{noteId}", id: id, sub: sub, role: role, params: map[string]string{"noteId": noteID}}).want(t, status)
	}
	del(mine, "agent-2", "agent", http.StatusForbidden)
	del(mine, "agent-1", "agent", http.StatusNoContent)
	del(mine, "agent-1", "agent", http.StatusNotFound)
	theirs := note("agent-2", "agent", "Cliente antiga")
	del(theirs, "owner-1", "owner", http.StatusNoContent)
	for _, it := range f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: id}).want(t, http.StatusOK).body["items"].([]any) {
		if e := it.(map[string]any); e["type"] == "note" {
			t.Errorf("a deleted note is still listed: %v", e)
		}
	}
}
