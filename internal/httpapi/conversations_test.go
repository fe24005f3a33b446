package httpapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/conversation"
)

// The sample event's caller: the owner of workspace acme.
const ownerSub = "user-owner-1"

// boasVindas is an approved template with two parameters.
const boasVindas = `{"language":"pt_BR","body":"Olá {{1}}, seu pedido {{2}}"}`

// items returns a list response's items.
func items(r result) []map[string]any {
	out := []map[string]any{}
	list, _ := r.body["items"].([]any)
	for _, it := range list {
		out = append(out, it.(map[string]any))
	}
	return out
}

func (f *fixture) putTemplate(t *testing.T, name, body string, status int) result {
	t.Helper()
	return f.do(t, call{route: "PUT /v1/message-templates/{name}", params: map[string]string{"name": name}, body: body}).want(t, status)
}

func (f *fixture) startConversation(t *testing.T, body string, status int) result {
	t.Helper()
	return f.do(t, call{route: "POST /v1/conversations", body: body}).want(t, status)
}

// channelStates returns GET /v1/contacts/{id}/channels by channel id, and
// the channel ids in the order listed.
func (f *fixture) channelStates(t *testing.T, id string) (map[string]map[string]any, []string) {
	t.Helper()
	r := f.do(t, call{route: "GET /v1/contacts/{id}/channels", id: id}).want(t, http.StatusOK)
	byID := map[string]map[string]any{}
	var order []string
	for _, it := range items(r) {
		byID[it["id"].(string)] = it
		order = append(order, it["id"].(string))
	}
	return byID, order
}

// conversationsOf returns every conversation of the contact, newest first.
func (f *fixture) conversationsOf(t *testing.T, id string) []map[string]any {
	t.Helper()
	return items(f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: id, query: map[string]string{"limit": "100"}}).want(t, http.StatusOK))
}

// timelineOf returns the contact's whole timeline, newest first.
func (f *fixture) timelineOf(t *testing.T, id string) []map[string]any {
	t.Helper()
	return items(f.do(t, call{route: "GET /v1/contacts/{id}/timeline", id: id, query: map[string]string{"limit": "100"}}).want(t, http.StatusOK))
}

func (f *fixture) getContact(t *testing.T, id string) map[string]any {
	t.Helper()
	return f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK).body
}

// entriesOf returns the timeline entries of a type (and action, when given).
func entriesOf(timeline []map[string]any, typ, action string) []map[string]any {
	var out []map[string]any
	for _, e := range timeline {
		if e["type"] == typ && (action == "" || e["action"] == action) {
			out = append(out, e)
		}
	}
	return out
}

// sentTo returns the outbound messages of a conversation.
func (f *fixture) sentTo(conversationID string) []conversation.Outbound {
	var out []conversation.Outbound
	for _, m := range f.sent.all() {
		if m.ConversationID == conversationID {
			out = append(out, m)
		}
	}
	return out
}

// checkState checks one channel's state as GET channels shows it.
func checkState(t *testing.T, states map[string]map[string]any, channel, state, reason string) {
	t.Helper()
	st, ok := states[channel]
	if !ok {
		t.Errorf("channel %s is not listed", channel)
		return
	}
	if st["state"] != state {
		t.Errorf("%s state = %v, want %s", channel, st["state"], state)
	}
	gotReason, _ := st["reason"].(string)
	if gotReason != reason {
		t.Errorf("%s reason = %q, want %q", channel, gotReason, reason)
	}
	_, connected := st["connectedAt"].(string)
	if connected != (state == "active") {
		t.Errorf("%s connectedAt = %v with state %s", channel, st["connectedAt"], state)
	}
}

func TestChannelStatesOfAContact(t *testing.T) {
	f := newFixture(t)
	both := f.create(t, `{"name":"Ambos","phone":"(11) 91234-5678","email":"ambos@example.com"}`)
	phoneOnly := f.create(t, `{"name":"Fone","phone":"(11) 91234-0000"}`)
	emailOnly := f.create(t, `{"name":"Mail","email":"mail@example.com"}`)

	mustWrite := conversation.ReasonContactMustWriteFirst
	tests := []struct {
		name string
		id   string
		want map[string][2]string // channel → state, reason
	}{
		{"phone and email", both, map[string][2]string{
			"whatsapp": {"inactive", ""}, "sms": {"inactive", ""}, "email": {"inactive", ""},
			"telegram": {"unavailable", mustWrite}, "facebook": {"unavailable", mustWrite},
			"instagram": {"unavailable", mustWrite}, "webchat": {"unavailable", mustWrite},
		}},
		{"phone only", phoneOnly, map[string][2]string{
			"whatsapp": {"inactive", ""}, "sms": {"inactive", ""}, "email": {"unavailable", "contact_has_no_email"},
			"telegram": {"unavailable", mustWrite}, "facebook": {"unavailable", mustWrite},
			"instagram": {"unavailable", mustWrite}, "webchat": {"unavailable", mustWrite},
		}},
		{"email only", emailOnly, map[string][2]string{
			"whatsapp": {"unavailable", "contact_has_no_phone"}, "sms": {"unavailable", "contact_has_no_phone"}, "email": {"inactive", ""},
			"telegram": {"unavailable", mustWrite}, "facebook": {"unavailable", mustWrite},
			"instagram": {"unavailable", mustWrite}, "webchat": {"unavailable", mustWrite},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states, order := f.channelStates(t, tt.id)
			if want := []string{"whatsapp", "sms", "email", "telegram", "facebook", "instagram", "webchat"}; !reflect.DeepEqual(order, want) {
				t.Errorf("channels = %v, want every default channel %v", order, want)
			}
			for ch, w := range tt.want {
				checkState(t, states, ch, w[0], w[1])
			}
			if got := states["whatsapp"]; got["type"] != "whatsapp" || got["provider"] != "official" || got["name"] != "whatsapp" {
				t.Errorf("whatsapp = %v, want type whatsapp, provider official", got)
			}
			if _, ok := states["sms"]["provider"]; ok {
				t.Errorf("sms has a provider: %v", states["sms"])
			}
		})
	}

	// The catalogue is the workspace's: a saved one replaces the defaults.
	f.do(t, call{route: "PUT /v1/channels", body: `{"channels":[{"id":"wa2","type":"whatsapp","provider":"unofficial","name":"Vendas"},{"id":"chat","type":"webchat"}]}`}).want(t, http.StatusOK)
	states, order := f.channelStates(t, both)
	if want := []string{"wa2", "chat"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("channels after PUT /v1/channels = %v, want %v", order, want)
	}
	checkState(t, states, "wa2", "inactive", "")
	checkState(t, states, "chat", "unavailable", mustWrite)
	if got := states["wa2"]; got["name"] != "Vendas" || got["provider"] != "unofficial" || got["type"] != "whatsapp" {
		t.Errorf("wa2 = %v", got)
	}
	f.do(t, call{route: "GET /v1/contacts/{id}/channels", id: "01jdx0000000000000000000zz"}).want(t, http.StatusNotFound)
}

