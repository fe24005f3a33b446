package httpapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
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
	"DELETE /v1/companies/{id}":                   true,
	"PUT /v1/company-fields":                      true,
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
	roleMatrix(t, newFixture(t), nil)
}

// permissionRoutes are the routes whose roles the workspace chooses
// (PATCH /v1/settings {"permissions"}), by action.
var permissionRoutes = map[string]string{
	"POST /v1/imports":              "import",
	"POST /v1/exports":              "export",
	"DELETE /v1/contacts/{id}":      "delete",
	"POST /v1/contacts/bulk-delete": "bulkDelete",
	"POST /v1/duplicates/remove":    "removeDuplicates",
}

// TestRoleMatrixChosenPermissions is the matrix in a workspace that chose
// other roles than the defaults for every action: managers may not import,
// delete or remove duplicates but may bulk delete; agents may import,
// export and remove duplicates. The routes of the permissions follow the
// choice, every other route answers as before, owners are never refused.
func TestRoleMatrixChosenPermissions(t *testing.T) {
	f := newFixture(t)
	chosen := map[string][]string{
		"import":           {"agent"},
		"export":           {"manager", "agent"},
		"delete":           {},
		"bulkDelete":       {"manager"},
		"removeDuplicates": {"agent"},
	}
	body, _ := json.Marshal(map[string]any{"permissions": chosen})
	f.do(t, call{route: "PATCH /v1/settings", body: string(body)}).want(t, http.StatusOK)
	roleMatrix(t, f, chosen)
}

// roleMatrix runs the matrix; chosen (nil: the defaults) are the roles the
// workspace lets take each action of permissionRoutes besides owners.
func roleMatrix(t *testing.T, f *fixture, chosen map[string][]string) {
	t.Helper()
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
			if action, ok := permissionRoutes[route]; ok && chosen != nil {
				roles, set := chosen[action]
				if set {
					asRole := role
					if role == "admin" {
						asRole = "manager"
					}
					want = role != "owner" && !slices.Contains(roles, asRole)
				}
			}
			if forbidden != want {
				t.Errorf("%s as %s: status %d, want 403 = %v (%s)", route, role, r.status, want, r.raw)
			}
		}
	}
}

// pathParams fills the path parameters of route other than {id} and {tagId}.
func pathParams(route string) map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"channel": "whatsapp", "name": "welcome", "mergeId": "01jdx8k2m4n6p8r0s2t4v6w8y0", "noteId": "01jdx4t0v1w2x3y4z5a6b7c8d9", "externalId": "erp-42"} {
		if strings.Contains(route, "{"+k+"}") {
			out[k] = v
		}
	}
	return out
}

// walletCall is a call of TestWalletMatrix and the status it must get (0:
// any; only what it answers is checked).
type walletCall struct {
	call
	want int
}

// onContacts calls a route naming a contact on agent-2's hidden contact
// (answered like a contact that does not exist) and on agent-1's own, whose
// answer must show nothing of agent-2's linked to it or merged into it.
func onContacts(body string) func(w *walletWorld) []walletCall {
	return func(w *walletWorld) []walletCall {
		return []walletCall{
			{call{id: w.hidden, tagID: w.tagID, body: body, params: pathParams("{channel}{noteId}")}, http.StatusNotFound},
			{call{id: w.mine, tagID: w.tagID, body: body, params: pathParams("{channel}{noteId}")}, 0},
		}
	}
}

// onMerges calls a route naming a merge on the merge of agent-2's contacts
// and on the undone merge whose source is agent-2's again.
func onMerges(w *walletWorld) []walletCall {
	var out []walletCall
	for _, id := range []string{w.merge, w.undone} {
		out = append(out, walletCall{call{params: map[string]string{"mergeId": id}, body: `{}`}, http.StatusNotFound})
	}
	return out
}

// noContactData: the route answers nothing of a contact; it is called all
// the same, and its answer checked.
func noContactData(body string) func(w *walletWorld) []walletCall {
	return func(w *walletWorld) []walletCall {
		return []walletCall{{call{id: w.hidden, body: body, params: pathParams("{name}")}, 0}}
	}
}

