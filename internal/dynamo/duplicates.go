package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/merge"
)

// Duplicate keys. Every phone identity and email key held by a contact that
// is not blocked has a counter item:
//
//	PK W#<ws>#DUP#<shard>   SK K#<key>   n, gen [, LSI1SK G#<key>] [, dismissedGen]
//
// with key "p:<phone identity>" or "e:<email key>". n counts the contacts
// holding the key; gen grows with every change of its membership. LSI1SK
// is set exactly while n >= 2 and the group was not dismissed at this gen,
// so the LSI1 of the 8 DUP shards lists the merge suggestions without
// reading a single key that has no duplicate. Every write of a contact that
// changes its keys (create, phone or email edits, block, unblock, delete,
// merge, undo) updates the counters in its own transaction, on condition
// that gen is still the one read.

func dupPK(ws, key string) string { return workspacePrefix(ws) + "DUP#" + shardOf(key) }
func dupSK(key string) string     { return "K#" + key }

// change is a contact as it was (nil: new) and as it will be (nil: gone).
type change struct{ old, new *contact.Contact }

type counterItem struct {
	PK           string `dynamodbav:"PK"`
	SK           string `dynamodbav:"SK"`
	Type         string `dynamodbav:"type"`
	Key          string `dynamodbav:"key"`
	N            int    `dynamodbav:"n"`
	Gen          int    `dynamodbav:"gen"`
	DismissedGen int    `dynamodbav:"dismissedGen,omitempty"`
}

// counterWrites returns the updates of the duplicate counters the changes
// make, each conditioned on the counter read (one consistent BatchGetItem
// when any key changes, none otherwise), and of the family counts
// (familyWrites).
func counterWrites(ctx context.Context, client *dynamodb.Client, table, ws string, changes ...change) ([]types.TransactWriteItem, error) {
	return counterWritesSeeing(ctx, client, table, ws, nil, changes...)
}

// counterWritesSeeing is counterWrites, noting in held (when not nil) how
// many contacts held each key before the changes.
func counterWritesSeeing(ctx context.Context, client *dynamodb.Client, table, ws string, held map[string]int, changes ...change) ([]types.TransactWriteItem, error) {
	delta := map[string]int{}
	for _, ch := range changes {
		oldKeys, newKeys := contact.DuplicateKeys(ch.old), contact.DuplicateKeys(ch.new)
		for _, k := range oldKeys {
			delta[k]--
		}
		for _, k := range newKeys {
			delta[k]++
		}
	}
	for k, d := range delta {
		if d == 0 {
			delete(delta, k)
		}
	}
	counts := familyWrites(table, ws, changes)
	if len(delta) == 0 {
		return counts, nil
	}
	keys := slices.Sorted(maps.Keys(delta))
	current, err := readCounters(ctx, client, table, ws, keys)
	if err != nil {
		return nil, err
	}
	var out []types.TransactWriteItem
	for _, k := range keys {
		cur, exists := current[k]
		if held != nil {
			held[k] = cur.N
		}
		n := cur.N + delta[k]
		if n < 0 {
			n = 0 // a counter behind its contacts (never expected): it heals
		}
		cond := aws.String("attribute_not_exists(PK)")
		vals := map[string]types.AttributeValue{}
		if exists {
			cond = aws.String("gen = :g")
			vals[":g"] = &types.AttributeValueMemberN{Value: strconv.Itoa(cur.Gen)}
		}
		k2 := key(dupPK(ws, k), dupSK(k))
		if n == 0 {
			out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: &table, Key: k2, ConditionExpression: cond, ExpressionAttributeValues: nilIfEmpty(vals)}})
			continue
		}
		item := counterItem{PK: dupPK(ws, k), SK: dupSK(k), Type: "duplicate_key", Key: k, N: n, Gen: cur.Gen + 1}
		av, err := attributevalue.MarshalMap(item)
		if err != nil {
			return nil, fmt.Errorf("marshal duplicate counter: %w", err)
		}
		if n >= 2 {
			av["LSI1SK"] = &types.AttributeValueMemberS{Value: "G#" + k}
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: av, ConditionExpression: cond, ExpressionAttributeValues: nilIfEmpty(vals)}})
	}
	return append(out, counts...), nil
}

func nilIfEmpty(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	if len(m) == 0 {
		return nil
	}
	return m
}

