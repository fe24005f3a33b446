package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/tenant"
)

// TestIdempotencyKeyOnCreates: tag and note creation replay their first
// success for the same key and body, refuse the key for another body, and
// let a failed request be retried with its key.
func TestIdempotencyKeyOnCreates(t *testing.T) {
	f := newFixture(t)
	key := map[string]string{"Idempotency-Key": "tag-req-1"}
	first := f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP"}`, headers: key}).want(t, http.StatusCreated)
	again := f.do(t, call{route: "POST /v1/tags", body: `{ "name" : "VIP" }`, headers: key}).want(t, http.StatusCreated)
	if again.raw != first.raw || again.headers["Idempotent-Replayed"] != "true" || again.headers["Location"] != first.headers["Location"] {
		t.Errorf("replay = %s %v, want the first response", again.raw, again.headers)
	}
	f.do(t, call{route: "POST /v1/tags", body: `{"name":"Lead"}`, headers: key}).want(t, http.StatusUnprocessableEntity)
	if n := len(f.do(t, call{route: "GET /v1/tags"}).want(t, http.StatusOK).body["items"].([]any)); n != 1 {
		t.Errorf("catalogue has %d tags, want 1", n)
	}

	id := f.create(t, mariaBody)
	noteKey := map[string]string{"Idempotency-Key": "note-req-1"}
	f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":""}`, headers: noteKey}).want(t, http.StatusUnprocessableEntity)
	n1 := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":"Ligar amanhã"}`, headers: noteKey}).want(t, http.StatusCreated)
	n2 := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":"Ligar amanhã"}`, headers: noteKey}).want(t, http.StatusCreated)
	if n1.body["id"] != n2.body["id"] {
		t.Errorf("a retried note was added twice: %v, %v", n1.body["id"], n2.body["id"])
	}
	notes := 0
	for _, e := range f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: id}).want(t, http.StatusOK).body["items"].([]any) {
		if e.(map[string]any)["type"] == "note" {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("timeline has %d notes, want 1", notes)
	}
	// Keys belong to a workspace.
	f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP"}`, headers: key, workspace: "globex"}).want(t, http.StatusCreated)
}

// TestIdempotencyKeyCannotClaimASender: the attack. An agent
// creating a contact with the key the service uses for a sender's first
// message is refused (400 naming the header), in any case and on every
// route that takes a key, and writes nothing; and even a key that got past
// the check lives in the caller's own namespace: the first WhatsApp message
// of that number lands on a contact of its own.
func TestIdempotencyKeyCannotClaimASender(t *testing.T) {
	f := newFixture(t)
	const number = "+5511955554444"
	agent := call{route: "POST /v1/contacts", role: "agent", sub: "agent-7", body: `{"name":"Isca","email":"isca@example.com"}`}
	before := f.countItems(t)
	for _, key := range []string{"inbound:phone:" + number, "INBOUND:phone:" + number, "Inbound:email:ana@example.com", "inbound:user:whatsapp:123"} {
		for _, route := range []string{"POST /v1/contacts", "POST /v1/tags"} {
			c := agent
			c.route, c.headers = route, map[string]string{"Idempotency-Key": key}
			if route == "POST /v1/tags" {
				c.role, c.body = "owner", `{"name":"VIP"}`
			}
			r := f.do(t, c).want(t, http.StatusBadRequest)
			if r.body["code"] != "idempotency_key_reserved" || !strings.Contains(r.body["detail"].(string), "Idempotency-Key") {
				t.Errorf("%s with Idempotency-Key %s = %s, want idempotency_key_reserved naming the header", route, key, r.raw)
			}
		}
	}
	if n := f.countItems(t); n != before {
		t.Errorf("refused keys wrote %d items", n-before)
	}

	// Past the header check (the service called directly), the key is the
	// agent's own and cannot meet the sender's.
	agentCaller := tenant.Caller{Workspace: "acme", Subject: "agent-7", Role: tenant.Agent}
	bait, _, err := f.people.Create(context.Background(), agentCaller, contact.CreateRequest{
		Document:       map[string]any{"name": "Isca", "email": "isca@example.com"},
		IdempotencyKey: "inbound:phone:" + number, Fingerprint: "f",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := f.receive(t, inbound("wamid.bait", conversation.From{Phone: "5511955554444", Name: "Cliente"}))
	if !r.ContactCreated || r.ContactID == bait.ID {
		t.Fatalf("the sender's first message = %+v, want a contact of its own (not the agent's %s)", r, bait.ID)
	}
	sameList(t, "contacts with the sender's number", f.lookupPhone(t, "acme", number), []string{r.ContactID})
	if states, _ := f.channelStates(t, bait.ID); states["whatsapp"]["state"] == "active" {
		t.Errorf("the sender's channel stuck to the agent's contact: %v", states["whatsapp"])
	}
}

// TestIdempotencyKeyBoundToCaller: another user sending a key already used
// gets a fresh result, with the same body or another; the first user still
// gets the replay.
func TestIdempotencyKeyBoundToCaller(t *testing.T) {
	f := newFixture(t)
	key := map[string]string{"Idempotency-Key": "create-1"}
	body := `{"name":"Lia","email":"lia@example.com"}`
	first := f.do(t, call{route: "POST /v1/contacts", body: body, headers: key}).want(t, http.StatusCreated)
	other := f.do(t, call{route: "POST /v1/contacts", body: body, headers: key, sub: "user-owner-2"}).want(t, http.StatusCreated)
	if other.body["id"] == first.body["id"] || other.headers["Idempotent-Replayed"] != "" {
		t.Errorf("another user's request with the key = %v %s, want a contact of its own", other.headers, other.raw)
	}
	f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Outra","email":"o@example.com"}`, headers: key, sub: "user-owner-3"}).want(t, http.StatusCreated)
	again := f.do(t, call{route: "POST /v1/contacts", body: body, headers: key}).want(t, http.StatusCreated)
	if again.raw != first.raw || again.headers["Idempotent-Replayed"] != "true" {
		t.Errorf("the first user's retry = %v %s, want the replay of %s", again.headers, again.raw, first.raw)
	}

	id := first.body["id"].(string)
	noteKey := map[string]string{"Idempotency-Key": "note-1"}
	note := `{"text":"Ligar amanhã"}`
	n1 := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: note, headers: noteKey}).want(t, http.StatusCreated)
	n2 := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: note, headers: noteKey, role: "agent", sub: "agent-7"}).want(t, http.StatusCreated)
	if n2.body["id"] == n1.body["id"] || n2.headers["Idempotent-Replayed"] != "" {
		t.Errorf("another user's note with the key = %v %s, want a note of its own", n2.headers, n2.raw)
	}
	if n3 := f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: note, headers: noteKey}).want(t, http.StatusCreated); n3.raw != n1.raw {
		t.Errorf("the first user's retry = %s, want %s", n3.raw, n1.raw)
	}
}
