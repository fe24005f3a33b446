package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// getRaw reads one item (strongly consistent when consistent): nil when
// there is none. what names it in errors.
func getRaw(ctx context.Context, client *dynamodb.Client, table, pk, sk string, consistent bool, what string) (map[string]types.AttributeValue, error) {
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key(pk, sk), ConsistentRead: aws.Bool(consistent)})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", what, err)
	}
	return out.Item, nil
}

// getItem reads one item into v, and whether there was one.
func getItem(ctx context.Context, client *dynamodb.Client, table, pk, sk string, consistent bool, what string, v any) (bool, error) {
	item, err := getRaw(ctx, client, table, pk, sk, consistent, what)
	if err != nil || item == nil {
		return false, err
	}
	if err := attributevalue.UnmarshalMap(item, v); err != nil {
		return false, fmt.Errorf("unmarshal %s: %w", what, err)
	}
	return true, nil
}

// batchGet reads the items at keys, 100 per BatchGetItem (strongly
// consistent when consistent), retrying unprocessed keys with backoff, and
// hands each item found to each (in no particular order). what names the
// items in errors.
func batchGet(ctx context.Context, client *dynamodb.Client, table string, keys []map[string]types.AttributeValue, consistent bool, what string, each func(map[string]types.AttributeValue) error) error {
	for start := 0; start < len(keys); start += 100 {
		pending := keys[start:min(start+100, len(keys))]
		for attempt := 1; len(pending) > 0; attempt++ {
			ka := types.KeysAndAttributes{Keys: pending}
			if consistent {
				ka.ConsistentRead = aws.Bool(true)
			}
			out, err := client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table: ka}})
			if err != nil {
				return fmt.Errorf("read %s: %w", what, err)
			}
			for _, av := range out.Responses[table] {
				if err := each(av); err != nil {
					return err
				}
			}
			pending = out.UnprocessedKeys[table].Keys
			if len(pending) > 0 {
				if attempt == maxBatchAttempts {
					return fmt.Errorf("read %s: keys left unprocessed", what)
				}
				backoff(ctx, attempt)
			}
		}
	}
	return nil
}

// newestQuery is a page of one partition's items under a sort key prefix,
// newest first.
type newestQuery struct {
	PK, Prefix string
	BeforeSK   string   // the sort key of the item the page goes on after; "" for the newest
	Hide       string   // leave out the items a merge in steps (this id) is moving
	Attrs      []string // read only these attributes; nil for whole items
	// Keep leaves out the items it refuses (nil: none); the Query reads on
	// until the page is full, so a page costs what it reads, not what it keeps.
	Keep func(map[string]types.AttributeValue) bool
}

// newestPage reads up to limit items of q, newest first, with one Query of
// limit+1 items (limit+2 after BeforeSK: BETWEEN includes it), more when a
// merge in steps hides some, and decodes each with decode. more reports an
// item beyond limit. what names the items in errors.
func newestPage[T any](ctx context.Context, client *dynamodb.Client, table string, q newestQuery, limit int, what string, decode func(map[string]types.AttributeValue) (T, error)) (list []T, more bool, err error) {
	upper, want := q.Prefix+"\U0010FFFF", limit+1
	if q.BeforeSK != "" {
		upper, want = q.BeforeSK, limit+2
	}
	in := &dynamodb.QueryInput{
		TableName: &table, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(want)),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: q.PK},
			":lo": &types.AttributeValueMemberS{Value: q.Prefix},
			":hi": &types.AttributeValueMemberS{Value: upper},
		},
	}
	if q.Attrs != nil {
		in.ProjectionExpression, in.ExpressionAttributeNames = aws.String(projection(q.Attrs)), names(q.Attrs)
	}
	keep := q.Keep
	if q.Hide != "" {
		keep = func(av map[string]types.AttributeValue) bool {
			return str(av, attrMergeID) != q.Hide && (q.Keep == nil || q.Keep(av))
		}
	}
	items, err := queryNewest(ctx, client, in, want, keep)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", what, err)
	}
	for _, av := range items {
		if q.BeforeSK != "" && str(av, attrSK) == q.BeforeSK {
			continue // BETWEEN is inclusive
		}
		if len(list) == limit {
			return list, true, nil
		}
		v, err := decode(av)
		if err != nil {
			return nil, false, fmt.Errorf("unmarshal %s: %w", what, err)
		}
		list = append(list, v)
	}
	return list, false, nil
}
