package awsemu

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// S3 notifications invoke a function asynchronously on AWS, and Lambda
// retries a failed asynchronous invocation (twice by default), after about
// one and then two minutes, before handing the event to the function's
// on-failure destination or dropping it. SubscribeS3 makes the same number
// of attempts, s3RetryDelay apart.
const (
	defaultS3Retries = 2
	s3RetryDelay     = 5 * time.Second
)

// BucketSpec describes an S3 bucket to create.
type BucketSpec struct {
	LogicalID string // the bucket's logical id in the template; informative only
	Name      string // the bucket name
}

// CreateBuckets creates the buckets in us-east-1. Creating a bucket that
// exists is not an error, so CreateBuckets may be called again.
func (m *Moto) CreateBuckets(ctx context.Context, specs []BucketSpec) error {
	client := m.S3Client()
	for _, s := range specs {
		if s.Name == "" {
			return fmt.Errorf("bucket %q: Name is empty", s.LogicalID)
		}
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.Name)})
		if err != nil && apiErrorCode(err) != "BucketAlreadyOwnedByYou" {
			return fmt.Errorf("creating bucket %q: %w", s.Name, err)
		}
	}
	return nil
}

// S3Subscription is an S3 trigger: a bucket's events invoking a function.
type S3Subscription struct {
	// Function is the name handed to the Invoker.
	Function string
	// Bucket is the name of an existing bucket.
	Bucket string
	// Events are S3 event types such as "s3:ObjectCreated:*" (the default).
	Events []string
	// Prefix and Suffix filter object keys; "" matches every key.
	Prefix, Suffix string
	// Retries is how many times a failed invocation is retried
	// (EventInvokeConfig.MaximumRetryAttempts); nil means Lambda's default, 2.
	Retries *int
	// OnFailureQueueURL receives Lambda's invocation record of an event
	// whose retries are spent (an on-failure destination); "" drops it.
	OnFailureQueueURL string
}

// SubscribeS3 invokes the function with an events.S3Event for each
// notification of the bucket until ctx ends.
//
// Delivery is moto's own: SubscribeS3 creates an internal SQS queue and adds
// a QueueConfiguration (events and prefix/suffix filter rules) for it to the
// bucket's notification configuration, keeping the other configurations;
// moto then sends a message to that queue for every matching event, which
// SubscribeS3 receives, turns into an S3 event and hands to the function. It
// skips the s3:TestEvent message moto (like S3) sends when the configuration
// is put.
//
// moto's notification differs from S3's; SubscribeS3 normalises it:
//   - moto encodes the object key with Python's quote_plus, which turns '/'
//     into %2F; S3 keeps '/' (spaces still become '+'): the key is re-encoded
//     as S3 does;
//   - moto writes eventTime without a zone ("2006-01-02T15:04:05.999999",
//     in moto's local time, which StartMoto sets to UTC); S3 writes
//     milliseconds in UTC with a Z;
//   - moto leaves out userIdentity, requestParameters, responseElements,
//     the bucket's ownerIdentity and the object's sequencer: they are filled
//     in with local placeholders.
//
// Delivery is at least once. As for Lambda's asynchronous invocation, a
// failed invocation is retried sub.Retries times (here 5s apart rather than
// minutes), then the event goes to sub.OnFailureQueueURL as the invocation
// record Lambda sends to an on-failure destination, or is dropped with a
// log line.
//
// SubscribeS3 returns an error only if the subscription cannot be set up;
// once polling, it logs errors to log (nil discards them) and carries on.
// It returns nil when ctx ends. The notification configuration stays on the
// bucket, so a later SubscribeS3 with the same subscription delivers what
// arrived in between.
func (m *Moto) SubscribeS3(ctx context.Context, sub S3Subscription, inv Invoker, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	if sub.Function == "" || sub.Bucket == "" || inv == nil {
		return fmt.Errorf("S3 subscription %q <- %q: Function, Bucket and an Invoker are required", sub.Function, sub.Bucket)
	}
	if len(sub.Events) == 0 {
		sub.Events = []string{"s3:ObjectCreated:*"}
	}
	sqsClient := m.SQSClient()
	name := sub.queueName()
	q, err := createQueue(ctx, sqsClient, QueueSpec{Name: name, VisibilityTimeout: int(s3RetryDelay / time.Second)}, nil)
	if err != nil {
		return fmt.Errorf("S3 subscription %s <- %s: %w", sub.Function, sub.Bucket, err)
	}
	if err := m.putQueueNotification(ctx, sub, name, q.ARN); err != nil {
		return fmt.Errorf("S3 subscription %s <- %s: %w", sub.Function, sub.Bucket, err)
	}

	logw := &prefixWriter{w: log, prefix: "awsemu: s3 " + sub.Bucket + " -> " + sub.Function + ": "}
	for ctx.Err() == nil {
		out, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(q.URL),
			MaxNumberOfMessages:         10,
			WaitTimeSeconds:             pollWait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			fmt.Fprintf(logw, "receiving: %v; retrying in 1s\n", err)
			sleep(ctx, time.Second)
			continue
		}
		for _, msg := range out.Messages {
			if ctx.Err() != nil {
				break
			}
			if deliverS3(ctx, sqsClient, msg, sub, inv, logw) {
				delCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				if err := deleteMessages(delCtx, sqsClient, q.URL, []types.Message{msg}); err != nil {
					fmt.Fprintf(logw, "%v\n", err)
				}
				cancel()
			}
		}
	}
	return nil
}

