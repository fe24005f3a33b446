package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/tenant"
)

func (f *fixture) closeConversation(t *testing.T, id, body string, status int) result {
	t.Helper()
	return f.do(t, call{route: "POST /v1/conversations/{id}/close", id: id, body: body}).want(t, status)
}

// closeEvent is the chat layer's close of a conversation of acme.
func (f *fixture) closeEvent(t *testing.T, conversationID string, at time.Time) conversation.Outcome {
	t.Helper()
	out, err := f.talk.CloseFromChannel(context.Background(), conversation.CloseEvent{
		Type: "conversation.closed", Workspace: "acme", ConversationID: conversationID, At: at, Reason: "inatividade",
	})
	if err != nil {
		t.Fatalf("CloseFromChannel(%s): %v", conversationID, err)
	}
	return out
}

// entriesOf counts the contact's conversation timeline entries by action.
func (f *fixture) entriesOf(t *testing.T, id string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, e := range f.timelineOf(t, id) {
		if e["type"] == "conversation" {
			n[e["action"].(string)]++
		}
	}
	return n
}

// TestCloseAndStartAgain: start (201), close (200), close again (200,
// unchanged), start again on the channel (201, a new conversation); the
// contact's conversationStatus goes open, closed, open; the timeline shows
// two starts and one close; the list filters by status.
func TestCloseAndStartAgain(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Maria","phone":"(11) 99999-1234"}`)
	start := `{"contactId":"` + id + `","channel":"sms","teamId":"vendas"}`
	first := f.startConversation(t, start, http.StatusCreated).body["id"].(string)
	if got := f.getContact(t, id)["conversationStatus"]; got != "open" {
		t.Fatalf("conversationStatus = %v, want open", got)
	}
	closed := f.closeConversation(t, first, `{"reason":"resolvido"}`, http.StatusOK).body
	for k, want := range map[string]any{"id": first, "status": "closed", "closedReason": "resolvido", "closedBy": ownerSub, "contactId": id} {
		if closed[k] != want {
			t.Errorf("closed %s = %v, want %v", k, closed[k], want)
		}
	}
	again := f.closeConversation(t, first, ``, http.StatusOK).body
	if again["closedAt"] != closed["closedAt"] || again["closedReason"] != "resolvido" {
		t.Errorf("closing a closed conversation changed it: %v, was %v", again, closed)
	}
	if got := f.getContact(t, id)["conversationStatus"]; got != "closed" {
		t.Errorf("conversationStatus after close = %v, want closed", got)
	}
	second := f.startConversation(t, start, http.StatusCreated).body["id"].(string)
	if second == first {
		t.Fatalf("start after close returned the closed conversation %s", first)
	}
	if got := f.getContact(t, id)["conversationStatus"]; got != "open" {
		t.Errorf("conversationStatus after a new start = %v, want open", got)
	}
	if got := f.entriesOf(t, id); got["started"] != 2 || got["closed"] != 1 {
		t.Errorf("timeline conversation entries = %v, want 2 started and 1 closed", got)
	}
	for status, want := range map[string]string{"open": second, "closed": first} {
		r := f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: id, query: map[string]string{"status": status}}).want(t, http.StatusOK)
		if list := items(r); len(list) != 1 || list[0]["id"] != want {
			t.Errorf("status=%s lists %v, want only %s", status, list, want)
		}
	}
	if list := f.conversationsOf(t, id); len(list) != 2 || list[0]["id"] != second {
		t.Errorf("conversations = %v, want the new one, then the closed one", list)
	}
	f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: id, query: map[string]string{"status": "archived"}}).want(t, http.StatusUnprocessableEntity)
}

// TestCloseOneOfTwo: with conversations open on two channels, closing one
// keeps the contact open; closing the other closes it.
func TestCloseOneOfTwo(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Ana","phone":"(11) 98888-1111","email":"ana@loja.com.br"}`)
	sms := f.startConversation(t, `{"contactId":"`+id+`","channel":"sms","teamId":"t1"}`, http.StatusCreated).body["id"].(string)
	mail := f.startConversation(t, `{"contactId":"`+id+`","channel":"email","teamId":"t1"}`, http.StatusCreated).body["id"].(string)
	f.closeConversation(t, sms, `{}`, http.StatusOK)
	if got := f.getContact(t, id)["conversationStatus"]; got != "open" {
		t.Errorf("conversationStatus with email still open = %v, want open", got)
	}
	f.closeConversation(t, mail, `{}`, http.StatusOK)
	if got := f.getContact(t, id)["conversationStatus"]; got != "closed" {
		t.Errorf("conversationStatus with none open = %v, want closed", got)
	}
}

