package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
)

var _ contact.TimelineStore = (*Contacts)(nil)

// Timeline implements contact.TimelineStore: one Query of the contact's
// partition, newest first.
func (s *Contacts) Timeline(ctx context.Context, ws, id, before string, limit int, hide string) (contact.TimelinePage, error) {
	upper, want := "TL#\U0010FFFF", limit+1 // one more tells whether there is a next page
	if before != "" {
		upper, want = timelineSK(before), limit+2 // BETWEEN includes before itself
	}
	items, err := queryNewest(ctx, s.Client, &dynamodb.QueryInput{
		TableName: &s.Table, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(want)),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: contactPK(ws, id)},
			":lo": &types.AttributeValueMemberS{Value: "TL#"},
			":hi": &types.AttributeValueMemberS{Value: upper},
		},
	}, want, hide)
	if err != nil {
		return contact.TimelinePage{}, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	var page contact.TimelinePage
	for _, av := range items {
		var it timelineItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return page, fmt.Errorf("unmarshal timeline entry: %w", err)
		}
		entryID := strings.TrimPrefix(it.SK, "TL#")
		if entryID == before {
			continue // BETWEEN is inclusive
		}
		if len(page.Entries) == limit {
			page.More = true
			break
		}
		page.Entries = append(page.Entries, contact.Entry{
			ID: entryID, Event: it.Event, At: parseTime(it.At), Actor: it.Actor, Fields: it.Fields, Text: it.Text,
			Channel: it.Channel, ConversationID: it.ConversationID, Action: it.Action,
			MergeID: it.MergeID, Sources: it.Sources,
		})
	}
	return page, nil
}

// AddEntry implements contact.TimelineStore: the entry and a check that the
// contact exists, in one transaction.
func (s *Contacts) AddEntry(ctx context.Context, ws, id string, e contact.Entry) error {
	av, err := attributevalue.MarshalMap(entryItem(ws, id, e))
	if err != nil {
		return fmt.Errorf("marshal timeline entry: %w", err)
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: &s.Table, Key: key(contactPK(ws, id), contactSK), ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(mergedInto)")}},
		{Put: &types.Put{TableName: &s.Table, Item: av}},
	}})
	if isRace(err) {
		return contact.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("add timeline entry to %s: %w", id, err)
	}
	return nil
}

// entryItem is e as stored in the contact's partition.
func entryItem(ws, contactID string, e contact.Entry) timelineItem {
	return timelineItem{
		PK: contactPK(ws, contactID), SK: timelineSK(e.ID), Type: typeTimeline,
		Event: e.Event, At: formatTime(e.At), Actor: e.Actor, Fields: e.Fields, Text: e.Text,
		Channel: e.Channel, ConversationID: e.ConversationID, Action: e.Action,
	}
}

// queryNewest runs in, a Query with a Limit, and returns up to want items,
// leaving out those a merge running in steps (id hide) is moving: then it
// reads on until it has want items or the partition ends.
func queryNewest(ctx context.Context, client *dynamodb.Client, in *dynamodb.QueryInput, want int, hide string) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for {
		page, err := client.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if hide != "" && str(it, attrMergeID) == hide {
				continue
			}
			out = append(out, it)
		}
		if hide == "" || len(out) >= want || page.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
