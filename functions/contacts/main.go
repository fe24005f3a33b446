// Command contacts is the Lambda function behind contact create, read,
// update and delete, the timeline and notes, custom field definitions and
// workspace settings.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/platform/cursorsecret"
)

func main() {
	d, err := platform.NewDeps(context.Background())
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	cursors, err := cursorsecret.Codec(context.Background(), d.AWS)
	if err != nil {
		platform.Exit(d.Log, err)
	}
	routes := append(httpapi.ContactRoutes(d.People), httpapi.TimelineRoutes(d.People, d.Contacts, cursors, d.Keys)...)
	lambda.Start(d.API(routes).Handle)
}
