package httpapi_test

import (
	"net/http"
	"reflect"
	"testing"
)

func TestBlockAndUnblock(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Bloqueado","phone":"11 91111-2222"}`)
	b := f.do(t, call{route: "POST /v1/contacts/{id}/block", id: id, role: "agent", sub: "agent-7"}).want(t, http.StatusOK)
	if b.body["blocked"] != true || b.body["blockedBy"] != "agent-7" || b.body["blockedAt"] == nil {
		t.Errorf("blocked contact = %s", b.raw)
	}
	if got := f.list(t, map[string]string{"q": "bloq"}).names(); len(got) != 0 {
		t.Errorf("a blocked contact is in the default list: %v", got)
	}
	if got := f.list(t, map[string]string{"blocked": "true"}).names(); !reflect.DeepEqual(got, []string{"Bloqueado"}) {
		t.Errorf("blocked list = %v", got)
	}
	// Blocking again changes nothing, but publishes again (a retry completes a failed publish).
	again := f.do(t, call{route: "POST /v1/contacts/{id}/block", id: id}).want(t, http.StatusOK)
	if again.body["version"] != b.body["version"] || again.body["blockedBy"] != "agent-7" {
		t.Errorf("second block changed the contact: %s", again.raw)
	}
	f.do(t, call{route: "POST /v1/contacts/{id}/unblock", id: id, role: "agent"}).want(t, http.StatusForbidden)
	u := f.do(t, call{route: "POST /v1/contacts/{id}/unblock", id: id, role: "manager"}).want(t, http.StatusOK)
	if u.body["blocked"] != false || u.body["blockedBy"] != nil || u.body["blockedAt"] != nil {
		t.Errorf("unblocked contact = %s", u.raw)
	}
	if got := f.list(t, map[string]string{"q": "bloq"}).names(); !reflect.DeepEqual(got, []string{"Bloqueado"}) {
		t.Errorf("an unblocked contact is not back in the list: %v", got)
	}
	want := []string{"contact.blocked:" + id, "contact.blocked:" + id, "contact.unblocked:" + id}
	if got := f.events.types(); !reflect.DeepEqual(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	var kinds []string
	for _, e := range f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: id}).want(t, http.StatusOK).body["items"].([]any) {
		kinds = append(kinds, e.(map[string]any)["type"].(string))
	}
	if want := []string{"unblocked", "blocked", "created"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("timeline = %v, want %v", kinds, want)
	}
}

// TestBlockPublishFailure: when the event cannot be published the request
// fails, and its retry publishes.
func TestBlockPublishFailure(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"X","email":"x@x.com"}`)
	f.events.failNext = 1
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: id}).want(t, http.StatusInternalServerError)
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: id}).want(t, http.StatusOK)
	if got := f.events.types(); !reflect.DeepEqual(got, []string{"contact.blocked:" + id}) {
		t.Errorf("events = %v", got)
	}
}
