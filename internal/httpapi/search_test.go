package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/ids"
)

// names returns the names of a list response's items, in order.
func (r result) names() []string {
	out := []string{}
	for _, it := range r.body["items"].([]any) {
		n, _ := it.(map[string]any)["name"].(string)
		out = append(out, n)
	}
	return out
}

func (f *fixture) list(t *testing.T, query map[string]string, extra ...func(*call)) result {
	t.Helper()
	c := call{route: "GET /v1/contacts", query: query}
	for _, e := range extra {
		e(&c)
	}
	return f.do(t, c).want(t, http.StatusOK)
}

func (f *fixture) find(t *testing.T, q string) []string {
	t.Helper()
	got := f.list(t, map[string]string{"q": q}).names()
	sort.Strings(got)
	return got
}

// TestSearchMatching proves every matching rule of q: name word prefixes
// without case or accents, phones in any format, the last digits, email
// prefixes.
func TestSearchMatching(t *testing.T) {
	f := newFixture(t)
	f.create(t, `{"name":"João da Silva","phone":"+55 11 98765-4321","email":"joao@example.com"}`)
	f.create(t, `{"name":"José Souza","phone":"(21) 3333-4444"}`)
	f.create(t, `{"name":"Maria Conceição D'Ávila","phone":"+1 415 555 2671","email":"Maria.C@Example.org"}`)
	f.create(t, `{"name":"Ana","email":"ana@loja.com.br"}`)
	f.create(t, `{"name":"Ana Maria Braga","email":"amb@tv.com"}`)

	tests := []struct {
		q    string
		want []string
	}{
		{"joao", []string{"João da Silva"}},
		{"JOÃO", []string{"João da Silva"}},
		{"JOSÉ", []string{"José Souza"}},
		{"jos", []string{"José Souza"}},
		{"conceicao", []string{"Maria Conceição D'Ávila"}},
		{"avila", []string{"Maria Conceição D'Ávila"}},
		{"maria", []string{"Ana Maria Braga", "Maria Conceição D'Ávila"}},
		{"ana mar", []string{"Ana Maria Braga"}},
		{"silva jo", []string{"João da Silva"}},
		{"11987654321", []string{"João da Silva"}},
		{"(11) 98765-4321", []string{"João da Silva"}},
		{"+55 11 98765-4321", []string{"João da Silva"}},
		{"5511987654321", []string{"João da Silva"}},
		{"11 8765-4321", []string{"João da Silva"}},
		{"98765", []string{"João da Silva"}},
		{"4321", []string{"João da Silva"}},
		{"3333-4444", []string{"José Souza"}},
		{"4444", []string{"José Souza"}},
		{"+1 415 555", []string{"Maria Conceição D'Ávila"}},
		{"2671", []string{"Maria Conceição D'Ávila"}},
		{"maria.c@", []string{"Maria Conceição D'Ávila"}},
		{"ANA@", []string{"Ana"}},
		{"4322", []string{}},
		{"5521987654321", []string{}},
		{"pedro", []string{}},
		{"joana", []string{}},
	}
	for _, tt := range tests {
		if got := f.find(t, tt.q); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("q=%q found %v, want %v", tt.q, got, tt.want)
		}
	}
}

