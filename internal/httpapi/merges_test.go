package httpapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/merge"
)

// createInOrder creates contacts one after the other, each with an id
// greater than the one before (ids sort by creation time: the first is
// the oldest).
func (f *fixture) createInOrder(t *testing.T, bodies ...string) []string {
	t.Helper()
	var out []string
	for _, b := range bodies {
		id := f.create(t, b)
		if len(out) > 0 && id <= out[len(out)-1] {
			t.Fatalf("contact %s created after %s has a smaller id", id, out[len(out)-1])
		}
		out = append(out, id)
		time.Sleep(2 * time.Millisecond) // the next one gets a later millisecond
	}
	return out
}

// suggestions returns the merge suggestions page for query.
func (f *fixture) suggestions(t *testing.T, query map[string]string, extra ...func(*call)) result {
	t.Helper()
	c := call{route: "GET /v1/merge-suggestions", query: query}
	for _, e := range extra {
		e(&c)
	}
	return f.do(t, c).want(t, http.StatusOK)
}

// groups renders a suggestions page as "kind value: id,id,..." lines,
// in the page's order.
func groups(r result) []string {
	var out []string
	for _, sg := range items(r) {
		var members []string
		for _, c := range sg["contacts"].([]any) {
			members = append(members, c.(map[string]any)["id"].(string))
		}
		out = append(out, fmt.Sprintf("%s %s: %s", sg["kind"], sg["value"], strings.Join(members, ",")))
	}
	return out
}

func group(kind, value string, ids ...string) string {
	return fmt.Sprintf("%s %s: %s", kind, value, strings.Join(ids, ","))
}

