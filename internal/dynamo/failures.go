package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/importer"
)

// ImportFailures is the DynamoDB implementation of importer.Failures: one
// item per failed row, PK W#<ws>#JOB#<jobId>, SK F#<line, 10 digits>, kept
// until the job ends and its report is written (then deleted; TTL 30 days
// for a job that never ends).
type ImportFailures struct {
	Client *dynamodb.Client
	Table  string
}

var _ importer.Failures = (*ImportFailures)(nil)

type failureItem struct {
	PK        string   `dynamodbav:"PK"`
	SK        string   `dynamodbav:"SK"`
	Type      string   `dynamodbav:"type"`
	Line      int      `dynamodbav:"line"`
	Cells     []string `dynamodbav:"cells"`
	Reasons   []string `dynamodbav:"reasons"`
	ExpiresAt int64    `dynamodbav:"expiresAt"`
}

// Add implements importer.Failures: BatchWriteItem puts.
func (s *ImportFailures) Add(ctx context.Context, ws, jobID string, rows []importer.Failure) error {
	var reqs []types.WriteRequest
	for _, f := range rows {
		av, err := attributevalue.MarshalMap(failureItem{
			PK: jobBatchPK(ws, jobID), SK: fmt.Sprintf("F#%010d", f.Line), Type: "import_failure",
			Line: f.Line, Cells: nonNil(f.Cells), Reasons: nonNil(f.Reasons), ExpiresAt: time.Now().Add(30 * 24 * time.Hour).Unix(),
		})
		if err != nil {
			return fmt.Errorf("marshal failed row: %w", err)
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	if err := batchWrite(ctx, s.Client, s.Table, reqs); err != nil {
		return fmt.Errorf("store failed rows: %w", err)
	}
	return nil
}

// Each implements importer.Failures: a consistent Query, a page at a time.
func (s *ImportFailures) Each(ctx context.Context, ws, jobID string, fn func(importer.Failure) error) error {
	return s.pages(ctx, ws, jobID, "", func(items []map[string]types.AttributeValue) error {
		for _, av := range items {
			var it failureItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return fmt.Errorf("unmarshal failed row: %w", err)
			}
			if err := fn(importer.Failure{Line: it.Line, Cells: it.Cells, Reasons: it.Reasons}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Delete implements importer.Failures: the keys a page at a time, deleted
// with BatchWriteItem.
func (s *ImportFailures) Delete(ctx context.Context, ws, jobID string) error {
	return s.pages(ctx, ws, jobID, "PK, SK", func(items []map[string]types.AttributeValue) error {
		return batchDelete(ctx, s.Client, s.Table, items)
	})
}

// pages calls fn with each page of the job's failed rows (only the
// attributes of projection when given), in line order.
func (s *ImportFailures) pages(ctx context.Context, ws, jobID, projection string, fn func([]map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName: &s.Table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :f)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: jobBatchPK(ws, jobID)}, ":f": &types.AttributeValueMemberS{Value: "F#"},
		},
	}
	if projection != "" {
		in.ProjectionExpression = aws.String(projection)
	}
	for p := dynamodb.NewQueryPaginator(s.Client, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("read failed rows: %w", err)
		}
		if err := fn(page.Items); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
