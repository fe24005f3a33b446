package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/search"
)

// Deps is what the API functions share: the table's stores and the
// contact service over them, built once per cold start.
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

// NewDeps reads TABLE_NAME and builds the DynamoDB client and stores.
func NewDeps(ctx context.Context) (*Deps, error) {
	table, err := Env("TABLE_NAME")
	if err != nil {
		return nil, err
	}
	cfg, err := AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	db := dynamodb.NewFromConfig(cfg)
	d := &Deps{Log: Logger(), AWS: cfg, DB: db, Table: table,
		Contacts: &dynamo.Contacts{Client: db, Table: table},
		Tags:     &dynamo.Tags{Client: db, Table: table},
		Keys:     &dynamo.Idempotency{Client: db, Table: table},

		Conversations: &dynamo.Conversations{Client: db, Table: table},
	}
	d.People = &contact.Service{Contacts: d.Contacts, Workspaces: &dynamo.Workspaces{Client: db, Table: table}, Tags: d.Tags}
	return d, nil
}

// API returns the HTTP API adapter for routes, with the claim names of the
// template's parameters.
func (d *Deps) API(routes []httpapi.Route) *httpapi.API {
	return httpapi.New(httpapi.Config{
		WorkspaceClaim: os.Getenv("WORKSPACE_CLAIM"),
		RoleClaim:      os.Getenv("ROLE_CLAIM"),
		Logger:         d.Log,
	}, routes...)
}

// Cursors builds the cursor codec from the SSM SecureString parameter named
// by CURSOR_SECRET_PARAMETER: its current version signs, and its previous
// version (the key before the last rotation) is accepted too.
func (d *Deps) Cursors(ctx context.Context) (*cursor.Codec, error) {
	name, err := Env("CURSOR_SECRET_PARAMETER")
	if err != nil {
		return nil, err
	}
	return cursorsFrom(ctx, ssm.NewFromConfig(d.AWS), name)
}

// parameterReader is the part of the SSM client Cursors uses.
type parameterReader interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// cursorsFrom reads the parameter name and its previous version (name:N-1).
// A previous value too short to be a key is left out: it never signed a
// cursor, since no codec accepts it.
func cursorsFrom(ctx context.Context, params parameterReader, name string) (*cursor.Codec, error) {
	current, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read the cursor secret %s: %w", name, err)
	}
	var previous [][]byte
	if v := current.Parameter.Version; v > 1 {
		selector := fmt.Sprintf("%s:%d", name, v-1)
		out, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: &selector, WithDecryption: aws.Bool(true)})
		var gone *ssmtypes.ParameterVersionNotFound // SSM keeps the last 100 versions
		switch {
		case errors.As(err, &gone):
		case err != nil:
			return nil, fmt.Errorf("read the previous cursor secret %s: %w", selector, err)
		case len(aws.ToString(out.Parameter.Value)) >= cursor.MinKeyLen:
			previous = append(previous, []byte(aws.ToString(out.Parameter.Value)))
		}
	}
	c, err := cursor.New([]byte(aws.ToString(current.Parameter.Value)), previous...)
	if err != nil {
		return nil, fmt.Errorf("cursor secret %s: %w", name, err)
	}
	return c, nil
}

// Finder returns the list and search service; cursors may be nil for
// workers that walk filters without cursors.
func (d *Deps) Finder(cursors *cursor.Codec) *search.Service {
	return &search.Service{
		Index:      &dynamo.Search{Client: d.DB, Table: d.Table},
		Contacts:   d.People,
		Workspaces: d.People.Workspaces,
		Tags:       d.Tags,
		Cursors:    cursors,
	}
}
