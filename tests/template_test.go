package tests

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/intrinsics"
	"gopkg.in/yaml.v3"

	"github.com/omnichannel/contacts/infra/local/stack"
	"github.com/omnichannel/contacts/internal/sheets"
)

// TestTemplateRules checks template.yaml for what a deploy needs and what
// reviews keep forgetting: every function's code and sample event exist,
// every SQS mapping reports partial failures and has a DLQ and a visibility
// timeout of at least 6 × the function's timeout, and no policy grants "*".
func TestTemplateRules(t *testing.T) {
	root := repoRoot(t)
	st, err := stack.Load(filepath.Join(root, "template.yaml"), stack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	queues := map[string]stack.Queue{}
	for _, q := range st.Queues {
		queues[q.LogicalID] = q
	}
	if len(st.Functions) < 4 {
		t.Fatalf("only %d functions in the template", len(st.Functions))
	}
	for _, fn := range st.Functions {
		if _, err := os.Stat(filepath.Join(root, fn.Package, "main.go")); err != nil {
			t.Errorf("%s: no %s/main.go", fn.LogicalID, fn.Package)
		}
		sample := filepath.Join(root, "events", strings.ToLower(strings.TrimSuffix(fn.LogicalID, "Function"))+".json")
		if _, err := os.Stat(sample); err != nil {
			t.Errorf("%s: no sample event %s", fn.LogicalID, sample)
		}
		for _, e := range fn.SQS {
			q := queues[e.Queue]
			if !e.ReportBatchItemFailures {
				t.Errorf("%s ← %s: FunctionResponseTypes lacks ReportBatchItemFailures", fn.LogicalID, e.Queue)
			}
			if q.DeadLetterTarget == "" || q.MaxReceiveCount == 0 {
				t.Errorf("%s: queue %s has no DLQ", fn.LogicalID, e.Queue)
			}
			if q.VisibilityTimeout < 6*int(fn.Timeout.Seconds()) {
				t.Errorf("%s: queue %s visibility timeout %ds < 6 × the function's %v", fn.LogicalID, e.Queue, q.VisibilityTimeout, fn.Timeout)
			}
		}
	}
	for _, v := range policyValues(t, filepath.Join(root, "template.yaml")) {
		// The only wildcard allowed is the objects under a named prefix of
		// a named bucket (arn:...:s3:::<bucket>/<prefix>/*): S3 has nothing narrower.
		if strings.Contains(v, "*") && !objectsUnderPrefix.MatchString(v) {
			t.Errorf("a policy grants %q: name the actions and resources", v)
		}
	}
}

var objectsUnderPrefix = regexp.MustCompile(`^arn:\$\{AWS::Partition\}:s3:::[^*]+/[a-z]+/\*$`)

// policyValues returns every Action and Resource string of the functions'
// policy statements (intrinsics such as !GetAtt appear as their arguments).
func policyValues(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *yaml.Node, inPolicy bool)
	walk = func(n *yaml.Node, inPolicy bool) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, inPolicy)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				if inPolicy && (k == "Action" || k == "Resource") {
					var vals []string
					if v.Kind == yaml.ScalarNode {
						vals = []string{v.Value}
					}
					for _, c := range v.Content {
						vals = append(vals, c.Value)
					}
					out = append(out, vals...)
				}
				walk(v, inPolicy || k == "Policies")
			}
		}
	}
	walk(&doc, false)
	if len(out) < 8 {
		t.Fatalf("found only %d policy values; is the walk right?", len(out))
	}
	return out
}

// TestTemplateAlarmsAndLogs keeps operations complete as functions and
// queues are added: every function has an Errors and a Throttles alarm and a
// log group with the retention parameter, every dead-letter queue has a
// depth alarm, and every alarm notifies an SNS topic of the template.
func TestTemplateAlarmsAndLogs(t *testing.T) {
	res := templateResources(t, filepath.Join(repoRoot(t), "template.yaml"))
	if n := len(ofType(res, "AWS::Serverless::Function")); n < 4 {
		t.Fatalf("only %d functions in the template; is the reading right?", n)
	}
	if len(deadLetterQueues(res)) == 0 {
		t.Fatal("no dead-letter queue found; is the reading right?")
	}
	for _, p := range opsProblems(res) {
		t.Error(p)
	}
}

