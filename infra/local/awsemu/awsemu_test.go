package awsemu

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// motoSrv is the moto server shared by the package's tests; nil if
// moto_server is not installed.
var motoSrv *Moto

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if _, err := exec.LookPath("moto_server"); err != nil {
		fmt.Fprintln(os.Stderr, "moto_server is not on PATH: tests that need it are skipped")
		return m.Run()
	}
	var log io.Writer = io.Discard
	if testing.Verbose() {
		log = &startupLog{w: os.Stderr}
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	start := time.Now()
	srv, err := StartMoto(ctx, MotoOptions{Log: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "moto server started in %v\n", time.Since(start).Round(time.Millisecond))
	}
	motoSrv = srv
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "second Stop: got %v, want nil\n", err)
		return 1
	}
	if err := syscall.Kill(-srv.proc.Pid(), 0); err != syscall.ESRCH {
		fmt.Fprintf(os.Stderr, "moto's process group after Stop: got %v, want ESRCH\n", err)
		return 1
	}
	return code
}

func TestStartMotoErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := exec.LookPath("moto_server"); err == nil {
		_, err = StartMoto(t.Context(), MotoOptions{Port: l.Addr().(*net.TCPAddr).Port})
		if err == nil || !strings.Contains(err.Error(), "not free") {
			t.Errorf("StartMoto on a busy port: got %v, want an error saying 'not free'", err)
		}
	}

	t.Setenv("PATH", t.TempDir())
	_, err = StartMoto(t.Context(), MotoOptions{})
	if want := `moto server is needed: ` + "`" + `pip install "moto[server]"` + "`"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("StartMoto without moto_server: got %v, want an error containing %s", err, want)
	}
}

// startupLog passes on awsemu's own lines, not moto's request log.
type startupLog struct{ w io.Writer }

func (l *startupLog) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte("awsemu:")) {
		return l.w.Write(p)
	}
	return len(p), nil
}

// unique returns name with a suffix unique within the test process: with
// -count, tests run again against the same moto, and a long poll cancelled
// by the previous run may still take a message from a reused queue.
func unique(name string) string {
	return name + "-" + strconv.FormatInt(seq.Add(1), 10)
}

var seq atomic.Int64

func needMoto(t *testing.T) *Moto {
	t.Helper()
	if motoSrv == nil {
		t.Skip("moto_server is not installed")
	}
	return motoSrv
}

// fakeInvoker records invocations and answers with respond.
type fakeInvoker struct {
	respond func(n int, payload []byte) ([]byte, error) // n counts from 1

	mu        sync.Mutex
	functions []string
	payloads  [][]byte
}

func (f *fakeInvoker) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	f.mu.Lock()
	f.functions = append(f.functions, function)
	f.payloads = append(f.payloads, payload)
	n := len(f.payloads)
	f.mu.Unlock()
	if f.respond == nil {
		return nil, nil
	}
	return f.respond(n, payload)
}

func (f *fakeInvoker) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.payloads)
}

// call returns the function and payload of the i-th invocation.
func (f *fakeInvoker) call(i int) (string, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.functions[i], f.payloads[i]
}

func (f *fakeInvoker) sqsEvents(t *testing.T) []events.SQSEvent {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := make([]events.SQSEvent, len(f.payloads))
	for i, p := range f.payloads {
		if err := json.Unmarshal(p, &evs[i]); err != nil {
			t.Fatalf("invocation %d: payload is not an SQS event: %v\n%s", i+1, err, p)
		}
	}
	return evs
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// run starts fn in a goroutine and, at cleanup, cancels it and checks that
// it returned nil.
func run(t *testing.T, fn func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("poller returned %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("poller still running 5s after its context ended")
		}
	})
}

func createQueues(t *testing.T, m *Moto, specs ...QueueSpec) map[string]QueueInfo {
	t.Helper()
	qs, err := m.CreateQueues(t.Context(), specs)
	if err != nil {
		t.Fatalf("CreateQueues: %v", err)
	}
	return qs
}

