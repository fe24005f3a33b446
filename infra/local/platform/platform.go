// Package platform runs the whole service locally from template.yaml,
// without Docker: DynamoDB Local for the table, moto server for S3 and SQS,
// every function's real bootstrap behind an emulated Lambda Runtime API, and
// an emulated HTTP API with its JWT authorizer and CORS. docs/local.md says
// what each piece promises and where it differs from AWS.
package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/infra/local/awsemu"
	"github.com/omnichannel/contacts/infra/local/dynamolocal"
	"github.com/omnichannel/contacts/infra/local/httpgw"
	"github.com/omnichannel/contacts/infra/local/lambdart"
	"github.com/omnichannel/contacts/infra/local/stack"
	"github.com/omnichannel/contacts/infra/local/template"
)

// DefaultJWTSecret signs local tokens when LOCAL_JWT_SECRET is unset.
const DefaultJWTSecret = "local-dev-secret"

// localParameters fill the template parameters that have no default and
// that a deploy sets (samconfig.toml): local values only.
var localParameters = map[string]string{
	"CursorSecretParameter": "/local/cursor-secret",
}

// localSecrets are the SSM SecureString parameters an operator creates
// before a deploy: template parameter naming one → its local value. The
// platform puts each in moto under the name the parameter gives.
var localSecrets = map[string]string{
	"CursorSecretParameter": "local-cursor-secret-not-for-production-0123456789",
}

// Options configure a local platform. Zero values are the `make dev` defaults.
type Options struct {
	Root           string            // module root; default: found from the working directory
	Template       string            // default Root/template.yaml
	FunctionRoot   string            // directory holding functions/<name>, relative to Root; default "."
	StateDir       string            // default Root/.local: DynamoDB data and builds
	InMemory       bool              // DynamoDB Local keeps nothing on disk
	DynamoEndpoint string            // use this DynamoDB instead of starting one (tests share one)
	APIAddr        string            // default 127.0.0.1:3000; "127.0.0.1:0" picks a free port
	JWTSecret      string            // default $LOCAL_JWT_SECRET or DefaultJWTSecret
	StackName      string            // default "local"
	Parameters     map[string]string // template parameter overrides
	MaxConcurrency int               // instances per function; default 4
	Log            io.Writer         // progress and every function's log lines; default os.Stdout
}

// Platform is a running local stack.
type Platform struct {
	APIURL         string
	DynamoEndpoint string
	MotoEndpoint   string // "" when the template has no queue or bucket
	Stack          *stack.Stack
	Secret         []byte

	opt       Options
	log       io.Writer
	dynamo    *dynamolocal.Server
	moto      *awsemu.Moto
	db        *dynamodb.Client
	queues    map[string]awsemu.QueueInfo // by queue name
	functions map[string]*lambdart.Function
	server    *http.Server
	cancel    context.CancelFunc
	pollers   sync.WaitGroup
	closeOnce sync.Once
}

// Start brings the platform up. On error, whatever was started is stopped.
func Start(ctx context.Context, opt Options) (p *Platform, err error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p = &Platform{opt: opt, log: opt.Log, functions: map[string]*lambdart.Function{}, cancel: cancel, Secret: []byte(opt.JWTSecret)}
	self := p // the returns below set p to nil
	defer func() {
		if err != nil {
			self.Close()
			p = nil
		}
	}()
	st, err := stack.Load(opt.Template, stack.Options{StackName: opt.StackName, Parameters: opt.Parameters, FunctionRoot: opt.FunctionRoot})
	if err != nil {
		return nil, err
	}
	if len(st.Queues) > 0 || len(st.Buckets) > 0 || len(st.Buses) > 0 || len(secretsOf(st)) > 0 {
		if err := p.startMoto(ctx); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", opt.APIAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s for the HTTP API: %w", opt.APIAddr, err)
	}
	p.APIURL = "http://" + ln.Addr().String()
	if p.Stack, err = stack.Load(opt.Template, stack.Options{StackName: opt.StackName, Parameters: opt.Parameters, FunctionRoot: opt.FunctionRoot, SQSEndpoint: p.MotoEndpoint, APIURL: p.APIURL}); err != nil {
		ln.Close()
		return nil, err
	}
	steps := []func(context.Context) error{p.startDynamo, p.createQueuesAndBuckets, p.buildAndStartFunctions}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			ln.Close()
			return nil, err
		}
	}
	p.startEventSources(runCtx) // first: a stream read from LATEST sees every request
	if err := p.serveAPI(ln); err != nil {
		return nil, err
	}
	return p, nil
}

