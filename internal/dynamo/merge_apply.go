package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/merge"
)

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

	return s.mergeInSteps(ctx, p, rec, merged)
}

// mergeInSteps locks the merge's contacts (one version up each) with the
// record at its first step, then runs the steps. Errors: Invalid
// "merge_too_large" when even the last step would not fit a transaction.
func (s *Merges) mergeInSteps(ctx context.Context, p merge.Plan, rec mergeRecord, merged *contact.Contact) (merge.Record, error) {
	ws := p.Target.Workspace
	all := append([]*contact.Contact{p.Target}, p.Sources...)
	var err error
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
		item, err := getRaw(ctx, s.Client, s.Table, contactPK(ws, c.ID), contactSK, true, "contact "+c.ID+" to merge")
		if err != nil {
			return nil, err
		}
		if item == nil {
			return nil, contact.ErrNotFound
		}
		cur, err := unmarshalContact(item)
		if err != nil {
			return nil, err
		}
		switch {
		case cur.MergeLock != "":
			return nil, merge.ErrMerging
		case cur.Version != c.Version:
			return nil, contact.ErrBusy
		}
		out[c.ID] = item
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
	merged.Counted = true
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
	companies, err := membershipEntries(s.Table, target, merged, parseTime(rec.At), rec.Actor)
	if err != nil {
		return nil, err
	}
	writes = append(writes, companies...)
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
		left, err := membershipEntries(s.Table, src, nil, parseTime(rec.At), rec.Actor)
		if err != nil {
			return nil, err
		}
		writes = append(writes, left...)
		for _, l := range lookups(src) {
			writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(l.PK, l.SK)}})
		}
		if !unlisted {
			for _, r := range indexRows(src) {
				writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(r.PK, r.SK)}})
			}
		}
	}
	return settleGuards(writes), nil
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
	run := &mergeRun{s: s, ws: ws, rec: &rec}
	if run.target, run.sources, err = rec.contacts(); err != nil {
		return merge.Record{}, err
	}
	if run.merged, err = unmarshalContact(rec.after); err != nil {
		return merge.Record{}, err
	}
	for rec.Step != stepCleaned {
		step, ok := mergeSteps[rec.Step]
		if !ok {
			return merge.Record{}, fmt.Errorf("merge %s: unknown step %q", id, rec.Step)
		}
		if err := step(run, ctx); err != nil {
			return merge.Record{}, err
		}
		if err := s.after(rec.Step); err != nil {
			return merge.Record{}, err
		}
	}
	return rec.record(ws), nil
}

// mergeRun is one run of the steps of a merge in steps.
type mergeRun struct {
	s              *Merges
	ws             string
	rec            *mergeRecord
	target, merged *contact.Contact
	sources        []*contact.Contact
}

// mergeSteps are the steps of a merge in steps, by the step the record is
// at: each does its work, records the next step and moves rec to it.
var mergeSteps = map[string]func(r *mergeRun, ctx context.Context) error{
	stepLocked:   (*mergeRun).copyItems,
	stepCopied:   (*mergeRun).unlistSources,
	stepUnlisted: (*mergeRun).apply,
	stepApplied:  (*mergeRun).cleanSources,
}

// copyItems copies the sources' items to the target and points their
// channel users at it.
func (r *mergeRun) copyItems(ctx context.Context) error {
	s, rec := r.s, r.rec
	moves, err := s.plan(ctx, r.ws, *rec)
	if err != nil {
		return err
	}
	var puts []types.WriteRequest
	for _, m := range moves {
		puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: m.copy}})
	}
	if err := batchWrite(ctx, s.Client, s.Table, puts); err != nil {
		return fmt.Errorf("merge %s: copy: %w", rec.ID, err)
	}
	for _, m := range moves {
		if m.lookup == "" {
			continue
		}
		if err := s.point(ctx, m.lookup, rec.TargetID); err != nil {
			return err
		}
	}
	if err := s.setStep(ctx, r.ws, rec.ID, stepLocked, stepCopied, map[string]types.AttributeValue{":moved": &types.AttributeValueMemberN{Value: fmt.Sprint(len(moves))}}, ", moved = :moved"); err != nil {
		return err
	}
	rec.Step = stepCopied
	return nil
}

// unlistSources deletes the sources' index entries.
func (r *mergeRun) unlistSources(ctx context.Context) error {
	s, rec := r.s, r.rec
	var keys []map[string]types.AttributeValue
	for _, src := range r.sources {
		for _, row := range indexRows(src) {
			keys = append(keys, key(row.PK, row.SK))
		}
	}
	if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
		return fmt.Errorf("merge %s: unlist sources: %w", rec.ID, err)
	}
	if err := s.setStep(ctx, r.ws, rec.ID, stepCopied, stepUnlisted, nil, ""); err != nil {
		return err
	}
	rec.Step = stepUnlisted
	return nil
}

// apply writes the merged target and the sources' tombstones in one
// transaction with the record's new status.
func (r *mergeRun) apply(ctx context.Context) error {
	s, rec := r.s, r.rec
	locked := r.target.Clone()
	locked.Version++
	lockedSources := make([]*contact.Contact, len(r.sources))
	for i, c := range r.sources {
		lockedSources[i] = c.Clone()
		lockedSources[i].Version++
	}
	writes, err := s.applyWrites(ctx, *rec, locked, r.merged, lockedSources, false, true)
	if err != nil {
		return err
	}
	writes = append(writes, types.TransactWriteItem{Update: &types.Update{
		TableName: &s.Table, Key: key(mergesPK(r.ws), mergeSK(rec.ID)),
		UpdateExpression:          aws.String("SET #s = :applied, step = :next"),
		ConditionExpression:       aws.String("step = :cur"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":applied": &types.AttributeValueMemberS{Value: merge.Applied}, ":next": &types.AttributeValueMemberS{Value: stepApplied}, ":cur": &types.AttributeValueMemberS{Value: stepUnlisted}},
	}})
	if _, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
		return fmt.Errorf("merge %s: apply: %w", rec.ID, err)
	}
	rec.Step, rec.Status = stepApplied, merge.Applied
	return nil
}

// cleanSources deletes the sources' originals: their copies are on the
// target now.
func (r *mergeRun) cleanSources(ctx context.Context) error {
	s, rec := r.s, r.rec
	var keys []map[string]types.AttributeValue
	for _, src := range r.sources {
		items, err := s.query(ctx, contactPK(r.ws, src.ID), "")
		if err != nil {
			return err
		}
		for _, it := range items {
			if str(it, attrSK) != contactSK {
				keys = append(keys, keyOf(it))
			}
		}
	}
	if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
		return fmt.Errorf("merge %s: clean sources: %w", rec.ID, err)
	}
	if err := s.setStep(ctx, r.ws, rec.ID, stepApplied, stepCleaned, nil, ""); err != nil {
		return err
	}
	rec.Step = stepCleaned
	return nil
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
