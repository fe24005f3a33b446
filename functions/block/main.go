// Command block is the Lambda function behind blocking and unblocking a
// contact.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Block) }