func sendMessages(t *testing.T, m *Moto, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		_, err := m.SQSClient().SendMessage(t.Context(), &sqs.SendMessageInput{
			QueueUrl:    aws.String(url),
			MessageBody: aws.String(b),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"origin": {DataType: aws.String("String"), StringValue: aws.String("test")},
			},
		})
		if err != nil {
			t.Fatalf("SendMessage(%q): %v", b, err)
		}
	}
}

// queueDepth returns the visible plus in-flight messages of a queue.
func queueDepth(t *testing.T, m *Moto, url string) int {
	t.Helper()
	out, err := m.SQSClient().GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	visible, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	inFlight, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return visible + inFlight
}

func bodies(ev events.SQSEvent) []string {
	var bs []string
	for _, r := range ev.Records {
		bs = append(bs, r.Body)
	}
	return bs
}

func TestCreateQueuesWithDLQ(t *testing.T) {
	m := needMoto(t)
	t.Parallel()
	// The source comes first: CreateQueues must create the DLQ before it.
	qs := createQueues(t, m,
		QueueSpec{LogicalID: "Work", Name: "create-work", VisibilityTimeout: 7, DeadLetterTarget: "create-dlq", MaxReceiveCount: 2},
		QueueSpec{LogicalID: "WorkDLQ", Name: "create-dlq", MessageRetentionPeriod: 1209600},
	)
	for _, name := range []string{"create-work", "create-dlq"} {
		want := "arn:aws:sqs:us-east-1:" + AccountID + ":" + name
		if got := qs[name].ARN; got != want {
			t.Errorf("ARN of %s: got %q, want %q", name, got, want)
		}
		if got := qs[name].URL; !strings.HasSuffix(got, "/"+name) {
			t.Errorf("URL of %s: got %q, want it to end in /%s", name, got, name)
		}
	}
	out, err := m.SQSClient().GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(qs["create-work"].URL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		DeadLetterTargetArn string
		MaxReceiveCount     json.Number
	}
	if err := json.Unmarshal([]byte(out.Attributes["RedrivePolicy"]), &policy); err != nil {
		t.Fatalf("RedrivePolicy %q: %v", out.Attributes["RedrivePolicy"], err)
	}
	if got, want := policy.DeadLetterTargetArn, qs["create-dlq"].ARN; got != want {
		t.Errorf("deadLetterTargetArn: got %q, want %q", got, want)
	}
	if got, want := policy.MaxReceiveCount.String(), "2"; got != want {
		t.Errorf("maxReceiveCount: got %s, want %s", got, want)
	}
	if got, want := out.Attributes["VisibilityTimeout"], "7"; got != want {
		t.Errorf("VisibilityTimeout: got %s, want %s", got, want)
	}

	// Idempotent: the same specs again.
	if _, err := m.CreateQueues(t.Context(), []QueueSpec{{Name: "create-dlq", MessageRetentionPeriod: 1209600}}); err != nil {
		t.Errorf("CreateQueues again: %v", err)
	}

	for name, specs := range map[string][]QueueSpec{
		"cycle": {
			{Name: "cycle-a", DeadLetterTarget: "cycle-b", MaxReceiveCount: 1},
			{Name: "cycle-b", DeadLetterTarget: "cycle-a", MaxReceiveCount: 1},
		},
		"missing DLQ":        {{Name: "orphan", DeadLetterTarget: "no-such-dlq", MaxReceiveCount: 1}},
		"no MaxReceiveCount": {{Name: "nomax", DeadLetterTarget: "create-dlq"}},
		"FIFO name":          {{Name: "fifo-without-suffix", FIFO: true}},
		"mixed types": {
			{Name: "mixed.fifo", FIFO: true, DeadLetterTarget: "mixed-dlq", MaxReceiveCount: 1},
			{Name: "mixed-dlq"},
		},
	} {
		if _, err := m.CreateQueues(t.Context(), specs); err == nil {
			t.Errorf("CreateQueues with %s: got no error, want one", name)
		}
	}
}

