package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
	return readTimeline(ctx, s.Client, s.Table, newestQuery{PK: contactPK(ws, id), Hide: hide}, before, limit, "timeline of "+id)
}

// readTimeline reads up to limit timeline entries of the partition q.PK (a
// contact's or a company's, leaving out what q hides or refuses) older than
// the entry id before ("" for the newest), newest first, with one Query.
func readTimeline(ctx context.Context, client *dynamodb.Client, table string, q newestQuery, before string, limit int, what string) (contact.TimelinePage, error) {
	q.Prefix = "TL#"
	if before != "" {
		q.BeforeSK = timelineSK(before)
	}
	entries, more, err := newestPage(ctx, client, table, q, limit, what, func(av map[string]types.AttributeValue) (contact.Entry, error) {
		var it timelineItem
		err := attributevalue.UnmarshalMap(av, &it)
		return it.entry(), err
	})
	return contact.TimelinePage{Entries: entries, More: more}, err
}

// AddEntry implements contact.TimelineStore: the entry and a check that the
// contact exists, in one transaction.
func (s *Contacts) AddEntry(ctx context.Context, ws, id string, e contact.Entry) error {
	err := addEntry(ctx, s.Client, s.Table, key(contactPK(ws, id), contactSK), "attribute_exists(PK) AND attribute_not_exists(mergedInto)", entryItem(ws, id, e))
	if errors.Is(err, errOwnerGone) {
		return contact.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("add timeline entry to %s: %w", id, err)
	}
	return nil
}

// errOwnerGone: the item a timeline entry was added to is not there.
var errOwnerGone = errors.New("the timeline's owner is gone")

// addEntry puts the timeline entry it on condition cond on the item owner
// (the contact or company the timeline is of), in one transaction.
// Errors: errOwnerGone.
func addEntry(ctx context.Context, client *dynamodb.Client, table string, owner map[string]types.AttributeValue, cond string, it timelineItem) error {
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fmt.Errorf("marshal timeline entry: %w", err)
	}
	_, err = client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: &table, Key: owner, ConditionExpression: aws.String(cond)}},
		{Put: &types.Put{TableName: &table, Item: av}},
	}})
	if isRace(err) {
		return errOwnerGone
	}
	return err
}

// Note implements contact.TimelineStore: one strongly consistent GetItem.
func (s *Contacts) Note(ctx context.Context, ws, contactID, noteID string) (contact.Entry, error) {
	var it timelineItem
	found, err := getItem(ctx, s.Client, s.Table, contactPK(ws, contactID), timelineSK(noteID), true, "note", &it)
	if err != nil {
		return contact.Entry{}, err
	}
	if !found || it.Event != "note" {
		return contact.Entry{}, contact.ErrNoteNotFound
	}
	return it.entry(), nil
}

// isNote is the condition that the item is a note still there.
const isNote = "attribute_exists(PK) AND #e = :note"

// EditNote implements contact.TimelineStore: one conditional UpdateItem.
func (s *Contacts) EditNote(ctx context.Context, ws, contactID string, e contact.Entry) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(contactPK(ws, contactID), timelineSK(e.ID)),
		UpdateExpression:         aws.String("SET #t = :text, editedAt = :at, editedBy = :by"),
		ConditionExpression:      aws.String(isNote),
		ExpressionAttributeNames: map[string]string{"#e": "event", "#t": "text"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":note": &types.AttributeValueMemberS{Value: "note"}, ":text": &types.AttributeValueMemberS{Value: e.Text},
			":at": &types.AttributeValueMemberS{Value: formatTime(e.EditedAt)}, ":by": &types.AttributeValueMemberS{Value: e.EditedBy},
		},
	})
	if err := noteWriteError(err, "edit note "+e.ID); err != nil {
		return err
	}
	return s.followKeptNote(ctx, ws, contactID, e.ID, func(body map[string]any) bool {
		body["text"], body["editedAt"], body["editedBy"] = e.Text, timestampOf(e.EditedAt), e.EditedBy
		return true
	})
}

