// Package queue publishes events to SQS queues that the rest of the
// platform consumes: contact events (workflows) and the first messages of
// conversations (the channel layer).
package queue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
)

// Publisher sends each event as one JSON message, with its type as a
// message attribute so consumers can filter.
type Publisher struct {
	Client   *sqs.Client
	QueueURL string
}

var _ contact.Publisher = (*Publisher)(nil)

var _ conversation.OutboundPublisher = (*Publisher)(nil)

// Publish implements contact.Publisher.
func (p *Publisher) Publish(ctx context.Context, e contact.Event) error {
	return p.send(ctx, e.Type, e)
}

// PublishOutbound implements conversation.OutboundPublisher.
func (p *Publisher) PublishOutbound(ctx context.Context, m conversation.Outbound) error {
	return p.send(ctx, m.Type, m)
}

func (p *Publisher) send(ctx context.Context, typ string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	_, err = p.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    &p.QueueURL,
		MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"type": {DataType: aws.String("String"), StringValue: aws.String(typ)},
		},
	})
	if err != nil {
		return fmt.Errorf("publish %s: %w", typ, err)
	}
	return nil
}

// JobQueue hands jobs to their worker: one message {workspace, jobId} per
// run (a run that stops at its deadline queues the next one).
type JobQueue struct {
	Client   *sqs.Client
	QueueURL string
}

// JobMessage is the body of a JobQueue message.
type JobMessage struct {
	Workspace string `json:"workspace"`
	JobID     string `json:"jobId"`
}

// Enqueue implements jobs.Queue.
func (q *JobQueue) Enqueue(ctx context.Context, ws, jobID string) error {
	p := Publisher{Client: q.Client, QueueURL: q.QueueURL}
	return p.send(ctx, "job", JobMessage{Workspace: ws, JobID: jobID})
}

// BulkQueue sends bulk delete work to its worker, 10 messages per call.
type BulkQueue struct {
	Client   *sqs.Client
	QueueURL string
}

// Send implements bulk.Queue.
func (q *BulkQueue) Send(ctx context.Context, msgs []bulk.Message) error {
	for start := 0; start < len(msgs); start += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for i, m := range msgs[start:min(start+10, len(msgs))] {
			body, err := json.Marshal(m)
			if err != nil {
				return fmt.Errorf("encode bulk message: %w", err)
			}
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(string(body))})
		}
		out, err := q.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &q.QueueURL, Entries: entries})
		if err != nil {
			return fmt.Errorf("send bulk messages: %w", err)
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("send bulk messages: %d of %d refused (%s)", len(out.Failed), len(entries), aws.ToString(out.Failed[0].Code))
		}
	}
	return nil
}
