package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
)

// companyTimeline reads every page of the company's timeline (limit per
// page) as c's caller, and returns the entries as "type" or
// "type:contactId".
func (f *fixture) companyTimeline(t *testing.T, c call, limit string) ([]string, []map[string]any) {
	t.Helper()
	var kinds []string
	var all []map[string]any
	cursor := ""
	for pages := 0; pages < 50; pages++ {
		c.route, c.query = "GET /v1/companies/{id}/timeline", map[string]string{"limit": limit}
		if cursor != "" {
			c.query["cursor"] = cursor
		}
		r := f.do(t, c).want(t, http.StatusOK)
		for _, it := range r.body["items"].([]any) {
			e := it.(map[string]any)
			all = append(all, e)
			k := e["type"].(string)
			if ref, ok := e["contact"].(map[string]any); ok {
				k += ":" + ref["id"].(string)
			}
			kinds = append(kinds, k)
		}
		if cursor, _ = r.body["nextCursor"].(string); cursor == "" {
			return kinds, all
		}
	}
	t.Fatalf("the timeline of %s did not end in 50 pages", c.id)
	return nil, nil
}

// TestCompanyTimeline: every entry kind of a company's timeline, newest
// first, each with its actor and time: created, updated (the fields),
// contact_added for a link on create and on PATCH, contact_removed and
// contact_added for a move, contact_removed for an unlink, note; pages of
// any size give the same entries; a cursor of another company's timeline,
// or forged, is a 400.
func TestCompanyTimeline(t *testing.T) {
	f := newFixture(t)
	a := f.createCompany(t, `{"name":"Alfa Ltda"}`)
	b := f.createCompany(t, `{"name":"Beta Ltda"}`)
	f.do(t, call{route: "PATCH /v1/companies/{id}", id: a, body: `{"name":"Alfa Comércio","domain":"alfa.com.br"}`, sub: "user-manager-1", role: "manager"}).want(t, http.StatusOK)
	ana := f.create(t, `{"name":"Ana Lima","email":"ana@alfa.com.br","companyId":"`+a+`"}`)
	bruno := f.create(t, `{"name":"Bruno Reis","email":"bruno@alfa.com.br"}`)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: bruno, body: `{"companyId":"` + a + `"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: bruno, body: `{"companyId":"` + b + `","name":"Bruno Reis Jr"}`, sub: "agent-9", role: "agent"}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: ana, body: `{"companyId":null}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: ana, body: `{"name":"Ana Lima Souza"}`}).want(t, http.StatusOK) // no company change: no entry
	note := f.do(t, call{route: "POST /v1/companies/{id}/notes", id: a, body: `{"text":"  Renovação em março.  "}`}).want(t, http.StatusCreated)
	if got, want := note.body["text"], "Renovação em março."; got != want {
		t.Errorf("note text = %v, want %v (trimmed)", got, want)
	}

	kinds, entries := f.companyTimeline(t, call{id: a}, "50")
	want := []string{"note", "contact_removed:" + ana, "contact_removed:" + bruno, "contact_added:" + bruno, "contact_added:" + ana, "updated", "created"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("Alfa's timeline = %v, want %v", kinds, want)
	}
	if got := entries[0]["id"]; got != note.body["id"] {
		t.Errorf("the note's entry id = %v, want the 201's %v", got, note.body["id"])
	}
	actors := []string{"user-owner-1", "user-owner-1", "agent-9", "user-owner-1", "user-owner-1", "user-manager-1", "user-owner-1"}
	for i, e := range entries {
		if e["actor"] != actors[i] || e["at"] == nil || e["at"] == "" {
			t.Errorf("entry %d (%s): actor %v at %v, want actor %s and a time", i, kinds[i], e["actor"], e["at"], actors[i])
		}
	}
	if got := entries[5]["fields"]; !jsonEqual(got, []any{"domain", "name"}) {
		t.Errorf("updated fields = %v, want [domain name]", got)
	}
	if got, want := entries[2]["contact"], map[string]any{"id": bruno, "name": "Bruno Reis Jr"}; !jsonEqual(got, want) {
		t.Errorf("the move's removal names %v, want %v (the name the move wrote)", got, want)
	}
	if got, want := entries[4]["contact"], map[string]any{"id": ana, "name": "Ana Lima"}; !jsonEqual(got, want) {
		t.Errorf("the link on create names %v, want %v", got, want)
	}
	if got, _ := f.companyTimeline(t, call{id: b}, "50"); !slices.Equal(got, []string{"contact_added:" + bruno, "created"}) {
		t.Errorf("Beta's timeline = %v, want the move's contact_added and created", got)
	}
	for _, limit := range []string{"1", "2", "3"} {
		if got, _ := f.companyTimeline(t, call{id: a}, limit); !slices.Equal(got, want) {
			t.Errorf("pages of %s = %v, want %v", limit, got, want)
		}
	}

	page := f.do(t, call{route: "GET /v1/companies/{id}/timeline", id: a, query: map[string]string{"limit": "2"}}).want(t, http.StatusOK)
	next := page.body["nextCursor"].(string)
	for _, c := range []call{
		{id: b, query: map[string]string{"cursor": next}},
		{id: a, query: map[string]string{"cursor": next[:len(next)-2] + "xx"}},
		{id: a, query: map[string]string{"cursor": next}, workspace: "globex"},
	} {
		c.route = "GET /v1/companies/{id}/timeline"
		f.do(t, c).want(t, http.StatusBadRequest)
	}
	contactCursor := f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: ana, query: map[string]string{"limit": "1"}}).want(t, http.StatusOK).body["nextCursor"].(string)
	f.do(t, call{route: "GET /v1/companies/{id}/timeline", id: a, query: map[string]string{"cursor": contactCursor}}).want(t, http.StatusBadRequest)
	bad := f.do(t, call{route: "GET /v1/companies/{id}/timeline", id: a, query: map[string]string{"limit": "201"}}).want(t, http.StatusUnprocessableEntity)
	if got := bad.fieldErrors(); !slices.Equal(got, []string{"limit:limit_invalid"}) {
		t.Errorf("limit=201: errors %v", got)
	}
	f.do(t, call{route: "GET /v1/companies/{id}/timeline", id: "01jdx8k2m4n6p8r0s2t4v6w8y0"}).want(t, http.StatusNotFound)
	f.do(t, call{route: "GET /v1/companies/{id}/timeline", id: "not-an-id"}).want(t, http.StatusNotFound)
}

