package dynamotest

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Faults injects what DynamoDB Local cannot produce, per operation name
// ("TransactWriteItems", "BatchWriteItem"...), into a client built with
// WithFaults: errors returned as DynamoDB would (each attempt, inside the
// SDK's retries, so a throttle is retried by the SDK first), and
// UnprocessedItems (half of a BatchWriteItem's requests held back).
type Faults struct {
	mu          sync.Mutex
	errs        map[string][]string // operation → error codes to return, one per attempt
	unprocessed map[string]int      // operation → how many calls hold back half their items
	calls       map[string]int
}

// TransactionConflict, given to Fail, cancels a TransactWriteItems as
// DynamoDB does when another transaction holds one of its items.
const TransactionConflict = "TransactionConflict"

// NewFaults returns an empty set of faults.
func NewFaults() *Faults {
	return &Faults{errs: map[string][]string{}, unprocessed: map[string]int{}, calls: map[string]int{}}
}

// Fail makes the next len(codes) attempts of op fail with those error
// codes (e.g. "ThrottlingException", "ProvisionedThroughputExceededException",
// "InternalServerError", "TransactionConflictException").
func (f *Faults) Fail(op string, codes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[op] = append(f.errs[op], codes...)
}

// Unprocessed makes the next n BatchWriteItem calls write only half their
// requests and return the rest as UnprocessedItems.
func (f *Faults) Unprocessed(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unprocessed["BatchWriteItem"] += n
}

// Calls returns how many attempts of op reached the fault layer.
func (f *Faults) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Clear removes every pending fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs, f.unprocessed = map[string][]string{}, map[string]int{}
}

// WithFaults adds the fault layers to a client's options: errors after the
// SDK's retry middleware, so each attempt meets them; UnprocessedItems
// around the whole call, as DynamoDB returns them to the caller.
func WithFaults(f *Faults) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("unprocessed", f.holdBack), middleware.After); err != nil {
				return err
			}
			return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("faults", f.handle), middleware.After)
		})
	}
}

func (f *Faults) handle(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	op := middleware.GetOperationName(ctx)
	f.mu.Lock()
	f.calls[op]++
	var code string
	if codes := f.errs[op]; len(codes) > 0 {
		code, f.errs[op] = codes[0], codes[1:]
	}
	f.mu.Unlock()
	switch code {
	case "":
	case TransactionConflict:
		// How a transaction that met another one is refused.
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &types.TransactionCanceledException{
			Message:             aws.String("injected by dynamotest.Faults"),
			CancellationReasons: []types.CancellationReason{{Code: aws.String("TransactionConflict")}},
		}
	default:
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: code, Message: "injected by dynamotest.Faults"}
	}
	return next.HandleFinalize(ctx, in)
}

// holdBack is an Initialize middleware: it sends half of a BatchWriteItem's
// requests and returns the other half as UnprocessedItems.
func (f *Faults) holdBack(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	req, ok := in.Parameters.(*dynamodb.BatchWriteItemInput)
	f.mu.Lock()
	hold := ok && f.unprocessed["BatchWriteItem"] > 0
	if hold {
		f.unprocessed["BatchWriteItem"]--
	}
	f.mu.Unlock()
	if !hold {
		return next.HandleInitialize(ctx, in)
	}
	sent := map[string][]types.WriteRequest{}
	held := map[string][]types.WriteRequest{}
	for table, reqs := range req.RequestItems {
		half := (len(reqs) + 1) / 2
		sent[table], held[table] = reqs[:half], reqs[half:]
	}
	copyIn := *req
	copyIn.RequestItems = sent
	in.Parameters = &copyIn
	out, md, err := next.HandleInitialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	if res, ok := out.Result.(*dynamodb.BatchWriteItemOutput); ok {
		if res.UnprocessedItems == nil {
			res.UnprocessedItems = map[string][]types.WriteRequest{}
		}
		for table, reqs := range held {
			if len(reqs) > 0 {
				res.UnprocessedItems[table] = append(res.UnprocessedItems[table], reqs...)
			}
		}
	}
	return out, md, err
}
