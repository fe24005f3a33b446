// Command merge is the Lambda function behind merge suggestions, merging
// contacts, undoing merges, the merge history, and starting the removal of
// every duplicate.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/merge"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/platform/cursorsecret"
	"github.com/omnichannel/contacts/internal/sqsevents"
)

func main() {
	ctx := context.Background()
	d, err := platform.NewDeps(ctx)
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	cursors, err := cursorsecret.Codec(ctx, d.AWS)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	queueURL, err := platform.Env("DUPLICATES_QUEUE_URL")
	if err != nil {
		platform.Exit(d.Log, err)
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	queue := &sqsevents.JobQueue{Client: sqs.NewFromConfig(cfg), QueueURL: queueURL}
	svc := &merge.Service{People: d.People, Store: &dynamo.Merges{Client: d.DB, Table: d.Table}}
	js := &jobs.Service{Store: &dynamo.Jobs{Client: d.DB, Table: d.Table}}
	lambda.Start(d.API(httpapi.MergeRoutes(svc, d.Contacts, cursors, js, queue)).Handle)
}