// TestSQSPartialBatchFailure: one message of three fails via
// batchItemFailures; the two others are deleted, the failed one comes back
// after the visibility timeout and, after maxReceiveCount receives, moto
// moves it to the DLQ.
func TestSQSPartialBatchFailure(t *testing.T) {
	m := needMoto(t)
	t.Parallel()
	name, dlq := unique("partial"), unique("partial-dlq")
	qs := createQueues(t, m,
		QueueSpec{Name: dlq},
		QueueSpec{Name: name, VisibilityTimeout: 1, DeadLetterTarget: dlq, MaxReceiveCount: 2},
	)
	sendMessages(t, m, qs[name].URL, "ok-1", "bad", "ok-2")

	inv := &fakeInvoker{respond: func(_ int, payload []byte) ([]byte, error) {
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		var resp events.SQSEventResponse
		for _, r := range ev.Records {
			if r.Body == "bad" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		return json.Marshal(resp)
	}}
	run(t, func(ctx context.Context) error {
		return m.RunSQSMapping(ctx, SQSMapping{Function: "worker", QueueName: name, ReportBatchItemFailures: true}, inv, t.Output())
	})

	// The DLQ is read through moto only: a receive there proves the redrive.
	var dlqBody string
	waitFor(t, 15*time.Second, "the failed message in the DLQ", func() bool {
		out, err := m.SQSClient().ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(qs[dlq].URL)})
		if err != nil {
			t.Fatalf("receiving from the DLQ: %v", err)
		}
		if len(out.Messages) > 0 {
			dlqBody = aws.ToString(out.Messages[0].Body)
			return true
		}
		return false
	})
	if got, want := dlqBody, "bad"; got != want {
		t.Errorf("DLQ message: got %q, want %q", got, want)
	}
	time.Sleep(1500 * time.Millisecond) // nothing more may be delivered

	evs := inv.sqsEvents(t)
	if got, want := len(evs), 2; got != want {
		t.Fatalf("invocations: got %d, want %d (3 messages, then the failed one once more)", got, want)
	}
	if got, want := strings.Join(bodies(evs[0]), ","), "ok-1,bad,ok-2"; got != want {
		t.Errorf("first batch: got %s, want %s", got, want)
	}
	if got, want := strings.Join(bodies(evs[1]), ","), "bad"; got != want {
		t.Errorf("second batch: got %s, want %s", got, want)
	}
	if got, want := evs[1].Records[0].Attributes["ApproximateReceiveCount"], "2"; got != want {
		t.Errorf("ApproximateReceiveCount on redelivery: got %s, want %s", got, want)
	}
	if got := queueDepth(t, m, qs[name].URL); got != 0 {
		t.Errorf("messages left in the source queue: got %d, want 0", got)
	}

	r := evs[0].Records[0]
	sum := md5.Sum([]byte(r.Body))
	for _, c := range []struct{ field, got, want string }{
		{"eventSource", r.EventSource, "aws:sqs"},
		{"eventSourceARN", r.EventSourceARN, qs[name].ARN},
		{"awsRegion", r.AWSRegion, "us-east-1"},
		{"md5OfBody", r.Md5OfBody, hex.EncodeToString(sum[:])},
		{"messageAttributes.origin.stringValue", aws.ToString(r.MessageAttributes["origin"].StringValue), "test"},
		{"messageAttributes.origin.dataType", r.MessageAttributes["origin"].DataType, "String"},
	} {
		if c.got != c.want {
			t.Errorf("record %s: got %q, want %q", c.field, c.got, c.want)
		}
	}
	for _, a := range []string{"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} {
		if r.Attributes[a] == "" {
			t.Errorf("record attribute %s: missing, got %v", a, r.Attributes)
		}
	}
	if r.MessageId == "" || r.ReceiptHandle == "" {
		t.Errorf("record: got messageId %q, receiptHandle %q, want both set", r.MessageId, r.ReceiptHandle)
	}
}

