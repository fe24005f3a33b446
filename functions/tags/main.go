// Command tags is the Lambda function behind the tag catalogue and the
// tagging of contacts.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Tags) }