// deliverS3 invokes the function with one notification message and reports
// whether the message is done with (delivered, skipped or given up on).
func deliverS3(ctx context.Context, sqsClient *sqs.Client, msg types.Message, sub S3Subscription, inv Invoker, log io.Writer) bool {
	payload, skip, err := normaliseS3Event([]byte(aws.ToString(msg.Body)), aws.ToString(msg.MessageId))
	switch {
	case err != nil:
		fmt.Fprintf(log, "dropping a notification: %v\n", err)
		return true
	case skip:
		return true
	}
	_, err = inv.Invoke(ctx, sub.Function, payload)
	if err == nil {
		return true
	}
	if ctx.Err() != nil {
		return false // interrupted, not failed: it comes back next time
	}
	attempts := 1 + defaultS3Retries
	if sub.Retries != nil {
		attempts = 1 + *sub.Retries
	}
	n, _ := strconv.Atoi(msg.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	if n < attempts {
		fmt.Fprintf(log, "invocation failed (attempt %d of %d), retrying in %v: %v\n", n, attempts, s3RetryDelay, err)
		return false
	}
	if sub.OnFailureQueueURL == "" {
		fmt.Fprintf(log, "invocation failed %d times, dropping the event: %v\n", n, err)
		return true
	}
	record, rerr := invocationRecord(sub.Function, payload, n, err, time.Now())
	if rerr == nil {
		_, rerr = sqsClient.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(sub.OnFailureQueueURL), MessageBody: aws.String(string(record))})
	}
	if rerr != nil {
		fmt.Fprintf(log, "invocation failed %d times; sending it to the on-failure destination failed, retrying: %v\n", n, rerr)
		return false
	}
	fmt.Fprintf(log, "invocation failed %d times, the event went to the on-failure destination: %v\n", n, err)
	return true
}

