package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/errs"
)

// inbound is a message received on acme's WhatsApp channel.
func inbound(messageID string, from conversation.From) conversation.Message {
	return conversation.Message{
		Type: "message.received", Workspace: "acme", Channel: "whatsapp", MessageID: messageID,
		From: from, At: time.Now(),
	}
}

func (f *fixture) receive(t *testing.T, m conversation.Message) conversation.Receipt {
	t.Helper()
	r, err := f.talk.Receive(context.Background(), m)
	if err != nil {
		t.Fatalf("Receive(%s %s): %v", m.Channel, m.MessageID, err)
	}
	return r
}

// lookupPhone returns the ids of the workspace's contacts with the number.
func (f *fixture) lookupPhone(t *testing.T, workspace, number string) []string {
	t.Helper()
	r := f.do(t, call{route: "GET /v1/contacts/lookup", workspace: workspace, query: map[string]string{"phone": number}}).want(t, http.StatusOK)
	var out []string
	for _, it := range items(r) {
		out = append(out, it["id"].(string))
	}
	return out
}

func (f *fixture) droppedMessages(t *testing.T, workspace string) int {
	t.Helper()
	n, err := f.talk.Store.DroppedMessages(context.Background(), workspace, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestInboundNewSender: a first message creates the contact, named from the
// display name, connects the channel and opens a conversation; the next one
// lands on the same conversation.
func TestInboundNewSender(t *testing.T) {
	f := newFixture(t)
	m := inbound("wamid.1", conversation.From{Phone: "5511977776666", Name: "João"})
	r := f.receive(t, m)
	if r.Outcome != conversation.Delivered || !r.ContactCreated || r.ContactID == "" || r.ConversationID == "" {
		t.Fatalf("receipt = %+v, want delivered to a new contact", r)
	}
	c := f.getContact(t, r.ContactID)
	for k, want := range map[string]any{
		"name": "João", "phone": "+5511977776666", "email": nil, "kind": "person", "conversationStatus": "open", "blocked": false,
	} {
		if got := c[k]; got != want {
			t.Errorf("contact %s = %#v, want %#v", k, got, want)
		}
	}
	if got := c["pendingActions"].([]any); len(got) != 0 {
		t.Errorf("pendingActions = %v, want []", got)
	}
	states, _ := f.channelStates(t, r.ContactID)
	checkState(t, states, "whatsapp", "active", "")
	if got, want := states["whatsapp"]["connectedAt"], m.At.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
		t.Errorf("connectedAt = %v, want the message's time %s", got, want)
	}
	checkState(t, states, "sms", "inactive", "")

	list := f.conversationsOf(t, r.ContactID)
	if len(list) != 1 {
		t.Fatalf("%d conversations, want 1", len(list))
	}
	for k, want := range map[string]any{
		"id": r.ConversationID, "contactId": r.ContactID, "channel": "whatsapp", "status": "open", "startedBy": "contact",
		"actor": "channel:whatsapp", "teamId": nil, "messageCount": float64(1), "closedAt": nil,
	} {
		if got := list[0][k]; got != want {
			t.Errorf("conversation %s = %#v, want %#v", k, got, want)
		}
	}
	timeline := f.timelineOf(t, r.ContactID)
	if e := entriesOf(timeline, "created", ""); len(e) != 1 || e[0]["actor"] != "channel:whatsapp" {
		t.Errorf("created entries = %v, want one by channel:whatsapp", e)
	}
	if e := entriesOf(timeline, "channel", "connected"); len(e) != 1 || e[0]["channel"] != "whatsapp" || e[0]["actor"] != "channel:whatsapp" {
		t.Errorf("channel connected entries = %v", e)
	}
	if e := entriesOf(timeline, "conversation", "started"); len(e) != 1 || e[0]["conversationId"] != r.ConversationID || e[0]["actor"] != "channel:whatsapp" {
		t.Errorf("conversation started entries = %v", e)
	}
	if len(timeline) != 3 {
		t.Errorf("%d timeline entries, want 3: %v", len(timeline), timeline)
	}
	if n := len(f.sent.all()); n != 0 {
		t.Errorf("%d outbound messages for an inbound conversation, want 0", n)
	}

	// The next message, the number in another form, is on the same conversation.
	next := inbound("wamid.2", conversation.From{Phone: "+55 (11) 97777-6666", Name: "João Silva"})
	r2 := f.receive(t, next)
	if r2.Outcome != conversation.Delivered || r2.ContactCreated || r2.ContactID != r.ContactID || r2.ConversationID != r.ConversationID {
		t.Errorf("second receipt = %+v, want delivered on %s", r2, r.ConversationID)
	}
	list = f.conversationsOf(t, r.ContactID)
	if len(list) != 1 || list[0]["messageCount"] != float64(2) || list[0]["lastMessageAt"] != next.At.UTC().Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("conversations after the second message = %v, want one with 2 messages", list)
	}
	if c := f.getContact(t, r.ContactID); c["name"] != "João" {
		t.Errorf("name = %v: a later display name must not rename the contact", c["name"])
	}
	if got := len(f.timelineOf(t, r.ContactID)); got != 3 {
		t.Errorf("%d timeline entries after the second message, want 3", got)
	}
}

