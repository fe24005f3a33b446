package tests

import (
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
		"TagsFunction: no Throttles alarm", "SearchFunction: no log group",
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
func templateResources(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	js, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Resources map[string]any }
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Resources
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
	logGroups := map[string]bool{} // function logical id → has a log group with the retention parameter
	for id := range ofType(res, "AWS::Logs::LogGroup") {
		props := properties(res, id)
		sub, _ := subString(props["LogGroupName"])
		fn, ok := strings.CutPrefix(sub, "/aws/lambda/${")
		if !ok || !strings.HasSuffix(fn, "}") {
			continue
		}
		if refName(props["RetentionInDays"]) != "LogRetentionDays" {
			problems = append(problems, id+": RetentionInDays must be !Ref LogRetentionDays")
			continue
		}
		logGroups[strings.TrimSuffix(fn, "}")] = true
	}
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
		if !logGroups[fn] {
			problems = append(problems, fmt.Sprintf(`%s: no log group (AWS::Logs::LogGroup, LogGroupName: !Sub "/aws/lambda/${%s}", RetentionInDays: !Ref LogRetentionDays)`, fn, fn))
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
// queue's RedrivePolicy, of a function's DeadLetterQueue, or named so.
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
			for _, target := range []any{dl["TargetArn"], cfg["TargetArn"]} {
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

// subString returns the template string of {"Fn::Sub": s} or {"Fn::Sub": [s, vars]}.
func subString(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	switch s := m["Fn::Sub"].(type) {
	case string:
		return s, true
	case []any:
		if len(s) > 0 {
			str, ok := s[0].(string)
			return str, ok
		}
	}
	return "", false
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
