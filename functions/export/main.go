// Command export is the worker of export jobs (SQS): it streams every
// contact matching the job's filter to a CSV or XLSX file in S3.
package main

import (
	"context"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/export"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/s3files"
	"github.com/omnichannel/contacts/internal/sheets"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		bucket, err := app.Env("EXPORT_BUCKET")
		if err != nil {
			return nil, err
		}
		w := &export.Worker{
			Search: d.Finder(nil), People: d.People, Contacts: d.Contacts, Companies: d.Companies(), Jobs: d.Jobs(),
			Files: s3files.New(s3.NewFromConfig(d.AWS, app.S3Options), bucket),
			NewWriter: func(w io.Writer, format string, header []string) (export.RowWriter, error) {
				return sheets.NewWriter(w, sheets.Format(format), header)
			},
		}
		return lambdaevents.Batch(d.Log, lambdaevents.Export{Worker: w}.Handle), nil
	})
}
