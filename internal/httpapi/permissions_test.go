package httpapi_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// permissionsOf returns the settings' permissions as action -> roles.
func permissionsOf(t *testing.T, r result) map[string][]string {
	t.Helper()
	raw, ok := r.body["permissions"].(map[string]any)
	if !ok {
		t.Fatalf("no permissions in %s", r.raw)
	}
	out := map[string][]string{}
	for a, v := range raw {
		out[a] = []string{}
		for _, role := range v.([]any) {
			out[a] = append(out[a], role.(string))
		}
	}
	return out
}

// TestSettingsPermissions: GET /v1/settings shows the permissions in effect
// (the defaults: the rules before workspaces could choose); a PATCH
// replaces the actions it names and leaves the others, moves the version,
// always keeps the owner, and refuses an unknown action or role naming the
// action, writing nothing.
func TestSettingsPermissions(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, call{route: "GET /v1/settings"}).want(t, http.StatusOK)
	defaults := map[string][]string{
		"import": {"owner", "manager"}, "export": {"owner", "manager"}, "delete": {"owner", "manager"},
		"bulkDelete": {"owner"}, "removeDuplicates": {"owner", "manager"},
	}
	if got := permissionsOf(t, r); !reflect.DeepEqual(got, defaults) {
		t.Errorf("default permissions = %v, want %v", got, defaults)
	}

	r = f.do(t, asManager(call{route: "PATCH /v1/settings", body: `{"permissions":{"export":["agent","manager"],"bulkDelete":["manager"]}}`,
		headers: map[string]string{"If-Match": `"1"`}})).want(t, http.StatusOK)
	want := map[string][]string{
		"import": {"owner", "manager"}, "export": {"owner", "manager", "agent"}, "delete": {"owner", "manager"},
		"bulkDelete": {"owner", "manager"}, "removeDuplicates": {"owner", "manager"},
	}
	if got := permissionsOf(t, r); !reflect.DeepEqual(got, want) || r.headers["ETag"] != `"2"` {
		t.Errorf("after the patch: %v, ETag %s; want %v, \"2\"", got, r.headers["ETag"], want)
	}
	// Another patch replaces only what it names; [] leaves the owner alone.
	f.do(t, call{route: "PATCH /v1/settings", body: `{"permissions":{"delete":[]},"defaultCountry":"PT"}`}).want(t, http.StatusOK)
	want["delete"] = []string{"owner"}
	r = f.do(t, call{route: "GET /v1/settings", role: "agent"}).want(t, http.StatusOK)
	if got := permissionsOf(t, r); !reflect.DeepEqual(got, want) || r.body["defaultCountry"] != "PT" {
		t.Errorf("after the second patch: %s; want %v", r.raw, want)
	}

	for body, fields := range map[string][]string{
		`{"permissions":{"fly":["agent"]}}`:                      {"permissions.fly:unknown_field"},
		`{"permissions":{"export":["agent","guest"]}}`:           {"permissions.export:choice_invalid"},
		`{"permissions":{"export":"agent"}}`:                     {"permissions.export:invalid_type"},
		`{"permissions":{"export":[7]}}`:                         {"permissions.export:choice_invalid"},
		`{"permissions":["export"]}`:                             {"permissions:invalid_type"},
		`{"permissions":{"import":["agent"],"delete":["boss"]}}`: {"permissions.delete:choice_invalid"},
	} {
		r := f.do(t, call{route: "PATCH /v1/settings", body: body}).want(t, http.StatusUnprocessableEntity)
		if got := r.fieldErrors(); !reflect.DeepEqual(got, fields) {
			t.Errorf("%s: errors %v, want %v", body, got, fields)
		}
	}
	if got := permissionsOf(t, f.do(t, call{route: "GET /v1/settings"}).want(t, http.StatusOK)); !reflect.DeepEqual(got, want) {
		t.Errorf("a refused patch changed the permissions: %v", got)
	}
	// Only owners and managers change them.
	f.do(t, call{route: "PATCH /v1/settings", role: "agent", body: `{"permissions":{"import":["agent"]}}`}).want(t, http.StatusForbidden)
}

