// Command export is the worker of export jobs (SQS): it streams every
// contact matching the job's filter to a CSV or XLSX file in S3.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Export) }