// TestInboundFindsContact: the sender is found by phone (with the ninth
// digit rule), by email, or by the id the channel gives it.
func TestInboundFindsContact(t *testing.T) {
	f := newFixture(t)
	byPhone := f.create(t, `{"name":"Marcos","phone":"(11) 98888-7777"}`)
	byEmail := f.create(t, `{"name":"Nina","email":"nina@example.com"}`)
	tests := []struct {
		name string
		m    conversation.Message
		want string
	}{
		{"old 8-digit number", inbound("wamid.a", conversation.From{Phone: "551188887777", Name: "Outro Nome"}), byPhone},
		{"9-digit number", inbound("wamid.b", conversation.From{Phone: "+5511988887777"}), byPhone},
		{"email in another case", conversation.Message{Type: "message.received", Workspace: "acme", Channel: "email", MessageID: "<a@mail>", From: conversation.From{Email: " NINA@Example.com ", Name: "N"}, At: time.Now()}, byEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.receive(t, tt.m)
			if r.Outcome != conversation.Delivered || r.ContactCreated || r.ContactID != tt.want {
				t.Errorf("receipt = %+v, want delivered to %s", r, tt.want)
			}
		})
	}
	if list := f.conversationsOf(t, byPhone); len(list) != 1 || list[0]["messageCount"] != float64(2) {
		t.Errorf("conversations of the phone contact = %v, want one with 2 messages", list)
	}
	if c := f.getContact(t, byPhone); c["name"] != "Marcos" || c["phone"] != "+5511988887777" {
		t.Errorf("phone contact changed: %v", c)
	}
	states, _ := f.channelStates(t, byEmail)
	checkState(t, states, "email", "active", "")

	// A Telegram user is found by its id, whatever name it shows.
	tg := conversation.Message{Type: "message.received", Workspace: "acme", Channel: "telegram", MessageID: "tg-1", From: conversation.From{UserID: "777", Name: "Olga"}, At: time.Now()}
	first := f.receive(t, tg)
	tg.MessageID, tg.From.Name = "tg-2", "Olga P."
	second := f.receive(t, tg)
	if !first.ContactCreated || second.ContactCreated || second.ContactID != first.ContactID || second.ConversationID != first.ConversationID {
		t.Errorf("telegram receipts = %+v, %+v, want one contact and one conversation", first, second)
	}
	c := f.getContact(t, first.ContactID)
	if c["name"] != "Olga" || c["telegramId"] != "777" {
		t.Errorf("telegram contact = %v, want Olga with telegramId 777", c)
	}
	states, _ = f.channelStates(t, first.ContactID)
	checkState(t, states, "telegram", "active", "")
}

// TestInboundWithoutPhoneOrEmail: a webchat visitor becomes a contact with
// a pending action, found again by its visitor id.
func TestInboundWithoutPhoneOrEmail(t *testing.T) {
	f := newFixture(t)
	m := inbound("chat-1", conversation.From{UserID: "visitor-1", Name: "Ana"})
	m.Channel = "webchat"
	r := f.receive(t, m)
	if r.Outcome != conversation.Delivered || !r.ContactCreated {
		t.Fatalf("receipt = %+v, want delivered to a new contact", r)
	}
	c := f.getContact(t, r.ContactID)
	if c["name"] != "Ana" || c["phone"] != nil || c["email"] != nil || c["kind"] != "person" {
		t.Errorf("contact = %v", c)
	}
	if got, want := c["pendingActions"], []any{"add_phone_or_email"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pendingActions = %v, want %v", got, want)
	}
	states, _ := f.channelStates(t, r.ContactID)
	checkState(t, states, "webchat", "active", "")
	checkState(t, states, "whatsapp", "unavailable", "contact_has_no_phone")
	checkState(t, states, "email", "unavailable", "contact_has_no_email")

	m.MessageID = "chat-2"
	again := f.receive(t, m)
	if again.ContactCreated || again.ContactID != r.ContactID || again.ConversationID != r.ConversationID {
		t.Errorf("second receipt = %+v, want the same contact and conversation", again)
	}
	// The same visitor id on another channel is another user.
	other := m
	other.Channel, other.MessageID = "facebook", "fb-1"
	if got := f.receive(t, other); !got.ContactCreated || got.ContactID == r.ContactID {
		t.Errorf("facebook receipt = %+v, want a new contact", got)
	}
}