// walletAxis classifies every served route for TestWalletMatrix: the calls
// an agent bound to its wallet makes on what lies outside it (a contact, a
// merge, a conversation, a suggestion group, a number, a name) and the
// status each must get. A new route fails the test until it is added here.
var walletAxis = map[string]func(w *walletWorld) []walletCall{
	"GET /v1/contacts/{id}":                       onContacts(""),
	"PATCH /v1/contacts/{id}":                     onContacts(`{"company":"Agente"}`),
	"DELETE /v1/contacts/{id}":                    onContacts(""),
	"GET /v1/contacts/{id}/linked":                onContacts(""),
	"GET /v1/contacts/{id}/timeline":              onContacts(""),
	"POST /v1/contacts/{id}/notes":                onContacts(`{"text":"nota"}`),
	"PATCH /v1/contacts/{id}/notes/{noteId}":      onContacts(`{"text":"nota"}`),
	"DELETE /v1/contacts/{id}/notes/{noteId}":     onContacts(""),
	"POST /v1/contacts/{id}/tags":                 onContacts(`{"tags":["VIP"]}`),
	"DELETE /v1/contacts/{id}/tags/{tagId}":       onContacts(""),
	"POST /v1/contacts/{id}/block":                onContacts(""),
	"POST /v1/contacts/{id}/unblock":              onContacts(""),
	"GET /v1/contacts/{id}/channels":              onContacts(""),
	"DELETE /v1/contacts/{id}/channels/{channel}": onContacts(""),
	"GET /v1/contacts/{id}/conversations":         onContacts(""),
	"POST /v1/contacts/{id}/merge": func(w *walletWorld) []walletCall {
		return []walletCall{
			{call{id: w.hidden, body: `{"sourceIds":["` + w.mine + `"]}`}, http.StatusNotFound},
			{call{id: w.mine, body: `{"sourceIds":["` + w.twin + `"]}`}, http.StatusUnprocessableEntity},
		}
	},
	"GET /v1/merges/{mergeId}":         onMerges,
	"POST /v1/merges/{mergeId}/undo":   onMerges,
	"POST /v1/merges/{mergeId}/resume": onMerges,
	"GET /v1/merges":                   noContactData(""), // owners and managers only
	"GET /v1/merge-suggestions": func(w *walletWorld) []walletCall {
		return []walletCall{
			{call{}, http.StatusOK},
			{call{query: map[string]string{"contactId": w.hidden}}, http.StatusNotFound},
			{call{query: map[string]string{"contactId": w.shared}}, http.StatusOK},
		}
	},
	"POST /v1/merge-suggestions/dismiss": func(w *walletWorld) []walletCall {
		return []walletCall{
			{call{body: `{"id":"` + w.mailGroup + `"}`}, http.StatusNotFound},
			{call{body: `{"id":"` + w.phoneGroup + `"}`}, http.StatusNotFound},
		}
	},
	"GET /v1/contacts": func(w *walletWorld) []walletCall {
		var out []walletCall
		for _, q := range []map[string]string{nil, {"q": "oculta"}, {"q": "955550002"}, {"q": "oculta@"}, {"ownerId": "agent-2"}, {"tag": "VIP"}, {"pending": "true"}, {"blocked": "true"}} {
			out = append(out, walletCall{call{query: q}, http.StatusOK})
		}
		return out
	},
	"GET /v1/contacts/count": func(w *walletWorld) []walletCall {
		// Its own wallet, or nothing: never how many others hold.
		return []walletCall{
			{call{}, http.StatusOK},
			{call{query: map[string]string{"ownerId": "agent-2"}}, http.StatusOK},
			{call{query: map[string]string{"tag": "VIP"}}, http.StatusUnprocessableEntity},
		}
	},
	"GET /v1/contacts/lookup": func(w *walletWorld) []walletCall {
		return []walletCall{
			{call{query: map[string]string{"phone": w.twinPhone}}, http.StatusOK},
			{call{query: map[string]string{"phone": "(11) 98555-0001"}}, http.StatusOK},
			{call{query: map[string]string{"email": "oculta@fora.com"}}, http.StatusOK},
			{call{query: map[string]string{"externalId": "erp-segredo-1"}}, http.StatusOK},
		}
	},
	"PUT /v1/contacts/by-external-id/{externalId}": func(w *walletWorld) []walletCall {
		return []walletCall{
			// Another wallet's contact: answered like one that does not exist, unchanged.
			{call{params: map[string]string{"externalId": "erp-segredo-1"}, body: `{"name":"Agente","company":"Agente"}`}, http.StatusNotFound},
			{call{params: map[string]string{"externalId": "erp-agente-1"}, body: `{"name":"Nova","email":"nova@agente.com"}`}, http.StatusCreated},
		}
	},
	"POST /v1/contacts": func(w *walletWorld) []walletCall {
		return []walletCall{{call{body: `{"name":"Nova","email":"oculta@fora.com"}`}, http.StatusCreated}}
	},
	"POST /v1/contacts/tags": func(w *walletWorld) []walletCall {
		return []walletCall{{call{body: `{"contactIds":["` + w.hidden + `","` + w.mine + `"],"add":["VIP"]}`}, http.StatusOK}}
	},
	"POST /v1/conversations": func(w *walletWorld) []walletCall {
		return []walletCall{
			{call{body: `{"contactId":"` + w.hidden + `","channel":"sms","teamId":"t1"}`}, http.StatusNotFound},
			{call{body: `{"phone":"` + w.twinPhone + `","channel":"sms","teamId":"t1"}`}, http.StatusUnprocessableEntity},
			{call{body: `{"phone":"` + w.twinPhone + `","channel":"sms","teamId":"t1","createContact":true}`}, http.StatusCreated},
		}
	},
	"POST /v1/conversations/{id}/close": func(w *walletWorld) []walletCall {
		return []walletCall{{call{id: w.conversation, body: `{"reason":"fora"}`}, http.StatusNotFound}}
	},
	"POST /v1/contacts/bulk-delete": func(w *walletWorld) []walletCall {
		return []walletCall{{call{body: `{"ids":["` + w.hidden + `"]}`}, http.StatusForbidden}}
	},
	"POST /v1/exports": func(w *walletWorld) []walletCall {
		return []walletCall{{call{body: `{"format":"csv","filter":{"ownerId":"agent-2"}}`}, http.StatusForbidden}}
	},
	"POST /v1/duplicates/remove":       noContactData(`{}`), // owners and managers only
	"POST /v1/imports":                 noContactData(`{}`), // owners and managers only
	"GET /v1/jobs":                     noContactData(""),   // status and counts; files: their links (sec-api)
	"GET /v1/jobs/{id}":                noContactData(""),
	"POST /v1/jobs/{id}/cancel":        noContactData(`{}`),
	"GET /v1/tags":                     noContactData(""),
	"POST /v1/tags":                    noContactData(`{"name":"Outra"}`),
	"PATCH /v1/tags/{id}":              noContactData(`{"name":"Outra"}`),
	"DELETE /v1/tags/{id}":             noContactData(""),
	"GET /v1/contact-fields":           noContactData(""),
	"PUT /v1/contact-fields":           noContactData(`{"fields":[]}`),
	"GET /v1/settings":                 noContactData(""),
	"GET /v1/me":                       noContactData(""),
	"PATCH /v1/settings":               noContactData(`{"agentWalletOnly":false}`),
	"GET /v1/channels":                 noContactData(""),
	"PUT /v1/channels":                 noContactData(`{"channels":[]}`),
	"GET /v1/message-templates":        noContactData(""),
	"POST /v1/companies":               noContactData(`{"name":"Outra"}`),
	"GET /v1/companies":                noContactData(""),
	"GET /v1/companies/{id}":           noContactData(""),
	"PATCH /v1/companies/{id}":         noContactData(`{"name":"Outra"}`),
	"DELETE /v1/companies/{id}":        noContactData(""),
	"GET /v1/companies/{id}/contacts":  noContactData(""),
	"POST /v1/companies/{id}/contacts": noContactData(`{"contactIds":["01jdx8k2m4n6p8r0s2t4v6w8y0"]}`),
	"GET /v1/companies/{id}/timeline":  noContactData(""), // a company's timeline under a wallet: TestCompanyTimelineWallet
	"POST /v1/companies/{id}/notes":    noContactData(`{"text":"nota"}`),
	"GET /v1/company-fields":           noContactData(""),
	"PUT /v1/company-fields":           noContactData(`{"fields":[]}`),
	"PUT /v1/message-templates/{name}": noContactData(`{}`),
}

