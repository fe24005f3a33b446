// Command conversations is the Lambda function behind a contact's channels
// and conversations, starting conversations, message templates and the
// workspace's channel catalogue.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Conversations) }