// readCounters reads the counters of keys, strongly consistent.
func readCounters(ctx context.Context, client *dynamodb.Client, table, ws string, keys []string) (map[string]counterItem, error) {
	req := make([]map[string]types.AttributeValue, 0, len(keys))
	for _, k := range keys {
		req = append(req, key(dupPK(ws, k), dupSK(k)))
	}
	out := map[string]counterItem{}
	err := batchGet(ctx, client, table, req, true, "duplicate counters", func(av map[string]types.AttributeValue) error {
		var it counterItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return fmt.Errorf("unmarshal duplicate counter: %w", err)
		}
		out[it.Key] = it
		return nil
	})
	return out, err
}

// Duplicates lists the groups to suggest (n >= 2, not dismissed at this
// generation) in key order after the key after ("" for the first): one
// Query of LSI1 per shard, merged. It returns up to limit groups and whether
// there are more.
func (s *Contacts) Duplicates(ctx context.Context, ws, after string, limit int) ([]merge.Group, bool, error) {
	var all []merge.Group
	for shard := 0; shard < indexShards; shard++ {
		in := &dynamodb.QueryInput{
			TableName: &s.Table, IndexName: aws.String("LSI1"), Limit: aws.Int32(int32(limit + 1)),
			KeyConditionExpression: aws.String("PK = :pk AND LSI1SK BETWEEN :lo AND :hi"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: workspacePrefix(ws) + "DUP#" + strconv.Itoa(shard)},
				":lo": &types.AttributeValueMemberS{Value: "G#"},
				":hi": &types.AttributeValueMemberS{Value: "G#\U0010FFFF"},
			},
		}
		if after != "" {
			in.ExpressionAttributeValues[":lo"] = &types.AttributeValueMemberS{Value: "G#" + after + "\x00"}
		}
		out, err := s.Client.Query(ctx, in)
		if err != nil {
			return nil, false, fmt.Errorf("list duplicate groups: %w", err)
		}
		for _, av := range out.Items {
			var it counterItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, false, fmt.Errorf("unmarshal duplicate group: %w", err)
			}
			all = append(all, merge.Group{Key: it.Key, Generation: it.Gen, Members: it.N})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	if len(all) > limit {
		return all[:limit], true, nil
	}
	return all, false, nil
}

// DuplicateGroupOf returns the group of a key, and whether it is suggested
// (n >= 2, not dismissed at this generation).
func (s *Contacts) DuplicateGroupOf(ctx context.Context, ws, k string) (merge.Group, bool, error) {
	item, err := getRaw(ctx, s.Client, s.Table, dupPK(ws, k), dupSK(k), true, "duplicate group")
	if err != nil || item == nil {
		return merge.Group{}, false, err
	}
	var it counterItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return merge.Group{}, false, fmt.Errorf("unmarshal duplicate group: %w", err)
	}
	_, listed := item["LSI1SK"]
	return merge.Group{Key: it.Key, Generation: it.Gen, Members: it.N}, listed, nil
}

// DismissDuplicates hides a group until its membership changes. generation
// > 0 demands that generation. Errors: NotFound (no such group),
// Conflict "suggestion_changed".
func (s *Contacts) DismissDuplicates(ctx context.Context, ws, k string, generation int) error {
	g, _, err := s.DuplicateGroupOf(ctx, ws, k)
	if err != nil {
		return err
	}
	if g.Members < 2 {
		return merge.ErrSuggestionNotFound
	}
	if generation > 0 && generation != g.Generation {
		return merge.ErrSuggestionChanged
	}
	_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(dupPK(ws, k), dupSK(k)),
		UpdateExpression:          aws.String("SET dismissedGen = gen REMOVE LSI1SK"),
		ConditionExpression:       aws.String("gen = :g"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":g": &types.AttributeValueMemberN{Value: strconv.Itoa(g.Generation)}},
	})
	if isConditionFailed(err) {
		return merge.ErrSuggestionChanged
	}
	if err != nil {
		return fmt.Errorf("dismiss duplicate group: %w", err)
	}
	return nil
}

// DuplicateMembers returns the ids of the contacts holding a key, oldest
// first, reading its own writes (a Query of the phone or email lookups).
func (s *Contacts) DuplicateMembers(ctx context.Context, ws, k string) ([]string, error) {
	var pk string
	switch {
	case len(k) > 2 && k[:2] == "p:":
		pk = phonePK(ws, k[2:])
	case len(k) > 2 && k[:2] == "e:":
		pk = emailPK(ws, k[2:])
	default:
		return nil, merge.ErrSuggestionNotFound
	}
	items, err := queryPrefix(ctx, s.Client, s.Table, pk, "C#", true, 0)
	if err != nil {
		return nil, fmt.Errorf("read duplicate group members: %w", err)
	}
	var out []string
	for _, av := range items {
		out = append(out, str(av, "contactId"))
	}
	return out, nil
}

var _ merge.DuplicateIndex = (*Contacts)(nil)

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
