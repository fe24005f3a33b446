// Package app builds what every function needs once per cold start (the
// configuration from the environment, the AWS SDK configuration and clients,
// the table's stores, the JSON logger) and wires each function's handler, so
// that functions/<name>/main.go is one call of Start.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo"
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
	S3       *s3.Client
	SQS      *sqs.Client
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
		S3:            s3.NewFromConfig(cfg, s3Options),
		SQS:           sqs.NewFromConfig(cfg),
		Contacts:      &dynamo.Contacts{Client: db, Table: table},
		Tags:          &dynamo.Tags{Client: db, Table: table},
		Keys:          &dynamo.Idempotency{Client: db, Table: table},
		Conversations: &dynamo.Conversations{Client: db, Table: table},
	}
	d.People = &contact.Service{Contacts: d.Contacts, Workspaces: &dynamo.Workspaces{Client: db, Table: table}, Tags: d.Tags}
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

// s3Options addresses buckets by path when AWS_S3_USE_PATH_STYLE is "true"
// (the local platform's moto), by virtual host otherwise (AWS).
func s3Options(o *s3.Options) {
	o.UsePathStyle = os.Getenv("AWS_S3_USE_PATH_STYLE") == "true"
}
