package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/omnichannel/contacts/internal/conversation"
)

// searchIDs returns the ids GET /v1/contacts?q= lists.
func (f *fixture) searchIDs(t *testing.T, q string) []string {
	t.Helper()
	var out []string
	for _, it := range items(f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"q": q}}).want(t, http.StatusOK)) {
		out = append(out, it["id"].(string))
	}
	return out
}

// stringsOf returns a JSON array of strings as []string.
func stringsOf(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// TestOtherPhonesFoundEverywhere: a contact with a phone and two other
// numbers is found by lookup and by search with each (the 9th digit
// folded), and an inbound message from its second number lands on it.
func TestOtherPhonesFoundEverywhere(t *testing.T) {
	f := newFixture(t)
	created := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Ana Souza","phone":"+55 11 98888-0001","otherPhones":["(21) 97777-0002","+1 415 555 2671"],"otherEmails":["ana@work.com","ana@workplace.com"]}`}).want(t, http.StatusCreated)
	id := created.body["id"].(string)
	if got, want := stringsOf(created.body["otherPhones"]), []string{"+5521977770002", "+14155552671"}; !slices.Equal(got, want) {
		t.Errorf("otherPhones = %q, want %q", got, want)
	}
	for _, number := range []string{"+5511988880001", "+5521977770002", "+552177770002", "+14155552671"} {
		if got, want := f.lookupPhone(t, "", number), []string{id}; !slices.Equal(got, want) {
			t.Errorf("lookup phone=%s = %v, want %v", number, got, want)
		}
	}
	for _, q := range []string{"11988880001", "5521977770002", "97777-0002", "4155552671", "ana@work"} {
		if got, want := f.searchIDs(t, q), []string{id}; !slices.Equal(got, want) {
			t.Errorf("search q=%s = %v, want %v", q, got, want)
		}
	}
	r := f.do(t, call{route: "GET /v1/contacts/lookup", query: map[string]string{"email": "ANA@work.com"}}).want(t, http.StatusOK)
	if got := items(r); len(got) != 1 || got[0]["id"] != id {
		t.Errorf("lookup email = %s, want %s", r.raw, id)
	}

	// An inbound message from the second number lands on the contact.
	receipt := f.receive(t, inbound("wamid.other.1", conversation.From{Phone: "5521977770002", Name: "Ana"}))
	if receipt.ContactCreated || receipt.ContactID != id {
		t.Errorf("receipt = %+v, want delivered to %s (no new contact)", receipt, id)
	}

	// A conversation started by an other number is the contact's, and its
	// first message goes to that number.
	started := f.startConversation(t, `{"phone":"+1 415 555 2671","channel":"sms","teamId":"t1"}`, http.StatusCreated)
	if got := started.body["contactId"]; got != id {
		t.Errorf("conversation by the other number: contactId = %v, want %s", got, id)
	}
	if sent := f.sentTo(started.body["id"].(string)); len(sent) != 1 || sent[0].To.Phone != "+14155552671" {
		t.Errorf("outbound = %+v, want one to +14155552671", sent)
	}

	// PATCH moves a number between the primary and the others in one edit;
	// the old primary's lookup follows.
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"phone":"+5521977770002","otherPhones":["+5511988880001"]}`}).want(t, http.StatusOK)
	got := f.getContact(t, id)
	if got["phone"] != "+5521977770002" || !slices.Equal(stringsOf(got["otherPhones"]), []string{"+5511988880001"}) {
		t.Errorf("after the move: phone %v, otherPhones %v", got["phone"], got["otherPhones"])
	}
	if got := f.lookupPhone(t, "", "+14155552671"); len(got) != 0 {
		t.Errorf("lookup of the number removed = %v, want none", got)
	}
	if got := f.searchIDs(t, "4155552671"); len(got) != 0 {
		t.Errorf("search of the number removed = %v, want none", got)
	}

	// Repeats and bad numbers are 422s naming the index.
	for body, want := range map[string]string{
		`{"otherPhones":["+5511977770003","+55 21 7777-0002"]}`: "otherPhones[1]:duplicate",
		`{"otherPhones":["+5511977770003","nope"]}`:             "otherPhones[1]:phone_invalid",
		`{"otherEmails":["b@x.com","ANA@work.com"]}`:            "otherEmails[1]:duplicate",
	} {
		r := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: body}).want(t, http.StatusUnprocessableEntity)
		if got := r.fieldErrors(); !slices.Equal(got, []string{want}) {
			t.Errorf("PATCH %s: errors = %v, want [%s]", body, got, want)
		}
	}
}

// TestMergeKeepsEveryNumber: two contacts with different phones merge; the
// survivor holds every number (found by each; the source's real name wins
// over the target's number-only name); the undo gives both back exactly.
func TestMergeKeepsEveryNumber(t *testing.T) {
	f := newFixture(t)
	target := f.create(t, `{"name":"+55 11 98888-0101","phone":"+5511988880101","email":"t@x.com"}`)
	source := f.create(t, `{"name":"Carla Dias","phone":"+5521977770202","otherPhones":["+14155552671"],"email":"carla@x.com"}`)
	targetBefore := f.do(t, call{route: "GET /v1/contacts/{id}", id: target}).want(t, http.StatusOK)
	sourceBefore := f.do(t, call{route: "GET /v1/contacts/{id}", id: source}).want(t, http.StatusOK)

	r := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"]}`}).want(t, http.StatusOK)
	mergeID := r.body["id"].(string)
	got := f.getContact(t, target)
	if got, want := got["phone"], "+5511988880101"; got != want {
		t.Errorf("phone = %v, want %v (the target's primary stays)", got, want)
	}
	if got, want := stringsOf(got["otherPhones"]), []string{"+5521977770202", "+14155552671"}; !slices.Equal(got, want) {
		t.Errorf("otherPhones = %q, want %q", got, want)
	}
	if got, want := stringsOf(got["otherEmails"]), []string{"carla@x.com"}; !slices.Equal(got, want) {
		t.Errorf("otherEmails = %q, want %q", got, want)
	}
	if got, want := got["name"], "Carla Dias"; got != want {
		t.Errorf("name = %v, want %v (a real name wins over a number)", got, want)
	}
	for _, number := range []string{"+5511988880101", "+5521977770202", "+14155552671"} {
		if got, want := f.lookupPhone(t, "", number), []string{target}; !slices.Equal(got, want) {
			t.Errorf("lookup phone=%s after the merge = %v, want %v", number, got, want)
		}
	}
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": mergeID}}).want(t, http.StatusOK)
	if r := f.do(t, call{route: "GET /v1/contacts/{id}", id: source}).want(t, http.StatusOK); r.raw != sourceBefore.raw {
		t.Errorf("source after undo:\n got %s\nwant %s", r.raw, sourceBefore.raw)
	}
	if r := f.do(t, call{route: "GET /v1/contacts/{id}", id: target}).want(t, http.StatusOK); r.raw != targetBefore.raw {
		t.Errorf("target after undo:\n got %s\nwant %s", r.raw, targetBefore.raw)
	}
	for number, want := range map[string]string{"+5511988880101": target, "+5521977770202": source, "+14155552671": source} {
		if got := f.lookupPhone(t, "", number); !slices.Equal(got, []string{want}) {
			t.Errorf("lookup phone=%s after the undo = %v, want [%s]", number, got, want)
		}
	}
}

