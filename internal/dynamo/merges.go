package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/merge"
)

// Merges is the DynamoDB implementation of merge.Store.
//
// A merge moves every item the sources own (timeline, conversations,
// channel connections, open-conversation guards) into the target's
// partition, each copy marked with the merge id and the source it came
// from; replaces each source with a tombstone pointing to the target;
// deletes the sources' lookups and index entries; and writes the target as
// resolved. A source item whose key the target already has (a connection or
// an open conversation on the same channel) is kept aside in the target's
// partition under MERGED#<mergeId>#<sourceId>#<its key>, where no reader
// looks, with the source's conversation closed. The merge record keeps the
// contacts as they were, so an undo puts back every item exactly.
//
// When all of it fits one transaction (100 items) it is one transaction.
// Otherwise it runs in steps: lock the contacts (mergeLock; writes are
// refused), copy, unlist the sources, apply (one transaction: the target,
// tombstones, lookups, record), clean the sources' partitions. Copies are
// hidden from readers while the target's lock names their merge, so the
// merge shows all at once. Each step is idempotent and the record says
// which one was reached, so Resume finishes a crashed merge and Undo rolls
// it back.
type Merges struct {
	Client *dynamodb.Client
	Table  string
	// AfterStep, when set, runs after each step of a merge in steps; a test
	// returns an error from it to simulate a crash there.
	AfterStep func(step string) error
}

var _ merge.Store = (*Merges)(nil)

func mergesPK(ws string) string { return workspacePrefix(ws) + "MERGES" }
func mergeSK(id string) string  { return "M#" + id }
func asideSK(mergeID, source, sk string) string {
	return "MERGED#" + mergeID + "#" + source + "#" + sk
}

// Steps of a merge in steps, in order, as recorded.
const (
	stepLocked   = "locked"
	stepCopied   = "copied"
	stepUnlisted = "unlisted"
	stepApplied  = "applied"
	stepCleaned  = "cleaned"
)

// Markers on moved items.
const (
	attrMergeID    = "movedBy"
	attrMergedFrom = "mergedFrom"
	attrOrigSK     = "origSK"
)

// mergeRecordItem is the record of a merge, with raw snapshots of the
// contacts as they were (before) and of the target as the merge writes it.
type mergeRecordItem struct {
	PK        string   `dynamodbav:"PK"`
	SK        string   `dynamodbav:"SK"`
	Type      string   `dynamodbav:"type"`
	ID        string   `dynamodbav:"id"`
	TargetID  string   `dynamodbav:"targetId"`
	SourceIDs []string `dynamodbav:"sourceIds"`
	Fields    []string `dynamodbav:"fields"`
	Status    string   `dynamodbav:"status"`
	Step      string   `dynamodbav:"step,omitempty"`
	Steps     bool     `dynamodbav:"steps,omitempty"`
	Moved     int      `dynamodbav:"moved"`
	EntryID   string   `dynamodbav:"entryId"` // the target's "merged" timeline entry
	Actor     string   `dynamodbav:"actor"`
	At        string   `dynamodbav:"at"`
	UndoneBy  string   `dynamodbav:"undoneBy,omitempty"`
	UndoneAt  string   `dynamodbav:"undoneAt,omitempty"`
	UndoStep  string   `dynamodbav:"undoStep,omitempty"`
}

// mergeRecord is a record with its snapshots.
type mergeRecord struct {
	mergeRecordItem
	before   map[string]map[string]types.AttributeValue // contact id → its item before the merge
	after    map[string]types.AttributeValue            // the target as the merge wrote it
	undo     map[string]types.AttributeValue            // the target as an undo in steps writes it
	undoFrom map[string]types.AttributeValue            // the target as that undo found it
}

func (r mergeRecord) record(ws string) merge.Record {
	return merge.Record{
		ID: r.ID, Workspace: ws, TargetID: r.TargetID, SourceIDs: r.SourceIDs, Fields: r.Fields,
		Status: r.Status, Steps: r.Steps, Moved: r.Moved, Actor: r.Actor, At: parseTime(r.At),
		UndoneBy: r.UndoneBy, UndoneAt: parseTime(r.UndoneAt),
	}
}

// snapshotNames name the attributes of a merge record that hold personal
// data (its snapshots) in an expression; removeSnapshots drops them. An
// undone merge and the merges of a deleted contact keep who merged which
// ids and when, not the data.
var snapshotNames = map[string]string{"#b": "before", "#a": "after", "#u": "undo", "#f": "undoFrom"}

const removeSnapshots = "REMOVE #b, #a, #u, #f"

// summary is the record without its snapshots.
func (r mergeRecord) summary() (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(r.mergeRecordItem)
	if err != nil {
		return nil, fmt.Errorf("marshal merge record: %w", err)
	}
	return av, nil
}

func (r mergeRecord) marshal() (map[string]types.AttributeValue, error) {
	av, err := r.summary()
	if err != nil {
		return nil, err
	}
	before := map[string]types.AttributeValue{}
	for id, item := range r.before {
		before[id] = &types.AttributeValueMemberM{Value: item}
	}
	av["before"] = &types.AttributeValueMemberM{Value: before}
	av["after"] = &types.AttributeValueMemberM{Value: r.after}
	if r.undo != nil {
		av["undo"] = &types.AttributeValueMemberM{Value: r.undo}
		av["undoFrom"] = &types.AttributeValueMemberM{Value: r.undoFrom}
	}
	return av, nil
}