// TestSQSInvokeError: a failed invocation deletes nothing; the whole batch
// comes back after the visibility timeout.
func TestSQSInvokeError(t *testing.T) {
	m := needMoto(t)
	t.Parallel()
	name := unique("invoke-error")
	qs := createQueues(t, m, QueueSpec{Name: name, VisibilityTimeout: 1})
	sendMessages(t, m, qs[name].URL, "a", "b")
	inv := &fakeInvoker{respond: func(n int, _ []byte) ([]byte, error) {
		if n == 1 {
			return nil, errors.New("function crashed")
		}
		return nil, nil
	}}
	run(t, func(ctx context.Context) error {
		return m.RunSQSMapping(ctx, SQSMapping{Function: "worker", QueueName: name}, inv, t.Output())
	})
	waitFor(t, 10*time.Second, "a second invocation", func() bool { return inv.count() >= 2 })
	waitFor(t, 5*time.Second, "an empty queue", func() bool { return queueDepth(t, m, qs[name].URL) == 0 })

	evs := inv.sqsEvents(t)
	if got, want := len(evs), 2; got != want {
		t.Fatalf("invocations: got %d, want %d", got, want)
	}
	for i, ev := range evs {
		if got, want := strings.Join(bodies(ev), ","), "a,b"; got != want {
			t.Errorf("batch %d: got %s, want %s", i+1, got, want)
		}
	}
	for _, r := range evs[1].Records {
		if got, want := r.Attributes["ApproximateReceiveCount"], "2"; got != want {
			t.Errorf("ApproximateReceiveCount of %q on redelivery: got %s, want %s", r.Body, got, want)
		}
	}
}

// TestSQSBatchSize: five messages with BatchSize 2 arrive in batches of at
// most two.
func TestSQSBatchSize(t *testing.T) {
	m := needMoto(t)
	t.Parallel()
	name := unique("batch-size")
	qs := createQueues(t, m, QueueSpec{Name: name, VisibilityTimeout: 5})
	sendMessages(t, m, qs[name].URL, "1", "2", "3", "4", "5")
	inv := &fakeInvoker{}
	run(t, func(ctx context.Context) error {
		return m.RunSQSMapping(ctx, SQSMapping{Function: "worker", QueueName: name, BatchSize: 2}, inv, t.Output())
	})
	total := func() int {
		n := 0
		for _, ev := range inv.sqsEvents(t) {
			n += len(ev.Records)
		}
		return n
	}
	waitFor(t, 10*time.Second, "five records", func() bool { return total() >= 5 })
	evs := inv.sqsEvents(t)
	for i, ev := range evs {
		if got := len(ev.Records); got < 1 || got > 2 {
			t.Errorf("batch %d: got %d records, want 1 or 2", i+1, got)
		}
	}
	if got, want := len(evs[0].Records), 2; got != want {
		t.Errorf("first batch: got %d records, want %d", got, want)
	}
	if got, want := total(), 5; got != want {
		t.Errorf("records: got %d, want %d", got, want)
	}
}

// TestSQSBatchingWindow: with a window, messages sent one by one are
// gathered into one batch.
func TestSQSBatchingWindow(t *testing.T) {
	m := needMoto(t)
	t.Parallel()
	name := unique("batch-window")
	qs := createQueues(t, m, QueueSpec{Name: name, VisibilityTimeout: 10})
	inv := &fakeInvoker{}
	run(t, func(ctx context.Context) error {
		// A long window: the batch is full (3) long before it ends, so it costs
		// nothing when all is well, and a loaded machine (make test runs
		// packages in parallel) cannot push the third message past it.
		mp := SQSMapping{Function: "worker", QueueName: name, BatchSize: 3, MaximumBatchingWindow: 15 * time.Second}
		return m.RunSQSMapping(ctx, mp, inv, t.Output())
	})
	for _, b := range []string{"x", "y", "z"} {
		sendMessages(t, m, qs[name].URL, b)
		time.Sleep(200 * time.Millisecond)
	}
	waitFor(t, 20*time.Second, "an invocation", func() bool { return inv.count() >= 1 })
	if got, want := strings.Join(bodies(inv.sqsEvents(t)[0]), ","), "x,y,z"; got != want {
		t.Errorf("batch: got %s, want %s", got, want)
	}
}

