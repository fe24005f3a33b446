package httpapi_test

import (
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/omnichannel/contacts/internal/merge"
)

// walletWorld is a workspace that keeps agents to their wallets, as agent-1
// sees it: its own contacts, and agent-2's, which it must never see.
type walletWorld struct {
	f      *fixture
	tagID  string
	mine   string // agent-1's; agent-2's "Ligada" is linked to it, and an undone merge took agent-2's "Devolvida" into it
	shared string // agent-1's, holding hidden's phone: a suggestion with one contact agent-1 may see
	hidden string // agent-2's: a conversation, a merge of "Fundida" into it, an email shared with twin
	twin   string // agent-2's: its phone is held by no contact agent-1 may see

	merge, undone         string // merges: of Fundida into hidden; of Devolvida into mine, undone
	conversation          string // hidden's
	phoneGroup, mailGroup string // suggestion ids: hidden+shared (by phone), hidden+twin (by email)
	twinPhone             string

	secrets []string // what of agent-2's wallet agent-1 must never receive
}

// agent1 makes c a call of agent-1, bound to its wallet.
func agent1(c call) call {
	c.role, c.sub = "agent", "agent-1"
	return c
}

func newWalletWorld(t *testing.T) *walletWorld {
	t.Helper()
	f := newFixture(t)
	w := &walletWorld{f: f, twinPhone: "+5511955550002"}
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`}).want(t, http.StatusOK)
	w.tagID = f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP"}`}).want(t, http.StatusCreated).body["id"].(string)
	w.mine = f.create(t, `{"name":"Minha Cliente","email":"minha@cliente.com","ownerId":"agent-1"}`)
	w.hidden = f.create(t, `{"name":"Oculta Segredo","phone":"+55 11 98555-0001","email":"oculta@fora.com","company":"Fora Segredos","ownerId":"agent-2","externalId":"erp-segredo-1"}`)
	w.shared = f.create(t, `{"name":"Compartilhada","phone":"+55 11 98555-0001","ownerId":"agent-1"}`)
	w.twin = f.create(t, `{"name":"Gemea Segredo","phone":"`+w.twinPhone+`","email":"oculta@fora.com","ownerId":"agent-2"}`)
	fundida := f.create(t, `{"name":"Fundida Segredo","email":"fundida@fora.com","ownerId":"agent-2"}`)
	w.merge = f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: w.hidden, body: `{"sourceIds":["` + fundida + `"]}`}).want(t, http.StatusOK).body["id"].(string)
	devolvida := f.create(t, `{"name":"Devolvida Segredo","email":"devolvida@fora.com","company":"Devolvida SA","ownerId":"agent-2"}`)
	w.undone = f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: w.mine, body: `{"sourceIds":["` + devolvida + `"]}`}).want(t, http.StatusOK).body["id"].(string)
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": w.undone}, body: `{}`}).want(t, http.StatusOK)
	ligada := f.create(t, `{"name":"Ligada Segredo","email":"ligada@fora.com","ownerId":"agent-2"}`)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: ligada, body: `{"mainContactId":"` + w.mine + `"}`}).want(t, http.StatusOK)
	w.conversation = f.startConversation(t, `{"contactId":"`+w.hidden+`","channel":"sms","teamId":"t1"}`, http.StatusCreated).body["id"].(string)
	w.phoneGroup, w.mailGroup = merge.SuggestionID("p:+5511985550001"), merge.SuggestionID("e:oculta@fora.com")
	w.checkSuggested(t)
	w.secrets = []string{
		w.hidden, w.twin, fundida, devolvida, ligada, w.merge, w.undone, w.conversation, w.mailGroup,
		"Oculta", "Gemea", "Fundida", "Devolvida", "Ligada", "Segredo", "oculta@", "fundida@", "devolvida@", "ligada@", "955550002", "agent-2",
	}
	return w
}

// checkSuggested fails unless the owner is still shown both groups (no
// agent dismissed them).
func (w *walletWorld) checkSuggested(t *testing.T) {
	t.Helper()
	var listed []string
	for _, sg := range items(w.f.suggestions(t, nil)) {
		listed = append(listed, sg["id"].(string))
	}
	for _, id := range []string{w.phoneGroup, w.mailGroup} {
		found := false
		for _, l := range listed {
			found = found || l == id
		}
		if !found {
			t.Errorf("the owner is not shown suggestion %s (listed %v)", id, listed)
		}
	}
}

