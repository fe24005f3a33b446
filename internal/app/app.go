// Package app builds what every function needs once per cold start (the
// configuration from the environment, the AWS SDK configuration, the table's
// stores, the JSON logger), so that functions/<name>/main.go only builds
// its handler from them and calls Start. It imports nothing a function may
// not need (no job packages, no S3, SQS or SSM clients): what a package
// initialises is linked into every binary that imports it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/tag"
)

// Builder builds one function's Lambda handler from the shared dependencies.
type Builder func(ctx context.Context, d *Deps) (handler any, err error)

// Start builds the dependencies and the handler once per cold start and
// hands the handler to the Lambda runtime. A cold start that cannot complete
// is logged and ends the process (Lambda reports an init error).
func Start(build Builder) {
	ctx := context.Background()
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d, err := NewDeps(ctx, log)
	if err == nil {
		var h any
		if h, err = build(ctx, d); err == nil {
			lambda.Start(h)
			return
		}
	}
	log.Error("init failed", "error", err.Error())
	os.Exit(1)
}

// Deps is what the functions share, built once per cold start: the AWS
// configuration (loaded once), its clients, the table's stores and the
// contact service over them.
type Deps struct {
	Log      *slog.Logger
	AWS      aws.Config // the SDK configuration of the function's role
	DB       *dynamodb.Client
	Table    string
	Contacts *dynamo.Contacts
	Tags     *dynamo.Tags
	People   *contact.Service
	Keys     *dynamo.Idempotency // Idempotency-Key records of routes that create
	// Conversations keeps channels, connections, conversations and templates.
	Conversations *dynamo.Conversations
}

// NewDeps reads TABLE_NAME, loads the AWS configuration and builds the
// clients and stores. Endpoints can be redirected per service with
// AWS_ENDPOINT_URL_<SERVICE> (the local platform does so).
func NewDeps(ctx context.Context, log *slog.Logger) (*Deps, error) {
	table, err := Env("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg)
	d := &Deps{Log: log, AWS: cfg, DB: db, Table: table,
		Contacts:      &dynamo.Contacts{Client: db, Table: table},
		Tags:          &dynamo.Tags{Client: db, Table: table},
		Keys:          &dynamo.Idempotency{Client: db, Table: table},
		Conversations: &dynamo.Conversations{Client: db, Table: table},
	}
	d.People = &contact.Service{Contacts: d.Contacts, Workspaces: &dynamo.Workspaces{Client: db, Table: table}, Tags: d.Tags}
	d.People.TagRefs = &tag.Service{Tags: d.Tags, Contacts: d.Contacts, People: d.People}
	d.People.Companies = d.Companies()
	return d, nil
}

// Env returns the environment variable name, or an error naming it when unset.
func Env(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

// Envs returns the environment variables names, or an error naming the
// first one unset.
func Envs(names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	for _, n := range names {
		v, err := Env(n)
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}

// S3Options addresses buckets by path when AWS_S3_USE_PATH_STYLE is "true"
// (the local platform's moto), by virtual host otherwise (AWS).
func S3Options(o *s3.Options) {
	o.UsePathStyle = os.Getenv("AWS_S3_USE_PATH_STYLE") == "true"
}

// API returns the HTTP API handler of routes, with the claim names of the
// template's parameters.
func (d *Deps) API(routes ...[]httpapi.Route) any {
	return httpapi.New(httpapi.Config{
		WorkspaceClaim: os.Getenv("WORKSPACE_CLAIM"),
		RoleClaim:      os.Getenv("ROLE_CLAIM"),
		Logger:         d.Log,
	}, slices.Concat(routes...)...).Handle
}

// Finder returns the list and search service; cursors may be nil for
// workers that walk filters without cursors.
func (d *Deps) Finder(cursors *cursor.Codec) *search.Service {
	return &search.Service{
		Index:      d.Search(),
		Contacts:   d.People,
		Workspaces: d.People.Workspaces,
		Tags:       d.Tags,
		Cursors:    cursors,
		Channels:   &dynamo.Conversations{Client: d.DB, Table: d.Table},
	}
}

// Search returns the list and search index store.
func (d *Deps) Search() *dynamo.Search { return &dynamo.Search{Client: d.DB, Table: d.Table} }

// Jobs returns the job store.
func (d *Deps) Jobs() *dynamo.Jobs { return &dynamo.Jobs{Client: d.DB, Table: d.Table} }

// Companies returns the company store.
func (d *Deps) Companies() *dynamo.Companies { return &dynamo.Companies{Client: d.DB, Table: d.Table} }
