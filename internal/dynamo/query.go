package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// queryPrefix reads the items of pk whose SK starts with prefix ("" for
// all), strongly consistent when asked, in key order; limit 0 reads them all.
func queryPrefix(ctx context.Context, client *dynamodb.Client, table, pk, prefix string, consistent bool, limit int32) ([]map[string]types.AttributeValue, error) {
	in := &dynamodb.QueryInput{
		TableName: &table, ConsistentRead: aws.Bool(consistent),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk},
			":lo": &types.AttributeValueMemberS{Value: prefix},
			":hi": &types.AttributeValueMemberS{Value: prefix + "\U0010FFFF"},
		},
	}
	if prefix == "" {
		in.KeyConditionExpression = aws.String("PK = :pk")
		delete(in.ExpressionAttributeValues, ":lo")
		delete(in.ExpressionAttributeValues, ":hi")
	}
	if limit > 0 {
		in.Limit = aws.Int32(limit)
	}
	var out []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if limit > 0 {
			break
		}
	}
	return out, nil
}

// countPrefix counts the items of pk whose SK starts with prefix, strongly
// consistent (a Query with Select COUNT, paged).
func countPrefix(ctx context.Context, client *dynamodb.Client, table, pk, prefix string) (int, error) {
	p := dynamodb.NewQueryPaginator(client, &dynamodb.QueryInput{
		TableName: &table, Select: types.SelectCount, ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk},
			":lo": &types.AttributeValueMemberS{Value: prefix},
			":hi": &types.AttributeValueMemberS{Value: prefix + "\U0010FFFF"},
		},
	})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("count %s: %w", prefix, err)
		}
		n += int(page.Count)
	}
	return n, nil
}
