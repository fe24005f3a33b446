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
	return loadEvent(t, "../../events/inbound.json")
}

func loadEvent(t *testing.T, file string) events.SQSEvent {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("%s is not an SQS event: %v", file, err)
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

// TestSampleCloseEvent: events/inbound-close.json closes the conversation it
// names once; redelivered, and for a conversation that does not exist, it
// succeeds without a change (nothing to retry).
func TestSampleCloseEvent(t *testing.T) {
	handle, svc := newHandler(t)
	if resp, err := handle(context.Background(), sampleEvent(t)); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("message: %v %v", resp, err)
	}
	found, err := svc.Store.FindContacts(context.Background(), "acme", "whatsapp", conversation.Sender{Phone: "+5511988887777"}, 1)
	if err != nil || len(found) == 0 {
		t.Fatalf("no contact: %v %v", found, err)
	}
	page, err := svc.Store.Conversations(context.Background(), "acme", found[0], "", "", 1, "")
	if err != nil || len(page.Conversations) != 1 {
		t.Fatalf("conversations: %v %v", page, err)
	}
	closing := loadEvent(t, "../../events/inbound-close.json")
	unknown := closing.Records[0]
	unknown.MessageId = "unknown"
	closing.Records[0].Body = strings.Replace(closing.Records[0].Body, "01jdx5a1b2c3d4e5f6g7h8j9k0", page.Conversations[0].ID, 1)
	closing.Records = append(closing.Records, unknown)
	for i := 0; i < 2; i++ {
		if resp, err := handle(context.Background(), closing); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("close, delivery %d: %v %v", i+1, resp.BatchItemFailures, err)
		}
	}
	c, err := svc.People.(*contact.Service).Contacts.Get(context.Background(), "acme", found[0])
	if err != nil || c.ConversationStatus != conversation.Closed {
		t.Errorf("contact conversationStatus = %q (%v), want closed", c.ConversationStatus, err)
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
