package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/jobs"
)

// Jobs is the DynamoDB implementation of jobs.Store: one partition of a
// workspace's jobs (W#<ws>#JOBS), SK J#<jobId>, newest last.
type Jobs struct {
	Client *dynamodb.Client
	Table  string
}

var _ jobs.Store = (*Jobs)(nil)

func jobsPK(ws string) string { return workspacePrefix(ws) + "JOBS" }
func jobSK(id string) string  { return "J#" + id }

type jobItem struct {
	PK        string            `dynamodbav:"PK"`
	SK        string            `dynamodbav:"SK"`
	Type      string            `dynamodbav:"type"`
	ID        string            `dynamodbav:"id"`
	JobType   string            `dynamodbav:"jobType"`
	Status    string            `dynamodbav:"status"`
	Processed int               `dynamodbav:"processed"`
	Total     int               `dynamodbav:"total"`
	Counts    map[string]int    `dynamodbav:"counts"`
	Cursor    string            `dynamodbav:"cursor,omitempty"`
	Error     string            `dynamodbav:"error,omitempty"`
	Cancel    bool              `dynamodbav:"cancel,omitempty"`
	Params    map[string]string `dynamodbav:"params,omitempty"`
	Files     map[string]string `dynamodbav:"files,omitempty"`
	Lease     string            `dynamodbav:"lease,omitempty"`
	LeaseEnds string            `dynamodbav:"leaseEnds,omitempty"`
	StartBy   string            `dynamodbav:"startBy,omitempty"`
	ExpiresAt int64             `dynamodbav:"expiresAt,omitempty"` // the table's TTL attribute: jobs.Job.ExpiresAt
	CreatedBy string            `dynamodbav:"createdBy"`
	CreatedAt string            `dynamodbav:"createdAt"`
	UpdatedAt string            `dynamodbav:"updatedAt"`
	Version   int               `dynamodbav:"version"`
}

func toJobItem(j *jobs.Job) jobItem {
	return jobItem{
		PK: jobsPK(j.Workspace), SK: jobSK(j.ID), Type: "job", ID: j.ID, JobType: j.Type, Status: j.Status,
		Processed: j.Processed, Total: j.Total, Counts: j.Counts, Cursor: j.Cursor, Error: j.Error, Cancel: j.Cancel,
		Params: j.Params, Files: j.Files, Lease: j.Lease, LeaseEnds: formatTime(j.LeaseEnds), StartBy: formatTime(j.StartBy),
		ExpiresAt: unixOrZero(j.ExpiresAt()), CreatedBy: j.CreatedBy, CreatedAt: formatTime(j.CreatedAt), UpdatedAt: formatTime(j.UpdatedAt), Version: j.Version,
	}
}

func (it jobItem) job(ws string) *jobs.Job {
	counts, params, files := it.Counts, it.Params, it.Files
	if counts == nil {
		counts = map[string]int{}
	}
	if params == nil {
		params = map[string]string{}
	}
	if files == nil {
		files = map[string]string{}
	}
	return &jobs.Job{
		ID: it.ID, Workspace: ws, Type: it.JobType, Status: it.Status, Processed: it.Processed, Total: it.Total,
		Counts: counts, Cursor: it.Cursor, Error: it.Error, Cancel: it.Cancel, CreatedBy: it.CreatedBy,
		Params: params, Files: files, Lease: it.Lease, LeaseEnds: parseTime(it.LeaseEnds), StartBy: parseTime(it.StartBy),
		CreatedAt: parseTime(it.CreatedAt), UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version,
	}
}

// unixOrZero returns t in unix seconds, 0 (no attribute) for the zero time.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// Create implements jobs.Store.
func (s *Jobs) Create(ctx context.Context, j *jobs.Job) error {
	av, err := attributevalue.MarshalMap(toJobItem(j))
	if err != nil {
		return fmt.Errorf("marshal job: %w", err)
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	return nil
}

// Get implements jobs.Store.
func (s *Jobs) Get(ctx context.Context, ws, id string) (*jobs.Job, error) {
	var it jobItem
	found, err := getItem(ctx, s.Client, s.Table, jobsPK(ws), jobSK(id), true, "job", &it)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, jobs.ErrNotFound
	}
	return it.job(ws), nil
}

// List implements jobs.Store: one Query, newest first.
func (s *Jobs) List(ctx context.Context, ws, before string, limit int) ([]*jobs.Job, bool, error) {
	q := newestQuery{PK: jobsPK(ws), Prefix: "J#"}
	if before != "" {
		q.BeforeSK = jobSK(before)
	}
	return newestPage(ctx, s.Client, s.Table, q, limit, "jobs", func(av map[string]types.AttributeValue) (*jobs.Job, error) {
		var it jobItem
		err := attributevalue.UnmarshalMap(av, &it)
		return it.job(ws), err
	})
}

// Update implements jobs.Store: read, change, conditional put on version.
func (s *Jobs) Update(ctx context.Context, ws, id string, fn func(*jobs.Job) error) (*jobs.Job, error) {
	for attempt := 1; ; attempt++ {
		j, err := s.Get(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		if err := fn(j); err != nil {
			return nil, err
		}
		j.Version++
		av, err := attributevalue.MarshalMap(toJobItem(j))
		if err != nil {
			return nil, fmt.Errorf("marshal job: %w", err)
		}
		_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &s.Table, Item: av, ConditionExpression: aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(j.Version - 1)}},
		})
		if err == nil {
			return j, nil
		}
		if !isConditionFailed(err) {
			return nil, fmt.Errorf("update job %s: %w", id, err)
		}
		if attempt == maxUpdateAttempts {
			return nil, contact.ErrBusy.Wrap(err)
		}
		backoff(ctx, attempt)
	}
}