func unmarshalMergeRecord(av map[string]types.AttributeValue) (mergeRecord, error) {
	var r mergeRecord
	if err := attributevalue.UnmarshalMap(av, &r.mergeRecordItem); err != nil {
		return r, fmt.Errorf("unmarshal merge record: %w", err)
	}
	r.before = map[string]map[string]types.AttributeValue{}
	if m, ok := av["before"].(*types.AttributeValueMemberM); ok {
		for id, item := range m.Value {
			if im, ok := item.(*types.AttributeValueMemberM); ok {
				r.before[id] = im.Value
			}
		}
	}
	if m, ok := av["after"].(*types.AttributeValueMemberM); ok {
		r.after = m.Value
	}
	if m, ok := av["undo"].(*types.AttributeValueMemberM); ok {
		r.undo = m.Value
	}
	if m, ok := av["undoFrom"].(*types.AttributeValueMemberM); ok {
		r.undoFrom = m.Value
	}
	return r, nil
}

// move is one item of a source that a merge moves: where it is, and the
// copy the target gets.
type move struct {
	from map[string]types.AttributeValue // the source's item
	copy map[string]types.AttributeValue // in the target's partition
	// lookup is a channel user item the moved connection owns: it points to
	// the target after the merge.
	lookup string
}

// Merge implements merge.Store.
func (s *Merges) Merge(ctx context.Context, p merge.Plan) (merge.Record, error) {
	ws := p.Target.Workspace
	all := append([]*contact.Contact{p.Target}, p.Sources...)
	raw, err := s.readContacts(ctx, ws, all)
	if err != nil {
		return merge.Record{}, err
	}
	rec := mergeRecord{
		mergeRecordItem: mergeRecordItem{
			PK: mergesPK(ws), SK: mergeSK(p.ID), Type: "merge", ID: p.ID, TargetID: p.Target.ID,
			Fields: p.Fields, Status: merge.InProgress, Actor: p.Actor, At: formatTime(p.At),
			EntryID: ids.New(p.At),
		},
		before: raw,
	}
	for _, c := range p.Sources {
		rec.SourceIDs = append(rec.SourceIDs, c.ID)
	}
	merged := p.Merged.Clone()
	merged.Version = p.Target.Version + 1
	merged.Merges = append(merged.Merges, p.ID)
	moves, err := s.plan(ctx, ws, rec)
	if err != nil {
		return merge.Record{}, err
	}
	rec.Moved = len(moves)

	// Everything in one transaction when it fits.
	apply, err := s.applyWrites(ctx, rec, p.Target, merged, p.Sources, true, false)
	if err != nil {
		return merge.Record{}, err
	}
	if rec.after, err = marshalContact(merged); err != nil {
		return merge.Record{}, err
	}
	moveWrites := s.moveWrites(ws, p.Target.ID, moves)
	if len(apply)+len(moveWrites) <= maxTransactItems {
		rec.Status, rec.Step = merge.Applied, stepCleaned
		meta, err := rec.marshal()
		if err != nil {
			return merge.Record{}, err
		}
		writes := append(apply, moveWrites...)
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: meta, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
		_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		if err != nil {
			return merge.Record{}, s.raceOutcome(ctx, ws, all, err)
		}
		return rec.record(ws), nil
	}

	// In steps, under a lock.
	rec.Steps = true
	// The target as written after the lock (which adds a version).
	merged.Version = p.Target.Version + 2
	if rec.after, err = marshalContact(merged); err != nil {
		return merge.Record{}, err
	}
	if final, err := s.applyWrites(ctx, rec, p.Target, merged, p.Sources, false, true); err != nil {
		return merge.Record{}, err
	} else if len(final)+1 > maxTransactItems {
		return merge.Record{}, merge.ErrTooLarge
	}
	rec.Step = stepLocked
	meta, err := rec.marshal()
	if err != nil {
		return merge.Record{}, err
	}
	writes := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: meta, ConditionExpression: aws.String("attribute_not_exists(PK)")}}}
	for _, c := range all {
		writes = append(writes, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.Table, Key: key(contactPK(ws, c.ID), contactSK),
			UpdateExpression:    aws.String("SET mergeLock = :m, version = version + :one"),
			ConditionExpression: aws.String("version = :v AND attribute_not_exists(mergeLock)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":m": &types.AttributeValueMemberS{Value: p.ID}, ":one": &types.AttributeValueMemberN{Value: "1"},
				":v": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Version)},
			},
		}})
	}
	if _, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
		return merge.Record{}, s.raceOutcome(ctx, ws, all, err)
	}
	if err := s.after(stepLocked); err != nil {
		return merge.Record{}, err
	}
	return s.Resume(ctx, ws, p.ID)
}

func (s *Merges) after(step string) error {
	if s.AfterStep == nil {
		return nil
	}
	return s.AfterStep(step)
}

// readContacts reads the contacts' items, strongly consistent, and checks
// each is at the version read before. Errors: NotFound, Conflict.
func (s *Merges) readContacts(ctx context.Context, ws string, cs []*contact.Contact) (map[string]map[string]types.AttributeValue, error) {
	out := map[string]map[string]types.AttributeValue{}
	for _, c := range cs {
		got, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: key(contactPK(ws, c.ID), contactSK), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("read contact %s to merge: %w", c.ID, err)
		}
		if got.Item == nil {
			return nil, contact.ErrNotFound
		}
		cur, err := unmarshalContact(got.Item)
		if err != nil {
			return nil, err
		}
		switch {
		case cur.MergeLock != "":
			return nil, merge.ErrMerging
		case cur.Version != c.Version:
			return nil, contact.ErrBusy
		}
		out[c.ID] = got.Item
	}
	return out, nil
}

// raceOutcome tells why a merge's transaction failed.
func (s *Merges) raceOutcome(ctx context.Context, ws string, cs []*contact.Contact, err error) error {
	if !isRace(err) {
		return fmt.Errorf("merge: %w", err)
	}
	for _, c := range cs {
		cur, gerr := (&Contacts{Client: s.Client, Table: s.Table}).Get(ctx, ws, c.ID)
		if gerr == nil && cur.MergeLock != "" {
			return merge.ErrMerging
		}
	}
	return contact.ErrBusy.Wrap(err)
}

