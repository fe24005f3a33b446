// Command merge is the Lambda function behind merge suggestions, merging
// contacts, undoing merges, the merge history, and starting the removal of
// every duplicate.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/app/cursorsecret"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/merge"
	"github.com/omnichannel/contacts/internal/queue"
)

func main() {
	app.Start(func(ctx context.Context, d *app.Deps) (any, error) {
		cursors, err := cursorsecret.Codec(ctx, d.AWS)
		if err != nil {
			return nil, err
		}
		url, err := app.Env("DUPLICATES_QUEUE_URL")
		if err != nil {
			return nil, err
		}
		svc := &merge.Service{People: d.People, Store: &dynamo.Merges{Client: d.DB, Table: d.Table}}
		q := &queue.JobQueue{Client: sqs.NewFromConfig(d.AWS), QueueURL: url}
		return d.API(httpapi.MergeRoutes(svc, d.Contacts, cursors, &jobs.Service{Store: d.Jobs()}, q)), nil
	})
}