func TestTemplatePutAndList(t *testing.T) {
	f := newFixture(t)
	r := f.putTemplate(t, "boas_vindas", boasVindas, http.StatusCreated)
	for k, want := range map[string]any{"name": "boas_vindas", "language": "pt_BR", "parameterCount": float64(2), "status": "approved", "body": "Olá {{1}}, seu pedido {{2}}"} {
		if got := r.body[k]; got != want {
			t.Errorf("template %s = %#v, want %#v", k, got, want)
		}
	}
	again := f.putTemplate(t, "boas_vindas", `{"language":"pt_BR","body":"Oi {{1}}","status":"pending"}`, http.StatusOK)
	if again.body["parameterCount"] != float64(1) || again.body["status"] != "pending" {
		t.Errorf("replaced template = %s", again.raw)
	}
	f.do(t, call{route: "PUT /v1/message-templates/{name}", params: map[string]string{"name": "x"}, body: boasVindas, role: "agent"}).want(t, http.StatusForbidden)
	bad := f.putTemplate(t, "boas_vindas", `{"language":"pt_BR","body":"Oi {{2}}"}`, http.StatusUnprocessableEntity)
	if got, want := bad.fieldErrors(), []string{"body:template_placeholders_invalid"}; !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
	list := items(f.do(t, call{route: "GET /v1/message-templates"}).want(t, http.StatusOK))
	if len(list) != 1 || list[0]["name"] != "boas_vindas" || list[0]["parameterCount"] != float64(1) {
		t.Errorf("templates = %v, want the one replaced", list)
	}
	f.putTemplate(t, "aviso", `{"language":"pt_BR","body":"Aviso {{1}}"}`, http.StatusCreated)
	for status, want := range map[string]int{"approved": 1, "pending": 1, "rejected": 0, "": 2} {
		got := items(f.do(t, call{route: "GET /v1/message-templates", query: map[string]string{"status": status}}).want(t, http.StatusOK))
		if len(got) != want || (want == 1 && got[0]["status"] != status) {
			t.Errorf("templates ?status=%s = %v, want %d of that status", status, got, want)
		}
	}
	bad = f.do(t, call{route: "GET /v1/message-templates", query: map[string]string{"status": "live"}}).want(t, http.StatusUnprocessableEntity)
	if got, want := bad.fieldErrors(), []string{"status:choice_invalid"}; !reflect.DeepEqual(got, want) {
		t.Errorf("?status=live errors = %v, want %v", got, want)
	}
	if got := items(f.do(t, call{route: "GET /v1/message-templates", workspace: "globex"}).want(t, http.StatusOK)); len(got) != 0 {
		t.Errorf("another workspace lists %v", got)
	}
}