// TestCloseBadInput: an unknown id, a malformed or long reason, another
// field: nothing changes.
func TestCloseBadInput(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Rita","phone":"(11) 97777-0000"}`)
	conv := f.startConversation(t, `{"contactId":"`+id+`","channel":"sms","teamId":"t1"}`, http.StatusCreated).body["id"].(string)
	f.closeConversation(t, "01jdx8k2m4n6p8r0s2t4v6w8y0", `{}`, http.StatusNotFound)
	f.closeConversation(t, id, `{}`, http.StatusNotFound) // a contact's id is not a conversation's
	long := make([]byte, conversation.MaxCloseReason+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, body := range []string{`{"reason":7}`, `{"reason":"` + string(long) + `"}`, `{"status":"closed"}`} {
		r := f.closeConversation(t, conv, body, http.StatusUnprocessableEntity)
		if errs := r.body["errors"].([]any); len(errs) == 0 {
			t.Errorf("%s: no field named", body)
		}
	}
	f.closeConversation(t, conv, `{"reason":`, http.StatusBadRequest)
	if got := f.getContact(t, id)["conversationStatus"]; got != "open" {
		t.Errorf("conversationStatus after refused closes = %v, want open", got)
	}
}

// TestCloseFromChannel: the chat layer's close closes once; sent twice it
// changes nothing; a close older than the last message leaves the newer
// exchange open; an unknown conversation is ignored, not retried.
func TestCloseFromChannel(t *testing.T) {
	f := newFixture(t)
	m := inbound("wamid.c1", conversation.From{Phone: "5511966665555", Name: "Caio"})
	r := f.receive(t, m)
	if got := f.closeEvent(t, r.ConversationID, m.At.Add(time.Minute)); got != conversation.ClosedNow {
		t.Fatalf("first close = %s, want closed", got)
	}
	if got := f.closeEvent(t, r.ConversationID, m.At.Add(time.Minute)); got != conversation.Duplicate {
		t.Errorf("redelivered close = %s, want duplicate", got)
	}
	if got := f.getContact(t, r.ContactID)["conversationStatus"]; got != "closed" {
		t.Errorf("conversationStatus = %v, want closed", got)
	}
	// A message after the close opens a new conversation.
	next := inbound("wamid.c2", m.From)
	next.At = m.At.Add(2 * time.Minute)
	r2 := f.receive(t, next)
	if r2.ConversationID == r.ConversationID || r2.ContactID != r.ContactID {
		t.Fatalf("message after close = %+v, want a new conversation of %s", r2, r.ContactID)
	}
	// A close sent before that message but delivered after it: nothing.
	if got := f.closeEvent(t, r2.ConversationID, next.At.Add(-time.Second)); got != conversation.Duplicate {
		t.Errorf("a close older than the last message = %s, want duplicate (no change)", got)
	}
	if got := f.getContact(t, r.ContactID)["conversationStatus"]; got != "open" {
		t.Errorf("conversationStatus after a late close = %v, want open", got)
	}
	if got := f.closeEvent(t, "01jdx8k2m4n6p8r0s2t4v6w8y0", time.Now()); got != conversation.Unknown {
		t.Errorf("close of an unknown conversation = %s, want unknown", got)
	}
	if got := f.entriesOf(t, r.ContactID); got["started"] != 2 || got["closed"] != 1 {
		t.Errorf("timeline = %v, want 2 started and 1 closed", got)
	}
}

// TestCloseRacesInbound: a close and a message on the same conversation at
// once. Whatever the order, the state is one the two could give in turn:
// the message either counts on the conversation before it closed, or
// opens a new one; the contact is open exactly when a conversation is.
func TestCloseRacesInbound(t *testing.T) {
	f := newFixture(t)
	for round := 0; round < 8; round++ {
		from := conversation.From{Phone: fmt.Sprintf("55119444400%02d", round), Name: "Corrida"}
		m := inbound(fmt.Sprintf("wamid.race%d.a", round), from)
		r := f.receive(t, m)
		var wg sync.WaitGroup
		var receipt conversation.Receipt
		var closeErr, receiveErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			next := inbound(fmt.Sprintf("wamid.race%d.b", round), from)
			next.At = m.At.Add(time.Second)
			receipt, receiveErr = f.talk.Receive(context.Background(), next)
		}()
		go func() {
			defer wg.Done()
			_, closeErr = f.talk.Close(context.Background(), tenant.Caller{Workspace: "acme", Subject: ownerSub, Role: tenant.Owner}, r.ConversationID, nil)
		}()
		wg.Wait()
		if closeErr != nil || receiveErr != nil {
			t.Fatalf("round %d: close %v, receive %v", round, closeErr, receiveErr)
		}
		convs := f.conversationsOf(t, r.ContactID)
		open := 0
		for _, c := range convs {
			if c["status"] == "open" {
				open++
			}
		}
		status := f.getContact(t, r.ContactID)["conversationStatus"]
		switch {
		case receipt.ConversationID == r.ConversationID:
			// The message came first: two messages on it, then closed.
			if len(convs) != 1 || convs[0]["messageCount"] != 2.0 || convs[0]["status"] != "closed" || status != "closed" {
				t.Errorf("round %d (message first): conversations %v, contact %v", round, convs, status)
			}
		default:
			// The close came first: the message opened a new conversation.
			if len(convs) != 2 || open != 1 || status != "open" {
				t.Errorf("round %d (close first): conversations %v, contact %v", round, convs, status)
			}
		}
	}
}

