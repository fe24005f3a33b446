package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/ids"
)

// ContactOf implements conversation.Store: one strongly consistent GetItem
// of the conversation's lookup.
func (s *Conversations) ContactOf(ctx context.Context, ws, conversationID string) (string, error) {
	var it lookupItem
	found, err := getItem(ctx, s.Client, s.Table, conversationLookupPK(ws, conversationID), channelUserSK, true, "conversation lookup", &it)
	if err != nil {
		return "", err
	}
	if !found {
		return "", conversation.ErrNotFound
	}
	return it.ContactID, nil
}

// closeState is what Close reads before it writes.
type closeState struct {
	contact *contact.Contact
	conv    *conversationItem
	guards  []openItem // every conversation open on the contact, one per channel
}

// readClose reads the contact and the conversation (one BatchGetItem) and
// the contact's open guards (one Query), all strongly consistent.
func (s *Conversations) readClose(ctx context.Context, req conversation.CloseRequest) (closeState, error) {
	pk := contactPK(req.Workspace, req.ContactID)
	var st closeState
	keys := []map[string]types.AttributeValue{key(pk, contactSK), key(pk, conversationSK(req.ConversationID))}
	err := batchGet(ctx, s.Client, s.Table, keys, true, "conversation "+req.ConversationID, func(av map[string]types.AttributeValue) error {
		if str(av, attrSK) == contactSK {
			var err error
			st.contact, err = unmarshalContact(av)
			return err
		}
		st.conv = &conversationItem{}
		if err := attributevalue.UnmarshalMap(av, st.conv); err != nil {
			return fmt.Errorf("unmarshal conversation: %w", err)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	if st.contact == nil || st.conv == nil {
		return st, conversation.ErrNotFound
	}
	guards, err := queryPrefix(ctx, s.Client, s.Table, pk, "OPEN#", true, 0)
	if err != nil {
		return st, fmt.Errorf("read open conversations of %s: %w", req.ContactID, err)
	}
	for _, av := range guards {
		var g openItem
		if err := attributevalue.UnmarshalMap(av, &g); err != nil {
			return st, fmt.Errorf("unmarshal open guard: %w", err)
		}
		st.guards = append(st.guards, g)
	}
	return st, nil
}

// Close implements conversation.Store. It reads (readClose), then writes in
// one transaction conditioned on what it read: the guard deleted, the
// conversation closed (with req.IfIdle: on condition no message came since
// it was read), the timeline entry, and the contact: closed when no other
// conversation is open, else a check that the others still are. Any new
// conversation changes the contact's version, so a close never misses one
// opened meanwhile; a lost race reads again.
func (s *Conversations) Close(ctx context.Context, req conversation.CloseRequest) (conversation.Closing, error) {
	for attempt := 1; ; attempt++ {
		st, err := s.readClose(ctx, req)
		if err != nil {
			return conversation.Closing{}, err
		}
		conv := st.conv.conversation()
		if conv.Status == conversation.Closed || req.IfIdle && conv.LastMessageAt.After(req.At) {
			return conversation.Closing{Conversation: conv}, nil
		}
		if st.contact.MergeLock != "" {
			return conversation.Closing{}, contact.ErrMerging
		}
		writes, err := s.closeWrites(req, st)
		if err != nil {
			return conversation.Closing{}, err
		}
		_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		if err == nil {
			conv.Status, conv.ClosedAt, conv.ClosedReason, conv.ClosedBy = conversation.Closed, req.At, req.Reason, req.Actor
			return conversation.Closing{Conversation: conv, Closed: true}, nil
		}
		if !isRace(err) {
			return conversation.Closing{}, fmt.Errorf("close conversation %s: %w", req.ConversationID, err)
		}
		if attempt == maxOpenAttempts {
			return conversation.Closing{}, contact.ErrBusy.Wrap(err)
		}
		backoff(ctx, attempt)
	}
}

// closeWrites is the transaction of Close.
func (s *Conversations) closeWrites(req conversation.CloseRequest, st closeState) ([]types.TransactWriteItem, error) {
	pk := contactPK(req.Workspace, req.ContactID)
	id := req.ConversationID
	s2 := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	update := "SET #s = :closed, closedAt = :at, closedBy = :by"
	values := map[string]types.AttributeValue{
		":closed": s2(conversation.Closed), ":open": s2(conversation.Open), ":at": s2(formatTime(req.At)), ":by": s2(req.Actor),
		":n": &types.AttributeValueMemberN{Value: fmt.Sprint(st.conv.Messages)},
	}
	if req.Reason != "" {
		update += ", closedReason = :reason"
		values[":reason"] = s2(req.Reason)
	}
	entry, err := s.put(entryItem(req.Workspace, req.ContactID, contact.Entry{
		ID: ids.New(req.At), Event: "conversation", At: req.At, Actor: req.Actor,
		Channel: st.conv.Channel, ConversationID: id, Action: "closed",
	}))
	if err != nil {
		return nil, err
	}
	writes := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.Table, Key: key(pk, conversationSK(id)),
			UpdateExpression: aws.String(update), ExpressionAttributeNames: map[string]string{"#s": "status"},
			// The message count read: an inbound message on it meanwhile
			// makes the close read again (and, if idle-only, not close).
			ConditionExpression: aws.String("#s = :open AND messages = :n"), ExpressionAttributeValues: values,
		}},
		entry,
	}
	others := 0
	for _, g := range st.guards {
		cond := &types.ConditionCheck{
			TableName: &s.Table, Key: key(pk, g.SK), ConditionExpression: aws.String("conversationId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": s2(g.ConversationID)},
		}
		if g.ConversationID == id {
			writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{
				TableName: cond.TableName, Key: cond.Key, ConditionExpression: cond.ConditionExpression, ExpressionAttributeValues: cond.ExpressionAttributeValues,
			}})
			continue
		}
		others++
		writes = append(writes, types.TransactWriteItem{ConditionCheck: cond})
	}
	version := map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(st.contact.Version)}}
	if others > 0 || st.contact.ConversationStatus != conversation.Open {
		return append(writes, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.Table, Key: key(pk, contactSK), ConditionExpression: aws.String("version = :v"), ExpressionAttributeValues: version,
		}}), nil
	}
	version[":closed"], version[":one"] = s2(conversation.Closed), &types.AttributeValueMemberN{Value: "1"}
	return append(writes, types.TransactWriteItem{Update: &types.Update{
		TableName: &s.Table, Key: key(pk, contactSK),
		UpdateExpression:          aws.String("SET conversationStatus = :closed, version = version + :one"),
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: version,
	}}), nil
}
