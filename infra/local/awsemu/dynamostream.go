package awsemu

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// StreamMapping is a DynamoDB stream event source mapping: a table's stream
// feeding a function.
type StreamMapping struct {
	Function string // the name handed to the Invoker
	Table    string // an existing table with a stream
	// BatchSize is the most records per invocation; 0 means 100.
	BatchSize int
	// StartingPosition is LATEST (the records written after the mapping
	// starts) or TRIM_HORIZON (every record the stream still holds).
	StartingPosition string
	// ReportBatchItemFailures makes the function's response (an
	// events.DynamoDBEventResponse) name the first record that failed.
	ReportBatchItemFailures bool
	// MaximumRetryAttempts is how many times a failed batch is retried
	// before it is given up and its position sent to OnFailureQueueURL; -1
	// retries until it succeeds.
	MaximumRetryAttempts int
	// OnFailureQueueURL receives what Lambda sends an on-failure
	// destination for a batch given up; "" discards it.
	OnFailureQueueURL string
}

// DynamoStreams reads the streams of DynamoDB Local at Endpoint.
type DynamoStreams struct {
	DB      *dynamodb.Client
	Streams *dynamodbstreams.Client
	SQS     *sqs.Client // for OnFailureQueueURL; nil when there is none
	// Poll is the wait between reads of a shard that had nothing; default 100ms.
	Poll time.Duration
}

// Start begins reading the table's stream, as Lambda's DynamoDB event
// source mapping does, and hands spawn the loop that goes on until ctx
// ends: the shards' iterators are taken before Start returns, so with
// StartingPosition LATEST no write made after it is missed.
//
//   - each shard is read in order, one batch of up to BatchSize records at a
//     time, handed to the function as an events.DynamoDBEvent whose records
//     are in the stream's own JSON form;
//   - a failed invocation (an error, a crash, a timeout) is retried with the
//     same records, so a function killed mid-batch loses nothing;
//   - with ReportBatchItemFailures, the response's first batchItemFailures
//     itemIdentifier (a sequence number) is where the retry starts; the
//     records before it are done;
//   - after MaximumRetryAttempts retries the batch is given up: its shard
//     and sequence numbers go to OnFailureQueueURL, and reading goes on.
//
// Where it differs from Lambda: one poller reads the shards in turn (no
// ParallelizationFactor, no BisectBatchOnFunctionError), no
// MaximumRecordAgeInSeconds, and no batching window (a batch is what one
// GetRecords returns). Start returns an error when the table has no
// stream; the loop logs the others to log and carries on.
func (d *DynamoStreams) Start(ctx context.Context, mp StreamMapping, inv Invoker, log io.Writer, spawn func(func() error)) error {
	if log == nil {
		log = io.Discard
	}
	if mp.BatchSize <= 0 {
		mp.BatchSize = 100
	}
	if d.Poll == 0 {
		d.Poll = 100 * time.Millisecond
	}
	t, err := d.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &mp.Table})
	if err != nil {
		return fmt.Errorf("stream mapping %s <- %s: %w", mp.Function, mp.Table, err)
	}
	arn := aws.ToString(t.Table.LatestStreamArn)
	if arn == "" {
		return fmt.Errorf("stream mapping %s <- %s: the table has no stream", mp.Function, mp.Table)
	}
	p := &streamPoller{d: d, mp: mp, arn: arn, inv: inv, shards: map[string]*shardReader{},
		log: &prefixWriter{w: log, prefix: "awsemu: stream " + mp.Table + " -> " + mp.Function + ": "}}
	if err := p.discover(ctx, cmp.Or(mp.StartingPosition, string(streamtypes.ShardIteratorTypeLatest))); err != nil {
		return fmt.Errorf("stream mapping %s <- %s: %w", mp.Function, mp.Table, err)
	}
	spawn(func() error {
		for ctx.Err() == nil {
			busy := false
			for _, s := range p.order {
				if sh := p.shards[s]; !sh.closed {
					n, err := p.read(ctx, sh)
					if err != nil && ctx.Err() == nil {
						fmt.Fprintf(p.log, "shard %s: %v\n", s, err)
					}
					busy = busy || n > 0
				}
			}
			if !busy {
				if err := p.discover(ctx, string(streamtypes.ShardIteratorTypeTrimHorizon)); err != nil && ctx.Err() == nil {
					fmt.Fprintf(p.log, "describing the stream: %v\n", err)
				}
				sleep(ctx, d.Poll)
			}
		}
		return nil
	})
	return nil
}