// TestConversationStartWithTemplate starts on the official WhatsApp API:
// the conversation, the outbound message, the channel connection, the
// contact's conversation status and the timeline; a second start returns
// the open conversation and sends nothing.
func TestConversationStartWithTemplate(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Carla","phone":"(11) 97777-1111"}`)
	f.putTemplate(t, "boas_vindas", boasVindas, http.StatusCreated)
	body := `{"contactId":"` + id + `","channel":"whatsapp","teamId":"suporte","template":{"name":"boas_vindas","parameters":["Carla","#123"]}}`
	r := f.startConversation(t, body, http.StatusCreated)
	convID, _ := r.body["id"].(string)
	for k, want := range map[string]any{
		"contactId": id, "channel": "whatsapp", "teamId": "suporte", "status": "open", "startedBy": "agent",
		"actor": ownerSub, "messageCount": float64(0), "closedAt": nil, "closedReason": nil, "lastMessageAt": nil,
	} {
		if got := r.body[k]; got != want {
			t.Errorf("conversation %s = %#v, want %#v", k, got, want)
		}
	}
	wantTemplate := map[string]any{"name": "boas_vindas", "language": "pt_BR", "parameters": []any{"Carla", "#123"}}
	if got := r.body["template"]; !reflect.DeepEqual(got, wantTemplate) {
		t.Errorf("template = %#v, want %#v", got, wantTemplate)
	}

	sent := f.sent.all()
	if len(sent) != 1 {
		t.Fatalf("%d outbound messages, want 1: %+v", len(sent), sent)
	}
	m := sent[0]
	want := conversation.Outbound{
		ID: m.ID, Type: "conversation.started", Workspace: "acme", ConversationID: convID, ContactID: id,
		Channel: "whatsapp", ChannelType: conversation.WhatsApp, Provider: "official",
		To: conversation.Address{Phone: "+5511977771111"}, TeamID: "suporte",
		Actor: ownerSub, At: m.At,
		Template: &conversation.TemplateUse{Name: "boas_vindas", Language: "pt_BR", Parameters: []string{"Carla", "#123"}},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("outbound = %+v\nwant %+v", m, want)
	}
	if m.ID == "" || m.At.IsZero() {
		t.Errorf("outbound lacks id or time: %+v", m)
	}

	if c := f.getContact(t, id); c["conversationStatus"] != "open" || c["version"] != float64(2) {
		t.Errorf("contact after the start: conversationStatus %v version %v, want open and 2", c["conversationStatus"], c["version"])
	}
	states, _ := f.channelStates(t, id)
	checkState(t, states, "whatsapp", "active", "")
	if got := states["whatsapp"]["connectedAt"]; got != r.body["createdAt"] {
		t.Errorf("whatsapp connectedAt = %v, want the conversation's createdAt %v", got, r.body["createdAt"])
	}
	checkState(t, states, "sms", "inactive", "")

	timeline := f.timelineOf(t, id)
	var kinds []string
	for _, e := range timeline {
		kinds = append(kinds, e["type"].(string)+":"+str(e["action"]))
	}
	if want := []string{"conversation:started", "channel:connected", "created:"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("timeline = %v, want %v (newest first)", kinds, want)
	}
	for _, e := range timeline[:min(2, len(timeline))] {
		if e["channel"] != "whatsapp" || e["actor"] != ownerSub {
			t.Errorf("entry %v: want channel whatsapp, actor %s", e, ownerSub)
		}
	}
	if e := entriesOf(timeline, "conversation", "started"); len(e) != 1 || e[0]["conversationId"] != convID {
		t.Errorf("conversation started entries = %v, want one naming %s", e, convID)
	}

	// Again, with another team: the open conversation comes back, unchanged.
	again := f.startConversation(t, strings.Replace(body, "suporte", "vendas", 1), http.StatusOK)
	if again.body["id"] != convID || again.body["teamId"] != "suporte" {
		t.Errorf("second start = %s, want conversation %s of team suporte", again.raw, convID)
	}
	if n := len(f.sent.all()); n != 1 {
		t.Errorf("%d outbound messages after the second start, want 1", n)
	}
	if got := f.conversationsOf(t, id); len(got) != 1 {
		t.Errorf("%d conversations, want 1", len(got))
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// TestConversationStartWithoutTemplate: the unofficial WhatsApp API, SMS
// and email need no template.
func TestConversationStartWithoutTemplate(t *testing.T) {
	f := newFixture(t)
	f.do(t, call{route: "PUT /v1/channels", body: `{"channels":[
		{"id":"whatsapp","type":"whatsapp"},
		{"id":"wa2","type":"whatsapp","provider":"unofficial"},
		{"id":"sms","type":"sms"},
		{"id":"email","type":"email"}]}`}).want(t, http.StatusOK)
	id := f.create(t, `{"name":"Duda","phone":"+55 21 98888-2222","email":"duda@example.com"}`)
	f.startConversation(t, `{"contactId":"`+id+`","channel":"whatsapp","teamId":"t1"}`, http.StatusUnprocessableEntity)
	for _, tt := range []struct {
		channel string
		typ     conversation.ChannelType
		to      conversation.Address
	}{
		{"wa2", conversation.WhatsApp, conversation.Address{Phone: "+5521988882222"}},
		{"sms", conversation.SMS, conversation.Address{Phone: "+5521988882222"}},
		{"email", conversation.Email, conversation.Address{Email: "duda@example.com"}},
	} {
		t.Run(tt.channel, func(t *testing.T) {
			r := f.startConversation(t, `{"contactId":"`+id+`","channel":"`+tt.channel+`","teamId":"t1"}`, http.StatusCreated)
			if r.body["channel"] != tt.channel || r.body["template"] != nil {
				t.Errorf("conversation = %s", r.raw)
			}
			sent := f.sentTo(r.body["id"].(string))
			if len(sent) != 1 {
				t.Fatalf("%d outbound messages for the conversation, want 1", len(sent))
			}
			if m := sent[0]; m.ChannelType != tt.typ || m.To != tt.to || m.Template != nil || m.TeamID != "t1" {
				t.Errorf("outbound = %+v, want type %s to %+v without template", m, tt.typ, tt.to)
			}
			if tt.channel == "wa2" && sent[0].Provider != "unofficial" {
				t.Errorf("provider = %q, want unofficial", sent[0].Provider)
			}
		})
	}
	if got := f.conversationsOf(t, id); len(got) != 3 {
		t.Errorf("%d conversations, want 3 (one per channel)", len(got))
	}
	if n := len(f.sent.all()); n != 3 {
		t.Errorf("%d outbound messages, want 3", n)
	}
}

// TestConversationStartByPhone finds the contact by the number typed, with
// the Brazilian ninth digit rule, or creates it when asked.
func TestConversationStartByPhone(t *testing.T) {
	f := newFixture(t)
	f.putTemplate(t, "boas_vindas", boasVindas, http.StatusCreated)
	old := f.create(t, `{"name":"Antigo","phone":"+55 11 8888-7777"}`)
	tpl := `"template":{"name":"boas_vindas","parameters":["a","b"]}`

	r := f.startConversation(t, `{"phone":"(11) 98888-7777","channel":"whatsapp","teamId":"t1",`+tpl+`}`, http.StatusCreated)
	if r.body["contactId"] != old {
		t.Errorf("contactId = %v, want %s (the 8-digit number is the same)", r.body["contactId"], old)
	}
	if sent := f.sentTo(r.body["id"].(string)); len(sent) != 1 || sent[0].To.Phone != "+5511988887777" {
		t.Errorf("outbound = %+v, want one to +5511988887777", sent)
	}
	// The old form typed again finds the same contact and its open conversation.
	again := f.startConversation(t, `{"phone":"11 8888-7777","channel":"whatsapp","teamId":"t1",`+tpl+`}`, http.StatusOK)
	if again.body["id"] != r.body["id"] {
		t.Errorf("second start = %s, want conversation %v", again.raw, r.body["id"])
	}

	before := f.countItems(t)
	unknown := f.startConversation(t, `{"phone":"(11) 97777-6666","channel":"sms","teamId":"t1"}`, http.StatusUnprocessableEntity)
	if got, want := unknown.fieldErrors(), []string{"phone:no_contact_with_phone"}; !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
	invalid := f.startConversation(t, `{"phone":"12","channel":"sms","teamId":"t1","createContact":true}`, http.StatusUnprocessableEntity)
	if got, want := invalid.fieldErrors(), []string{"phone:phone_invalid"}; !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
	if after := f.countItems(t); after != before {
		t.Errorf("%d items after refused starts, want %d", after, before)
	}

	created := f.startConversation(t, `{"phone":"(11) 97777-6666","name":"Nova Pessoa","createContact":true,"channel":"sms","teamId":"t1"}`, http.StatusCreated)
	newID := created.body["contactId"].(string)
	c := f.getContact(t, newID)
	if c["name"] != "Nova Pessoa" || c["phone"] != "+5511977776666" || c["conversationStatus"] != "open" {
		t.Errorf("created contact = %v", c)
	}
	if sent := f.sentTo(created.body["id"].(string)); len(sent) != 1 || sent[0].To.Phone != "+5511977776666" || sent[0].ContactID != newID {
		t.Errorf("outbound = %+v", sent)
	}
	// Asked to create again, the contact is found: no second contact.
	second := f.startConversation(t, `{"phone":"+5511977776666","createContact":true,"channel":"sms","teamId":"t1"}`, http.StatusOK)
	if second.body["contactId"] != newID || second.body["id"] != created.body["id"] {
		t.Errorf("second start by phone = %s", second.raw)
	}
	lookup := f.do(t, call{route: "GET /v1/contacts/lookup", query: map[string]string{"phone": "11977776666"}}).want(t, http.StatusOK)
	if n := len(items(lookup)); n != 1 {
		t.Errorf("%d contacts with the number, want 1", n)
	}
}

// TestConversationStartOnUnavailableChannel: a channel the contact must
// write first, or for which it lacks an address, is a 422 naming why.
func TestConversationStartOnUnavailableChannel(t *testing.T) {
	f := newFixture(t)
	emailOnly := f.create(t, `{"name":"Mail","email":"mail@example.com"}`)
	phoneOnly := f.create(t, `{"name":"Fone","phone":"(11) 91234-0000"}`)
	before := f.countItems(t)
	tests := []struct {
		id, channel, code string
	}{
		{emailOnly, "whatsapp", "contact_has_no_phone"},
		{emailOnly, "sms", "contact_has_no_phone"},
		{phoneOnly, "email", "contact_has_no_email"},
		{phoneOnly, "facebook", "contact_must_write_first"},
		{phoneOnly, "instagram", "contact_must_write_first"},
		{phoneOnly, "telegram", "contact_must_write_first"},
		{phoneOnly, "webchat", "contact_must_write_first"},
		{phoneOnly, "fax", "channel_unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.channel+"/"+tt.code, func(t *testing.T) {
			r := f.startConversation(t, `{"contactId":"`+tt.id+`","channel":"`+tt.channel+`","teamId":"t1"}`, http.StatusUnprocessableEntity)
			if got, want := r.fieldErrors(), []string{"channel:" + tt.code}; !reflect.DeepEqual(got, want) {
				t.Errorf("errors = %v, want %v", got, want)
			}
		})
	}
	if after := f.countItems(t); after != before {
		t.Errorf("%d items after refused starts, want %d", after, before)
	}
	if n := len(f.sent.all()); n != 0 {
		t.Errorf("%d outbound messages, want 0", n)
	}
}

// TestConversationBadInputWritesNothing: every malformed start is a 422
// naming the field, and writes nothing.
func TestConversationBadInputWritesNothing(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Eva","phone":"(11) 96666-5555"}`)
	f.putTemplate(t, "boas_vindas", boasVindas, http.StatusCreated)
	f.putTemplate(t, "pendente", `{"language":"pt_BR","body":"Oi {{1}}","status":"pending"}`, http.StatusCreated)
	before := f.countItems(t)
	start := func(rest string) string { return `{"contactId":"` + id + `",` + rest + `}` }
	tests := []struct {
		name   string
		body   string
		fields []string
	}{
		{"unknown field", start(`"channel":"sms","teamId":"t1","priority":"high"`), []string{"priority:unknown_field"}},
		{"missing channel", start(`"teamId":"t1"`), []string{"channel:required"}},
		{"missing team", start(`"channel":"sms"`), []string{"teamId:required"}},
		{"team too long", start(`"channel":"sms","teamId":"` + strings.Repeat("t", 65) + `"`), []string{"teamId:too_long"}},
		{"contact and phone", start(`"phone":"(11) 96666-5555","channel":"sms","teamId":"t1"`), []string{"phone:contact_or_phone_required"}},
		{"neither contact nor phone", `{"channel":"sms","teamId":"t1"}`, []string{"contactId:contact_or_phone_required"}},
		{"malformed contact id", `{"contactId":"../x","channel":"sms","teamId":"t1"}`, []string{"contactId:id_invalid"}},
		{"channel not a string", start(`"channel":7,"teamId":"t1"`), []string{"channel:invalid_type", "channel:required"}},
		{"template required", start(`"channel":"whatsapp","teamId":"t1"`), []string{"template:template_required"}},
		{"too few parameters", start(`"channel":"whatsapp","teamId":"t1","template":{"name":"boas_vindas","parameters":["só um"]}`), []string{"template.parameters:template_parameters_mismatch"}},
		{"too many parameters", start(`"channel":"whatsapp","teamId":"t1","template":{"name":"boas_vindas","parameters":["a","b","c"]}`), []string{"template.parameters:template_parameters_mismatch"}},
		{"template pending", start(`"channel":"whatsapp","teamId":"t1","template":{"name":"pendente","parameters":["a"]}`), []string{"template.name:template_not_approved"}},
		{"template unknown", start(`"channel":"whatsapp","teamId":"t1","template":{"name":"nao_existe","parameters":[]}`), []string{"template.name:template_unknown"}},
		{"template language", start(`"channel":"whatsapp","teamId":"t1","template":{"name":"boas_vindas","language":"en_US","parameters":["a","b"]}`), []string{"template.language:template_language_mismatch"}},
		{"template without name", start(`"channel":"whatsapp","teamId":"t1","template":{"parameters":["a","b"]}`), []string{"template.name:required"}},
		{"template not an object", start(`"channel":"whatsapp","teamId":"t1","template":"boas_vindas"`), []string{"template:invalid_type"}},
		{"empty parameter", start(`"channel":"sms","teamId":"t1","template":{"name":"boas_vindas","parameters":["a"," "]}`), []string{"template.parameters[1]:required"}},
		{"template on sms must fit", start(`"channel":"sms","teamId":"t1","template":{"name":"boas_vindas","parameters":[]}`), []string{"template.parameters:template_parameters_mismatch"}},
		{"createContact not boolean", `{"phone":"(11) 91111-0000","createContact":"yes","channel":"sms","teamId":"t1"}`, []string{"createContact:invalid_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.startConversation(t, tt.body, http.StatusUnprocessableEntity)
			if got := r.fieldErrors(); !reflect.DeepEqual(got, tt.fields) {
				t.Errorf("errors = %v, want %v", got, tt.fields)
			}
		})
	}
	f.do(t, call{route: "POST /v1/conversations", body: `{"contactId":`}).want(t, http.StatusBadRequest)
	f.startConversation(t, `{"contactId":"01jdx0000000000000000000zz","channel":"sms","teamId":"t1"}`, http.StatusNotFound)
	if after := f.countItems(t); after != before {
		t.Errorf("%d items after bad starts, want %d", after, before)
	}
	if n := len(f.sent.all()); n != 0 {
		t.Errorf("%d outbound messages after bad starts, want 0", n)
	}
	if c := f.getContact(t, id); c["version"] != float64(1) || c["conversationStatus"] != nil {
		t.Errorf("contact changed by bad starts: %v", c)
	}
}

// TestConversationStartRace: concurrent starts on one channel make one
// conversation and hand over one first message. A few rounds, one contact
// each, so that a lost race shows.
func TestConversationStartRace(t *testing.T) {
	f := newFixture(t)
	f.putTemplate(t, "boas_vindas", boasVindas, http.StatusCreated)
	for round := 0; round < 3; round++ {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			number := fmt.Sprintf("+55319876500%02d", round)
			id := f.create(t, `{"name":"Fábio","phone":"`+number+`"}`)
			raceStarts(t, f, id, number)
		})
	}
}

