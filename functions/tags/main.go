// Command tags is the Lambda function behind the tag catalogue and the
// tagging of contacts.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/platform"
	"github.com/omnichannel/contacts/internal/tag"
)

func main() {
	d, err := platform.NewDeps(context.Background())
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	svc := &tag.Service{Tags: d.Tags, Contacts: d.Contacts, People: d.People}
	lambda.Start(d.API(httpapi.TagRoutes(svc, d.Keys)).Handle)
}