func (o *Options) defaults() error {
	if o.Root == "" {
		root, err := template.FindRepoRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.Template == "" {
		o.Template = filepath.Join(o.Root, "template.yaml")
	}
	if o.FunctionRoot == "" {
		o.FunctionRoot = "."
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.Root, ".local")
	}
	if o.APIAddr == "" {
		o.APIAddr = "127.0.0.1:3000"
	}
	if o.JWTSecret == "" {
		o.JWTSecret = os.Getenv("LOCAL_JWT_SECRET")
	}
	if o.JWTSecret == "" {
		o.JWTSecret = DefaultJWTSecret
	}
	if o.StackName == "" {
		o.StackName = "local"
	}
	params := map[string]string{}
	for k, v := range localParameters {
		params[k] = v
	}
	for k, v := range o.Parameters {
		params[k] = v
	}
	o.Parameters = params
	if o.MaxConcurrency == 0 {
		o.MaxConcurrency = 4
	}
	if o.Log == nil {
		o.Log = os.Stdout
	}
	return nil
}

func (p *Platform) step(format string, args ...any) func() {
	start := time.Now()
	fmt.Fprintf(p.log, "==> "+format+"\n", args...)
	return func() { fmt.Fprintf(p.log, "    done in %.1fs\n", time.Since(start).Seconds()) }
}

// secretsOf returns the SSM parameters to create for the template: name →
// value, for each of localSecrets the template declares.
func secretsOf(st *stack.Stack) map[string]string {
	out := map[string]string{}
	for param, value := range localSecrets {
		if name, ok := st.Parameters[param]; ok {
			out[name] = value
		}
	}
	return out
}

func (p *Platform) startMoto(ctx context.Context) error {
	done := p.step("starting moto server (S3, SQS, SSM, EventBridge)")
	m, err := awsemu.StartMoto(ctx, awsemu.MotoOptions{Log: p.log})
	if err != nil {
		return fmt.Errorf("start moto server: %w", err)
	}
	p.moto, p.MotoEndpoint = m, m.Endpoint()
	done()
	return nil
}

func (p *Platform) startDynamo(ctx context.Context) error {
	done := p.step("starting DynamoDB Local")
	dataDir := ""
	if p.opt.DynamoEndpoint != "" {
		p.DynamoEndpoint = p.opt.DynamoEndpoint
	} else {
		jarDir, err := dynamolocal.EnsureInstalled(ctx, filepath.Join(p.opt.Root, "infra", "local"), p.log)
		if err != nil {
			return err
		}
		if !p.opt.InMemory {
			dataDir = filepath.Join(p.opt.StateDir, "dynamodb")
			if err := os.MkdirAll(dataDir, 0o755); err != nil {
				return fmt.Errorf("create %s: %w", dataDir, err)
			}
		}
		srv, err := dynamolocal.Start(ctx, dynamolocal.Options{JarDir: jarDir, DataDir: dataDir, Log: io.Discard})
		if err != nil {
			return err
		}
		p.dynamo, p.DynamoEndpoint = srv, srv.Endpoint()
	}
	client, err := dynamolocal.NewClient(ctx, p.DynamoEndpoint)
	if err != nil {
		return err
	}
	p.db = client
	tpl, err := template.Load(p.opt.Template)
	if err != nil {
		return err
	}
	for _, t := range p.Stack.Tables {
		_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &t.Name})
		var missing *types.ResourceNotFoundException
		switch {
		case err == nil:
			fmt.Fprintf(p.log, "    table %s exists (data kept in %s)\n", t.Name, dataDir)
		case errors.As(err, &missing):
			if err := template.CreateTable(ctx, client, tpl, t.LogicalID, t.Name); err != nil {
				return err
			}
			fmt.Fprintf(p.log, "    table %s created from the template\n", t.Name)
		default:
			return fmt.Errorf("describe table %s: %w", t.Name, err)
		}
	}
	done()
	return nil
}

