package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/export"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/merge"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/tag"
)

// fixture is a deployed-like stack: every API route on a fresh table.
type fixture struct {
	api    *httpapi.API
	client *dynamodb.Client
	table  string
	people *contact.Service
	events *recorder
	talk   *conversation.Service
	sent   *outbox
	queued *jobQueue
	// bulk holds the bulk delete messages queued; bulkWorker runs them.
	bulk       *bulkQueue
	bulkWorker *bulk.Worker
	// companies is the companies' service (its UnlinkInline may be lowered).
	companies *company.Service
}

// fakeUploads gives upload URLs of a bucket that does not exist (the
// black-box tests in tests/ upload to moto's S3).
type fakeUploads struct{}

func (fakeUploads) UploadForm(_ context.Context, key, contentType string, _ int64, _ time.Duration) (string, map[string]string, error) {
	return "https://uploads.example.com/", map[string]string{"key": key, "Content-Type": contentType, "policy": "e30="}, nil
}

// fileLinks is the fixture's httpapi.JobLinks: a link per file of the job,
// as the jobs function presigns them.
func fileLinks(_ context.Context, j *jobs.Job) (map[string]string, error) {
	out := map[string]string{}
	for name, key := range j.Files {
		out[name] = "https://files.example.com/" + key
	}
	return out, nil
}

// bulkQueue is the fixture's bulk.Queue: it keeps the messages sent.
type bulkQueue struct {
	mu   sync.Mutex
	msgs []bulk.Message
}

func (q *bulkQueue) Send(_ context.Context, msgs []bulk.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, msgs...)
	return nil
}

// take removes and returns the messages queued so far.
func (q *bulkQueue) take() []bulk.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.msgs
	q.msgs = nil
	return out
}

// jobQueue is the fixture's jobs.Queue: it keeps the job ids queued.
type jobQueue struct {
	mu  sync.Mutex
	ids []string
}

func (q *jobQueue) Enqueue(_ context.Context, _, jobID string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = append(q.ids, jobID)
	return nil
}

// outbox is the fixture's conversation.OutboundPublisher: it keeps what is
// handed to the channel layer, and fails while failNext > 0.
type outbox struct {
	mu       sync.Mutex
	messages []conversation.Outbound
	failNext int
}

func (o *outbox) PublishOutbound(_ context.Context, m conversation.Outbound) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failNext > 0 {
		o.failNext--
		return errors.New("queue unavailable")
	}
	o.messages = append(o.messages, m)
	return nil
}

func (o *outbox) all() []conversation.Outbound {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]conversation.Outbound(nil), o.messages...)
}

// recorder is the fixture's contact.Publisher: it keeps what is published,
// and fails while failNext > 0.
type recorder struct {
	mu       sync.Mutex
	events   []contact.Event
	failNext int
}

func (r *recorder) Publish(_ context.Context, e contact.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failNext > 0 {
		r.failNext--
		return errors.New("queue unavailable")
	}
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Type+":"+e.ContactID)
	}
	return out
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	client, table := dynamotest.NewTable(t)
	return newFixtureOn(t, client, table)
}