// TestListsFiltersAndOrders covers the list without q: both orders, tags
// (all of them), owner, the blocked list and the pending list.
func TestListsFiltersAndOrders(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana := f.create(t, `{"name":"Ana","email":"ana@x.com","ownerId":"agent-1"}`)
	time.Sleep(2 * time.Millisecond)
	bia := f.create(t, `{"name":"Bia","email":"bia@x.com","ownerId":"agent-2"}`)
	time.Sleep(2 * time.Millisecond)
	caio := f.create(t, `{"name":"Caio","email":"caio@x.com","ownerId":"agent-1"}`)
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: ana, body: `{"tags":["VIP","Lead"]}`}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: bia, body: `{"tags":["vip"]}`}).want(t, http.StatusOK)
	// A channel-created contact without phone or email has a pending action.
	pending := &contact.Contact{Workspace: "acme", ID: ids.New(time.Now()), Profile: contact.Profile{Name: "Visitante", Kind: contact.Person}, CreatedAt: time.Now(), UpdatedAt: time.Now(), Version: 1}
	if err := f.people.Contacts.Create(ctx, pending, nil); err != nil {
		t.Fatal(err)
	}
	block(t, f, caio)

	for _, tt := range []struct {
		query map[string]string
		want  []string
	}{
		{map[string]string{}, []string{"Ana", "Bia", "Visitante"}},
		{map[string]string{"sort": "-createdAt"}, []string{"Visitante", "Bia", "Ana"}},
		{map[string]string{"tag": "VIP"}, []string{"Ana", "Bia"}},
		{map[string]string{"tag": "vip,lead"}, []string{"Ana"}},
		{map[string]string{"ownerId": "agent-1"}, []string{"Ana"}},
		{map[string]string{"ownerId": "agent-1", "blocked": "true"}, []string{"Caio"}},
		{map[string]string{"blocked": "true"}, []string{"Caio"}},
		{map[string]string{"pending": "true"}, []string{"Visitante"}},
		{map[string]string{"tag": "VIP", "ownerId": "agent-2"}, []string{"Bia"}},
		{map[string]string{"q": "caio"}, []string{}},
		{map[string]string{"q": "caio", "blocked": "true"}, []string{"Caio"}},
	} {
		if got := f.list(t, tt.query).names(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("list %v = %v, want %v", tt.query, got, tt.want)
		}
	}
	r := f.list(t, map[string]string{"pending": "true"})
	if got := r.body["items"].([]any)[0].(map[string]any)["pendingActions"]; !reflect.DeepEqual(got, []any{"add_phone_or_email"}) {
		t.Errorf("pendingActions of the row = %v", got)
	}
	bad := f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"tag": "nope", "sort": "age", "limit": "500", "color": "red"}}).want(t, http.StatusUnprocessableEntity)
	if got, want := bad.fieldErrors(), []string{"color:unknown_field", "limit:limit_invalid", "sort:choice_invalid"}; !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
	f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"tag": "nope"}}).want(t, http.StatusUnprocessableEntity)
}

