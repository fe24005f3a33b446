// Package stack reads template.yaml into what the local platform runs: the
// functions with their environment, routes and event sources, and the
// tables, queues, buckets and HTTP API they use. Intrinsic functions that
// name resources (Ref, Fn::GetAtt, Fn::Sub) resolve to the local names, so
// a function sees locally what it would see deployed.
package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// Local account and region, as the emulators use them.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// Stack is the part of a template the local platform runs.
type Stack struct {
	Name       string
	Parameters map[string]string // every template parameter's value: its default or the override
	Functions  []Function
	Tables     []Table
	Queues     []Queue
	Buckets    []Bucket
	Buses      []Bus
	Rules      []Rule
	API        *HTTPAPI // nil when the template has no AWS::Serverless::HttpApi
}

// Function is an AWS::Serverless::Function with Globals applied.
type Function struct {
	LogicalID string
	Package   string // Go package of its main, relative to the module root, e.g. "./functions/contacts"
	Timeout   time.Duration
	MemoryMB  int
	Env       map[string]string
	Routes    []Route
	SQS       []SQSEvent    // SAM SQS events and AWS::Lambda::EventSourceMapping resources
	Streams   []StreamEvent // AWS::Lambda::EventSourceMapping resources of a table's stream
	S3        []S3Event     // SAM S3 events and buckets' NotificationConfiguration.LambdaConfigurations
	// OnFailure is the logical id of the queue that asynchronous invocations
	// (S3 events) go to once their retries are spent, "" for none
	// (EventInvokeConfig.DestinationConfig.OnFailure).
	OnFailure string
	// AsyncRetries is how many times a failed asynchronous invocation is
	// retried (EventInvokeConfig.MaximumRetryAttempts; Lambda's default 2).
	AsyncRetries int
}

// Route is an HttpApi event of a function.
type Route struct {
	Method string
	Path   string
	NoAuth bool
}

// SQSEvent is an SQS event source mapping.
type SQSEvent struct {
	Queue                   string // logical id
	BatchSize               int
	MaximumBatchingWindow   time.Duration
	ReportBatchItemFailures bool
	MaximumConcurrency      int // ScalingConfig.MaximumConcurrency; 0 for none
}

// StreamEvent is a DynamoDB stream event source mapping.
type StreamEvent struct {
	Table                   string // logical id
	BatchSize               int
	StartingPosition        string
	ReportBatchItemFailures bool
	MaximumRetryAttempts    int    // -1: until the records expire
	OnFailure               string // logical id of the queue, "" for none
}

// S3Event is an S3 event subscription.
type S3Event struct {
	Bucket         string // logical id
	Events         []string
	Prefix, Suffix string
}

// Table is an AWS::DynamoDB::Table.
type Table struct{ LogicalID, Name string }

// Queue is an AWS::SQS::Queue.
type Queue struct {
	LogicalID              string
	Name                   string
	FIFO                   bool
	VisibilityTimeout      int
	MessageRetentionPeriod int
	DelaySeconds           int
	ReceiveMessageWait     int
	DeadLetterTarget       string // logical id of the DLQ
	MaxReceiveCount        int
}

// Bus is an AWS::Events::EventBus.
type Bus struct{ LogicalID, Name string }

// Rule is an AWS::Events::Rule of a bus of the template whose targets are
// queues of the template.
type Rule struct {
	LogicalID, Name string
	Bus             string // logical id
	Pattern         string // the event pattern, as JSON
	Queues          []string
}

// Bucket is an AWS::S3::Bucket.
type Bucket struct{ LogicalID, Name string }

// HTTPAPI is the AWS::Serverless::HttpApi: its JWT authorizer and CORS.
type HTTPAPI struct {
	LogicalID string
	Issuer    string
	Audience  []string
	CORS      *CORS
}

// CORS is an HTTP API's CorsConfiguration.
type CORS struct {
	AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders []string
	MaxAge                                                  int
	AllowCredentials                                        bool
}

