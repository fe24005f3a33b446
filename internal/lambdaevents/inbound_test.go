package lambdaevents_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/lambdaevents"
)

// sampleEvent loads events/inbound.json, the event `sam local invoke` uses.
func sampleEvent(t *testing.T) events.SQSEvent {
	t.Helper()
	b, err := os.ReadFile("../../events/inbound.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("events/inbound.json is not an SQS event: %v", err)
	}
	return ev
}

func newHandler(t *testing.T) (func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), *conversation.Service) {
	t.Helper()
	client, table := dynamotest.NewTable(t)
	contacts := &dynamo.Contacts{Client: client, Table: table}
	people := &contact.Service{Contacts: contacts, Workspaces: &dynamo.Workspaces{Client: client, Table: table}}
	svc := &conversation.Service{People: people, Store: &dynamo.Conversations{Client: client, Table: table}}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	return lambdaevents.Batch(log, lambdaevents.Inbound(svc)), svc
}

// TestSampleEvent: the sample message creates the sender's contact, named
// from the display name, on an open WhatsApp conversation; delivered again,
// it changes nothing.
func TestSampleEvent(t *testing.T) {
	handle, svc := newHandler(t)
	ev := sampleEvent(t)
	for i := 0; i < 2; i++ {
		resp, err := handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("delivery %d: failures %v, err %v", i+1, resp.BatchItemFailures, err)
		}
	}
	found, err := svc.Store.FindContacts(context.Background(), "acme", "whatsapp", conversation.Sender{Phone: "+5511988887777"}, 1)
	if err != nil || len(found) == 0 {
		t.Fatalf("no contact for the sender: %q %v", found, err)
	}
	id := found[0]
	c, err := svc.People.(*contact.Service).Contacts.Get(context.Background(), "acme", id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "João Pereira" || c.ConversationStatus != conversation.Open {
		t.Errorf("contact = %q, conversation status %q; want João Pereira, open", c.Name, c.ConversationStatus)
	}
	page, err := svc.Store.Conversations(context.Background(), "acme", id, "", "", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Conversations) != 1 || page.Conversations[0].Messages != 1 {
		t.Errorf("conversations = %+v, want one with one message", page.Conversations)
	}
}

// TestBatchPartialFailure: one broken message in a batch is reported as the
// only failure; the others are processed.
func TestBatchPartialFailure(t *testing.T) {
	handle, svc := newHandler(t)
	good := sampleEvent(t).Records[0]
	var badJSON, badEvent, second events.SQSMessage = good, good, good
	badJSON.MessageId, badJSON.Body = "bad-json", `{"type":`
	badEvent.MessageId, badEvent.Body = "bad-event", `{"type":"message.received","workspace":"acme","channel":"whatsapp","messageId":"m-9","from":{},"at":"2026-11-21T10:15:30Z"}`
	second.MessageId = "second"
	second.Body = strings.Replace(good.Body, "wamid.", "wamid.other-", 1)
	resp, err := handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{badJSON, good, badEvent, second}})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"bad-json", "bad-event"}; !reflect.DeepEqual(failed, want) {
		t.Errorf("failures = %v, want %v", failed, want)
	}
	found, err := svc.Store.FindContacts(context.Background(), "acme", "whatsapp", conversation.Sender{Phone: "+5511988887777"}, 1)
	if err != nil || len(found) == 0 {
		t.Fatalf("the good messages were lost: %q %v", found, err)
	}
	id := found[0]
	page, err := svc.Store.Conversations(context.Background(), "acme", id, "", "", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Conversations) != 1 || page.Conversations[0].Messages != 2 {
		t.Errorf("conversations = %+v, want one with the two good messages", page.Conversations)
	}
}

// TestOversizedBody: a body over the limit fails without being decoded.
func TestOversizedBody(t *testing.T) {
	handle, _ := newHandler(t)
	m := sampleEvent(t).Records[0]
	m.Body = `{"x":"` + strings.Repeat("a", lambdaevents.MaxInboundBody) + `"}`
	resp, err := handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{m}})
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Errorf("failures = %v, err %v; want the message failed", resp.BatchItemFailures, err)
	}
}