func raceStarts(t *testing.T, f *fixture, id, number string) {
	t.Helper()
	body := `{"contactId":"` + id + `","channel":"whatsapp","teamId":"t1","template":{"name":"boas_vindas","parameters":["Fábio","42"]}}`
	const n = 8
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = f.do(t, call{route: "POST /v1/conversations", body: body})
		}()
	}
	close(start)
	wg.Wait()
	created, reused := 0, 0
	convIDs := map[string]bool{}
	for _, r := range results {
		switch r.status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
			reused++
		default:
			t.Errorf("status %d: %s", r.status, r.raw)
			continue
		}
		convIDs[str(r.body["id"])] = true
	}
	if created != 1 || reused != n-1 || len(convIDs) != 1 {
		t.Fatalf("%d created, %d reused, %d distinct ids; want 1, %d, 1", created, reused, len(convIDs), n-1)
	}
	list := f.conversationsOf(t, id)
	if len(list) != 1 || !convIDs[str(list[0]["id"])] {
		t.Errorf("conversations = %v, want the one started", list)
	}
	sent := f.sentTo(str(list[0]["id"]))
	if len(sent) != 1 {
		var msgIDs []string
		for _, m := range sent {
			msgIDs = append(msgIDs, m.ID)
		}
		t.Errorf("%d outbound messages for the conversation, want 1 (one per conversation): %v", len(sent), msgIDs)
	}
	for _, m := range sent {
		if !reflect.DeepEqual(m.Template.Parameters, []string{"Fábio", "42"}) || m.To.Phone != number || m.ContactID != id {
			t.Errorf("outbound = %+v, want the template parameters to %s", m, number)
		}
	}
	timeline := f.timelineOf(t, id)
	if got := len(entriesOf(timeline, "conversation", "started")); got != 1 {
		t.Errorf("%d conversation started entries, want 1", got)
	}
	if got := len(entriesOf(timeline, "channel", "connected")); got != 1 {
		t.Errorf("%d channel connected entries, want 1", got)
	}
}

