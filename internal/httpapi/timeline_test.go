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
