// Command export is the worker of export jobs (SQS): it streams every
// contact matching the job's filter to a CSV or XLSX file in S3.
package main

import (
	"context"
	"io"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/export"
	"github.com/omnichannel/contacts/internal/jobevents"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/s3files"
	"github.com/omnichannel/contacts/internal/sheets"
	"github.com/omnichannel/contacts/internal/sqsworker"
)

func main() {
	ctx := context.Background()
	d, err := platform.NewDeps(ctx)
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	bucket, err := platform.Env("EXPORT_BUCKET")
	if err != nil {
		platform.Exit(d.Log, err)
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	w := &export.Worker{
		Search: d.Finder(nil), People: d.People, Contacts: d.Contacts,
		Jobs:  &dynamo.Jobs{Client: d.DB, Table: d.Table},
		Files: s3files.New(s3.NewFromConfig(cfg, platform.S3Options), bucket),
		NewWriter: func(w io.Writer, format string, header []string) (export.RowWriter, error) {
			return sheets.NewWriter(w, sheets.Format(format), header)
		},
	}
	lambda.Start(sqsworker.Batch(d.Log, jobevents.Export{Worker: w}.Handle))
}
