package tests

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/omnichannel/contacts/infra/local/platform"
)

// workspaceTokens starts the platform and returns it, a workspace of the
// test's own and a token in it for each of the roles asked.
func workspaceTokens(t *testing.T, roles ...string) (p *platform.Platform, ws string, tokens map[string]string) {
	t.Helper()
	p, _ = startPlatform(t, "template.yaml", ".")
	ws = "sec-" + randomHex(4)
	tokens = map[string]string{}
	for _, role := range roles {
		tok, err := p.Token(role+"-1", ws, role)
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = tok
	}
	return p, ws, tokens
}

// TestJobFilesNotForAgents: an agent reading or listing the jobs of its
// workspace never receives the link to an owner's export, nor to an
// import's error report (the file's raw rows); it still follows the jobs.
// The owner and a manager, who may start those jobs, get the links.
func TestJobFilesNotForAgents(t *testing.T) {
	p, _, tok := workspaceTokens(t, "owner", "manager", "agent")
	api := p.APIURL
	suffix := randomDigits(4)
	imported := importFile(t, api, tok["owner"], "Nome;Telefone\r\nAna;(21) 98888-"+suffix+"\r\nBruno;12345\r\n")
	if imported["status"] != "succeeded" || imported["errorReportUrl"] == nil {
		t.Fatalf("import job as the owner = %v, want an error report", imported)
	}
	resp, _ := send(t, "POST", api+"/v1/exports", tok["owner"], `{"format":"csv"}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start export: %d", resp.StatusCode)
	}
	exported := waitJob(t, api, tok["owner"], resp.Header.Get("Location"))
	if exported["status"] != "succeeded" || exported["downloadUrl"] == nil {
		t.Fatalf("export job as the owner = %v, want a download", exported)
	}

	_, asManager := send(t, "GET", api+"/v1/jobs/"+exported["id"].(string), tok["manager"], "")
	if asManager["downloadUrl"] == nil {
		t.Errorf("a manager (who may export) gets no download link: %v", asManager)
	}
	for _, job := range []map[string]any{imported, exported} {
		resp, asAgent := send(t, "GET", api+"/v1/jobs/"+job["id"].(string), tok["agent"], "")
		if resp.StatusCode != http.StatusOK || asAgent["status"] != "succeeded" || asAgent["counts"] == nil {
			t.Errorf("%s job as an agent: %d %v, want it followed", job["type"], resp.StatusCode, asAgent)
		}
		noFileLinks(t, "GET /v1/jobs/{id} as an agent", asAgent)
	}
	_, list := send(t, "GET", api+"/v1/jobs", tok["agent"], "")
	items, _ := list["items"].([]any)
	if len(items) != 2 {
		t.Errorf("an agent lists %d jobs, want 2", len(items))
	}
	for _, it := range items {
		noFileLinks(t, "GET /v1/jobs as an agent", it.(map[string]any))
	}
}

func noFileLinks(t *testing.T, what string, job map[string]any) {
	t.Helper()
	for _, k := range []string{"downloadUrl", "errorReportUrl"} {
		if v, ok := job[k]; ok {
			t.Errorf("%s: %s job has %s %v", what, job["type"], k, v)
		}
	}
}

// TestIdempotencyKeyCannotClaimASender: the attack over HTTP. An
// agent creating a contact with the key of a sender's first message is
// refused; the first WhatsApp message from that number (through the
// inbound queue and function) lands on a contact of its own, not on the
// agent's.
func TestIdempotencyKeyCannotClaimASender(t *testing.T) {
	p, ws, tok := workspaceTokens(t, "agent")
	api := p.APIURL
	number := "+55119" + randomDigits(8)
	body := `{"name":"Isca","email":"isca` + randomDigits(6) + `@example.com"}`
	resp, refused := send(t, "POST", api+"/v1/contacts", tok["agent"], body, "Idempotency-Key", "inbound:phone:"+number)
	if resp.StatusCode != http.StatusBadRequest || refused["code"] != "idempotency_key_reserved" {
		t.Fatalf("a reserved Idempotency-Key: %d %v, want 400 idempotency_key_reserved", resp.StatusCode, refused)
	}
	resp, bait := send(t, "POST", api+"/v1/contacts", tok["agent"], body, "Idempotency-Key", "phone:"+number)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %v", resp.StatusCode, bait)
	}

	sendInbound(t, p, ws, number, "Cliente")
	var found []any
	eventually(t, 20*time.Second, "the sender's first message created no contact", func() bool {
		_, r := send(t, "GET", api+"/v1/contacts/lookup?phone="+url.QueryEscape(number), tok["agent"], "")
		found, _ = r["items"].([]any)
		return len(found) > 0
	})
	c := found[0].(map[string]any)
	if len(found) != 1 || c["id"] == bait["id"] || c["name"] != "Cliente" {
		t.Errorf("contacts with the sender's number = %v, want one of its own (not the agent's %v)", found, bait["id"])
	}
}

// TestPreconditionsAndCaching: over HTTP, a well-formed If-Match that does
// not match is a 412 and writes nothing; and no response may be cached.
func TestPreconditionsAndCaching(t *testing.T) {
	api, token := contactsPlatform(t)
	resp, created := send(t, "POST", api+"/v1/contacts", token, `{"name":"Rita","email":"rita`+randomDigits(6)+`@example.com"}`)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	contact := api + "/v1/contacts/" + created["id"].(string)
	for _, ifMatch := range []string{`"stale-0"`, `W/"1"`, `"2"`} {
		if resp, body := send(t, "PATCH", contact, token, `{"company":"ACME"}`, "If-Match", ifMatch); resp.StatusCode != http.StatusPreconditionFailed {
			t.Errorf("PATCH with If-Match %s: %d %v, want 412", ifMatch, resp.StatusCode, body)
		}
	}
	if resp, body := send(t, "DELETE", contact, token, "", "If-Match", `"stale-0"`); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("DELETE with If-Match \"stale-0\": %d %v, want 412", resp.StatusCode, body)
	}
	if resp, body := send(t, "PATCH", contact, token, `{"company":"ACME"}`, "If-Match", `"9", "1"`); resp.StatusCode != http.StatusOK || body["version"] != float64(2) {
		t.Errorf("PATCH with If-Match \"9\", \"1\": %d %v, want 200 at version 2", resp.StatusCode, body)
	}
	for _, path := range []string{"/v1/contacts", "/v1/jobs", "/v1/contacts/01jdx0000000000000000000zz"} {
		if resp, _ := send(t, "GET", api+path, token, ""); resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d with Cache-Control %q, want no-store", path, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
}