func newFixtureOn(t *testing.T, client *dynamodb.Client, table string) *fixture {
	t.Helper()
	contacts := &dynamo.Contacts{Client: client, Table: table}
	tags := &dynamo.Tags{Client: client, Table: table}
	svc := &contact.Service{Contacts: contacts, Workspaces: &dynamo.Workspaces{Client: client, Table: table}, Tags: tags}
	codec, err := cursor.New([]byte("test-cursor-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	finder := &search.Service{Index: &dynamo.Search{Client: client, Table: table}, Contacts: svc, Workspaces: svc.Workspaces, Tags: tags, Cursors: codec}
	tagger := &tag.Service{Tags: tags, Contacts: contacts, People: svc}
	svc.TagRefs = tagger
	var routes []httpapi.Route
	routes = append(routes, httpapi.ContactRoutes(svc)...)
	keys := &dynamo.Idempotency{Client: client, Table: table}
	routes = append(routes, httpapi.TimelineRoutes(svc, contacts, codec, keys)...)
	routes = append(routes, httpapi.SearchRoutes(finder)...)
	routes = append(routes, httpapi.TagRoutes(tagger, keys)...)
	events := &recorder{}
	conversations := &dynamo.Conversations{Client: client, Table: table}
	routes = append(routes, httpapi.BlockRoutes(svc, contact.BlockEffects{Events: events, Conversations: conversations})...)
	sent := &outbox{}
	talk := &conversation.Service{People: svc, Store: conversations, Outbound: sent}
	routes = append(routes, httpapi.ConversationRoutes(talk, codec, keys)...)
	merges := &dynamo.Merges{Client: client, Table: table}
	js := &jobs.Service{Store: &dynamo.Jobs{Client: client, Table: table}, Permissions: svc}
	queued := &jobQueue{}
	routes = append(routes, httpapi.MergeRoutes(&merge.Service{People: svc, Store: merges}, contacts, codec, js, queued)...)
	routes = append(routes, httpapi.JobRoutes(js, codec, fileLinks)...)
	routes = append(routes, httpapi.ImportRoutes(&importer.Service{People: svc, Jobs: js, Uploads: fakeUploads{}})...)
	finderAll := &search.Service{Index: &dynamo.Search{Client: client, Table: table}, Contacts: svc, Workspaces: svc.Workspaces, Tags: tags}
	bulkQueue := &bulkQueue{}
	deleter := &bulk.Service{People: svc, Jobs: js, Search: finderAll, Counter: &dynamo.Search{Client: client, Table: table}, Batches: &dynamo.JobBatches{Client: client, Table: table}, Queue: bulkQueue}
	routes = append(routes, httpapi.BulkDeleteRoutes(deleter)...)
	companies := &dynamo.Companies{Client: client, Table: table}
	svc.Companies = companies
	companySvc := &company.Service{Companies: companies, Workspaces: svc.Workspaces, Cursors: codec, People: svc, Jobs: js, Queue: queued,
		FieldDefs: &dynamo.CompanyFields{Client: client, Table: table}}
	routes = append(routes, httpapi.CompanyRoutes(companySvc, keys)...)
	routes = append(routes, httpapi.CompanyTimelineRoutes(companySvc, companies, codec, keys)...)
	routes = append(routes, httpapi.ExportRoutes(&export.Service{Jobs: js, Search: finderAll, People: svc, Queue: queued})...)
	log := slog.New(slog.NewJSONHandler(testLog{t}, nil))
	f := &fixture{api: httpapi.New(httpapi.Config{Logger: log}, routes...), client: client, table: table, people: svc, events: events, talk: talk, sent: sent, queued: queued, bulk: bulkQueue, companies: companySvc}
	f.bulkWorker = &bulk.Worker{People: svc, Search: finderAll, Jobs: js.Store, Batches: deleter.Batches, Queue: bulkQueue}
	return f
}

// testLog shows the function's log lines in the test's output.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// call is one request, built on the sample event of the contacts function.
type call struct {
	route     string            // RouteKey, e.g. "GET /v1/contacts/{id}"
	id        string            // the {id} path parameter
	tagID     string            // the {tagId} path parameter
	params    map[string]string // other path parameters, e.g. {"channel": "sms"}
	query     map[string]string
	body      string
	workspace string // default "acme"
	role      string // default "owner"
	sub       string // default the sample's
	headers   map[string]string
	noAuth    bool
}

// result is a decoded response.
type result struct {
	status  int
	headers map[string]string
	body    map[string]any
	raw     string
}

func loadEvent(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("../../events/contacts.json")
	if err != nil {
		t.Fatalf("read sample event: %v", err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decode sample event: %v", err)
	}
	return ev
}

func (f *fixture) do(t *testing.T, c call) result {
	t.Helper()
	ev := loadEvent(t)
	ev.RouteKey = c.route
	ev.RequestContext.RouteKey = c.route
	method, path, _ := strings.Cut(c.route, " ")
	ev.RequestContext.HTTP.Method = method
	ev.PathParameters = nil
	if c.id != "" {
		path = strings.Replace(path, "{id}", c.id, 1)
		ev.PathParameters = map[string]string{"id": c.id}
	}
	if c.tagID != "" {
		path = strings.Replace(path, "{tagId}", c.tagID, 1)
		ev.PathParameters["tagId"] = c.tagID
	}
	for k, v := range c.params {
		path = strings.Replace(path, "{"+k+"}", v, 1)
		if ev.PathParameters == nil {
			ev.PathParameters = map[string]string{}
		}
		ev.PathParameters[k] = v
	}
	ev.QueryStringParameters = c.query
	ev.RawPath, ev.RequestContext.HTTP.Path = path, path
	ev.Body = c.body
	delete(ev.Headers, "idempotency-key")
	ev.Headers["accept-language"] = "en"
	for k, v := range c.headers {
		ev.Headers[strings.ToLower(k)] = v
	}
	claims := ev.RequestContext.Authorizer.JWT.Claims
	if c.workspace != "" {
		claims["workspace_id"] = c.workspace
	}
	if c.role != "" {
		claims["role"] = c.role
	}
	if c.sub != "" {
		claims["sub"] = c.sub
	}
	if c.noAuth {
		ev.RequestContext.Authorizer = nil
	}
	resp, err := f.api.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("%s: Handle returned error %v; client errors must be responses", c.route, err)
	}
	checkOpenAPIResponse(t, ev, resp) // docs/openapi.yaml: openapi_test.go
	if got := resp.Headers["Cache-Control"]; got != "no-store" {
		t.Errorf("%s answered %d with Cache-Control %q, want no-store", c.route, resp.StatusCode, got)
	}
	r := result{status: resp.StatusCode, headers: resp.Headers, raw: resp.Body}
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &r.body); err != nil {
			t.Fatalf("%s: response body is not a JSON object: %v: %s", c.route, err, resp.Body)
		}
	}
	return r
}