// suggestionOf returns the listed suggestion whose value is value.
func suggestionOf(t *testing.T, r result, value string) map[string]any {
	t.Helper()
	for _, sg := range items(r) {
		if sg["value"] == value {
			return sg
		}
	}
	t.Fatalf("no suggestion for %s in %s", value, r.raw)
	return nil
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func globex(c *call) { c.workspace = "globex" }

// asManager makes c a manager's call.
func asManager(c call) call {
	c.role, c.sub = "manager", "user-manager-2"
	return c
}

// TestMergeSuggestions: contacts sharing a phone (ninth digit rule) or an
// email (any case) are suggested; blocked contacts are left out; a
// dismissed group comes back when its membership changes.
func TestMergeSuggestions(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Maria da Silva","phone":"(11) 98888-7777"}`,
		`{"name":"Maria S.","phone":"+55 11 8888-7777"}`,
		`{"name":"João Pereira","email":"joao.pereira@gmail.com"}`,
		`{"email":"Joao.Pereira@Gmail.com"}`,
		`{"name":"Ana","phone":"(21) 97777-6666"}`,
		`{"name":"Ana Souza","phone":"21977776666"}`,
		`{"name":"Ana Bloqueada","phone":"+55 21 97777-6666"}`,
		`{"name":"Sozinho","phone":"(31) 95555-4444","email":"sozinho@loja.com.br"}`,
	)
	maria, mariaS, joao, joao2, ana, anaS, anaB, alone := ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ids[7]
	phoneMaria, phoneAna, email := "+5511988887777", "+5521977776666", "joao.pereira@gmail.com"
	all := []string{
		group("email", email, joao, joao2),
		group("phone", phoneMaria, maria, mariaS),
		group("phone", phoneAna, ana, anaS, anaB),
	}
	r := f.suggestions(t, nil)
	sameList(t, "suggestions", groups(r), all)
	if _, ok := r.body["nextCursor"]; ok {
		t.Errorf("one page has a nextCursor: %s", r.raw)
	}
	sg := suggestionOf(t, r, phoneMaria)
	if sg["kind"] != "phone" || sg["generation"] == nil || sg["id"] != base64.RawURLEncoding.EncodeToString([]byte("p:"+phoneMaria)) {
		t.Errorf("suggestion = %v", sg)
	}
	first := sg["contacts"].([]any)[0].(map[string]any)
	if first["name"] != "Maria da Silva" || first["phone"] != phoneMaria || first["email"] != nil || first["createdAt"] == nil {
		t.Errorf("suggested contact = %v", first)
	}

	// One contact's groups.
	sameList(t, "groups of João", groups(f.suggestions(t, map[string]string{"contactId": joao})), all[:1])
	sameList(t, "groups of a contact alone", groups(f.suggestions(t, map[string]string{"contactId": alone})), nil)
	f.do(t, call{route: "GET /v1/merge-suggestions", query: map[string]string{"contactId": "01jdx0000000000000000000zz"}}).want(t, http.StatusNotFound)

	// Blocked contacts are left out; a group of one unblocked contact is no group.
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: anaB}).want(t, http.StatusOK)
	sameList(t, "after blocking one of three", groups(f.suggestions(t, nil)), []string{all[0], all[1], group("phone", phoneAna, ana, anaS)})
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: anaS}).want(t, http.StatusOK)
	sameList(t, "after blocking two of three", groups(f.suggestions(t, nil)), all[:2])
	sameList(t, "groups of a blocked contact", groups(f.suggestions(t, map[string]string{"contactId": anaS})), nil)
	f.do(t, call{route: "POST /v1/contacts/{id}/unblock", id: anaS}).want(t, http.StatusOK)
	sameList(t, "after unblocking", groups(f.suggestions(t, nil)), []string{all[0], all[1], group("phone", phoneAna, ana, anaS)})

	// Dismissed: hidden, even from its contacts, until a contact joins.
	sg = suggestionOf(t, f.suggestions(t, nil), phoneMaria)
	gen := sg["generation"].(float64)
	f.do(t, call{route: "POST /v1/merge-suggestions/dismiss", body: fmt.Sprintf(`{"id":%q,"generation":%v}`, sg["id"], gen)}).want(t, http.StatusNoContent)
	sameList(t, "after dismissing", groups(f.suggestions(t, nil)), []string{all[0], group("phone", phoneAna, ana, anaS)})
	sameList(t, "groups of a dismissed contact", groups(f.suggestions(t, map[string]string{"contactId": maria})), nil)
	mariaNova := f.create(t, `{"name":"Maria Nova","phone":"11 9 8888 7777"}`)
	back := f.suggestions(t, nil)
	sameList(t, "after a contact joins the dismissed group", groups(back), []string{all[0], group("phone", phoneMaria, maria, mariaS, mariaNova), group("phone", phoneAna, ana, anaS)})
	if g := suggestionOf(t, back, phoneMaria)["generation"].(float64); g <= gen {
		t.Errorf("generation after a change = %v, want more than %v", g, gen)
	}
	// Dismissing what was listed before the change is refused.
	if r := f.do(t, call{route: "POST /v1/merge-suggestions/dismiss", body: fmt.Sprintf(`{"id":%q,"generation":%v}`, sg["id"], gen)}).want(t, http.StatusConflict); r.body["code"] != "suggestion_changed" {
		t.Errorf("stale dismiss = %s", r.raw)
	}
	// A group that is no group, or an id that is no suggestion's.
	none := base64.RawURLEncoding.EncodeToString([]byte("p:+5531955554444"))
	if r := f.do(t, call{route: "POST /v1/merge-suggestions/dismiss", body: `{"id":"` + none + `"}`}).want(t, http.StatusNotFound); r.body["code"] != "suggestion_not_found" {
		t.Errorf("dismissing a one-contact group = %s", r.raw)
	}
	before := f.countItems(t)
	for body, want := range map[string]string{
		`{"id":"not a suggestion"}`:            "id:id_invalid",
		`{}`:                                   "id:id_invalid",
		`{"id":"` + none + `","generation":0}`: "generation:invalid_type",
		`{"id":"` + none + `","generation":"dois"}`: "generation:invalid_type",
		`{"id":"` + none + `","members":["a","b"]}`: "members:unknown_field",
	} {
		r := f.do(t, call{route: "POST /v1/merge-suggestions/dismiss", body: body}).want(t, http.StatusUnprocessableEntity)
		if got := strings.Join(r.fieldErrors(), ","); got != want {
			t.Errorf("dismiss %s: errors %s, want %s", body, got, want)
		}
	}
	f.do(t, call{route: "POST /v1/merge-suggestions/dismiss", body: `[]`}).want(t, http.StatusBadRequest)
	if after := f.countItems(t); after != before {
		t.Errorf("bad dismissals wrote %d items", after-before)
	}

	// Another workspace sees none of it and dismisses nothing.
	sameList(t, "suggestions of another workspace", groups(f.suggestions(t, nil, globex)), nil)
	f.do(t, call{route: "GET /v1/merge-suggestions", query: map[string]string{"contactId": joao}, workspace: "globex"}).want(t, http.StatusNotFound)
	emailID := base64.RawURLEncoding.EncodeToString([]byte("e:" + email))
	f.do(t, call{route: "POST /v1/merge-suggestions/dismiss", body: `{"id":"` + emailID + `"}`, workspace: "globex"}).want(t, http.StatusNotFound)
	sameList(t, "groups of João after another workspace's dismissal", groups(f.suggestions(t, map[string]string{"contactId": joao})), all[:1])
	// An agent sees them too.
	if got := groups(f.suggestions(t, nil, func(c *call) { c.role = "agent" })); len(got) != 3 {
		t.Errorf("an agent sees %q", got)
	}
}

