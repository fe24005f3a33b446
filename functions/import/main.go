// Command import is the worker of import jobs: an S3 event of a file
// landing under imports/ queues its job; each SQS message runs the job
// until it ends or the function's deadline nears, then queues the rest.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/queue"
	"github.com/omnichannel/contacts/internal/s3files"
	"github.com/omnichannel/contacts/internal/tag"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		env, err := app.Envs("IMPORT_BUCKET", "IMPORT_QUEUE_URL")
		if err != nil {
			return nil, err
		}
		w := &importer.Worker{
			People: d.People, Contacts: d.Contacts, Finder: d.Search(), Jobs: d.Jobs(),
			Tags:      &tag.Service{Tags: d.Tags, Contacts: d.Contacts, People: d.People},
			Companies: d.Companies(), CompanyMaker: &company.Service{Companies: d.Companies(), Workspaces: d.People.Workspaces, People: d.People},
			Files:    s3files.New(s3.NewFromConfig(d.AWS, app.S3Options), env["IMPORT_BUCKET"]),
			Failures: &dynamo.ImportFailures{Client: d.DB, Table: d.Table},
		}
		q := &queue.JobQueue{Client: sqs.NewFromConfig(d.AWS), QueueURL: env["IMPORT_QUEUE_URL"]}
		return lambdaevents.Import{Events: &importer.Events{Worker: w, Queue: q}}.Handler(d.Log), nil
	})
}