// TestInboundGroup: a group chat is one group contact, found by its id.
func TestInboundGroup(t *testing.T) {
	f := newFixture(t)
	m := inbound("grp-1", conversation.From{UserID: "120363041234@g.us", Phone: "5511977776666", Name: "Família"})
	m.Group = true
	r := f.receive(t, m)
	if r.Outcome != conversation.Delivered || !r.ContactCreated {
		t.Fatalf("receipt = %+v, want delivered to a new contact", r)
	}
	c := f.getContact(t, r.ContactID)
	if c["kind"] != "group" || c["name"] != "Família" || c["phone"] != nil {
		t.Errorf("group contact = %v, want kind group named Família without the member's phone", c)
	}
	if got := c["pendingActions"].([]any); len(got) != 0 {
		t.Errorf("a group has pendingActions %v, want none", got)
	}
	m.MessageID, m.From = "grp-2", conversation.From{UserID: "120363041234@g.us", Phone: "5511966665555", Name: "Família 2"}
	again := f.receive(t, m)
	if again.ContactCreated || again.ContactID != r.ContactID || again.ConversationID != r.ConversationID {
		t.Errorf("second group receipt = %+v, want the same contact and conversation", again)
	}
	if list := f.conversationsOf(t, r.ContactID); len(list) != 1 || list[0]["messageCount"] != float64(2) {
		t.Errorf("group conversations = %v, want one with 2 messages", list)
	}
	// The member writing directly is a person of their own.
	direct := f.receive(t, inbound("dm-1", conversation.From{Phone: "5511977776666", Name: "Tio"}))
	if !direct.ContactCreated || direct.ContactID == r.ContactID {
		t.Errorf("direct message receipt = %+v, want a new person", direct)
	}
	if got := f.lookupPhone(t, "acme", "11977776666"); !reflect.DeepEqual(got, []string{direct.ContactID}) {
		t.Errorf("contacts with the member's number = %v, want only %s", got, direct.ContactID)
	}
}

// TestInboundBlockedSenderDropped: what a blocked contact sends is counted,
// not shown: no conversation is created or touched.
func TestInboundBlockedSenderDropped(t *testing.T) {
	f := newFixture(t)
	first := f.receive(t, inbound("wamid.1", conversation.From{Phone: "5511977776666", Name: "Pedro"}))
	id := first.ContactID
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: id}).want(t, http.StatusOK)
	convBefore := f.conversationsOf(t, id)
	timelineBefore := len(f.timelineOf(t, id))
	contactBefore := f.getContact(t, id)
	if len(convBefore) != 1 || convBefore[0]["status"] != "closed" || convBefore[0]["messageCount"] != float64(1) {
		t.Fatalf("conversations after the block = %v, want one closed with 1 message", convBefore)
	}
	if n := f.droppedMessages(t, "acme"); n != 0 {
		t.Fatalf("dropped messages before any = %d", n)
	}

	r := f.receive(t, inbound("wamid.2", conversation.From{Phone: "5511977776666", Name: "Pedro"}))
	if r.Outcome != conversation.Dropped || r.ContactID != id || r.ConversationID != "" || r.ContactCreated {
		t.Errorf("receipt = %+v, want dropped for %s", r, id)
	}
	if n := f.droppedMessages(t, "acme"); n != 1 {
		t.Errorf("dropped messages = %d, want 1", n)
	}
	if got := f.conversationsOf(t, id); !reflect.DeepEqual(got, convBefore) {
		t.Errorf("conversations changed by a dropped message:\n%v\n%v", got, convBefore)
	}
	if got := len(f.timelineOf(t, id)); got != timelineBefore {
		t.Errorf("%d timeline entries after a dropped message, want %d", got, timelineBefore)
	}
	if got := f.getContact(t, id); !reflect.DeepEqual(got, contactBefore) {
		t.Errorf("contact changed by a dropped message:\n%v\n%v", got, contactBefore)
	}

	// Redelivered, it is not counted again.
	count := f.countItems(t)
	if dup := f.receive(t, inbound("wamid.2", conversation.From{Phone: "5511977776666"})); dup.Outcome != conversation.Duplicate {
		t.Errorf("redelivered dropped message: outcome %s, want duplicate", dup.Outcome)
	}
	if n := f.droppedMessages(t, "acme"); n != 1 {
		t.Errorf("dropped messages after a redelivery = %d, want 1", n)
	}
	if got := f.countItems(t); got != count {
		t.Errorf("%d items after a redelivery, want %d", got, count)
	}

	// A blocked contact that never talked: nothing is connected or opened.
	quiet := f.create(t, `{"name":"Quieto","phone":"(11) 95555-4444"}`)
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: quiet}).want(t, http.StatusOK)
	r = f.receive(t, inbound("wamid.3", conversation.From{Phone: "5511955554444"}))
	if r.Outcome != conversation.Dropped || r.ContactID != quiet {
		t.Errorf("receipt = %+v, want dropped for %s", r, quiet)
	}
	if got := f.conversationsOf(t, quiet); len(got) != 0 {
		t.Errorf("a dropped message opened %v", got)
	}
	states, _ := f.channelStates(t, quiet)
	checkState(t, states, "whatsapp", "inactive", "")
	if n := f.droppedMessages(t, "acme"); n != 2 {
		t.Errorf("dropped messages = %d, want 2", n)
	}
	if n := f.droppedMessages(t, "globex"); n != 0 {
		t.Errorf("another workspace counts %d dropped messages, want 0", n)
	}
}