// TestTemplateAlarmsCatchOmissions checks the check: a function, a queue with
// a DLQ and the alarms and log groups removed from a copy of the template
// must all be reported.
func TestTemplateAlarmsCatchOmissions(t *testing.T) {
	res := templateResources(t, filepath.Join(repoRoot(t), "template.yaml"))
	res["FakeExportFunction"] = map[string]any{"Type": "AWS::Serverless::Function", "Properties": map[string]any{}}
	res["FakeExportQueue"] = map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{
		"RedrivePolicy": map[string]any{"deadLetterTargetArn": map[string]any{"Fn::GetAtt": []any{"FakeExportDeadLetterQueue", "Arn"}}, "maxReceiveCount": 5},
	}}
	res["FakeExportDeadLetterQueue"] = map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{}}
	res["FakeImportFunction"] = map[string]any{"Type": "AWS::Serverless::Function", "Properties": map[string]any{
		"DeadLetterQueue": map[string]any{"Type": "SQS", "TargetArn": map[string]any{"Fn::GetAtt": "FakeImportFailures.Arn"}},
	}}
	res["FakeImportFailures"] = map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{}}
	res["FakeUploadFunction"] = map[string]any{"Type": "AWS::Serverless::Function", "Properties": map[string]any{
		"EventInvokeConfig": map[string]any{"DestinationConfig": map[string]any{"OnFailure": map[string]any{"Type": "SQS", "Destination": map[string]any{"Fn::GetAtt": []any{"FakeUploadEvents", "Arn"}}}}},
	}}
	res["FakeUploadEvents"] = map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{}}
	for id := range res {
		if id == "TagsFunctionThrottlesAlarm" || id == "SearchFunctionLogGroup" || id == "InboundDeadLetterQueueDepthAlarm" {
			delete(res, id)
		}
	}
	got := strings.Join(opsProblems(res), "\n")
	for _, want := range []string{
		"FakeExportFunction: no Errors alarm", "FakeExportFunction: no Throttles alarm", "FakeExportFunction: no log group",
		"FakeImportFunction: no Errors alarm", "FakeImportFunction: no log group",
		"FakeExportDeadLetterQueue: no depth alarm", "FakeImportFailures: no depth alarm", "InboundDeadLetterQueue: no depth alarm",
		"TagsFunction: no Throttles alarm", "SearchFunction: no log group", "FakeUploadEvents: no depth alarm",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not report %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ContactsFunction") {
		t.Errorf("ContactsFunction reported, though nothing of it was removed:\n%s", got)
	}
}

// templateResources reads the template's Resources with goformation, short
// forms (!Ref, !GetAtt, !Sub) turned into their long forms and left
// unresolved, so that what names what can be checked.
func templateResources(t *testing.T, file string) map[string]any {
	t.Helper()
	return templateDocument(t, file).Resources
}