// DeleteNote implements contact.TimelineStore: one conditional DeleteItem.
func (s *Contacts) DeleteNote(ctx context.Context, ws, contactID, noteID string) error {
	_, err := s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.Table, Key: key(contactPK(ws, contactID), timelineSK(noteID)),
		ConditionExpression:       aws.String(isNote),
		ExpressionAttributeNames:  map[string]string{"#e": "event"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":note": &types.AttributeValueMemberS{Value: "note"}},
	})
	if err := noteWriteError(err, "delete note "+noteID); err != nil {
		return err
	}
	return s.followKeptNote(ctx, ws, contactID, noteID, func(map[string]any) bool { return false })
}

// followKeptNote brings the response kept for a retry of the request that
// created the note (an Idempotency-Key's, found through the contact's
// references) in line with the note: change edits its body (true) or
// deletes it with its reference (false), so no replay gives back a text
// the note no longer has. One Query of the contact's references and a
// GetItem each, on every edit or delete of a note.
func (s *Contacts) followKeptNote(ctx context.Context, ws, contactID, noteID string, change func(body map[string]any) bool) error {
	refs, err := queryPrefix(ctx, s.Client, s.Table, contactPK(ws, contactID), "REF#", true, 0)
	if err != nil {
		return fmt.Errorf("read the references of %s: %w", contactID, err)
	}
	for _, ref := range refs {
		if str(ref, "refSK") != httpIdempotencySK {
			continue
		}
		rk := key(str(ref, "refPK"), httpIdempotencySK)
		out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: rk, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("read a kept response: %w", err)
		}
		var body map[string]any
		if out.Item == nil || json.Unmarshal([]byte(str(out.Item, "body")), &body) != nil || body["id"] != noteID || body["type"] != "note" {
			continue
		}
		if !change(body) {
			if err := batchDelete(ctx, s.Client, s.Table, []map[string]types.AttributeValue{rk, keyOf(ref)}); err != nil {
				return fmt.Errorf("delete the kept response of note %s: %w", noteID, err)
			}
			continue
		}
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("marshal the kept note: %w", err)
		}
		_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.Table, Key: rk, UpdateExpression: aws.String("SET body = :b"), ConditionExpression: aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":b": &types.AttributeValueMemberS{Value: string(b)}},
		})
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return fmt.Errorf("update the kept response of note %s: %w", noteID, err)
		}
	}
	return nil
}

// timestampOf formats t as the API does (milliseconds, UTC).
func timestampOf(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// noteWriteError is ErrNoteNotFound for a failed condition (gone meanwhile).
func noteWriteError(err error, what string) error {
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return contact.ErrNoteNotFound
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// entryItem is e as stored in the contact's partition.
func entryItem(ws, contactID string, e contact.Entry) timelineItem {
	return entryItemIn(contactPK(ws, contactID), e)
}

// entryItemIn is e as stored in the partition pk (a contact's or a company's).
func entryItemIn(pk string, e contact.Entry) timelineItem {
	return timelineItem{
		PK: pk, SK: timelineSK(e.ID), Type: typeTimeline,
		Event: e.Event, At: formatTime(e.At), Actor: e.Actor, Fields: e.Fields, Text: e.Text,
		Channel: e.Channel, ConversationID: e.ConversationID, Action: e.Action,
		ContactID: e.ContactID, ContactName: e.ContactName, ContactOwner: e.ContactOwner,
	}
}

// queryNewest runs in, a Query with a Limit, and returns up to want items,
// leaving out those keep refuses (a merge running in steps moving them, a
// filter): then it reads on until it has want items or the partition ends.
func queryNewest(ctx context.Context, client *dynamodb.Client, in *dynamodb.QueryInput, want int, keep func(map[string]types.AttributeValue) bool) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for {
		page, err := client.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if keep == nil || keep(it) {
				out = append(out, it)
			}
		}
		if keep == nil || len(out) >= want || page.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