// TestConversationOutboundRetry: when the first message cannot be handed
// over the start fails, and its retry hands it over once.
func TestConversationOutboundRetry(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Gil","phone":"(31) 98765-1111"}`)
	f.sent.mu.Lock()
	f.sent.failNext = 1
	f.sent.mu.Unlock()
	body := `{"contactId":"` + id + `","channel":"sms","teamId":"t1"}`
	f.startConversation(t, body, http.StatusInternalServerError)
	r := f.startConversation(t, body, http.StatusOK) // stored by the first start
	if sent := f.sentTo(r.body["id"].(string)); len(sent) != 1 {
		t.Errorf("%d outbound messages after the retry, want 1", len(sent))
	}
	f.startConversation(t, body, http.StatusOK)
	if n := len(f.sent.all()); n != 1 {
		t.Errorf("%d outbound messages after a third start, want 1", n)
	}
}

// TestConversationListPages lists conversations newest first, a page at a time.
func TestConversationListPages(t *testing.T) {
	f := newFixture(t)
	f.do(t, call{route: "PUT /v1/channels", body: `{"channels":[
		{"id":"wa2","type":"whatsapp","provider":"unofficial"},
		{"id":"wa3","type":"whatsapp","provider":"unofficial"},
		{"id":"sms","type":"sms"},
		{"id":"email","type":"email"},
		{"id":"email2","type":"email"}]}`}).want(t, http.StatusOK)
	id := f.create(t, `{"name":"Helena","phone":"(41) 99999-0000","email":"helena@example.com"}`)
	other := f.create(t, `{"name":"Outra","phone":"(41) 99999-1111"}`)
	var started []string
	for _, ch := range []string{"wa2", "sms", "email", "wa3", "email2"} {
		r := f.startConversation(t, `{"contactId":"`+id+`","channel":"`+ch+`","teamId":"t1"}`, http.StatusCreated)
		started = append(started, r.body["id"].(string))
		time.Sleep(2 * time.Millisecond) // ids are time-ordered to the millisecond
	}
	f.startConversation(t, `{"contactId":"`+other+`","channel":"sms","teamId":"t1"}`, http.StatusCreated)

	var got []string
	var pages []int
	cursor := ""
	for i := 0; i < 10; i++ {
		q := map[string]string{"limit": "2"}
		if cursor != "" {
			q["cursor"] = cursor
		}
		r := f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: id, query: q}).want(t, http.StatusOK)
		page := items(r)
		pages = append(pages, len(page))
		for _, c := range page {
			if c["contactId"] != id {
				t.Errorf("conversation of another contact listed: %v", c)
			}
			got = append(got, c["id"].(string))
		}
		cursor, _ = r.body["nextCursor"].(string)
		if cursor == "" {
			break
		}
	}
	want := append([]string(nil), started...)
	sort.Sort(sort.Reverse(sort.StringSlice(want)))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("conversations = %v, want %v (newest first)", got, want)
	}
	if !reflect.DeepEqual(pages, []int{2, 2, 1}) {
		t.Errorf("page sizes = %v, want [2 2 1]", pages)
	}
	if want[0] != started[len(started)-1] {
		t.Errorf("newest = %s, want the last started %s", want[0], started[len(started)-1])
	}

	first := f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: id, query: map[string]string{"limit": "2"}}).want(t, http.StatusOK)
	cur := first.body["nextCursor"].(string)
	f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: other, query: map[string]string{"cursor": cur}}).want(t, http.StatusBadRequest)
	f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: id, query: map[string]string{"cursor": "forged"}}).want(t, http.StatusBadRequest)
	for _, limit := range []string{"0", "x", "201"} {
		r := f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: id, query: map[string]string{"limit": limit}}).want(t, http.StatusUnprocessableEntity)
		if got := r.fieldErrors(); !reflect.DeepEqual(got, []string{"limit:limit_invalid"}) {
			t.Errorf("limit %s: errors = %v", limit, got)
		}
	}
	if got := f.conversationsOf(t, other); len(got) != 1 {
		t.Errorf("other contact has %d conversations, want 1", len(got))
	}
	empty := f.create(t, `{"name":"Sem","email":"sem@example.com"}`)
	if r := f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: empty}).want(t, http.StatusOK); len(items(r)) != 0 || r.body["nextCursor"] != nil {
		t.Errorf("conversations of a contact without any = %s", r.raw)
	}
}

