// Command events is the Lambda function behind the table's stream: it
// publishes every committed change of a contact, conversation, merge or job
// as an event on the event bus (docs/architecture.md, Change events).
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/omnichannel/contacts/internal/app"
	"github.com/omnichannel/contacts/internal/changes"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/eventbus"
	"github.com/omnichannel/contacts/internal/lambdaevents"
)

func main() {
	app.Start(func(_ context.Context, d *app.Deps) (any, error) {
		bus, err := app.Env("EVENT_BUS_NAME")
		if err != nil {
			return nil, err
		}
		pub := &changes.Publisher{Tags: d.Tags, Bus: &eventbus.Bus{Client: eventbridge.NewFromConfig(d.AWS), Name: bus}}
		return lambdaevents.Stream(d.Log, dynamo.StreamImage, pub), nil
	})
}