// invocationRecord is what Lambda sends an on-failure destination when an
// asynchronous invocation's retries are spent: the event in requestPayload,
// the condition and the number of attempts.
func invocationRecord(function string, payload []byte, attempts int, cause error, now time.Time) ([]byte, error) {
	type requestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	}
	type responseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	}
	return json.Marshal(struct {
		Version         string          `json:"version"`
		Timestamp       string          `json:"timestamp"`
		RequestContext  requestContext  `json:"requestContext"`
		RequestPayload  json.RawMessage `json:"requestPayload"`
		ResponseContext responseContext `json:"responseContext"`
		ResponsePayload map[string]any  `json:"responsePayload"`
	}{
		Version: "1.0", Timestamp: now.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: requestContext{RequestID: requestID(string(payload)), Condition: "RetriesExhausted", ApproximateInvokeCount: attempts,
			FunctionArn: "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + function + ":$LATEST"},
		RequestPayload:  payload,
		ResponseContext: responseContext{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		ResponsePayload: map[string]any{"errorMessage": cause.Error()},
	})
}

// queueName names the internal queue of a subscription: readable, unique
// per subscription and within SQS's 80 characters.
func (sub S3Subscription) queueName() string {
	h := fnv.New64a()
	for _, s := range append([]string{sub.Bucket, sub.Function, sub.Prefix, sub.Suffix}, sub.Events...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	readable := unsafeQueueChars.ReplaceAllString(sub.Bucket+"-"+sub.Function, "-")
	if len(readable) > 50 {
		readable = readable[:50]
	}
	return fmt.Sprintf("awsemu-s3-%s-%016x", readable, h.Sum64())
}

var unsafeQueueChars = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// putQueueNotification sets the subscription's QueueConfiguration on the
// bucket, keeping the bucket's other notification configurations: the API
// replaces the whole configuration.
func (m *Moto) putQueueNotification(ctx context.Context, sub S3Subscription, id, queueARN string) error {
	m.notifyMu.Lock()
	defer m.notifyMu.Unlock()
	client := m.S3Client()
	cur, err := client.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(sub.Bucket)})
	if err != nil {
		return fmt.Errorf("getting the notification configuration of bucket %q: %w", sub.Bucket, err)
	}
	qc := s3types.QueueConfiguration{Id: aws.String(id), QueueArn: aws.String(queueARN)}
	for _, e := range sub.Events {
		qc.Events = append(qc.Events, s3types.Event(e))
	}
	var rules []s3types.FilterRule
	if sub.Prefix != "" {
		rules = append(rules, s3types.FilterRule{Name: s3types.FilterRuleNamePrefix, Value: aws.String(sub.Prefix)})
	}
	if sub.Suffix != "" {
		rules = append(rules, s3types.FilterRule{Name: s3types.FilterRuleNameSuffix, Value: aws.String(sub.Suffix)})
	}
	if rules != nil {
		qc.Filter = &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: rules}}
	}
	queues := slices.DeleteFunc(cur.QueueConfigurations, func(c s3types.QueueConfiguration) bool {
		return aws.ToString(c.Id) == id
	})
	_, err = client.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(sub.Bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{
			QueueConfigurations:          append(queues, qc),
			TopicConfigurations:          cur.TopicConfigurations,
			LambdaFunctionConfigurations: cur.LambdaFunctionConfigurations,
			EventBridgeConfiguration:     cur.EventBridgeConfiguration,
		},
	})
	if err != nil {
		return fmt.Errorf("putting the notification configuration of bucket %q: %w", sub.Bucket, err)
	}
	return nil
}