// TestWalletMatrix is the role matrix's second axis: for every route the
// API serves, an agent of a workspace that keeps agents to their wallets,
// calling it on what lies outside its wallet, gets the status walletAxis
// says (a contact, merge or group outside is answered like one that does
// not exist) and no data of agent-2's contacts in any answer (body or
// headers), apart from what it sent itself; and nothing it does changes
// them.
func TestWalletMatrix(t *testing.T) {
	w := newWalletWorld(t)
	before := w.ownerView(t)
	routes := w.f.api.RouteKeys()
	sort.Strings(routes)
	for _, route := range routes {
		calls, ok := walletAxis[route]
		if !ok {
			t.Errorf("%s: not classified for wallet-bound agents; add it to walletAxis", route)
			continue
		}
		for _, c := range calls(w) {
			c.call.route = route
			want := c.want
			if want == http.StatusNotFound && managerOnly[route] {
				want = http.StatusForbidden
			}
			r := w.f.do(t, agent1(c.call))
			if want != 0 && r.status != want {
				t.Errorf("%s on %s%v %s: status %d, want %d (%s)", route, c.id, c.params, c.body, r.status, want, r.raw)
			}
			if leaks := w.leaked(c.call, r); len(leaks) > 0 {
				t.Errorf("%s on %s%v%v %s: answers %v of agent-2's wallet: %s", route, c.id, c.params, c.query, c.body, leaks, r.raw)
			}
		}
	}
	for route := range walletAxis {
		if !slices.Contains(routes, route) {
			t.Errorf("walletAxis names %s, which is not served", route)
		}
	}
	if after := w.ownerView(t); !reflect.DeepEqual(after, before) {
		t.Errorf("agent-2's wallet changed by agent-1's calls:\n%q\n%q", after, before)
	}
	w.checkSuggested(t)
}
