// Command bulkdelete is the worker of bulk delete jobs (SQS): it expands a
// filter into batches and deletes each batch's contacts with everything
// they own.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/queue"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		url, err := app.Env("BULK_DELETE_QUEUE_URL")
		if err != nil {
			return nil, err
		}
		w := &bulk.Worker{
			People: d.People, Search: d.Finder(nil), Jobs: d.Jobs(),
			Batches: &dynamo.JobBatches{Client: d.DB, Table: d.Table},
			Queue:   &queue.BulkQueue{Client: sqs.NewFromConfig(d.AWS), QueueURL: url},
		}
		return lambdaevents.Batch(d.Log, lambdaevents.Bulk{Worker: w}.Handle), nil
	})
}
