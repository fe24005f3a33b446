package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/idem"
)

// How long a claim and a kept response live.
const (
	claimTTL    = 2 * time.Minute // longer than any function's timeout
	responseTTL = 24 * time.Hour
)

// Idempotency is the DynamoDB implementation of idem.Store:
// one item per key, claimed with a conditional put before the request runs.
type Idempotency struct {
	Client *dynamodb.Client
	Table  string
	Clock  clock.Clock // the system clock when nil
}

var _ idem.Store = (*Idempotency)(nil)

const httpIdempotencySK = "HTTP"

type responseItem struct {
	PK          string            `dynamodbav:"PK"`
	SK          string            `dynamodbav:"SK"`
	Type        string            `dynamodbav:"type"`
	Done        bool              `dynamodbav:"done"`
	Fingerprint string            `dynamodbav:"fingerprint"`
	Status      int               `dynamodbav:"status,omitempty"`
	Headers     map[string]string `dynamodbav:"headers,omitempty"`
	Body        string            `dynamodbav:"body,omitempty"`
	ExpiresAt   int64             `dynamodbav:"expiresAt"`
}

// Begin implements idem.Store.
func (s *Idempotency) Begin(ctx context.Context, ws, k, fp string) (*idem.Response, error) {
	now := s.Clock.Now()
	claim, err := attributevalue.MarshalMap(responseItem{PK: idempotencyPK(ws, k), SK: httpIdempotencySK, Type: typeIdempotency, Fingerprint: fp, ExpiresAt: now.Add(claimTTL).Unix()})
	if err != nil {
		return nil, fmt.Errorf("marshal idempotency claim: %w", err)
	}
	_, err = s.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.Table, Item: claim,
		ConditionExpression:                 aws.String("attribute_not_exists(PK) OR expiresAt < :now"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		return nil, nil // claimed: run the request
	}
	var prev responseItem
	if err := attributevalue.UnmarshalMap(ccf.Item, &prev); err != nil {
		return nil, fmt.Errorf("unmarshal idempotency record: %w", err)
	}
	switch {
	case prev.Fingerprint != fp:
		return nil, contact.ErrKeyReused
	case !prev.Done:
		return nil, ErrIdempotencyKeyInUse
	}
	return &idem.Response{Fingerprint: prev.Fingerprint, Status: prev.Status, Headers: prev.Headers, Body: prev.Body}, nil
}

// Finish implements idem.Store. A response holding a contact's data is
// listed under the contact first (a reference, see refs.go), so the record
// never outlives the contact's deletion unseen.
func (s *Idempotency) Finish(ctx context.Context, ws, k string, resp idem.Response) error {
	expires := s.Clock.Now().Add(responseTTL)
	item, err := attributevalue.MarshalMap(responseItem{
		PK: idempotencyPK(ws, k), SK: httpIdempotencySK, Type: typeIdempotency, Done: true,
		Fingerprint: resp.Fingerprint, Status: resp.Status, Headers: resp.Headers, Body: resp.Body,
		ExpiresAt: expires.Unix(),
	})
	if err != nil {
		return fmt.Errorf("marshal idempotency record: %w", err)
	}
	if resp.ContactID != "" {
		ref, err := marshalRef(ws, resp.ContactID, item, expires)
		if err != nil {
			return err
		}
		if _, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: ref}); err != nil {
			return fmt.Errorf("list idempotent response under its contact: %w", err)
		}
	}
	if _, err := s.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: item}); err != nil {
		return fmt.Errorf("keep idempotent response: %w", err)
	}
	return nil
}

// Abandon implements idem.Store.
func (s *Idempotency) Abandon(ctx context.Context, ws, k string) error {
	_, err := s.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.Table, Key: key(idempotencyPK(ws, k), httpIdempotencySK)})
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
