// Command companies is the Lambda function behind the workspace's
// companies and the contacts linked to them; deleting a company with many
// contacts queues a company_unlink job.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/app/cursorsecret"
	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/queue"
)

func main() {
	app.Start(func(ctx context.Context, d *app.Deps) (any, error) {
		cursors, err := cursorsecret.Codec(ctx, d.AWS)
		if err != nil {
			return nil, err
		}
		url, err := app.Env("COMPANY_UNLINK_QUEUE_URL")
		if err != nil {
			return nil, err
		}
		svc := &company.Service{Companies: d.Companies(), Workspaces: d.People.Workspaces, Cursors: cursors, People: d.People,
			FieldDefs: &dynamo.CompanyFields{Client: d.DB, Table: d.Table},
			Jobs:      &jobs.Service{Store: d.Jobs()}, Queue: &queue.JobQueue{Client: sqs.NewFromConfig(d.AWS), QueueURL: url}}
		routes := append(httpapi.CompanyRoutes(svc, d.Keys), httpapi.CompanyTimelineRoutes(svc, d.Companies(), cursors, d.Keys)...)
		return d.API(routes), nil
	})
}