func TestBatchItemFailures(t *testing.T) {
	ids := map[string]bool{"m1": true, "m2": true}
	for _, tc := range []struct {
		resp    string
		want    string // failed ids, comma-separated
		wantErr bool
	}{
		{resp: ``},
		{resp: `null`},
		{resp: `{}`},
		{resp: `{"batchItemFailures":null}`},
		{resp: `{"batchItemFailures":[]}`},
		{resp: `{"batchItemFailures":[{"itemIdentifier":"m2"}]}`, want: "m2"},
		{resp: `{"batchItemFailures":[{"itemIdentifier":"m3"}]}`, wantErr: true},
		{resp: `{"batchItemFailures":[{"itemIdentifier":""}]}`, wantErr: true},
		{resp: `{"batchItemFailures":[{"itemIdentifier":null}]}`, wantErr: true},
		{resp: `{"batchItemFailures":[{"ItemIdentifier":"m1"}]}`, wantErr: true},
		{resp: `{"batchItemFailures":"m1"}`, wantErr: true},
		{resp: `"ok"`, wantErr: true},
		{resp: `{not json`, wantErr: true},
	} {
		failed, err := batchItemFailures([]byte(tc.resp), ids)
		var got []string
		for _, id := range []string{"m1", "m2"} {
			if failed[id] {
				got = append(got, id)
			}
		}
		if (err != nil) != tc.wantErr || strings.Join(got, ",") != tc.want {
			t.Errorf("batchItemFailures(%s): got %v, %v; want %q, error %v", tc.resp, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestSendLimits pins down which SQS send limits moto enforces.
func TestSendLimits(t *testing.T) {
	m := needMoto(t)
	t.Parallel()
	qs := createQueues(t, m,
		QueueSpec{Name: "limits"},
		QueueSpec{Name: "limits-256k", MaximumMessageSize: 256 << 10},
	)
	client := m.SQSClient()
	send := func(queue, char string, n int) error {
		t.Helper()
		_, err := client.SendMessage(t.Context(), &sqs.SendMessageInput{
			QueueUrl: aws.String(qs[queue].URL), MessageBody: aws.String(strings.Repeat(char, n))})
		return err
	}
	sendBatch := func(n, size int) error {
		t.Helper()
		entries := make([]types.SendMessageBatchRequestEntry, n)
		for i := range entries {
			entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(strings.Repeat("x", size))}
		}
		_, err := client.SendMessageBatch(t.Context(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(qs["limits"].URL), Entries: entries})
		return err
	}
	for _, tc := range []struct {
		what     string
		err      error
		wantCode string // "" = accepted
	}{
		{"10 entries per batch", sendBatch(10, 10), ""},
		{"11 entries per batch", sendBatch(11, 10), "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{"a batch of 1 MiB", sendBatch(4, MaxMessageSize/4), ""},
		{"a batch over 1 MiB", sendBatch(4, MaxMessageSize/4+1), "AWS.SimpleQueueService.BatchRequestTooLong"},
		{"256 KiB + 1 on a default queue (1 MiB since 2025)", send("limits", "x", 256<<10+1), ""},
		{"1 MiB on a default queue", send("limits", "x", MaxMessageSize), ""},
		{"1 MiB + 1 on a default queue", send("limits", "x", MaxMessageSize+1), "InvalidParameterValue"},
		// AWS counts UTF-8 bytes and rejects this 1 MiB + 2 bytes; moto
		// counts characters and accepts it.
		{"1 MiB + 2 in two-byte characters (moto only)", send("limits", "é", MaxMessageSize/2+1), ""},
		{"256 KiB on a 256 KiB queue", send("limits-256k", "x", 256<<10), ""},
		{"256 KiB + 1 on a 256 KiB queue", send("limits-256k", "x", 256<<10+1), "InvalidParameterValue"},
	} {
		if got := apiErrorCode(tc.err); got != tc.wantCode || (tc.err != nil && got == "") {
			t.Errorf("%s: got error code %q (%v), want %q", tc.what, got, tc.err, tc.wantCode)
		}
	}
}

func TestSubscribeS3PresignedPut(t *testing.T) {
	m := needMoto(t)
	t.Parallel()
	bucket := unique("contacts-imports")
	if err := m.CreateBuckets(t.Context(), []BucketSpec{{LogicalID: "ImportBucket", Name: bucket}}); err != nil {
		t.Fatalf("CreateBuckets: %v", err)
	}
	if err := m.CreateBuckets(t.Context(), []BucketSpec{{Name: bucket}}); err != nil {
		t.Errorf("CreateBuckets again: %v", err)
	}
	inv := &fakeInvoker{}
	sub := S3Subscription{Function: "import", Bucket: bucket, Events: []string{"s3:ObjectCreated:*"}, Prefix: "uploads/", Suffix: ".csv"}
	run(t, func(ctx context.Context) error {
		return m.SubscribeS3(ctx, sub, inv, t.Output())
	})
	// A second subscription on the bucket must not replace the first.
	audit := &fakeInvoker{}
	run(t, func(ctx context.Context) error {
		return m.SubscribeS3(ctx, S3Subscription{Function: "audit", Bucket: bucket, Prefix: "elsewhere/"}, audit, t.Output())
	})
	waitFor(t, 10*time.Second, "both notification configurations", func() bool {
		out, err := m.S3Client().GetBucketNotificationConfiguration(t.Context(), &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(bucket)})
		return err == nil && len(out.QueueConfigurations) == 2
	})

	put := func(key, body string) {
		t.Helper()
		req, err := s3.NewPresignClient(m.S3Client()).PresignPutObject(t.Context(),
			&s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, s3.WithPresignExpires(5*time.Minute))
		if err != nil {
			t.Fatalf("presigning PUT %s: %v", key, err)
		}
		if !strings.HasPrefix(req.URL, m.Endpoint()+"/"+bucket+"/") {
			t.Errorf("presigned URL: got %s, want a path-style URL under %s/%s/", req.URL, m.Endpoint(), bucket)
		}
		hreq, err := http.NewRequestWithContext(t.Context(), http.MethodPut, req.URL, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for name, vs := range req.SignedHeader {
			if !strings.EqualFold(name, "host") {
				hreq.Header[name] = vs
			}
		}
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatalf("PUT %s: %v", key, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(resp.Body)
			t.Fatalf("PUT %s: got %s, want 200 OK\n%s", key, resp.Status, msg)
		}
	}
	// Outside the prefix first: if it were delivered to import, it would
	// come first.
	put("elsewhere/a.csv", "ignored")
	put("uploads/x.txt", "wrong suffix")
	const key, body = "uploads/my contacts+1.csv", "name,phone\nAda,+44 20 7946 0000\n"
	put(key, body)

	waitFor(t, 10*time.Second, "an invocation", func() bool { return inv.count() >= 1 })
	time.Sleep(1500 * time.Millisecond) // nothing else may be delivered
	if got, want := inv.count(), 1; got != want {
		t.Fatalf("invocations: got %d, want %d", got, want)
	}
	if got, want := audit.count(), 1; got != want {
		t.Errorf("invocations of the second subscription: got %d, want %d", got, want)
	} else if _, p := audit.call(0); !bytes.Contains(p, []byte(`"key":"elsewhere/a.csv"`)) {
		t.Errorf("second subscription: got %s, want the event of elsewhere/a.csv", p)
	}
	function, payload := inv.call(0)
	if got, want := function, "import"; got != want {
		t.Errorf("function: got %q, want %q", got, want)
	}
	var ev events.S3Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatalf("payload is not an S3 event: %v\n%s", err, payload)
	}
	if got, want := len(ev.Records), 1; got != want {
		t.Fatalf("records: got %d, want %d", got, want)
	}
	r := ev.Records[0]
	sum := md5.Sum([]byte(body))
	for _, c := range []struct{ name, got, want string }{
		{"eventName", r.EventName, "ObjectCreated:Put"},
		{"eventSource", r.EventSource, "aws:s3"},
		{"eventVersion", r.EventVersion, "2.1"},
		{"awsRegion", r.AWSRegion, "us-east-1"},
		{"bucket", r.S3.Bucket.Name, bucket},
		{"bucket arn", r.S3.Bucket.Arn, "arn:aws:s3:::" + bucket},
		{"key", r.S3.Object.Key, "uploads/my+contacts%2B1.csv"},
		{"urlDecodedKey", r.S3.Object.URLDecodedKey, key},
		{"eTag", r.S3.Object.ETag, hex.EncodeToString(sum[:])},
		{"size", strconv.FormatInt(r.S3.Object.Size, 10), strconv.Itoa(len(body))},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if d := time.Since(r.EventTime); d < -time.Minute || d > time.Minute {
		t.Errorf("eventTime: got %v, want within a minute of now", r.EventTime)
	}
	var raw struct{ Records []struct{ EventTime string } }
	if err := json.Unmarshal(payload, &raw); err != nil || !strings.HasSuffix(raw.Records[0].EventTime, "Z") {
		t.Errorf("eventTime: got %q, want UTC with a Z", raw.Records[0].EventTime)
	}
}

func TestNormaliseS3Event(t *testing.T) {
	// As moto 5.2.1 writes it.
	body := `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
		"eventTime":"2026-03-04T05:06:07.123456","eventName":"ObjectCreated:Put",
		"s3":{"s3SchemaVersion":"1.0","configurationId":"cfg","bucket":{"name":"b","arn":"arn:aws:s3:::b"},
		"object":{"key":"a%2Fb+c%C3%A9.csv","size":3,"eTag":"abc"}}}]}`
	payload, skip, err := normaliseS3Event([]byte(body), "msg-1")
	if err != nil || skip {
		t.Fatalf("normaliseS3Event: got skip %v, error %v", skip, err)
	}
	var rec map[string]any
	var ev struct{ Records []map[string]any }
	if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("payload %s: %v", payload, err)
	}
	rec = ev.Records[0]
	if got, want := rec["eventTime"], "2026-03-04T05:06:07.123Z"; got != want {
		t.Errorf("eventTime: got %v, want %v", got, want)
	}
	obj := rec["s3"].(map[string]any)["object"].(map[string]any)
	if got, want := obj["key"], "a/b+c%C3%A9.csv"; got != want {
		t.Errorf("key: got %v, want %v", got, want)
	}
	if _, ok := obj["urlDecodedKey"]; ok {
		t.Errorf("payload has urlDecodedKey, which S3 does not send: %s", payload)
	}

	_, skip, err = normaliseS3Event([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-03-04T05:06:07.123456","Bucket":"b"}`), "msg-2")
	if err != nil || !skip {
		t.Errorf("test event: got skip %v, error %v; want skip", skip, err)
	}
}

// TestSubscribeS3OnFailure: an event whose invocations all fail goes to the
// on-failure queue as Lambda's invocation record, with the S3 event in
// requestPayload.
func TestSubscribeS3OnFailure(t *testing.T) {
	m := needMoto(t)
	t.Parallel()
	bucket := unique("failing-imports")
	if err := m.CreateBuckets(t.Context(), []BucketSpec{{Name: bucket}}); err != nil {
		t.Fatalf("CreateBuckets: %v", err)
	}
	failures := createQueues(t, m, QueueSpec{Name: unique("import-failures")})
	var failuresURL string
	for _, q := range failures {
		failuresURL = q.URL
	}
	inv := &fakeInvoker{respond: func(int, []byte) ([]byte, error) { return nil, errors.New("boom") }}
	noRetry := 0
	run(t, func(ctx context.Context) error {
		return m.SubscribeS3(ctx, S3Subscription{Function: "import", Bucket: bucket, Retries: &noRetry, OnFailureQueueURL: failuresURL}, inv, t.Output())
	})
	waitFor(t, 10*time.Second, "the notification configuration", func() bool {
		out, err := m.S3Client().GetBucketNotificationConfiguration(t.Context(), &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(bucket)})
		return err == nil && len(out.QueueConfigurations) == 1
	})
	if _, err := m.S3Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("imports/a.csv"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	var msgs []types.Message
	waitFor(t, 15*time.Second, "a record in the on-failure queue", func() bool {
		out, err := m.SQSClient().ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(failuresURL), WaitTimeSeconds: 1})
		msgs = out.Messages
		return err == nil && len(msgs) > 0
	})
	if got := inv.count(); got != 1 {
		t.Errorf("invocations: got %d, want 1 (no retry)", got)
	}
	var record struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload  events.S3Event `json:"requestPayload"`
		ResponsePayload struct {
			ErrorMessage string `json:"errorMessage"`
		} `json:"responsePayload"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &record); err != nil {
		t.Fatalf("record: %v\n%s", err, aws.ToString(msgs[0].Body))
	}
	if got, want := record.RequestContext.Condition, "RetriesExhausted"; got != want {
		t.Errorf("condition: got %q, want %q", got, want)
	}
	if got, want := record.RequestContext.ApproximateInvokeCount, 1; got != want {
		t.Errorf("approximateInvokeCount: got %d, want %d", got, want)
	}
	if len(record.RequestPayload.Records) != 1 || record.RequestPayload.Records[0].S3.Object.Key != "imports/a.csv" {
		t.Errorf("requestPayload: got %+v, want the S3 event of imports/a.csv", record.RequestPayload)
	}
	if got, want := record.ResponsePayload.ErrorMessage, "boom"; got != want {
		t.Errorf("responsePayload.errorMessage: got %q, want %q", got, want)
	}
}

// TestPutSecureStrings: a parameter put twice has two versions, which
// GetParameter serves decrypted, the older by the name:version selector.
func TestPutSecureStrings(t *testing.T) {
	m := needMoto(t)
	t.Parallel()
	name := "/" + unique("cursor-secret")
	for _, v := range []string{"first", "second"} {
		if err := m.PutSecureStrings(t.Context(), map[string]string{name: v}); err != nil {
			t.Fatalf("PutSecureStrings: %v", err)
		}
	}
	client := ssm.NewFromConfig(m.Config(t.Context()))
	for _, c := range []struct {
		name, want string
		version    int64
	}{{name, "second", 2}, {name + ":1", "first", 1}} {
		out, err := client.GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(c.name), WithDecryption: aws.Bool(true)})
		if err != nil {
			t.Fatalf("GetParameter(%s): %v", c.name, err)
		}
		if got := aws.ToString(out.Parameter.Value); got != c.want || out.Parameter.Version != c.version {
			t.Errorf("GetParameter(%s) = %q version %d, want %q version %d", c.name, got, out.Parameter.Version, c.want, c.version)
		}
		if out.Parameter.Type != ssmtypes.ParameterTypeSecureString {
			t.Errorf("GetParameter(%s) type = %s, want SecureString", c.name, out.Parameter.Type)
		}
	}
}
