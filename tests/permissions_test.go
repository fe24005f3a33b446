package tests

import (
	"net/http"
	"testing"
)

// TestPermissionsOverHTTP: an owner chooses the workspace's permissions
// over HTTP (agents may export, managers may not delete a contact);
// GET /v1/me tells each role, and the routes do what it says.
func TestPermissionsOverHTTP(t *testing.T) {
	api, owner := contactsPlatform(t)
	p, _ := startPlatform(t, "template.yaml", ".")
	ws := "perm" + randomHex(4)
	token := func(sub, role string) string {
		tok, err := p.Token(sub, ws, role)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	owner, manager, agent := token("owner-1", "owner"), token("manager-1", "manager"), token("agent-1", "agent")
	_, created := send(t, "POST", api+"/v1/contacts", owner, `{"name":"Maria","phone":"(11) 99999-1234"}`)
	id, _ := created["id"].(string)

	may := func(tok, action string) bool {
		t.Helper()
		resp, me := send(t, "GET", api+"/v1/me", tok, "")
		perms, _ := me["permissions"].(map[string]any)
		if resp.StatusCode != http.StatusOK || perms == nil || me["workspace"] != ws {
			t.Fatalf("GET /v1/me: status %d, body %v", resp.StatusCode, me)
		}
		return perms[action] == true
	}
	if may(agent, "export") || !may(manager, "delete") {
		t.Fatalf("defaults: agent export %v, manager delete %v; want false, true", may(agent, "export"), may(manager, "delete"))
	}
	if resp, body := send(t, "POST", api+"/v1/exports", agent, `{"format":"csv"}`); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an agent's export under the defaults: status %d, body %v", resp.StatusCode, body)
	}

	resp, settings := send(t, "PATCH", api+"/v1/settings", owner, `{"permissions":{"export":["manager","agent"],"delete":[]}}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH /v1/settings: status %d, body %v", resp.StatusCode, settings)
	}
	if resp, body := send(t, "PATCH", api+"/v1/settings", owner, `{"permissions":{"export":["root"]}}`); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an unknown role: status %d, body %v", resp.StatusCode, body)
	}

	if !may(agent, "export") || may(manager, "delete") || !may(owner, "delete") {
		t.Errorf("chosen: agent export %v, manager delete %v, owner delete %v; want true, false, true",
			may(agent, "export"), may(manager, "delete"), may(owner, "delete"))
	}
	if resp, body := send(t, "POST", api+"/v1/exports", agent, `{"format":"csv"}`); resp.StatusCode != http.StatusAccepted {
		t.Errorf("an agent's export, agents allowed: status %d, body %v", resp.StatusCode, body)
	}
	if resp, body := send(t, "DELETE", api+"/v1/contacts/"+id, manager, ""); resp.StatusCode != http.StatusForbidden || body["code"] != "forbidden_role" {
		t.Errorf("a manager's delete, managers refused: status %d, body %v", resp.StatusCode, body)
	}
	if resp, _ := send(t, "DELETE", api+"/v1/contacts/"+id, owner, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("the owner's delete: status %d, want 204", resp.StatusCode)
	}
}