func (r result) want(t *testing.T, status int) result {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	if status >= 400 {
		if got := r.headers["Content-Type"]; got != "application/problem+json" {
			t.Errorf("Content-Type = %q, want application/problem+json", got)
		}
		if r.body["status"] != float64(status) || r.body["title"] == "" || r.body["type"] == "" || r.body["detail"] == "" {
			t.Errorf("problem body lacks type/title/status/detail: %s", r.raw)
		}
	}
	return r
}

// fieldErrors returns the problem's errors as "field:code".
func (r result) fieldErrors() []string {
	var out []string
	list, _ := r.body["errors"].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		out = append(out, m["field"].(string)+":"+m["code"].(string))
	}
	return out
}

// countItems counts every item of the table but the family counts (a
// test-only Scan).
func (f *fixture) countItems(t *testing.T) int {
	t.Helper()
	out, err := f.client.Scan(context.Background(), dynamotest.WithoutCounts(&dynamodb.ScanInput{TableName: &f.table, Select: types.SelectCount, ConsistentRead: aws.Bool(true)}))
	if err != nil {
		t.Fatalf("count items: %v", err)
	}
	return int(out.Count)
}

const mariaBody = `{"name":"Maria da Silva","phone":"(11) 99999-1234","email":"maria@example.com.br","taxId":"529.982.247-25","birthDate":"03/04/1985"}`

func (f *fixture) create(t *testing.T, body string) string {
	t.Helper()
	r := f.do(t, call{route: "POST /v1/contacts", body: body}).want(t, http.StatusCreated)
	return r.body["id"].(string)
}