// TestChannelRemove: owners and managers disconnect a channel; the
// conversations stay.
func TestChannelRemove(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Iara","phone":"(51) 98888-0000"}`)
	conv := f.startConversation(t, `{"contactId":"`+id+`","channel":"sms","teamId":"t1"}`, http.StatusCreated)
	remove := call{route: "DELETE /v1/contacts/{id}/channels/{channel}", id: id, params: map[string]string{"channel": "sms"}}

	agent := remove
	agent.role = "agent"
	f.do(t, agent).want(t, http.StatusForbidden)
	if states, _ := f.channelStates(t, id); states["sms"]["state"] != "active" {
		t.Fatalf("sms after an agent's removal = %v, want active", states["sms"])
	}

	manager := remove
	manager.role, manager.sub = "manager", "manager-9"
	f.do(t, manager).want(t, http.StatusNoContent)
	states, _ := f.channelStates(t, id)
	checkState(t, states, "sms", "inactive", "")
	list := f.conversationsOf(t, id)
	if len(list) != 1 || list[0]["id"] != conv.body["id"] {
		t.Errorf("conversations after removing the channel = %v, want the one started", list)
	}
	removed := entriesOf(f.timelineOf(t, id), "channel", "removed")
	if len(removed) != 1 || removed[0]["channel"] != "sms" || removed[0]["actor"] != "manager-9" {
		t.Errorf("channel removed entries = %v, want one for sms by manager-9", removed)
	}

	f.do(t, manager).want(t, http.StatusNotFound) // no longer connected
	notConnected := remove
	notConnected.params = map[string]string{"channel": "whatsapp"}
	f.do(t, notConnected).want(t, http.StatusNotFound)
	unknown := remove
	unknown.id = "01jdx0000000000000000000zz"
	f.do(t, unknown).want(t, http.StatusNotFound)
	if got := len(entriesOf(f.timelineOf(t, id), "channel", "removed")); got != 1 {
		t.Errorf("%d channel removed entries after refused removals, want 1", got)
	}
}

