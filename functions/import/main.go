// Command import is the worker of import jobs: an S3 event of a file
// landing under imports/ queues its job; each SQS message runs the job
// until it ends or the function's deadline nears, then queues the rest.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobevents"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/s3files"
	"github.com/omnichannel/contacts/internal/sqsevents"
	"github.com/omnichannel/contacts/internal/sqsworker"
	"github.com/omnichannel/contacts/internal/tag"
)

func main() {
	ctx := context.Background()
	d, err := platform.NewDeps(ctx)
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	env, err := platform.Envs("IMPORT_BUCKET", "IMPORT_QUEUE_URL")
	if err != nil {
		platform.Exit(d.Log, err)
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	e := jobevents.Import{Events: &importer.Events{
		Worker: &importer.Worker{
			People: d.People, Contacts: d.Contacts, Finder: &dynamo.Search{Client: d.DB, Table: d.Table},
			Tags:     &tag.Service{Tags: d.Tags, Contacts: d.Contacts, People: d.People},
			Jobs:     &dynamo.Jobs{Client: d.DB, Table: d.Table},
			Files:    s3files.New(s3.NewFromConfig(cfg, platform.S3Options), env["IMPORT_BUCKET"]),
			Failures: &dynamo.ImportFailures{Client: d.DB, Table: d.Table},
		},
		Queue: &sqsevents.JobQueue{Client: sqs.NewFromConfig(cfg), QueueURL: env["IMPORT_QUEUE_URL"]},
	}}
	runs := sqsworker.Batch(d.Log, e.Continue)
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var probe struct {
			Records []struct {
				EventSource string `json:"eventSource"`
			} `json:"Records"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil || len(probe.Records) == 0 {
			return nil, fmt.Errorf("import: not an S3 or SQS event")
		}
		if probe.Records[0].EventSource == "aws:sqs" {
			var ev events.SQSEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("import: decode SQS event: %w", err)
			}
			return runs(ctx, ev)
		}
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("import: decode S3 event: %w", err)
		}
		for _, r := range ev.Records {
			outcome, err := e.Landed(ctx, r)
			if err != nil {
				return nil, err // S3 invokes again (asynchronous retries)
			}
			d.Log.Info("import file landed", "outcome", outcome)
		}
		return nil, nil
	})
}