// TestMergeSuggestionsPaging: pages of at most limit groups, in a stable
// order, every group once.
func TestMergeSuggestionsPaging(t *testing.T) {
	f := newFixture(t)
	var want []string
	for i := range 7 {
		a := f.create(t, fmt.Sprintf(`{"name":"Cliente %d","phone":"(11) 9%d000-1234"}`, i, i+1))
		b := f.create(t, fmt.Sprintf(`{"name":"Cliente %d bis","phone":"+55 11 9%d000-1234"}`, i, i+1))
		if b < a {
			a, b = b, a
		}
		want = append(want, group("phone", fmt.Sprintf("+55119%d0001234", i+1), a, b))
	}
	sort.Strings(want)
	var got []string
	var sizes []int
	cursor := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("paging does not end")
		}
		q := map[string]string{"limit": "3"}
		if cursor != "" {
			q["cursor"] = cursor
		}
		r := f.suggestions(t, q)
		got = append(got, groups(r)...)
		sizes = append(sizes, len(items(r)))
		next, ok := r.body["nextCursor"].(string)
		if !ok {
			break
		}
		cursor = next
	}
	if fmt.Sprint(sizes) != "[3 3 1]" {
		t.Errorf("page sizes = %v, want [3 3 1]", sizes)
	}
	sort.Strings(got)
	sameList(t, "groups over every page", got, want)
	// A page is at most 50 however large the limit.
	if n := len(items(f.suggestions(t, map[string]string{"limit": "200"}))); n != 7 {
		t.Errorf("limit 200 lists %d groups, want 7", n)
	}
	// A page that holds the last group is the last page.
	if r := f.suggestions(t, map[string]string{"limit": "7"}); len(items(r)) != 7 || r.body["nextCursor"] != nil {
		t.Errorf("limit 7 over 7 groups = %d groups, nextCursor %v; want 7 and no cursor", len(items(r)), r.body["nextCursor"])
	}
	f.do(t, call{route: "GET /v1/merge-suggestions", query: map[string]string{"limit": "0"}}).want(t, http.StatusUnprocessableEntity)
	f.do(t, call{route: "GET /v1/merge-suggestions", query: map[string]string{"cursor": cursor}, workspace: "globex"}).want(t, http.StatusBadRequest)
	f.do(t, call{route: "GET /v1/merge-suggestions", query: map[string]string{"cursor": "bm90LWEtY3Vyc29y"}}).want(t, http.StatusBadRequest)
}

