package dynamo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// maxBatchAttempts bounds the retries of a batch's unprocessed items.
const maxBatchAttempts = 8

// batchDelete deletes the items with the given keys, 25 per request,
// retrying UnprocessedItems with backoff; nothing is dropped silently.
func batchDelete(ctx context.Context, client *dynamodb.Client, table string, keys []map[string]types.AttributeValue) error {
	var reqs []types.WriteRequest
	for _, k := range keys {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
	}
	return batchWrite(ctx, client, table, reqs)
}

// batchWrite sends reqs in batches of 25 and retries what DynamoDB leaves
// unprocessed, with exponential backoff, up to maxBatchAttempts per batch.
func batchWrite(ctx context.Context, client *dynamodb.Client, table string, reqs []types.WriteRequest) error {
	for len(reqs) > 0 {
		n := min(25, len(reqs))
		pending := map[string][]types.WriteRequest{table: reqs[:n]}
		reqs = reqs[n:]
		for attempt := 1; len(pending[table]) > 0; attempt++ {
			if attempt > maxBatchAttempts {
				return fmt.Errorf("batch write: %d items still unprocessed after %d attempts", len(pending[table]), maxBatchAttempts)
			}
			if attempt > 1 {
				backoff(ctx, attempt-1)
			}
			out, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("batch write: %w", err)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}

// backoff sleeps before retry attempt (1-based): full jitter on 25 ms × 2^attempt, at most 2 s.
func backoff(ctx context.Context, attempt int) {
	ceiling := min(25*time.Millisecond<<attempt, 2*time.Second)
	t := time.NewTimer(rand.N(ceiling) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