type streamPoller struct {
	d      *DynamoStreams
	mp     StreamMapping
	arn    string
	inv    Invoker
	log    io.Writer
	shards map[string]*shardReader
	order  []string
}

type shardReader struct {
	id       string
	iterator string
	last     string // sequence number of the last record done
	closed   bool
}

// discover starts reading the shards not read yet, from position (new
// shards after the first: from their start, as Lambda does).
func (p *streamPoller) discover(ctx context.Context, position string) error {
	out, err := p.d.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &p.arn})
	if err != nil {
		return err
	}
	for _, s := range out.StreamDescription.Shards {
		id := aws.ToString(s.ShardId)
		if _, ok := p.shards[id]; ok {
			continue
		}
		it, err := p.d.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.arn, ShardId: &id,
			ShardIteratorType: streamtypes.ShardIteratorType(position)})
		if err != nil {
			return err
		}
		p.shards[id] = &shardReader{id: id, iterator: aws.ToString(it.ShardIterator)}
		p.order = append(p.order, id)
	}
	return nil
}

// read hands the function the shard's next batch, retrying it until it is
// done or given up; it returns how many records it read.
func (p *streamPoller) read(ctx context.Context, sh *shardReader) (int, error) {
	out, err := p.d.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: &sh.iterator, Limit: aws.Int32(int32(p.mp.BatchSize))})
	if err != nil {
		// An expired or lost iterator: read again after the last record done.
		typ, in := streamtypes.ShardIteratorTypeAfterSequenceNumber, &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.arn, ShardId: &sh.id}
		if sh.last == "" {
			typ = streamtypes.ShardIteratorTypeTrimHorizon
		} else {
			in.SequenceNumber = &sh.last
		}
		in.ShardIteratorType = typ
		if it, ierr := p.d.Streams.GetShardIterator(ctx, in); ierr == nil {
			sh.iterator = aws.ToString(it.ShardIterator)
		}
		return 0, fmt.Errorf("reading records: %w", err)
	}
	if out.NextShardIterator == nil {
		sh.closed = true
	} else {
		sh.iterator = *out.NextShardIterator
	}
	records := out.Records
	for attempt := 0; len(records) > 0; attempt++ {
		done, err := p.invoke(ctx, records)
		if done > 0 {
			sh.last = aws.ToString(records[done-1].Dynamodb.SequenceNumber)
			records = records[done:]
		}
		switch {
		case err == nil && len(records) == 0:
			return len(out.Records), nil
		case ctx.Err() != nil:
			return len(out.Records), nil
		case p.mp.MaximumRetryAttempts >= 0 && attempt >= p.mp.MaximumRetryAttempts:
			p.giveUp(ctx, sh, records, attempt+1)
			sh.last = aws.ToString(records[len(records)-1].Dynamodb.SequenceNumber)
			return len(out.Records), err
		}
		fmt.Fprintf(p.log, "shard %s: %d record(s) to retry: %v\n", sh.id, len(records), err)
		sleep(ctx, min(time.Duration(attempt+1)*200*time.Millisecond, 2*time.Second))
	}
	return len(out.Records), nil
}

// invoke hands records to the function; it returns how many of the first
// are done, and why the others are not.
func (p *streamPoller) invoke(ctx context.Context, records []streamtypes.Record) (int, error) {
	payload, err := json.Marshal(StreamEvent(p.arn, records))
	if err != nil {
		return 0, fmt.Errorf("encoding the event: %w", err)
	}
	resp, err := p.inv.Invoke(ctx, p.mp.Function, payload)
	if err != nil {
		return 0, fmt.Errorf("invocation failed: %w", err)
	}
	if !p.mp.ReportBatchItemFailures {
		return len(records), nil
	}
	var r events.DynamoDBEventResponse
	if len(resp) > 0 && string(resp) != "null" {
		if err := json.Unmarshal(resp, &r); err != nil {
			return 0, fmt.Errorf("the response is not a DynamoDBEventResponse: %w", err)
		}
	}
	if len(r.BatchItemFailures) == 0 {
		return len(records), nil
	}
	first := r.BatchItemFailures[0].ItemIdentifier
	for i, rec := range records {
		if aws.ToString(rec.Dynamodb.SequenceNumber) == first {
			return i, errors.New("the function reported record " + first + " failed")
		}
	}
	return 0, fmt.Errorf("the function reported a failure of %q, no record of the batch", first)
}