// TestMergeAndUndo merges over HTTP: fields filled from the source, choices
// honoured, tags united, the source gone to the target; then undoes it.
func TestMergeAndUndo(t *testing.T) {
	f := newFixture(t)
	f.do(t, call{route: "PUT /v1/contact-fields", body: `{"fields":[{"key":"plano","label":"Plano","type":"select","options":["basico","pro"]},{"key":"loja","type":"text"}]}`}).want(t, http.StatusOK)
	ids := f.createInOrder(t,
		`{"name":"Maria da Silva","phone":"(11) 98888-7777","customFields":{"plano":"basico"}}`,
		`{"name":"Maria S.","phone":"+55 11 8888-7777","email":"maria@example.com.br","company":"ACME Ltda","taxId":"529.982.247-25","customFields":{"plano":"pro","loja":"Centro"}}`,
	)
	target, source := ids[0], ids[1]
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: target, body: `{"tags":["VIP"]}`}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: source, body: `{"tags":["Lead","VIP"]}`}).want(t, http.StatusOK)
	targetBefore := f.do(t, call{route: "GET /v1/contacts/{id}", id: target}).want(t, http.StatusOK)
	sourceBefore := f.do(t, call{route: "GET /v1/contacts/{id}", id: source}).want(t, http.StatusOK)
	suggestionsBefore := groups(f.suggestions(t, nil))
	sameList(t, "suggestions before", suggestionsBefore, []string{group("phone", "+5511988887777", target, source)})

	r := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"],"fieldChoices":{"customFields.plano":"` + source + `"}}`}).want(t, http.StatusOK)
	mergeID := r.body["id"].(string)
	if got, want := r.headers["Location"], "/v1/merges/"+mergeID; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if r.body["status"] != "applied" || r.body["targetId"] != target || fmt.Sprint(r.body["sourceIds"]) != "["+source+"]" ||
		r.body["actor"] != "user-owner-1" || r.body["undoneBy"] != nil || r.body["undoneAt"] != nil || r.body["steps"] != false {
		t.Errorf("merge record = %s", r.raw)
	}
	if got := fmt.Sprint(r.body["fields"]); got != "[company customFields email tags taxId]" {
		t.Errorf("fields = %s, want [company customFields email tags taxId]", got)
	}

	merged := f.getContact(t, target)
	for k, want := range map[string]any{
		"name": "Maria da Silva", "phone": "+5511988887777", "email": "maria@example.com.br",
		"company": "ACME Ltda", "taxId": "529.982.247-25",
	} {
		if merged[k] != want {
			t.Errorf("merged %s = %v, want %v", k, merged[k], want)
		}
	}
	if cf := merged["customFields"].(map[string]any); cf["plano"] != "pro" || cf["loja"] != "Centro" {
		t.Errorf("merged customFields = %v, want plano pro (chosen) and loja Centro (filled)", cf)
	}
	var tags []string
	for _, tg := range merged["tags"].([]any) {
		tags = append(tags, tg.(map[string]any)["name"].(string))
	}
	sort.Strings(tags)
	if fmt.Sprint(tags) != "[Lead VIP]" {
		t.Errorf("merged tags = %v, want [Lead VIP]", tags)
	}

	// The source is gone to the target.
	gone := f.do(t, call{route: "GET /v1/contacts/{id}", id: source}).want(t, http.StatusNotFound)
	if gone.body["code"] != "contact_merged" || gone.body["mergedInto"] != target || gone.headers["Location"] != "/v1/contacts/"+target {
		t.Errorf("GET of the merged contact = %v %s", gone.headers, gone.raw)
	}
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: source, body: `{"company":"Outra"}`}).want(t, http.StatusNotFound)
	if names := f.list(t, nil).names(); fmt.Sprint(names) != "[Maria da Silva]" {
		t.Errorf("list after the merge = %v", names)
	}
	sameList(t, "suggestions after the merge", groups(f.suggestions(t, nil)), nil)

	// The target's timeline tells of it.
	entries := entriesOf(f.timelineOf(t, target), "merged", "")
	if len(entries) != 1 || entries[0]["mergeId"] != mergeID || fmt.Sprint(entries[0]["sourceIds"]) != "["+source+"]" || entries[0]["actor"] != "user-owner-1" {
		t.Errorf("merged entries = %v", entries)
	}

	// Merging it again is a conflict naming where it went.
	again := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"]}`}).want(t, http.StatusConflict)
	if again.body["code"] != "contact_already_merged" || again.body["mergedInto"] != target || again.headers["Location"] != "/v1/contacts/"+target {
		t.Errorf("merging a merged contact = %s", again.raw)
	}
	other := f.create(t, `{"name":"Outra","email":"outra@loja.com.br"}`)
	if r := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: source, body: `{"sourceIds":["` + other + `"]}`}).want(t, http.StatusConflict); r.body["code"] != "contact_already_merged" {
		t.Errorf("merging into a merged contact = %s", r.raw)
	}

	// The record, and the history for owners and managers only.
	got := f.do(t, call{route: "GET /v1/merges/{mergeId}", params: map[string]string{"mergeId": mergeID}}).want(t, http.StatusOK)
	if got.raw != r.raw {
		t.Errorf("GET of the merge differs from the merge's answer:\n%s\n%s", got.raw, r.raw)
	}
	history := f.do(t, asManager(call{route: "GET /v1/merges"})).want(t, http.StatusOK)
	if list := items(history); len(list) != 1 || list[0]["id"] != mergeID {
		t.Errorf("history = %s", history.raw)
	}
	if r := f.do(t, call{route: "GET /v1/merges", role: "agent"}).want(t, http.StatusForbidden); r.body["code"] != "forbidden_role" {
		t.Errorf("history as an agent = %s", r.raw)
	}
	// Resuming a merge that is done changes nothing.
	if r := f.do(t, call{route: "POST /v1/merges/{mergeId}/resume", params: map[string]string{"mergeId": mergeID}}).want(t, http.StatusOK); r.body["status"] != "applied" {
		t.Errorf("resume = %s", r.raw)
	}

	// Undo: every contact back as it was, the suggestion back.
	undone := f.do(t, asManager(call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": mergeID}})).want(t, http.StatusOK)
	if undone.body["status"] != "undone" || undone.body["undoneBy"] != "user-manager-2" || undone.body["undoneAt"] == nil || undone.body["id"] != mergeID {
		t.Errorf("undone record = %s", undone.raw)
	}
	if r := f.do(t, call{route: "GET /v1/contacts/{id}", id: source}).want(t, http.StatusOK); r.raw != sourceBefore.raw {
		t.Errorf("source after undo:\n%s\nwant\n%s", r.raw, sourceBefore.raw)
	}
	if r := f.do(t, call{route: "GET /v1/contacts/{id}", id: target}).want(t, http.StatusOK); r.raw != targetBefore.raw {
		t.Errorf("target after undo:\n%s\nwant\n%s", r.raw, targetBefore.raw)
	}
	sameList(t, "suggestions after the undo", groups(f.suggestions(t, nil)), suggestionsBefore)
	if n := len(entriesOf(f.timelineOf(t, target), "merged", "")); n != 0 {
		t.Errorf("the target's timeline keeps %d merged entries after the undo", n)
	}
	if r := f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": mergeID}}).want(t, http.StatusConflict); r.body["code"] != "merge_already_undone" {
		t.Errorf("second undo = %s", r.raw)
	}
	if list := items(f.do(t, call{route: "GET /v1/merges"}).want(t, http.StatusOK)); len(list) != 1 || list[0]["status"] != "undone" {
		t.Errorf("history after the undo = %v", list)
	}
	f.do(t, call{route: "GET /v1/merges/{mergeId}", params: map[string]string{"mergeId": "01jdx0000000000000000000zz"}}).want(t, http.StatusNotFound)
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": "not-an-id"}}).want(t, http.StatusNotFound)
}

// TestMergeUndoConflict: a target changed since the merge, in a field the
// merge set, cannot be undone; a change elsewhere is kept by the undo.
func TestMergeUndoConflict(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Pedro Alves","phone":"(11) 97777-1111"}`,
		`{"name":"Pedro","phone":"11977771111","email":"pedro@loja.com.br"}`,
	)
	target, source := ids[0], ids[1]
	m := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"]}`}).want(t, http.StatusOK)
	undo := call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": m.body["id"].(string)}}

	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: target, body: `{"email":"pedro.alves@loja.com.br"}`}).want(t, http.StatusOK)
	r := f.do(t, undo).want(t, http.StatusConflict)
	if r.body["code"] != "merge_undo_conflict" || !strings.Contains(r.body["detail"].(string), "email") {
		t.Errorf("undo after the email changed = %s", r.raw)
	}
	f.do(t, call{route: "GET /v1/contacts/{id}", id: source}).want(t, http.StatusNotFound)

	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: target, body: `{"email":"pedro@loja.com.br","company":"Padaria Alves"}`}).want(t, http.StatusOK)
	f.do(t, undo).want(t, http.StatusOK)
	if c := f.getContact(t, target); c["email"] != nil || c["company"] != "Padaria Alves" {
		t.Errorf("target after undo = %v; want no email (the merge's) and the company kept", c)
	}
	if c := f.getContact(t, source); c["email"] != "pedro@loja.com.br" {
		t.Errorf("source after undo = %v", c)
	}
}