// motoS3Event is the notification moto sends (moto/s3/notifications.py),
// or its s3:TestEvent.
type motoS3Event struct {
	Event   string `json:"Event"` // "s3:TestEvent" for the test event
	Records []struct {
		EventVersion string `json:"eventVersion"`
		EventSource  string `json:"eventSource"`
		AWSRegion    string `json:"awsRegion"`
		EventTime    string `json:"eventTime"`
		EventName    string `json:"eventName"`
		S3           struct {
			SchemaVersion   string `json:"s3SchemaVersion"`
			ConfigurationID string `json:"configurationId"`
			Bucket          struct {
				Name string `json:"name"`
				Arn  string `json:"arn"`
			} `json:"bucket"`
			Object struct {
				Key       string `json:"key"`
				Size      *int64 `json:"size"`
				ETag      string `json:"eTag"`
				VersionID string `json:"versionId"`
				Sequencer string `json:"sequencer"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

// s3Event is an S3 event notification as S3 sends it to Lambda. It decodes
// into events.S3Event.
type s3Event struct {
	Records []s3EventRecord `json:"Records"`
}

type s3EventRecord struct {
	EventVersion      string            `json:"eventVersion"`
	EventSource       string            `json:"eventSource"`
	AWSRegion         string            `json:"awsRegion"`
	EventTime         string            `json:"eventTime"`
	EventName         string            `json:"eventName"`
	UserIdentity      s3Principal       `json:"userIdentity"`
	RequestParameters map[string]string `json:"requestParameters"`
	ResponseElements  map[string]string `json:"responseElements"`
	S3                s3Entity          `json:"s3"`
}

type s3Principal struct {
	PrincipalID string `json:"principalId"`
}

type s3Entity struct {
	SchemaVersion   string `json:"s3SchemaVersion"`
	ConfigurationID string `json:"configurationId"`
	Bucket          struct {
		Name          string      `json:"name"`
		OwnerIdentity s3Principal `json:"ownerIdentity"`
		Arn           string      `json:"arn"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      *int64 `json:"size,omitempty"`
		ETag      string `json:"eTag,omitempty"`
		VersionID string `json:"versionId,omitempty"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
}

// localPrincipal stands for the caller and bucket owner in S3 events.
const localPrincipal = "AWS:AIDALOCALAWSEMU"

// normaliseS3Event turns moto's notification message body into the S3
// event S3 would send, or reports that it is the test event to skip.
// msgID seeds the request ids.
func normaliseS3Event(body []byte, msgID string) (payload []byte, skip bool, err error) {
	var in motoS3Event
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, false, fmt.Errorf("not an S3 event: %w", err)
	}
	if in.Event == "s3:TestEvent" {
		return nil, true, nil
	}
	if len(in.Records) == 0 {
		return nil, false, fmt.Errorf("S3 event without records: %.200s", body)
	}
	out := s3Event{Records: make([]s3EventRecord, len(in.Records))}
	for i, r := range in.Records {
		t, err := parseMotoTime(r.EventTime)
		if err != nil {
			return nil, false, err
		}
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return nil, false, fmt.Errorf("object key %q: %w", r.S3.Object.Key, err)
		}
		o := &out.Records[i]
		o.EventVersion = cmp.Or(r.EventVersion, "2.1")
		o.EventSource = cmp.Or(r.EventSource, "aws:s3")
		o.AWSRegion = cmp.Or(r.AWSRegion, Region)
		o.EventTime = t.Format("2006-01-02T15:04:05.000Z")
		o.EventName = strings.TrimPrefix(r.EventName, "s3:")
		o.UserIdentity.PrincipalID = localPrincipal
		o.RequestParameters = map[string]string{"sourceIPAddress": "127.0.0.1"}
		o.ResponseElements = map[string]string{"x-amz-request-id": requestID(msgID), "x-amz-id-2": msgID}
		o.S3.SchemaVersion = cmp.Or(r.S3.SchemaVersion, "1.0")
		o.S3.ConfigurationID = r.S3.ConfigurationID
		o.S3.Bucket.Name = r.S3.Bucket.Name
		o.S3.Bucket.OwnerIdentity.PrincipalID = localPrincipal
		o.S3.Bucket.Arn = cmp.Or(r.S3.Bucket.Arn, "arn:aws:s3:::"+r.S3.Bucket.Name)
		o.S3.Object.Key = encodeS3EventKey(key)
		o.S3.Object.Size = r.S3.Object.Size
		o.S3.Object.ETag = r.S3.Object.ETag
		o.S3.Object.VersionID = r.S3.Object.VersionID
		o.S3.Object.Sequencer = cmp.Or(r.S3.Object.Sequencer, fmt.Sprintf("%016X", t.UnixNano()))
	}
	payload, err = json.Marshal(out)
	if err != nil {
		return nil, false, fmt.Errorf("encoding the S3 event: %w", err)
	}
	return payload, false, nil
}

// parseMotoTime parses moto's zoneless eventTime as UTC, or an RFC 3339
// time should moto ever add the zone.
func parseMotoTime(s string) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("eventTime %q: %w", s, err)
	}
	return t.UTC(), nil
}

// encodeS3EventKey encodes an object key as S3 event notifications do:
// form encoding (space as '+', as Java's URLEncoder), but keeping '/'.
func encodeS3EventKey(key string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '_', c == '*', c == '/':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// requestID derives a 16-character request id, the shape of S3's, from s.
func requestID(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("%016X", h.Sum64())
}
