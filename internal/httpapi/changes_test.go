package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/omnichannel/contacts/infra/local/awsemu"
	"github.com/omnichannel/contacts/infra/local/template"
	"github.com/omnichannel/contacts/internal/changes"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/eventbus"
	"github.com/omnichannel/contacts/internal/lambdaevents"
)

// stream reads a fixture table's DynamoDB stream from where it last stopped,
// as Lambda's event source mapping does, and hands the records to the
// events function's handler in batches of 100.
type stream struct {
	client *dynamodbstreams.Client
	arn    string
	shards map[string]string // shard → next iterator
}

func (f *fixture) stream(t *testing.T) *stream {
	t.Helper()
	ctx := context.Background()
	out, err := f.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &f.table})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	s := &stream{arn: aws.ToString(out.Table.LatestStreamArn), shards: map[string]string{},
		client: dynamodbstreams.New(dynamodbstreams.Options{Region: "us-east-1", BaseEndpoint: &endpoint,
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})}
	if s.arn == "" {
		t.Fatal("the fixture's table has no stream: template.yaml's StreamSpecification?")
	}
	return s
}

// records returns every record written since the last call.
func (s *stream) records(t *testing.T) []streamtypes.Record {
	t.Helper()
	ctx := context.Background()
	desc, err := s.client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &s.arn})
	if err != nil {
		t.Fatal(err)
	}
	var out []streamtypes.Record
	for _, sh := range desc.StreamDescription.Shards {
		id := aws.ToString(sh.ShardId)
		it, ok := s.shards[id]
		if !ok {
			r, err := s.client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &s.arn, ShardId: &id, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			it = aws.ToString(r.ShardIterator)
		}
		for it != "" {
			r, err := s.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: &it})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r.Records...)
			next := aws.ToString(r.NextShardIterator)
			if len(r.Records) == 0 || next == "" {
				it = next
				break
			}
			it = next
		}
		s.shards[id] = it
	}
	return out
}

// batches cuts records into the events Lambda would hand the function.
func (s *stream) batches(records []streamtypes.Record, size int) []events.DynamoDBEvent {
	var out []events.DynamoDBEvent
	for len(records) > 0 {
		n := min(size, len(records))
		out = append(out, awsemu.StreamEvent(s.arn, records[:n]))
		records = records[n:]
	}
	return out
}

// fakeBridge is an EventBridge that keeps what it accepts and refuses the
// entries refuse says, as PutEvents reports a refused entry.
type fakeBridge struct {
	mu       sync.Mutex
	accepted []ebtypes.PutEventsRequestEntry
	calls    int
	refuse   func(call int, e ebtypes.PutEventsRequestEntry) bool
}

func (b *fakeBridge) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if len(in.Entries) > eventbus.MaxEntries {
		return nil, fmt.Errorf("ValidationException: %d entries", len(in.Entries))
	}
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		if b.refuse != nil && b.refuse(b.calls, e) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("Rate exceeded")})
			continue
		}
		b.accepted = append(b.accepted, e)
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprint(len(b.accepted)))})
	}
	return out, nil
}

// published is an event as a consumer gets it: its detail-type and detail.
type published struct {
	Type   string
	Detail map[string]any
}

func (b *fakeBridge) events(t *testing.T) []published {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []published
	for _, e := range b.accepted {
		if aws.ToString(e.Source) != changes.Source {
			t.Errorf("source %q", aws.ToString(e.Source))
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, published{aws.ToString(e.DetailType), d})
	}
	return out
}

// eventsHandler is the events function's handler on the fixture's table.
func (f *fixture) eventsHandler(bridge *fakeBridge) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	pub := &changes.Publisher{Tags: &dynamo.Tags{Client: f.client, Table: f.table},
		Bus: &eventbus.Bus{Client: bridge, Name: "contacts", Sleep: func(context.Context, time.Duration) {}}}
	return lambdaevents.Stream(slog.New(slog.NewTextHandler(io.Discard, nil)), dynamo.StreamImage, pub)
}

// publish runs the events function over what the table's stream has, and
// returns the events the bus accepted.
func (f *fixture) publish(t *testing.T, s *stream, bridge *fakeBridge) []published {
	t.Helper()
	h := f.eventsHandler(bridge)
	for _, ev := range s.batches(s.records(t), 100) {
		resp, err := h(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("events function: %v %v", resp, err)
		}
	}
	return bridge.events(t)
}

// ofContact keeps the events of one contact, as "type" or "type:detail".
func ofContact(evs []published, id string) []published {
	var out []published
	for _, e := range evs {
		if e.Detail["contactId"] == id {
			out = append(out, e)
		}
	}
	return out
}

