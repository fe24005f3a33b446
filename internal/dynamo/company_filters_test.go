package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/searchkey"
	"github.com/omnichannel/contacts/internal/tag"
	"github.com/omnichannel/contacts/internal/tenant"
)

// withTransactionSizes returns a client option recording the item count
// of every TransactWriteItems call into sizes.
func withTransactionSizes(sizes *[]int) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("txSize", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok {
					*sizes = append(*sizes, len(tx.TransactItems))
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
		})
	}
}

// companyRowKeys returns the SKs of the workspace's company rows.
func companyRowKeys(t *testing.T, client *dynamodb.Client, table, ws string) []string {
	t.Helper()
	out, err := client.Query(context.Background(), &dynamodb.QueryInput{
		TableName: &table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "W#" + ws + "#COS"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range out.Items {
		keys = append(keys, it["SK"].(*types.AttributeValueMemberS).Value)
	}
	return keys
}

// TestLargestCompany: a company with every row it can have (a name of more
// words than are indexed, the most tags, an owner, a CNPJ) is created,
// changed in everything at once and deleted, each in one transaction under
// DynamoDB's 100 items; its rows are exactly what it holds at each step.
func TestLargestCompany(t *testing.T) {
	client, table := dynamotest.NewTable(t)
	var sizes []int
	s := &dynamo.Companies{Client: dynamodb.New(client.Options(), withTransactionSizes(&sizes)), Table: table}
	ctx := context.Background()
	tagIDs := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = ids.New(time.Now())
		}
		return out
	}
	c := newCompany("acme", "Alfa Beta Gama Delta Épsilon Zeta Eta Teta Iota Capa", "11222333000181")
	c.TagIDs, c.OwnerID = tagIDs(company.MaxTags), "agent-1"
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	wantRows := 2 + searchkey.MaxNameWords + company.MaxTags + 1
	if got := len(companyRowKeys(t, client, table, "acme")); got != wantRows || wantRows != dynamo.MaxCompanyRows {
		t.Errorf("the largest company has %d rows, want %d (maxCompanyRows %d)", got, wantRows, dynamo.MaxCompanyRows)
	}
	newTags := tagIDs(company.MaxTags)
	_, err := s.Update(ctx, "acme", c.ID, 1, func(c *company.Company) error {
		c.Name, c.TaxID, c.OwnerID, c.TagIDs = "Um Dois Três Quatro Cinco Seis Sete Oito Nove", "11444777000161", "agent-2", newTags
		return nil
	})
	if err != nil {
		t.Fatalf("update of everything: %v", err)
	}
	keys := companyRowKeys(t, client, table, "acme")
	if len(keys) != wantRows {
		t.Errorf("after the update: %d rows, want %d", len(keys), wantRows)
	}
	for _, k := range keys {
		if strings.Contains(k, "agent-1") || strings.Contains(k, "#alfa#") || strings.HasPrefix(k, "G#") && !slices.Contains(newTags, k[2:28]) {
			t.Errorf("an old row is left: %s", k)
		}
	}
	if err := s.Delete(ctx, "acme", c.ID, 2, "u1"); err != nil {
		t.Fatal(err)
	}
	if got := companyRowKeys(t, client, table, "acme"); len(got) != 0 {
		t.Errorf("after the delete: rows %q", got)
	}
	// Each write adds its timeline entry (created, updated); the delete
	// removes those two entries with the company.
	want := []int{3 + wantRows, 4 + 2*wantRows - 1, 4 + wantRows}
	if !slices.Equal(sizes, want) {
		t.Errorf("transaction sizes %v, want %v (create, update of everything, delete)", sizes, want)
	}
	if largest := slices.Max(sizes); largest > 100 {
		t.Errorf("a transaction of %d items, over DynamoDB's 100", largest)
	}
}

