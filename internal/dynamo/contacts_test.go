package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/contact/contacttest"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/tenant"
)

func TestContactsRepository(t *testing.T) {
	contacttest.Run(t, func(t *testing.T) contact.Repository {
		client, table := dynamotest.NewTable(t)
		return &dynamo.Contacts{Client: client, Table: table}
	})
}

// partition returns the SKs of every item under pk.
func partition(t *testing.T, client *dynamodb.Client, table, pk string) []string {
	t.Helper()
	out, err := client.Query(context.Background(), &dynamodb.QueryInput{
		TableName: &table, KeyConditionExpression: aws.String("PK = :pk"), ConsistentRead: aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
	})
	if err != nil {
		t.Fatalf("query %s: %v", pk, err)
	}
	var sks []string
	for _, it := range out.Items {
		var k struct{ SK string }
		if err := attributevalue.UnmarshalMap(it, &k); err != nil {
			t.Fatal(err)
		}
		sks = append(sks, k.SK)
	}
	return sks
}

// TestLookupsFollowTheContact checks that the phone and email lookup items
// are written, moved and removed together with the contact.
func TestLookupsFollowTheContact(t *testing.T) {
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	repo := &dynamo.Contacts{Client: client, Table: table}
	c := contacttest.NewContact("ws-a")
	if err := repo.Create(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	wantLookup := func(pk string, want int) {
		t.Helper()
		if got := partition(t, client, table, pk); len(got) != want {
			t.Errorf("items under %s = %v, want %d", pk, got, want)
		}
	}
	wantLookup("W#ws-a#PHONE#+5511987654321", 1)
	wantLookup("W#ws-a#EMAIL#maria@example.com", 1)
	wantLookup("W#ws-b#PHONE#+5511987654321", 0)

	if _, err := repo.Update(ctx, "ws-a", c.ID, 0, func(c *contact.Contact) error {
		c.Phone, c.Email = "+5521999998888", "maria@other.org"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantLookup("W#ws-a#PHONE#+5511987654321", 0)
	wantLookup("W#ws-a#EMAIL#maria@example.com", 0)
	wantLookup("W#ws-a#PHONE#+5521999998888", 1)
	wantLookup("W#ws-a#EMAIL#maria@other.org", 1)
	if got := partition(t, client, table, "W#ws-a#C#"+c.ID); len(got) != 3 {
		t.Errorf("contact partition = %v, want the contact and two timeline entries", got)
	}

	if err := repo.Delete(ctx, "ws-a", c.ID, 0, "u1"); err != nil {
		t.Fatal(err)
	}
	wantLookup("W#ws-a#PHONE#+5521999998888", 0)
	wantLookup("W#ws-a#EMAIL#maria@other.org", 0)
	wantLookup("W#ws-a#C#"+c.ID, 0)
}

// TestDeleteLargeContact deletes a contact that owns more items than one
// transaction can hold.
func TestDeleteLargeContact(t *testing.T) {
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	repo := &dynamo.Contacts{Client: client, Table: table}
	c := contacttest.NewContact("ws-a")
	if err := repo.Create(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	pk := "W#ws-a#C#" + c.ID
	var reqs []types.WriteRequest
	for i := 0; i < 240; i++ {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: fmt.Sprintf("TL#old-%04d", i)},
		}}})
	}
	for len(reqs) > 0 {
		n := min(25, len(reqs))
		if _, err := client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs[:n]}}); err != nil {
			t.Fatal(err)
		}
		reqs = reqs[n:]
	}
	if err := repo.Delete(ctx, "ws-a", c.ID, 1, "u1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := partition(t, client, table, pk); len(got) != 0 {
		t.Errorf("%d items left in the contact's partition", len(got))
	}
}

