// Command import is the worker of import jobs: an S3 event of a file
// landing under imports/ queues its job; each SQS message runs the job
// until it ends or the function's deadline nears, then queues the rest.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Import) }
