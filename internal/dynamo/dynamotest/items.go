package dynamotest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Items returns every item of the table as Render shows it, sorted, read
// strongly consistent (a Scan: for tests only). keep, when given, picks
// the items.
func Items(t testing.TB, client *dynamodb.Client, table string, keep func(map[string]types.AttributeValue) bool) []string {
	t.Helper()
	var out []string
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, it := range page.Items {
			if keep == nil || keep(it) {
				out = append(out, Render(it))
			}
		}
	}
	sort.Strings(out)
	return out
}

// Render shows an item as text, attributes in name order, so two items
// compare as strings and a test can look for a value anywhere in one.
func Render(it map[string]types.AttributeValue) string {
	keys := make([]string, 0, len(it))
	for k := range it {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s ", k, renderValue(it[k]))
	}
	return b.String()
}

func renderValue(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return fmt.Sprintf("%q", v.Value)
	case *types.AttributeValueMemberN:
		return v.Value
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint(v.Value)
	case *types.AttributeValueMemberSS:
		s := append([]string(nil), v.Value...)
		sort.Strings(s)
		return fmt.Sprint(s)
	case *types.AttributeValueMemberL:
		var parts []string
		for _, x := range v.Value {
			parts = append(parts, renderValue(x))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberM:
		return "{" + Render(v.Value) + "}"
	case *types.AttributeValueMemberNULL:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// CountType is the type of the family count shards: aggregates of a
// workspace, not data of a contact, which stay (at n = 0 or with shares
// that sum to the count) when the contacts they counted are gone.
const CountType = "count"

// WithoutCounts makes a Scan leave out the family count shards, so a test
// can compare the table's data before and after (a delete, an undo).
func WithoutCounts(in *dynamodb.ScanInput) *dynamodb.ScanInput {
	in.FilterExpression = aws.String("attribute_not_exists(#t) OR #t <> :count")
	in.ExpressionAttributeNames = map[string]string{"#t": "type"}
	in.ExpressionAttributeValues = map[string]types.AttributeValue{":count": &types.AttributeValueMemberS{Value: CountType}}
	return in
}

// NotCount keeps every item but the family count shards (Items' keep).
func NotCount(it map[string]types.AttributeValue) bool {
	t, ok := it["type"].(*types.AttributeValueMemberS)
	return !ok || t.Value != CountType
}
