// Command contacts is the Lambda function behind contact create, read,
// update and delete, the timeline and notes, custom field definitions and
// workspace settings.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Contacts) }