func typesOf(evs []published) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// eventSchemas compiles docs/events/<detail-type>.json.
func eventSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	root, err := template.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	out := map[string]*jsonschema.Schema{}
	for _, typ := range changes.Types {
		path := filepath.Join(root, "docs", "events", typ+".json")
		s, err := c.Compile(path)
		if err != nil {
			t.Fatalf("schema of %s: %v", typ, err)
		}
		out[typ] = s
	}
	return out
}

// checkSchemas validates every event against its schema in docs/events/.
func checkSchemas(t *testing.T, evs []published) {
	t.Helper()
	schemas := eventSchemas(t)
	for _, e := range evs {
		s, ok := schemas[e.Type]
		if !ok {
			t.Errorf("event %s has no schema in docs/events/", e.Type)
			continue
		}
		raw, _ := json.Marshal(e.Detail)
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s does not match docs/events/%s.json: %v\n%s", e.Type, e.Type, err, raw)
		}
	}
}

// TestChangeEvents: the API's writes, read back from the table's stream by
// the events function, publish each change once, in order per contact,
// with the contact's version rising, and nothing for requests that failed.
func TestChangeEvents(t *testing.T) {
	f := newFixture(t)
	s := f.stream(t)
	bridge := &fakeBridge{}
	id := f.create(t, `{"name":"Maria Souza","phone":"(11) 98765-4321","tags":["VIP"]}`)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"name":"Maria S. Lima","company":"Acme"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"email":"not an email"}`}).want(t, http.StatusUnprocessableEntity)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"name":"x"}`, headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusPreconditionFailed)
	f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: id, body: `{"tags":["Atacado"]}`}).want(t, http.StatusOK)
	vip := f.getContact(t, id)["tags"].([]any)
	var vipID string
	for _, tg := range vip {
		if tg.(map[string]any)["name"] == "VIP" {
			vipID = tg.(map[string]any)["id"].(string)
		}
	}
	f.do(t, call{route: "DELETE /v1/contacts/{id}/tags/{tagId}", id: id, tagID: vipID}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: id}).want(t, http.StatusOK)
	f.do(t, call{route: "POST /v1/contacts/{id}/unblock", id: id}).want(t, http.StatusOK)
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: id}).want(t, http.StatusNoContent)

	evs := f.publish(t, s, bridge)
	mine := ofContact(evs, id)
	want := []string{changes.ContactCreated, changes.ContactTagged, changes.ContactUpdated, changes.ContactTagged,
		changes.ContactUntagged, changes.ContactBlocked, changes.ContactUnblocked, changes.ContactDeleted}
	if got := typesOf(mine); !slices.Equal(got, want) {
		t.Fatalf("events of the contact:\n got %v\nwant %v", got, want)
	}
	if got := mine[0].Detail["changes"].(map[string]any)["name"]; !jsonEqual(got, map[string]any{"old": nil, "new": "Maria Souza"}) {
		t.Errorf("created: name %v", got)
	}
	upd := mine[2].Detail["changes"].(map[string]any)
	if !jsonEqual(upd["name"], map[string]any{"old": "Maria Souza", "new": "Maria S. Lima"}) || !jsonEqual(upd["company"], map[string]any{"old": nil, "new": "Acme"}) || upd["phone"] != nil || upd["tags"] != nil {
		t.Errorf("updated: changes %v, want name, its parts and company with old and new values, nothing else", upd)
	}
	if mine[1].Detail["tagName"] != "VIP" || mine[3].Detail["tagName"] != "Atacado" || mine[4].Detail["tagId"] != vipID {
		t.Errorf("tag events: %v %v %v", mine[1].Detail, mine[3].Detail, mine[4].Detail)
	}
	last, seen := 0.0, map[string]bool{}
	for _, e := range mine {
		v, _ := e.Detail["version"].(float64)
		if v < last {
			t.Errorf("%s: version %v after %v", e.Type, v, last)
		}
		last = v
		if e.Detail["workspace"] != "acme" || e.Detail["at"] == nil || seen[e.Detail["id"].(string)] {
			t.Errorf("%s: detail %v", e.Type, e.Detail)
		}
		seen[e.Detail["id"].(string)] = true
		if e.Type != changes.ContactDeleted && e.Detail["actor"] == nil {
			t.Errorf("%s: no actor", e.Type)
		}
	}
	if n := len(evs) - len(mine); n != 0 {
		t.Errorf("%d events of no contact: %v", n, evs)
	}
	checkSchemas(t, evs)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
