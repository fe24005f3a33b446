package httpapi_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"
)

// managerOnly are the routes an agent may not call (seeds: removing,
// unblocking, settings and the catalogue are for owners and managers).
var managerOnly = map[string]bool{
	"DELETE /v1/contacts/{id}":       true,
	"PUT /v1/contact-fields":         true,
	"PATCH /v1/settings":             true,
	"PATCH /v1/tags/{id}":            true,
	"DELETE /v1/tags/{id}":           true,
	"POST /v1/contacts/{id}/unblock": true,

	"DELETE /v1/contacts/{id}/channels/{channel}": true,
	"PUT /v1/message-templates/{name}":            true,
	"PUT /v1/channels":                            true,
	"GET /v1/merges":                              true,
	"POST /v1/duplicates/remove":                  true,
	"POST /v1/imports":                            true,
	"POST /v1/exports":                            true,
}

// ownerOnly are the routes only owners may call (the issue: bulk delete is
// for owners).
var ownerOnly = map[string]bool{
	"POST /v1/contacts/bulk-delete": true,
}

// TestRoleMatrix calls every route the API serves with every role: agents
// get 403 on the manager-only routes and on no other; managers and admins
// only on the owner-only ones; owners never.
func TestRoleMatrix(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, mariaBody)
	tagID := f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP"}`}).want(t, http.StatusCreated).body["id"].(string)
	routes := f.api.RouteKeys()
	sort.Strings(routes)
	for k := range managerOnly {
		found := false
		for _, r := range routes {
			found = found || r == k
		}
		if !found {
			t.Errorf("manager-only route %s is not served", k)
		}
	}
	for _, route := range routes {
		for _, role := range []string{"owner", "manager", "admin", "agent"} {
			c := call{route: route, id: id, tagID: tagID, role: role, body: `{}`, params: pathParams(route)}
			if strings.HasPrefix(route, "GET ") || strings.HasPrefix(route, "DELETE ") || strings.HasSuffix(route, "block") {
				c.body = ""
			}
			if strings.Contains(route, "/v1/tags/{id}") {
				c.id = tagID
			}
			r := f.do(t, c)
			forbidden := r.status == http.StatusForbidden
			want := role == "agent" && managerOnly[route] || role != "owner" && ownerOnly[route]
			if forbidden != want {
				t.Errorf("%s as %s: status %d, want 403 = %v (%s)", route, role, r.status, want, r.raw)
			}
		}
	}
}

// pathParams fills the path parameters of route other than {id} and {tagId}.
func pathParams(route string) map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"channel": "whatsapp", "name": "welcome", "mergeId": "01jdx8k2m4n6p8r0s2t4v6w8y0"} {
		if strings.Contains(route, "{"+k+"}") {
			out[k] = v
		}
	}
	return out
}