// opsProblems lists what the operations rules find missing.
func opsProblems(res map[string]any) []string {
	topics := ofType(res, "AWS::SNS::Topic")
	notifies := func(props map[string]any) bool {
		actions, _ := props["AlarmActions"].([]any)
		for _, a := range actions {
			if topics[refName(a)] {
				return true
			}
		}
		return false
	}
	// alarmed[metric][dimension value] = the resource the alarm's dimension names.
	alarmed := map[string]map[string]bool{}
	var problems []string
	for id := range ofType(res, "AWS::CloudWatch::Alarm") {
		props := properties(res, id)
		if !notifies(props) {
			problems = append(problems, id+": AlarmActions names no AWS::SNS::Topic of the template")
		}
		metric := fmt.Sprint(props["Namespace"], " ", props["MetricName"])
		if metric == "AWS/SQS ApproximateNumberOfMessagesVisible" && !firesOnFirst(props) {
			problems = append(problems, id+": a dead-letter queue alarm must fire on the first message (> 0)")
		}
		dims, _ := props["Dimensions"].([]any)
		for _, d := range dims {
			dm, _ := d.(map[string]any)
			key := metric + " " + fmt.Sprint(dm["Name"])
			if alarmed[key] == nil {
				alarmed[key] = map[string]bool{}
			}
			alarmed[key][refName(dm["Value"])] = true
		}
	}
	for id := range ofType(res, "AWS::Logs::LogGroup") {
		if refName(properties(res, id)["RetentionInDays"]) != "LogRetentionDays" {
			problems = append(problems, id+": RetentionInDays must be !Ref LogRetentionDays")
		}
	}
	logGroups := ofType(res, "AWS::Logs::LogGroup")
	functions := ofType(res, "AWS::Serverless::Function")
	for id := range ofType(res, "AWS::Lambda::Function") {
		functions[id] = true
	}
	for _, fn := range sortedKeys(functions) {
		for _, metric := range []string{"Errors", "Throttles"} {
			if !alarmed["AWS/Lambda "+metric+" FunctionName"][fn] {
				problems = append(problems, fmt.Sprintf("%s: no %s alarm (AWS::CloudWatch::Alarm, Namespace AWS/Lambda, MetricName %s, dimension FunctionName: !Ref %s, notifying the alarm topic)", fn, metric, metric, fn))
			}
		}
		// Named by the function's LoggingConfig, the group exists (with its
		// retention) before the function: Lambda cannot create it first.
		if !logGroups[refName(stack.Path(properties(res, fn), "LoggingConfig", "LogGroup"))] {
			problems = append(problems, fmt.Sprintf(`%s: no log group (an AWS::Logs::LogGroup with RetentionInDays: !Ref LogRetentionDays, named by the function's LoggingConfig: {LogGroup: !Ref %sLogGroup})`, fn, fn))
		}
	}
	for _, q := range sortedKeys(deadLetterQueues(res)) {
		if !alarmed["AWS/SQS ApproximateNumberOfMessagesVisible QueueName"][q] {
			problems = append(problems, fmt.Sprintf("%s: no depth alarm (AWS::CloudWatch::Alarm, Namespace AWS/SQS, MetricName ApproximateNumberOfMessagesVisible > 0, dimension QueueName: !GetAtt %s.QueueName, notifying the alarm topic)", q, q))
		}
	}
	return problems
}

// deadLetterQueues returns the queues that are a dead-letter target: of a
// queue's RedrivePolicy, of a function's DeadLetterQueue or on-failure
// destination, or named so.
func deadLetterQueues(res map[string]any) map[string]bool {
	queues := ofType(res, "AWS::SQS::Queue")
	dlqs := map[string]bool{}
	for id := range queues {
		if strings.HasSuffix(id, "DeadLetterQueue") || strings.HasSuffix(id, "DLQ") {
			dlqs[id] = true
		}
		rp, _ := properties(res, id)["RedrivePolicy"].(map[string]any)
		if q := refName(rp["deadLetterTargetArn"]); queues[q] {
			dlqs[q] = true
		}
	}
	for _, typ := range []string{"AWS::Serverless::Function", "AWS::Lambda::Function"} {
		for id := range ofType(res, typ) {
			dl, _ := properties(res, id)["DeadLetterQueue"].(map[string]any)   // SAM
			cfg, _ := properties(res, id)["DeadLetterConfig"].(map[string]any) // CloudFormation
			onFailure := stack.Path(properties(res, id), "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")
			for _, target := range []any{dl["TargetArn"], cfg["TargetArn"], onFailure} {
				if q := refName(target); queues[q] {
					dlqs[q] = true
				}
			}
		}
	}
	return dlqs
}

// firesOnFirst tells whether an alarm goes off at the first datapoint above zero.
func firesOnFirst(props map[string]any) bool {
	th, _ := props["Threshold"].(float64)
	switch props["ComparisonOperator"] {
	case "GreaterThanThreshold":
		return th == 0
	case "GreaterThanOrEqualToThreshold":
		return th > 0 && th <= 1
	}
	return false
}