func TestCreateReadUpdateDelete(t *testing.T) {
	f := newFixture(t)
	created := f.do(t, call{route: "POST /v1/contacts", body: mariaBody}).want(t, http.StatusCreated)
	id := created.body["id"].(string)
	if got, want := created.headers["Location"], "/v1/contacts/"+id; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got := created.headers["ETag"]; got != `"1"` {
		t.Errorf("ETag = %q, want \"1\"", got)
	}
	for field, want := range map[string]any{
		"name": "Maria da Silva", "firstName": "Maria", "lastName": "da Silva", "kind": "person",
		"phone": "+5511999991234", "email": "maria@example.com.br", "taxId": "529.982.247-25",
		"birthDate": "1985-04-03", "country": "BR", "blocked": false, "version": float64(1),
		"company": nil, "ownerId": nil,
	} {
		if got := created.body[field]; got != want {
			t.Errorf("%s = %#v, want %#v", field, got, want)
		}
	}
	if got := created.body["pendingActions"].([]any); len(got) != 0 {
		t.Errorf("pendingActions = %v, want []", got)
	}

	// The GET is the 201 without possibleDuplicates (a create's only).
	got := f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK)
	if want := strings.Replace(created.raw, `,"possibleDuplicates":[]`, "", 1); got.raw != want {
		t.Errorf("GET body differs from the created one:\n%s\n%s", got.raw, want)
	}

	patched := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, headers: map[string]string{"If-Match": `"1"`},
		body: `{"email":null,"company":"ACME Ltda","phone":"+55 11 8765-4321"}`}).want(t, http.StatusOK)
	if patched.body["email"] != nil || patched.body["company"] != "ACME Ltda" || patched.body["phone"] != "+5511987654321" || patched.body["version"] != float64(2) {
		t.Errorf("patched contact = %s", patched.raw)
	}
	if patched.headers["ETag"] != `"2"` {
		t.Errorf("ETag after patch = %q, want \"2\"", patched.headers["ETag"])
	}

	stale := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, headers: map[string]string{"If-Match": `"1"`}, body: `{"company":"Other"}`}).want(t, http.StatusPreconditionFailed)
	_ = stale
	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: id, headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusPreconditionFailed)
	if r := f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK); r.body["company"] != "ACME Ltda" {
		t.Errorf("a stale write changed the contact: %s", r.raw)
	}

	f.do(t, call{route: "DELETE /v1/contacts/{id}", id: id, headers: map[string]string{"If-Match": `"2"`}}).want(t, http.StatusNoContent)
	f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusNotFound)
	if n := f.countItems(t); n != 0 {
		t.Errorf("%d items left after deleting the only contact, want 0", n)
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, mariaBody)
	before := f.countItems(t)
	tests := []struct {
		name   string
		c      call
		status int
		fields []string
	}{
		{"malformed json", call{route: "POST /v1/contacts", body: `{"name": "Ana",`}, http.StatusBadRequest, nil},
		{"not an object", call{route: "POST /v1/contacts", body: `["Ana"]`}, http.StatusBadRequest, nil},
		{"empty body", call{route: "POST /v1/contacts", body: ``}, http.StatusBadRequest, nil},
		{"trailing data", call{route: "POST /v1/contacts", body: `{"email":"a@b.co"} {}`}, http.StatusBadRequest, nil},
		{"wrong type", call{route: "POST /v1/contacts", body: `{"email":"a@b.co","name":42}`}, http.StatusUnprocessableEntity, []string{"name:invalid_type"}},
		{"unparseable phone", call{route: "POST /v1/contacts", body: `{"phone":"99-9"}`}, http.StatusUnprocessableEntity, []string{"phone:phone_invalid"}},
		{"bad cpf", call{route: "POST /v1/contacts", body: `{"phone":"11999991234","taxId":"123.456.789-00"}`}, http.StatusUnprocessableEntity, []string{"taxId:tax_id_check_digits"}},
		{"no phone nor email", call{route: "POST /v1/contacts", body: `{"name":"Ana"}`}, http.StatusUnprocessableEntity, []string{"phone:phone_or_email_required"}},
		{"several rules", call{route: "POST /v1/contacts", body: `{"phone":"x","email":"y","birthDate":"2999-01-01"}`}, http.StatusUnprocessableEntity, []string{"phone:phone_invalid", "email:email_invalid", "birthDate:date_in_future"}},
		{"body too large", call{route: "POST /v1/contacts", body: `{"name":"` + strings.Repeat("a", httpapi.DefaultMaxBody) + `"}`}, http.StatusRequestEntityTooLarge, nil},
		{"patch removes phone and email", call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"phone":null,"email":null}`}, http.StatusUnprocessableEntity, []string{"phone:phone_or_email_required"}},
		{"patch read-only field", call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"blocked":true}`}, http.StatusUnprocessableEntity, []string{"blocked:read_only"}},
		{"patch malformed", call{route: "PATCH /v1/contacts/{id}", id: id, body: `nope`}, http.StatusBadRequest, nil},
		{"bad If-Match", call{route: "PATCH /v1/contacts/{id}", id: id, body: `{}`, headers: map[string]string{"If-Match": "v1"}}, http.StatusBadRequest, nil},
		{"stale If-Match", call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"company":"x"}`, headers: map[string]string{"If-Match": `"9"`}}, http.StatusPreconditionFailed, nil},
		{"unknown id", call{route: "GET /v1/contacts/{id}", id: "01jdx0000000000000000000zz"}, http.StatusNotFound, nil},
		{"malformed id", call{route: "GET /v1/contacts/{id}", id: "../../etc"}, http.StatusNotFound, nil},
		{"no token", call{route: "POST /v1/contacts", body: mariaBody, noAuth: true}, http.StatusUnauthorized, nil},
		{"unknown role", call{route: "POST /v1/contacts", body: mariaBody, role: "superuser"}, http.StatusUnauthorized, nil},
		{"workspace breaking the key", call{route: "POST /v1/contacts", body: mariaBody, workspace: "acme#C#x"}, http.StatusUnauthorized, nil},
		{"sub breaking the key", call{route: "POST /v1/contacts", body: mariaBody, sub: "user-1#inbound:phone:+5511955554444"}, http.StatusUnauthorized, nil},
		{"avatar over plain http", call{route: "POST /v1/contacts", body: `{"email":"a@b.co","avatarUrl":"http://cdn.example.com/a.png"}`}, http.StatusUnprocessableEntity, []string{"avatarUrl:url_invalid"}},
		{"patch avatar over plain http", call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"avatarUrl":"http://cdn.example.com/a.png"}`}, http.StatusUnprocessableEntity, []string{"avatarUrl:url_invalid"}},
		{"reserved Idempotency-Key", call{route: "POST /v1/contacts", body: mariaBody, headers: map[string]string{"Idempotency-Key": "inbound:phone:+5511999991234"}}, http.StatusBadRequest, nil},
		{"agent deletes", call{route: "DELETE /v1/contacts/{id}", id: id, role: "agent"}, http.StatusForbidden, nil},
		{"unknown route", call{route: "PUT /v1/contacts/{id}", id: id, body: `{}`}, http.StatusNotFound, nil},
		{"idempotency key with spaces", call{route: "POST /v1/contacts", body: mariaBody, headers: map[string]string{"Idempotency-Key": "a b"}}, http.StatusBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, tt.c).want(t, tt.status)
			if got := r.fieldErrors(); strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("errors = %v, want %v", got, tt.fields)
			}
		})
	}
	if after := f.countItems(t); after != before {
		t.Errorf("table has %d items after bad requests, want %d", after, before)
	}
	if r := f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK); r.body["version"] != float64(1) {
		t.Errorf("contact changed by bad requests: %s", r.raw)
	}
}

