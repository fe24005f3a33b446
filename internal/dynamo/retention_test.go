package dynamo_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
)

// personalData is what the merge world's contacts hold that identifies a
// person: names, numbers, addresses, documents, notes.
var personalData = []string{"Maria", "maria@", "988887777", "999990001", "52998224725", "1985-04-03", "ACME", "nota ", "Cadeia", "977776666", "ze@cadeia"}

// leaks returns every item of the table (merge records included) holding
// one of the strings of personalData, as text.
func (w *mergeWorld) leaks(t *testing.T) []string {
	t.Helper()
	return dynamotest.Items(t, w.client, w.table, func(it map[string]types.AttributeValue) bool {
		text := dynamotest.Render(it)
		return slices.ContainsFunc(personalData, func(s string) bool { return strings.Contains(text, s) })
	})
}

// str is a string attribute value.
func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// itemKey is the key of the item pk, sk.
func itemKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": str(pk), "SK": str(sk)}
}

// mergeRecordItem returns the stored merge record as text.
func (w *mergeWorld) mergeRecordItem(t *testing.T, id string) string {
	t.Helper()
	out, err := w.client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &w.table, Key: itemKey("W#acme#MERGES", "M#"+id), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("read merge record %s: %v", id, err)
	}
	return dynamotest.Render(out.Item)
}

// checkNoSnapshots fails when the merge record still holds a snapshot or
// any personal data; it must keep who merged which ids and when.
func (w *mergeWorld) checkNoSnapshots(t *testing.T, id string) {
	t.Helper()
	rec := w.mergeRecordItem(t, id)
	for _, attr := range []string{"before=", "after=", "undo=", "undoFrom="} {
		if strings.Contains(rec, attr) {
			t.Errorf("undone merge record keeps %s: %s", strings.TrimSuffix(attr, "="), rec)
		}
	}
	for _, s := range personalData {
		if strings.Contains(rec, s) {
			t.Errorf("undone merge record holds %q: %s", s, rec)
		}
	}
	for _, s := range []string{w.target, w.source, `"user-1"`, "undone"} {
		if !strings.Contains(rec, s) {
			t.Errorf("undone merge record lost %s: %s", s, rec)
		}
	}
}

// TestDeleteLeavesNoPersonalData: a contact created with an
// Idempotency-Key is merged into the source, the source into the target
// (a chain), and the target is deleted: no item of the table holds any of
// their data after, neither a merge record nor an idempotency record (the
// source's sender record, the chain's creation record), nor anything moved.
func TestDeleteLeavesNoPersonalData(t *testing.T) {
	w := newMergeWorld(t, 2)
	ctx := context.Background()
	first, _, err := w.people.Create(ctx, w.caller, contact.CreateRequest{
		Document:       map[string]any{"name": "Zé Cadeia", "phone": "+55 11 97777-6666", "email": "ze@cadeia.com"},
		IdempotencyKey: "import-row-7", Fingerprint: "f",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.merges.Merge(ctx, w.caller, w.source, map[string]any{"sourceIds": []any{first.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.merges.Merge(ctx, w.caller, w.target, map[string]any{"sourceIds": []any{w.source}}); err != nil {
		t.Fatal(err)
	}
	if len(w.leaks(t)) == 0 {
		t.Fatal("the world holds no personal data before the delete: the test checks nothing")
	}
	if err := w.people.Delete(ctx, w.caller, w.target, 0); err != nil {
		t.Fatal(err)
	}
	for _, it := range w.leaks(t) {
		t.Errorf("personal data left after the delete: %s", it)
	}
	if rec, err := w.people.Contacts.Idempotency(ctx, "acme", "import-row-7"); err != nil || rec != nil {
		t.Errorf("idempotency record after the delete = %+v, %v; want none", rec, err)
	}
}

// TestDeleteSkipsExpiredReference: a reference whose record expired is
// not followed (the key may belong to another request since); the
// contact is deleted all the same.
func TestDeleteSkipsExpiredReference(t *testing.T) {
	w := newMergeWorld(t, 0)
	ctx := context.Background()
	if _, err := w.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &w.table, Item: map[string]types.AttributeValue{
		"PK": str("W#acme#C#" + w.target), "SK": str("REF#W#acme#IDEM#k#HTTP"), "type": str("ref"),
		"refPK": str("W#acme#IDEM#k"), "refSK": str("HTTP"), "expiresAt": &types.AttributeValueMemberN{Value: "1"},
	}}); err != nil {
		t.Fatal(err)
	}
	other := map[string]types.AttributeValue{"PK": str("W#acme#IDEM#k"), "SK": str("HTTP"), "type": str("idempotency")}
	if _, err := w.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &w.table, Item: other}); err != nil {
		t.Fatal(err)
	}
	if err := w.people.Delete(ctx, w.caller, w.target, 0); err != nil {
		t.Fatal(err)
	}
	out, err := w.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &w.table, Key: itemKey("W#acme#IDEM#k", "HTTP"), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Errorf("the record under an expired reference was deleted (%v); it may be another request's", err)
	}
	if _, err := w.people.Get(ctx, w.caller, w.target); !contact.IsNotFound(err) {
		t.Errorf("contact after delete: %v, want not found", err)
	}
}
