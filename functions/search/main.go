// Command search is the Lambda function behind the contact list, search
// and lookup.
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
	lambda.Start(d.API(httpapi.SearchRoutes(d.Finder(cursors))).Handle)
}