// TestCompanyNotes: the body rules of a contact's notes (required,
// trimmed, 5,000 characters, no other member), an unknown company is a
// 404, and an Idempotency-Key makes a retry replay the note, not add one.
func TestCompanyNotes(t *testing.T) {
	f := newFixture(t)
	id := f.createCompany(t, `{"name":"Alfa Ltda"}`)
	for _, tt := range []struct {
		body string
		want []string
	}{
		{`{"text":"   "}`, []string{"text:required"}},
		{`{}`, []string{"text:required"}},
		{`{"text":1}`, []string{"text:invalid_type"}},
		{`{"text":"` + strings.Repeat("é", 5001) + `"}`, []string{"text:too_long"}},
		{`{"text":"ok","color":"red"}`, []string{"color:unknown_field"}},
	} {
		r := f.do(t, call{route: "POST /v1/companies/{id}/notes", id: id, body: tt.body}).want(t, http.StatusUnprocessableEntity)
		if got := r.fieldErrors(); !slices.Equal(got, tt.want) {
			t.Errorf("note %.40s: errors %v, want %v", tt.body, got, tt.want)
		}
	}
	f.do(t, call{route: "POST /v1/companies/{id}/notes", id: id, body: `{"text":"` + strings.Repeat("é", 5000) + `"}`}).want(t, http.StatusCreated)
	f.do(t, call{route: "POST /v1/companies/{id}/notes", id: "01jdx8k2m4n6p8r0s2t4v6w8y0", body: `{"text":"x"}`}).want(t, http.StatusNotFound)
	f.do(t, call{route: "POST /v1/companies/{id}/notes", id: id, body: `{"text":`}).want(t, http.StatusBadRequest)

	key := map[string]string{"Idempotency-Key": "note-1"}
	first := f.do(t, call{route: "POST /v1/companies/{id}/notes", id: id, body: `{"text":"Ligar amanhã"}`, headers: key}).want(t, http.StatusCreated)
	again := f.do(t, call{route: "POST /v1/companies/{id}/notes", id: id, body: `{"text":"Ligar amanhã"}`, headers: key}).want(t, http.StatusCreated)
	if again.headers["Idempotent-Replayed"] != "true" || again.body["id"] != first.body["id"] {
		t.Errorf("retry: replayed %q id %v, want true and %v", again.headers["Idempotent-Replayed"], again.body["id"], first.body["id"])
	}
	f.do(t, call{route: "POST /v1/companies/{id}/notes", id: id, body: `{"text":"outra"}`, headers: key}).want(t, http.StatusUnprocessableEntity)
	kinds, _ := f.companyTimeline(t, call{id: id}, "50")
	if want := []string{"note", "note", "created"}; !slices.Equal(kinds, want) {
		t.Errorf("timeline = %v, want %v (one note per key)", kinds, want)
	}
}

