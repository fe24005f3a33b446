// Package dynamotest gives tests a DynamoDB Local client and fresh tables
// built from the Table resource of template.yaml.
//
// Tests find DynamoDB Local through DYNAMODB_ENDPOINT, which `make test`
// sets by running `go test` under infra/local/cmd/with-dynamodb. Without it,
// tests that need DynamoDB are skipped under -short and fail otherwise.
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/omnichannel/contacts/infra/local/dynamolocal"
	"github.com/omnichannel/contacts/infra/local/template"
)

// EndpointEnv names the environment variable holding DynamoDB Local's URL.
const EndpointEnv = "DYNAMODB_ENDPOINT"

// TableResource is the logical ID of the table in template.yaml.
const TableResource = "Table"

var (
	tplOnce sync.Once
	tpl     *template.Template
	tplErr  error

	clientOnce sync.Once
	client     *dynamodb.Client
	clientErr  error
)

// Client returns a client for the DynamoDB Local at DYNAMODB_ENDPOINT,
// shared by the whole test binary. If the variable is unset it skips the
// test under -short and fails it otherwise.
func Client(t testing.TB) *dynamodb.Client {
	t.Helper()
	endpoint := os.Getenv(EndpointEnv)
	if endpoint == "" {
		if testing.Short() {
			t.Skip(EndpointEnv + " is not set: skipping a test that needs DynamoDB Local in -short mode")
		}
		t.Fatal(EndpointEnv + " is not set: run the tests with `make test`, or wrap go test in " +
			"`go run ./infra/local/cmd/with-dynamodb -- go test ./...`, which starts DynamoDB Local and sets it")
	}
	clientOnce.Do(func() { client, clientErr = dynamolocal.NewClient(context.Background(), endpoint) })
	if clientErr != nil {
		t.Fatal(clientErr)
	}
	return client
}

// NewTable creates a table with a unique name ("test-" and random hex) from
// the Table resource of template.yaml, without its stream, and deletes it
// when the test ends. It returns the client and the table's name.
//
// Without: DynamoDB Local keeps a stream per table, and hundreds of tables
// with streams made the whole suite four times slower (measured on
// 2026-12-04: 600 s timeouts). Tests of the stream use NewStreamTable.
func NewTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	return newTable(t, func(in *dynamodb.CreateTableInput) { in.StreamSpecification = nil })
}

// NewStreamTable is NewTable with the template's stream
// (NEW_AND_OLD_IMAGES), for the tests of change events.
func NewStreamTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	return newTable(t)
}

func newTable(t testing.TB, opts ...func(*dynamodb.CreateTableInput)) (*dynamodb.Client, string) {
	t.Helper()
	c := Client(t)
	tplOnce.Do(func() {
		root, err := template.FindRepoRoot()
		if err != nil {
			tplErr = err
			return
		}
		tpl, tplErr = template.Load(filepath.Join(root, "template.yaml"))
	})
	if tplErr != nil {
		t.Fatal(tplErr)
	}

	name := "test-" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := template.CreateTable(ctx, c, tpl, TableResource, name, opts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Not t.Context(): it is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("deleting test table %s: %v", name, err)
		}
	})
	return c, name
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
