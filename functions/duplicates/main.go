// Command duplicates is the worker of the remove-duplicates job (SQS): it
// merges every duplicate group into its oldest contact, until its deadline,
// then queues the rest of the job.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/merge"
	"github.com/omnichannel/contacts/internal/queue"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		url, err := app.Env("DUPLICATES_QUEUE_URL")
		if err != nil {
			return nil, err
		}
		w := &merge.Worker{
			Merges: &merge.Service{People: d.People, Store: &dynamo.Merges{Client: d.DB, Table: d.Table}},
			Index:  d.Contacts, Jobs: d.Jobs(), Queue: &queue.JobQueue{Client: sqs.NewFromConfig(d.AWS), QueueURL: url},
		}
		return lambdaevents.Batch(d.Log, lambdaevents.Duplicates{Worker: w}.Handle), nil
	})
}
