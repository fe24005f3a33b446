package lambdaevents_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/lambdaevents"
)

// receiverFunc is a Receiver that checks the message it is given.
type receiverFunc func(conversation.Message) (conversation.Receipt, error)

func (f receiverFunc) Receive(_ context.Context, m conversation.Message) (conversation.Receipt, error) {
	return f(m)
}

// CloseFromChannel validates the event, as the service does first.
func (f receiverFunc) CloseFromChannel(_ context.Context, e conversation.CloseEvent) (conversation.Outcome, error) {
	return conversation.Duplicate, e.Validate()
}

// FuzzInboundEvent: any body of a channel gateway's message decodes and
// validates without panicking; a message that passes validation has what
// the service relies on (a sender, a message id, a time).
func FuzzInboundEvent(f *testing.F) {
	f.Add(`{"type":"message.received","workspace":"acme","channel":"whatsapp","messageId":"wamid.1","from":{"phone":"5511988887777","name":"João"},"at":"2026-11-21T10:15:30Z"}`)
	f.Add(`{"type":"message.received","workspace":"acme","channel":"webchat","messageId":"m","from":{"userId":"v-1"},"group":true,"at":"2026-11-21T10:15:30Z"}`)
	f.Add(`{"type":"message.received","workspace":"../x","channel":"WHATSAPP","messageId":"","from":{},"at":"nope"}`)
	f.Add(`{"type":1}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		handle := lambdaevents.Inbound(receiverFunc(func(m conversation.Message) (conversation.Receipt, error) {
			if err := m.Validate(); err != nil {
				return conversation.Receipt{}, err
			}
			if m.MessageID == "" || (m.From.Phone == "" && m.From.Email == "" && m.From.UserID == "") || m.At.IsZero() {
				t.Fatalf("a message without sender, id or time passed validation: %+v", m)
			}
			return conversation.Receipt{Outcome: conversation.Delivered}, nil
		}))
		_, _ = handle(context.Background(), events.SQSMessage{MessageId: "x", Body: body})
		var m conversation.Message
		_ = json.Unmarshal([]byte(body), &m)
	})
}
