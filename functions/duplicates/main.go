// Command duplicates is the worker of the remove-duplicates job (SQS): it
// merges every duplicate group into its oldest contact, until its deadline,
// then queues the rest of the job.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/jobevents"
	"github.com/omnichannel/contacts/internal/merge"
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
	queueURL, err := platform.Env("DUPLICATES_QUEUE_URL")
	if err != nil {
		platform.Exit(d.Log, err)
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	w := &merge.Worker{
		Merges: &merge.Service{People: d.People, Store: &dynamo.Merges{Client: d.DB, Table: d.Table}},
		Index:  d.Contacts,
		Jobs:   &dynamo.Jobs{Client: d.DB, Table: d.Table},
		Queue:  &sqsevents.JobQueue{Client: sqs.NewFromConfig(cfg), QueueURL: queueURL},
	}
	lambda.Start(sqsworker.Batch(d.Log, jobevents.Duplicates{Worker: w}.Handle))
}
