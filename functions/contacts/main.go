// Command contacts is the Lambda function behind contact create, read,
// update and delete, and the custom field definitions.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/platform"
)

func main() {
	d, err := platform.NewDeps(context.Background())
	if err != nil {
		platform.Exit(platform.Logger(), err)
	}
	lambda.Start(d.API(httpapi.ContactRoutes(d.People)).Handle)
}
