// Batch (below) runs a handler over an SQS batch and reports the messages
// that failed, so SQS retries only those (ReportBatchItemFailures) and moves
// them to the dead-letter queue after the queue's maxReceiveCount.
package lambdaevents

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/errs"
)

// HandleFunc processes one message. It returns what it did, for the log.
type HandleFunc func(ctx context.Context, m events.SQSMessage) (outcome string, err error)

// Batch returns the Lambda handler of an SQS event source mapping with
// ReportBatchItemFailures: each message is handled on its own, a panic or an
// error fails that message only, and the cause is logged, never returned.
func Batch(log *slog.Logger, handle HandleFunc) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, m := range ev.Records {
			outcome, err := safely(ctx, handle, m)
			if err != nil {
				log.Error("message failed", "messageId", m.MessageId, "receiveCount", m.Attributes["ApproximateReceiveCount"],
					"kind", string(errs.KindOf(err)), "error", err.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				continue
			}
			log.Info("message", "messageId", m.MessageId, "outcome", outcome)
		}
		return resp, nil
	}
}

func safely(ctx context.Context, handle HandleFunc, m events.SQSMessage) (outcome string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return handle(ctx, m)
}