// giveUp sends what Lambda sends an on-failure destination of a stream
// mapping: where the records are, not the records.
func (p *streamPoller) giveUp(ctx context.Context, sh *shardReader, records []streamtypes.Record, attempts int) {
	fmt.Fprintf(p.log, "shard %s: %d record(s) given up after %d attempts\n", sh.id, len(records), attempts)
	if p.mp.OnFailureQueueURL == "" || p.d.SQS == nil {
		return
	}
	body, _ := json.Marshal(map[string]any{
		"requestContext": map[string]any{"condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts,
			"functionArn": "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + p.mp.Function},
		"DDBStreamBatchInfo": map[string]any{"shardId": sh.id, "streamArn": p.arn, "batchSize": len(records),
			"startSequenceNumber": aws.ToString(records[0].Dynamodb.SequenceNumber),
			"endSequenceNumber":   aws.ToString(records[len(records)-1].Dynamodb.SequenceNumber)},
	})
	if _, err := p.d.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &p.mp.OnFailureQueueURL, MessageBody: aws.String(string(body))}); err != nil {
		fmt.Fprintf(p.log, "sending to the on-failure destination: %v\n", err)
	}
}

// StreamEvent is the event Lambda hands a function for records of the
// stream arn.
func StreamEvent(arn string, records []streamtypes.Record) events.DynamoDBEvent {
	ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, len(records))}
	for i, r := range records {
		sr := r.Dynamodb
		ev.Records[i] = events.DynamoDBEventRecord{
			AWSRegion: Region, EventID: aws.ToString(r.EventID), EventName: string(r.EventName), EventSource: "aws:dynamodb",
			EventVersion: aws.ToString(r.EventVersion), EventSourceArn: arn,
			Change: events.DynamoDBStreamRecord{
				Keys: streamImage(sr.Keys), NewImage: streamImage(sr.NewImage), OldImage: streamImage(sr.OldImage),
				SequenceNumber: aws.ToString(sr.SequenceNumber), SizeBytes: aws.ToInt64(sr.SizeBytes), StreamViewType: string(sr.StreamViewType),
			},
		}
		if sr.ApproximateCreationDateTime != nil {
			ev.Records[i].Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *sr.ApproximateCreationDateTime}
		}
	}
	return ev
}

// streamImage gives an item in the stream's JSON form, as Lambda's event
// has it (the same JSON the Lambda event's attribute values read).
func streamImage(item map[string]streamtypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if item == nil {
		return nil
	}
	wire := make(map[string]any, len(item))
	for k, v := range item {
		wire[k] = streamValue(v)
	}
	b, err := json.Marshal(wire)
	if err != nil {
		panic(fmt.Sprintf("awsemu: encode a stream image: %v", err)) // strings, numbers and bytes only
	}
	var out map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("awsemu: decode a stream image: %v", err))
	}
	return out
}

// streamValue is an attribute value in DynamoDB's JSON form.
func streamValue(v streamtypes.AttributeValue) map[string]any {
	switch v := v.(type) {
	case *streamtypes.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *streamtypes.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *streamtypes.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *streamtypes.AttributeValueMemberB:
		return map[string]any{"B": v.Value}
	case *streamtypes.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}
	case *streamtypes.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}
	case *streamtypes.AttributeValueMemberBS:
		return map[string]any{"BS": v.Value}
	case *streamtypes.AttributeValueMemberL:
		list := make([]any, len(v.Value))
		for i, e := range v.Value {
			list[i] = streamValue(e)
		}
		return map[string]any{"L": list}
	case *streamtypes.AttributeValueMemberM:
		m := make(map[string]any, len(v.Value))
		for k, e := range v.Value {
			m[k] = streamValue(e)
		}
		return map[string]any{"M": m}
	}
	return map[string]any{"NULL": true}
}
