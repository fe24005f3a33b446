// Command contacts is the Lambda function behind the contact CRUD routes.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/platform"
)

func main() {
	ctx := context.Background()
	log := platform.Logger()
	table, err := platform.Env("TABLE_NAME")
	if err != nil {
		platform.Exit(log, err)
	}
	cfg, err := platform.AWSConfig(ctx)
	if err != nil {
		platform.Exit(log, err)
	}
	db := dynamodb.NewFromConfig(cfg)
	svc := &contact.Service{
		Contacts:   &dynamo.Contacts{Client: db, Table: table},
		Workspaces: &dynamo.Workspaces{Client: db, Table: table},
	}
	api := httpapi.New(httpapi.Config{
		WorkspaceClaim: os.Getenv("WORKSPACE_CLAIM"),
		RoleClaim:      os.Getenv("ROLE_CLAIM"),
		Logger:         log,
	}, httpapi.ContactRoutes(svc)...)
	lambda.Start(api.Handle)
}
