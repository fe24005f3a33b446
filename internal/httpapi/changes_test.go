package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/omnichannel/contacts/infra/local/awsemu"
	"github.com/omnichannel/contacts/infra/local/template"
	"github.com/omnichannel/contacts/internal/changes"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/eventbus"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/tenant"
)

// newStreamFixture is newFixture on a table with the template's stream.
func newStreamFixture(t *testing.T) *fixture {
	t.Helper()
	client, table := dynamotest.NewStreamTable(t)
	return newFixtureOn(t, client, table)
}

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
	s := &stream{arn: aws.ToString(out.Table.LatestStreamArn), shards: map[string]string{},
		client: awsemu.NewStreamsClient(os.Getenv("DYNAMODB_ENDPOINT"))}
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
	return lambdaevents.Stream(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})), dynamo.StreamImage, pub)
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

// ofContact keeps the events of one contact.
func ofContact(evs []published, id string) []published { return withDetail(evs, "contactId", id) }

// withDetail keeps the events whose detail's member key is id.
func withDetail(evs []published, key, id string) []published {
	var out []published
	for _, e := range evs {
		if e.Detail[key] == id {
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
	f := newStreamFixture(t)
	s := f.stream(t)
	bridge := &fakeBridge{}
	id := f.create(t, `{"name":"Maria Souza","phone":"(11) 98765-4321","tags":["VIP"]}`)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"name":"Maria S. Lima","company":"Acme","externalId":"erp-7","otherPhones":["(21) 97777-0001"]}`}).want(t, http.StatusOK)
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
	if !jsonEqual(upd["name"], map[string]any{"old": "Maria Souza", "new": "Maria S. Lima"}) || !jsonEqual(upd["company"], map[string]any{"old": nil, "new": "Acme"}) || !jsonEqual(upd["externalId"], map[string]any{"old": nil, "new": "erp-7"}) ||
		!jsonEqual(upd["otherPhones"], map[string]any{"old": nil, "new": []any{"+5521977770001"}}) || upd["phone"] != nil || upd["tags"] != nil {
		t.Errorf("updated: changes %v, want name, its parts, company, externalId and otherPhones with old and new values, nothing else", upd)
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

// sampleStreamEvent loads events/events.json, the events function's sample:
// a stream batch as Lambda hands it (a tag, a contact created, its phone
// lookup, the contact changed, deleted, an index entry deleted).
func sampleStreamEvent(t *testing.T) events.DynamoDBEvent {
	t.Helper()
	b, err := os.ReadFile("../../events/events.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("events/events.json is not a DynamoDB stream event: %v", err)
	}
	return ev
}

// TestSampleStreamEvent: the sample publishes created, tagged, updated and
// deleted; delivered again (Lambda redelivers after a crash), it publishes
// the same events with the same ids, so a consumer drops the repeats.
func TestSampleStreamEvent(t *testing.T) {
	f := newStreamFixture(t)
	ev := sampleStreamEvent(t)
	bridge := &fakeBridge{}
	h := f.eventsHandler(bridge)
	for range 2 {
		if resp, err := h(context.Background(), ev); err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("events function: %v %v", resp, err)
		}
	}
	evs := bridge.events(t)
	want := []string{changes.ContactCreated, changes.ContactTagged, changes.ContactUpdated, changes.ContactDeleted}
	if got := typesOf(evs); !slices.Equal(got, append(want, want...)) {
		t.Fatalf("published %v, want %v twice", got, want)
	}
	for i := range want {
		if a, b := evs[i].Detail["id"], evs[i+len(want)].Detail["id"]; a != b || a == "" {
			t.Errorf("redelivered %s has id %v, first %v", evs[i].Type, b, a)
		}
	}
	checkSchemas(t, evs)
}

// TestEventsPutFailures: an entry EventBridge refuses is sent again; one it
// keeps refusing makes the function report its record, so Lambda reads the
// shard again from there: nothing before it is sent twice, nothing after it
// is lost.
func TestEventsPutFailures(t *testing.T) {
	f := newStreamFixture(t)
	ev := sampleStreamEvent(t)

	once := &fakeBridge{refuse: func(call int, e ebtypes.PutEventsRequestEntry) bool {
		return call == 1 && aws.ToString(e.DetailType) == changes.ContactTagged
	}}
	if resp, err := f.eventsHandler(once)(context.Background(), ev); err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("a refusal retried: %v %v", resp, err)
	}
	if got := typesOf(once.events(t)); len(got) != 4 || once.calls != 2 {
		t.Errorf("after one refusal: %v in %d calls, want 4 events in 2", got, once.calls)
	}

	always := &fakeBridge{refuse: func(_ int, e ebtypes.PutEventsRequestEntry) bool {
		return aws.ToString(e.DetailType) == changes.ContactUpdated
	}}
	resp, err := f.eventsHandler(always)(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("refused for good: %v %v, want the record reported", resp, err)
	}
	from := resp.BatchItemFailures[0].ItemIdentifier
	modify := slices.IndexFunc(ev.Records, func(r events.DynamoDBEventRecord) bool { return r.EventName == "MODIFY" })
	if want := ev.Records[modify].Change.SequenceNumber; from != want {
		t.Errorf("reported record %s, want %s (the update's)", from, want)
	}
	if got := typesOf(always.events(t)); len(got) < 2 || got[0] != changes.ContactCreated || got[1] != changes.ContactTagged {
		t.Errorf("published before the refused one: %v", got)
	}
	// Lambda hands the records from the reported one again.
	always.refuse = nil
	again := events.DynamoDBEvent{Records: ev.Records[modify:]}
	if resp, err := f.eventsHandler(always)(context.Background(), again); err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("retry: %v %v", resp, err)
	}
	got := typesOf(always.events(t))
	if n := len(got); n < 4 || got[n-2] != changes.ContactUpdated || got[n-1] != changes.ContactDeleted {
		t.Errorf("after the retry: %v, want it to end with updated, deleted", got)
	}
}

// TestChangeEventsOfMergesConversationsJobs: a merge publishes
// contact.merged (not the sources' deletion), its undo merge_undone; a
// conversation's start and close publish theirs; an export's end publishes
// export.finished once, however often its job item is written.
func TestChangeEventsOfMergesConversationsJobs(t *testing.T) {
	f := newStreamFixture(t)
	s := f.stream(t)
	bridge := &fakeBridge{}
	ids := f.createInOrder(t, `{"name":"Ana Lima","phone":"(11) 91111-1111"}`, `{"name":"Ana L.","email":"ana@example.com"}`)
	m := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: ids[0], body: `{"sourceIds":["` + ids[1] + `"]}`}).want(t, http.StatusOK)
	mergeID := m.body["id"].(string)
	f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": mergeID}, body: `{}`}).want(t, http.StatusOK)
	conv := f.startConversation(t, `{"contactId":"`+ids[0]+`","channel":"sms","teamId":"t1"}`, http.StatusCreated).body["id"].(string)
	f.closeConversation(t, conv, `{"reason":"resolvido"}`, http.StatusOK)
	f.closeConversation(t, conv, `{}`, http.StatusOK) // closed already: no event

	evs := f.publish(t, s, bridge)
	var got []string
	for _, e := range evs {
		if e.Type != changes.ContactCreated && e.Type != changes.ContactUpdated {
			got = append(got, e.Type)
		}
	}
	want := []string{changes.ContactMerged, changes.ContactMergeUndone, changes.ConversationStarted, changes.ConversationClosed}
	if !slices.Equal(got, want) {
		t.Fatalf("events: %v, want %v (besides created and updated)", got, want)
	}
	for _, e := range evs {
		switch e.Type {
		case changes.ContactMerged, changes.ContactMergeUndone:
			if e.Detail["mergeId"] != mergeID || e.Detail["targetId"] != ids[0] || !jsonEqual(e.Detail["sourceIds"], []string{ids[1]}) {
				t.Errorf("%s: %v", e.Type, e.Detail)
			}
		case changes.ConversationStarted, changes.ConversationClosed:
			if e.Detail["conversationId"] != conv || e.Detail["channel"] != "sms" || e.Detail["contactId"] != ids[0] {
				t.Errorf("%s: %v", e.Type, e.Detail)
			}
		}
	}
	if e := evs[slices.IndexFunc(evs, func(e published) bool { return e.Type == changes.ConversationClosed })]; e.Detail["reason"] != "resolvido" || e.Detail["actor"] == nil {
		t.Errorf("closed: %v", e.Detail)
	}
	checkSchemas(t, evs)
}

// TestBulkDeleteEvents: deleting 2,000 contacts in a bulk delete publishes
// 2,000 contact.deleted, one per contact, and one bulk_delete.finished.
func TestBulkDeleteEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 contacts")
	}
	const n = 2000
	f := newStreamFixture(t)
	start := time.Now()
	owner := tenant.Caller{Workspace: "acme", Subject: "owner-1", Role: tenant.Owner}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				_, _, err := f.people.Create(context.Background(), owner, contact.CreateRequest{Document: map[string]any{"name": fmt.Sprintf("Pessoa %04d", i), "email": fmt.Sprintf("p%d@example.com", i)}})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("created %d contacts in %v", n, time.Since(start))
	s := f.stream(t)
	s.records(t) // the creations: not this test's
	t.Logf("read their stream in %v", time.Since(start))
	bridge := &fakeBridge{}
	f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: fmt.Sprintf(`{"all":true,"confirmCount":%d}`, n)}).want(t, http.StatusAccepted)
	f.drainBulk(t)
	t.Logf("deleted in %v", time.Since(start))
	evs := f.publish(t, s, bridge)
	t.Logf("published in %v", time.Since(start))
	deleted, finished := map[string]bool{}, 0
	for _, e := range evs {
		switch e.Type {
		case changes.ContactDeleted:
			deleted[e.Detail["contactId"].(string)] = true
		case changes.BulkDeleteFinished:
			finished++
			if e.Detail["status"] != "succeeded" || e.Detail["counts"].(map[string]any)["deleted"] != float64(n) {
				t.Errorf("finished: %v", e.Detail)
			}
		default:
			t.Errorf("unexpected %s", e.Type)
		}
	}
	if len(deleted) != n || finished != 1 || len(evs) != n+1 {
		t.Errorf("%d contact.deleted for %d contacts, %d bulk_delete.finished, %d events in all", len(deleted), n, finished, len(evs))
	}
	if max := (len(evs) + eventbus.MaxEntries - 1) / eventbus.MaxEntries; bridge.calls > max+len(evs)/100+1 {
		t.Errorf("%d PutEvents calls for %d events", bridge.calls, len(evs))
	}
}
