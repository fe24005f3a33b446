package dynamo

import (
	"context"
	"fmt"

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
	PK        string         `dynamodbav:"PK"`
	SK        string         `dynamodbav:"SK"`
	Type      string         `dynamodbav:"type"`
	ID        string         `dynamodbav:"id"`
	JobType   string         `dynamodbav:"jobType"`
	Status    string         `dynamodbav:"status"`
	Processed int            `dynamodbav:"processed"`
	Total     int            `dynamodbav:"total"`
	Counts    map[string]int `dynamodbav:"counts"`
	Cursor    string         `dynamodbav:"cursor,omitempty"`
	Error     string         `dynamodbav:"error,omitempty"`
	Cancel    bool           `dynamodbav:"cancel,omitempty"`
	CreatedBy string         `dynamodbav:"createdBy"`
	CreatedAt string         `dynamodbav:"createdAt"`
	UpdatedAt string         `dynamodbav:"updatedAt"`
	Version   int            `dynamodbav:"version"`
}

func toJobItem(j *jobs.Job) jobItem {
	return jobItem{
		PK: jobsPK(j.Workspace), SK: jobSK(j.ID), Type: "job", ID: j.ID, JobType: j.Type, Status: j.Status,
		Processed: j.Processed, Total: j.Total, Counts: j.Counts, Cursor: j.Cursor, Error: j.Error, Cancel: j.Cancel,
		CreatedBy: j.CreatedBy, CreatedAt: formatTime(j.CreatedAt), UpdatedAt: formatTime(j.UpdatedAt), Version: j.Version,
	}
}

func (it jobItem) job(ws string) *jobs.Job {
	counts := it.Counts
	if counts == nil {
		counts = map[string]int{}
	}
	return &jobs.Job{
		ID: it.ID, Workspace: ws, Type: it.JobType, Status: it.Status, Processed: it.Processed, Total: it.Total,
		Counts: counts, Cursor: it.Cursor, Error: it.Error, Cancel: it.Cancel, CreatedBy: it.CreatedBy,
		CreatedAt: parseTime(it.CreatedAt), UpdatedAt: parseTime(it.UpdatedAt), Version: it.Version,
	}
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
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: key(jobsPK(ws), jobSK(id)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get job: %w", err)
	}
	if out.Item == nil {
		return nil, jobs.ErrNotFound
	}
	var it jobItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, fmt.Errorf("unmarshal job: %w", err)
	}
	return it.job(ws), nil
}

// List implements jobs.Store: one Query, newest first.
func (s *Jobs) List(ctx context.Context, ws, before string, limit int) ([]*jobs.Job, bool, error) {
	upper := "J#\U0010FFFF"
	if before != "" {
		upper = jobSK(before)
	}
	out, err := s.Client.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.Table, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(limit + 2)),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: jobsPK(ws)},
			":lo": &types.AttributeValueMemberS{Value: "J#"},
			":hi": &types.AttributeValueMemberS{Value: upper},
		},
	})
	if err != nil {
		return nil, false, fmt.Errorf("list jobs: %w", err)
	}
	var list []*jobs.Job
	for _, av := range out.Items {
		var it jobItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, false, fmt.Errorf("unmarshal job: %w", err)
		}
		if it.ID == before {
			continue
		}
		if len(list) == limit {
			return list, true, nil
		}
		list = append(list, it.job(ws))
	}
	return list, false, nil
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