// TestMergeBadInputWritesNothing: every refused merge is a 422 naming the
// fields (or a 400/404), and writes nothing.
func TestMergeBadInputWritesNothing(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Alvo","phone":"(11) 96666-0000"}`,
		`{"name":"Fonte","phone":"(11) 96666-0000"}`,
		`{"name":"Principal","email":"principal@loja.com.br"}`,
		`{"name":"Vinculado","email":"vinculado@loja.com.br"}`,
		`{"name":"Muitas etiquetas A","email":"a@loja.com.br"}`,
		`{"name":"Muitas etiquetas B","email":"b@loja.com.br"}`,
	)
	target, source, main, linked, tagsA, tagsB := ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: linked, body: `{"mainContactId":"` + main + `"}`}).want(t, http.StatusOK)
	var a, b []string
	for i := range 13 {
		a, b = append(a, fmt.Sprintf(`"A%d"`, i)), append(b, fmt.Sprintf(`"B%d"`, i))
	}
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: tagsA, body: `{"tags":[` + strings.Join(a, ",") + `]}`}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: tagsB, body: `{"tags":[` + strings.Join(b, ",") + `]}`}).want(t, http.StatusOK)
	var eleven []string
	for i := range 11 {
		eleven = append(eleven, fmt.Sprintf(`"01jdx0000000000000000000%02d"`, i))
	}
	unknown := "01jdx0000000000000000000zz"
	src := `["` + source + `"]`

	before := f.countItems(t)
	tests := []struct {
		name   string
		id     string
		body   string
		status int
		fields []string
	}{
		{"no sources", target, `{}`, 422, []string{"sourceIds:required"}},
		{"empty sources", target, `{"sourceIds":[]}`, 422, []string{"sourceIds:required"}},
		{"sources not a list", target, `{"sourceIds":"` + source + `"}`, 422, []string{"sourceIds:invalid_type"}},
		{"too many sources", target, `{"sourceIds":[` + strings.Join(eleven, ",") + `]}`, 422, []string{"sourceIds:too_many"}},
		{"into itself", target, `{"sourceIds":["` + target + `"]}`, 422, []string{"sourceIds[0]:merge_into_itself"}},
		{"repeated source", target, `{"sourceIds":["` + source + `","` + source + `"]}`, 422, []string{"sourceIds[1]:duplicate"}},
		{"malformed source id", target, `{"sourceIds":["../x"]}`, 422, []string{"sourceIds[0]:id_invalid"}},
		{"unknown source", target, `{"sourceIds":["` + unknown + `"]}`, 422, []string{"sourceIds[0]:main_contact_unknown"}},
		{"source others are linked to", target, `{"sourceIds":["` + main + `"]}`, 422, []string{"sourceIds[0]:merge_source_is_main"}},
		{"too many tags together", tagsA, `{"sourceIds":["` + tagsB + `"]}`, 422, []string{"sourceIds:merge_too_many_tags"}},
		{"choice of another contact", target, `{"sourceIds":` + src + `,"fieldChoices":{"email":"` + main + `"}}`, 422, []string{"fieldChoices.email:merge_choice_invalid"}},
		{"choice of an unknown field", target, `{"sourceIds":` + src + `,"fieldChoices":{"tags":"` + source + `"}}`, 422, []string{"fieldChoices.tags:unknown_field"}},
		{"choices not an object", target, `{"sourceIds":` + src + `,"fieldChoices":["email"]}`, 422, []string{"fieldChoices:invalid_type"}},
		{"unknown member", target, `{"sourceIds":` + src + `,"keep":"` + target + `"}`, 422, []string{"keep:unknown_field"}},
		{"malformed json", target, `{"sourceIds":`, 400, nil},
		{"unknown target", unknown, `{"sourceIds":` + src + `}`, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: tt.id, body: tt.body}).want(t, tt.status)
			if got := strings.Join(r.fieldErrors(), ","); got != strings.Join(tt.fields, ",") {
				t.Errorf("errors = %s, want %v", got, tt.fields)
			}
		})
	}
	if after := f.countItems(t); after != before {
		t.Errorf("refused merges wrote: %d items, want %d", after, before)
	}
	for _, id := range ids {
		f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK)
	}
	if list := items(f.do(t, call{route: "GET /v1/merges"}).want(t, http.StatusOK)); len(list) != 0 {
		t.Errorf("refused merges are in the history: %v", list)
	}
}

