package dynamo

import (
	"context"
	"fmt"
	"strings"

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

// holders returns up to limit ids of the contacts holding a duplicate key,
// oldest first: one strongly consistent Query of its lookups.
func (s *Contacts) holders(ctx context.Context, ws, k string, limit int) ([]string, error) {
	var pk string
	switch {
	case strings.HasPrefix(k, "p:"):
		pk = phonePK(ws, k[2:])
	case strings.HasPrefix(k, "e:"):
		pk = emailPK(ws, k[2:])
	default:
		return nil, fmt.Errorf("holders: %q is not a duplicate key", k)
	}
	items, err := queryPrefix(ctx, s.Client, s.Table, pk, "C#", true, int32(limit))
	if err != nil {
		return nil, fmt.Errorf("read the holders of a key: %w", err)
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, str(it, "contactId"))
	}
	return ids, nil
}

// externalIDHolder returns the id of the contact holding externalID, or "":
// one strongly consistent GetItem of its guard.
func externalIDHolder(ctx context.Context, client *dynamodb.Client, table, ws, externalID string) (string, error) {
	var it lookupItem
	found, err := getItem(ctx, client, table, externalIDPK(ws, externalID), externalIDSK, true, "externalId guard", &it)
	if err != nil || !found {
		return "", err
	}
	return it.ContactID, nil
}

// ByExternalID implements contact.Repository.
func (s *Contacts) ByExternalID(ctx context.Context, ws, externalID string) (string, error) {
	return externalIDHolder(ctx, s.Client, s.Table, ws, externalID)
}

// LookupExternalID implements search.Index and importer.Finder: the
// contact holding externalID, if any.
func (s *Search) LookupExternalID(ctx context.Context, ws, externalID string) ([]string, error) {
	id, err := externalIDHolder(ctx, s.Client, s.Table, ws, externalID)
	if err != nil || id == "" {
		return nil, err
	}
	return []string{id}, nil
}
