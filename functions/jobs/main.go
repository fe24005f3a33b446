// Command jobs is the Lambda function behind background jobs: starting
// imports, exports and bulk deletes, following and cancelling jobs.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Jobs) }