func TestPortugueseMessages(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, call{route: "POST /v1/contacts", body: `{"phone":"123"}`, headers: map[string]string{"Accept-Language": "pt-BR,pt;q=0.9"}}).want(t, http.StatusUnprocessableEntity)
	if got, want := r.body["detail"], "Alguns campos são inválidos."; got != want {
		t.Errorf("detail = %q, want %q", got, want)
	}
	msg := r.body["errors"].([]any)[0].(map[string]any)["message"]
	if got, want := msg, "Número de telefone inválido."; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if got := r.headers["Content-Language"]; got != "pt-BR" {
		t.Errorf("Content-Language = %q, want pt-BR", got)
	}
}

func TestIdempotentCreate(t *testing.T) {
	f := newFixture(t)
	key := map[string]string{"Idempotency-Key": "order-42"}
	first := f.do(t, call{route: "POST /v1/contacts", body: mariaBody, headers: key}).want(t, http.StatusCreated)
	reformatted := strings.ReplaceAll(mariaBody, `","`, `", "`)
	again := f.do(t, call{route: "POST /v1/contacts", body: reformatted, headers: key}).want(t, http.StatusCreated)
	if again.raw != first.raw {
		t.Errorf("replayed body differs:\n%s\n%s", again.raw, first.raw)
	}
	if again.headers["Idempotent-Replayed"] != "true" {
		t.Errorf("Idempotent-Replayed = %q, want true", again.headers["Idempotent-Replayed"])
	}
	f.do(t, call{route: "POST /v1/contacts", body: `{"email":"other@example.com"}`, headers: key}).want(t, http.StatusUnprocessableEntity)
	// Another workspace may use the same key for its own contact.
	other := f.do(t, call{route: "POST /v1/contacts", body: mariaBody, headers: key, workspace: "globex"}).want(t, http.StatusCreated)
	if other.body["id"] == first.body["id"] {
		t.Errorf("another workspace got the first workspace's contact")
	}
}

