package platform

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

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