// TestInboundRedeliveryChangesNothing: an event delivered twice is applied once.
func TestInboundRedeliveryChangesNothing(t *testing.T) {
	f := newFixture(t)
	m := inbound("wamid.1", conversation.From{Phone: "5511977776666", Name: "João"})
	first := f.receive(t, m)
	if first.Outcome != conversation.Delivered {
		t.Fatalf("first receipt = %+v", first)
	}
	before := f.countItems(t)
	second := f.receive(t, m)
	if second.Outcome != conversation.Duplicate || second.ConversationID != "" || second.ContactCreated {
		t.Errorf("second receipt = %+v, want duplicate", second)
	}
	if after := f.countItems(t); after != before {
		t.Errorf("%d items after the redelivery, want %d", after, before)
	}
	if got := f.lookupPhone(t, "acme", "11977776666"); !reflect.DeepEqual(got, []string{first.ContactID}) {
		t.Errorf("contacts with the number = %v, want only %s", got, first.ContactID)
	}
	list := f.conversationsOf(t, first.ContactID)
	if len(list) != 1 || list[0]["messageCount"] != float64(1) {
		t.Errorf("conversations = %v, want one with 1 message", list)
	}
	if got := len(entriesOf(f.timelineOf(t, first.ContactID), "conversation", "")); got != 1 {
		t.Errorf("%d conversation entries, want 1", got)
	}
	// On an open conversation too.
	m.MessageID = "wamid.2"
	f.receive(t, m)
	before = f.countItems(t)
	if r := f.receive(t, m); r.Outcome != conversation.Duplicate {
		t.Errorf("redelivered second message: outcome %s, want duplicate", r.Outcome)
	}
	if after := f.countItems(t); after != before {
		t.Errorf("%d items after the second redelivery, want %d", after, before)
	}
	if list := f.conversationsOf(t, first.ContactID); list[0]["messageCount"] != float64(2) {
		t.Errorf("messageCount = %v, want 2", list[0]["messageCount"])
	}
	// Message ids are per channel: the same id on SMS is another message.
	sms := m
	sms.Channel = "sms"
	if r := f.receive(t, sms); r.Outcome != conversation.Delivered || r.ContactID != first.ContactID {
		t.Errorf("same id on sms: %+v, want delivered to %s", r, first.ContactID)
	}
}