// TestTenantIsolation sends every route that names a contact with another
// workspace's token: each is a 404, and the contact is untouched.
func TestTenantIsolation(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, mariaBody)
	tagged := f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: id, body: `{"tags":["VIP"]}`}).want(t, http.StatusOK)
	tagID := tagged.body["tags"].([]any)[0].(map[string]any)["id"].(string)
	conv := f.startConversation(t, `{"contactId":"`+id+`","channel":"sms","teamId":"t1"}`, http.StatusCreated).body["id"].(string)
	before := f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK)
	tagsBefore := f.do(t, call{route: "GET /v1/tags"}).want(t, http.StatusOK)
	companyID := f.createCompany(t, `{"name":"Acme Ltda"}`)
	routes := 0
	for _, route := range f.api.RouteKeys() {
		if !strings.Contains(route, "{id}") {
			continue
		}
		routes++
		t.Run(route, func(t *testing.T) {
			c := call{route: route, id: id, tagID: tagID, workspace: "globex", body: `{"company":"Globex"}`, params: pathParams(route)}
			switch {
			case strings.Contains(route, "/v1/tags/{id}"):
				c.id, c.body = tagID, `{"name":"Globex"}`
			case strings.HasSuffix(route, "/tags"):
				c.body = `{"tags":["Globex"]}`
			case strings.HasPrefix(route, "POST /v1/companies/{id}/notes"):
				c.id, c.body = companyID, `{"text":"Globex"}`
			case strings.HasSuffix(route, "/notes"):
				c.body = `{"text":"Globex"}`
			case strings.HasSuffix(route, "/merge"):
				c.body = `{"sourceIds":["01jdx8k2m4n6p8r0s2t4v6w8y0"]}`
			case strings.Contains(route, "/v1/conversations/{id}"):
				c.id, c.body = conv, `{}`
			case strings.Contains(route, "/v1/companies/{id}"):
				c.id, c.body = companyID, `{"name":"Globex"}`
			}
			f.do(t, c).want(t, http.StatusNotFound)
		})
	}
	if routes < 3 {
		t.Fatalf("only %d routes name a contact, want at least 3", routes)
	}
	if got := f.do(t, call{route: "GET /v1/companies/{id}", id: companyID}).want(t, http.StatusOK); got.body["name"] != "Acme Ltda" || got.body["version"] != 1.0 {
		t.Errorf("company changed by another workspace: %s", got.raw)
	}
	after := f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK)
	if after.raw != before.raw {
		t.Errorf("contact changed by another workspace:\n%s\n%s", after.raw, before.raw)
	}
	if got := f.do(t, call{route: "GET /v1/tags"}).want(t, http.StatusOK); got.raw != tagsBefore.raw {
		t.Errorf("tags changed by another workspace:\n%s\n%s", got.raw, tagsBefore.raw)
	}
	for _, list := range []call{{route: "GET /v1/contacts"}, {route: "GET /v1/tags"}, {route: "GET /v1/contacts", query: map[string]string{"q": "maria"}},
		{route: "GET /v1/contacts/lookup", query: map[string]string{"phone": "(11) 99999-1234"}}} {
		list.workspace = "globex"
		if r := f.do(t, list).want(t, http.StatusOK); len(r.body["items"].([]any)) != 0 {
			t.Errorf("%s %v as another workspace lists %s", list.route, list.query, r.raw)
		}
	}
}

func TestBase64Body(t *testing.T) {
	f := newFixture(t)
	ev := loadEvent(t)
	ev.Body = base64.StdEncoding.EncodeToString([]byte(mariaBody))
	ev.IsBase64Encoded = true
	resp, err := f.api.Handle(context.Background(), ev)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("Handle(base64 body) = %d, %v; want 201: %s", resp.StatusCode, err, resp.Body)
	}
}

// TestInternalErrorsDoNotLeak points the service at a table that does not
// exist: the client gets a bare 500, the cause stays in the logs.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	client, _ := dynamotest.NewTable(t)
	f := newFixtureOn(t, client, "no-such-table")
	r := f.do(t, call{route: "POST /v1/contacts", body: mariaBody}).want(t, http.StatusInternalServerError)
	for _, leak := range []string{"no-such-table", "ResourceNotFound", "dynamodb", "operation error"} {
		if strings.Contains(strings.ToLower(r.raw), strings.ToLower(leak)) {
			t.Errorf("response leaks %q: %s", leak, r.raw)
		}
	}
}