// plan lists the items the sources own and what each becomes on the
// target. Copies already made by this merge are ignored when telling which
// keys the target has, so planning again after a crash gives the same plan.
func (s *Merges) plan(ctx context.Context, ws string, rec mergeRecord) ([]move, error) {
	targetPK := contactPK(ws, rec.TargetID)
	taken := map[string]bool{}
	for _, prefix := range []string{"CH#", "OPEN#"} {
		items, err := s.query(ctx, targetPK, prefix)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if str(it, attrMergeID) != rec.ID {
				taken[str(it, attrSK)] = true
			}
		}
	}
	var moves []move
	for _, src := range rec.SourceIDs {
		items, err := s.query(ctx, contactPK(ws, src), "")
		if err != nil {
			return nil, err
		}
		closed := map[string]bool{} // conversations closed because the target has one open on the channel
		for _, it := range items {
			sk := str(it, attrSK)
			if strings.HasPrefix(sk, "OPEN#") && taken[sk] {
				closed[conversationSK(str(it, "conversationId"))] = true
			}
		}
		for _, it := range items {
			sk := str(it, attrSK)
			if sk == contactSK {
				continue
			}
			m := move{from: it, lookup: str(it, "lookupPK")}
			cp := clone(it)
			cp[attrPK] = &types.AttributeValueMemberS{Value: targetPK}
			cp[attrMergeID] = &types.AttributeValueMemberS{Value: rec.ID}
			cp[attrMergedFrom] = &types.AttributeValueMemberS{Value: src}
			switch {
			case (strings.HasPrefix(sk, "CH#") || strings.HasPrefix(sk, "OPEN#")) && taken[sk]:
				cp[attrSK] = &types.AttributeValueMemberS{Value: asideSK(rec.ID, src, sk)}
				cp[attrOrigSK] = &types.AttributeValueMemberS{Value: sk}
			case closed[sk]:
				// The original aside, and a closed copy in view.
				aside := clone(cp)
				aside[attrSK] = &types.AttributeValueMemberS{Value: asideSK(rec.ID, src, sk)}
				aside[attrOrigSK] = &types.AttributeValueMemberS{Value: sk}
				moves = append(moves, move{from: it, copy: aside})
				cp["status"] = &types.AttributeValueMemberS{Value: "closed"}
				cp["closedReason"] = &types.AttributeValueMemberS{Value: "merged"}
				cp["closedAt"] = &types.AttributeValueMemberS{Value: rec.At}
				m.from = nil // moved (and deleted) once, by its aside copy
			default:
				if strings.HasPrefix(sk, "CH#") || strings.HasPrefix(sk, "OPEN#") {
					taken[sk] = true
				}
			}
			m.copy = cp
			moves = append(moves, m)
		}
	}
	return moves, nil
}

// moveWrites copies each moved item to the target, deletes it from its
// source, and points the channel users of moved connections to the target.
func (s *Merges) moveWrites(ws, targetID string, moves []move) []types.TransactWriteItem {
	var out []types.TransactWriteItem
	for _, m := range moves {
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: m.copy}})
		if m.from != nil {
			out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: keyOf(m.from)}})
		}
		if m.lookup != "" {
			out = append(out, s.pointLookup(m.lookup, targetID))
		}
	}
	return out
}

func (s *Merges) pointLookup(lookupPK, contactID string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.Table, Key: key(lookupPK, channelUserSK),
		UpdateExpression:          aws.String("SET contactId = :id"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: contactID}},
	}}
}

// applyWrites is the transaction that makes a merge visible: the target as
// merged, the sources' tombstones, the lookups and index entries that
// change, the timeline entry and the record. single: conditions on the
// versions read (no lock); otherwise on the lock. unlisted: the sources'
// index entries were deleted by an earlier step.
func (s *Merges) applyWrites(ctx context.Context, rec mergeRecord, target, merged *contact.Contact, sources []*contact.Contact, single, unlisted bool) ([]types.TransactWriteItem, error) {
	ws := target.Workspace
	cond := func(version int) (*string, map[string]types.AttributeValue) {
		if single {
			return aws.String("version = :v AND attribute_not_exists(mergeLock)"), map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(version)}}
		}
		return aws.String("mergeLock = :m"), map[string]types.AttributeValue{":m": &types.AttributeValueMemberS{Value: rec.ID}}
	}
	item, err := marshalContact(merged)
	if err != nil {
		return nil, err
	}
	c, v := cond(target.Version)
	writes := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: item, ConditionExpression: c, ExpressionAttributeValues: v}}}
	diff, err := derivedWrites(s.Table, target, merged)
	if err != nil {
		return nil, err
	}
	writes = append(writes, diff...)
	entry, err := attributevalue.MarshalMap(timelineItem{
		PK: contactPK(ws, target.ID), SK: timelineSK(rec.EntryID), Type: typeTimeline,
		Event: "merged", At: rec.At, Actor: rec.Actor, Fields: rec.Fields, MergeID: rec.ID, Sources: rec.SourceIDs,
	})
	if err != nil {
		return nil, fmt.Errorf("marshal merged entry: %w", err)
	}
	writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: entry}})
	changes := []change{{target, merged}}
	for _, src := range sources {
		changes = append(changes, change{src, nil})
	}
	counters, err := counterWrites(ctx, s.Client, s.Table, ws, changes...)
	if err != nil {
		return nil, err
	}
	writes = append(writes, counters...)
	for _, src := range sources {
		tomb, err := attributevalue.MarshalMap(tombstone{
			PK: contactPK(ws, src.ID), SK: contactSK, Type: "merged", Workspace: ws, ID: src.ID,
			MergedInto: target.ID, MergeID: rec.ID, Version: src.Version + 1,
		})
		if err != nil {
			return nil, fmt.Errorf("marshal tombstone: %w", err)
		}
		c, v := cond(src.Version)
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: tomb, ConditionExpression: c, ExpressionAttributeValues: v}})
		for _, l := range lookups(src) {
			writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(l.PK, l.SK)}})
		}
		if !unlisted {
			for _, r := range indexRows(src) {
				writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(r.PK, r.SK)}})
			}
		}
	}
	return writes, nil
}

