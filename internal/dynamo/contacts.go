package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
)

// maxTransactItems is DynamoDB's limit of items in one transaction.
const maxTransactItems = 100

// maxUpdateAttempts bounds the read-modify-write loop of an update without If-Match.
const maxUpdateAttempts = 5

// ErrIdempotencyKeyInUse is returned by Create when another request stored
// the same idempotency key first.
var ErrIdempotencyKeyInUse = errs.E(errs.Conflict, "idempotency_key_in_use")

// Contacts is the DynamoDB implementation of contact.Repository.
type Contacts struct {
	Client *dynamodb.Client
	Table  string
}

var _ contact.Repository = (*Contacts)(nil)

// Create implements contact.Repository. A race on a duplicate counter (a
// contact with the same phone or email written at the same moment) is
// retried.
func (s *Contacts) Create(ctx context.Context, c *contact.Contact, rec *contact.IdempotencyRecord) error {
	for attempt := 1; ; attempt++ {
		err := s.create(ctx, c, rec)
		if !errors.Is(err, errCounterRace) {
			return err
		}
		if attempt == maxUpdateAttempts {
			return contact.ErrBusy.Wrap(err)
		}
		backoff(ctx, attempt)
	}
}

// errCounterRace is a transaction lost on a duplicate counter only.
var errCounterRace = errors.New("duplicate counter changed meanwhile")

func (s *Contacts) create(ctx context.Context, c *contact.Contact, rec *contact.IdempotencyRecord) error {
	c.Counted = true
	item, err := marshalContact(c)
	if err != nil {
		return err
	}
	writes := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.Table, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}}
	for _, l := range lookups(c) {
		put, err := lookupPut(s.Table, l)
		if err != nil {
			return err
		}
		writes = append(writes, put)
	}
	guard := guardIndex(writes)
	entry, err := s.put(newTimelineEntry(c, contact.Diff(nil, c).Event, nil, c.CreatedAt, c.CreatedBy))
	if err != nil {
		return err
	}
	writes = append(writes, entry)
	index, err := indexWrites(s.Table, nil, c)
	if err != nil {
		return err
	}
	writes = append(writes, index...)
	joined, err := membershipEntries(s.Table, nil, c, c.CreatedAt, c.CreatedBy)
	if err != nil {
		return err
	}
	writes = append(writes, joined...)
	held := map[string]int{}
	counters, err := counterWritesSeeing(ctx, s.Client, s.Table, c.Workspace, held, change{nil, c})
	if err != nil {
		return err
	}
	// The possible duplicates: only a key the counters say is held is
	// looked up, so a create without duplicates reads nothing more.
	c.Holders = nil
	for _, k := range contact.DuplicateKeys(c) {
		if held[k] == 0 {
			continue
		}
		ids, err := s.holders(ctx, c.Workspace, k, contact.MaxPossibleDuplicates+1)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !slices.Contains(c.Holders, id) {
				c.Holders = append(c.Holders, id)
			}
		}
	}
	firstCounter := len(writes)
	writes = append(writes, counters...)
	recIndex := -1
	if rec != nil {
		av, err := marshalIdempotency(c.Workspace, rec)
		if err != nil {
			return err
		}
		ref, err := marshalRef(c.Workspace, c.ID, av, rec.ExpiresAt)
		if err != nil {
			return err
		}
		recIndex = len(writes)
		// An expired record may linger until TTL deletes it: it does not count.
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.Table, Item: av,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR expiresAt < :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: fmt.Sprint(time.Now().Unix())}},
		}}, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: ref}})
	}
	companyAt := -1
	if c.CompanyID != "" {
		companyAt = len(writes)
		writes = append(writes, s.companyCheck(c))
	}
	if len(writes) > maxTransactItems {
		return contact.ErrTooLarge
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	failed := conditionFailures(err)
	if companyAt >= 0 && failed[companyAt] {
		return contact.ErrCompanyUnknown.Wrap(err)
	}
	if recIndex >= 0 && failed[recIndex] {
		return ErrIdempotencyKeyInUse.Wrap(err)
	}
	if failed[0] {
		return contact.ErrExists.Wrap(err)
	}
	if guard >= 0 && failed[guard] {
		return contact.ErrExternalIDTaken.Wrap(err)
	}
	for i := firstCounter; i < firstCounter+len(counters); i++ {
		if failed[i] || isConflictOnly(err) {
			return fmt.Errorf("create contact %s: %w: %w", c.ID, errCounterRace, err)
		}
	}
	if err != nil {
		return fmt.Errorf("create contact %s: %w", c.ID, err)
	}
	return nil
}