// TestOtherPhoneSuggestsDuplicates: a number that is one contact's other
// phone and another's primary makes them a merge suggestion, and the
// second's create names the first as a possible duplicate.
func TestOtherPhoneSuggestsDuplicates(t *testing.T) {
	f := newFixture(t)
	first := f.create(t, `{"name":"Ana","phone":"+5511988880301","otherPhones":["+5521977770302"]}`)
	r := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Ana Souza","phone":"(21) 7777-0302"}`}).want(t, http.StatusCreated)
	second := r.body["id"].(string)
	if got, want := fmt.Sprint(r.body["possibleDuplicates"]), "["+first+"]"; got != want {
		t.Errorf("possibleDuplicates = %s, want %s", got, want)
	}
	groups := items(f.do(t, call{route: "GET /v1/merge-suggestions"}).want(t, http.StatusOK))
	if len(groups) != 1 {
		t.Fatalf("%d suggestion groups, want 1", len(groups))
	}
	var ids []string
	for _, c := range groups[0]["contacts"].([]any) {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	slices.Sort(ids)
	want := []string{first, second}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("suggested contacts = %v, want %v", ids, want)
	}
}

// TestMergeBeyondTenNumbers: a survivor keeps the first 10 other numbers
// (the target's, then the source's); the one beyond is not on it, and the
// undo gives the source back with all of its numbers.
func TestMergeBeyondTenNumbers(t *testing.T) {
	f := newFixture(t)
	var others []string
	for i := range 9 {
		others = append(others, fmt.Sprintf(`"+55219777704%02d"`, i))
	}
	target := f.create(t, `{"name":"Ana","phone":"+5511988880401","otherPhones":[`+strings.Join(others, ",")+`]}`)
	source := f.create(t, `{"name":"Ana S","phone":"+5511988880402","otherPhones":["+5511988880403"]}`)
	sourceBefore := f.do(t, call{route: "GET /v1/contacts/{id}", id: source}).want(t, http.StatusOK)
	r := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"]}`}).want(t, http.StatusOK)
	got := stringsOf(f.getContact(t, target)["otherPhones"])
	if len(got) != 10 || got[9] != "+5511988880402" {
		t.Errorf("otherPhones = %q, want the target's 9 and the source's primary", got)
	}
	if found := f.lookupPhone(t, "", "+5511988880403"); len(found) != 0 {
		t.Errorf("lookup of the number beyond 10 = %v, want none while merged", found)
	}
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": r.body["id"].(string)}}).want(t, http.StatusOK)
	if r := f.do(t, call{route: "GET /v1/contacts/{id}", id: source}).want(t, http.StatusOK); r.raw != sourceBefore.raw {
		t.Errorf("source after undo:\n got %s\nwant %s", r.raw, sourceBefore.raw)
	}
	if found := f.lookupPhone(t, "", "+5511988880403"); !slices.Equal(found, []string{source}) {
		t.Errorf("lookup after the undo = %v, want [%s]", found, source)
	}
}