// TestMergeTenantIsolation: another workspace can neither merge these
// contacts nor undo, resume, read or list their merges, nor see or dismiss
// their suggestions.
func TestMergeTenantIsolation(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Lia","phone":"(11) 95555-1212"}`,
		`{"name":"Lia B.","phone":"+55 11 95555-1212","email":"lia@example.com"}`,
		`{"name":"Lia C.","email":"LIA@example.com"}`,
	)
	target, source, third := ids[0], ids[1], ids[2]
	m := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"]}`}).want(t, http.StatusOK)
	mergeID := m.body["id"].(string)
	// The email lia@example.com is now the target's and the third's.
	suggestions := f.suggestions(t, nil)
	sameList(t, "suggestions", groups(suggestions), []string{group("email", "lia@example.com", target, third)})
	sgID := items(suggestions)[0]["id"].(string)

	g := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Globex Lia","email":"lia@example.com"}`, workspace: "globex"}).want(t, http.StatusCreated).body["id"].(string)
	before := f.countItems(t)
	mid := map[string]string{"mergeId": mergeID}
	for _, c := range []call{
		{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + third + `"]}`},
		{route: "POST /v1/merges/{mergeId}/undo", params: mid},
		{route: "POST /v1/merges/{mergeId}/resume", params: mid},
		{route: "GET /v1/merges/{mergeId}", params: mid},
		{route: "GET /v1/merge-suggestions", query: map[string]string{"contactId": target}},
		{route: "POST /v1/merge-suggestions/dismiss", body: `{"id":"` + sgID + `"}`},
	} {
		c.workspace = "globex"
		f.do(t, c).want(t, http.StatusNotFound)
	}
	// Their own contact cannot take ours.
	r := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: g, body: `{"sourceIds":["` + third + `"]}`, workspace: "globex"}).want(t, http.StatusUnprocessableEntity)
	if got := strings.Join(r.fieldErrors(), ","); got != "sourceIds[0]:main_contact_unknown" {
		t.Errorf("merging another workspace's contact: %s", r.raw)
	}
	if list := items(f.do(t, call{route: "GET /v1/merges", workspace: "globex"}).want(t, http.StatusOK)); len(list) != 0 {
		t.Errorf("another workspace lists %v", list)
	}
	if got := groups(f.suggestions(t, nil, globex)); len(got) != 0 {
		t.Errorf("another workspace is suggested %q", got)
	}
	if after := f.countItems(t); after != before {
		t.Errorf("another workspace wrote %d items", after-before)
	}
	if r := f.do(t, call{route: "GET /v1/merges/{mergeId}", params: mid}).want(t, http.StatusOK); r.body["status"] != "applied" {
		t.Errorf("merge after another workspace's attempts = %s", r.raw)
	}
	if got := groups(f.suggestions(t, nil)); len(got) != 1 {
		t.Errorf("suggestions after another workspace's attempts = %q", got)
	}
}

// worker is the remove-duplicates worker over the fixture's table.
func (f *fixture) worker() *lambdaevents.Duplicates {
	return &lambdaevents.Duplicates{Worker: &merge.Worker{
		Merges: &merge.Service{People: f.people, Store: &dynamo.Merges{Client: f.client, Table: f.table}},
		Index:  &dynamo.Contacts{Client: f.client, Table: f.table},
		Jobs:   &dynamo.Jobs{Client: f.client, Table: f.table},
		Queue:  f.queued,
	}}
}

// runJob runs w on the job's message until it is done.
func runJob(t *testing.T, w *lambdaevents.Duplicates, jobID string) {
	t.Helper()
	for range 10 {
		out, err := w.Handle(context.Background(), events.SQSMessage{Body: `{"workspace":"acme","jobId":"` + jobID + `"}`})
		if err != nil {
			t.Fatalf("worker: %v", err)
		}
		if out == "done" {
			return
		}
	}
	t.Fatal("the job does not end")
}

func (f *fixture) startRemoveDuplicates(t *testing.T) string {
	t.Helper()
	r := f.do(t, asManager(call{route: "POST /v1/duplicates/remove"})).want(t, http.StatusAccepted)
	id := r.body["jobId"].(string)
	if got, want := r.headers["Location"], "/v1/jobs/"+id; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	return id
}

func (f *fixture) jobOf(t *testing.T, id string) map[string]any {
	t.Helper()
	return f.do(t, call{route: "GET /v1/jobs/{id}", id: id}).want(t, http.StatusOK).body
}

// mergedInto returns the contact id was merged into, "" when it was not.
func (f *fixture) mergedInto(t *testing.T, id string) string {
	t.Helper()
	r := f.do(t, call{route: "GET /v1/contacts/{id}", id: id})
	switch {
	case r.status == http.StatusOK:
		return ""
	case r.status == http.StatusNotFound && r.body["code"] == "contact_merged":
		return r.body["mergedInto"].(string)
	}
	t.Fatalf("GET %s = %d %s", id, r.status, r.raw)
	return ""
}

