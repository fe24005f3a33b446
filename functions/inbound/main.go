// Command inbound is the Lambda function behind the channel gateways'
// message.received events (SQS): it finds or creates the sender's contact,
// connects the channel and opens or reuses the conversation.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/inbound"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/sqsworker"
)

func main() {
	d, err := platform.NewDeps(context.Background())
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	svc := &conversation.Service{People: d.People, Store: d.Conversations}
	lambda.Start(sqsworker.Batch(d.Log, inbound.Handler(svc)))
}