// Get implements contact.Repository.
func (s *Contacts) Get(ctx context.Context, workspace, id string) (*contact.Contact, error) {
	item, err := getRaw(ctx, s.Client, s.Table, contactPK(workspace, id), contactSK, true, "contact "+id)
	if err != nil {
		return nil, err
	}
	if item == nil {
		return nil, contact.ErrNotFound
	}
	return unmarshalContact(item)
}

// Update implements contact.Repository.
func (s *Contacts) Update(ctx context.Context, workspace, id string, ifVersion int, fn func(*contact.Contact) error) (*contact.Contact, error) {
	for attempt := 1; ; attempt++ {
		old, err := s.Get(ctx, workspace, id)
		if err != nil {
			return nil, err
		}
		// fn runs first: a caller it refuses as not found (outside its
		// wallet) must not learn from a lock or a version that the contact exists.
		c := old.Clone()
		ferr := fn(c)
		switch {
		case errs.Is(ferr, errs.NotFound):
			return nil, ferr
		case old.MergeLock != "":
			return nil, contact.ErrMerging
		case ifVersion > 0 && old.Version != ifVersion:
			return nil, contact.ErrVersionMismatch.With("current", fmt.Sprint(old.Version))
		case ferr != nil:
			return nil, ferr
		}
		changed := contact.Diff(old, c)
		if len(changed.Fields) == 0 {
			return old, nil // nothing to write: no new version, no timeline entry
		}
		c.Version = old.Version + 1
		err = s.write(ctx, old, c, changed)
		if c.MainContactID != old.MainContactID && c.MainContactID != "" && conditionFailures(err)[1] {
			return nil, contact.ErrMainChanged.Wrap(err)
		}
		if errors.Is(err, contact.ErrExternalIDTaken) || errs.Is(err, errs.Invalid) {
			return nil, err
		}
		if !isRace(err) {
			return c, err
		}
		if ifVersion > 0 {
			if cur, gerr := s.Get(ctx, workspace, id); gerr != nil || cur.Version != ifVersion {
				return nil, s.raceOutcome(ctx, workspace, id)
			}
			// Lost on a duplicate counter only: the contact is as demanded.
		}
		if attempt == maxUpdateAttempts {
			return nil, contact.ErrBusy.Wrap(err)
		}
		backoff(ctx, attempt)
	}
}

// isConflictOnly reports whether a transaction was cancelled for a
// conflict with another transaction rather than a failed condition.
func isConflictOnly(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for _, r := range tce.CancellationReasons {
		if aws.ToString(r.Code) == "TransactionConflict" {
			return true
		}
	}
	return false
}

