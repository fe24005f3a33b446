package awsemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQS send limits, as moto 5.2.1 enforces them (the tests pin this down).
//
// AWS raised the SQS message size limit from 256 KiB to 1 MiB in 2025, and
// the default MaximumMessageSize of a new queue is now 1 MiB; moto follows.
// A queue keeps the old 256 KiB limit only if it is created with
// MaximumMessageSize 262144 (QueueSpec.MaximumMessageSize).
//
// What moto enforces: at most 10 entries per SendMessageBatch
// (TooManyEntriesInBatchRequest); a message body longer than the queue's
// MaximumMessageSize (InvalidParameterValue); a SendMessageBatch whose
// bodies add up to more than 1 MiB (BatchRequestTooLong).
//
// Where moto is laxer than AWS, which the local platform note lists: it
// measures bodies in characters, not UTF-8 bytes, and leaves message
// attributes out of the size, so a message with multi-byte characters or
// large attributes can pass locally and be rejected by AWS; its batch total
// is always 1 MiB, whatever the queue's MaximumMessageSize.
const (
	MaxBatchEntries = 10      // entries per SendMessageBatch or DeleteMessageBatch
	MaxMessageSize  = 1 << 20 // bytes per message, and per batch, on AWS
)

// pollWait is the long-polling wait of every ReceiveMessage: short, so that
// a poller notices the end of its context quickly even if cancelling the
// HTTP request were not enough.
const pollWait = 1 // seconds

// QueueSpec describes an SQS queue to create.
type QueueSpec struct {
	// LogicalID is the queue's logical id in the template; informative only.
	LogicalID string
	// Name is the queue name; FIFO queue names must end in ".fifo".
	Name string
	// FIFO makes a FIFO queue.
	FIFO bool
	// VisibilityTimeout is in seconds; 0 means 30, SQS's default.
	VisibilityTimeout int
	// MessageRetentionPeriod is in seconds; 0 means SQS's default (4 days).
	MessageRetentionPeriod int
	// DelaySeconds delays every new message; 0 means none.
	DelaySeconds int
	// ReceiveMessageWaitTimeSeconds is the default long-polling wait.
	ReceiveMessageWaitTimeSeconds int
	// DeadLetterTarget is the Name of the dead-letter queue, "" for none.
	// It is created before this queue if it is among the specs; otherwise it
	// must already exist.
	DeadLetterTarget string
	// MaxReceiveCount is how many receives a message gets before SQS moves
	// it to DeadLetterTarget; required (1..1000) with a DeadLetterTarget.
	MaxReceiveCount int
	// MaximumMessageSize is in bytes (1024..1048576); 0 means SQS's
	// default, 1 MiB. Set 262144 to keep the pre-2025 limit of 256 KiB.
	MaximumMessageSize int
}

// QueueInfo locates a queue.
type QueueInfo struct {
	URL string // the queue URL, for the SQS API
	ARN string // the queue ARN, for redrive policies and event sources
}

// CreateQueues creates the queues, dead-letter queues before the queues
// that use them, with their RedrivePolicy, and returns each one's URL and
// ARN keyed by Name. Creating a queue that exists with the same attributes
// is not an error, so CreateQueues may be called again after a restart.
func (m *Moto) CreateQueues(ctx context.Context, specs []QueueSpec) (map[string]QueueInfo, error) {
	byName := make(map[string]QueueSpec, len(specs))
	for _, s := range specs {
		if err := s.validate(); err != nil {
			return nil, err
		}
		if _, dup := byName[s.Name]; dup {
			return nil, fmt.Errorf("queue %q is specified twice", s.Name)
		}
		byName[s.Name] = s
	}
	for _, s := range specs {
		if d, ok := byName[s.DeadLetterTarget]; ok && d.FIFO != s.FIFO {
			return nil, fmt.Errorf("queue %q: its dead-letter queue %q must be of the same type (FIFO or standard)", s.Name, d.Name)
		}
	}

	client := m.SQSClient()
	created := make(map[string]QueueInfo, len(specs))
	// Each pass creates the queues whose dead-letter queue is ready; a pass
	// that creates nothing means the dead-letter targets form a cycle.
	for pending := specs; len(pending) > 0; {
		var next []QueueSpec
		for _, s := range pending {
			var dlq *QueueInfo
			if s.DeadLetterTarget != "" {
				info, ok := created[s.DeadLetterTarget]
				if !ok {
					if _, inSpecs := byName[s.DeadLetterTarget]; inSpecs {
						next = append(next, s) // its DLQ comes first
						continue
					}
					var err error
					if info, err = queueInfo(ctx, client, s.DeadLetterTarget); err != nil {
						return nil, fmt.Errorf("dead-letter queue of %q: %w", s.Name, err)
					}
				}
				dlq = &info
			}
			info, err := createQueue(ctx, client, s, dlq)
			if err != nil {
				return nil, err
			}
			created[s.Name] = info
		}
		if len(next) == len(pending) {
			names := make([]string, len(next))
			for i, s := range next {
				names[i] = s.Name
			}
			return nil, fmt.Errorf("dead-letter targets form a cycle among queues %s", strings.Join(names, ", "))
		}
		pending = next
	}
	return created, nil
}

