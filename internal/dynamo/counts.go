package dynamo

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/searchkey"
)

// countShards spreads each family's count over this many items, each
// change adding to one picked at random: concurrent writes rarely meet on
// an item (two that do conflict, and one retries), and no item is a hot key.
const countShards = 16

// Counted families: what GET /v1/contacts/count answers without reading
// the rows. A contact counts in its state's list, its owner's wallet, each
// of its tags, and the pending list.
func countPK(ws, family string) string { return workspacePrefix(ws) + "N#" + family }
func countSK(shard int) string         { return "S#" + strconv.Itoa(shard) }

func listFamily(state string) string         { return "L#" + state }
func ownerFamily(owner, state string) string { return "O#" + owner + "#" + state }
func tagFamily(tagID, state string) string   { return "T#" + tagID + "#" + state }
func pendingFamily(state string) string      { return "P#" + state }

// families returns the counted families c belongs to: none for nil or a
// contact not counted (written before the counts existed).
func families(c *contact.Contact) []string {
	if c == nil || !c.Counted {
		return nil
	}
	state := stateOf(c)
	out := []string{listFamily(state)}
	if c.OwnerID != "" {
		out = append(out, ownerFamily(c.OwnerID, state))
	}
	for _, t := range c.TagIDs {
		out = append(out, tagFamily(t, state))
	}
	if len(c.PendingActions()) > 0 {
		out = append(out, pendingFamily(state))
	}
	return out
}

// familyWrites returns the counts the changes move: one ADD per family
// whose membership changes, to a random shard. Written in the transaction
// that changes the contacts (create, update, block, delete, merge, undo),
// which is conditioned on what it read, so a count moves exactly once per
// change, whatever steps or retries write the index rows around it.
func familyWrites(table, ws string, changes []change) []types.TransactWriteItem {
	delta := map[string]int{}
	for _, ch := range changes {
		for _, f := range families(ch.old) {
			delta[f]--
		}
		for _, f := range families(ch.new) {
			delta[f]++
		}
	}
	var out []types.TransactWriteItem
	for _, f := range slices.Sorted(maps.Keys(delta)) {
		if delta[f] == 0 {
			continue
		}
		out = append(out, types.TransactWriteItem{Update: &types.Update{
			TableName: &table, Key: key(countPK(ws, f), countSK(rand.IntN(countShards))),
			UpdateExpression:         aws.String("SET #t = :t ADD n :d"),
			ExpressionAttributeNames: map[string]string{"#t": "type"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":t": &types.AttributeValueMemberS{Value: typeCount},
				":d": &types.AttributeValueMemberN{Value: strconv.Itoa(delta[f])},
			},
		}})
	}
	return out
}

// CountOf implements search.Index: the sum of the family's shards, one
// strongly consistent Query of at most countShards small items (1 RCU).
// Errors: Invalid "count_unavailable" for a query no family counts.
func (s *Search) CountOf(ctx context.Context, q search.Query) (int, error) {
	family, ok := countedFamily(q)
	if !ok {
		return 0, search.ErrCountUnavailable
	}
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.Table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: countPK(q.Workspace, family)}},
	})
	if err != nil {
		return 0, fmt.Errorf("read the count of %s: %w", family, err)
	}
	n := 0
	for _, av := range out.Items {
		var it struct {
			N int `dynamodbav:"n"`
		}
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return 0, fmt.Errorf("unmarshal count: %w", err)
		}
		n += it.N
	}
	return n, nil
}

// countedFamily is the family a query counts: the whole list (active or
// blocked), one wallet, one tag, or pending; no text, no other filter.
func countedFamily(q search.Query) (string, bool) {
	state := "A"
	if q.Blocked {
		state = "B"
	}
	filters := 0
	for _, on := range []bool{q.OwnerID != "", len(q.TagIDs) > 0, q.Pending, q.NoOwner, q.Kind != "", q.CompanyID != ""} {
		if on {
			filters++
		}
	}
	switch {
	case q.Text.Kind != searchkey.QueryNone || filters > 1 || len(q.TagIDs) > 1 || q.NoOwner || q.Kind != "" || q.CompanyID != "":
		return "", false
	case q.OwnerID != "":
		return ownerFamily(q.OwnerID, state), true
	case len(q.TagIDs) == 1:
		return tagFamily(q.TagIDs[0], state), true
	case q.Pending:
		return pendingFamily(state), true
	}
	return listFamily(state), true
}
