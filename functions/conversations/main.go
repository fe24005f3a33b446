// Command conversations is the Lambda function behind a contact's channels
// and conversations, starting conversations, message templates and the
// workspace's channel catalogue.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/app/cursorsecret"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/queue"
)

func main() {
	app.Start(func(ctx context.Context, d *app.Deps) (any, error) {
		cursors, err := cursorsecret.Codec(ctx, d.AWS)
		if err != nil {
			return nil, err
		}
		url, err := app.Env("OUTBOUND_QUEUE_URL")
		if err != nil {
			return nil, err
		}
		outbound := &queue.Publisher{Client: sqs.NewFromConfig(d.AWS), QueueURL: url}
		svc := &conversation.Service{People: d.People, Store: d.Conversations, Outbound: outbound}
		return d.API(httpapi.ConversationRoutes(svc, cursors, d.Keys)), nil
	})
}