// TestConversationTenantIsolation: another workspace can neither start a
// conversation with a contact nor see or change its channels.
func TestConversationTenantIsolation(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Júlia","phone":"(61) 98888-0000","email":"julia@example.com"}`)
	f.startConversation(t, `{"contactId":"`+id+`","channel":"sms","teamId":"t1"}`, http.StatusCreated)
	before := f.countItems(t)
	f.do(t, call{route: "POST /v1/conversations", workspace: "globex", body: `{"contactId":"` + id + `","channel":"email","teamId":"t1"}`}).want(t, http.StatusNotFound)
	f.do(t, call{route: "POST /v1/conversations", workspace: "globex", body: `{"phone":"(61) 98888-0000","channel":"sms","teamId":"t1"}`}).want(t, http.StatusUnprocessableEntity)
	f.do(t, call{route: "GET /v1/contacts/{id}/channels", id: id, workspace: "globex"}).want(t, http.StatusNotFound)
	f.do(t, call{route: "GET /v1/contacts/{id}/conversations", id: id, workspace: "globex"}).want(t, http.StatusNotFound)
	f.do(t, call{route: "DELETE /v1/contacts/{id}/channels/{channel}", id: id, workspace: "globex", params: map[string]string{"channel": "sms"}}).want(t, http.StatusNotFound)
	if after := f.countItems(t); after != before {
		t.Errorf("%d items after another workspace's requests, want %d", after, before)
	}
	if n := len(f.sent.all()); n != 1 {
		t.Errorf("%d outbound messages, want 1", n)
	}
	states, _ := f.channelStates(t, id)
	checkState(t, states, "sms", "active", "")
	checkState(t, states, "email", "inactive", "")
}

