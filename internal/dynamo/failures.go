package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/importer"
)

// ImportFailures is the DynamoDB implementation of importer.Failures: one
// item per failed row, PK W#<ws>#JOB#<jobId>, SK F#<line, 10 digits>, kept
// until the report is written (TTL 30 days).
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

// All implements importer.Failures: one Query (paged), in line order.
func (s *ImportFailures) All(ctx context.Context, ws, jobID string) ([]importer.Failure, error) {
	items, err := queryPrefix(ctx, s.Client, s.Table, jobBatchPK(ws, jobID), "F#", true, 0)
	if err != nil {
		return nil, fmt.Errorf("read failed rows: %w", err)
	}
	out := make([]importer.Failure, 0, len(items))
	for _, av := range items {
		var it failureItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("unmarshal failed row: %w", err)
		}
		out = append(out, importer.Failure{Line: it.Line, Cells: it.Cells, Reasons: it.Reasons})
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