func (s QueueSpec) validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("queue %q: Name is empty", s.LogicalID)
	case s.FIFO != strings.HasSuffix(s.Name, ".fifo"):
		return fmt.Errorf("queue %q: a queue name ends in .fifo if and only if the queue is FIFO", s.Name)
	case s.DeadLetterTarget == s.Name:
		return fmt.Errorf("queue %q is its own dead-letter queue", s.Name)
	case s.DeadLetterTarget != "" && (s.MaxReceiveCount < 1 || s.MaxReceiveCount > 1000):
		return fmt.Errorf("queue %q: MaxReceiveCount %d: want 1..1000 with a dead-letter queue", s.Name, s.MaxReceiveCount)
	case s.MaximumMessageSize != 0 && (s.MaximumMessageSize < 1024 || s.MaximumMessageSize > MaxMessageSize):
		return fmt.Errorf("queue %q: MaximumMessageSize %d: want 1024..%d", s.Name, s.MaximumMessageSize, MaxMessageSize)
	}
	return nil
}

// createQueue creates one queue; dlq is its dead-letter queue, or nil.
func createQueue(ctx context.Context, client *sqs.Client, s QueueSpec, dlq *QueueInfo) (QueueInfo, error) {
	attrs := map[string]string{}
	setInt := func(name string, v int) {
		if v != 0 {
			attrs[name] = strconv.Itoa(v)
		}
	}
	vt := s.VisibilityTimeout
	if vt == 0 {
		vt = 30
	}
	setInt("VisibilityTimeout", vt)
	setInt("MessageRetentionPeriod", s.MessageRetentionPeriod)
	setInt("DelaySeconds", s.DelaySeconds)
	setInt("ReceiveMessageWaitTimeSeconds", s.ReceiveMessageWaitTimeSeconds)
	setInt("MaximumMessageSize", s.MaximumMessageSize)
	if s.FIFO {
		attrs["FifoQueue"] = "true"
	}
	if dlq != nil {
		policy, err := json.Marshal(map[string]any{
			"deadLetterTargetArn": dlq.ARN,
			"maxReceiveCount":     s.MaxReceiveCount,
		})
		if err != nil {
			return QueueInfo{}, fmt.Errorf("queue %q: encoding redrive policy: %w", s.Name, err)
		}
		attrs["RedrivePolicy"] = string(policy)
	}
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(s.Name), Attributes: attrs})
	if err != nil {
		return QueueInfo{}, fmt.Errorf("creating queue %q: %w", s.Name, err)
	}
	url := aws.ToString(out.QueueUrl)
	arn, err := queueARN(ctx, client, url)
	if err != nil {
		return QueueInfo{}, fmt.Errorf("queue %q: %w", s.Name, err)
	}
	return QueueInfo{URL: url, ARN: arn}, nil
}

// queueInfo looks up an existing queue by name.
func queueInfo(ctx context.Context, client *sqs.Client, name string) (QueueInfo, error) {
	out, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return QueueInfo{}, fmt.Errorf("looking up queue %q: %w", name, err)
	}
	url := aws.ToString(out.QueueUrl)
	arn, err := queueARN(ctx, client, url)
	if err != nil {
		return QueueInfo{}, fmt.Errorf("queue %q: %w", name, err)
	}
	return QueueInfo{URL: url, ARN: arn}, nil
}

