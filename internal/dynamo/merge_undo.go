package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"

	"github.com/omnichannel/contacts/internal/merge"
)

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
		return s.finishUndo(ctx, ws, rec)
	}
	if len(rec.before) == 0 {
		return merge.Record{}, merge.ErrTargetDeleted // snapshots purged with its target
	}
	cur, curRaw, err := s.undoTarget(ctx, ws, rec)
	if err != nil {
		return merge.Record{}, err
	}
	restored, raw, err := rec.restoredTarget(cur)
	if err != nil {
		return merge.Record{}, err
	}
	rec.undo, rec.undoFrom = raw, curRaw
	rec.UndoneBy, rec.UndoneAt = actor, formatTime(at)
	copies, err := s.copies(ctx, ws, rec)
	if err != nil {
		return merge.Record{}, err
	}
	_, sources, err := rec.contacts()
	if err != nil {
		return merge.Record{}, err
	}
	if err := s.externalIDsFree(ctx, ws, cur, append([]*contact.Contact{restored}, sources...)); err != nil {
		return merge.Record{}, err
	}
	final, err := s.undoWrites(ctx, rec, cur, restored, raw, sources, false)
	if err != nil {
		return merge.Record{}, err
	}
	back := s.restoreWrites(ws, copies)
	if len(final)+len(back)+1 <= maxTransactItems {
		return s.undoAtOnce(ctx, ws, rec, append(final, back...))
	}
	return s.undoInSteps(ctx, ws, rec, cur)
}

// externalIDsFree checks that each externalId the undo gives back (to
// restored contacts) is free or held by the target as it is now: one the
// merge freed may have been taken by another contact since, and an undo
// cannot take it back. Errors: Conflict "merge_undo_conflict".
func (s *Merges) externalIDsFree(ctx context.Context, ws string, cur *contact.Contact, restored []*contact.Contact) error {
	for _, c := range restored {
		if c.ExternalID == "" || c.ExternalID == cur.ExternalID {
			continue
		}
		holder, err := externalIDHolder(ctx, s.Client, s.Table, ws, c.ExternalID)
		if err != nil {
			return err
		}
		if holder != "" && holder != c.ID {
			return merge.ErrUndoConflict.With("fields", "externalId")
		}
	}
	return nil
}

// undoTarget reads the target of an applied merge as it is now, with its
// item. Errors: Conflict (deleted, merged into another since, or in a merge).
func (s *Merges) undoTarget(ctx context.Context, ws string, rec mergeRecord) (*contact.Contact, map[string]types.AttributeValue, error) {
	item, err := getRaw(ctx, s.Client, s.Table, contactPK(ws, rec.TargetID), contactSK, true, "target of merge "+rec.ID)
	if err != nil {
		return nil, nil, err
	}
	if item == nil {
		return nil, nil, merge.ErrTargetDeleted
	}
	cur, err := unmarshalContact(item)
	if errors.Is(err, contact.ErrMerged) {
		return nil, nil, merge.ErrUndoConflict.With("fields", "the contact was merged into another since")
	}
	if err != nil {
		return nil, nil, err
	}
	if cur.MergeLock != "" {
		return nil, nil, merge.ErrMerging
	}
	return cur, item, nil
}

// undoAtOnce writes an undo in one transaction with its record.
func (s *Merges) undoAtOnce(ctx context.Context, ws string, rec mergeRecord, writes []types.TransactWriteItem) (merge.Record, error) {
	rec.Status, rec.UndoStep = merge.Undone, ""
	meta, err := rec.summary()
	if err != nil {
		return merge.Record{}, err
	}
	writes = append(writes, types.TransactWriteItem{Put: &types.Put{
		TableName: &s.Table, Item: meta, ConditionExpression: aws.String("#s = :applied"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":applied": &types.AttributeValueMemberS{Value: merge.Applied}},
	}})
	if _, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
		if g := guardIndex(writes); g >= 0 && conditionFailures(err)[g] {
			return merge.Record{}, merge.ErrUndoConflict.Wrap(err).With("fields", "externalId")
		}
		if isRace(err) {
			return merge.Record{}, contact.ErrBusy.Wrap(err)
		}
		return merge.Record{}, fmt.Errorf("undo merge %s: %w", rec.ID, err)
	}
	return rec.record(ws), nil
}

