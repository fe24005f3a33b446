// Command inbound is the Lambda function behind the channel gateways'
// message.received events (SQS): it finds or creates the sender's contact,
// connects the channel and opens or reuses the conversation.
package main

import (
	"context"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/lambdaevents"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		svc := &conversation.Service{People: d.People, Store: d.Conversations}
		return lambdaevents.Batch(d.Log, lambdaevents.Inbound(svc)), nil
	})
}