// TestCompanyCapacity measures what the company operations with tags,
// custom fields and filters consume, for docs/data-model.md (C1t, C1f, C3t, C3b, C4t).
func TestCompanyCapacity(t *testing.T) {
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	meter := &dynamotest.Meter{}
	metered := dynamodb.New(client.Options(), dynamotest.WithMeter(meter))
	tags := &dynamo.Tags{Client: metered, Table: table}
	people := &contact.Service{Contacts: &dynamo.Contacts{Client: metered, Table: table}, Workspaces: &dynamo.Workspaces{Client: metered, Table: table}, Tags: tags}
	tagger := &tag.Service{Tags: tags, Contacts: people.Contacts, People: people}
	people.TagRefs = tagger
	codec, err := cursor.New([]byte("test-cursor-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	svc := &company.Service{Companies: &dynamo.Companies{Client: metered, Table: table}, Workspaces: people.Workspaces, Cursors: codec, People: people,
		FieldDefs: &dynamo.CompanyFields{Client: metered, Table: table}}
	caller := tenant.Caller{Workspace: "ws-a", Subject: "user-1", Role: tenant.Owner}
	var tagIDs []any
	for _, n := range []string{"VIP", "Ouro", "Prata"} {
		tg, err := tagger.Create(ctx, caller, map[string]any{"name": n})
		if err != nil {
			t.Fatal(err)
		}
		tagIDs = append(tagIDs, tg.ID)
	}
	if _, err := svc.SetFields(ctx, caller, 0, map[string]any{"fields": []any{map[string]any{"key": "plan", "type": "text"}}}); err != nil {
		t.Fatal(err)
	}
	measure := func(op string, want dynamotest.Usage, fn func() error) {
		t.Helper()
		meter.Measure(t, op, want, fn)
	}
	var c *company.Company
	measure("create (3 words, CNPJ, owner, 2 tags)", dynamotest.Usage{Calls: 3, Read: 1.5, Write: 22}, func() (err error) {
		c, err = svc.Create(ctx, caller, map[string]any{"name": "Clínica Saúde Viva", "taxId": "11.222.333/0001-81", "ownerId": "agent-1", "tags": tagIDs[:2]})
		return err
	})
	measure("create with customFields", dynamotest.Usage{Calls: 3, Read: 1, Write: 10}, func() error {
		_, err := svc.Create(ctx, caller, map[string]any{"name": "Beta", "customFields": map[string]any{"plan": "pro"}})
		return err
	})
	measure("read (with tags)", dynamotest.Usage{Calls: 2, Read: 2}, func() error {
		_, err := svc.Get(ctx, caller, c.ID)
		return err
	})
	measure("update tags (one of 2 replaced)", dynamotest.Usage{Calls: 4, Read: 2.5, Write: 22}, func() error {
		_, err := svc.Update(ctx, caller, c.ID, 0, map[string]any{"tags": []any{tagIDs[0], tagIDs[2]}})
		return err
	})
	for i := range 20 {
		if _, err := svc.Create(ctx, caller, map[string]any{"name": fmt.Sprintf("Empresa %02d", i), "tags": tagIDs[:1], "ownerId": "agent-1"}); err != nil {
			t.Fatal(err)
		}
	}
	// A page: one Query of limit+1 rows (~0.5 RCU per 10 rows of these
	// sizes; more for a name order's rows, whose keys are longer) and the
	// tag catalogue (1 RCU), whatever the workspace's size.
	for _, tt := range []struct {
		q    map[string]string
		want dynamotest.Usage
	}{
		{map[string]string{"tag": tagIDs[0].(string)}, dynamotest.Usage{Calls: 2, Read: 2}},
		{map[string]string{"tag": tagIDs[0].(string), "sort": "-createdAt"}, dynamotest.Usage{Calls: 2, Read: 2}},
		{map[string]string{"ownerId": "agent-1"}, dynamotest.Usage{Calls: 2, Read: 1.5}},
	} {
		tt.q["limit"] = "10"
		var page company.Result
		measure(fmt.Sprintf("page of 10 %v", tt.q), tt.want, func() (err error) {
			page, err = svc.List(ctx, caller, tt.q)
			return err
		})
		if len(page.Companies) != 10 || page.NextCursor == "" {
			t.Errorf("%v: %d companies, cursor %q, want 10 and more to come", tt.q, len(page.Companies), page.NextCursor)
		}
	}
}
