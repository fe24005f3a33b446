// Package sqsevents publishes contact events to an SQS queue that the rest
// of the platform (workflows, the conversation service) consumes.
package sqsevents

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/omnichannel/contacts/internal/contact"
)

// Publisher sends each event as one JSON message, with its type as a
// message attribute so consumers can filter.
type Publisher struct {
	Client   *sqs.Client
	QueueURL string
}

var _ contact.Publisher = (*Publisher)(nil)

// Publish implements contact.Publisher.
func (p *Publisher) Publish(ctx context.Context, e contact.Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", e.Type, err)
	}
	_, err = p.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    &p.QueueURL,
		MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"type": {DataType: aws.String("String"), StringValue: aws.String(e.Type)},
		},
	})
	if err != nil {
		return fmt.Errorf("publish %s: %w", e.Type, err)
	}
	return nil
}
