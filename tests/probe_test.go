package tests

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/infra/local/platform"
	"github.com/omnichannel/contacts/infra/local/stack"
)

// probePlatform runs tests/testdata/template.yaml: one probe function behind
// HTTP routes, an S3 bucket and an SQS queue with a DLQ.
func probePlatform(t *testing.T) *platform.Platform {
	t.Helper()
	p, _ := startPlatform(t, "tests/testdata/template.yaml", "tests/testdata")
	return p
}

func awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       stack.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

func resource(t *testing.T, p *platform.Platform, kind, logicalID string) string {
	t.Helper()
	switch kind {
	case "queue":
		for _, q := range p.Stack.Queues {
			if q.LogicalID == logicalID {
				return q.Name
			}
		}
	case "bucket":
		for _, b := range p.Stack.Buckets {
			if b.LogicalID == logicalID {
				return b.Name
			}
		}
	case "bus":
		for _, b := range p.Stack.Buses {
			if b.LogicalID == logicalID {
				return b.Name
			}
		}
	case "table":
		for _, tb := range p.Stack.Tables {
			if tb.LogicalID == logicalID {
				return tb.Name
			}
		}
	}
	t.Fatalf("no %s %s in the stack", kind, logicalID)
	return ""
}

// seen returns how many times the probe recorded pk.
func seen(t *testing.T, p *platform.Platform, pk string) int {
	t.Helper()
	db := dynamodb.NewFromConfig(awsConfig(p.DynamoEndpoint))
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(resource(t, p, "table", "Table")), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "SEEN"}},
	})
	if err != nil {
		t.Fatalf("read probe record %s: %v", pk, err)
	}
	n, ok := out.Item["seen"].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	v, _ := strconv.Atoi(n.Value)
	return v
}

// eventually polls cond every 200 ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestProbeRoutesAndClaims(t *testing.T) {
	p := probePlatform(t)
	token, err := p.Token("user-9", "globex", "agent")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := send(t, "GET", p.APIURL+"/probe/caf%C3%A9?x=1&x=2", token, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, body %v", resp.StatusCode, body)
	}
	claims, _ := body["claims"].(map[string]any)
	if claims["workspace_id"] != "globex" || claims["role"] != "agent" || claims["sub"] != "user-9" {
		t.Errorf("claims = %v", claims)
	}
	if got := body["path"].(map[string]any)["name"]; got != "café" {
		t.Errorf("path parameter = %v, want café", got)
	}
	if got := body["query"].(map[string]any)["x"]; got != "1,2" {
		t.Errorf("query x = %v, want 1,2", got)
	}
	if resp, _ := send(t, "GET", p.APIURL+"/probe/x", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: status %d, want 401", resp.StatusCode)
	}
	if resp, _ := send(t, "GET", p.APIURL+"/public", "", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("public route without a token: status %d, want 200", resp.StatusCode)
	}
}

// TestFunctionTimeout: a function running past its Timeout (2 s) is killed,
// the route answers 504, and the next request gets a fresh instance.
func TestFunctionTimeout(t *testing.T) {
	p := probePlatform(t)
	token, _ := p.Token("u", "acme", "owner")
	fn := p.Function("ProbeFunction")
	before := fn.Stats()
	if resp, _ := send(t, "POST", p.APIURL+"/sleep", token, "3000"); resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", resp.StatusCode)
	}
	if got := fn.Stats().Timeouts - before.Timeouts; got != 1 {
		t.Errorf("timeouts counted = %d, want 1", got)
	}
	if resp, _ := send(t, "POST", p.APIURL+"/sleep", token, "10"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after a timeout: status %d, want 200", resp.StatusCode)
	}
	t.Logf("cold start of the probe function: %v", fn.Stats().LastColdStart)
}

func TestFunctionCrash(t *testing.T) {
	p := probePlatform(t)
	token, _ := p.Token("u", "acme", "owner")
	if resp, _ := send(t, "POST", p.APIURL+"/crash", token, ""); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	if resp, _ := send(t, "GET", p.APIURL+"/public", "", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("after a crash: status %d, want 200", resp.StatusCode)
	}
}

// TestPresignedUploadTriggersFunction uploads through a presigned PUT URL,
// as a browser would, and waits for the probe to record the S3 event.
func TestPresignedUploadTriggersFunction(t *testing.T) {
	p := probePlatform(t)
	ctx := context.Background()
	bucket := resource(t, p, "bucket", "Uploads")
	client := s3.NewFromConfig(awsConfig(p.MotoEndpoint), func(o *s3.Options) { o.UsePathStyle = true })
	presigned, err := s3.NewPresignClient(client).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("incoming/contacts 1.csv")})
	if err != nil {
		t.Fatal(err)
	}
	put := func(url string) {
		req, _ := http.NewRequest(presigned.Method, url, strings.NewReader("name;phone\nAna;11999991234\n"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("presigned PUT: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	put(presigned.URL)
	eventually(t, 20*time.Second, "the probe never saw the upload", func() bool {
		return seen(t, p, "S3#"+bucket+"/incoming/contacts+1.csv") >= 1
	})
	other, _ := s3.NewPresignClient(client).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("elsewhere/x.csv")})
	put(other.URL)
	time.Sleep(3 * time.Second)
	if n := seen(t, p, "S3#"+bucket+"/elsewhere/x.csv"); n != 0 {
		t.Errorf("an object outside the subscribed prefix invoked the function %d times", n)
	}
}

// TestSQSBatchFailureGoesToDLQ: one message of a batch fails (reported in
// batchItemFailures); the others are processed once, the failing one is
// retried and, after maxReceiveCount (2), lands in the DLQ.
func TestSQSBatchFailureGoesToDLQ(t *testing.T) {
	p := probePlatform(t)
	ctx := context.Background()
	q := sqs.NewFromConfig(awsConfig(p.MotoEndpoint))
	url := func(name string) string {
		out, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatalf("queue %s: %v", name, err)
		}
		return *out.QueueUrl
	}
	work, dlq := url(resource(t, p, "queue", "Work")), url(resource(t, p, "queue", "WorkDLQ"))
	tag := randomHex(3)
	for _, body := range []string{"ok-a-" + tag, "fail", "ok-b-" + tag} {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &work, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 20*time.Second, "the good messages were not processed", func() bool {
		return seen(t, p, "SQS#ok-a-"+tag) == 1 && seen(t, p, "SQS#ok-b-"+tag) == 1
	})
	var inDLQ []string
	eventually(t, 30*time.Second, "the failing message never reached the DLQ", func() bool {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			inDLQ = append(inDLQ, *m.Body)
		}
		return len(inDLQ) > 0
	})
	if len(inDLQ) != 1 || inDLQ[0] != "fail" {
		t.Errorf("DLQ holds %v, want just the failing message", inDLQ)
	}
	if n := seen(t, p, "SQS#fail"); n != 2 {
		t.Errorf("the failing message was tried %d times, want maxReceiveCount = 2", n)
	}
	if seen(t, p, "SQS#ok-a-"+tag) != 1 || seen(t, p, "SQS#ok-b-"+tag) != 1 {
		t.Errorf("a good message was processed more than once")
	}
}