func queueARN(ctx context.Context, client *sqs.Client, url string) (string, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("getting the ARN of %s: %w", url, err)
	}
	arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", fmt.Errorf("no QueueArn attribute for %s", url)
	}
	return arn, nil
}

// SQSMapping is an SQS event source mapping: a queue feeding a function.
type SQSMapping struct {
	// Function is the name handed to the Invoker.
	Function string
	// QueueName is the name of an existing queue.
	QueueName string
	// BatchSize is the most messages per invocation: 1..10, 0 means 10.
	// (Lambda allows up to 10000 on standard queues with a batching window;
	// one ReceiveMessage returns at most 10, so this emulation stops there.)
	BatchSize int
	// MaximumBatchingWindow is how long to keep gathering messages, once
	// the first has arrived, before invoking with fewer than BatchSize.
	// 0 invokes with whatever one receive returned, as Lambda does.
	MaximumBatchingWindow time.Duration
	// ReportBatchItemFailures makes the function's response decide which
	// messages failed (FunctionResponseTypes: [ReportBatchItemFailures]).
	ReportBatchItemFailures bool
}

// RunSQSMapping polls the queue until ctx ends and invokes the function as
// Lambda's SQS event source mapping does, one batch at a time:
//
//   - it receives up to BatchSize messages with every system attribute and
//     message attribute, and hands the function an events.SQSEvent;
//   - if the invocation fails, it deletes nothing: the messages come back
//     when their visibility timeout expires;
//   - if it succeeds without ReportBatchItemFailures, it deletes them all;
//   - with ReportBatchItemFailures, it deletes all but those the response
//     (an events.SQSEventResponse) lists in batchItemFailures. As Lambda
//     does, it treats an empty or null response, or no or an empty
//     batchItemFailures, as success, and a response that is not a JSON
//     object, or an itemIdentifier that is missing, empty, not a string or
//     not in the batch, as the failure of the whole batch.
//
// Redrive to the dead-letter queue is moto's own: on ReceiveMessage, moto
// moves to the queue's dead-letter queue every message that has already
// been received maxReceiveCount times, as SQS does; the tests prove it.
//
// Lambda would also cap a batch at 6 MB of payload; with at most 10
// messages of up to 1 MiB this emulation can exceed that, and does not
// split the batch. Lambda scales pollers up with the backlog; this runs one.
//
// RunSQSMapping returns an error only if the mapping is invalid or the
// queue cannot be found; once polling, it logs errors to log (nil discards
// them), backs off for a second and carries on. It returns nil when ctx
// ends; a batch in flight then comes back after its visibility timeout. So
// may messages taken by a long poll that was cancelled client-side but was
// still waiting in moto (as on SQS): to run a mapping again at once, as
// tests do, use a fresh queue.
func (m *Moto) RunSQSMapping(ctx context.Context, mp SQSMapping, inv Invoker, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	switch {
	case mp.Function == "" || mp.QueueName == "":
		return fmt.Errorf("SQS mapping %q <- %q: Function and QueueName are required", mp.Function, mp.QueueName)
	case mp.BatchSize < 0 || mp.BatchSize > 10:
		return fmt.Errorf("SQS mapping %s <- %s: BatchSize %d: want 1..10 (0 means 10)", mp.Function, mp.QueueName, mp.BatchSize)
	case mp.MaximumBatchingWindow < 0 || mp.MaximumBatchingWindow > 5*time.Minute:
		return fmt.Errorf("SQS mapping %s <- %s: MaximumBatchingWindow %v: want 0..5m", mp.Function, mp.QueueName, mp.MaximumBatchingWindow)
	case inv == nil:
		return fmt.Errorf("SQS mapping %s <- %s: no Invoker", mp.Function, mp.QueueName)
	}
	if mp.BatchSize == 0 {
		mp.BatchSize = 10
	}
	client := m.SQSClient()
	q, err := queueInfo(ctx, client, mp.QueueName)
	if err != nil {
		return fmt.Errorf("SQS mapping %s <- %s: %w", mp.Function, mp.QueueName, err)
	}
	p := &sqsPoller{client: client, mp: mp, queue: q, inv: inv,
		log: &prefixWriter{w: log, prefix: "awsemu: sqs " + mp.QueueName + " -> " + mp.Function + ": "}}
	for ctx.Err() == nil {
		msgs, err := p.receiveBatch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			fmt.Fprintf(p.log, "receiving: %v; retrying in 1s\n", err)
			sleep(ctx, time.Second)
			continue
		}
		if len(msgs) > 0 {
			p.process(ctx, msgs)
		}
	}
	return nil
}

