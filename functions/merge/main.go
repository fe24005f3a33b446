// Command merge is the Lambda function behind merging contacts, undoing
// merges and the merge history.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/merge"
	"github.com/omnichannel/contacts/internal/platform"
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
	svc := &merge.Service{People: d.People, Store: &dynamo.Merges{Client: d.DB, Table: d.Table}}
	lambda.Start(d.API(httpapi.MergeRoutes(svc, cursors)).Handle)
}
