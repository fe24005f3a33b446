package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// CountContacts implements company.ContactCounter: how many contacts the
// company's contacts partition holds, by Query with Select COUNT (one call
// per MB of index rows, eventually consistent), for a company_unlink job's
// total.
func (s *Companies) CountContacts(ctx context.Context, ws, id string) (int, error) {
	in := &dynamodb.QueryInput{
		TableName: &s.Table, Select: types.SelectCount,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: companyContactsPK(ws, id)}},
	}
	n := 0
	for {
		out, err := s.Client.Query(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("count company contacts: %w", err)
		}
		n += int(out.Count)
		if out.LastEvaluatedKey == nil {
			return n, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