// tombstone replaces a merged contact: it tells where the contact went.
type tombstone struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Type       string `dynamodbav:"type"`
	Workspace  string `dynamodbav:"workspace"`
	ID         string `dynamodbav:"id"`
	MergedInto string `dynamodbav:"mergedInto"`
	MergeID    string `dynamodbav:"mergeId"`
	Version    int    `dynamodbav:"version"`
}

// derivedWrites moves what a contact's fields derive, its lookups and its
// index entries, from old to c.
func derivedWrites(table string, old, c *contact.Contact) ([]types.TransactWriteItem, error) {
	lw, err := lookupWrites(table, old, c)
	if err != nil {
		return nil, err
	}
	index, err := indexWrites(table, old, c)
	if err != nil {
		return nil, err
	}
	return append(lw, index...), nil
}

// lookupWrites moves a contact's lookups from old to c.
func lookupWrites(table string, old, c *contact.Contact) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	oldL, newL := lookups(old), lookups(c)
	for _, l := range oldL {
		if !sameLookupKey(newL, l) {
			out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: &table, Key: key(l.PK, l.SK)}})
		}
	}
	for _, l := range newL {
		if !containsLookup(oldL, l) {
			av, err := attributevalue.MarshalMap(l)
			if err != nil {
				return nil, fmt.Errorf("marshal lookup: %w", err)
			}
			out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: av}})
		}
	}
	return out, nil
}

// Resume implements merge.Store: it runs the steps of a merge from the one
// its record reached.
func (s *Merges) Resume(ctx context.Context, ws, id string) (merge.Record, error) {
	rec, err := s.read(ctx, ws, id)
	if err != nil {
		return merge.Record{}, err
	}
	if rec.Status != merge.InProgress && !(rec.Status == merge.Applied && rec.Step != stepCleaned) {
		return rec.record(ws), nil
	}
	target, sources, err := rec.contacts()
	if err != nil {
		return merge.Record{}, err
	}
	merged, err := unmarshalContact(rec.after)
	if err != nil {
		return merge.Record{}, err
	}
	for rec.Step != stepCleaned {
		switch rec.Step {
		case stepLocked:
			moves, err := s.plan(ctx, ws, rec)
			if err != nil {
				return merge.Record{}, err
			}
			var puts []types.WriteRequest
			for _, m := range moves {
				puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: m.copy}})
			}
			if err := batchWrite(ctx, s.Client, s.Table, puts); err != nil {
				return merge.Record{}, fmt.Errorf("merge %s: copy: %w", id, err)
			}
			for _, m := range moves {
				if m.lookup == "" {
					continue
				}
				if err := s.point(ctx, m.lookup, rec.TargetID); err != nil {
					return merge.Record{}, err
				}
			}
			if err := s.setStep(ctx, ws, id, stepLocked, stepCopied, map[string]types.AttributeValue{":moved": &types.AttributeValueMemberN{Value: fmt.Sprint(len(moves))}}, ", moved = :moved"); err != nil {
				return merge.Record{}, err
			}
			rec.Step = stepCopied
		case stepCopied:
			var keys []map[string]types.AttributeValue
			for _, src := range sources {
				for _, r := range indexRows(src) {
					keys = append(keys, key(r.PK, r.SK))
				}
			}
			if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
				return merge.Record{}, fmt.Errorf("merge %s: unlist sources: %w", id, err)
			}
			if err := s.setStep(ctx, ws, id, stepCopied, stepUnlisted, nil, ""); err != nil {
				return merge.Record{}, err
			}
			rec.Step = stepUnlisted
		case stepUnlisted:
			locked := target.Clone()
			locked.Version++
			lockedSources := make([]*contact.Contact, len(sources))
			for i, c := range sources {
				lockedSources[i] = c.Clone()
				lockedSources[i].Version++
			}
			writes, err := s.applyWrites(ctx, rec, locked, merged, lockedSources, false, true)
			if err != nil {
				return merge.Record{}, err
			}
			writes = append(writes, types.TransactWriteItem{Update: &types.Update{
				TableName: &s.Table, Key: key(mergesPK(ws), mergeSK(id)),
				UpdateExpression:          aws.String("SET #s = :applied, step = :next"),
				ConditionExpression:       aws.String("step = :cur"),
				ExpressionAttributeNames:  map[string]string{"#s": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":applied": &types.AttributeValueMemberS{Value: merge.Applied}, ":next": &types.AttributeValueMemberS{Value: stepApplied}, ":cur": &types.AttributeValueMemberS{Value: stepUnlisted}},
			}})
			if _, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
				return merge.Record{}, fmt.Errorf("merge %s: apply: %w", id, err)
			}
			rec.Step, rec.Status = stepApplied, merge.Applied
		case stepApplied:
			// The sources' originals: their copies are on the target now.
			var keys []map[string]types.AttributeValue
			for _, src := range sources {
				items, err := s.query(ctx, contactPK(ws, src.ID), "")
				if err != nil {
					return merge.Record{}, err
				}
				for _, it := range items {
					if str(it, attrSK) != contactSK {
						keys = append(keys, keyOf(it))
					}
				}
			}
			if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
				return merge.Record{}, fmt.Errorf("merge %s: clean sources: %w", id, err)
			}
			if err := s.setStep(ctx, ws, id, stepApplied, stepCleaned, nil, ""); err != nil {
				return merge.Record{}, err
			}
			rec.Step = stepCleaned
		default:
			return merge.Record{}, fmt.Errorf("merge %s: unknown step %q", id, rec.Step)
		}
		if err := s.after(rec.Step); err != nil {
			return merge.Record{}, err
		}
	}
	return rec.record(ws), nil
}

