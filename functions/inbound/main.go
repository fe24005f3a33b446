// Command inbound is the Lambda function behind the channel gateways'
// message.received events (SQS): it finds or creates the sender's contact,
// connects the channel and opens or reuses the conversation.
package main

import "github.com/omnichannel/contacts/internal/app"

func main() { app.Start(app.Inbound) }
