package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/searchkey"
	"github.com/omnichannel/contacts/internal/tenant"
)

// walk reads every page of q and returns the ids in order, the pages, and
// how many were partial.
func walk(t *testing.T, idx *dynamo.Search, q search.Query) (ids []string, pages, partial int) {
	t.Helper()
	for {
		page, err := idx.Find(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if page.Partial {
			partial++
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if !page.More {
			return ids, pages, partial
		}
		if page.Last == q.After {
			t.Fatalf("page %d did not move on from %q", pages, q.After)
		}
		q.After = page.Last
		if pages > 1000 {
			t.Fatal("more than 1,000 pages")
		}
	}
}

// TestReadBudget: a filter that rarely matches reads at most the budget a
// page (plus a row per stream) and answers partial pages whose cursors go
// on where the reading stopped: walked to the end, the pages give exactly
// the rows an unbounded read gives, in order, none twice, for every order
// and family that filters rows.
func TestReadBudget(t *testing.T) {
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	svc := &contact.Service{Contacts: &dynamo.Contacts{Client: client, Table: table}, Workspaces: &dynamo.Workspaces{Client: client, Table: table}}
	owner := tenant.Caller{Workspace: "acme", Subject: "owner-1", Role: tenant.Owner}
	for i := 0; i < 90; i++ {
		name := fmt.Sprintf("Maria Silva %02d", i)
		if i%17 == 5 {
			name = fmt.Sprintf("Maria Zuleica %02d", i) // the rare match
		}
		doc := map[string]any{"name": name, "phone": fmt.Sprintf("(11) 9%04d-%04d", 1000+i, 2000+i)}
		if i%9 == 0 {
			doc["ownerId"] = "agent-1"
		}
		if _, _, err := svc.Create(ctx, owner, contact.CreateRequest{Document: doc}); err != nil {
			t.Fatal(err)
		}
	}
	meter := &dynamotest.Meter{}
	metered := dynamodb.New(client.Options(), dynamotest.WithMeter(meter))
	for _, tc := range []struct {
		name string
		q    search.Query
		want int
	}{
		{"two words, the second rare", search.Query{Text: searchkey.ParseQuery("maria zul")}, 5},
		{"a word and an owner", search.Query{Text: searchkey.ParseQuery("maria"), OwnerID: "agent-1"}, 10},
		{"by activity, pending: no match at all", search.Query{Order: search.ByActivity, Pending: true}, 0},
		{"by activity, an owner", search.Query{Order: search.ByActivity, OwnerID: "agent-1"}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Workspace, tc.q.Limit = "acme", 3
			all, _, partial := walk(t, &dynamo.Search{Client: client, Table: table}, tc.q)
			if len(all) != tc.want || partial != 0 {
				t.Fatalf("unbounded: %d rows (%d partial pages), want %d and none partial", len(all), partial, tc.want)
			}
			budget := 12
			meter.Reset()
			got, pages, partial := walk(t, &dynamo.Search{Client: metered, Table: table, ReadBudget: budget}, tc.q)
			if !slices.Equal(got, all) {
				t.Errorf("with a budget of %d: %v, want %v", budget, got, all)
			}
			if partial == 0 && tc.name != "a word and an owner" {
				t.Errorf("%d pages, none partial: the budget never ran out", pages)
			}
			// Each page reads at most the budget, plus a row per stream
			// (8 shards) so that every page moves on: rows of about 300
			// bytes, so a page's eventually consistent reads stay under
			// (12 + 8) × 300 B / 4 KB / 2 per Query, about 1 RCU a Query;
			// a two-word search also probes its second word (8 × 0.5 RCU).
			if u := meter.Total(); u.Read > float64(pages)*10 {
				t.Errorf("%d pages read %.1f RCU in %d calls", pages, u.Read, u.Calls)
			}
			t.Logf("%d rows in %d pages (%d partial), %d calls, %.1f RCU", len(got), pages, partial, meter.Total().Calls, meter.Total().Read)
		})
	}
}

// TestRarestFamilyFirst: with two tags, a page reads the family the counts
// say is smaller, whichever the filter names first: the rare tag's two
// contacts come in one page within a budget the common tag's family
// would exhaust; likewise pending against a tag.
func TestRarestFamilyFirst(t *testing.T) {
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	repo := &dynamo.Contacts{Client: client, Table: table}
	svc := &contact.Service{Contacts: repo, Workspaces: &dynamo.Workspaces{Client: client, Table: table}}
	owner := tenant.Caller{Workspace: "acme", Subject: "owner-1", Role: tenant.Owner}
	for i := 0; i < 60; i++ {
		doc := map[string]any{"name": fmt.Sprintf("Cliente %02d", i), "phone": fmt.Sprintf("(11) 9%04d-0000", 3000+i)}
		c, _, err := svc.Create(ctx, owner, contact.CreateRequest{Document: doc})
		if err != nil {
			t.Fatal(err)
		}
		tags := []string{"common"}
		if i == 10 || i == 40 {
			tags = append(tags, "rare")
		}
		pending := i%20 == 7 // no phone, no email: as a channel's visitor
		if _, err := repo.Update(ctx, "acme", c.ID, 0, func(c *contact.Contact) error {
			c.TagIDs = tags
			if pending {
				c.Phone = ""
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		q    search.Query
		want int
	}{
		{"the common tag named first", search.Query{TagIDs: []string{"common", "rare"}}, 2},
		{"pending and the common tag", search.Query{TagIDs: []string{"common"}, Pending: true}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Workspace, tc.q.Limit = "acme", 10
			got, pages, partial := walk(t, &dynamo.Search{Client: client, Table: table, ReadBudget: 12}, tc.q)
			if len(got) != tc.want || pages != 1 || partial != 0 {
				t.Errorf("%d rows in %d pages (%d partial), want %d in one page: the large family was read", len(got), pages, partial, tc.want)
			}
		})
	}
}

// TestAbsentWordEndsAtOnce: a second word that starts no name word of the
// workspace answers an empty last page at once, however many contacts the
// first word matches; a word that does match is not cut short.
func TestAbsentWordEndsAtOnce(t *testing.T) {
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	svc := &contact.Service{Contacts: &dynamo.Contacts{Client: client, Table: table}, Workspaces: &dynamo.Workspaces{Client: client, Table: table}}
	owner := tenant.Caller{Workspace: "acme", Subject: "owner-1", Role: tenant.Owner}
	for i := 0; i < 40; i++ {
		doc := map[string]any{"name": fmt.Sprintf("Mariana Souza %02d", i), "phone": fmt.Sprintf("(11) 9%04d-1111", 5000+i)}
		if _, _, err := svc.Create(ctx, owner, contact.CreateRequest{Document: doc}); err != nil {
			t.Fatal(err)
		}
	}
	meter := &dynamotest.Meter{}
	idx := &dynamo.Search{Client: dynamodb.New(client.Options(), dynamotest.WithMeter(meter)), Table: table, ReadBudget: 12}
	page, err := idx.Find(ctx, search.Query{Workspace: "acme", Text: searchkey.ParseQuery("mariana zzz"), Limit: 10})
	if err != nil || len(page.Items) != 0 || page.More || page.Partial {
		t.Errorf("mariana zzz: %d rows, more %v, partial %v (%v); want an empty last page", len(page.Items), page.More, page.Partial, err)
	}
	if u := meter.Total(); u.Calls != 8 {
		t.Errorf("mariana zzz: %d calls, want the 8 of one probe", u.Calls)
	}
	got, _, _ := walk(t, idx, search.Query{Workspace: "acme", Text: searchkey.ParseQuery("souz mariana"), Limit: 10})
	if len(got) != 40 {
		t.Errorf("souz mariana: %d rows, want 40", len(got))
	}
}

// TestOldContactsCountOnceWritten: a contact written before the counts
// existed (no "counted" flag, not in its families' counts) is not
// subtracted when it goes, and is added by its next write: the counts
// never go below the truth for the contacts written since.
func TestOldContactsCountOnceWritten(t *testing.T) {
	ctx := context.Background()
	client, table := dynamotest.NewTable(t)
	svc := &contact.Service{Contacts: &dynamo.Contacts{Client: client, Table: table}, Workspaces: &dynamo.Workspaces{Client: client, Table: table}}
	owner := tenant.Caller{Workspace: "acme", Subject: "owner-1", Role: tenant.Owner}
	idx := &dynamo.Search{Client: client, Table: table}
	count := func() int {
		t.Helper()
		n, err := idx.CountOf(ctx, search.Query{Workspace: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// As an older release left it: the contact, its rows, no count.
	old := func(name, phone string) string {
		t.Helper()
		c, _, err := svc.Create(ctx, owner, contact.CreateRequest{Document: map[string]any{"name": name, "phone": phone}})
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []*dynamodb.UpdateItemInput{
			{TableName: &table, Key: map[string]types.AttributeValue{"PK": str("W#acme#C#" + c.ID), "SK": str("CONTACT")}, UpdateExpression: aws.String("REMOVE counted")},
			{TableName: &table, Key: map[string]types.AttributeValue{"PK": str("W#acme#N#L#A"), "SK": str("S#0")}, UpdateExpression: aws.String("ADD n :d"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":d": &types.AttributeValueMemberN{Value: "-1"}}},
		} {
			if _, err := client.UpdateItem(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		return c.ID
	}
	a, b := old("Antigo A", "(11) 97000-0001"), old("Antigo B", "(11) 97000-0002")
	if got := count(); got != 0 {
		t.Fatalf("count with two old contacts = %d, want 0 (they were never counted)", got)
	}
	if err := svc.Delete(ctx, owner, a, 0); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 0 {
		t.Errorf("count after deleting an old contact = %d, want 0 (not subtracted)", got)
	}
	if _, err := svc.Update(ctx, owner, b, 0, map[string]any{"company": "Nova"}); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 1 {
		t.Errorf("count after writing the other = %d, want 1 (counted from its write)", got)
	}
	if _, err := svc.Update(ctx, owner, b, 0, map[string]any{"company": "Outra"}); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 1 {
		t.Errorf("count after writing it again = %d, want 1 (counted once)", got)
	}
}
