package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
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

func mergeSK(id string) string { return "M#" + id }

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
	item, err := getRaw(ctx, s.Client, s.Table, mergesPK(ws), mergeSK(id), true, "merge "+id)
	if err != nil {
		return mergeRecord{}, err
	}
	if item == nil {
		return mergeRecord{}, merge.ErrNotFound
	}
	return unmarshalMergeRecord(item)
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
	q := newestQuery{PK: mergesPK(ws), Prefix: "M#", Attrs: summaryAttrs}
	if before != "" {
		q.BeforeSK = mergeSK(before)
	}
	return newestPage(ctx, s.Client, s.Table, q, limit, "merges", func(av map[string]types.AttributeValue) (merge.Record, error) {
		var it mergeRecordItem
		err := attributevalue.UnmarshalMap(av, &it)
		return mergeRecord{mergeRecordItem: it}.record(ws), err
	})
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