type sqsPoller struct {
	client *sqs.Client
	mp     SQSMapping
	queue  QueueInfo
	inv    Invoker
	log    io.Writer
}

// receiveBatch returns up to BatchSize messages: those of one long poll,
// plus, with a batching window, those that arrive within the window.
func (p *sqsPoller) receiveBatch(ctx context.Context) ([]types.Message, error) {
	msgs, err := p.receive(ctx, p.mp.BatchSize, pollWait)
	if err != nil || len(msgs) == 0 || p.mp.MaximumBatchingWindow == 0 {
		return msgs, err
	}
	deadline := time.Now().Add(p.mp.MaximumBatchingWindow)
	seen := make(map[string]int, p.mp.BatchSize) // message id -> index in msgs
	for i, msg := range msgs {
		seen[aws.ToString(msg.MessageId)] = i
	}
	for len(msgs) < p.mp.BatchSize {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		var wait int32 // long-poll only while a whole second is left
		if left >= time.Second {
			wait = pollWait
		}
		more, err := p.receive(ctx, p.mp.BatchSize-len(msgs), wait)
		if err != nil {
			// Invoke with what we have; the next receive will report
			// the error again if it persists.
			fmt.Fprintf(p.log, "receiving within the batching window: %v\n", err)
			break
		}
		for _, msg := range more {
			id := aws.ToString(msg.MessageId)
			if i, dup := seen[id]; dup {
				msgs[i] = msg // became visible again within the window: newest receipt handle
				continue
			}
			seen[id] = len(msgs)
			msgs = append(msgs, msg)
		}
		if len(more) == 0 && wait == 0 {
			sleep(ctx, min(left, 100*time.Millisecond))
		}
	}
	return msgs, nil
}

func (p *sqsPoller) receive(ctx context.Context, max int, wait int32) ([]types.Message, error) {
	out, err := p.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(p.queue.URL),
		MaxNumberOfMessages: int32(max),
		WaitTimeSeconds:     wait,
		//lint:ignore SA1019 Lambda's poller asks for All through the deprecated field as well.
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameApproximateReceiveCount,
			types.MessageSystemAttributeNameSentTimestamp,
			types.MessageSystemAttributeNameSenderId,
			types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp,
		},
		MessageAttributeNames: []string{"All"},
	})
	if err != nil {
		return nil, err
	}
	return out.Messages, nil
}

// process invokes the function with one batch and deletes the messages
// that succeeded.
func (p *sqsPoller) process(ctx context.Context, msgs []types.Message) {
	payload, err := json.Marshal(sqsEvent(msgs, p.queue.ARN))
	if err != nil { // cannot happen: the event holds strings and bytes only
		fmt.Fprintf(p.log, "encoding the event: %v\n", err)
		return
	}
	resp, err := p.inv.Invoke(ctx, p.mp.Function, payload)
	if err != nil {
		fmt.Fprintf(p.log, "invocation failed, %d message(s) return after the visibility timeout: %v\n", len(msgs), err)
		return
	}
	done := msgs
	if p.mp.ReportBatchItemFailures {
		ids := make(map[string]bool, len(msgs))
		for _, msg := range msgs {
			ids[aws.ToString(msg.MessageId)] = true
		}
		failed, err := batchItemFailures(resp, ids)
		if err != nil {
			fmt.Fprintf(p.log, "the whole batch of %d failed: %v\n", len(msgs), err)
			return
		}
		if len(failed) > 0 {
			done = nil
			for _, msg := range msgs {
				if !failed[aws.ToString(msg.MessageId)] {
					done = append(done, msg)
				}
			}
			fmt.Fprintf(p.log, "%d of %d message(s) failed\n", len(failed), len(msgs))
		}
	}
	// Delete even if ctx has just ended: the function has processed them.
	delCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := deleteMessages(delCtx, p.client, p.queue.URL, done); err != nil {
		fmt.Fprintf(p.log, "%v\n", err)
	}
}

