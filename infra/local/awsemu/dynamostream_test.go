package awsemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/infra/local/dynamolocal"
)

// streamTable makes a table with a stream on the DynamoDB Local of
// DYNAMODB_ENDPOINT (make test's), deleted when the test ends.
func streamTable(t *testing.T) (*dynamodb.Client, string, string) {
	t.Helper()
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT is not set (make test sets it)")
	}
	ctx := context.Background()
	db, err := dynamolocal.NewClient(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("stream-%d", time.Now().UnixNano())
	_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: &name, BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}) })
	return db, name, endpoint
}

// TestStreamMappingRedelivers: records written after Start reach the
// function in order; a crashed invocation is retried with the same records
// (none lost), and a reported record is where the retry starts (none before
// it handed again). An empty map attribute arrives as an empty map.
func TestStreamMappingRedelivers(t *testing.T) {
	db, table, endpoint := streamTable(t)
	var mu sync.Mutex
	var seen []string // PK of each record, per invocation in order
	calls := 0
	inv := &fakeInvoker{respond: func(n int, payload []byte) ([]byte, error) {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			t.Errorf("not a DynamoDB event: %v", err)
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return nil, errors.New("Runtime exited: killed mid-batch")
		}
		for i, r := range ev.Records {
			pk := r.Change.Keys["PK"].String()
			if m, ok := r.Change.NewImage["m"]; !ok || m.DataType() != events.DataTypeMap || len(m.Map()) != 0 {
				t.Errorf("%s: attribute m = %v, want an empty map", pk, r.Change.NewImage["m"])
			}
			if calls == 2 && i == 2 {
				// Report the third: the retry starts there.
				return json.Marshal(events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: r.Change.SequenceNumber}}})
			}
			seen = append(seen, pk)
		}
		return nil, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	d := &DynamoStreams{DB: db, Streams: NewStreamsClient(endpoint), Poll: 20 * time.Millisecond}
	err := d.Start(ctx, StreamMapping{Function: "events", Table: table, BatchSize: 100, StartingPosition: "LATEST",
		ReportBatchItemFailures: true, MaximumRetryAttempts: -1}, inv, io.Discard, func(run func() error) {
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); wg.Wait() }()
	want := []string{"a", "b", "c", "d", "e"}
	for _, pk := range want {
		if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: pk}, "m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := append([]string{}, seen...)
		mu.Unlock()
		if len(got) >= len(want) || time.Now().After(deadline) {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("records handled: %v, want %v once each in order (after a crash and a reported record)", got, want)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls < 2 {
		t.Errorf("%d invocations, want the crash and the retry at least", calls)
	}
}
