// Command block is the Lambda function behind blocking and unblocking a
// contact.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/queue"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		url, err := app.Env("CONTACT_EVENTS_QUEUE_URL")
		if err != nil {
			return nil, err
		}
		fx := contact.BlockEffects{Events: &queue.Publisher{Client: sqs.NewFromConfig(d.AWS), QueueURL: url}, Conversations: d.Conversations}
		return d.API(httpapi.BlockRoutes(d.People, fx)), nil
	})
}
