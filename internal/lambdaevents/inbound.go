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

// Receiver takes one inbound message.
type Receiver interface {
	Receive(ctx context.Context, m conversation.Message) (conversation.Receipt, error)
}

// Inbound returns the per-message handler of the inbound function: it decodes
// the channel gateways' events and hands them to the conversation service. A body
// that is not a valid event fails (and reaches the dead-letter queue after
// the queue's retries), as does a store error (retried).
func Inbound(r Receiver) HandleFunc {
	return func(ctx context.Context, m events.SQSMessage) (string, error) {
		if len(m.Body) > MaxInboundBody {
			return "", errs.E(errs.TooLarge, "body_too_large").With("max", fmt.Sprint(MaxInboundBody))
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