// TestCapacity measures the capacity units of each CRUD operation, as
// DynamoDB reports them, for docs/data-model.md. The figures depend only on
// item sizes, so they are asserted exactly.
func TestCapacity(t *testing.T) {
	ctx := context.Background()
	meter := &dynamotest.Meter{}
	client, table := dynamotest.NewTable(t)
	metered := dynamodb.New(client.Options(), dynamotest.WithMeter(meter))
	repo := &dynamo.Contacts{Client: metered, Table: table}
	svc := &contact.Service{Contacts: repo, Workspaces: &dynamo.Workspaces{Client: metered, Table: table}}
	caller := tenant.Caller{Workspace: "ws-a", Subject: "user-1", Role: tenant.Owner}

	measure := func(op string, want dynamotest.Usage, fn func() error) {
		t.Helper()
		meter.Measure(t, op, want, fn)
	}
	doc := map[string]any{"name": "Maria da Silva", "phone": "(11) 99999-1234", "email": "maria@example.com.br", "taxId": "529.982.247-25"}
	var c *contact.Contact
	measure("create (phone+email)", dynamotest.Usage{Calls: 3, Read: 0.5, Write: 40}, func() (err error) {
		c, _, err = svc.Create(ctx, caller, contact.CreateRequest{Document: doc})
		return err
	})
	// 2 WCU more than a create for the record, 2 for its reference in the
	// contact's partition (so deleting the contact deletes the record).
	// Its phone and email are the first one's: the counters read say so,
	// and a Query of each lookup lists the possible duplicates (+2 calls).
	var keyed *contact.Contact
	measure("create with Idempotency-Key", dynamotest.Usage{Calls: 6, Read: 5.5, Write: 44}, func() (err error) {
		keyed, _, err = svc.Create(ctx, caller, contact.CreateRequest{Document: doc, IdempotencyKey: "k1", Fingerprint: "f"})
		return err
	})
	measure("read", dynamotest.Usage{Calls: 1, Read: 1}, func() error {
		_, err := svc.Get(ctx, caller, c.ID)
		return err
	})
	measure("update (company)", dynamotest.Usage{Calls: 3, Read: 1.5, Write: 4}, func() error {
		_, err := svc.Update(ctx, caller, c.ID, 0, map[string]any{"company": "ACME"})
		return err
	})
	measure("update (phone moves)", dynamotest.Usage{Calls: 4, Read: 2.5, Write: 52}, func() error {
		_, err := svc.Update(ctx, caller, c.ID, 0, map[string]any{"phone": "+55 21 99999-8888"})
		return err
	})
	measure("save field settings", dynamotest.Usage{Calls: 1, Write: 1}, func() error {
		_, err := svc.SetFields(ctx, caller, 0, map[string]any{"fields": []any{map[string]any{"key": "plan", "type": "text"}}})
		return err
	})
	measure("read field settings", dynamotest.Usage{Calls: 1, Read: 0.5}, func() error {
		_, err := svc.Fields(ctx, caller)
		return err
	})
	measure("add a note", dynamotest.Usage{Calls: 2, Read: 1, Write: 4}, func() error {
		_, err := svc.AddNote(ctx, caller, repo, c.ID, map[string]any{"text": "Ligou pedindo segunda via."})
		return err
	})
	measure("read a timeline page", dynamotest.Usage{Calls: 2, Read: 1.5, Write: 0}, func() error {
		_, err := svc.Timeline(ctx, caller, repo, c.ID, "", 50)
		return err
	})
	mainContact, _, err := svc.Create(ctx, caller, contact.CreateRequest{Document: map[string]any{"name": "Empresa", "email": "contato@empresa.com"}})
	if err != nil {
		t.Fatal(err)
	}
	measure("link to a main contact", dynamotest.Usage{Calls: 6, Read: 2.5, Write: 8}, func() error {
		_, err := svc.Update(ctx, caller, c.ID, 0, map[string]any{"mainContactId": mainContact.ID})
		return err
	})
	measure("contacts linked to a main contact", dynamotest.Usage{Calls: 3, Read: 3, Write: 0}, func() error {
		_, err := svc.Linked(ctx, caller, mainContact.ID)
		return err
	})
	measure("block", dynamotest.Usage{Calls: 3, Read: 3, Write: 42}, func() error {
		_, err := svc.Block(ctx, caller, contact.BlockEffects{Events: nopPublisher{}}, c.ID)
		return err
	})
	// A count is one Query of the family's shards, however large it is.
	idx := &dynamo.Search{Client: metered, Table: table}
	measure("count of the blocked list", dynamotest.Usage{Calls: 1, Read: 1, Write: 0}, func() error {
		n, err := idx.CountOf(ctx, search.Query{Workspace: caller.Workspace, Blocked: true})
		if err == nil && n != 1 {
			err = fmt.Errorf("count = %d, want 1", n)
		}
		return err
	})
	measure("delete (6 timeline entries and a link)", dynamotest.Usage{Calls: 3, Read: 1, Write: 48}, func() error {
		return svc.Delete(ctx, caller, c.ID, 0)
	})
	// Within a day of its creation its idempotency record and the reference
	// to it go too: 2 items, 4 of the 44 WCU (a contact of row 2, with its
	// 2 duplicate counters read and updated).
	measure("delete (created with Idempotency-Key)", dynamotest.Usage{Calls: 4, Read: 3, Write: 44}, func() error {
		return svc.Delete(ctx, caller, keyed.ID, 0)
	})
}

// nopPublisher publishes nothing.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, contact.Event) error { return nil }

