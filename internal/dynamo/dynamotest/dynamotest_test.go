package dynamotest_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
)

func TestNewTableRoundTrip(t *testing.T) {
	c, table := dynamotest.NewTable(t)
	ctx := t.Context()

	item := map[string]types.AttributeValue{
		"PK":        &types.AttributeValueMemberS{Value: "WS#w1"},
		"SK":        &types.AttributeValueMemberS{Value: "CONTACT#c1"},
		"name":      &types.AttributeValueMemberS{Value: "Ada Lovelace"},
		"expiresAt": &types.AttributeValueMemberN{Value: "4102444800"},
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"PK": item["PK"], "SK": item["SK"]},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := out.Item["name"].(*types.AttributeValueMemberS); !ok || got.Value != "Ada Lovelace" {
		t.Errorf("GetItem name = %#v, want Ada Lovelace", out.Item["name"])
	}

	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "expiresAt" {
		t.Errorf("time to live = %+v, want enabled on expiresAt", d)
	}
}

func TestNewTableIsUniqueAndDeleted(t *testing.T) {
	var first string
	t.Run("create", func(t *testing.T) {
		_, first = dynamotest.NewTable(t)
		_, second := dynamotest.NewTable(t)
		if first == second {
			t.Fatalf("two tables named %s", first)
		}
	})
	out, err := dynamotest.Client(t).ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(out.TableNames, first) {
		t.Errorf("table %s still exists after its test ended", first)
	}
}