// TestBlockClosesConversation: blocking closes the open conversation, and
// no conversation starts with a blocked contact.
func TestBlockClosesConversation(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Kléber","phone":"(71) 98888-0000","email":"k@example.com"}`)
	conv := f.startConversation(t, `{"contactId":"`+id+`","channel":"sms","teamId":"t1"}`, http.StatusCreated)
	convID := conv.body["id"].(string)

	b := f.do(t, call{route: "POST /v1/contacts/{id}/block", id: id, role: "agent", sub: "agent-3"}).want(t, http.StatusOK)
	if b.body["blocked"] != true || b.body["conversationStatus"] != "closed" {
		t.Errorf("blocked contact: blocked %v conversationStatus %v, want true and closed", b.body["blocked"], b.body["conversationStatus"])
	}
	list := f.conversationsOf(t, id)
	if len(list) != 1 {
		t.Fatalf("%d conversations, want 1", len(list))
	}
	c := list[0]
	if c["id"] != convID || c["status"] != "closed" || c["closedReason"] != "contact_blocked" || c["closedAt"] == nil {
		t.Errorf("conversation after the block = %v, want closed for contact_blocked", c)
	}
	closed := entriesOf(f.timelineOf(t, id), "conversation", "closed")
	if len(closed) != 1 || closed[0]["conversationId"] != convID || closed[0]["channel"] != "sms" || closed[0]["actor"] != "agent-3" {
		t.Errorf("conversation closed entries = %v, want one for %s on sms by agent-3", closed, convID)
	}

	before := f.countItems(t)
	for _, ch := range []string{"sms", "email"} {
		r := f.startConversation(t, `{"contactId":"`+id+`","channel":"`+ch+`","teamId":"t1"}`, http.StatusConflict)
		if r.body["code"] != "contact_blocked" {
			t.Errorf("start on %s: code = %v, want contact_blocked", ch, r.body["code"])
		}
	}
	f.startConversation(t, `{"phone":"71 98888-0000","channel":"sms","teamId":"t1"}`, http.StatusConflict)
	if after := f.countItems(t); after != before {
		t.Errorf("%d items after starts with a blocked contact, want %d", after, before)
	}
	if n := len(f.sent.all()); n != 1 {
		t.Errorf("%d outbound messages, want 1", n)
	}
	// Blocking again closes nothing more.
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: id}).want(t, http.StatusOK)
	if got := len(entriesOf(f.timelineOf(t, id), "conversation", "closed")); got != 1 {
		t.Errorf("%d conversation closed entries after a second block, want 1", got)
	}

	// Unblocked, a start makes a new conversation.
	f.do(t, call{route: "POST /v1/contacts/{id}/unblock", id: id}).want(t, http.StatusOK)
	r := f.startConversation(t, `{"contactId":"`+id+`","channel":"sms","teamId":"t1"}`, http.StatusCreated)
	if r.body["id"] == convID {
		t.Errorf("the closed conversation was reopened")
	}
	if c := f.getContact(t, id); c["conversationStatus"] != "open" {
		t.Errorf("conversationStatus = %v, want open", c["conversationStatus"])
	}
}

// TestTimelineRecordsEveryKind produces every kind of timeline entry on one
// contact and checks each one's details.
func TestTimelineRecordsEveryKind(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Lara","phone":"(81) 98888-0000"}`)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"company":"ACME"}`, sub: "agent-1", role: "agent"}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: id, body: `{"tags":["VIP"]}`}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/notes", id: id, body: `{"text":"Cliente antiga"}`, sub: "agent-2", role: "agent"}).want(t, http.StatusCreated)
	conv := f.startConversation(t, `{"contactId":"`+id+`","channel":"sms","teamId":"t1"}`, http.StatusCreated)
	convID := conv.body["id"].(string)
	f.do(t, call{route: "DELETE /v1/contacts/{id}/channels/{channel}", id: id, params: map[string]string{"channel": "sms"}, role: "manager", sub: "manager-1"}).want(t, http.StatusNoContent)
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: id, role: "agent", sub: "agent-3"}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/unblock", id: id, role: "manager", sub: "manager-2"}).want(t, http.StatusOK)

	timeline := f.timelineOf(t, id)
	type entry struct {
		typ, action, actor, channel, conversationID, text string
		fields                                            []string
	}
	var got []entry
	for _, e := range timeline {
		var fields []string
		if list, ok := e["fields"].([]any); ok {
			for _, x := range list {
				fields = append(fields, x.(string))
			}
			sort.Strings(fields)
		}
		got = append(got, entry{str(e["type"]), str(e["action"]), str(e["actor"]), str(e["channel"]), str(e["conversationId"]), str(e["text"]), fields})
	}
	want := []entry{
		{typ: "created", actor: ownerSub},
		{typ: "updated", actor: "agent-1", fields: []string{"company"}},
		{typ: "tagged", actor: ownerSub, fields: []string{"tags"}},
		{typ: "note", actor: "agent-2", text: "Cliente antiga"},
		{typ: "channel", action: "connected", actor: ownerSub, channel: "sms"},
		{typ: "conversation", action: "started", actor: ownerSub, channel: "sms", conversationID: convID},
		{typ: "channel", action: "removed", actor: "manager-1", channel: "sms"},
		{typ: "blocked", actor: "agent-3", fields: []string{"blocked"}},
		{typ: "conversation", action: "closed", actor: "agent-3", channel: "sms", conversationID: convID},
		{typ: "unblocked", actor: "manager-2", fields: []string{"blocked"}},
	}
	// Every entry, each once.
	for _, w := range want {
		n := 0
		for _, g := range got {
			if reflect.DeepEqual(g, w) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d entries %+v, want 1", n, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d entries, want %d:\n%+v", len(got), len(want), got)
	}
	// Newest first: the entries' times (ids are ordered to the millisecond).
	var last time.Time
	for i, e := range timeline {
		at, err := time.Parse(time.RFC3339Nano, str(e["at"]))
		if err != nil {
			t.Fatalf("entry %d at = %v: %v", i, e["at"], err)
		}
		at = at.Truncate(time.Millisecond)
		if i > 0 && at.After(last) {
			t.Errorf("entry %d (%s %s) at %v is newer than the one before it", i, e["type"], str(e["action"]), at)
		}
		last = at
	}
	if first := timeline[0]; first["type"] != "unblocked" {
		t.Errorf("newest entry = %v, want unblocked", first)
	}
	if oldest := timeline[len(timeline)-1]; oldest["type"] != "created" {
		t.Errorf("oldest entry = %v, want created", oldest)
	}
}