func ofType(res map[string]any, typ string) map[string]bool {
	out := map[string]bool{}
	for id, r := range res {
		if rm, ok := r.(map[string]any); ok && rm["Type"] == typ {
			out[id] = true
		}
	}
	return out
}

func properties(res map[string]any, id string) map[string]any {
	rm, _ := res[id].(map[string]any)
	props, _ := rm["Properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	return props
}

// refName returns the logical id (or parameter) a value names: {"Ref": X},
// {"Fn::GetAtt": "X.Attr"} or {"Fn::GetAtt": [X, Attr]}; "" otherwise.
func refName(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	switch g := m["Fn::GetAtt"].(type) {
	case string:
		id, _, _ := strings.Cut(g, ".")
		return id
	case []any:
		if len(g) > 0 {
			s, _ := g[0].(string)
			return s
		}
	}
	return ""
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestTemplateParametersInSamconfig: every parameter of the template without
// a Default is given in each samconfig.toml environment, and nothing given
// there is unknown to the template (a renamed parameter would be silently
// ignored by sam deploy).
func TestTemplateParametersInSamconfig(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Parameters map[string]map[string]any }
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(root, "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	given := samconfigOverrides(string(cfg))
	for _, env := range []string{"default", "prod"} {
		if _, ok := given[env]; !ok {
			t.Errorf("samconfig.toml has no [%s.deploy.parameters] parameter_overrides", env)
		}
	}
	for env, params := range given {
		for name, p := range doc.Parameters {
			if _, hasDefault := p["Default"]; !hasDefault && !params[name] {
				t.Errorf("samconfig.toml [%s]: parameter %s has no default in the template and is not given", env, name)
			}
		}
		for name := range params {
			if _, ok := doc.Parameters[name]; !ok {
				t.Errorf("samconfig.toml [%s]: %s is not a parameter of the template", env, name)
			}
		}
	}
}

// samconfigOverrides returns, per environment, the parameter names its
// deploy parameter_overrides array gives (`"Name=value",` lines).
func samconfigOverrides(cfg string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	env, inArray := "", false
	for _, line := range strings.Split(cfg, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "#") || line == "":
		case strings.HasPrefix(line, "["):
			env, inArray = "", false
			if e, ok := strings.CutSuffix(strings.Trim(line, "[]"), ".deploy.parameters"); ok {
				env = e
			}
		case env != "" && strings.HasPrefix(line, "parameter_overrides"):
			inArray = true
			if out[env] == nil {
				out[env] = map[string]bool{}
			}
		case inArray && strings.HasPrefix(line, "]"):
			inArray = false
		case inArray:
			if name, _, ok := strings.Cut(strings.Trim(line, `",`), "="); ok {
				out[env][name] = true
			}
		}
	}
	return out
}

// worstReadHeap is the peak heap of reading the costliest workbook the
// limits of internal/sheets let through, without GOMEMLIMIT (garbage
// included): BenchmarkReadXLSXAtEveryLimit, 574 MiB on 2026-12 (338 MiB
// with GOMEMLIMIT=400MiB).
const worstReadHeap = 574 << 20