// undoInSteps locks the target (its moved items are hidden from then on)
// with the record at its first step, then runs the steps.
func (s *Merges) undoInSteps(ctx context.Context, ws string, rec mergeRecord, cur *contact.Contact) (merge.Record, error) {
	id := rec.ID
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
	return s.finishUndo(ctx, ws, rec)
}

// restoredTarget is the target an undo writes (merge.Restore), with its item.
func (r mergeRecord) restoredTarget(cur *contact.Contact) (*contact.Contact, map[string]types.AttributeValue, error) {
	before, err := unmarshalContact(r.before[r.TargetID])
	if err != nil {
		return nil, nil, err
	}
	after, err := unmarshalContact(r.after)
	if err != nil {
		return nil, nil, err
	}
	restored, exact, err := merge.Restore(merge.Record{ID: r.ID, Fields: r.Fields}, before, after, cur)
	if err != nil || exact {
		return restored, r.before[r.TargetID], err
	}
	raw, err := marshalContact(restored)
	return restored, raw, err
}

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
	companies, err := undoMembership(s.Table, rec, cur, restored, sources)
	if err != nil {
		return nil, err
	}
	writes = append(writes, companies...)
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
	return settleGuards(writes), nil
}

// undoMembership are the company timeline entries of an undo: the
// target's company as before the merge, each source back in its company.
func undoMembership(table string, rec mergeRecord, cur, restored *contact.Contact, sources []*contact.Contact) ([]types.TransactWriteItem, error) {
	at := parseTime(rec.UndoneAt)
	out, err := membershipEntries(table, cur, restored, at, rec.UndoneBy)
	if err != nil {
		return nil, err
	}
	for _, src := range sources {
		back, err := membershipEntries(table, nil, src, at, rec.UndoneBy)
		if err != nil {
			return nil, err
		}
		out = append(out, back...)
	}
	return out, nil
}

// finishUndo runs the remaining steps of an undo in steps.
func (s *Merges) finishUndo(ctx context.Context, ws string, rec mergeRecord) (merge.Record, error) {
	run := &undoRun{s: s, ws: ws, rec: &rec}
	var err error
	if run.cur, err = unmarshalContact(rec.undoFrom); err != nil {
		return merge.Record{}, err
	}
	if run.restored, err = unmarshalContact(rec.undo); err != nil {
		return merge.Record{}, err
	}
	if _, run.sources, err = rec.contacts(); err != nil {
		return merge.Record{}, err
	}
	for rec.UndoStep != "" {
		step, ok := undoSteps[rec.UndoStep]
		if !ok {
			return merge.Record{}, fmt.Errorf("undo merge %s: unknown step %q", rec.ID, rec.UndoStep)
		}
		if err := step(run, ctx); err != nil {
			return merge.Record{}, err
		}
		if rec.UndoStep == "" {
			break // undone
		}
		if err := s.after("undo:" + rec.UndoStep); err != nil {
			return merge.Record{}, err
		}
	}
	return rec.record(ws), nil
}

// undoRun is one run of the steps of an undo in steps.
type undoRun struct {
	s             *Merges
	ws            string
	rec           *mergeRecord
	cur, restored *contact.Contact
	sources       []*contact.Contact
}

// undoSteps are the steps of an undo in steps, by the step the record is
// at: each does its work, records the next step ("" when undone) and moves
// rec to it.
var undoSteps = map[string]func(r *undoRun, ctx context.Context) error{
	undoLocked:   (*undoRun).restoreItems,
	undoRestored: (*undoRun).clearCopies,
	undoCleared:  (*undoRun).apply,
	undoApplied:  (*undoRun).relist,
}

