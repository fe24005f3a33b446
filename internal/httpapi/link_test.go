package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/tenant"
)

func TestLinkedContacts(t *testing.T) {
	f := newFixture(t)
	main := f.create(t, `{"name":"Empresa","email":"contato@empresa.com"}`)
	a := f.create(t, `{"name":"Funcionário A","email":"a@empresa.com"}`)
	b := f.create(t, `{"name":"Funcionário B","email":"b@empresa.com"}`)
	other := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Outro","email":"o@x.com"}`, workspace: "globex"}).want(t, http.StatusCreated).body["id"].(string)

	linked := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: a, body: `{"mainContactId":"` + main + `"}`}).want(t, http.StatusOK)
	if linked.body["mainContactId"] != main {
		t.Errorf("mainContactId = %v, want %s", linked.body["mainContactId"], main)
	}
	names := func(id string) []string {
		t.Helper()
		var out []string
		for _, it := range f.do(t, call{route: "GET /v1/contacts/{id}/linked", id: id}).want(t, http.StatusOK).body["items"].([]any) {
			out = append(out, it.(map[string]any)["name"].(string))
		}
		return out
	}
	if got := names(main); !reflect.DeepEqual(got, []string{"Funcionário A"}) {
		t.Errorf("linked = %v", got)
	}
	for _, tt := range []struct {
		id, body, want string
	}{
		{main, `{"mainContactId":"` + b + `"}`, "mainContactId:contact_is_main"},
		{b, `{"mainContactId":"` + a + `"}`, "mainContactId:main_contact_linked"},
		{b, `{"mainContactId":"` + b + `"}`, "mainContactId:main_contact_self"},
		{b, `{"mainContactId":"` + other + `"}`, "mainContactId:main_contact_unknown"},
		{b, `{"mainContactId":"nope"}`, "mainContactId:id_invalid"},
		{b, `{"mainContactId":7}`, "mainContactId:invalid_type"},
	} {
		r := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: tt.id, body: tt.body}).want(t, http.StatusUnprocessableEntity)
		if got := r.fieldErrors(); len(got) != 1 || got[0] != tt.want {
			t.Errorf("PATCH %s = %v, want %s", tt.body, got, tt.want)
		}
	}
	f.do(t, call{route: "POST /v1/contacts", body: `{"email":"c@x.com","mainContactId":"` + main + `"}`}).want(t, http.StatusUnprocessableEntity)

	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: b, body: `{"mainContactId":"` + main + `"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: a, body: `{"mainContactId":null}`}).want(t, http.StatusOK)
	if got := names(main); !reflect.DeepEqual(got, []string{"Funcionário B"}) {
		t.Errorf("after unlinking A, linked = %v", got)
	}
	// Deleting the main contact unlinks what was linked to it.
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: main}).want(t, http.StatusNoContent)
	if got := f.do(t, call{route: "GET /v1/contacts/{id}", id: b}).want(t, http.StatusOK).body["mainContactId"]; got != nil {
		t.Errorf("B still points to the deleted main contact: %v", got)
	}
	f.do(t, call{route: "GET /v1/contacts/{id}/linked", id: main}).want(t, http.StatusNotFound)
}

// TestLinkRaceNeverMakesACycle links two contacts to each other at the same
// time, many times: never both succeed.
func TestLinkRaceNeverMakesACycle(t *testing.T) {
	f := newFixture(t)
	caller := tenant.Caller{Workspace: "acme", Subject: "u", Role: tenant.Owner}
	for i := 0; i < 10; i++ {
		x := f.create(t, `{"email":"x@x.com"}`)
		y := f.create(t, `{"email":"y@y.com"}`)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, pair := range [][2]string{{x, y}, {y, x}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = f.people.Update(context.Background(), caller, pair[0], 0, map[string]any{"mainContactId": pair[1]})
			}()
		}
		wg.Wait()
		if errs[0] == nil && errs[1] == nil {
			cx, _ := f.people.Get(context.Background(), caller, x)
			cy, _ := f.people.Get(context.Background(), caller, y)
			b, _ := json.Marshal([]*contact.Contact{cx, cy})
			t.Fatalf("both links succeeded: a cycle: %s", b)
		}
	}
}
