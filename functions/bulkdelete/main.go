// Command bulkdelete is the worker of bulk delete jobs (SQS): it expands a
// filter into batches and deletes each batch's contacts with everything
// they own.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/jobevents"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/sqsevents"
	"github.com/omnichannel/contacts/internal/sqsworker"
)

func main() {
	ctx := context.Background()
	d, err := platform.NewDeps(ctx)
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	queueURL, err := platform.Env("BULK_DELETE_QUEUE_URL")
	if err != nil {
		platform.Exit(d.Log, err)
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	w := &bulk.Worker{
		People:  d.People,
		Search:  d.Finder(nil),
		Jobs:    &dynamo.Jobs{Client: d.DB, Table: d.Table},
		Batches: &dynamo.JobBatches{Client: d.DB, Table: d.Table},
		Queue:   &sqsevents.BulkQueue{Client: sqs.NewFromConfig(cfg), QueueURL: queueURL},
	}
	lambda.Start(sqsworker.Batch(d.Log, jobevents.Bulk{Worker: w}.Handle))
}