// write stores c over old, moving its lookups and adding an "updated"
// timeline entry, on condition that old is still the stored version.
func (s *Contacts) write(ctx context.Context, old, c *contact.Contact, changed contact.Change) error {
	c.Counted = true // counted from now on (an old contact's first write adds it)
	item, err := marshalContact(c)
	if err != nil {
		return err
	}
	writes := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.Table, Item: item,
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(old.Version)}},
	}}}
	if c.MainContactID != "" && c.MainContactID != old.MainContactID {
		// The main contact must exist and not be linked itself: with the
		// transactions serialised, two contacts can never link to each other.
		writes = append(writes, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.Table, Key: key(contactPK(c.Workspace, c.MainContactID), contactSK),
			ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(mainContactId)"),
		}})
	}
	lw, err := lookupWrites(s.Table, old, c)
	if err != nil {
		return err
	}
	writes = append(writes, lw...)
	entry, err := s.put(newTimelineEntry(c, changed.Event, changed.Fields, c.UpdatedAt, c.UpdatedBy))
	if err != nil {
		return err
	}
	writes = append(writes, entry)
	index, err := indexWrites(s.Table, old, c)
	if err != nil {
		return err
	}
	writes = append(writes, index...)
	moved, err := membershipEntries(s.Table, old, c, c.UpdatedAt, c.UpdatedBy)
	if err != nil {
		return err
	}
	writes = append(writes, moved...)
	counters, err := counterWrites(ctx, s.Client, s.Table, c.Workspace, change{old, c})
	if err != nil {
		return err
	}
	writes = append(writes, counters...)
	companyAt := -1
	if c.CompanyID != "" && c.CompanyID != old.CompanyID {
		companyAt = len(writes)
		writes = append(writes, s.companyCheck(c))
	}
	if len(writes) > maxTransactItems {
		return contact.ErrTooLarge
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if g := guardIndex(writes); g >= 0 && conditionFailures(err)[g] && !conditionFailures(err)[0] {
		return contact.ErrExternalIDTaken.Wrap(err)
	}
	if companyAt >= 0 && conditionFailures(err)[companyAt] && !conditionFailures(err)[0] {
		return contact.ErrCompanyUnknown.Wrap(err)
	}
	if err != nil {
		return fmt.Errorf("update contact %s: %w", c.ID, err)
	}
	return nil
}

// companyCheck demands that the company c links to exists, in the
// transaction that links it: a company deleted meanwhile is a 422
// company_not_found, never a link to nothing.
func (s *Contacts) companyCheck(c *contact.Contact) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.Table, Key: key(companyPK(c.Workspace, c.CompanyID), companySK),
		ConditionExpression: aws.String("attribute_exists(PK)"),
	}}
}

// raceOutcome tells why a conditional write of a contact failed.
func (s *Contacts) raceOutcome(ctx context.Context, workspace, id string) error {
	cur, err := s.Get(ctx, workspace, id)
	if err != nil {
		return err
	}
	return contact.ErrVersionMismatch.With("current", fmt.Sprint(cur.Version))
}

// Delete implements contact.Repository. One strongly consistent Query reads
// the contact with everything it owns. Up to 100 items (the contact, its
// lookups, its timeline...) go in one transaction. A larger contact first
// loses what it owns in batches, then itself and its lookups in one
// transaction, so it never looks half-deleted: until the last step it is
// whole apart from history, and a retry finishes the job.
func (s *Contacts) Delete(ctx context.Context, workspace, id string, ifVersion int, actor string) error {
	for attempt := 1; ; attempt++ {
		c, err := s.deleteOnce(ctx, workspace, id, ifVersion, actor)
		if err == nil {
			return s.purgeMerges(ctx, c)
		}
		if !errors.Is(err, errCounterRace) {
			return err
		}
		if attempt == maxUpdateAttempts {
			return contact.ErrBusy.Wrap(err)
		}
		backoff(ctx, attempt)
	}
}

