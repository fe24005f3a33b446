// Command bulkdelete is the worker of bulk delete jobs (SQS): it expands a
// filter into batches and deletes each batch's contacts with everything
// they own.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.BulkDelete) }
