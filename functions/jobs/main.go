// Command jobs is the Lambda function behind background jobs: starting
// imports, exports and bulk deletes, following and cancelling jobs.
package main

import (
	"cmp"
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/app/cursorsecret"
	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/export"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/queue"
	"github.com/omnichannel/contacts/internal/s3files"
)

func main() {
	app.Start(func(ctx context.Context, d *app.Deps) (any, error) {
		env, err := app.Envs("BULK_DELETE_QUEUE_URL", "EXPORT_QUEUE_URL", "IMPORT_BUCKET", "EXPORT_BUCKET")
		cursors, cerr := cursorsecret.Codec(ctx, d.AWS)
		if err = cmp.Or(err, cerr); err != nil {
			return nil, err
		}
		sq, s3c := sqs.NewFromConfig(d.AWS), s3.NewFromConfig(d.AWS, app.S3Options)
		imports, exports := s3files.New(s3c, env["IMPORT_BUCKET"]), s3files.New(s3c, env["EXPORT_BUCKET"])
		js := &jobs.Service{Store: d.Jobs(), Permissions: d.People}
		deleter := &bulk.Service{People: d.People, Jobs: js, Search: d.Finder(nil), Counter: d.Search(), Batches: &dynamo.JobBatches{Client: d.DB, Table: d.Table},
			Queue: &queue.BulkQueue{Client: sq, QueueURL: env["BULK_DELETE_QUEUE_URL"]}}
		exporter := &export.Service{Jobs: js, Search: d.Finder(nil), People: d.People, Queue: &queue.JobQueue{Client: sq, QueueURL: env["EXPORT_QUEUE_URL"]}}
		return d.API(httpapi.JobRoutes(js, cursors, s3files.JobLinks(imports, exports)), httpapi.BulkDeleteRoutes(deleter),
			httpapi.ImportRoutes(&importer.Service{People: d.People, Jobs: js, Uploads: imports}), httpapi.ExportRoutes(exporter)), nil
	})
}