func (s *Contacts) deleteOnce(ctx context.Context, workspace, id string, ifVersion int, actor string) (*contact.Contact, error) {
	c, owned, err := s.collection(ctx, workspace, id)
	if err != nil {
		return nil, err
	}
	if c.MergeLock != "" {
		return nil, contact.ErrMerging
	}
	if ifVersion > 0 && c.Version != ifVersion {
		return nil, contact.ErrVersionMismatch.With("current", fmt.Sprint(c.Version))
	}
	var final []map[string]types.AttributeValue
	for _, l := range lookups(c) {
		final = append(final, key(l.PK, l.SK))
	}
	for _, r := range indexRows(c) {
		final = append(final, key(r.PK, r.SK))
	}
	counters, err := counterWrites(ctx, s.Client, s.Table, workspace, change{c, nil})
	if err != nil {
		return nil, err
	}
	// Its company's timeline records that it left.
	left, err := membershipEntries(s.Table, c, nil, time.Now(), actor)
	if err != nil {
		return nil, err
	}
	if len(owned)+len(final)+len(counters)+len(left)+1 > maxTransactItems {
		if err := batchDelete(ctx, s.Client, s.Table, owned); err != nil {
			return nil, fmt.Errorf("delete items of contact %s: %w", id, err)
		}
		owned = nil
	}
	writes := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName: &s.Table, Key: key(contactPK(workspace, id), contactSK),
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Version)}},
	}}}
	for _, k := range append(final, owned...) {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: k}})
	}
	writes = append(append(writes, counters...), left...)
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if isRace(err) {
		if cur, gerr := s.Get(ctx, workspace, id); gerr == nil && cur.Version == c.Version {
			return nil, fmt.Errorf("delete contact %s: %w: %w", id, errCounterRace, err)
		}
		return nil, s.raceOutcome(ctx, workspace, id)
	}
	if err != nil {
		return nil, fmt.Errorf("delete contact %s: %w", id, err)
	}
	return c, nil
}

// purgeMerges deletes what the merges of a deleted contact kept: the
// tombstones of the contacts merged into it, and their snapshots in the
// merge records (the history keeps who merged what, not the data). A
// source that was itself the target of earlier merges brought their
// records along: they are purged too, down the whole chain.
func (s *Contacts) purgeMerges(ctx context.Context, c *contact.Contact) error {
	m := &Merges{Client: s.Client, Table: s.Table}
	pending, seen := append([]string(nil), c.Merges...), map[string]bool{}
	for len(pending) > 0 {
		id := pending[0]
		pending = pending[1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		rec, err := m.read(ctx, c.Workspace, id)
		if errs.Is(err, errs.NotFound) {
			continue
		}
		if err != nil {
			return err
		}
		var keys []map[string]types.AttributeValue
		for _, src := range rec.SourceIDs {
			if before, err := unmarshalContact(rec.before[src]); err == nil {
				pending = append(pending, before.Merges...)
			}
			items, err := m.query(ctx, contactPK(c.Workspace, src), "")
			if err != nil {
				return err
			}
			for _, it := range items {
				keys = append(keys, keyOf(it))
			}
		}
		if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
			return fmt.Errorf("delete merged contacts of %s: %w", c.ID, err)
		}
		_, err = s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.Table, Key: key(mergesPK(c.Workspace), mergeSK(id)),
			UpdateExpression:          aws.String("SET purged = :t " + removeSnapshots),
			ExpressionAttributeNames:  snapshotNames,
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}},
		})
		if err != nil {
			return fmt.Errorf("purge merge %s: %w", id, err)
		}
	}
	return nil
}

// collection reads the contact's item collection: the contact, and the keys
// of every other item it owns. Errors: NotFound.
func (s *Contacts) collection(ctx context.Context, workspace, id string) (*contact.Contact, []map[string]types.AttributeValue, error) {
	var c *contact.Contact
	var owned []map[string]types.AttributeValue
	seen := map[string]bool{}
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName:                 &s.Table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: contactPK(workspace, id)}},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("read items of contact %s: %w", id, err)
		}
		for _, it := range page.Items {
			if sk, ok := it[attrSK].(*types.AttributeValueMemberS); ok && sk.Value == contactSK {
				if c, err = unmarshalContact(it); err != nil {
					return nil, nil, err
				}
				continue
			}
			owned = append(owned, map[string]types.AttributeValue{attrPK: it[attrPK], attrSK: it[attrSK]})
			if l, ok := it["lookupPK"].(*types.AttributeValueMemberS); ok && !seen[l.Value] {
				// A connection's channel user, a conversation's lookup (a
				// merge's aside copy names it too: once).
				seen[l.Value] = true
				owned = append(owned, key(l.Value, channelUserSK))
			}
			if k, ok := referenced(it, time.Now()); ok {
				owned = append(owned, k) // an idempotency record holding the contact's data
			}
		}
	}
	if c == nil {
		return nil, nil, contact.ErrNotFound
	}
	return c, owned, nil
}