// ownerView is what the owner reads of agent-2's wallet, to tell whether an
// agent's call changed it.
func (w *walletWorld) ownerView(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, c := range []call{
		{route: "GET /v1/contacts/{id}", id: w.hidden},
		{route: "GET /v1/contacts/{id}", id: w.twin},
		{route: "GET /v1/contacts/{id}/conversations", id: w.hidden},
		{route: "GET /v1/contacts/{id}/timeline", id: w.hidden},
		{route: "GET /v1/merges/{mergeId}", params: map[string]string{"mergeId": w.merge}},
		{route: "GET /v1/merges/{mergeId}", params: map[string]string{"mergeId": w.undone}},
	} {
		out = append(out, w.f.do(t, c).want(t, http.StatusOK).raw)
	}
	return out
}

// leaked returns the secrets r holds that c did not send itself.
func (w *walletWorld) leaked(c call, r result) []string {
	sent := c.id + " " + c.body
	for _, m := range []map[string]string{c.params, c.query} {
		for _, v := range m {
			sent += " " + v
		}
	}
	got := r.raw
	for k, v := range r.headers {
		got += " " + k + ": " + v
	}
	var out []string
	for _, s := range w.secrets {
		if strings.Contains(got, s) && !strings.Contains(sent, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestConversationStartByPhoneIsUniform: a wallet-bound agent typing a
// number only contacts outside its wallet hold gets exactly the answer of
// a number nobody holds: the same 422 without createContact, a contact of
// its own with createContact. No status or field tells the two apart.
func TestConversationStartByPhoneIsUniform(t *testing.T) {
	w := newWalletWorld(t)
	f := w.f
	start := func(phone, extra string) result {
		t.Helper()
		return f.do(t, agent1(call{route: "POST /v1/conversations", body: `{"phone":"` + phone + `","channel":"sms","teamId":"t1"` + extra + `}`}))
	}
	for _, extra := range []string{"", `,"createContact":false`} {
		taken, free := start(w.twinPhone, extra), start("+55 11 94444-0003", extra)
		if taken.status != free.status || taken.raw != free.raw {
			t.Errorf("a number held outside the wallet answers %d %s; one nobody holds %d %s", taken.status, taken.raw, free.status, free.raw)
		}
		if taken.status != http.StatusUnprocessableEntity {
			t.Errorf("start by an unknown number = %d, want 422", taken.status)
		}
	}
	taken := start(w.twinPhone, `,"createContact":true`).want(t, http.StatusCreated)
	free := start("+55 11 94444-0003", `,"createContact":true`).want(t, http.StatusCreated)
	if got, want := slices.Sorted(maps.Keys(taken.body)), slices.Sorted(maps.Keys(free.body)); !reflect.DeepEqual(got, want) {
		t.Errorf("fields of the answers differ: %v and %v", got, want)
	}
	for _, r := range []result{taken, free} {
		id := r.body["contactId"].(string)
		if id == w.twin {
			t.Fatalf("the start went to agent-2's contact: %s", r.raw)
		}
		c := f.do(t, agent1(call{route: "GET /v1/contacts/{id}", id: id})).want(t, http.StatusOK)
		if c.body["ownerId"] != "agent-1" || r.status != http.StatusCreated {
			t.Errorf("contact of a start by number = %s, want a new one in agent-1's wallet", c.raw)
		}
	}
	// A number held in the wallet and, by an older contact, outside it finds
	// the one in the wallet.
	shared := f.do(t, agent1(call{route: "POST /v1/conversations", body: `{"phone":"(11) 98555-0001","channel":"sms","teamId":"t1"}`})).want(t, http.StatusCreated)
	if shared.body["contactId"] != w.shared {
		t.Errorf("start by a number held in and outside the wallet went to %v, want %s", shared.body["contactId"], w.shared)
	}
}

// TestWalletMergeRecords: an agent bound to a wallet sees a merge only when
// it may see every contact of it: not the one of agent-2's contacts, nor
// the undone one whose source is agent-2's again; the owner sees both.
func TestWalletMergeRecords(t *testing.T) {
	w := newWalletWorld(t)
	for _, id := range []string{w.merge, w.undone} {
		for _, route := range []string{"GET /v1/merges/{mergeId}", "POST /v1/merges/{mergeId}/undo", "POST /v1/merges/{mergeId}/resume"} {
			w.f.do(t, agent1(call{route: route, params: map[string]string{"mergeId": id}, body: `{}`})).want(t, http.StatusNotFound)
		}
		w.f.do(t, call{route: "GET /v1/merges/{mergeId}", params: map[string]string{"mergeId": id}}).want(t, http.StatusOK)
	}
	// A merge of agent-1's own contacts stays its to read and undo.
	other := w.f.create(t, `{"name":"Minha Outra","email":"outra@cliente.com","ownerId":"agent-1"}`)
	own := w.f.do(t, agent1(call{route: "POST /v1/contacts/{id}/merge", id: w.mine, body: `{"sourceIds":["` + other + `"]}`})).want(t, http.StatusOK).body["id"].(string)
	w.f.do(t, agent1(call{route: "GET /v1/merges/{mergeId}", params: map[string]string{"mergeId": own}})).want(t, http.StatusOK)
	w.f.do(t, agent1(call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": own}, body: `{}`})).want(t, http.StatusOK)
	w.f.do(t, agent1(call{route: "GET /v1/merges/{mergeId}", params: map[string]string{"mergeId": own}})).want(t, http.StatusOK)
}

// TestWalletSuggestions: an agent is shown, and may dismiss, only groups
// with two or more contacts of its wallet.
func TestWalletSuggestions(t *testing.T) {
	w := newWalletWorld(t)
	if got := items(w.f.do(t, agent1(call{route: "GET /v1/merge-suggestions"})).want(t, http.StatusOK)); len(got) != 0 {
		t.Errorf("agent-1 is shown %v, want no group", got)
	}
	for _, id := range []string{w.phoneGroup, w.mailGroup} {
		w.f.do(t, agent1(call{route: "POST /v1/merge-suggestions/dismiss", body: `{"id":"` + id + `"}`})).want(t, http.StatusNotFound)
	}
	w.checkSuggested(t)
	// A group of its own wallet it may dismiss.
	w.f.create(t, `{"name":"Minha Cópia","email":"minha@cliente.com","ownerId":"agent-1"}`)
	own := merge.SuggestionID("e:minha@cliente.com")
	if got := items(w.f.do(t, agent1(call{route: "GET /v1/merge-suggestions"})).want(t, http.StatusOK)); len(got) != 1 || got[0]["id"] != own {
		t.Errorf("agent-1 is shown %v, want its own group only", got)
	}
	w.f.do(t, agent1(call{route: "POST /v1/merge-suggestions/dismiss", body: `{"id":"` + own + `"}`})).want(t, http.StatusNoContent)
}

// TestWalletStaleIfMatch: a wallet-bound agent writing to a contact outside
// its wallet gets 404 whatever its If-Match says; a 412 naming the current
// version would tell it the contact exists.
func TestWalletStaleIfMatch(t *testing.T) {
	f := newFixture(t)
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`}).want(t, http.StatusOK)
	hidden := f.create(t, `{"name":"Oculta","email":"oculta@fora.com","ownerId":"agent-2"}`)
	tagID := f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP"}`}).want(t, http.StatusCreated).body["id"].(string)
	for _, c := range []call{
		{route: "PATCH /v1/contacts/{id}", id: hidden, body: `{"name":"X"}`},
		{route: "POST /v1/contacts/{id}/tags", id: hidden, body: `{"tags":["` + tagID + `"]}`},
	} {
		for _, ifMatch := range []string{`"stale-0"`, `"7"`, `"1"`} {
			c.headers = map[string]string{"If-Match": ifMatch}
			got := f.do(t, agent1(c))
			if got.status != http.StatusNotFound {
				t.Errorf("%s with If-Match %s as an agent outside its wallet: status %d, want 404 (%s)", c.route, ifMatch, got.status, got.raw)
			}
		}
	}
}
