package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Linked returns the ids of the contacts linked to mainID, reading its own
// writes; at most limit.
func (s *Contacts) Linked(ctx context.Context, ws, mainID string, limit int) ([]string, error) {
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.Table, ConsistentRead: aws.Bool(true), Limit: aws.Int32(int32(limit)),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: linkPK(ws, mainID)}},
	})
	if err != nil {
		return nil, fmt.Errorf("linked contacts of %s: %w", mainID, err)
	}
	var ids []string
	for _, av := range out.Items {
		var it lookupItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("unmarshal link: %w", err)
		}
		ids = append(ids, it.ContactID)
	}
	return ids, nil
}
