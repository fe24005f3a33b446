// Command search is the Lambda function behind the contact list, search
// and lookup.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/search"
)

func main() {
	d, err := platform.NewDeps(context.Background())
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	cursors, err := platform.Cursors()
	if err != nil {
		platform.Exit(d.Log, err)
	}
	svc := &search.Service{
		Index:      &dynamo.Search{Client: d.DB, Table: d.Table},
		Contacts:   d.People,
		Workspaces: d.People.Workspaces,
		Tags:       d.Tags,
		Cursors:    cursors,
	}
	lambda.Start(d.API(httpapi.SearchRoutes(svc)).Handle)
}