// TestSortByActivity: sort=-lastActivityAt lists the contact just written to
// first, shows lastActivityAt and lastInboundAt on rows, and contacts never
// active last.
func TestSortByActivity(t *testing.T) {
	f := newFixture(t)
	quiet := f.create(t, `{"name":"Quieta","phone":"(11) 91111-0000"}`)
	older := f.create(t, `{"name":"Antiga","phone":"(11) 92222-0000"}`)
	newer := f.create(t, `{"name":"Nova","phone":"(11) 93333-0000"}`)
	f.startConversation(t, `{"contactId":"`+newer+`","channel":"sms","teamId":"t1"}`, http.StatusCreated)
	f.startConversation(t, `{"contactId":"`+older+`","channel":"sms","teamId":"t1"}`, http.StatusCreated)
	list := func() []map[string]any {
		return items(f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"sort": "-lastActivityAt"}}).want(t, http.StatusOK))
	}
	rows := list()
	if len(rows) != 3 || rows[0]["id"] != older || rows[1]["id"] != newer || rows[2]["id"] != quiet {
		t.Fatalf("order = %v, want %s, %s, then the never active %s", idsOf(rows), older, newer, quiet)
	}
	if rows[0]["lastActivityAt"] == nil || rows[0]["lastInboundAt"] != nil || rows[2]["lastActivityAt"] != nil {
		t.Errorf("rows = %v, want the start's time on the active ones, no inbound, null on the quiet one", rows)
	}
	// A message from the middle one puts it first.
	m := inbound("wamid.sort1", conversation.From{Phone: "5511933330000"})
	if r := f.receive(t, m); r.ContactID != newer {
		t.Fatalf("message from %s reached %s", newer, r.ContactID)
	}
	rows = list()
	if rows[0]["id"] != newer || rows[0]["lastInboundAt"] != m.At.UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("after a message: %v, want %s first with lastInboundAt %s", rows, newer, m.At)
	}
	c := f.getContact(t, newer)
	if c["lastActivityAt"] != rows[0]["lastActivityAt"] || c["lastInboundAt"] != rows[0]["lastInboundAt"] {
		t.Errorf("contact %v %v, row %v %v", c["lastActivityAt"], c["lastInboundAt"], rows[0]["lastActivityAt"], rows[0]["lastInboundAt"])
	}
	// Paged, every row once.
	first := f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"sort": "-lastActivityAt", "limit": "2"}}).want(t, http.StatusOK)
	cur, _ := first.body["nextCursor"].(string)
	rest := f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"sort": "-lastActivityAt", "cursor": cur}}).want(t, http.StatusOK)
	if got := append(idsOf(items(first)), idsOf(items(rest))...); len(got) != 3 || got[0] != newer || got[2] != quiet {
		t.Errorf("paged = %v", got)
	}
}