// sqsEvent builds the event Lambda hands a function for a batch.
func sqsEvent(msgs []types.Message, queueARN string) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, msg := range msgs {
		attrs := msg.Attributes
		if attrs == nil {
			attrs = map[string]string{}
		}
		mattrs := make(map[string]events.SQSMessageAttribute, len(msg.MessageAttributes))
		for name, v := range msg.MessageAttributes {
			a := events.SQSMessageAttribute{
				StringValue:      v.StringValue,
				BinaryValue:      v.BinaryValue,
				StringListValues: v.StringListValues,
				BinaryListValues: v.BinaryListValues,
				DataType:         aws.ToString(v.DataType),
			}
			// Lambda sends empty lists, not nulls.
			if a.StringListValues == nil {
				a.StringListValues = []string{}
			}
			if a.BinaryListValues == nil {
				a.BinaryListValues = [][]byte{}
			}
			mattrs[name] = a
		}
		ev.Records[i] = events.SQSMessage{
			MessageId:              aws.ToString(msg.MessageId),
			ReceiptHandle:          aws.ToString(msg.ReceiptHandle),
			Body:                   aws.ToString(msg.Body),
			Md5OfBody:              aws.ToString(msg.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(msg.MD5OfMessageAttributes),
			Attributes:             attrs,
			MessageAttributes:      mattrs,
			EventSourceARN:         queueARN,
			EventSource:            "aws:sqs",
			AWSRegion:              Region,
		}
	}
	return ev
}

// batchItemFailures returns the message ids that a response with
// ReportBatchItemFailures lists as failed, or an error if Lambda would
// treat the whole batch as failed. ids is the batch's message ids.
func batchItemFailures(resp []byte, ids map[string]bool) (map[string]bool, error) {
	resp = bytes.TrimSpace(resp)
	if len(resp) == 0 || string(resp) == "null" {
		return nil, nil
	}
	// Keys are matched exactly, not case-insensitively as encoding/json
	// would: a misspelt key is a failure on Lambda.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(resp, &top); err != nil {
		return nil, fmt.Errorf("the response is not an events.SQSEventResponse object: %w", err)
	}
	var items []map[string]json.RawMessage
	if raw, ok := top["batchItemFailures"]; ok {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("batchItemFailures is not a list of objects: %w", err)
		}
	}
	failed := make(map[string]bool, len(items))
	for _, item := range items {
		var id string
		if raw, ok := item["itemIdentifier"]; !ok || json.Unmarshal(raw, &id) != nil || id == "" {
			return nil, errors.New("a batchItemFailures entry has no itemIdentifier string")
		}
		if !ids[id] {
			return nil, fmt.Errorf("itemIdentifier %q is not a message of the batch", id)
		}
		failed[id] = true
	}
	return failed, nil
}

// deleteMessages deletes msgs in batches of MaxBatchEntries.
func deleteMessages(ctx context.Context, client *sqs.Client, queueURL string, msgs []types.Message) error {
	var errs []error
	for start := 0; start < len(msgs); start += MaxBatchEntries {
		chunk := msgs[start:min(start+MaxBatchEntries, len(msgs))]
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, msg := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: msg.ReceiptHandle}
		}
		out, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
		if err != nil {
			errs = append(errs, fmt.Errorf("deleting %d message(s): %w", len(chunk), err))
			continue
		}
		for _, f := range out.Failed {
			i, _ := strconv.Atoi(aws.ToString(f.Id))
			errs = append(errs, fmt.Errorf("deleting message %s: %s: %s",
				aws.ToString(chunk[i].MessageId), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// prefixWriter writes to w, prefixing every Write (one log line) with prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}