// TestInboundConcurrentFirstMessages: messages of a new sender received at
// once make one contact and one conversation.
func TestInboundConcurrentFirstMessages(t *testing.T) {
	f := newFixture(t)
	const n = 4
	receipts := make([]conversation.Receipt, n)
	errors := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range receipts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			m := inbound(fmt.Sprintf("wamid.%d", i), conversation.From{Phone: "5521966665555", Name: "Rita"})
			receipts[i], errors[i] = f.talk.Receive(context.Background(), m)
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for i, r := range receipts {
		if errors[i] != nil {
			t.Fatalf("message %d: %v", i, errors[i])
		}
		if r.Outcome != conversation.Delivered || r.ContactID != receipts[0].ContactID || r.ConversationID != receipts[0].ConversationID {
			t.Errorf("receipt %d = %+v, want delivered on %s of %s", i, r, receipts[0].ConversationID, receipts[0].ContactID)
		}
		if r.ContactCreated {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d receipts created the contact, want 1", created)
	}
	if got := f.lookupPhone(t, "acme", "21966665555"); len(got) != 1 {
		t.Errorf("contacts with the number = %v, want 1", got)
	}
	list := f.conversationsOf(t, receipts[0].ContactID)
	if len(list) != 1 || list[0]["messageCount"] != float64(n) {
		t.Errorf("conversations = %v, want one with %d messages", list, n)
	}
	timeline := f.timelineOf(t, receipts[0].ContactID)
	for _, kind := range [][2]string{{"created", ""}, {"channel", "connected"}, {"conversation", "started"}} {
		if got := len(entriesOf(timeline, kind[0], kind[1])); got != 1 {
			t.Errorf("%d %s %s entries, want 1", got, kind[0], kind[1])
		}
	}
}

// TestInboundTenantIsolation: a message to another workspace never finds
// this workspace's contact with the same number.
func TestInboundTenantIsolation(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Sara","phone":"(11) 97777-6666","email":"sara@example.com"}`)
	m := inbound("wamid.1", conversation.From{Phone: "5511977776666", Email: "sara@example.com", Name: "Sara G"})
	m.Workspace = "globex"
	r := f.receive(t, m)
	if !r.ContactCreated || r.ContactID == id {
		t.Fatalf("receipt = %+v, want a new contact of globex", r)
	}
	f.do(t, call{route: "GET /v1/contacts/{id}", id: r.ContactID}).want(t, http.StatusNotFound)
	g := f.do(t, call{route: "GET /v1/contacts/{id}", id: r.ContactID, workspace: "globex"}).want(t, http.StatusOK)
	if g.body["name"] != "Sara G" {
		t.Errorf("globex contact = %s", g.raw)
	}
	if got := f.conversationsOf(t, id); len(got) != 0 {
		t.Errorf("acme's contact got conversations %v", got)
	}
	states, _ := f.channelStates(t, id)
	checkState(t, states, "whatsapp", "inactive", "")
	if got := f.lookupPhone(t, "acme", "11977776666"); !reflect.DeepEqual(got, []string{id}) {
		t.Errorf("acme's contacts with the number = %v, want only %s", got, id)
	}
	// The same message id in acme is another message.
	m.Workspace = "acme"
	if r := f.receive(t, m); r.Outcome != conversation.Delivered || r.ContactID != id || r.ContactCreated {
		t.Errorf("acme receipt = %+v, want delivered to %s", r, id)
	}
}

// TestInboundInvalidMessage: a malformed event is a permanent error that
// writes nothing.
func TestInboundInvalidMessage(t *testing.T) {
	f := newFixture(t)
	before := f.countItems(t)
	ok := inbound("wamid.1", conversation.From{Phone: "5511977776666"})
	tests := []struct {
		name  string
		edit  func(m *conversation.Message)
		field string
	}{
		{"type", func(m *conversation.Message) { m.Type = "message.sent" }, "type"},
		{"workspace", func(m *conversation.Message) { m.Workspace = "acme#C#x" }, "workspace"},
		{"channel", func(m *conversation.Message) { m.Channel = "WhatsApp!" }, "channel"},
		{"unknown channel", func(m *conversation.Message) { m.Channel = "fax" }, "channel"},
		{"no message id", func(m *conversation.Message) { m.MessageID = "" }, "messageId"},
		{"no sender", func(m *conversation.Message) { m.From = conversation.From{Name: "X"} }, "from"},
		{"group without id", func(m *conversation.Message) { m.Group = true }, "from.userId"},
		{"no time", func(m *conversation.Message) { m.At = time.Time{} }, "at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.edit(&m)
			_, err := f.talk.Receive(context.Background(), m)
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Errorf("Receive = %v, want invalid %s", err, tt.field)
			}
		})
	}
	if after := f.countItems(t); after != before {
		t.Errorf("%d items after invalid messages, want %d", after, before)
	}
}