func idsOf(rows []map[string]any) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r["id"].(string))
	}
	return out
}

// TestInboundProfileFromChannel: a new sender's contact takes the picture
// and language the network gives; an existing contact keeps its own.
func TestInboundProfileFromChannel(t *testing.T) {
	f := newFixture(t)
	from := conversation.From{Phone: "5511955554444", Name: "Bia", AvatarURL: "https://cdn.example.com/bia.jpg", Language: "es"}
	r := f.receive(t, inbound("wamid.p1", from))
	c := f.getContact(t, r.ContactID)
	if c["avatarUrl"] != from.AvatarURL || c["language"] != "es" {
		t.Errorf("new contact avatarUrl %v language %v, want the channel's", c["avatarUrl"], c["language"])
	}
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: r.ContactID, body: `{"language":"pt-BR","avatarUrl":null}`}).want(t, http.StatusOK)
	f.receive(t, inbound("wamid.p2", from))
	c = f.getContact(t, r.ContactID)
	if c["avatarUrl"] != nil || c["language"] != "pt-BR" {
		t.Errorf("existing contact avatarUrl %v language %v, want its own (none, pt-BR)", c["avatarUrl"], c["language"])
	}
	// A value the contact rules refuse is left out; the message is not lost.
	bad := conversation.From{Phone: "5511955553333", AvatarURL: "not a url", Language: "??"}
	r = f.receive(t, inbound("wamid.p3", bad))
	if c := f.getContact(t, r.ContactID); r.Outcome != conversation.Delivered || c["avatarUrl"] != nil || c["language"] != nil {
		t.Errorf("bad profile values: %+v, contact %v %v", r, c["avatarUrl"], c["language"])
	}
}

// rowOf returns the list row of the contact id ("" blocked=false).
func (f *fixture) rowOf(t *testing.T, id string, query map[string]string) map[string]any {
	t.Helper()
	q := map[string]string{"limit": "100"}
	for k, v := range query {
		q[k] = v
	}
	for _, r := range items(f.do(t, call{route: "GET /v1/contacts", query: q}).want(t, http.StatusOK)) {
		if r["id"] == id {
			return r
		}
	}
	t.Fatalf("contact %s is not listed (%v)", id, query)
	return nil
}

// TestListRowsShowStartChannels: a row shows its kind and the channels a
// conversation can start on, from the row alone: WhatsApp and SMS by
// phone, email by email, a channel it is connected to; removing the
// channel, or blocking the contact, takes them off.
func TestListRowsShowStartChannels(t *testing.T) {
	f := newFixture(t)
	byPhone := f.create(t, `{"name":"Só Telefone","phone":"(11) 91234-5678"}`)
	byMail := f.create(t, `{"name":"Só Email","email":"so@email.com"}`)
	group := f.receive(t, conversation.Message{Type: "message.received", Workspace: "acme", Channel: "telegram", MessageID: "tg.1",
		From: conversation.From{UserID: "-100200", Name: "Grupo"}, Group: true, At: time.Now()}).ContactID
	r := f.receive(t, conversation.Message{Type: "message.received", Workspace: "acme", Channel: "facebook", MessageID: "fb.1",
		From: conversation.From{UserID: "psid-77", Name: "Fã"}, At: time.Now()})
	for _, c := range []struct {
		id, kind string
		want     []string
	}{
		{byPhone, "person", []string{"whatsapp", "sms"}},
		{byMail, "person", []string{"email"}},
		{group, "group", []string{"telegram"}},
		{r.ContactID, "person", []string{"facebook"}},
	} {
		row := f.rowOf(t, c.id, nil)
		if row["kind"] != c.kind || fmt.Sprint(row["startChannels"]) != fmt.Sprint(toAny(c.want)) {
			t.Errorf("row of %s: kind %v startChannels %v, want %s %v", c.id, row["kind"], row["startChannels"], c.kind, c.want)
		}
	}
	f.do(t, call{route: "DELETE /v1/contacts/{id}/channels/{channel}", id: r.ContactID, params: map[string]string{"channel": "facebook"}}).want(t, http.StatusNoContent)
	if row := f.rowOf(t, r.ContactID, nil); fmt.Sprint(row["startChannels"]) != "[]" {
		t.Errorf("after the channel was removed: startChannels %v, want []", row["startChannels"])
	}
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: byPhone}).want(t, http.StatusOK)
	if row := f.rowOf(t, byPhone, map[string]string{"blocked": "true"}); fmt.Sprint(row["startChannels"]) != "[]" {
		t.Errorf("blocked: startChannels %v, want []", row["startChannels"])
	}
}