// TestRemoveDuplicates: the job merges every suggested group into its
// oldest contact, leaves dismissed groups and blocked contacts alone, and
// each of its merges can be undone on its own.
func TestRemoveDuplicates(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Grupo 1 A","phone":"(11) 91234-5678"}`,
		`{"name":"Grupo 1 B","phone":"+55 11 3234-5678"}`, // a landline: another number
		`{"name":"Grupo 1 C","phone":"11912345678","email":"g1c@loja.com.br"}`,
		`{"name":"Grupo 2 A","phone":"(11) 98222-3333"}`,
		`{"name":"Grupo 2 B","phone":"+55 11 8222-3333"}`, // old-form mobile: the same number
		`{"name":"Grupo 3 A","email":"grupo3@loja.com.br"}`,
		`{"name":"Grupo 3 B","email":"GRUPO3@Loja.com.br","company":"Loja Três"}`,
		`{"name":"Dispensado A","phone":"(21) 94444-4444"}`,
		`{"name":"Dispensado B","phone":"21944444444"}`,
		`{"name":"Grupo 5 A","phone":"(31) 95555-5555"}`,
		`{"name":"Grupo 5 B","phone":"31955555555"}`,
		`{"name":"Grupo 5 Bloqueado","phone":"+55 31 95555-5555"}`,
	)
	g1a, g1b, g1c, g2a, g2b, g3a, g3b, d4a, d4b, g5a, g5b, g5x := ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ids[7], ids[8], ids[9], ids[10], ids[11]
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: g5x}).want(t, http.StatusOK)
	dismissed := base64.RawURLEncoding.EncodeToString([]byte("p:+5521944444444"))
	f.do(t, call{route: "POST /v1/merge-suggestions/dismiss", body: `{"id":"` + dismissed + `"}`}).want(t, http.StatusNoContent)
	sameList(t, "suggestions before the job", groups(f.suggestions(t, nil)), []string{
		group("email", "grupo3@loja.com.br", g3a, g3b),
		group("phone", "+5511912345678", g1a, g1c),
		group("phone", "+5511982223333", g2a, g2b),
		group("phone", "+5531955555555", g5a, g5b),
	})

	jobID := f.startRemoveDuplicates(t)
	if q := f.queued.ids; len(q) != 1 || q[0] != jobID {
		t.Fatalf("queued = %v, want [%s]", q, jobID)
	}
	if j := f.jobOf(t, jobID); j["status"] != "queued" || j["type"] != "remove_duplicates" || j["createdBy"] != "user-manager-2" {
		t.Errorf("job before it runs = %v", j)
	}
	runJob(t, f.worker(), jobID)

	j := f.jobOf(t, jobID)
	progress, counts := j["progress"].(map[string]any), j["counts"].(map[string]any)
	if j["status"] != "succeeded" || progress["processed"] != float64(4) || progress["total"] != float64(4) || j["error"] != nil {
		t.Errorf("job = %v", j)
	}
	if counts["merges"] != float64(4) || counts["contactsMerged"] != float64(4) || counts["failed"] != nil && counts["failed"] != float64(0) {
		t.Errorf("counts = %v, want 4 merges of 4 contacts", counts)
	}
	want := map[string]string{
		g1a: "", g1b: "", g1c: g1a, g2a: "", g2b: g2a, g3a: "", g3b: g3a,
		d4a: "", d4b: "", g5a: "", g5b: g5a, g5x: "",
	}
	for id, into := range want {
		if got := f.mergedInto(t, id); got != into {
			t.Errorf("%s merged into %q, want %q", id, got, into)
		}
	}
	if c := f.getContact(t, g3a); c["company"] != "Loja Três" {
		t.Errorf("the oldest contact was not filled from the merged one: %v", c)
	}
	if c := f.getContact(t, g1a); c["email"] != "g1c@loja.com.br" {
		t.Errorf("group 1 kept: %v", c)
	}
	sameList(t, "suggestions after the job", groups(f.suggestions(t, nil)), nil)
	history := items(f.do(t, call{route: "GET /v1/merges"}).want(t, http.StatusOK))
	if len(history) != 4 {
		t.Fatalf("history = %v, want 4 merges", history)
	}
	var g2merge string
	for _, m := range history {
		if m["actor"] != "user-manager-2" || m["status"] != "applied" {
			t.Errorf("merge of the job = %v", m)
		}
		if m["targetId"] == g2a {
			g2merge = m["id"].(string)
		}
	}

	// Undo one: only its group comes back.
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": g2merge}}).want(t, http.StatusOK)
	want[g2b] = ""
	for id, into := range want {
		if got := f.mergedInto(t, id); got != into {
			t.Errorf("after undoing group 2: %s merged into %q, want %q", id, got, into)
		}
	}
	sameList(t, "suggestions after undoing group 2", groups(f.suggestions(t, nil)), []string{group("phone", "+5511982223333", g2a, g2b)})

	// A second run finds only that group.
	again := f.startRemoveDuplicates(t)
	runJob(t, f.worker(), again)
	if j := f.jobOf(t, again); j["status"] != "succeeded" || j["counts"].(map[string]any)["merges"] != float64(1) {
		t.Errorf("second job = %v", j)
	}
	if got := f.mergedInto(t, g2b); got != g2a {
		t.Errorf("after the second job %s merged into %q", g2b, got)
	}
}