func (p *Platform) createQueuesAndBuckets(ctx context.Context) error {
	if p.moto == nil {
		return nil
	}
	done := p.step("creating %d queues, %d buckets and %d SSM parameters", len(p.Stack.Queues), len(p.Stack.Buckets), len(secretsOf(p.Stack)))
	names := map[string]string{}
	for _, q := range p.Stack.Queues {
		names[q.LogicalID] = q.Name
	}
	var specs []awsemu.QueueSpec
	for _, q := range p.Stack.Queues {
		specs = append(specs, awsemu.QueueSpec{
			LogicalID: q.LogicalID, Name: q.Name, FIFO: q.FIFO, VisibilityTimeout: q.VisibilityTimeout,
			MessageRetentionPeriod: q.MessageRetentionPeriod, DelaySeconds: q.DelaySeconds,
			ReceiveMessageWaitTimeSeconds: q.ReceiveMessageWait,
			DeadLetterTarget:              names[q.DeadLetterTarget], MaxReceiveCount: q.MaxReceiveCount,
		})
	}
	var err error
	if p.queues, err = p.moto.CreateQueues(ctx, specs); err != nil {
		return err
	}
	if err := p.moto.PutSecureStrings(ctx, secretsOf(p.Stack)); err != nil {
		return err
	}
	var buckets []awsemu.BucketSpec
	for _, b := range p.Stack.Buckets {
		buckets = append(buckets, awsemu.BucketSpec{LogicalID: b.LogicalID, Name: b.Name})
	}
	if err := p.moto.CreateBuckets(ctx, buckets); err != nil {
		return err
	}
	var buses []string
	busNames := map[string]string{}
	for _, b := range p.Stack.Buses {
		buses, busNames[b.LogicalID] = append(buses, b.Name), b.Name
	}
	var rules []awsemu.RuleSpec
	for _, r := range p.Stack.Rules {
		spec := awsemu.RuleSpec{Name: r.Name, Bus: busNames[r.Bus], Pattern: r.Pattern}
		for _, q := range r.Queues {
			spec.QueueARNs = append(spec.QueueARNs, p.queues[names[q]].ARN)
		}
		rules = append(rules, spec)
	}
	if err := p.moto.CreateBuses(ctx, buses, rules); err != nil {
		return err
	}
	done()
	return nil
}

func (p *Platform) buildAndStartFunctions(ctx context.Context) error {
	for _, fn := range p.Stack.Functions {
		done := p.step("building %s (%s)", fn.LogicalID, fn.Package)
		bin := filepath.Join(p.opt.StateDir, "build", fn.LogicalID, "bootstrap")
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, fn.Package)
		cmd.Dir = p.opt.Root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %w\n%s", fn.LogicalID, err, out)
		}
		env := map[string]string{
			"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": stack.Region,
			"AWS_ENDPOINT_URL_DYNAMODB": p.DynamoEndpoint,
		}
		if p.MotoEndpoint != "" {
			env["AWS_ENDPOINT_URL_S3"] = p.MotoEndpoint
			env["AWS_S3_USE_PATH_STYLE"] = "true" // moto serves buckets by path
			env["AWS_ENDPOINT_URL_SQS"] = p.MotoEndpoint
			env["AWS_ENDPOINT_URL_SSM"] = p.MotoEndpoint
			env["AWS_ENDPOINT_URL_EVENTBRIDGE"] = p.MotoEndpoint
		}
		for k, v := range fn.Env {
			env[k] = v
		}
		f, err := lambdart.Start(lambdart.FunctionConfig{
			Name: fn.LogicalID, Binary: bin, Env: env, Timeout: fn.Timeout, MemoryMB: fn.MemoryMB,
			MaxConcurrency: p.opt.MaxConcurrency, Log: p.log,
		})
		if err != nil {
			return fmt.Errorf("start %s: %w", fn.LogicalID, err)
		}
		p.functions[fn.LogicalID] = f
		done()
	}
	return nil
}