// TestCompanyTimelineMergeAndDelete: a merge records the companies its
// contacts leave and join (a source's company loses it; fieldChoices moving
// the target removes it from one and adds it to the other), its undo the
// way back; deleting a company (unlinking its contact first) deletes its
// timeline with it.
func TestCompanyTimelineMergeAndDelete(t *testing.T) {
	f := newFixture(t)
	a := f.createCompany(t, `{"name":"Alfa"}`)
	b := f.createCompany(t, `{"name":"Beta"}`)
	target := f.create(t, `{"name":"Maria Alfa","email":"maria@alfa.com.br","companyId":"`+a+`"}`)
	source := f.create(t, `{"name":"Maria Beta","email":"maria@beta.com.br","companyId":"`+b+`"}`)
	merged := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"],"fieldChoices":{"companyId":"` + source + `"}}`}).want(t, http.StatusOK)
	if got, want := first(f.companyTimeline(t, call{id: a}, "50")), []string{"contact_removed:" + target, "contact_added:" + target, "created"}; !slices.Equal(got, want) {
		t.Errorf("Alfa after the merge = %v, want %v", got, want)
	}
	sameEntries := func(got, want []string) bool {
		return got[len(got)-1] == "created" && slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
	}
	beta := []string{"contact_removed:" + source, "contact_added:" + target, "contact_added:" + source, "created"}
	if got := first(f.companyTimeline(t, call{id: b}, "50")); !sameEntries(got, beta) {
		t.Errorf("Beta after the merge = %v, want %v (the two merge entries in either order)", got, beta)
	}

	// The undo gives each back: the target to Alfa, the source to Beta.
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": merged.body["id"].(string)}}).want(t, http.StatusOK)
	if got, want := first(f.companyTimeline(t, call{id: a}, "50")), []string{"contact_added:" + target, "contact_removed:" + target, "contact_added:" + target, "created"}; !slices.Equal(got, want) {
		t.Errorf("Alfa after the undo = %v, want %v", got, want)
	}
	beta = append([]string{"contact_removed:" + target, "contact_added:" + source}, beta...)
	if got := first(f.companyTimeline(t, call{id: b}, "50")); !sameEntries(got, beta) {
		t.Errorf("Beta after the undo = %v, want %v", got, beta)
	}

	f.do(t, call{route: "DELETE /v1/companies/{id}", id: b}).want(t, http.StatusNoContent)
	f.do(t, call{route: "GET /v1/companies/{id}/timeline", id: b}).want(t, http.StatusNotFound)
	f.do(t, call{route: "POST /v1/companies/{id}/notes", id: b, body: `{"text":"x"}`}).want(t, http.StatusNotFound)
	if n := f.partitionItems(t, "W#acme#CO#"+b); n != 0 {
		t.Errorf("the deleted company's partition holds %d items, want none", n)
	}
	if got := f.linkedCompany(t, source); got != nil {
		t.Errorf("the source after its company's delete: linkedCompany %v, want none", got)
	}

	// A timeline longer than a transaction holds goes first, in batches.
	long := f.createCompany(t, `{"name":"Longa"}`)
	for i := 0; i < 100; i++ {
		f.do(t, call{route: "POST /v1/companies/{id}/notes", id: long, body: `{"text":"nota"}`}).want(t, http.StatusCreated)
	}
	f.do(t, call{route: "DELETE /v1/companies/{id}", id: long}).want(t, http.StatusNoContent)
	if n := f.partitionItems(t, "W#acme#CO#"+long); n != 0 {
		t.Errorf("the deleted company with 101 entries: its partition holds %d items, want none", n)
	}
}