// Options set what the template leaves to deploy time.
type Options struct {
	StackName    string            // prefix of generated physical names; default "local"
	Parameters   map[string]string // parameter overrides; defaults come from the template
	SQSEndpoint  string            // base of queue URLs, e.g. "http://127.0.0.1:5000"
	APIURL       string            // what Ref/GetAtt of the HTTP API give
	FunctionRoot string            // directory of the template relative to the module root, e.g. "." (default)
}

// Load reads the template at path.
func Load(path string, opt Options) (*Stack, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	if opt.StackName == "" {
		opt.StackName = "local"
	}
	if opt.FunctionRoot == "" {
		opt.FunctionRoot = "."
	}
	// A first pass without resolution tells the resources and their names.
	rawJSON, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: keepIntrinsics()})
	if err != nil {
		return nil, fmt.Errorf("parse template %s: %w", path, err)
	}
	var raw map[string]any
	if err := json.Unmarshal(rawJSON, &raw); err != nil {
		return nil, fmt.Errorf("parse template %s: %w", path, err)
	}
	r := newResolver(raw, opt)
	resolved, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: r.handlers()})
	if err != nil {
		return nil, fmt.Errorf("resolve template %s: %w", path, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(resolved, &doc); err != nil {
		return nil, fmt.Errorf("resolve template %s: %w", path, err)
	}
	return build(doc, r, opt)
}

// keepIntrinsics leaves Ref, GetAtt and Sub unresolved in the first pass.
func keepIntrinsics() map[string]intrinsics.IntrinsicHandler {
	keep := func(name string, input any, _ any) any { return map[string]any{name: input} }
	return map[string]intrinsics.IntrinsicHandler{"Ref": keep, "Fn::GetAtt": keep, "Fn::Sub": keep}
}

// resolver gives each resource its local physical name and attributes.
type resolver struct {
	opt       Options
	params    map[string]string
	types     map[string]string // logical id → resource type
	names     map[string]string // logical id → physical name
	byARN     map[string]string // ARN or URL or name → logical id
	functions map[string]bool
	lists     map[string]bool // parameters whose Ref is a list
}

func newResolver(raw map[string]any, opt Options) *resolver {
	r := &resolver{opt: opt, params: map[string]string{}, types: map[string]string{}, names: map[string]string{}, byARN: map[string]string{}}
	params, _ := raw["Parameters"].(map[string]any)
	r.lists = map[string]bool{}
	for name, p := range params {
		if pm, ok := p.(map[string]any); ok {
			if d, ok := pm["Default"]; ok {
				r.params[name] = scalar(d)
			}
			typ, _ := pm["Type"].(string)
			r.lists[name] = typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<")
		}
	}
	for k, v := range opt.Parameters {
		r.params[k] = v
	}
	resources, _ := raw["Resources"].(map[string]any)
	for id, res := range resources {
		rm, _ := res.(map[string]any)
		typ, _ := rm["Type"].(string)
		props, _ := rm["Properties"].(map[string]any)
		r.types[id] = typ
		name := ""
		switch typ {
		case "AWS::DynamoDB::Table":
			name = stringProp(props, "TableName", opt.StackName+"-"+id)
		case "AWS::SQS::Queue":
			name = stringProp(props, "QueueName", opt.StackName+"-"+id)
			if fifo, _ := props["FifoQueue"].(bool); fifo && !strings.HasSuffix(name, ".fifo") {
				name += ".fifo"
			}
		case "AWS::Events::EventBus":
			name = stringProp(props, "Name", opt.StackName+"-"+id)
			if m, ok := props["Name"].(map[string]any); ok {
				if src, ok := m["Fn::Sub"].(string); ok {
					name = r.subPlain(src)
				}
			}
		case "AWS::S3::Bucket":
			name = stringProp(props, "BucketName", strings.ToLower(opt.StackName+"-"+id))
			if m, ok := props["BucketName"].(map[string]any); ok {
				// !Sub of pseudo parameters and parameters only: a bucket
				// named so can be referred to by name without a circular
				// dependency (its notification refers to the function).
				if src, ok := m["Fn::Sub"].(string); ok {
					name = strings.ToLower(r.subPlain(src))
				}
			}
		default:
			name = opt.StackName + "-" + id
		}
		r.names[id] = name
		r.byARN[name] = id
		if arn, ok := r.attr(id, "Arn"); ok {
			r.byARN[arn] = id
		}
		if typ == "AWS::SQS::Queue" {
			url, _ := r.attr(id, "QueueUrl")
			r.byARN[url] = id
		}
		if typ == "AWS::DynamoDB::Table" {
			arn, _ := r.attr(id, "StreamArn")
			r.byARN[arn] = id
		}
	}
	return r
}

// stringProp returns props[key] when it is a plain string (not an intrinsic).
func stringProp(props map[string]any, key, def string) string {
	if s, ok := props[key].(string); ok && s != "" {
		return s
	}
	return def
}

// ref is what Ref gives: a parameter's value, a pseudo parameter, or the
// resource's physical id.
func (r *resolver) ref(name string) (string, bool) {
	switch name {
	case "AWS::Region":
		return Region, true
	case "AWS::AccountId":
		return AccountID, true
	case "AWS::StackName":
		return r.opt.StackName, true
	case "AWS::Partition":
		return "aws", true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	}
	if v, ok := r.params[name]; ok {
		return v, true
	}
	if _, ok := r.types[name]; !ok {
		return "", false
	}
	switch r.types[name] {
	case "AWS::SQS::Queue":
		return r.attr(name, "QueueUrl")
	case "AWS::Serverless::HttpApi":
		return "local", true
	}
	return r.names[name], true
}

// attr is what Fn::GetAtt gives.
func (r *resolver) attr(id, attribute string) (string, bool) {
	name, ok := r.names[id]
	if !ok {
		return "", false
	}
	switch r.types[id] + "." + attribute {
	case "AWS::DynamoDB::Table.Arn":
		return "arn:aws:dynamodb:" + Region + ":" + AccountID + ":table/" + name, true
	case "AWS::DynamoDB::Table.StreamArn":
		return "arn:aws:dynamodb:" + Region + ":" + AccountID + ":table/" + name + "/stream/local", true
	case "AWS::SQS::Queue.Arn":
		return "arn:aws:sqs:" + Region + ":" + AccountID + ":" + name, true
	case "AWS::SQS::Queue.QueueUrl":
		return strings.TrimSuffix(r.opt.SQSEndpoint, "/") + "/" + AccountID + "/" + name, true
	case "AWS::SQS::Queue.QueueName":
		return name, true
	case "AWS::S3::Bucket.Arn":
		return "arn:aws:s3:::" + name, true
	case "AWS::Events::EventBus.Arn":
		return "arn:aws:events:" + Region + ":" + AccountID + ":event-bus/" + name, true
	case "AWS::Events::EventBus.Name":
		return name, true
	case "AWS::S3::Bucket.DomainName", "AWS::S3::Bucket.RegionalDomainName":
		return name + ".s3.amazonaws.com", true
	case "AWS::Serverless::Function.Arn":
		return "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + name, true
	case "AWS::Serverless::HttpApi.ApiEndpoint":
		return r.opt.APIURL, true
	}
	return "arn:aws:local:" + Region + ":" + AccountID + ":" + id + "/" + attribute, true
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func (r *resolver) handlers() map[string]intrinsics.IntrinsicHandler {
	return map[string]intrinsics.IntrinsicHandler{
		"Ref": func(_ string, input any, _ any) any {
			s, _ := input.(string)
			if v, ok := r.ref(s); ok {
				if r.lists[s] {
					var out []any
					for _, part := range strings.Split(v, ",") {
						out = append(out, strings.TrimSpace(part))
					}
					return out
				}
				return v
			}
			return nil
		},
		"Fn::GetAtt": func(_ string, input any, _ any) any {
			var parts []string
			switch v := input.(type) {
			case string:
				parts = strings.SplitN(v, ".", 2)
			case []any:
				for _, p := range v {
					parts = append(parts, scalar(p))
				}
			}
			if len(parts) != 2 {
				return nil
			}
			if v, ok := r.attr(parts[0], parts[1]); ok {
				return v
			}
			return nil
		},
		"Fn::Sub": func(_ string, input any, _ any) any {
			src, vars := "", map[string]any{}
			switch v := input.(type) {
			case string:
				src = v
			case []any:
				if len(v) == 2 {
					src, _ = v[0].(string)
					vars, _ = v[1].(map[string]any)
				}
			}
			return subVar.ReplaceAllStringFunc(src, func(m string) string {
				name := m[2 : len(m)-1]
				if v, ok := vars[name]; ok {
					return scalar(v)
				}
				if id, attribute, ok := strings.Cut(name, "."); ok {
					v, _ := r.attr(id, attribute)
					return v
				}
				v, _ := r.ref(name)
				return v
			})
		},
	}
}

func build(doc map[string]any, r *resolver, opt Options) (*Stack, error) {
	st := &Stack{Name: opt.StackName, Parameters: r.params}
	globals, _ := Path(doc, "Globals", "Function").(map[string]any)
	resources, _ := doc["Resources"].(map[string]any)
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	conditions, _ := doc["Conditions"].(map[string]any)
	ids = slices.DeleteFunc(ids, func(id string) bool {
		// A resource whose Condition is false is not made.
		res, _ := resources[id].(map[string]any)
		c, ok := res["Condition"].(string)
		return ok && conditions[c] == false
	})
	for _, id := range ids {
		res, _ := resources[id].(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		switch r.types[id] {
		case "AWS::DynamoDB::Table":
			st.Tables = append(st.Tables, Table{LogicalID: id, Name: r.names[id]})
		case "AWS::S3::Bucket":
			st.Buckets = append(st.Buckets, Bucket{LogicalID: id, Name: r.names[id]})
		case "AWS::Events::EventBus":
			st.Buses = append(st.Buses, Bus{LogicalID: id, Name: r.names[id]})
		case "AWS::Events::Rule":
			rule := Rule{LogicalID: id, Name: r.names[id], Bus: r.byARN[scalar(props["EventBusName"])]}
			pattern, err := json.Marshal(props["EventPattern"])
			if err != nil || rule.Bus == "" {
				return nil, fmt.Errorf("rule %s: the local platform runs rules of a bus of the template with an event pattern", id)
			}
			rule.Pattern = string(pattern)
			for _, t := range asList(props["Targets"]) {
				tm, _ := t.(map[string]any)
				if q := r.byARN[scalar(tm["Arn"])]; r.types[q] == "AWS::SQS::Queue" {
					rule.Queues = append(rule.Queues, q)
				}
			}
			st.Rules = append(st.Rules, rule)
		case "AWS::SQS::Queue":
			q := Queue{
				LogicalID: id, Name: r.names[id],
				VisibilityTimeout:      intProp(props, "VisibilityTimeout", 30),
				MessageRetentionPeriod: intProp(props, "MessageRetentionPeriod", 345600),
				DelaySeconds:           intProp(props, "DelaySeconds", 0),
				ReceiveMessageWait:     intProp(props, "ReceiveMessageWaitTimeSeconds", 0),
			}
			q.FIFO, _ = props["FifoQueue"].(bool)
			if rp, ok := props["RedrivePolicy"].(map[string]any); ok {
				q.DeadLetterTarget = r.byARN[scalar(rp["deadLetterTargetArn"])]
				q.MaxReceiveCount = intProp(rp, "maxReceiveCount", 0)
				if q.DeadLetterTarget == "" {
					return nil, fmt.Errorf("queue %s: deadLetterTargetArn names no queue of the template", id)
				}
			}
			st.Queues = append(st.Queues, q)
		case "AWS::Serverless::HttpApi":
			api := &HTTPAPI{LogicalID: id}
			if jwt, ok := Path(props, "Auth", "Authorizers").(map[string]any); ok {
				def := scalar(Path(props, "Auth", "DefaultAuthorizer"))
				if a, ok := jwt[def].(map[string]any); ok {
					api.Issuer = scalar(Path(a, "JwtConfiguration", "issuer"))
					api.Audience = stringList(Path(a, "JwtConfiguration", "audience"))
				}
			}
			if c, ok := props["CorsConfiguration"].(map[string]any); ok {
				api.CORS = &CORS{
					AllowOrigins: stringList(c["AllowOrigins"]), AllowMethods: stringList(c["AllowMethods"]),
					AllowHeaders: stringList(c["AllowHeaders"]), ExposeHeaders: stringList(c["ExposeHeaders"]),
					MaxAge: intProp(c, "MaxAge", 0),
				}
				api.CORS.AllowCredentials, _ = c["AllowCredentials"].(bool)
			}
			st.API = api
		case "AWS::Serverless::Function":
			fn, err := buildFunction(id, props, globals, r, opt)
			if err != nil {
				return nil, err
			}
			st.Functions = append(st.Functions, fn)
		}
	}
	return st, attachEventSources(st, ids, resources, r)
}

// attachEventSources adds to their functions the event sources the template
// declares outside them: AWS::Lambda::EventSourceMapping resources of SQS
// queues, and the Lambda notifications of S3 buckets.
func attachEventSources(st *Stack, ids []string, resources map[string]any, r *resolver) error {
	functions := map[string]*Function{}
	for i := range st.Functions {
		functions[st.Functions[i].LogicalID] = &st.Functions[i]
	}
	for _, id := range ids {
		res, _ := resources[id].(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		switch r.types[id] {
		case "AWS::Lambda::EventSourceMapping":
			fn := functions[r.byARN[scalar(props["FunctionName"])]]
			q := r.byARN[scalar(props["EventSourceArn"])]
			if fn != nil && r.types[q] == "AWS::DynamoDB::Table" {
				e := StreamEvent{Table: q, BatchSize: intProp(props, "BatchSize", 100), StartingPosition: scalar(props["StartingPosition"]),
					MaximumRetryAttempts: intProp(props, "MaximumRetryAttempts", -1),
					OnFailure:            r.byARN[scalar(Path(props, "DestinationConfig", "OnFailure", "Destination"))]}
				e.ReportBatchItemFailures = slices.Contains(stringList(props["FunctionResponseTypes"]), "ReportBatchItemFailures")
				fn.Streams = append(fn.Streams, e)
				continue
			}
			if fn == nil || r.types[q] != "AWS::SQS::Queue" {
				return fmt.Errorf("event source mapping %s: the local platform runs mappings of a queue of the template to a function of the template", id)
			}
			fn.SQS = append(fn.SQS, sqsEvent(q, props))
		case "AWS::S3::Bucket":
			for _, c := range asList(Path(props, "NotificationConfiguration", "LambdaConfigurations")) {
				cm, _ := c.(map[string]any)
				fn := functions[r.byARN[scalar(cm["Function"])]]
				if fn == nil {
					return fmt.Errorf("bucket %s: a LambdaConfiguration names no function of the template", id)
				}
				fn.S3 = append(fn.S3, s3Event(id, []string{scalar(cm["Event"])}, cm))
			}
		}
	}
	return nil
}

// sqsEvent reads the properties shared by a SAM SQS event and an
// AWS::Lambda::EventSourceMapping.
func sqsEvent(queue string, props map[string]any) SQSEvent {
	e := SQSEvent{Queue: queue, BatchSize: intProp(props, "BatchSize", 10),
		MaximumBatchingWindow: time.Duration(intProp(props, "MaximumBatchingWindowInSeconds", 0)) * time.Second}
	for _, t := range stringList(props["FunctionResponseTypes"]) {
		e.ReportBatchItemFailures = e.ReportBatchItemFailures || t == "ReportBatchItemFailures"
	}
	if sc, ok := props["ScalingConfig"].(map[string]any); ok {
		e.MaximumConcurrency = intProp(sc, "MaximumConcurrency", 0)
	}
	return e
}

// s3Event reads the key filter shared by a SAM S3 event and a bucket's
// LambdaConfiguration.
func s3Event(bucket string, events []string, props map[string]any) S3Event {
	e := S3Event{Bucket: bucket, Events: events}
	for _, rule := range asList(Path(props, "Filter", "S3Key", "Rules")) {
		rm, _ := rule.(map[string]any)
		switch strings.ToLower(scalar(rm["Name"])) {
		case "prefix":
			e.Prefix = scalar(rm["Value"])
		case "suffix":
			e.Suffix = scalar(rm["Value"])
		}
	}
	return e
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func buildFunction(id string, props, globals map[string]any, r *resolver, opt Options) (Function, error) {
	merged := map[string]any{}
	for k, v := range globals {
		merged[k] = v
	}
	for k, v := range props {
		merged[k] = v
	}
	fn := Function{
		LogicalID:    id,
		Package:      "./" + filepath.ToSlash(filepath.Join(opt.FunctionRoot, "functions", strings.ToLower(strings.TrimSuffix(id, "Function")))),
		Timeout:      time.Duration(intProp(merged, "Timeout", 3)) * time.Second,
		MemoryMB:     intProp(merged, "MemorySize", 128),
		Env:          map[string]string{},
		AsyncRetries: 2,
	}
	for _, src := range []map[string]any{globals, props} {
		vars, _ := Path(src, "Environment", "Variables").(map[string]any)
		for k, v := range vars {
			fn.Env[k] = scalar(v)
		}
	}
	if cfg, ok := merged["EventInvokeConfig"].(map[string]any); ok {
		fn.AsyncRetries = intProp(cfg, "MaximumRetryAttempts", 2)
		if dest := scalar(Path(cfg, "DestinationConfig", "OnFailure", "Destination")); dest != "" {
			if fn.OnFailure = r.byARN[dest]; r.types[fn.OnFailure] != "AWS::SQS::Queue" {
				return fn, fmt.Errorf("function %s: the local platform sends failed asynchronous invocations only to a queue of the template", id)
			}
		}
	}
	events, _ := props["Events"].(map[string]any)
	names := make([]string, 0, len(events))
	for n := range events {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ev, _ := events[n].(map[string]any)
		ep, _ := ev["Properties"].(map[string]any)
		switch scalar(ev["Type"]) {
		case "HttpApi":
			rt := Route{Method: strings.ToUpper(scalar(ep["Method"])), Path: scalar(ep["Path"])}
			rt.NoAuth = scalar(Path(ep, "Auth", "Authorizer")) == "NONE"
			fn.Routes = append(fn.Routes, rt)
		case "SQS":
			q := r.byARN[scalar(ep["Queue"])]
			if q == "" {
				return fn, fmt.Errorf("function %s event %s: Queue names no queue of the template", id, n)
			}
			fn.SQS = append(fn.SQS, sqsEvent(q, ep))
		case "S3":
			b := r.byARN[scalar(ep["Bucket"])]
			if b == "" {
				return fn, fmt.Errorf("function %s event %s: Bucket names no bucket of the template", id, n)
			}
			fn.S3 = append(fn.S3, s3Event(b, stringList(ep["Events"]), ep))
		}
	}
	return fn, nil
}

// Path returns m[keys[0]][keys[1]]... of a template read as JSON, or nil
// where a key is missing or a value is not an object.
func Path(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		cm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = cm[k]
	}
	return cur
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", x), "0"), ".")
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func stringList(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, scalar(e))
		}
		return out
	case string:
		if x == "" {
			return nil
		}
		return strings.Split(x, ",") // CommaDelimitedList parameters resolve to one string
	}
	return nil
}

func intProp(m map[string]any, key string, def int) int {
	switch x := m[key].(type) {
	case float64:
		return int(x)
	case string:
		var n int
		if _, err := fmt.Sscan(x, &n); err == nil {
			return n
		}
	}
	return def
}

// subPlain substitutes the pseudo parameters and parameters of a !Sub
// string (resource references give "").
func (r *resolver) subPlain(src string) string {
	return subVar.ReplaceAllStringFunc(src, func(m string) string {
		v, _ := r.ref(m[2 : len(m)-1])
		return v
	})
}
