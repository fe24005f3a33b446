// Command duplicates is the worker of the remove-duplicates job (SQS): it
// merges every duplicate group into its oldest contact, until its deadline,
// then queues the rest of the job.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Duplicates) }
