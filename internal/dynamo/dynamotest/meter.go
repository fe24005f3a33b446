package dynamotest

import (
	"context"
	"math"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Meter counts DynamoDB calls and the capacity units they consumed, by
// asking every call for its consumed capacity (ReturnConsumedCapacity TOTAL).
// Install it on a client with WithMeter; it is safe for concurrent use.
type Meter struct {
	mu  sync.Mutex
	ops map[string]*Usage
}

// Usage is what calls of one operation consumed.
type Usage struct {
	Operation string
	Calls     int
	Read      float64 // read capacity units
	Write     float64 // write capacity units
}

// WithMeter returns a client option that reports every call to m.
func WithMeter(m *Meter) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("capacityMeter", m.handle), middleware.After)
		})
	}
}

func (m *Meter) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	askForCapacity(in.Parameters)
	out, md, err := next.HandleInitialize(ctx, in)
	read, write := consumed(out.Result)
	if tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && err == nil {
		// DynamoDB Local reports a transaction as if it held only its
		// largest item; DynamoDB bills every item. Count them as it does.
		write = max(write, transactWriteUnits(tx))
	}
	m.record(middleware.GetOperationName(ctx), read, write)
	return out, md, err
}

func (m *Meter) record(op string, read, write float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ops == nil {
		m.ops = map[string]*Usage{}
	}
	u := m.ops[op]
	if u == nil {
		u = &Usage{Operation: op}
		m.ops[op] = u
	}
	u.Calls++
	u.Read += read
	u.Write += write
}

// Usage returns what was consumed since the last Reset, by operation.
func (m *Meter) Usage() []Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Usage, 0, len(m.ops))
	for _, u := range m.ops {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Operation < out[j].Operation })
	return out
}

// Total returns the calls and capacity units consumed since the last Reset.
func (m *Meter) Total() Usage {
	var t Usage
	for _, u := range m.Usage() {
		t.Calls += u.Calls
		t.Read += u.Read
		t.Write += u.Write
	}
	return t
}

// Reset forgets everything counted.
func (m *Meter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops = nil
}

func askForCapacity(params any) {
	total := types.ReturnConsumedCapacityTotal
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.PutItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.UpdateItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.DeleteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.QueryInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.ScanInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchGetItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.BatchWriteItemInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.TransactGetItemsInput:
		in.ReturnConsumedCapacity = total
	case *dynamodb.TransactWriteItemsInput:
		in.ReturnConsumedCapacity = total
	}
}

// consumed sums the capacity an operation's output reports. A read of an
// item that does not exist still costs; DynamoDB reports it like any other.
func consumed(result any) (read, write float64) {
	var list []types.ConsumedCapacity
	var isWrite bool
	switch out := result.(type) {
	case *dynamodb.GetItemOutput:
		list = one(out.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		list = one(out.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		list = one(out.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		list = out.ConsumedCapacity
	case *dynamodb.TransactGetItemsOutput:
		list = out.ConsumedCapacity
	case *dynamodb.PutItemOutput:
		list, isWrite = one(out.ConsumedCapacity), true
	case *dynamodb.UpdateItemOutput:
		list, isWrite = one(out.ConsumedCapacity), true
	case *dynamodb.DeleteItemOutput:
		list, isWrite = one(out.ConsumedCapacity), true
	case *dynamodb.BatchWriteItemOutput:
		list, isWrite = out.ConsumedCapacity, true
	case *dynamodb.TransactWriteItemsOutput:
		list, isWrite = out.ConsumedCapacity, true
	}
	for _, c := range list {
		units := aws.ToFloat64(c.CapacityUnits)
		switch {
		case c.ReadCapacityUnits != nil || c.WriteCapacityUnits != nil:
			read += aws.ToFloat64(c.ReadCapacityUnits)
			write += aws.ToFloat64(c.WriteCapacityUnits)
		case isWrite:
			write += units
		default:
			read += units
		}
	}
	return read, write
}

func one(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

// transactWriteUnits is what DynamoDB bills for a transaction: two write
// units per KB (rounded up) of each item. A Put is sized from its item; a
// Delete, Update or ConditionCheck from the stored item, which the request
// does not show, so it counts as one KB: true of every such item this
// service writes in a transaction (lookups, timeline entries, contacts
// without large custom fields).
func transactWriteUnits(in *dynamodb.TransactWriteItemsInput) float64 {
	units := 0.0
	for _, it := range in.TransactItems {
		if it.Put != nil {
			units += 2 * math.Ceil(float64(itemSize(it.Put.Item))/1024)
		} else {
			units += 2
		}
	}
	return units
}

// itemSize is an item's size by DynamoDB's rules: attribute names plus values.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return max(n, 1)
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return (len(v.Value)+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// Measure runs fn with the meter reset, logs what it consumed (in all and
// by operation) and fails t unless that is want exactly.
func (m *Meter) Measure(t testing.TB, op string, want Usage, fn func() error) {
	t.Helper()
	m.Reset()
	if err := fn(); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	got := m.Total()
	t.Logf("%-40s calls=%d RCU=%.1f WCU=%.1f", op, got.Calls, got.Read, got.Write)
	for _, u := range m.Usage() {
		t.Logf("    %-20s calls=%d RCU=%.1f WCU=%.1f", u.Operation, u.Calls, u.Read, u.Write)
	}
	if got.Calls != want.Calls || got.Read != want.Read || got.Write != want.Write {
		t.Errorf("%s consumed calls=%d RCU=%.1f WCU=%.1f, want calls=%d RCU=%.1f WCU=%.1f",
			op, got.Calls, got.Read, got.Write, want.Calls, want.Read, want.Write)
	}
}