// Idempotency implements contact.Repository.
func (s *Contacts) Idempotency(ctx context.Context, workspace, k string) (*contact.IdempotencyRecord, error) {
	var it idempotencyItem
	found, err := getItem(ctx, s.Client, s.Table, idempotencyPK(workspace, k), idempotencySK, true, "idempotency record", &it)
	if err != nil || !found {
		return nil, err
	}
	if it.ExpiresAt < time.Now().Unix() {
		return nil, nil // expired; TTL deletes it within days
	}
	c := it.Contact.contact()
	c.Holders = it.Holders
	return &contact.IdempotencyRecord{Key: k, Fingerprint: it.Fingerprint, Contact: c, ExpiresAt: time.Unix(it.ExpiresAt, 0)}, nil
}

// idempotencyItem remembers the first outcome of a create.
type idempotencyItem struct {
	PK          string      `dynamodbav:"PK"`
	SK          string      `dynamodbav:"SK"`
	Type        string      `dynamodbav:"type"`
	Fingerprint string      `dynamodbav:"fingerprint"`
	Contact     contactItem `dynamodbav:"contact"`
	Holders     []string    `dynamodbav:"holders,omitempty"` // the contact's possible duplicates then
	ExpiresAt   int64       `dynamodbav:"expiresAt"`         // the table's TTL attribute
}

func marshalIdempotency(ws string, rec *contact.IdempotencyRecord) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(idempotencyItem{
		PK: idempotencyPK(ws, rec.Key), SK: idempotencySK, Type: typeIdempotency,
		Fingerprint: rec.Fingerprint, Contact: toContactItem(rec.Contact), Holders: rec.Contact.Holders, ExpiresAt: rec.ExpiresAt.Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("marshal idempotency record: %w", err)
	}
	return av, nil
}

func newTimelineEntry(c *contact.Contact, event string, fields []string, at time.Time, actor string) timelineItem {
	return timelineItem{
		PK: contactPK(c.Workspace, c.ID), SK: timelineSK(ids.New(at)), Type: typeTimeline,
		Event: event, At: formatTime(at), Actor: actor, Fields: fields,
	}
}

func (s *Contacts) put(v any) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(v)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal %T: %w", v, err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: av}}, nil
}

// conditionFailures returns the indexes of the transaction's items whose
// condition failed.
func conditionFailures(err error) map[int]bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	out := map[int]bool{}
	for i, r := range tce.CancellationReasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" {
			out[i] = true
		}
	}
	return out
}

// isRace reports whether err is a transaction lost to another writer: a
// failed condition or a conflict with a concurrent transaction.
func isRace(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "ConditionalCheckFailed", "TransactionConflict":
			return true
		}
	}
	return false
}

// GetMany reads contacts by id, 100 per BatchGetItem (eventually
// consistent), in the order given; ids of contacts that are gone (or
// merged) are left out.
func (s *Contacts) GetMany(ctx context.Context, ws string, idList []string) ([]*contact.Contact, error) {
	byID := map[string]*contact.Contact{}
	for start := 0; start < len(idList); start += 100 {
		var keys []map[string]types.AttributeValue
		for _, id := range idList[start:min(start+100, len(idList))] {
			keys = append(keys, key(contactPK(ws, id), contactSK))
		}
		err := batchGet(ctx, s.Client, s.Table, keys, false, "contacts", func(av map[string]types.AttributeValue) error {
			c, err := unmarshalContact(av)
			if errors.Is(err, contact.ErrMerged) {
				return nil // merged meanwhile
			}
			if err != nil {
				return err
			}
			byID[c.ID] = c
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]*contact.Contact, 0, len(byID))
	for _, id := range idList {
		if c, ok := byID[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}
