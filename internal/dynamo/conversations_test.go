package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/tenant"
)

type nopOutbound struct{}

func (nopOutbound) PublishOutbound(context.Context, conversation.Outbound) error { return nil }

// TestConversationCapacity measures the DynamoDB calls and capacity units
// of the conversation operations; docs/data-model.md quotes them.
func TestConversationCapacity(t *testing.T) {
	ctx := context.Background()
	meter := &dynamotest.Meter{}
	client, table := dynamotest.NewTable(t)
	metered := dynamodb.New(client.Options(), dynamotest.WithMeter(meter))
	people := &contact.Service{Contacts: &dynamo.Contacts{Client: metered, Table: table}, Workspaces: &dynamo.Workspaces{Client: metered, Table: table}}
	store := &dynamo.Conversations{Client: metered, Table: table}
	svc := &conversation.Service{People: people, Store: store, Outbound: nopOutbound{}}
	caller := tenant.Caller{Workspace: "ws-a", Subject: "user-1", Role: tenant.Owner}

	measure := func(op string, want dynamotest.Usage, fn func() error) {
		t.Helper()
		meter.Measure(t, op, want, fn)
	}
	c, _, err := people.Create(ctx, caller, contact.CreateRequest{Document: map[string]any{"name": "Maria", "phone": "(11) 99999-1234"}})
	if err != nil {
		t.Fatal(err)
	}
	start := map[string]any{"contactId": c.ID, "channel": "sms", "teamId": "vendas"}
	// The contact's first activity: its list rows show it (2 WCU a row).
	measure("start a conversation", dynamotest.Usage{Calls: 7, Read: 2.5, Write: 38}, func() error {
		_, err := svc.Start(ctx, caller, start)
		return err
	})
	measure("start again (the open one returned)", dynamotest.Usage{Calls: 5, Read: 6.5}, func() error {
		_, err := svc.Start(ctx, caller, start)
		return err
	})
	measure("channels of a contact", dynamotest.Usage{Calls: 3, Read: 2.5}, func() error {
		_, err := svc.Channels(ctx, caller, c.ID)
		return err
	})
	msg := conversation.Message{Type: "message.received", Workspace: "ws-a", Channel: "whatsapp", MessageID: "m1",
		From: conversation.From{Phone: "5511977776666", Name: "João"}, At: time.Now()}
	// The sender record's reference in the contact's partition: 2 WCU.
	measure("inbound: first message of a new sender", dynamotest.Usage{Calls: 8, Read: 3, Write: 50}, func() error {
		_, err := svc.Receive(ctx, msg)
		return err
	})
	msg.MessageID, msg.At = "m2", msg.At.Add(time.Second)
	// The contact and its activity-order row move; its other rows lag
	// (contact.ListedActivityStep).
	measure("inbound: next message", dynamotest.Usage{Calls: 7, Read: 7, Write: 14}, func() error {
		_, err := svc.Receive(ctx, msg)
		return err
	})
	msg.MessageID, msg.At = "m3", msg.At.Add(contact.ListedActivityStep)
	measure("inbound: a message 5 minutes later", dynamotest.Usage{Calls: 7, Read: 7, Write: 32}, func() error {
		_, err := svc.Receive(ctx, msg)
		return err
	})
	msg.MessageID, msg.At = "m2", msg.At.Add(-contact.ListedActivityStep)
	measure("inbound: redelivered message", dynamotest.Usage{Calls: 1, Read: 1}, func() error {
		_, err := svc.Receive(ctx, msg)
		return err
	})
	conv, err := store.Conversations(ctx, "ws-a", c.ID, "", conversation.Open, 1, "")
	if err != nil || len(conv.Conversations) != 1 {
		t.Fatalf("open conversations = %+v, %v", conv, err)
	}
	measure("close a conversation", dynamotest.Usage{Calls: 5, Read: 5, Write: 8}, func() error {
		_, err := svc.Close(ctx, caller, conv.Conversations[0].ID, nil)
		return err
	})
	if _, err := svc.Start(ctx, caller, start); err != nil {
		t.Fatal(err)
	}
	joao, err := store.FindContacts(ctx, "ws-a", "", conversation.Sender{Phone: "+5511977776666"}, 1)
	if err != nil || len(joao) != 1 {
		t.Fatalf("the sender's contact: %v %v", joao, err)
	}
	talk, err := store.Conversations(ctx, "ws-a", joao[0], "", conversation.Open, 1, "")
	if err != nil || len(talk.Conversations) != 1 {
		t.Fatalf("the sender's conversation: %v %v", talk, err)
	}
	if _, err := svc.CloseFromChannel(ctx, conversation.CloseEvent{Type: "conversation.closed", Workspace: "ws-a", ConversationID: talk.Conversations[0].ID, At: msg.At.Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	msg.MessageID, msg.At = "m4", msg.At.Add(11*time.Minute)
	// A new conversation on the channel; the rows' activity is refreshed.
	measure("inbound on a closed channel", dynamotest.Usage{Calls: 6, Read: 5, Write: 36}, func() error {
		_, err := svc.Receive(ctx, msg)
		return err
	})
	measure("block with an open conversation", dynamotest.Usage{Calls: 7, Read: 4, Write: 41}, func() error {
		_, err := people.Block(ctx, caller, contact.BlockEffects{Events: nopPublisher{}, Conversations: store}, c.ID)
		return err
	})
	if _, _, err := people.Create(ctx, caller, contact.CreateRequest{Document: map[string]any{"name": "Ana", "phone": "(11) 98888-1111"}}); err != nil {
		t.Fatal(err)
	}
	// Row 21 + the settings (the number's region), the phone lookups and the holder read.
	measure("start a conversation by phone", dynamotest.Usage{Calls: 9, Read: 4, Write: 38}, func() error {
		_, err := svc.Start(ctx, caller, map[string]any{"phone": "11 98888-1111", "channel": "sms", "teamId": "vendas"})
		return err
	})
}
