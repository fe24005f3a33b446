package template

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// CreateTable creates the table resource logicalID of tpl as a table called
// name, waits until it is ACTIVE and, if the resource declares one, enables
// its time to live. Each of opts may change the input first.
func CreateTable(ctx context.Context, client *dynamodb.Client, tpl *Template, logicalID, name string, opts ...func(*dynamodb.CreateTableInput)) error {
	in, err := tpl.TableInput(logicalID, name)
	if err != nil {
		return err
	}
	for _, o := range opts {
		o(in)
	}
	if _, err := client.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("creating table %s: %w", name, err)
	}
	// DynamoDB Local makes tables ACTIVE at once; the SDK's default 20s
	// minimum delay between polls is for the real service.
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("waiting for table %s to be active: %w", name, err)
	}
	if attr, ok := tpl.TTLAttribute(logicalID); ok {
		_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(attr),
				Enabled:       aws.Bool(true),
			},
		})
		if err != nil {
			return fmt.Errorf("enabling time to live on %s.%s: %w", name, attr, err)
		}
	}
	return nil
}