// TestCapacityExternalID measures what an externalId adds, for
// docs/data-model.md: its guard item is written, moved and deleted in the
// contact's transaction (2 WCU per guard write), and found by one
// strongly consistent GetItem. A contact without one costs what
// TestCapacity says.
func TestCapacityExternalID(t *testing.T) {
	ctx := context.Background()
	meter := &dynamotest.Meter{}
	client, table := dynamotest.NewTable(t)
	metered := dynamodb.New(client.Options(), dynamotest.WithMeter(meter))
	repo := &dynamo.Contacts{Client: metered, Table: table}
	svc := &contact.Service{Contacts: repo, Workspaces: &dynamo.Workspaces{Client: metered, Table: table}}
	caller := tenant.Caller{Workspace: "ws-a", Subject: "user-1", Role: tenant.Owner}

	measure := func(op string, want dynamotest.Usage, fn func() error) {
		t.Helper()
		meter.Measure(t, op, want, fn)
	}
	doc := map[string]any{"name": "Maria da Silva", "phone": "(11) 99999-1234", "email": "maria@example.com.br", "taxId": "529.982.247-25", "externalId": "erp-42"}
	var c *contact.Contact
	measure("create (phone+email+externalId)", dynamotest.Usage{Calls: 3, Read: 0.5, Write: 42}, func() (err error) {
		c, _, err = svc.Create(ctx, caller, contact.CreateRequest{Document: doc})
		return err
	})
	measure("update (externalId moves)", dynamotest.Usage{Calls: 3, Read: 1.5, Write: 8}, func() error {
		_, err := svc.Update(ctx, caller, c.ID, 0, map[string]any{"externalId": "erp-43"})
		return err
	})
	measure("lookup by externalId", dynamotest.Usage{Calls: 1, Read: 1}, func() error {
		id, err := repo.ByExternalID(ctx, caller.Workspace, "erp-43")
		if err == nil && id != c.ID {
			err = fmt.Errorf("ByExternalID = %q, want %s", id, c.ID)
		}
		return err
	})
	measure("upsert, unchanged", dynamotest.Usage{Calls: 3, Read: 2.5}, func() error {
		_, created, err := svc.Upsert(ctx, caller, "erp-43", map[string]any{"company": nil})
		if err == nil && created {
			err = fmt.Errorf("upsert created a contact")
		}
		return err
	})
	measure("create taken externalId (refused)", dynamotest.Usage{Calls: 3, Read: 0.5, Write: 0}, func() error {
		_, _, err := svc.Create(ctx, caller, contact.CreateRequest{Document: map[string]any{"name": "Outra", "email": "outra@example.com", "externalId": "erp-43"}})
		if !errors.Is(err, contact.ErrExternalIDTaken) {
			return fmt.Errorf("create of a taken externalId: %v, want external_id_taken", err)
		}
		return nil
	})
	measure("delete (with externalId)", dynamotest.Usage{Calls: 4, Read: 3, Write: 44}, func() error {
		return svc.Delete(ctx, caller, c.ID, 0)
	})
}

// TestUpsertRace: concurrent PUTs of one externalId make one contact; every
// call succeeds (the losers of the create update the winner's contact).
func TestUpsertRace(t *testing.T) {
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	repo := &dynamo.Contacts{Client: client, Table: table}
	svc := &contact.Service{Contacts: repo, Workspaces: &dynamo.Workspaces{Client: client, Table: table}}
	caller := tenant.Caller{Workspace: "ws-a", Subject: "user-1", Role: tenant.Owner}
	const n = 6
	type outcome struct {
		id      string
		created bool
		err     error
	}
	done := make(chan outcome, n)
	for i := 0; i < n; i++ {
		go func() {
			c, created, err := svc.Upsert(ctx, caller, "erp-42", map[string]any{"name": "Maria", "phone": "+5511999991234"})
			var id string
			if c != nil {
				id = c.ID
			}
			done <- outcome{id, created, err}
		}()
	}
	ids, created := map[string]bool{}, 0
	for i := 0; i < n; i++ {
		o := <-done
		if o.err != nil {
			t.Errorf("upsert: %v", o.err)
			continue
		}
		ids[o.id] = true
		if o.created {
			created++
		}
	}
	if len(ids) != 1 || created != 1 {
		t.Errorf("%d upserts gave contacts %v, %d created; want one contact, created once", n, ids, created)
	}
	holder, err := repo.ByExternalID(ctx, "ws-a", "erp-42")
	if err != nil || !ids[holder] {
		t.Errorf("ByExternalID = %q, %v; want the one contact", holder, err)
	}
}