// TestMe: GET /v1/me tells each role what it may do, under the defaults
// and after the workspace chose.
func TestMe(t *testing.T) {
	f := newFixture(t)
	me := func(role, sub string) map[string]any {
		r := f.do(t, call{route: "GET /v1/me", role: role, sub: sub}).want(t, http.StatusOK)
		if r.body["id"] != sub || r.body["workspace"] != "acme" {
			t.Errorf("me as %s: %s", role, r.raw)
		}
		return r.body
	}
	may := func(body map[string]any) map[string]bool {
		out := map[string]bool{}
		for k, v := range body["permissions"].(map[string]any) {
			out[k] = v.(bool)
		}
		return out
	}
	for role, want := range map[string]map[string]bool{
		"owner":   {"import": true, "export": true, "delete": true, "bulkDelete": true, "removeDuplicates": true, "changeSettings": true},
		"manager": {"import": true, "export": true, "delete": true, "bulkDelete": false, "removeDuplicates": true, "changeSettings": true},
		"admin":   {"import": true, "export": true, "delete": true, "bulkDelete": false, "removeDuplicates": true, "changeSettings": true},
		"agent":   {"import": false, "export": false, "delete": false, "bulkDelete": false, "removeDuplicates": false, "changeSettings": false},
	} {
		body := me(role, "user-"+role)
		if got := may(body); !reflect.DeepEqual(got, want) {
			t.Errorf("defaults, %s may %v, want %v", role, got, want)
		}
		wantRole := role
		if role == "admin" {
			wantRole = "manager"
		}
		if body["role"] != wantRole || body["walletOnly"] != false {
			t.Errorf("me as %s: role %v, walletOnly %v", role, body["role"], body["walletOnly"])
		}
	}
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true,"permissions":{"export":["agent"],"delete":[],"bulkDelete":["manager"]}}`}).want(t, http.StatusOK)
	for role, want := range map[string]map[string]bool{
		"owner":   {"import": true, "export": true, "delete": true, "bulkDelete": true, "removeDuplicates": true, "changeSettings": true},
		"manager": {"import": true, "export": false, "delete": false, "bulkDelete": true, "removeDuplicates": true, "changeSettings": true},
		"agent":   {"import": false, "export": true, "delete": false, "bulkDelete": false, "removeDuplicates": false, "changeSettings": false},
	} {
		body := me(role, "user-"+role)
		if got := may(body); !reflect.DeepEqual(got, want) {
			t.Errorf("chosen, %s may %v, want %v", role, got, want)
		}
		if body["walletOnly"] != (role == "agent") {
			t.Errorf("chosen, %s walletOnly = %v", role, body["walletOnly"])
		}
	}
}

// TestPermissionsEnforced: what /v1/me says is what the routes do. Agents
// allowed to delete delete only what they see (another wallet's contact is
// a 404 and stays); a manager refused single deletes but allowed bulk
// deletes bulk deletes; managers refused exports get no link to another's
// export file, agents allowed them do.
func TestPermissionsEnforced(t *testing.T) {
	f := newFixture(t)
	mine := f.create(t, `{"name":"Ana","phone":"11 98888-0001","ownerId":"agent-1"}`)
	theirs := f.create(t, `{"name":"Bia","phone":"11 98888-0002","ownerId":"agent-2"}`)
	agent := call{role: "agent", sub: "agent-1"}

	del := agent
	del.route, del.id = "DELETE /v1/contacts/{id}", mine
	f.do(t, del).want(t, http.StatusForbidden) // the default
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true,"permissions":{"delete":["agent"],"bulkDelete":["manager"]}}`}).want(t, http.StatusOK)
	del.id = theirs
	f.do(t, del).want(t, http.StatusNotFound)
	f.do(t, call{route: "GET /v1/contacts/{id}", id: theirs}).want(t, http.StatusOK)
	del.id = mine
	f.do(t, del).want(t, http.StatusNoContent)

	// Managers: no single delete, yet a bulk delete runs to the end.
	f.do(t, asManager(call{route: "DELETE /v1/contacts/{id}", id: theirs})).want(t, http.StatusForbidden)
	r := f.do(t, asManager(call{route: "POST /v1/contacts/bulk-delete", body: `{"ids":["` + theirs + `"]}`})).want(t, http.StatusAccepted)
	f.drainBulk(t)
	if j := f.job(t, r.headers["Location"]); j["status"] != "succeeded" || j["counts"].(map[string]any)["deleted"] != float64(1) {
		t.Errorf("a manager's bulk delete: %v", j)
	}
	f.do(t, call{route: "GET /v1/contacts/{id}", id: theirs}).want(t, http.StatusNotFound)

	// Job files follow the export permission.
	exp := f.startJobAs(t, tenant.Caller{Workspace: "acme", Subject: "user-owner-1", Role: tenant.Owner}, jobs.TypeExport)
	f.withFiles(t, exp)
	seen := func(role string) bool {
		r := f.do(t, call{route: "GET /v1/jobs/{id}", id: exp, role: role, sub: "someone-" + role}).want(t, http.StatusOK)
		_, ok := r.body["downloadUrl"]
		return ok
	}
	if !seen("manager") || seen("agent") {
		t.Errorf("defaults: manager sees the export's link %v, agent %v; want true, false", seen("manager"), seen("agent"))
	}
	f.do(t, call{route: "PATCH /v1/settings", body: `{"permissions":{"export":["agent"]}}`}).want(t, http.StatusOK)
	if seen("manager") || !seen("agent") {
		t.Errorf("agents export: manager sees the export's link %v, agent %v; want false, true", seen("manager"), seen("agent"))
	}
}

// TestRemoveDuplicatesByAnAgent: an agent the workspace lets remove
// duplicates, in a wallet-bound workspace, starts the job, which runs with
// the agent's role: the group of its own contacts is merged, the group
// holding another wallet's contact is left alone.
func TestRemoveDuplicatesByAnAgent(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Ana","phone":"(11) 91111-1111","ownerId":"agent-1"}`,
		`{"name":"Ana 2","phone":"11911111111","ownerId":"agent-1"}`,
		`{"name":"Bia","phone":"(11) 92222-2222","ownerId":"agent-1"}`,
		`{"name":"Bia 2","phone":"11922222222","ownerId":"agent-2"}`,
	)
	agent := call{route: "POST /v1/duplicates/remove", role: "agent", sub: "agent-1"}
	f.do(t, agent).want(t, http.StatusForbidden)
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true,"permissions":{"removeDuplicates":["agent"]}}`}).want(t, http.StatusOK)
	f.do(t, asManager(call{route: "POST /v1/duplicates/remove"})).want(t, http.StatusForbidden)
	jobID := f.do(t, agent).want(t, http.StatusAccepted).body["jobId"].(string)
	runJob(t, f.worker(), jobID)
	if j := f.jobOf(t, jobID); j["status"] != "succeeded" {
		t.Errorf("job = %v", j)
	}
	for id, into := range map[string]string{ids[0]: "", ids[1]: ids[0], ids[2]: "", ids[3]: ""} {
		if got := f.mergedInto(t, id); got != into {
			t.Errorf("%s merged into %q, want %q", id, got, into)
		}
	}
}