// point sets the contact of a channel user, if it still exists.
func (s *Merges) point(ctx context.Context, lookupPK, contactID string) error {
	u := s.pointLookup(lookupPK, contactID).Update
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ConditionExpression: u.ConditionExpression, ExpressionAttributeValues: u.ExpressionAttributeValues,
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("point channel user: %w", err)
	}
	return nil
}

// setStep moves a record from one step to the next.
func (s *Merges) setStep(ctx context.Context, ws, id, from, to string, values map[string]types.AttributeValue, extra string) error {
	vals := map[string]types.AttributeValue{":cur": &types.AttributeValueMemberS{Value: from}, ":next": &types.AttributeValueMemberS{Value: to}}
	for k, v := range values {
		vals[k] = v
	}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(mergesPK(ws), mergeSK(id)),
		UpdateExpression:          aws.String("SET step = :next" + extra),
		ConditionExpression:       aws.String("step = :cur"),
		ExpressionAttributeValues: vals,
	})
	if err != nil {
		return fmt.Errorf("merge %s: record step %s: %w", id, to, err)
	}
	return nil
}

// contacts returns the contacts of a record as they were before the merge.
func (r mergeRecord) contacts() (*contact.Contact, []*contact.Contact, error) {
	target, err := unmarshalContact(r.before[r.TargetID])
	if err != nil {
		return nil, nil, err
	}
	var sources []*contact.Contact
	for _, id := range r.SourceIDs {
		c, err := unmarshalContact(r.before[id])
		if err != nil {
			return nil, nil, err
		}
		sources = append(sources, c)
	}
	return target, sources, nil
}

// read returns a merge record. Errors: NotFound.
func (s *Merges) read(ctx context.Context, ws, id string) (mergeRecord, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: key(mergesPK(ws), mergeSK(id)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return mergeRecord{}, fmt.Errorf("get merge %s: %w", id, err)
	}
	if out.Item == nil {
		return mergeRecord{}, merge.ErrNotFound
	}
	return unmarshalMergeRecord(out.Item)
}

// Record implements merge.Store.
func (s *Merges) Record(ctx context.Context, ws, id string) (merge.Record, error) {
	r, err := s.read(ctx, ws, id)
	if err != nil {
		return merge.Record{}, err
	}
	return r.record(ws), nil
}

// Records implements merge.Store: one Query of the workspace's merges,
// newest first, reading only the summary attributes.
func (s *Merges) Records(ctx context.Context, ws, before string, limit int) ([]merge.Record, bool, error) {
	upper := "M#\U0010FFFF"
	if before != "" {
		upper = mergeSK(before)
	}
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.Table, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit + 2)),
		KeyConditionExpression:   aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ProjectionExpression:     aws.String(projection(summaryAttrs)),
		ExpressionAttributeNames: names(summaryAttrs),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: mergesPK(ws)},
			":lo": &types.AttributeValueMemberS{Value: "M#"},
			":hi": &types.AttributeValueMemberS{Value: upper},
		},
	})
	if err != nil {
		return nil, false, fmt.Errorf("read merges: %w", err)
	}
	var list []merge.Record
	for _, av := range out.Items {
		var it mergeRecordItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, false, fmt.Errorf("unmarshal merge record: %w", err)
		}
		if it.ID == before {
			continue
		}
		if len(list) == limit {
			return list, true, nil
		}
		list = append(list, mergeRecord{mergeRecordItem: it}.record(ws))
	}
	return list, false, nil
}

// query reads every item of pk whose SK starts with prefix, strongly consistent.
func (s *Merges) query(ctx context.Context, pk, prefix string) ([]map[string]types.AttributeValue, error) {
	items, err := queryPrefix(ctx, s.Client, s.Table, pk, prefix, true, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", pk, err)
	}
	return items, nil
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func keyOf(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: item[attrPK], attrSK: item[attrSK]}
}

