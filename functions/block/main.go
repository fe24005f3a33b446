// Command block is the Lambda function behind blocking and unblocking a
// contact.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/sqsevents"
)

func main() {
	ctx := context.Background()
	d, err := platform.NewDeps(ctx)
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	queue, err := platform.Env("CONTACT_EVENTS_QUEUE_URL")
	if err != nil {
		platform.Exit(d.Log, err)
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	events := &sqsevents.Publisher{Client: sqs.NewFromConfig(cfg), QueueURL: queue}
	fx := contact.BlockEffects{Events: events, Conversations: d.Conversations}
	lambda.Start(d.API(httpapi.BlockRoutes(d.People, fx)).Handle)
}