// restoreItems puts the sources' items back and points their channel
// users back at them.
func (r *undoRun) restoreItems(ctx context.Context) error {
	s, rec := r.s, r.rec
	copies, err := s.copies(ctx, r.ws, *rec)
	if err != nil {
		return err
	}
	aside := asideSet(copies)
	var puts []types.WriteRequest
	for _, cp := range copies {
		if orig := original(r.ws, cp, aside); orig != nil {
			puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: orig}})
		}
	}
	if err := batchWrite(ctx, s.Client, s.Table, puts); err != nil {
		return fmt.Errorf("undo merge %s: restore items: %w", rec.ID, err)
	}
	for _, cp := range copies {
		if orig := original(r.ws, cp, aside); orig != nil && str(orig, "lookupPK") != "" {
			if err := s.point(ctx, str(orig, "lookupPK"), str(cp, attrMergedFrom)); err != nil {
				return err
			}
		}
	}
	return r.setStep(ctx, undoRestored)
}

// clearCopies deletes the copies the merge put on the target.
func (r *undoRun) clearCopies(ctx context.Context) error {
	s, rec := r.s, r.rec
	copies, err := s.copies(ctx, r.ws, *rec)
	if err != nil {
		return err
	}
	var keys []map[string]types.AttributeValue
	for _, cp := range copies {
		keys = append(keys, keyOf(cp))
	}
	if err := batchDelete(ctx, s.Client, s.Table, keys); err != nil {
		return fmt.Errorf("undo merge %s: clear copies: %w", rec.ID, err)
	}
	return r.setStep(ctx, undoCleared)
}

// apply writes the restored target and sources in one transaction with the
// record's next step.
func (r *undoRun) apply(ctx context.Context) error {
	s, rec := r.s, r.rec
	writes, err := s.undoWrites(ctx, *rec, r.cur, r.restored, rec.undo, r.sources, true)
	if err != nil {
		return err
	}
	writes = append(writes, types.TransactWriteItem{Update: &types.Update{
		TableName: &s.Table, Key: key(mergesPK(r.ws), mergeSK(rec.ID)),
		UpdateExpression:          aws.String("SET undoStep = :next"),
		ConditionExpression:       aws.String("undoStep = :cur"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":next": &types.AttributeValueMemberS{Value: undoApplied}, ":cur": &types.AttributeValueMemberS{Value: undoCleared}},
	}})
	if _, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes}); err != nil {
		return fmt.Errorf("undo merge %s: apply: %w", rec.ID, err)
	}
	rec.UndoStep = undoApplied
	return nil
}

// relist puts the sources back in the lists and records the merge undone,
// without its snapshots.
func (r *undoRun) relist(ctx context.Context) error {
	s, rec := r.s, r.rec
	if err := s.relist(ctx, r.sources); err != nil {
		return fmt.Errorf("undo merge %s: %w", rec.ID, err)
	}
	_, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(mergesPK(r.ws), mergeSK(rec.ID)),
		UpdateExpression:          aws.String("SET #s = :undone " + removeSnapshots + ", undoStep"),
		ExpressionAttributeNames:  withStatus(snapshotNames),
		ExpressionAttributeValues: map[string]types.AttributeValue{":undone": &types.AttributeValueMemberS{Value: merge.Undone}},
	})
	if err != nil {
		return fmt.Errorf("undo merge %s: record: %w", rec.ID, err)
	}
	rec.Status, rec.UndoStep = merge.Undone, ""
	return nil
}

// setStep records the undo's next step and moves rec to it.
func (r *undoRun) setStep(ctx context.Context, step string) error {
	_, err := r.s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &r.s.Table, Key: key(mergesPK(r.ws), mergeSK(r.rec.ID)),
		UpdateExpression:          aws.String("SET undoStep = :s"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: step}},
	})
	if err != nil {
		return fmt.Errorf("undo merge %s: record step %s: %w", r.rec.ID, step, err)
	}
	r.rec.UndoStep = step
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
