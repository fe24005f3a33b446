package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/ids"
)

// A company's timeline lives in the company's partition (companyPK), its
// entries under timelineSK as a contact's do, written by the same code
// (readTimeline, addEntry, entryItemIn).

var _ company.TimelineStore = (*Companies)(nil)

// Timeline implements company.TimelineStore: one Query of the company's
// partition, newest first; for a wallet, the contact entries of other
// owners' contacts are read and left out (the Query reads on until the
// page is full).
func (s *Companies) Timeline(ctx context.Context, ws, id, before string, limit int, wallet string) (contact.TimelinePage, error) {
	q := newestQuery{PK: companyPK(ws, id)}
	if wallet != "" {
		q.Keep = func(av map[string]types.AttributeValue) bool {
			return str(av, "contactId") == "" || str(av, "contactOwnerId") == wallet
		}
	}
	return readTimeline(ctx, s.Client, s.Table, q, before, limit, "timeline of company "+id)
}

// AddEntry implements company.TimelineStore: the entry and a check that the
// company exists, in one transaction.
func (s *Companies) AddEntry(ctx context.Context, ws, id string, e contact.Entry) error {
	err := addEntry(ctx, s.Client, s.Table, key(companyPK(ws, id), companySK), "attribute_exists(PK)", entryItemIn(companyPK(ws, id), e))
	if errors.Is(err, errOwnerGone) {
		return company.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("add timeline entry to company %s: %w", id, err)
	}
	return nil
}

// entryWrite is the put of the timeline entry recording a write of c
// (created, updated with the fields changed), for c's own transaction.
func (s *Companies) entryWrite(c *company.Company, event string, fields []string, at time.Time, actor string) (types.TransactWriteItem, error) {
	return s.put(entryItemIn(companyPK(c.Workspace, c.ID), contact.Entry{ID: ids.New(at), Event: event, At: at, Actor: actor, Fields: fields}), "", nil)
}

// timelineKeys reads the keys of the company's timeline entries (strongly
// consistent), for its delete.
func (s *Companies) timelineKeys(ctx context.Context, ws, id string) ([]map[string]types.AttributeValue, error) {
	items, err := queryPrefix(ctx, s.Client, s.Table, companyPK(ws, id), "TL#", true, 0)
	if err != nil {
		return nil, fmt.Errorf("read the timeline of company %s: %w", id, err)
	}
	out := make([]map[string]types.AttributeValue, 0, len(items))
	for _, it := range items {
		out = append(out, keyOf(it))
	}
	return out, nil
}

// DropTimeline implements company.Repository: a consistent Query of the
// company's timeline keys and BatchWriteItem deletes of them, 25 a call.
func (s *Companies) DropTimeline(ctx context.Context, ws, id string) error {
	keys, err := s.timelineKeys(ctx, ws, id)
	if err != nil {
		return err
	}
	if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
		return fmt.Errorf("delete the timeline of company %s: %w", id, err)
	}
	return nil
}

// withTimeline adds to a company's delete the deletes of its timeline
// entries when they fit the transaction; a longer timeline is deleted
// first, in batches (a delete cut short leaves the company whole apart from
// history, and repeating it goes on).
func (s *Companies) withTimeline(ctx context.Context, c *company.Company, writes []types.TransactWriteItem) ([]types.TransactWriteItem, error) {
	keys, err := s.timelineKeys(ctx, c.Workspace, c.ID)
	if err != nil {
		return nil, err
	}
	if len(writes)+len(keys) > maxTransactItems {
		if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
			return nil, fmt.Errorf("delete the timeline of company %s: %w", c.ID, err)
		}
		return writes, nil
	}
	for _, k := range keys {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: k}})
	}
	return writes, nil
}

// membershipEntries are the puts of the entries a write of a contact adds
// to the timelines of the companies it leaves (contact_removed) and joins
// (contact_added), for the contact's transaction: none when its companyId
// stays, one for a link or an unlink, two for a move. old is nil for a
// creation, c nil for a contact that goes (a merge's source).
func membershipEntries(table string, old, c *contact.Contact, at time.Time, actor string) ([]types.TransactWriteItem, error) {
	var from, to string
	who := c
	if old != nil {
		from, who = old.CompanyID, old
	}
	if c != nil {
		to, who = c.CompanyID, c
	}
	if from == to {
		return nil, nil
	}
	var out []types.TransactWriteItem
	for _, m := range []struct{ company, event string }{{from, company.EventContactRemoved}, {to, company.EventContactAdded}} {
		if m.company == "" {
			continue
		}
		e := contact.Entry{ID: ids.New(at), Event: m.event, At: at, Actor: actor, ContactID: who.ID, ContactName: who.Name, ContactOwner: who.OwnerID}
		av, err := attributevalue.MarshalMap(entryItemIn(companyPK(who.Workspace, m.company), e))
		if err != nil {
			return nil, fmt.Errorf("marshal %s entry: %w", m.event, err)
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: av}})
	}
	return out, nil
}