func (p *Platform) serveAPI(ln net.Listener) error {
	var routes []httpgw.Route
	for _, fn := range p.Stack.Functions {
		for _, r := range fn.Routes {
			routes = append(routes, httpgw.Route{Method: r.Method, Path: r.Path, Function: fn.LogicalID, NoAuth: r.NoAuth})
		}
	}
	cfg := httpgw.Config{Routes: routes, Invoker: gatewayInvoker{p}, Log: p.log, JWT: httpgw.JWTConfig{Secret: p.Secret}}
	if api := p.Stack.API; api != nil {
		cfg.JWT.Issuer, cfg.JWT.Audience = api.Issuer, api.Audience
		if c := api.CORS; c != nil {
			cfg.CORS = &httpgw.CORS{AllowOrigins: c.AllowOrigins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders, ExposeHeaders: c.ExposeHeaders, MaxAge: c.MaxAge, AllowCredentials: c.AllowCredentials}
		}
	}
	h, err := httpgw.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	p.server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := p.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(p.log, "HTTP API stopped: %v\n", err)
		}
	}()
	return nil
}

func (p *Platform) startEventSources(ctx context.Context) {
	if p.moto == nil {
		return
	}
	queues, buckets, tables := map[string]string{}, map[string]string{}, map[string]string{}
	for _, t := range p.Stack.Tables {
		tables[t.LogicalID] = t.Name
	}
	for _, q := range p.Stack.Queues {
		queues[q.LogicalID] = q.Name
	}
	for _, b := range p.Stack.Buckets {
		buckets[b.LogicalID] = b.Name
	}
	streams := &awsemu.DynamoStreams{DB: p.db, Streams: awsemu.NewStreamsClient(p.DynamoEndpoint), SQS: p.moto.SQSClient()}
	for _, fn := range p.Stack.Functions {
		for _, e := range fn.Streams {
			mp := awsemu.StreamMapping{Function: fn.LogicalID, Table: tables[e.Table], BatchSize: e.BatchSize, StartingPosition: e.StartingPosition,
				ReportBatchItemFailures: e.ReportBatchItemFailures, MaximumRetryAttempts: e.MaximumRetryAttempts, OnFailureQueueURL: p.queues[queues[e.OnFailure]].URL}
			// Started before the API serves, so LATEST misses no request.
			if err := streams.Start(ctx, mp, p, p.log, func(run func() error) { p.run(ctx, "stream "+mp.Table+" → "+fn.LogicalID, run) }); err != nil {
				fmt.Fprintf(p.log, "stream %s → %s: %v\n", mp.Table, fn.LogicalID, err)
			}
		}
		for _, e := range fn.SQS {
			mp := awsemu.SQSMapping{Function: fn.LogicalID, QueueName: queues[e.Queue], BatchSize: e.BatchSize, MaximumBatchingWindow: e.MaximumBatchingWindow, ReportBatchItemFailures: e.ReportBatchItemFailures}
			p.run(ctx, "SQS "+mp.QueueName+" → "+fn.LogicalID, func() error { return p.moto.RunSQSMapping(ctx, mp, p, p.log) })
		}
		for _, e := range fn.S3 {
			sub := awsemu.S3Subscription{Function: fn.LogicalID, Bucket: buckets[e.Bucket], Events: e.Events, Prefix: e.Prefix, Suffix: e.Suffix,
				Retries: &fn.AsyncRetries, OnFailureQueueURL: p.queues[queues[fn.OnFailure]].URL}
			p.run(ctx, "S3 "+sub.Bucket+"/"+sub.Prefix+" → "+fn.LogicalID, func() error { return p.moto.SubscribeS3(ctx, sub, p, p.log) })
		}
	}
}

func (p *Platform) run(ctx context.Context, name string, fn func() error) {
	p.pollers.Add(1)
	go func() {
		defer p.pollers.Done()
		if err := fn(); err != nil && ctx.Err() == nil {
			fmt.Fprintf(p.log, "event source %s stopped: %v\n", name, err)
		}
	}()
}

// Invoke runs a function of the stack, as the event sources do.
func (p *Platform) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	f, ok := p.functions[function]
	if !ok {
		return nil, fmt.Errorf("no function %s in the stack", function)
	}
	return f.Invoke(ctx, payload)
}

// StateDir is where the platform keeps its state (.local by default).
func (p *Platform) StateDir() string { return p.opt.StateDir }