// TestTemplateImportSizing: the import function has room for the worst
// file the limits of internal/sheets let through. On disk (/tmp, its
// ephemeral storage): a workbook's sheets and shared strings unpacked (at
// most the unzip limit), excelize's copy of the shared strings (at most as
// much again) and the file itself. In memory: the unzip limit is below the
// memory too, and the Go heap is held under GOMEMLIMIT, above what the
// worst workbook takes and below the memory. Sizes are read in the smaller
// unit (MB of 10^6 bytes), to be safe.
func TestTemplateImportSizing(t *testing.T) {
	res := templateResources(t, filepath.Join(repoRoot(t), "template.yaml"))
	props := properties(res, "ImportFunction")
	const mb = 1000 * 1000
	memory := int64(numberOf(t, props["MemorySize"])) * mb
	storage, _ := props["EphemeralStorage"].(map[string]any)
	disk := int64(numberOf(t, storage["Size"])) * mb
	if need := 2*sheets.DefaultUnzipSizeLimit + sheets.DefaultMaxBytes; disk <= need {
		t.Errorf("EphemeralStorage %d MB, want above %d MB (twice the unzip limit, and the file)", disk/mb, need/mb)
	}
	if sheets.DefaultUnzipSizeLimit >= memory {
		t.Errorf("unzip limit %d MB, want below the memory, %d MB", sheets.DefaultUnzipSizeLimit/mb, memory/mb)
	}
	env, _ := props["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	limit, _ := vars["GOMEMLIMIT"].(string)
	mib, err := strconv.ParseInt(strings.TrimSuffix(limit, "MiB"), 10, 64)
	if err != nil || !strings.HasSuffix(limit, "MiB") {
		t.Fatalf("GOMEMLIMIT = %q, want <n>MiB", limit)
	}
	if heap := mib << 20; heap >= memory*9/10 || heap <= worstReadHeap {
		t.Errorf("GOMEMLIMIT %d MiB, want above the heap of the worst workbook (%d MiB) and below 90%% of the memory (%d MB)", mib, worstReadHeap>>20, memory/mb)
	}
}

// numberOf returns a template number (YAML gives int or float).
func numberOf(t *testing.T, v any) float64 {
	t.Helper()
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

// TestTemplateSecurity: the stack as a security review wants it (issue 13):
// stage throttling and access logs with the caller, a concurrency cap on
// every worker, each SQS-triggered function's role touching only its own
// queues, TLS-only bucket policies, a queue policy on queues written from
// outside the stack, the S3 trigger's failure destination and scoped invoke
// permission, and no secret in any function's environment.
func TestTemplateSecurity(t *testing.T) {
	doc := templateDocument(t, filepath.Join(repoRoot(t), "template.yaml"))
	if len(ofType(doc.Resources, "AWS::Serverless::Function")) < 4 || len(ofType(doc.Resources, "AWS::S3::Bucket")) == 0 {
		t.Fatal("too few functions or no bucket found; is the reading right?")
	}
	for _, p := range securityProblems(doc) {
		t.Error(p)
	}
}

// TestTemplateSecurityCatchesOmissions checks the check: each control
// removed from a copy of the template is reported.
func TestTemplateSecurityCatchesOmissions(t *testing.T) {
	doc := templateDocument(t, filepath.Join(repoRoot(t), "template.yaml"))
	res := doc.Resources
	delete(res, "ExportBucketPolicy")
	delete(res, "InboundQueuePolicy")
	delete(properties(res, "ExportFunctionRuns"), "ScalingConfig")
	delete(properties(res, "ImportFunction"), "EventInvokeConfig")
	delete(properties(res, "ImportFunctionFileLandedPermission"), "SourceArn")
	delete(properties(res, "HttpApi"), "DefaultRouteSettings")
	properties(res, "HttpApi")["AccessLogSettings"] = map[string]any{"Format": `{"requestId":"$context.requestId"}`}
	// A SAM SQS event (SAM would add AWSLambdaSQSQueueExecutionRole) and a
	// receive grant on another function's queue.
	properties(res, "DuplicatesFunction")["Events"] = map[string]any{"Jobs": map[string]any{"Type": "SQS", "Properties": map[string]any{"Queue": map[string]any{"Fn::GetAtt": []any{"DuplicatesQueue", "Arn"}}}}}
	bulk := properties(res, "BulkDeleteFunction")
	bulk["Policies"] = append(bulk["Policies"].([]any), map[string]any{"Statement": []any{map[string]any{
		"Effect": "Allow", "Action": []any{"sqs:ReceiveMessage"}, "Resource": map[string]any{"Fn::GetAtt": []any{"InboundQueue", "Arn"}},
	}}}, "AWSLambdaSQSQueueExecutionRole")
	doc.Parameters["CursorSecret"] = map[string]any{"Type": "String", "NoEcho": true}
	env := stack.Path(properties(res, "SearchFunction"), "Environment", "Variables").(map[string]any)
	env["CURSOR_SECRET"] = map[string]any{"Ref": "CursorSecret"}

	got := strings.Join(securityProblems(doc), "\n")
	for _, want := range []string{
		"HttpApi: no stage throttling", "HttpApi: access log format",
		"ExportFunction: no concurrency cap", "ExportBucket: no bucket policy denying",
		"DuplicatesFunction: event Jobs of type SQS", "BulkDeleteFunction: a policy lets it touch InboundQueue",
		"BulkDeleteFunction: a managed policy", "InboundQueue: written from outside the stack",
		"ImportFunction: S3 invokes it but it has no on-failure destination",
		"ImportFunctionFileLandedPermission: S3 may invoke ImportFunction without SourceArn",
		"SearchFunction: environment variable CURSOR_SECRET",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not report %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ContactsFunction") || strings.Contains(got, "ImportBucket:") {
		t.Errorf("ContactsFunction or ImportBucket reported, though nothing of them was removed:\n%s", got)
	}
}

// document is a template with its intrinsics in long form, unresolved.
type document struct {
	Parameters map[string]map[string]any
	Globals    map[string]any
	Resources  map[string]any
}

func templateDocument(t *testing.T, file string) document {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	js, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var doc document
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// securityProblems lists what the security rules find missing.
func securityProblems(doc document) []string {
	res := doc.Resources
	problems := apiProblems(res)
	mapped := map[string][]string{} // function → the queues its event source mappings poll
	for _, id := range sortedKeys(ofType(res, "AWS::Lambda::EventSourceMapping")) {
		props := properties(res, id)
		fn, q := refName(props["FunctionName"]), refName(props["EventSourceArn"])
		if ofType(res, "AWS::DynamoDB::Table")[q] {
			// A stream's readers are one per shard and ParallelizationFactor.
			if props["ParallelizationFactor"] == nil && properties(res, fn)["ReservedConcurrentExecutions"] == nil {
				problems = append(problems, fn+": no concurrency bound (ParallelizationFactor on "+id+", or ReservedConcurrentExecutions)")
			}
			continue
		}
		mapped[fn] = append(mapped[fn], q)
		if stack.Path(props, "ScalingConfig", "MaximumConcurrency") == nil && properties(res, fn)["ReservedConcurrentExecutions"] == nil {
			problems = append(problems, fn+": no concurrency cap (ScalingConfig.MaximumConcurrency on "+id+", or ReservedConcurrentExecutions)")
		}
	}
	for _, fn := range sortedKeys(ofType(res, "AWS::Serverless::Function")) {
		problems = append(problems, roleProblems(res, fn, mapped[fn])...)
		problems = append(problems, environmentProblems(doc, fn)...)
	}
	problems = append(problems, bucketProblems(res)...)
	return append(problems, queuePolicyProblems(res, mapped)...)
}

// apiProblems: the HTTP API throttles its stage and logs every request with
// the caller's sub as JSON to a log group of the template.
func apiProblems(res map[string]any) []string {
	var problems []string
	for _, id := range sortedKeys(ofType(res, "AWS::Serverless::HttpApi")) {
		props := properties(res, id)
		rs, _ := props["DefaultRouteSettings"].(map[string]any)
		if rs["ThrottlingRateLimit"] == nil || rs["ThrottlingBurstLimit"] == nil {
			problems = append(problems, id+": no stage throttling (DefaultRouteSettings: ThrottlingRateLimit and ThrottlingBurstLimit)")
		}
		logs, _ := props["AccessLogSettings"].(map[string]any)
		format, _ := logs["Format"].(string)
		for _, v := range []string{"$context.requestId", "$context.routeKey", "$context.status", "$context.responseLatency", "$context.authorizer.claims.sub"} {
			if !strings.Contains(format, v) {
				problems = append(problems, fmt.Sprintf("%s: access log format lacks %s", id, v))
			}
		}
		sample := regexp.MustCompile(`\$context\.[A-Za-z.]+String`).ReplaceAllString(format, `"x"`)
		if !json.Valid([]byte(regexp.MustCompile(`\$context\.[A-Za-z.]+`).ReplaceAllString(sample, "x"))) {
			problems = append(problems, id+": access log format is not JSON")
		}
		if g := refName(logs["DestinationArn"]); !ofType(res, "AWS::Logs::LogGroup")[g] {
			problems = append(problems, id+": access logs go to no log group of the template")
		}
	}
	return problems
}

// roleProblems: a function polls queues only through event source mappings
// (a SAM SQS event adds the managed AWSLambdaSQSQueueExecutionRole, which
// grants every queue), and an SQS-triggered function's policies name only
// its own queues: those it is mapped from and its on-failure destination.
func roleProblems(res map[string]any, fn string, queues []string) []string {
	var problems []string
	props := properties(res, fn)
	events, _ := props["Events"].(map[string]any)
	for _, name := range sortedKeys(boolKeys(events)) {
		if ev, _ := events[name].(map[string]any); ev["Type"] == "SQS" {
			problems = append(problems, fmt.Sprintf("%s: event %s of type SQS: SAM adds AWSLambdaSQSQueueExecutionRole (receive and delete on every queue); use an AWS::Lambda::EventSourceMapping and a statement on the queue", fn, name))
		}
	}
	policies, _ := props["Policies"].([]any)
	for _, p := range policies {
		if name, ok := p.(string); ok && strings.Contains(name, "SQS") {
			problems = append(problems, fmt.Sprintf("%s: a managed policy (%s) grants queues beyond its own", fn, name))
		}
	}
	if len(queues) == 0 {
		return problems
	}
	own := map[string]bool{refName(stack.Path(props, "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")): true}
	for _, q := range queues {
		own[q] = true
	}
	receives := map[string]bool{}
	for _, st := range statements(props) {
		actions := strings.Join(stringsOf(st["Action"]), " ")
		if !strings.Contains(actions, "sqs:") {
			continue
		}
		for _, r := range anyList(st["Resource"]) {
			if q := refName(r); !own[q] {
				problems = append(problems, fmt.Sprintf("%s: a policy lets it touch %s; an SQS-triggered function may touch only its own queues", fn, cmp.Or(q, fmt.Sprint(r))))
			} else if strings.Contains(actions, "sqs:ReceiveMessage") {
				receives[q] = true
			}
		}
	}
	for _, q := range queues {
		if !receives[q] {
			problems = append(problems, fmt.Sprintf("%s: no statement allows sqs:ReceiveMessage on %s, which its event source mapping polls", fn, q))
		}
	}
	return problems
}

// environmentProblems: no secret in a function's environment: no NoEcho
// parameter, no variable named like a secret (a _PARAMETER variable names
// where the secret is kept, which is fine).
func environmentProblems(doc document, fn string) []string {
	var problems []string
	secretName := regexp.MustCompile(`(?i)secret|password|passwd|token|api_?key|private_?key`)
	for _, src := range []any{stack.Path(doc.Globals, "Function"), properties(doc.Resources, fn)} {
		m, _ := src.(map[string]any)
		vars, _ := stack.Path(m, "Environment", "Variables").(map[string]any)
		for _, name := range sortedKeys(boolKeys(vars)) {
			raw, _ := json.Marshal(vars[name])
			noEcho := false
			for p, def := range doc.Parameters {
				noEcho = noEcho || (def["NoEcho"] == true && strings.Contains(string(raw), `"`+p+`"`))
			}
			if noEcho || (secretName.MatchString(name) && !strings.HasSuffix(name, "_PARAMETER")) {
				problems = append(problems, fmt.Sprintf("%s: environment variable %s holds a secret; read it at cold start from SSM Parameter Store instead", fn, name))
			}
		}
	}
	return problems
}

// bucketProblems: every bucket denies requests without TLS, and S3 invokes a
// function only from its bucket (SourceArn, SourceAccount), which sends the
// events that failed to an on-failure destination.
func bucketProblems(res map[string]any) []string {
	var problems []string
	tlsOnly, invoked := map[string]bool{}, map[string]bool{} // buckets; functions S3 invokes
	for id := range ofType(res, "AWS::S3::BucketPolicy") {
		props := properties(res, id)
		for _, st := range anyList(stack.Path(props, "PolicyDocument", "Statement")) {
			sm, _ := st.(map[string]any)
			if sm["Effect"] == "Deny" && sm["Principal"] == "*" && fmt.Sprint(stack.Path(sm, "Condition", "Bool", "aws:SecureTransport")) == "false" {
				tlsOnly[refName(props["Bucket"])] = true
			}
		}
	}
	for _, b := range sortedKeys(ofType(res, "AWS::S3::Bucket")) {
		if !tlsOnly[b] {
			problems = append(problems, b+`: no bucket policy denying requests without TLS (Effect: Deny, Principal: "*", Condition: {Bool: {aws:SecureTransport: "false"}})`)
		}
		for _, c := range anyList(stack.Path(properties(res, b), "NotificationConfiguration", "LambdaConfigurations")) {
			invoked[refName(stack.Path(c.(map[string]any), "Function"))] = true
		}
	}
	for _, fn := range sortedKeys(ofType(res, "AWS::Serverless::Function")) {
		events, _ := properties(res, fn)["Events"].(map[string]any)
		for _, name := range sortedKeys(boolKeys(events)) {
			if ev, _ := events[name].(map[string]any); ev["Type"] == "S3" {
				invoked[fn] = true
				problems = append(problems, fmt.Sprintf("%s: event %s of type S3: SAM's invoke permission has no SourceArn; use the bucket's NotificationConfiguration and an AWS::Lambda::Permission with SourceArn and SourceAccount", fn, name))
			}
		}
	}
	for _, fn := range sortedKeys(invoked) {
		if stack.Path(properties(res, fn), "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination") == nil {
			problems = append(problems, fn+": S3 invokes it but it has no on-failure destination (EventInvokeConfig.DestinationConfig.OnFailure): a failed event would be lost")
		}
	}
	for _, id := range sortedKeys(ofType(res, "AWS::Lambda::Permission")) {
		props := properties(res, id)
		if props["Principal"] == "s3.amazonaws.com" && (props["SourceArn"] == nil || props["SourceAccount"] == nil) {
			problems = append(problems, fmt.Sprintf("%s: S3 may invoke %s without SourceArn and SourceAccount: any bucket could", id, refName(props["FunctionName"])))
		}
	}
	return problems
}

// queuePolicyProblems: a queue a function polls that no function of the
// stack sends to is written from outside it, and must say by whom.
func queuePolicyProblems(res map[string]any, mapped map[string][]string) []string {
	sent, policed := map[string]bool{}, map[string]bool{}
	for fn := range ofType(res, "AWS::Serverless::Function") {
		for _, st := range statements(properties(res, fn)) {
			if strings.Contains(strings.Join(stringsOf(st["Action"]), " "), "sqs:SendMessage") {
				for _, r := range anyList(st["Resource"]) {
					sent[refName(r)] = true
				}
			}
		}
	}
	for id := range ofType(res, "AWS::SQS::QueuePolicy") {
		for _, q := range anyList(properties(res, id)["Queues"]) {
			policed[refName(q)] = true
		}
	}
	var problems []string
	for _, fn := range sortedKeys(boolKeys(mapped)) {
		for _, q := range mapped[fn] {
			if !sent[q] && !policed[q] {
				problems = append(problems, q+": written from outside the stack, but no AWS::SQS::QueuePolicy says who may send to it")
			}
		}
	}
	return problems
}

// statements returns the policy statements of a function's Policies.
func statements(props map[string]any) []map[string]any {
	var out []map[string]any
	for _, p := range anyList(props["Policies"]) {
		pm, _ := p.(map[string]any)
		for _, st := range anyList(pm["Statement"]) {
			if sm, ok := st.(map[string]any); ok {
				out = append(out, sm)
			}
		}
	}
	return out
}

// anyList returns v as a list: itself, or a list of it.
func anyList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func stringsOf(v any) []string {
	var out []string
	for _, x := range anyList(v) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func boolKeys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