func toAny(list []string) []any {
	out := []any{}
	for _, s := range list {
		out = append(out, s)
	}
	return out
}

// TestListFiltersKindAndNoOwner: kind=group|person and ownerId=none filter
// lists; "none" cannot be an owner; a wallet-bound agent's "no owner"
// list is empty (nothing outside its wallet).
func TestListFiltersKindAndNoOwner(t *testing.T) {
	f := newFixture(t)
	owned := f.create(t, `{"name":"Com Dono","phone":"(11) 94444-0001","ownerId":"agent-1"}`)
	free := f.create(t, `{"name":"Sem Dono","phone":"(11) 94444-0002"}`)
	group := f.receive(t, conversation.Message{Type: "message.received", Workspace: "acme", Channel: "telegram", MessageID: "tg.k1",
		From: conversation.From{UserID: "-100300", Name: "Grupo Livre"}, Group: true, At: time.Now()}).ContactID
	list := func(q map[string]string) []string {
		t.Helper()
		return idsOf(items(f.do(t, call{route: "GET /v1/contacts", query: q}).want(t, http.StatusOK)))
	}
	same := func(got []string, want ...string) bool {
		return fmt.Sprint(sorted(got)) == fmt.Sprint(sorted(want))
	}
	if got := list(map[string]string{"kind": "group"}); !same(got, group) {
		t.Errorf("kind=group: %v, want %s", got, group)
	}
	if got := list(map[string]string{"kind": "person"}); !same(got, owned, free) {
		t.Errorf("kind=person: %v", got)
	}
	if got := list(map[string]string{"ownerId": "none"}); !same(got, free, group) {
		t.Errorf("ownerId=none: %v, want %s and %s", got, free, group)
	}
	if got := list(map[string]string{"ownerId": "none", "kind": "person", "q": "sem"}); !same(got, free) {
		t.Errorf("ownerId=none&kind=person&q=sem: %v", got)
	}
	f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"kind": "robot"}}).want(t, http.StatusUnprocessableEntity)
	r := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: free, body: `{"ownerId":"none"}`}).want(t, http.StatusUnprocessableEntity)
	if e := r.body["errors"].([]any)[0].(map[string]any); e["field"] != "ownerId" || e["code"] != "owner_id_reserved" {
		t.Errorf("ownerId none: %v", e)
	}
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`}).want(t, http.StatusOK)
	agent := f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"ownerId": "none"}, role: "agent", sub: "agent-1"}).want(t, http.StatusOK)
	if got := items(agent); len(got) != 0 {
		t.Errorf("a wallet-bound agent's ownerId=none: %v, want none", got)
	}
}

func sorted(list []string) []string {
	out := append([]string(nil), list...)
	slices.Sort(out)
	return out
}

// TestPossibleDuplicatesAtCreate: the 201 of a create lists the contacts
// the caller may see that share its phone identity (9th digit folded) or
// email; none when nobody does; a replay lists them too.
func TestPossibleDuplicatesAtCreate(t *testing.T) {
	f := newFixture(t)
	dups := func(r result) []string {
		t.Helper()
		list, ok := r.body["possibleDuplicates"].([]any)
		if !ok {
			t.Fatalf("no possibleDuplicates in %v", r.body)
		}
		out := []string{}
		for _, id := range list {
			out = append(out, id.(string))
		}
		return out
	}
	first := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Primeira","phone":"(11) 98765-4321"}`}).want(t, http.StatusCreated)
	if got := dups(first); len(got) != 0 {
		t.Errorf("first contact: possibleDuplicates %v, want []", got)
	}
	firstID := first.body["id"].(string)
	mailID := f.create(t, `{"name":"Por Email","email":"Dup@Exemplo.com"}`)
	// The old 8-digit form of the same mobile, and the email in other case.
	second := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Segunda","phone":"+55 11 8765-4321","email":"dup@exemplo.com"}`, headers: map[string]string{"Idempotency-Key": "dup-1"}}).want(t, http.StatusCreated)
	if got := dups(second); fmt.Sprint(sorted(got)) != fmt.Sprint(sorted([]string{firstID, mailID})) {
		t.Errorf("second: possibleDuplicates %v, want %s and %s", got, firstID, mailID)
	}
	replay := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Segunda","phone":"+55 11 8765-4321","email":"dup@exemplo.com"}`, headers: map[string]string{"Idempotency-Key": "dup-1"}}).want(t, http.StatusCreated)
	if fmt.Sprint(sorted(dups(replay))) != fmt.Sprint(sorted(dups(second))) {
		t.Errorf("replay: %v, first answer %v", dups(replay), dups(second))
	}
	// A wallet-bound agent is not told of contacts outside its wallet.
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`}).want(t, http.StatusOK)
	mine := f.do(t, call{route: "POST /v1/contacts", role: "agent", sub: "agent-9", body: `{"name":"Do Agente","phone":"11987654321"}`}).want(t, http.StatusCreated)
	if got := dups(mine); len(got) != 0 {
		t.Errorf("wallet-bound agent: possibleDuplicates %v, want []", got)
	}
	again := f.do(t, call{route: "POST /v1/contacts", role: "agent", sub: "agent-9", body: `{"name":"De Novo","phone":"11987654321"}`}).want(t, http.StatusCreated)
	if got := dups(again); len(got) != 1 || got[0] != mine.body["id"] {
		t.Errorf("wallet-bound agent, its own duplicate: %v, want [%v]", got, mine.body["id"])
	}
}

// countOf answers GET /v1/contacts/count for query.
func (f *fixture) countOf(t *testing.T, query map[string]string) int {
	t.Helper()
	return int(f.do(t, call{route: "GET /v1/contacts/count", query: query}).want(t, http.StatusOK).body["count"].(float64))
}

// listedCount walks a whole list and counts its rows.
func (f *fixture) listedCount(t *testing.T, query map[string]string) int {
	t.Helper()
	n, q := 0, map[string]string{"limit": "100"}
	for k, v := range query {
		q[k] = v
	}
	for {
		r := f.do(t, call{route: "GET /v1/contacts", query: q}).want(t, http.StatusOK)
		n += len(items(r))
		cur, _ := r.body["nextCursor"].(string)
		if cur == "" {
			return n
		}
		q["cursor"] = cur
	}
}

// TestCountsFollowEveryWrite: after creates, edits of owner and tags,
// blocks, unblocks, a merge, its undo, a second merge and deletes, every
// count GET /v1/contacts/count answers is the length of the list it
// counts; filters no counter keeps are a 422 count_unavailable.
func TestCountsFollowEveryWrite(t *testing.T) {
	f := newFixture(t)
	var all []string
	for i := 0; i < 12; i++ {
		body := fmt.Sprintf(`{"name":"Conta %02d","phone":"(11) 93%03d-%04d"}`, i, i, i)
		switch i % 4 {
		case 1:
			body = fmt.Sprintf(`{"name":"Conta %02d","email":"conta%d@x.com","ownerId":"agent-1","tags":["VIP"]}`, i, i)
		case 2:
			body = fmt.Sprintf(`{"name":"Conta %02d","phone":"(11) 93%03d-%04d","tags":["VIP","Atacado"]}`, i, i, i)
		}
		all = append(all, f.create(t, body))
	}
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: all[0], body: `{"ownerId":"agent-1"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: all[1], body: `{"ownerId":"agent-2"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: all[3], body: `{"tags":["VIP"]}`}).want(t, http.StatusOK)
	vip := f.do(t, call{route: "GET /v1/contacts/{id}", id: all[1]}).want(t, http.StatusOK).body["tags"].([]any)[0].(map[string]any)["id"].(string)
	f.do(t, call{route: "DELETE /v1/contacts/{id}/tags/{tagId}", id: all[2], tagID: vip}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: all[5]}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: all[6]}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/unblock", id: all[6]}).want(t, http.StatusOK)
	merged := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: all[4], body: `{"sourceIds":["` + all[7] + `","` + all[9] + `"]}`}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": merged.body["id"].(string)}, body: `{}`}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: all[8], body: `{"sourceIds":["` + all[10] + `"]}`}).want(t, http.StatusOK)
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: all[11]}).want(t, http.StatusNoContent)
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: all[5]}).want(t, http.StatusNoContent)
	for _, q := range []map[string]string{
		{}, {"blocked": "true"}, {"ownerId": "agent-1"}, {"ownerId": "agent-2"}, {"ownerId": "agent-3"},
		{"tag": "VIP"}, {"tag": "Atacado"}, {"pending": "true"}, {"tag": "VIP", "blocked": "true"},
	} {
		if got, want := f.countOf(t, q), f.listedCount(t, q); got != want {
			t.Errorf("count %v = %d, the list has %d", q, got, want)
		}
	}
	if got := f.countOf(t, nil); got != 9 {
		t.Errorf("count of the workspace = %d, want 9 (12 created, 1 merged into another, 2 deleted)", got)
	}
	// "Delete all" is confirmed against the same counters: the list's count
	// and the blocked list's.
	total := strconv.Itoa(f.countOf(t, nil) + f.countOf(t, map[string]string{"blocked": "true"}))
	f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: `{"all":true,"confirmCount":` + total + `}`}).want(t, http.StatusAccepted)
	for _, q := range []map[string]string{{"q": "conta"}, {"tag": "VIP", "ownerId": "agent-1"}, {"ownerId": "none"}, {"kind": "group"}, {"tag": "VIP,Atacado"}} {
		r := f.do(t, call{route: "GET /v1/contacts/count", query: q}).want(t, http.StatusUnprocessableEntity)
		if r.body["code"] != "count_unavailable" {
			t.Errorf("count %v: %v, want count_unavailable", q, r.body["code"])
		}
	}
	f.do(t, call{route: "GET /v1/contacts/count", query: map[string]string{"limit": "5"}}).want(t, http.StatusUnprocessableEntity)
	if got := f.do(t, call{route: "GET /v1/contacts/count", workspace: "globex"}).want(t, http.StatusOK).body["count"]; got != 0.0 {
		t.Errorf("another workspace counts %v", got)
	}
}

// TestKeptNoteFollowsTheNote: the response kept for a retry of a note's
// creation (Idempotency-Key) is edited with the note, and deleted with it,
// so no replay gives back a text the note no longer has.
func TestKeptNoteFollowsTheNote(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, mariaBody)
	post := call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":"texto original secreto"}`, headers: map[string]string{"Idempotency-Key": "nota-1"}}
	noteID := f.do(t, post).want(t, http.StatusCreated).body["id"].(string)
	f.do(t, call{route: "PATCH /v1/contacts/{id}/notes/{noteId}", id: id, params: map[string]string{"noteId": noteID}, body: `{"text":"texto corrigido"}`}).want(t, http.StatusOK)
	replay := f.do(t, post).want(t, http.StatusCreated)
	if replay.headers["Idempotent-Replayed"] != "true" || replay.body["id"] != noteID || replay.body["text"] != "texto corrigido" || replay.body["editedBy"] == nil {
		t.Errorf("replay after the edit: %v %v", replay.headers, replay.body)
	}
	if got := f.holding(t, "texto original secreto"); len(got) != 0 {
		t.Errorf("the first text is still kept: %v", got)
	}
	f.do(t, call{route: "DELETE /v1/contacts/{id}/notes/{noteId}", id: id, params: map[string]string{"noteId": noteID}}).want(t, http.StatusNoContent)
	if got := f.holding(t, "texto corrigido"); len(got) != 0 {
		t.Errorf("the deleted note's text is still kept: %v", got)
	}
}