func clone(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(item))
	for k, v := range item {
		out[k] = v
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Steps of an undo in steps.
const (
	undoLocked   = "locked"
	undoRestored = "restored"
	undoCleared  = "cleared"
	undoApplied  = "applied"
)

// Undo implements merge.Store. A merge that never applied is rolled back; an
// applied one is undone: the sources' items go back to them, the sources
// come back as they were, and the target loses what the merge changed. When
// the target is still as the merge left it, it comes back exactly as it
// was; when it changed since, those changes stay unless they touch a field
// the merge set (then a 409 names the fields).
func (s *Merges) Undo(ctx context.Context, ws, id, actor string, at time.Time) (merge.Record, error) {
	rec, err := s.read(ctx, ws, id)
	if err != nil {
		return merge.Record{}, err
	}
	switch rec.Status {
	case merge.Undone:
		return merge.Record{}, merge.ErrAlreadyUndone
	case merge.InProgress:
		return s.rollback(ctx, ws, rec, actor, at)
	case merge.Undoing:
		return s.finishUndo(ctx, ws, rec, actor, at)
	}
	if len(rec.before) == 0 {
		return merge.Record{}, merge.ErrTargetDeleted // snapshots purged with its target
	}
	got, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: key(contactPK(ws, rec.TargetID), contactSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return merge.Record{}, fmt.Errorf("read target of merge %s: %w", id, err)
	}
	if got.Item == nil {
		return merge.Record{}, merge.ErrTargetDeleted
	}
	cur, err := unmarshalContact(got.Item)
	if e := errs.As(err); err != nil && e.Code == contact.ErrMerged.Code {
		return merge.Record{}, merge.ErrUndoConflict.With("fields", "the contact was merged into another since")
	}
	if err != nil {
		return merge.Record{}, err
	}
	if cur.MergeLock != "" {
		return merge.Record{}, merge.ErrMerging
	}
	restored, raw, err := rec.restoredTarget(cur, got.Item)
	if err != nil {
		return merge.Record{}, err
	}
	rec.undo, rec.undoFrom = raw, got.Item
	rec.UndoneBy, rec.UndoneAt = actor, formatTime(at)
	copies, err := s.copies(ctx, ws, rec)
	if err != nil {
		return merge.Record{}, err
	}
	_, sources, err := rec.contacts()
	if err != nil {
		return merge.Record{}, err
	}
	final, err := s.undoWrites(ctx, rec, cur, restored, raw, sources, false)
	if err != nil {
		return merge.Record{}, err
	}
	back := s.restoreWrites(ws, copies)
	if len(final)+len(back)+1 <= maxTransactItems {
		rec.Status, rec.UndoStep = merge.Undone, ""
		meta, err := rec.summary()
		if err != nil {
			return merge.Record{}, err
		}
		writes := append(final, back...)
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.Table, Item: meta, ConditionExpression: aws.String("#s = :applied"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":applied": &types.AttributeValueMemberS{Value: merge.Applied}},
		}})
		if _, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
			if isRace(err) {
				return merge.Record{}, contact.ErrBusy.Wrap(err)
			}
			return merge.Record{}, fmt.Errorf("undo merge %s: %w", id, err)
		}
		return rec.record(ws), nil
	}
	// In steps: lock the target first (its moved items are hidden from then on).
	rec.Status, rec.UndoStep = merge.Undoing, undoLocked
	meta, err := rec.marshal()
	if err != nil {
		return merge.Record{}, err
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.Table, Key: key(contactPK(ws, rec.TargetID), contactSK),
			UpdateExpression:    aws.String("SET mergeLock = :m"),
			ConditionExpression: aws.String("version = :v AND attribute_not_exists(mergeLock)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":m": &types.AttributeValueMemberS{Value: id}, ":v": &types.AttributeValueMemberN{Value: fmt.Sprint(cur.Version)},
			},
		}},
		{Put: &types.Put{
			TableName: &s.Table, Item: meta, ConditionExpression: aws.String("#s = :applied"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":applied": &types.AttributeValueMemberS{Value: merge.Applied}},
		}},
	}})
	if err != nil {
		if isRace(err) {
			return merge.Record{}, contact.ErrBusy.Wrap(err)
		}
		return merge.Record{}, fmt.Errorf("undo merge %s: lock: %w", id, err)
	}
	if err := s.after("undo:" + undoLocked); err != nil {
		return merge.Record{}, err
	}
	return s.finishUndo(ctx, ws, rec, actor, at)
}

// restoredTarget is the target an undo writes: as it was before the merge
// when nothing changed since, else as it is without what the merge set.
// Errors: Conflict "merge_undo_conflict" naming the fields changed since.
func (r mergeRecord) restoredTarget(cur *contact.Contact, curRaw map[string]types.AttributeValue) (*contact.Contact, map[string]types.AttributeValue, error) {
	before, err := unmarshalContact(r.before[r.TargetID])
	if err != nil {
		return nil, nil, err
	}
	after, err := unmarshalContact(r.after)
	if err != nil {
		return nil, nil, err
	}
	if cur.Version == after.Version {
		return before, r.before[r.TargetID], nil
	}
	curDoc, afterDoc := cur.Profile.Document(), after.Profile.Document()
	var conflicts []string
	for _, f := range r.Fields {
		if f == "tags" {
			continue
		}
		if !sameValue(curDoc[f], afterDoc[f]) {
			conflicts = append(conflicts, f)
		}
	}
	if len(conflicts) > 0 {
		return nil, nil, merge.ErrUndoConflict.With("fields", strings.Join(conflicts, ", "))
	}
	restored := cur.Clone()
	for _, name := range r.Fields {
		if f, ok := contact.FieldNamed(name); ok && f.Copy != nil {
			f.Copy(&restored.Profile, &before.Profile)
		}
	}
	var tags []string
	for _, t := range cur.TagIDs {
		if before.HasTag(t) || !after.HasTag(t) {
			tags = append(tags, t) // the merge did not add it
		}
	}
	restored.TagIDs = tags
	var merges []string
	for _, m := range cur.Merges {
		if m != r.ID {
			merges = append(merges, m)
		}
	}
	restored.Merges = merges
	restored.Version = cur.Version + 1
	raw, err := marshalContact(restored)
	return restored, raw, err
}

