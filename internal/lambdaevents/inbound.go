package lambdaevents

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/errs"
)

// MaxInboundBody bounds an event's size; SQS allows 256 KiB, an event is a few hundred bytes.
const MaxInboundBody = 16 << 10

// Receiver takes the chat layer's events.
type Receiver interface {
	// Receive takes one inbound message.
	Receive(ctx context.Context, m conversation.Message) (conversation.Receipt, error)
	// CloseFromChannel takes one "conversation closed".
	CloseFromChannel(ctx context.Context, e conversation.CloseEvent) (conversation.Outcome, error)
}

// Inbound returns the per-message handler of the inbound function: it decodes
// the channel gateways' events (message.received, conversation.closed) and
// hands them to the conversation service. A body
// that is not a valid event fails (and reaches the dead-letter queue after
// the queue's retries), as does a store error (retried).
func Inbound(r Receiver) HandleFunc {
	return func(ctx context.Context, m events.SQSMessage) (string, error) {
		if len(m.Body) > MaxInboundBody {
			return "", errs.E(errs.TooLarge, "body_too_large").With("max", fmt.Sprint(MaxInboundBody))
		}
		var kind struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(m.Body), &kind); err != nil {
			return "", errs.E(errs.Malformed, "malformed_json").Wrap(err)
		}
		if kind.Type == "conversation.closed" {
			var e conversation.CloseEvent
			if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
				return "", errs.E(errs.Malformed, "malformed_json").Wrap(err)
			}
			out, err := r.CloseFromChannel(ctx, e)
			if err != nil {
				return "", fmt.Errorf("close conversation %s: %w", e.ConversationID, err)
			}
			return string(out), nil
		}
		var msg conversation.Message
		if err := json.Unmarshal([]byte(m.Body), &msg); err != nil {
			return "", errs.E(errs.Malformed, "malformed_json").Wrap(err)
		}
		rc, err := r.Receive(ctx, msg)
		if err != nil {
			return "", fmt.Errorf("receive %s message: %w", msg.Channel, err)
		}
		return string(rc.Outcome), nil
	}
}
