// Command jobs is the Lambda function behind following and cancelling
// background jobs.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/jobs"
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
	js := &jobs.Service{Store: &dynamo.Jobs{Client: d.DB, Table: d.Table}}
	lambda.Start(d.API(httpapi.JobRoutes(js, cursors)).Handle)
}