// TestNamesStayInStep: a PATCH of the name re-derives its parts and a PATCH
// of a part re-derives the name, unless the patch sets both; the list shows
// the new name at once.
func TestNamesStayInStep(t *testing.T) {
	f := newFixture(t)
	id := f.create(t, `{"name":"Maria Souza","phone":"+5511999990001"}`)
	patch := func(body string) map[string]any {
		t.Helper()
		return f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: body}).want(t, http.StatusOK).body
	}
	names := func(c map[string]any) string {
		return fmt.Sprintf("%v|%v|%v", c["name"], c["firstName"], c["lastName"])
	}
	for _, step := range []struct{ body, want string }{
		{`{"name":"Maria da Silva"}`, "Maria da Silva|Maria|da Silva"},
		{`{"lastName":"Pereira"}`, "Maria Pereira|Maria|Pereira"},
		{`{"firstName":"Ana"}`, "Ana Pereira|Ana|Pereira"},
		{`{"name":"Dra. Ana","firstName":"Ana","lastName":"Lima"}`, "Dra. Ana|Ana|Lima"},
		{`{"company":"ACME"}`, "Dra. Ana|Ana|Lima"},
	} {
		if got := names(patch(step.body)); got != step.want {
			t.Errorf("PATCH %s: names = %s, want %s", step.body, got, step.want)
		}
	}
	list := items(f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"q": "dra"}}).want(t, http.StatusOK))
	if len(list) != 1 || list[0]["name"] != "Dra. Ana" {
		t.Errorf("search q=dra = %v, want the renamed contact", list)
	}
}

// TestCreateWithTags: a create may name tags (ids or names; unknown names
// are created) with the limits and errors of tagging a contact; the contact
// is listed under its tags at once.
func TestCreateWithTags(t *testing.T) {
	f := newFixture(t)
	vip := f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP"}`}).want(t, http.StatusCreated).body["id"].(string)
	r := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Rita","phone":"+5511988880001","tags":["` + vip + `","Lead quente","vip"]}`}).want(t, http.StatusCreated)
	var names []string
	for _, x := range r.body["tags"].([]any) {
		names = append(names, x.(map[string]any)["name"].(string))
	}
	if want := []string{"VIP", "Lead quente"}; !reflect.DeepEqual(names, want) {
		t.Errorf("tags = %v, want %v (the id and the name of VIP once, the new name created)", names, want)
	}
	list := items(f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"tag": "Lead quente"}}).want(t, http.StatusOK))
	if len(list) != 1 || list[0]["id"] != r.body["id"] {
		t.Errorf("GET /v1/contacts?tag=Lead quente = %v, want the new contact", list)
	}
	for _, tt := range []struct{ body, want string }{
		{`{"name":"A","phone":"+5511988880002","tags":"VIP"}`, "tags:invalid_type"},
		{`{"name":"A","phone":"+5511988880002","tags":[3]}`, "tags[0]:invalid_type"},
		{`{"name":"A","phone":"+5511988880002","tags":["01jdx4t0v1w2x3y4z5a6b7c8d9"]}`, "tags[0]:tag_unknown"},
	} {
		bad := f.do(t, call{route: "POST /v1/contacts", body: tt.body}).want(t, http.StatusUnprocessableEntity)
		if got := bad.fieldErrors(); !reflect.DeepEqual(got, []string{tt.want}) {
			t.Errorf("POST %s: errors = %v, want [%s]", tt.body, got, tt.want)
		}
	}
	many := make([]string, contact.MaxTagsPerContact+1)
	for i := range many {
		many[i] = fmt.Sprintf(`"t%d"`, i)
	}
	bad := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"A","phone":"+5511988880003","tags":[` + strings.Join(many, ",") + `]}`}).want(t, http.StatusUnprocessableEntity)
	if got := bad.fieldErrors(); !reflect.DeepEqual(got, []string{"tags:too_many"}) {
		t.Errorf("too many tags: errors = %v", got)
	}
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: r.body["id"].(string), body: `{"tags":["VIP"]}`}).want(t, http.StatusUnprocessableEntity)
}