// Progress implements jobs.Store: one UpdateItem adding to the counters.
func (s *Jobs) Progress(ctx context.Context, ws, id string, processed int, counts map[string]int) (*jobs.Job, error) {
	expr, names, vals := progressUpdate(processed, counts)
	in := &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(jobsPK(ws), jobSK(id)), ReturnValues: types.ReturnValueAllNew,
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: vals,
	}
	in.ExpressionAttributeNames = names
	out, err := s.Client.UpdateItem(ctx, in)
	if isConditionFailed(err) {
		return nil, jobs.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("job %s progress: %w", id, err)
	}
	var it jobItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return nil, fmt.Errorf("unmarshal job: %w", err)
	}
	return it.job(ws), nil
}

// Acquire implements jobs.Store: one conditional UpdateItem.
func (s *Jobs) Acquire(ctx context.Context, ws, id, owner string, until, now time.Time) (*jobs.Job, bool, error) {
	out, err := s.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(jobsPK(ws), jobSK(id)), ReturnValues: types.ReturnValueAllNew,
		UpdateExpression: aws.String("SET lease = :o, leaseEnds = :u"),
		ConditionExpression: aws.String("attribute_exists(PK) AND #s IN (:queued, :running) AND " +
			"(attribute_not_exists(lease) OR lease = :o OR leaseEnds < :now)"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":o": &types.AttributeValueMemberS{Value: owner}, ":u": &types.AttributeValueMemberS{Value: formatTime(until)},
			":now":    &types.AttributeValueMemberS{Value: formatTime(now)},
			":queued": &types.AttributeValueMemberS{Value: jobs.Queued}, ":running": &types.AttributeValueMemberS{Value: jobs.Running},
		},
	})
	if isConditionFailed(err) {
		j, gerr := s.Get(ctx, ws, id)
		return j, false, gerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("acquire job %s: %w", id, err)
	}
	var it jobItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return nil, false, fmt.Errorf("unmarshal job: %w", err)
	}
	return it.job(ws), true, nil
}

// JobBatches is the DynamoDB implementation of bulk.Batches: one item per
// pending batch, PK W#<ws>#JOB#<jobId>, SK P#<batch>.
type JobBatches struct {
	Client *dynamodb.Client
	Table  string
}

func jobBatchPK(ws, jobID string) string { return workspacePrefix(ws) + "JOB#" + jobID }
func pendingBatchSK(batch string) string { return "P#" + batch }

// Pending implements bulk.Batches: BatchWriteItem puts.
func (s *JobBatches) Pending(ctx context.Context, ws, jobID string, batches []string) error {
	var reqs []types.WriteRequest
	for _, b := range batches {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: jobBatchPK(ws, jobID)}, attrSK: &types.AttributeValueMemberS{Value: pendingBatchSK(b)},
			"type": &types.AttributeValueMemberS{Value: "pending_batch"},
		}}})
	}
	if err := batchWrite(ctx, s.Client, s.Table, reqs); err != nil {
		return fmt.Errorf("record pending batches: %w", err)
	}
	return nil
}

// Done implements bulk.Batches: one transaction deleting the pending batch
// (on condition it is there) and adding to the job's counters.
func (s *JobBatches) Done(ctx context.Context, ws, jobID, batch string, processed int, counts map[string]int) (bool, error) {
	expr, names, vals := progressUpdate(processed, counts)
	update := &types.Update{TableName: &s.Table, Key: key(jobsPK(ws), jobSK(jobID)), UpdateExpression: aws.String(expr), ExpressionAttributeValues: vals}
	update.ExpressionAttributeNames = names
	_, err := s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.Table, Key: key(jobBatchPK(ws, jobID), pendingBatchSK(batch)), ConditionExpression: aws.String("attribute_exists(PK)")}},
		{Update: update},
	}})
	if conditionFailures(err)[0] {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("batch %s of job %s done: %w", batch, jobID, err)
	}
	return true, nil
}

// Remaining implements bulk.Batches: one consistent Query counting.
func (s *JobBatches) Remaining(ctx context.Context, ws, jobID string) (int, error) {
	return countPrefix(ctx, s.Client, s.Table, jobBatchPK(ws, jobID), "P#")
}

// progressUpdate is the update expression that adds processed and counts to
// a job's counters, with its names and values.
func progressUpdate(processed int, counts map[string]int) (string, map[string]string, map[string]types.AttributeValue) {
	expr := "SET #processed = #processed + :p, version = version + :one"
	names := map[string]string{"#processed": "processed"}
	vals := map[string]types.AttributeValue{
		":p": &types.AttributeValueMemberN{Value: fmt.Sprint(processed)}, ":one": &types.AttributeValueMemberN{Value: "1"},
		":zero": &types.AttributeValueMemberN{Value: "0"},
	}
	i := 0
	for k, v := range counts {
		expr += fmt.Sprintf(", counts.#c%d = if_not_exists(counts.#c%d, :zero) + :c%d", i, i, i)
		names[fmt.Sprintf("#c%d", i)] = k
		vals[fmt.Sprintf(":c%d", i)] = &types.AttributeValueMemberN{Value: fmt.Sprint(v)}
		i++
	}
	return expr, names, vals
}