// block marks a contact blocked through the repository (the block route
// belongs to the block function).
func block(t *testing.T, f *fixture, id string) {
	t.Helper()
	_, err := f.people.Contacts.Update(context.Background(), "acme", id, 0, func(c *contact.Contact) error {
		c.Blocked, c.BlockedAt, c.BlockedBy = true, time.Now().UTC(), "owner-1"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPagination walks every page in both orders, with contacts added
// between pages: no duplicates, no gaps, the order kept.
func TestPagination(t *testing.T) {
	f := newFixture(t)
	var want []string
	for i := 0; i < 23; i++ {
		name := fmt.Sprintf("Pessoa %02d", i)
		f.create(t, fmt.Sprintf(`{"name":%q,"email":"p%d@x.com"}`, name, i))
		want = append(want, name)
	}
	for _, order := range []string{"name", "-createdAt"} {
		t.Run(order, func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				q := map[string]string{"limit": "5", "sort": order}
				if cursor != "" {
					q["cursor"] = cursor
				}
				r := f.list(t, q)
				got = append(got, r.names()...)
				if pages == 1 {
					// Added between pages: after the cursor in name order, before it by date.
					f.create(t, fmt.Sprintf(`{"name":"Zélia %s","email":"z%s@x.com"}`, order, order))
				}
				next, _ := r.body["nextCursor"].(string)
				if next == "" {
					break
				}
				cursor = next
				if pages > 20 {
					t.Fatal("too many pages")
				}
			}
			exp := append([]string(nil), want...)
			if order == "name" {
				exp = append(exp, "Zélia name")
			} else {
				for i, j := 0, len(exp)-1; i < j; i, j = i+1, j-1 {
					exp[i], exp[j] = exp[j], exp[i]
				}
				exp = exp[:len(want)]
				// Contacts made by the name subtest are newer than every Pessoa.
				exp = append([]string{"Zélia name"}, exp...)
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("pages gave\n%v\nwant\n%v", got, exp)
			}
		})
	}
}

func TestCursorsCannotBeForged(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 4; i++ {
		f.create(t, fmt.Sprintf(`{"name":"C%d","email":"c%d@x.com"}`, i, i))
	}
	r := f.list(t, map[string]string{"limit": "2"})
	cur := r.body["nextCursor"].(string)
	flipped := []byte(cur)
	flipped[len(flipped)/2] ^= 1
	for name, c := range map[string]call{
		"forged":          {route: "GET /v1/contacts", query: map[string]string{"limit": "2", "cursor": string(flipped)}},
		"truncated":       {route: "GET /v1/contacts", query: map[string]string{"limit": "2", "cursor": cur[:len(cur)-3]}},
		"garbage":         {route: "GET /v1/contacts", query: map[string]string{"cursor": "not-a-cursor"}},
		"other workspace": {route: "GET /v1/contacts", query: map[string]string{"limit": "2", "cursor": cur}, workspace: "globex"},
		"other filter":    {route: "GET /v1/contacts", query: map[string]string{"limit": "2", "cursor": cur, "sort": "-createdAt"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.do(t, c).want(t, http.StatusBadRequest)
			if r.body["code"] != "cursor_invalid" {
				t.Errorf("code = %v, want cursor_invalid", r.body["code"])
			}
		})
	}
	if got := f.list(t, map[string]string{"limit": "2", "cursor": cur}).names(); !reflect.DeepEqual(got, []string{"C2", "C3"}) {
		t.Errorf("second page = %v", got)
	}
}

// TestIndexFollowsEveryWrite: after each kind of write, search finds
// exactly what it should.
func TestIndexFollowsEveryWrite(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Rafaela Mendes","phone":"11 91234-5678"}`)
	expect := func(what string, query map[string]string, want []string) {
		t.Helper()
		if got := f.list(t, query).names(); !reflect.DeepEqual(got, want) {
			t.Errorf("after %s: list %v = %v, want %v", what, query, got, want)
		}
	}
	expect("create", map[string]string{"q": "rafa"}, []string{"Rafaela Mendes"})
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"name":"Rafaela Costa","phone":"21 99876-5432","ownerId":"agent-9"}`}).want(t, http.StatusOK)
	expect("rename", map[string]string{"q": "mendes"}, []string{})
	expect("rename", map[string]string{"q": "costa"}, []string{"Rafaela Costa"})
	expect("phone change", map[string]string{"q": "5678"}, []string{})
	expect("phone change", map[string]string{"q": "5432"}, []string{"Rafaela Costa"})
	expect("owner change", map[string]string{"ownerId": "agent-9"}, []string{"Rafaela Costa"})

	tagged := f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: id, body: `{"tags":["Cliente"]}`}).want(t, http.StatusOK)
	tagID := tagged.body["tags"].([]any)[0].(map[string]any)["id"].(string)
	expect("tagging", map[string]string{"tag": tagID}, []string{"Rafaela Costa"})
	f.do(t, call{route: "PATCH /v1/tags/{id}", id: tagID, body: `{"name":"Cliente Ouro"}`}).want(t, http.StatusOK)
	row := f.list(t, map[string]string{"tag": tagID}).body["items"].([]any)[0].(map[string]any)
	if got := row["tags"].([]any)[0].(map[string]any)["name"]; got != "Cliente Ouro" {
		t.Errorf("after a rename the row shows tag %v", got)
	}
	if got := f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK).body["tags"].([]any)[0].(map[string]any)["name"]; got != "Cliente Ouro" {
		t.Errorf("after a rename the contact shows tag %v", got)
	}
	f.do(t, call{route: "DELETE /v1/contacts/{id}/tags/{tagId}", id: id, tagID: tagID}).want(t, http.StatusOK)
	expect("untagging", map[string]string{"tag": tagID}, []string{})
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: id, body: `{"tags":["` + tagID + `"]}`}).want(t, http.StatusOK)
	f.do(t, call{route: "DELETE /v1/tags/{id}", id: tagID}).want(t, http.StatusNoContent)
	if got := f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK).body["tags"].([]any); len(got) != 0 {
		t.Errorf("a deleted tag still shows on the contact: %v", got)
	}
	f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"tag": tagID}}).want(t, http.StatusUnprocessableEntity)

	block(t, f, id)
	expect("block", map[string]string{"q": "costa"}, []string{})
	expect("block", map[string]string{"blocked": "true"}, []string{"Rafaela Costa"})
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: id}).want(t, http.StatusNoContent)
	expect("delete", map[string]string{"blocked": "true"}, []string{})
	expect("delete", map[string]string{"q": "costa", "blocked": "true"}, []string{})
}

func TestLookup(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Lia","phone":"(11) 98765-4321","email":"Lia@Example.com"}`)
	for _, q := range []map[string]string{
		{"phone": "+55 11 98765-4321"}, {"phone": "11987654321"}, {"phone": "11 8765-4321"}, {"email": " lia@example.COM "},
	} {
		r := f.do(t, call{route: "GET /v1/contacts/lookup", query: q}).want(t, http.StatusOK)
		items := r.body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["id"] != id {
			t.Errorf("lookup %v = %s, want the contact", q, r.raw)
		}
	}
	f.do(t, call{route: "GET /v1/contacts/lookup", query: map[string]string{"phone": "12"}}).want(t, http.StatusUnprocessableEntity)
	f.do(t, call{route: "GET /v1/contacts/lookup"}).want(t, http.StatusUnprocessableEntity)
	// Read-your-writes: a phone changed is found under the new number at once.
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"phone":"21 99999-0000"}`}).want(t, http.StatusOK)
	if r := f.do(t, call{route: "GET /v1/contacts/lookup", query: map[string]string{"phone": "21999990000"}}).want(t, http.StatusOK); len(r.body["items"].([]any)) != 1 {
		t.Errorf("lookup right after the change = %s", r.raw)
	}
	if r := f.do(t, call{route: "GET /v1/contacts/lookup", query: map[string]string{"phone": "11987654321"}}).want(t, http.StatusOK); len(r.body["items"].([]any)) != 0 {
		t.Errorf("old number still found: %s", r.raw)
	}
}

// TestAgentWallet: with the workspace setting on, an agent sees and
// touches only the contacts of their own wallet.
func TestAgentWallet(t *testing.T) {
	f := newFixture(t)
	mine := f.create(t, `{"name":"Minha","email":"m@x.com","ownerId":"agent-1"}`)
	other := f.create(t, `{"name":"Outra","email":"o@x.com","ownerId":"agent-2"}`)
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`, role: "agent"}).want(t, http.StatusForbidden)
	set := f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`}).want(t, http.StatusOK)
	if set.body["agentWalletOnly"] != true || set.body["defaultCountry"] != "BR" {
		t.Errorf("settings = %s", set.raw)
	}
	withSub := func(c call) call { c.role, c.sub = "agent", "agent-1"; return c }
	if got := f.list(t, nil, func(c *call) { *c = withSub(*c) }).names(); !reflect.DeepEqual(got, []string{"Minha"}) {
		t.Errorf("agent list = %v, want only their wallet", got)
	}
	if got := f.list(t, map[string]string{"ownerId": "agent-2"}, func(c *call) { *c = withSub(*c) }).names(); len(got) != 0 {
		t.Errorf("agent list of another wallet = %v, want none", got)
	}
	f.do(t, withSub(call{route: "GET /v1/contacts/{id}", id: mine})).want(t, http.StatusOK)
	f.do(t, withSub(call{route: "GET /v1/contacts/{id}", id: other})).want(t, http.StatusNotFound)
	f.do(t, withSub(call{route: "PATCH /v1/contacts/{id}", id: other, body: `{"company":"x"}`})).want(t, http.StatusNotFound)
	f.do(t, withSub(call{route: "POST /v1/contacts/{id}/tags", id: other, body: `{"tags":["x"]}`})).want(t, http.StatusNotFound)
	created := f.do(t, withSub(call{route: "POST /v1/contacts", body: `{"name":"Nova","email":"n@x.com"}`})).want(t, http.StatusCreated)
	if created.body["ownerId"] != "agent-1" {
		t.Errorf("a contact created by a wallet-bound agent has owner %v, want the agent", created.body["ownerId"])
	}
	// Managers still see everything.
	if got := f.list(t, nil).names(); len(got) != 3 {
		t.Errorf("owner list = %v, want all three", got)
	}
}

func TestTagCatalogue(t *testing.T) {
	f := newFixture(t)
	vip := f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP","color":"#FF0000"}`}).want(t, http.StatusCreated)
	if vip.body["color"] != "#ff0000" || vip.headers["Location"] != "/v1/tags/"+vip.body["id"].(string) {
		t.Errorf("created tag = %s %v", vip.raw, vip.headers)
	}
	f.do(t, call{route: "POST /v1/tags", body: `{"name":" vip "}`}).want(t, http.StatusConflict)
	lead := f.do(t, call{route: "POST /v1/tags", body: `{"name":"Lead"}`}).want(t, http.StatusCreated)
	f.do(t, call{route: "PATCH /v1/tags/{id}", id: lead.body["id"].(string), body: `{"name":"Vip"}`}).want(t, http.StatusConflict)
	f.do(t, call{route: "PATCH /v1/tags/{id}", id: lead.body["id"].(string), body: `{"name":"Lead"}`, role: "agent"}).want(t, http.StatusForbidden)
	bad := f.do(t, call{route: "POST /v1/tags", body: `{"name":"","color":"red"}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := bad.fieldErrors(), []string{"name:required", "color:color_invalid"}; !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
	list := f.do(t, call{route: "GET /v1/tags"}).want(t, http.StatusOK)
	if got := len(list.body["items"].([]any)); got != 2 {
		t.Errorf("catalogue has %d tags, want 2", got)
	}
	// Renaming to the same name in another case is allowed (it is the same tag).
	f.do(t, call{route: "PATCH /v1/tags/{id}", id: vip.body["id"].(string), body: `{"name":"vip"}`}).want(t, http.StatusOK)
}

func TestBulkTags(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, `{"name":"A","email":"a@x.com"}`)
	b := f.create(t, `{"name":"B","email":"b@x.com"}`)
	missing := ids.New(time.Now())
	r := f.do(t, call{route: "POST /v1/contacts/tags", body: fmt.Sprintf(`{"contactIds":[%q,%q,%q],"add":["Campanha"]}`, a, b, missing)}).want(t, http.StatusOK)
	var statuses []string
	for _, res := range r.body["results"].([]any) {
		m := res.(map[string]any)
		statuses = append(statuses, fmt.Sprint(m["status"]))
	}
	if got, want := strings.Join(statuses, ","), "200,200,404"; got != want {
		t.Errorf("statuses = %s, want %s", got, want)
	}
	if got := f.list(t, map[string]string{"tag": "campanha"}).names(); !reflect.DeepEqual(got, []string{"A", "B"}) {
		t.Errorf("tagged = %v", got)
	}
	f.do(t, call{route: "POST /v1/contacts/tags", body: fmt.Sprintf(`{"contactIds":[%q],"remove":["Campanha"]}`, a)}).want(t, http.StatusOK)
	if got := f.list(t, map[string]string{"tag": "campanha"}).names(); !reflect.DeepEqual(got, []string{"B"}) {
		t.Errorf("after removal = %v", got)
	}
	var many []string
	for i := 0; i < 101; i++ {
		many = append(many, fmt.Sprintf("%q", a))
	}
	tooMany := f.do(t, call{route: "POST /v1/contacts/tags", body: `{"contactIds":[` + strings.Join(many, ",") + `],"add":["x"]}`}).want(t, http.StatusUnprocessableEntity)
	if got := tooMany.fieldErrors(); !reflect.DeepEqual(got, []string{"contactIds:too_many"}) {
		t.Errorf("errors = %v", got)
	}
}
