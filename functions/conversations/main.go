// Command conversations is the Lambda function behind a contact's channels
// and conversations, starting conversations, message templates and the
// workspace's channel catalogue.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/platform/cursorsecret"
	"github.com/omnichannel/contacts/internal/sqsevents"
)

func main() {
	ctx := context.Background()
	d, err := platform.NewDeps(ctx)
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	cursors, err := cursorsecret.Codec(ctx, d.AWS)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	queue, err := platform.Env("OUTBOUND_QUEUE_URL")
	if err != nil {
		platform.Exit(d.Log, err)
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	outbound := &sqsevents.Publisher{Client: sqs.NewFromConfig(cfg), QueueURL: queue}
	svc := &conversation.Service{People: d.People, Store: d.Conversations, Outbound: outbound}
	lambda.Start(d.API(httpapi.ConversationRoutes(svc, cursors, d.Keys)).Handle)
}
