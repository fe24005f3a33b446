// Command jobs is the Lambda function behind background jobs: starting
// imports, exports and bulk deletes, following and cancelling jobs.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/export"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/platform/cursorsecret"
	"github.com/omnichannel/contacts/internal/s3files"
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
	env, err := platform.Envs("BULK_DELETE_QUEUE_URL", "EXPORT_QUEUE_URL", "IMPORT_BUCKET", "EXPORT_BUCKET")
	if err != nil {
		platform.Exit(d.Log, err)
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	sqsClient, s3Client := sqs.NewFromConfig(cfg), s3.NewFromConfig(cfg, platform.S3Options)
	imports, exports := s3files.New(s3Client, env["IMPORT_BUCKET"]), s3files.New(s3Client, env["EXPORT_BUCKET"])
	js := &jobs.Service{Store: &dynamo.Jobs{Client: d.DB, Table: d.Table}}
	finder := d.Finder(nil)
	deleter := &bulk.Service{
		Jobs: js, Search: finder, Counter: &dynamo.Search{Client: d.DB, Table: d.Table},
		Batches: &dynamo.JobBatches{Client: d.DB, Table: d.Table},
		Queue:   &sqsevents.BulkQueue{Client: sqsClient, QueueURL: env["BULK_DELETE_QUEUE_URL"]},
	}
	exporter := &export.Service{Jobs: js, Search: finder, People: d.People, Queue: &sqsevents.JobQueue{Client: sqsClient, QueueURL: env["EXPORT_QUEUE_URL"]}}
	importing := &importer.Service{Jobs: js, People: d.People, Uploads: imports}
	links := func(ctx context.Context, j *jobs.Job) (map[string]string, error) {
		out := map[string]string{}
		if key := j.Files["errorReport"]; key != "" {
			u, err := imports.DownloadURL(ctx, key, "erros-"+j.ID+".csv", time.Hour)
			if err != nil {
				return nil, err
			}
			out["errorReport"] = u
		}
		if key := j.Files["download"]; key != "" {
			u, err := exports.DownloadURL(ctx, key, "contatos-"+j.ID+"."+j.Params["format"], time.Hour)
			if err != nil {
				return nil, err
			}
			out["download"] = u
		}
		return out, nil
	}
	routes := httpapi.JobRoutes(js, cursors, links)
	routes = append(routes, httpapi.BulkDeleteRoutes(deleter)...)
	routes = append(routes, httpapi.ImportRoutes(importing)...)
	routes = append(routes, httpapi.ExportRoutes(exporter)...)
	lambda.Start(d.API(routes).Handle)
}
