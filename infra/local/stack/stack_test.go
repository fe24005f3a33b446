package stack

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func load(t *testing.T, path string, opt Options) *Stack {
	t.Helper()
	st, err := Load(path, opt)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return st
}

func TestRepoTemplate(t *testing.T) {
	st := load(t, "../../../template.yaml", Options{StackName: "dev", Parameters: map[string]string{"CursorSecretParameter": "/dev/cursor"}})
	if got, want := st.Tables, []Table{{LogicalID: "Table", Name: "dev-Table"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Tables = %v, want %v", got, want)
	}
	fn := function(t, st, "ContactsFunction")
	if fn.Package != "./functions/contacts" {
		t.Errorf("Package = %q, want ./functions/contacts", fn.Package)
	}
	if fn.Timeout != 10*time.Second || fn.MemoryMB != 256 {
		t.Errorf("Timeout, MemoryMB = %v, %d; want the Globals 10s, 256", fn.Timeout, fn.MemoryMB)
	}
	if got, want := fn.Env, map[string]string{"TABLE_NAME": "dev-Table", "WORKSPACE_CLAIM": "workspace_id", "ROLE_CLAIM": "role", "CURSOR_SECRET_PARAMETER": "/dev/cursor"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Env = %v, want %v", got, want)
	}
	if !hasRoute(fn, Route{Method: "GET", Path: "/v1/contacts/{id}"}) {
		t.Errorf("Routes = %v, want GET /v1/contacts/{id} among them", fn.Routes)
	}
	if st.API == nil || st.API.CORS == nil || !reflect.DeepEqual(st.API.CORS.AllowOrigins, []string{"*"}) {
		t.Fatalf("API = %+v, want CORS allowing *", st.API)
	}
	if !reflect.DeepEqual(st.API.CORS.ExposeHeaders, []string{"ETag", "Location", "Idempotent-Replayed"}) {
		t.Errorf("ExposeHeaders = %v", st.API.CORS.ExposeHeaders)
	}
}

// TestRepoTemplateEventSources: the workers' event sources are declared
// outside the functions (event source mappings, the bucket's notification,
// the on-failure destination) and still reach them.
func TestRepoTemplateEventSources(t *testing.T) {
	st := load(t, "../../../template.yaml", Options{StackName: "dev", Parameters: map[string]string{"CursorSecretParameter": "/dev/cursor"}})
	inbound := function(t, st, "InboundFunction")
	want := []SQSEvent{{Queue: "InboundQueue", BatchSize: 10, MaximumBatchingWindow: time.Second, ReportBatchItemFailures: true, MaximumConcurrency: 20}}
	if !reflect.DeepEqual(inbound.SQS, want) {
		t.Errorf("InboundFunction SQS = %+v, want %+v", inbound.SQS, want)
	}
	imp := function(t, st, "ImportFunction")
	if got, want := imp.SQS, []SQSEvent{{Queue: "ImportQueue", BatchSize: 1, ReportBatchItemFailures: true, MaximumConcurrency: 5}}; !reflect.DeepEqual(got, want) {
		t.Errorf("ImportFunction SQS = %+v, want %+v", got, want)
	}
	if got, want := imp.S3, []S3Event{{Bucket: "ImportBucket", Events: []string{"s3:ObjectCreated:*"}, Prefix: "imports/"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("ImportFunction S3 = %+v, want %+v", got, want)
	}
	if imp.OnFailure != "ImportFileEventDeadLetterQueue" || imp.AsyncRetries != 2 {
		t.Errorf("ImportFunction OnFailure, AsyncRetries = %q, %d; want ImportFileEventDeadLetterQueue, 2", imp.OnFailure, imp.AsyncRetries)
	}
	if got, want := st.Parameters["CursorSecretParameter"], "/dev/cursor"; got != want {
		t.Errorf("Parameters[CursorSecretParameter] = %q, want %q", got, want)
	}
	if got, want := st.Parameters["JobWorkerMaxConcurrency"], "5"; got != want {
		t.Errorf("Parameters[JobWorkerMaxConcurrency] = %q, want the default %q", got, want)
	}
}

func TestProbeTemplate(t *testing.T) {
	st := load(t, filepath.Join("..", "..", "..", "tests", "testdata", "template.yaml"), Options{StackName: "t1", SQSEndpoint: "http://127.0.0.1:5000", FunctionRoot: "tests/testdata"})
	fn := function(t, st, "ProbeFunction")
	if fn.Package != "./tests/testdata/functions/probe" {
		t.Errorf("Package = %q", fn.Package)
	}
	if got, want := fn.Env["WORK_QUEUE_URL"], "http://127.0.0.1:5000/123456789012/t1-Work"; got != want {
		t.Errorf("WORK_QUEUE_URL = %q, want %q", got, want)
	}
	if got, want := fn.SQS, []SQSEvent{{Queue: "Work", BatchSize: 5, ReportBatchItemFailures: true}}; !reflect.DeepEqual(got, want) {
		t.Errorf("SQS = %+v, want %+v", got, want)
	}
	if got, want := fn.S3, []S3Event{{Bucket: "Uploads", Events: []string{"s3:ObjectCreated:*"}, Prefix: "incoming/"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("S3 = %+v, want %+v", got, want)
	}
	if !hasRoute(fn, Route{Method: "GET", Path: "/public", NoAuth: true}) {
		t.Errorf("Routes = %+v, want the public route without auth", fn.Routes)
	}
	wantQueues := []Queue{
		{LogicalID: "Work", Name: "t1-Work", VisibilityTimeout: 2, MessageRetentionPeriod: 345600, DeadLetterTarget: "WorkDLQ", MaxReceiveCount: 2},
		{LogicalID: "WorkDLQ", Name: "t1-WorkDLQ", VisibilityTimeout: 30, MessageRetentionPeriod: 345600},
	}
	if !reflect.DeepEqual(st.Queues, wantQueues) {
		t.Errorf("Queues = %+v\nwant %+v", st.Queues, wantQueues)
	}
	if got, want := st.Buckets, []Bucket{{LogicalID: "Uploads", Name: "t1-uploads"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Buckets = %v, want %v", got, want)
	}
	if st.API.Issuer != "https://issuer.example" || !reflect.DeepEqual(st.API.Audience, []string{"probe"}) {
		t.Errorf("API authorizer = %q %v", st.API.Issuer, st.API.Audience)
	}
}

func function(t *testing.T, st *Stack, id string) Function {
	t.Helper()
	for _, f := range st.Functions {
		if f.LogicalID == id {
			return f
		}
	}
	t.Fatalf("no function %s in %+v", id, st.Functions)
	return Function{}
}

func hasRoute(fn Function, r Route) bool {
	for _, x := range fn.Routes {
		if x == r {
			return true
		}
	}
	return false
}