// TestRemoveDuplicatesContinues: a run whose deadline has passed saves
// where it is and queues the rest; the next run finishes.
func TestRemoveDuplicatesContinues(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Bia","email":"bia@loja.com.br"}`,
		`{"name":"Bia 2","email":"Bia@loja.com.br"}`,
		`{"name":"Caio","phone":"(41) 93333-3333"}`,
		`{"name":"Caio 2","phone":"41 93333 3333"}`,
	)
	jobID := f.startRemoveDuplicates(t)

	w := f.worker()
	w.Reserve = time.Hour // the deadline is already past
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := w.Handle(ctx, events.SQSMessage{Body: `{"workspace":"acme","jobId":"` + jobID + `"}`})
	if err != nil || out != "continued" {
		t.Fatalf("Handle past its deadline = %q, %v; want continued", out, err)
	}
	if q := f.queued.ids; len(q) != 2 || q[1] != jobID {
		t.Errorf("queued = %v, want the job again", q)
	}
	j := f.jobOf(t, jobID)
	if p := j["progress"].(map[string]any); j["status"] != "running" || p["processed"] != float64(0) || p["total"] != float64(2) {
		t.Errorf("job after a run out of time = %v", j)
	}
	for _, id := range ids {
		if got := f.mergedInto(t, id); got != "" {
			t.Errorf("%s was merged by a run out of time", id)
		}
	}

	// The service itself, past its deadline: not done, nothing lost.
	mw := w.Worker.(*merge.Worker)
	done, err := mw.Merges.RemoveDuplicates(context.Background(), mw.Index, mw.Jobs, "acme", jobID, time.Now().Add(-time.Second))
	if err != nil || done {
		t.Errorf("RemoveDuplicates past its deadline = %v, %v; want not done", done, err)
	}

	runJob(t, f.worker(), jobID)
	j = f.jobOf(t, jobID)
	if p := j["progress"].(map[string]any); j["status"] != "succeeded" || p["processed"] != float64(2) || p["total"] != float64(2) || j["counts"].(map[string]any)["merges"] != float64(2) {
		t.Errorf("job after the next run = %v", j)
	}
	if f.mergedInto(t, ids[1]) != ids[0] || f.mergedInto(t, ids[3]) != ids[2] {
		t.Errorf("the groups were not merged into their oldest contacts")
	}
	// A message of a job that ended is done at once.
	out, err = f.worker().Handle(context.Background(), events.SQSMessage{Body: `{"workspace":"acme","jobId":"` + jobID + `"}`})
	if err != nil || out != "done" {
		t.Errorf("Handle of an ended job = %q, %v", out, err)
	}
}

// TestRemoveDuplicatesLargeGroup: a group of more than 10 contacts is
// merged 10 sources at a time, every merge its own record.
func TestRemoveDuplicatesLargeGroup(t *testing.T) {
	f := newFixture(t)
	var bodies []string
	for i := range 12 {
		email := "familia.souza@loja.com.br"
		if i%2 == 1 {
			email = "Familia.Souza@Loja.com.br"
		}
		bodies = append(bodies, fmt.Sprintf(`{"name":"Souza %d","email":%q}`, i, email))
	}
	ids := f.createInOrder(t, bodies...)
	f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: ids[5], body: `{"text":"Cliente desde 2019."}`}).want(t, http.StatusCreated)
	jobID := f.startRemoveDuplicates(t)
	runJob(t, f.worker(), jobID)
	j := f.jobOf(t, jobID)
	if c := j["counts"].(map[string]any); j["status"] != "succeeded" || c["merges"] != float64(2) || c["contactsMerged"] != float64(11) {
		t.Errorf("job = %v", j)
	}
	for _, id := range ids[1:] {
		if got := f.mergedInto(t, id); got != ids[0] {
			t.Errorf("%s merged into %q, want %s", id, got, ids[0])
		}
	}
	history := items(f.do(t, call{route: "GET /v1/merges"}).want(t, http.StatusOK))
	if len(history) != 2 {
		t.Fatalf("history = %v, want 2 merges", history)
	}
	merged := 0
	for _, m := range history {
		if m["targetId"] != ids[0] || m["status"] != "applied" {
			t.Errorf("merge = %v", m)
		}
		merged += len(m["sourceIds"].([]any))
	}
	if merged != 11 {
		t.Errorf("the merges have %d sources, want 11", merged)
	}
	if n := len(entriesOf(f.timelineOf(t, ids[0]), "note", "")); n != 1 {
		t.Errorf("the oldest contact's timeline has %d notes, want the merged contact's one", n)
	}
	if n := len(entriesOf(f.timelineOf(t, ids[0]), "merged", "")); n != 2 {
		t.Errorf("the oldest contact's timeline has %d merged entries, want 2", n)
	}
	if history[0]["id"].(string) <= history[1]["id"].(string) {
		t.Errorf("history is not newest first: %v", history)
	}
	// Undoing the merge of ten sources brings back those ten only.
	first := history[0]
	if len(first["sourceIds"].([]any)) != 10 {
		first = history[1]
	}
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": first["id"].(string)}}).want(t, http.StatusOK)
	back := map[string]bool{}
	for _, id := range first["sourceIds"].([]any) {
		back[id.(string)] = true
	}
	for _, id := range ids[1:] {
		want := ids[0]
		if back[id] {
			want = ""
		}
		if got := f.mergedInto(t, id); got != want {
			t.Errorf("after undoing the merge of ten, %s merged into %q, want %q", id, got, want)
		}
	}
	if got := groups(f.suggestions(t, nil)); len(got) != 1 || strings.Count(got[0], ",") != 10 {
		t.Errorf("suggestions after the undo = %q, want one group of 11", got)
	}
}
