package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestOwnerIDFilterRule: the ownerId filter of the contact list, of exports
// and of bulk deletes is checked exactly as the ownerId of a contact is (one
// rule, contact.CheckOwnerID): the same values refused with the same code.
func TestOwnerIDFilterRule(t *testing.T) {
	f := newFixture(t)
	for _, owner := range []string{"agent#7", "agent 7", "W#acme#C#x", strings.Repeat("a", 129), "agent\u00e9", "agent-7", "auth0|abc.def@x"} {
		v, _ := json.Marshal(owner)
		onContact := f.do(t, call{route: "POST /v1/contacts", body: `{"email":"a@b.co","ownerId":` + string(v) + `}`})
		want := onContact.fieldErrors()
		wantStatus := map[bool]int{true: http.StatusUnprocessableEntity, false: http.StatusCreated}[len(want) > 0]
		if onContact.status != wantStatus {
			t.Errorf("contact with ownerId %q: status %d, errors %v", owner, onContact.status, want)
		}
		filters := []struct {
			c      call
			status int // when the value is valid
			prefix string
		}{
			{call{route: "GET /v1/contacts", query: map[string]string{"ownerId": owner}}, http.StatusOK, ""},
			{call{route: "POST /v1/exports", body: `{"format":"csv","filter":{"ownerId":` + string(v) + `}}`}, http.StatusAccepted, "filter."},
			{call{route: "POST /v1/contacts/bulk-delete", body: `{"filter":{"ownerId":` + string(v) + `}}`}, http.StatusAccepted, "filter."},
		}
		for _, fl := range filters {
			r := f.do(t, fl.c)
			got := r.fieldErrors()
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], fl.prefix)
			}
			status := fl.status
			if len(want) > 0 {
				status = http.StatusUnprocessableEntity
			}
			if r.status != status || strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s with ownerId %q: %d %v, want %d %v as on a contact", fl.c.route, owner, r.status, got, status, want)
			}
		}
	}
}