func first(kinds []string, _ []map[string]any) []string { return kinds }

// partitionItems counts the items of a partition (a consistent Query).
func (f *fixture) partitionItems(t *testing.T, pk string) int {
	t.Helper()
	out, err := f.client.Query(context.Background(), &dynamodb.QueryInput{
		TableName: &f.table, ConsistentRead: aws.Bool(true), Select: types.SelectCount,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
	})
	if err != nil {
		t.Fatalf("query %s: %v", pk, err)
	}
	return int(out.Count)
}

// TestCompanyTimelineWallet: with agentWalletOnly, an agent reads and
// notes only its companies' timelines (another's is a 404), and in its own
// company's timeline the entries of a contact another agent owns are left
// out, its name never shown; the owner sees them all.
func TestCompanyTimelineWallet(t *testing.T) {
	f := newFixture(t)
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`}).want(t, http.StatusOK)
	agent := func(c call) call { c.role, c.sub = "agent", "agent-1"; return c }
	mine := f.createCompany(t, `{"name":"Minha Loja","ownerId":"agent-1"}`)
	theirs := f.createCompany(t, `{"name":"Oculta Comércio","ownerId":"agent-2"}`)
	own := f.create(t, `{"name":"Cliente Minha","email":"minha@loja.com","ownerId":"agent-1","companyId":"`+mine+`"}`)
	hidden := f.create(t, `{"name":"Segredo Oculto","email":"segredo@fora.com","ownerId":"agent-2","companyId":"`+mine+`"}`)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: hidden, body: `{"companyId":null}`}).want(t, http.StatusOK)

	for _, c := range []call{{route: "GET /v1/companies/{id}/timeline"}, {route: "POST /v1/companies/{id}/notes", body: `{"text":"nota"}`}} {
		c.id = theirs
		if r := f.do(t, agent(c)).want(t, http.StatusNotFound); r.body["code"] != "company_not_found" {
			t.Errorf("%s of another wallet's company: code %v, want company_not_found", c.route, r.body["code"])
		}
	}
	f.do(t, agent(call{route: "POST /v1/companies/{id}/notes", id: mine, body: `{"text":"nota"}`})).want(t, http.StatusCreated)
	for _, limit := range []string{"1", "50"} {
		got, entries := f.companyTimeline(t, agent(call{id: mine}), limit)
		if want := []string{"note", "contact_added:" + own, "created"}; !slices.Equal(got, want) {
			t.Errorf("the agent's view (pages of %s) = %v, want %v", limit, got, want)
		}
		for _, e := range entries {
			if ref, ok := e["contact"].(map[string]any); ok && ref["name"] == "Segredo Oculto" {
				t.Errorf("the agent was shown agent-2's contact: %v", e)
			}
		}
	}
	got, _ := f.companyTimeline(t, call{id: mine}, "50")
	if want := []string{"note", "contact_removed:" + hidden, "contact_added:" + hidden, "contact_added:" + own, "created"}; !slices.Equal(got, want) {
		t.Errorf("the owner's view = %v, want %v", got, want)
	}
	if got, _ := f.companyTimeline(t, call{id: theirs}, "50"); !slices.Equal(got, []string{"created"}) {
		t.Errorf("agent-2's company after agent-1's calls = %v, want only created", got)
	}
}

// TestCompanyTimelineCapacity: what the timeline adds to each write, and
// what a page costs (docs/data-model.md, "Company timeline"): 2 WCU per
// entry (an item under 1 KB, written in the transaction of the write it
// records: transactions bill 2 per KB), and a page of 20 is one consistent
// GetItem of the company and one Query.
func TestCompanyTimelineCapacity(t *testing.T) {
	client, table := dynamotest.NewTable(t)
	meter := &dynamotest.Meter{}
	f := newFixtureOn(t, dynamodb.New(client.Options(), dynamotest.WithMeter(meter)), table)
	writeUnits := func(c call, status int) float64 {
		t.Helper()
		meter.Reset()
		f.do(t, c).want(t, status)
		for _, u := range meter.Usage() {
			if u.Operation == "TransactWriteItems" {
				return u.Write
			}
		}
		t.Fatalf("%s: no transaction", c.route)
		return 0
	}
	created := writeUnits(call{route: "POST /v1/companies", body: `{"name":"Alfa"}`}, http.StatusCreated)
	// A one-word name: the company, its entry, 3 index rows (name, creation, word), 2 each.
	if created != 10 {
		t.Errorf("company create: %v WCU, want 10 (the entry's 2 included)", created)
	}
	ids := f.do(t, call{route: "GET /v1/companies"}).want(t, http.StatusOK).body["items"].([]any)
	alfa := ids[0].(map[string]any)["id"].(string)
	renamed := writeUnits(call{route: "PATCH /v1/companies/{id}", id: alfa, body: `{"domain":"alfa.com.br"}`}, http.StatusOK)
	if renamed != 10 {
		t.Errorf("company update (domain): %v WCU, want 10 (the company, its entry, 3 index rows rewritten)", renamed)
	}
	beta := f.createCompany(t, `{"name":"Beta"}`)
	plain := writeUnits(call{route: "POST /v1/contacts", body: `{"name":"Ana","email":"ana@alfa.com.br"}`}, http.StatusCreated)
	linked := writeUnits(call{route: "POST /v1/contacts", body: `{"name":"Bia","email":"bia@alfa.com.br","companyId":"` + alfa + `"}`}, http.StatusCreated)
	// A link adds the company's index row, the existence check and the entry: 2 each.
	if linked-plain != 6 {
		t.Errorf("a create linking a company: %v WCU more than one without, want 6 (index row, check, entry)", linked-plain)
	}
	bia := f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"q": "bia"}}).want(t, http.StatusOK).body["items"].([]any)[0].(map[string]any)["id"].(string)
	rename := writeUnits(call{route: "PATCH /v1/contacts/{id}", id: bia, body: `{"name":"Bia Souza"}`}, http.StatusOK)
	move := writeUnits(call{route: "PATCH /v1/contacts/{id}", id: bia, body: `{"name":"Bia Lima","companyId":"` + beta + `"}`}, http.StatusOK)
	// Over a rename (which rewrites the company index row): the old row's
	// delete, the check and two entries, 2 each.
	if move-rename != 8 {
		t.Errorf("a move: %v WCU more than a rename alone, want 8", move-rename)
	}
	for i := 0; i < 25; i++ {
		f.do(t, call{route: "POST /v1/companies/{id}/notes", id: alfa, body: `{"text":"nota"}`}).want(t, http.StatusCreated)
	}
	meter.Reset()
	f.do(t, call{route: "GET /v1/companies/{id}/timeline", id: alfa, query: map[string]string{"limit": "20"}}).want(t, http.StatusOK)
	u := meter.Total()
	if u.Calls != 2 || u.Read != 1.5 || u.Write != 0 {
		t.Errorf("a page of 20: %d calls, %v RCU, %v WCU; want 2 calls (GetItem, Query), 1.5 RCU", u.Calls, u.Read, u.Write)
	}
}

// TestCompanyTimelineContactDeleted: deleting a linked contact records in
// its company's timeline that it left, and who deleted it.
func TestCompanyTimelineContactDeleted(t *testing.T) {
	f := newFixture(t)
	co := f.createCompany(t, `{"name":"Gama"}`)
	ana := f.create(t, `{"name":"Ana Gama","email":"ana@gama.com.br","companyId":"`+co+`"}`)
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: ana}).want(t, http.StatusNoContent)
	kinds, entries := f.companyTimeline(t, call{id: co}, "50")
	if want := []string{"contact_removed:" + ana, "contact_added:" + ana, "created"}; !slices.Equal(kinds, want) {
		t.Fatalf("timeline = %v, want %v", kinds, want)
	}
	if got, want := entries[0]["actor"], "user-owner-1"; got != want {
		t.Errorf("contact_removed actor = %v, want %v", got, want)
	}
}