func sameValue(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// copies returns the items the merge put on the target (its copies and the
// items it kept aside).
func (s *Merges) copies(ctx context.Context, ws string, rec mergeRecord) ([]map[string]types.AttributeValue, error) {
	items, err := s.query(ctx, contactPK(ws, rec.TargetID), "")
	if err != nil {
		return nil, err
	}
	var out []map[string]types.AttributeValue
	for _, it := range items {
		if str(it, attrMergeID) == rec.ID {
			out = append(out, it)
		}
	}
	return out, nil
}

// original returns the source item a copy was made from, or nil for a copy
// whose original is kept aside.
func original(ws string, copy map[string]types.AttributeValue, aside map[string]bool) map[string]types.AttributeValue {
	src, sk := str(copy, attrMergedFrom), str(copy, attrSK)
	if orig := str(copy, attrOrigSK); orig != "" {
		sk = orig
	} else if aside[src+"#"+sk] {
		return nil
	}
	out := clone(copy)
	delete(out, attrMergeID)
	delete(out, attrMergedFrom)
	delete(out, attrOrigSK)
	out[attrPK] = &types.AttributeValueMemberS{Value: contactPK(ws, src)}
	out[attrSK] = &types.AttributeValueMemberS{Value: sk}
	return out
}

// restoreWrites puts each copy's original back in its source, deletes the
// copy, and points channel users back to the source.
func (s *Merges) restoreWrites(ws string, copies []map[string]types.AttributeValue) []types.TransactWriteItem {
	aside := asideSet(copies)
	var out []types.TransactWriteItem
	for _, cp := range copies {
		if orig := original(ws, cp, aside); orig != nil {
			out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: orig}})
			if l := str(orig, "lookupPK"); l != "" {
				out = append(out, s.pointLookup(l, str(cp, attrMergedFrom)))
			}
		}
		out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: keyOf(cp)}})
	}
	return out
}

func asideSet(copies []map[string]types.AttributeValue) map[string]bool {
	out := map[string]bool{}
	for _, cp := range copies {
		if orig := str(cp, attrOrigSK); orig != "" {
			out[str(cp, attrMergedFrom)+"#"+orig] = true
		}
	}
	return out
}

// undoWrites is the transaction that makes an undo visible: the target
// restored, the sources back from their tombstones with their lookups (and
// index entries unless relisted later), the merged entry gone, the record.
func (s *Merges) undoWrites(ctx context.Context, rec mergeRecord, cur, restored *contact.Contact, restoredRaw map[string]types.AttributeValue, sources []*contact.Contact, locked bool) ([]types.TransactWriteItem, error) {
	ws := cur.Workspace
	cond, vals := aws.String("version = :v AND attribute_not_exists(mergeLock)"), map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(cur.Version)}}
	if locked {
		cond, vals = aws.String("mergeLock = :m"), map[string]types.AttributeValue{":m": &types.AttributeValueMemberS{Value: rec.ID}}
	}
	writes := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: restoredRaw, ConditionExpression: cond, ExpressionAttributeValues: vals}}}
	diff, err := derivedWrites(s.Table, cur, restored)
	if err != nil {
		return nil, err
	}
	writes = append(writes, diff...)
	writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(contactPK(ws, rec.TargetID), timelineSK(rec.EntryID))}})
	changes := []change{{cur, restored}}
	for _, src := range sources {
		changes = append(changes, change{nil, src})
	}
	counters, err := counterWrites(ctx, s.Client, s.Table, ws, changes...)
	if err != nil {
		return nil, err
	}
	writes = append(writes, counters...)
	for _, src := range sources {
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.Table, Item: rec.before[src.ID],
			ConditionExpression:       aws.String("mergedInto = :t AND mergeId = :m"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: rec.TargetID}, ":m": &types.AttributeValueMemberS{Value: rec.ID}},
		}})
		lw, err := lookupWrites(s.Table, &contact.Contact{Workspace: ws, ID: src.ID}, src)
		if err != nil {
			return nil, err
		}
		writes = append(writes, lw...)
		if !locked {
			for _, r := range indexRows(src) {
				av, err := attributevalue.MarshalMap(r)
				if err != nil {
					return nil, fmt.Errorf("marshal index entry: %w", err)
				}
				writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: av}})
			}
		}
	}
	return writes, nil
}

// finishUndo runs the remaining steps of an undo in steps.
func (s *Merges) finishUndo(ctx context.Context, ws string, rec mergeRecord, actor string, at time.Time) (merge.Record, error) {
	id := rec.ID
	cur, err := unmarshalContact(rec.undoFrom)
	if err != nil {
		return merge.Record{}, err
	}
	restored, err := unmarshalContact(rec.undo)
	if err != nil {
		return merge.Record{}, err
	}
	_, sources, err := rec.contacts()
	if err != nil {
		return merge.Record{}, err
	}
	for rec.UndoStep != "" {
		switch rec.UndoStep {
		case undoLocked:
			copies, err := s.copies(ctx, ws, rec)
			if err != nil {
				return merge.Record{}, err
			}
			aside := asideSet(copies)
			var puts []types.WriteRequest
			for _, cp := range copies {
				if orig := original(ws, cp, aside); orig != nil {
					puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: orig}})
				}
			}
			if err := batchWrite(ctx, s.Client, s.Table, puts); err != nil {
				return merge.Record{}, fmt.Errorf("undo merge %s: restore items: %w", id, err)
			}
			for _, cp := range copies {
				if orig := original(ws, cp, aside); orig != nil && str(orig, "lookupPK") != "" {
					if err := s.point(ctx, str(orig, "lookupPK"), str(cp, attrMergedFrom)); err != nil {
						return merge.Record{}, err
					}
				}
			}
			rec.UndoStep = undoRestored
		case undoRestored:
			copies, err := s.copies(ctx, ws, rec)
			if err != nil {
				return merge.Record{}, err
			}
			var keys []map[string]types.AttributeValue
			for _, cp := range copies {
				keys = append(keys, keyOf(cp))
			}
			if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
				return merge.Record{}, fmt.Errorf("undo merge %s: clear copies: %w", id, err)
			}
			rec.UndoStep = undoCleared
		case undoCleared:
			writes, err := s.undoWrites(ctx, rec, cur, restored, rec.undo, sources, true)
			if err != nil {
				return merge.Record{}, err
			}
			writes = append(writes, types.TransactWriteItem{Update: &types.Update{
				TableName: &s.Table, Key: key(mergesPK(ws), mergeSK(id)),
				UpdateExpression:          aws.String("SET undoStep = :next"),
				ConditionExpression:       aws.String("undoStep = :cur"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":next": &types.AttributeValueMemberS{Value: undoApplied}, ":cur": &types.AttributeValueMemberS{Value: undoCleared}},
			}})
			if _, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
				return merge.Record{}, fmt.Errorf("undo merge %s: apply: %w", id, err)
			}
			rec.UndoStep = undoApplied
			if err := s.after("undo:" + rec.UndoStep); err != nil {
				return merge.Record{}, err
			}
			continue
		case undoApplied:
			if err := s.relist(ctx, sources); err != nil {
				return merge.Record{}, fmt.Errorf("undo merge %s: %w", id, err)
			}
			_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: &s.Table, Key: key(mergesPK(ws), mergeSK(id)),
				UpdateExpression:          aws.String("SET #s = :undone " + removeSnapshots + ", undoStep"),
				ExpressionAttributeNames:  withStatus(snapshotNames),
				ExpressionAttributeValues: map[string]types.AttributeValue{":undone": &types.AttributeValueMemberS{Value: merge.Undone}},
			})
			if err != nil {
				return merge.Record{}, fmt.Errorf("undo merge %s: record: %w", id, err)
			}
			rec.Status, rec.UndoStep = merge.Undone, ""
			return rec.record(ws), nil
		}
		if err := s.setUndoStep(ctx, ws, id, rec.UndoStep); err != nil {
			return merge.Record{}, err
		}
		if err := s.after("undo:" + rec.UndoStep); err != nil {
			return merge.Record{}, err
		}
	}
	return rec.record(ws), nil
}