// Function returns a running function by logical id, or nil.
func (p *Platform) Function(logicalID string) *lambdart.Function { return p.functions[logicalID] }

// gatewayInvoker tells the HTTP API a timeout from a failure.
type gatewayInvoker struct{ p *Platform }

func (g gatewayInvoker) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	out, err := g.p.Invoke(ctx, function, payload)
	if err != nil {
		fmt.Fprintf(g.p.log, "[%s] invocation failed: %v\n", function, err)
	}
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, lambdart.ErrTimeout):
		return nil, fmt.Errorf("%w: %v", httpgw.ErrFunctionTimeout, err)
	default:
		return nil, fmt.Errorf("%w: %v", httpgw.ErrFunctionFailed, err)
	}
}

// Close stops everything Start started; it is safe to call more than once.
func (p *Platform) Close() error {
	var errs []error
	p.closeOnce.Do(func() {
		p.cancel()
		if p.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = p.server.Shutdown(ctx)
			cancel()
		}
		p.pollers.Wait()
		for _, f := range p.functions {
			errs = append(errs, f.Close())
		}
		if p.moto != nil {
			errs = append(errs, p.moto.Stop())
		}
		if p.dynamo != nil {
			errs = append(errs, p.dynamo.Stop())
		}
	})
	return errors.Join(errs...)
}

// Token returns a token the local HTTP API accepts.
func (p *Platform) Token(sub, workspace, role string) (string, error) {
	var issuer string
	var audience []string
	if p.Stack.API != nil {
		issuer, audience = p.Stack.API.Issuer, p.Stack.API.Audience
	}
	return httpgw.Token(p.Secret, sub, workspace, role, 12*time.Hour, issuer, audience)
}

// Endpoints describes where everything listens, for people.
func (p *Platform) Endpoints() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP API        %s\n", p.APIURL)
	fmt.Fprintf(&b, "DynamoDB Local  %s\n", p.DynamoEndpoint)
	if p.MotoEndpoint != "" {
		fmt.Fprintf(&b, "S3, SQS, SSM, EventBridge %s (moto)\n", p.MotoEndpoint)
	}
	for _, fn := range p.Stack.Functions {
		for _, r := range fn.Routes {
			fmt.Fprintf(&b, "  %-7s %-32s → %s\n", r.Method, r.Path, fn.LogicalID)
		}
	}
	return b.String()
}

// EndpointsEnv describes the local stack as KEY=value lines, for the AWS
// CLI (`set -a; . .local/endpoints.env; set +a`) and tests: the endpoints,
// local credentials, and every table, bucket, queue and bus of the template
// under its logical id in upper snake case (ImportBucket → IMPORT_BUCKET,
// InboundQueue → INBOUND_QUEUE_URL, EventBus → EVENT_BUS_NAME).
func (p *Platform) EndpointsEnv() string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, v) }
	line("AWS_REGION", stack.Region)
	line("AWS_DEFAULT_REGION", stack.Region)
	line("AWS_ACCESS_KEY_ID", "local")
	line("AWS_SECRET_ACCESS_KEY", "local")
	line("API_URL", p.APIURL)
	line("AWS_ENDPOINT_URL_DYNAMODB", p.DynamoEndpoint)
	if p.MotoEndpoint != "" {
		for _, svc := range []string{"S3", "SQS", "SSM", "EVENTBRIDGE"} {
			line("AWS_ENDPOINT_URL_"+svc, p.MotoEndpoint)
		}
	}
	for _, t := range p.Stack.Tables {
		line(strings.TrimSuffix(snake(t.LogicalID), "_TABLE")+"_NAME", t.Name) // Table → TABLE_NAME
	}
	for _, bk := range p.Stack.Buckets {
		line(snake(bk.LogicalID), bk.Name)
	}
	for _, q := range p.Stack.Queues {
		line(snake(q.LogicalID)+"_URL", p.queues[q.Name].URL)
	}
	for _, bus := range p.Stack.Buses {
		line(snake(bus.LogicalID)+"_NAME", bus.Name)
	}
	return b.String()
}

// snake turns a logical id into upper snake case: EventBus → EVENT_BUS.
func snake(id string) string {
	var b strings.Builder
	for i, r := range id {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}