// TestCapacityOtherIdentities measures what other phones and emails add,
// for docs/data-model.md: each identity is a lookup item, search tokens
// (2 per phone, 1 per email) and a duplicate counter, written in the
// contact's transaction. A contact without others costs what TestCapacity
// says.
func TestCapacityOtherIdentities(t *testing.T) {
	ctx := context.Background()
	meter := &dynamotest.Meter{}
	client, table := dynamotest.NewTable(t)
	metered := dynamodb.New(client.Options(), dynamotest.WithMeter(meter))
	repo := &dynamo.Contacts{Client: metered, Table: table}
	svc := &contact.Service{Contacts: repo, Workspaces: &dynamo.Workspaces{Client: metered, Table: table}}
	caller := tenant.Caller{Workspace: "ws-a", Subject: "user-1", Role: tenant.Owner}

	measure := func(op string, want dynamotest.Usage, fn func() error) {
		t.Helper()
		meter.Measure(t, op, want, fn)
	}
	doc := map[string]any{"name": "Maria da Silva", "phone": "(11) 99999-1234", "email": "maria@example.com.br", "taxId": "529.982.247-25",
		"otherPhones": []any{"(21) 98888-1111", "(31) 97777-2222"}}
	var c *contact.Contact
	// 16 WCU more than TestCapacity's create: 8 per other phone (its lookup,
	// 2 search tokens and its duplicate counter, 2 WCU each in a transaction).
	measure("create (2 other phones)", dynamotest.Usage{Calls: 3, Read: 0.5, Write: 56}, func() (err error) {
		c, _, err = svc.Create(ctx, caller, contact.CreateRequest{Document: doc})
		return err
	})
	for _, pk := range []string{"W#ws-a#PHONE#+5511999991234", "W#ws-a#PHONE#+5521988881111", "W#ws-a#PHONE#+5531977772222"} {
		if got := partition(t, client, table, pk); len(got) != 1 {
			t.Errorf("items under %s = %v, want 1", pk, got)
		}
	}
	// The contact and its entry (4 WCU), 6 for the email (its lookup, its
	// search token and its duplicate counter), and 10 for the 5 search rows
	// that hold the list of others (the primary's last digits, the other
	// phones' 2 each), rewritten.
	measure("update (an other email added)", dynamotest.Usage{Calls: 4, Read: 1.5, Write: 20}, func() error {
		_, err := svc.Update(ctx, caller, c.ID, 0, map[string]any{"otherEmails": []any{"maria@work.com"}})
		return err
	})
	measure("update (company)", dynamotest.Usage{Calls: 3, Read: 1.5, Write: 4}, func() error {
		_, err := svc.Update(ctx, caller, c.ID, 0, map[string]any{"company": "ACME"})
		return err
	})
	measure("delete (2 other phones, 1 other email)", dynamotest.Usage{Calls: 4, Read: 6, Write: 66}, func() error {
		return svc.Delete(ctx, caller, c.ID, 0)
	})
	for _, pk := range []string{"W#ws-a#PHONE#+5521988881111", "W#ws-a#EMAIL#maria@work.com"} {
		if got := partition(t, client, table, pk); len(got) != 0 {
			t.Errorf("items under %s = %v, want none", pk, got)
		}
	}
}

// TestLargestContact: a contact with everything at its limits (25 tags, 8
// name words, 10 other phones and 10 other emails, an owner, an
// externalId) derives more items than a transaction holds: its create is
// a 422 contact_too_large, nothing written (not a 500); with 2 of each it
// is written, and so is one with every other phone and email and no tags.
func TestLargestContact(t *testing.T) {
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	repo := &dynamo.Contacts{Client: client, Table: table}
	build := func(tags, others int) *contact.Contact {
		c := contacttest.NewContact("ws-a")
		c.Name, c.OwnerID, c.ExternalID = "Ana Bia Cris Dani Eva Fabi Gabi Helo", "agent-1", "erp-1"
		c.TagIDs = nil
		for i := range tags {
			c.TagIDs = append(c.TagIDs, fmt.Sprintf("01jdx0000000000000000tag%02d", i))
		}
		for i := range others {
			c.OtherPhones = append(c.OtherPhones, fmt.Sprintf("+55219777700%02d", i))
			c.OtherEmails = append(c.OtherEmails, fmt.Sprintf("maria%d@example.com", i))
		}
		return c
	}
	err := repo.Create(ctx, build(contact.MaxTagsPerContact, contact.MaxOtherIdentities), nil)
	if !errors.Is(err, contact.ErrTooLarge) {
		t.Fatalf("create at every limit: %v, want contact_too_large", err)
	}
	if got := partition(t, client, table, "W#ws-a#PHONE#+5521977770000"); len(got) != 0 {
		t.Errorf("lookup items after the refused create = %v, want none", got)
	}
	if err := repo.Create(ctx, build(contact.MaxTagsPerContact, 2), nil); err != nil {
		t.Fatalf("create with 2 others of each and 25 tags: %v", err)
	}
	c := build(0, contact.MaxOtherIdentities)
	c.ExternalID = "erp-2"
	if err := repo.Create(ctx, c, nil); err != nil {
		t.Fatalf("create with 10 others of each and no tags: %v", err)
	}
}