func (s *Merges) setUndoStep(ctx context.Context, ws, id, step string) error {
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(mergesPK(ws), mergeSK(id)),
		UpdateExpression:          aws.String("SET undoStep = :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: step}},
	})
	if err != nil {
		return fmt.Errorf("undo merge %s: record step %s: %w", id, step, err)
	}
	return nil
}

// rollback undoes a merge that never applied: copies deleted, channel
// users and index entries back, every contact unlocked exactly as it was.
func (s *Merges) rollback(ctx context.Context, ws string, rec mergeRecord, actor string, at time.Time) (merge.Record, error) {
	copies, err := s.copies(ctx, ws, rec)
	if err != nil {
		return merge.Record{}, err
	}
	var keys []map[string]types.AttributeValue
	for _, cp := range copies {
		keys = append(keys, keyOf(cp))
		if l := str(cp, "lookupPK"); l != "" {
			if err := s.point(ctx, l, str(cp, attrMergedFrom)); err != nil {
				return merge.Record{}, err
			}
		}
	}
	if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
		return merge.Record{}, fmt.Errorf("roll back merge %s: %w", rec.ID, err)
	}
	_, sources, err := rec.contacts()
	if err != nil {
		return merge.Record{}, err
	}
	if err := s.relist(ctx, sources); err != nil {
		return merge.Record{}, fmt.Errorf("roll back merge %s: %w", rec.ID, err)
	}
	writes := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.Table, Key: key(mergesPK(ws), mergeSK(rec.ID)),
		UpdateExpression:          aws.String("SET #s = :undone, undoneBy = :by, undoneAt = :at " + removeSnapshots),
		ConditionExpression:       aws.String("#s = :progress"),
		ExpressionAttributeNames:  withStatus(snapshotNames),
		ExpressionAttributeValues: map[string]types.AttributeValue{":undone": &types.AttributeValueMemberS{Value: merge.Undone}, ":progress": &types.AttributeValueMemberS{Value: merge.InProgress}, ":by": &types.AttributeValueMemberS{Value: actor}, ":at": &types.AttributeValueMemberS{Value: formatTime(at)}},
	}}}
	for _, cid := range append([]string{rec.TargetID}, rec.SourceIDs...) {
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.Table, Item: rec.before[cid],
			ConditionExpression:       aws.String("mergeLock = :m"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":m": &types.AttributeValueMemberS{Value: rec.ID}},
		}})
	}
	if _, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
		return merge.Record{}, fmt.Errorf("roll back merge %s: unlock: %w", rec.ID, err)
	}
	rec.Status, rec.UndoneBy, rec.UndoneAt = merge.Undone, actor, formatTime(at)
	return rec.record(ws), nil
}

// withStatus returns names with #s naming the status attribute.
func withStatus(names map[string]string) map[string]string {
	out := map[string]string{"#s": "status"}
	for k, v := range names {
		out[k] = v
	}
	return out
}

// summaryAttrs are the attributes of a merge record that a list shows (not
// its snapshots).
var summaryAttrs = []string{"PK", "SK", "id", "targetId", "sourceIds", "fields", "status", "step", "steps", "moved", "actor", "at", "undoneBy", "undoneAt"}

// projection is a ProjectionExpression of attrs, every name escaped (so no
// reserved word can break it).
func projection(attrs []string) string {
	out := make([]string, len(attrs))
	for i := range attrs {
		out[i] = fmt.Sprintf("#a%d", i)
	}
	return strings.Join(out, ", ")
}

func names(attrs []string) map[string]string {
	out := make(map[string]string, len(attrs))
	for i, a := range attrs {
		out[fmt.Sprintf("#a%d", i)] = a
	}
	return out
}

// relist puts back the index entries of contacts a merge took out of the
// lists (batches of 25; puts of the same entries again change nothing).
func (s *Merges) relist(ctx context.Context, cs []*contact.Contact) error {
	var puts []types.WriteRequest
	for _, c := range cs {
		for _, r := range indexRows(c) {
			av, err := attributevalue.MarshalMap(r)
			if err != nil {
				return fmt.Errorf("marshal index entry: %w", err)
			}
			puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
	}
	if err := batchWrite(ctx, s.Client, s.Table, puts); err != nil {
		return fmt.Errorf("relist contacts: %w", err)
	}
	return nil
}
