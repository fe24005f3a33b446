package dynamo

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/tag"
)

// Tags is the DynamoDB implementation of tag.Repository: the catalogue is
// one partition per workspace (at most tag.MaxTags small items), and each
// name is reserved by a guard item written in the same transaction, so names
// stay unique under races.
type Tags struct {
	Client *dynamodb.Client
	Table  string
}

var _ tag.Repository = (*Tags)(nil)

func tagsPK(ws string) string             { return workspacePrefix(ws) + "TAGS" }
func tagSK(id string) string              { return "TAG#" + id }
func tagNamePK(ws, nameKey string) string { return workspacePrefix(ws) + "TAGNAME#" + nameKey }

const tagNameSK = "TAGNAME"

type tagItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	Color     string `dynamodbav:"color"`
	CreatedAt string `dynamodbav:"createdAt"`
	Version   int    `dynamodbav:"version"`
}

type tagNameItem struct {
	PK    string `dynamodbav:"PK"`
	SK    string `dynamodbav:"SK"`
	Type  string `dynamodbav:"type"`
	TagID string `dynamodbav:"tagId"`
}

// List implements tag.Repository with one strongly consistent Query.
func (s *Tags) List(ctx context.Context, ws string) ([]tag.Tag, error) {
	var out []tag.Tag
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName: &s.Table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: tagsPK(ws)}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags: %w", err)
		}
		for _, av := range page.Items {
			var it tagItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, fmt.Errorf("unmarshal tag: %w", err)
			}
			out = append(out, tag.Tag{Workspace: ws, ID: it.ID, Name: it.Name, Color: it.Color, CreatedAt: parseTime(it.CreatedAt), Version: it.Version})
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// Catalog implements contact.TagSource.
func (s *Tags) Catalog(ctx context.Context, ws string) (map[string]contact.TagRef, error) {
	list, err := s.List(ctx, ws)
	if err != nil {
		return nil, err
	}
	out := make(map[string]contact.TagRef, len(list))
	for _, t := range list {
		out[t.ID] = t.Ref()
	}
	return out, nil
}

func (s *Tags) items(t *tag.Tag) (map[string]types.AttributeValue, map[string]types.AttributeValue, error) {
	it, err := attributevalue.MarshalMap(tagItem{PK: tagsPK(t.Workspace), SK: tagSK(t.ID), Type: "tag", ID: t.ID, Name: t.Name, Color: t.Color, CreatedAt: formatTime(t.CreatedAt), Version: t.Version})
	if err != nil {
		return nil, nil, fmt.Errorf("marshal tag: %w", err)
	}
	guard, err := attributevalue.MarshalMap(tagNameItem{PK: tagNamePK(t.Workspace, tag.NameKey(t.Name)), SK: tagNameSK, Type: "tagname", TagID: t.ID})
	if err != nil {
		return nil, nil, fmt.Errorf("marshal tag name: %w", err)
	}
	return it, guard, nil
}

// Create implements tag.Repository.
func (s *Tags) Create(ctx context.Context, t *tag.Tag) error {
	it, guard, err := s.items(t)
	if err != nil {
		return err
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: it, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: &s.Table, Item: guard, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}})
	if isRace(err) {
		return tag.ErrNameTaken.Wrap(err)
	}
	if err != nil {
		return fmt.Errorf("create tag: %w", err)
	}
	return nil
}

func (s *Tags) get(ctx context.Context, ws, id string) (*tag.Tag, error) {
	var it tagItem
	found, err := getItem(ctx, s.Client, s.Table, tagsPK(ws), tagSK(id), true, "tag", &it)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, tag.ErrNotFound
	}
	return &tag.Tag{Workspace: ws, ID: it.ID, Name: it.Name, Color: it.Color, CreatedAt: parseTime(it.CreatedAt), Version: it.Version}, nil
}

// Update implements tag.Repository. A rename moves the name guard in the
// same transaction.
func (s *Tags) Update(ctx context.Context, ws, id string, ifVersion int, fn func(*tag.Tag) error) (*tag.Tag, error) {
	old, err := s.get(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if ifVersion > 0 && ifVersion != old.Version {
		return nil, contact.ErrVersionMismatch.With("current", fmt.Sprint(old.Version))
	}
	t := *old
	if err := fn(&t); err != nil {
		return nil, err
	}
	if t == *old {
		return old, nil
	}
	t.Version++
	it, guard, err := s.items(&t)
	if err != nil {
		return nil, err
	}
	writes := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.Table, Item: it, ConditionExpression: aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(old.Version)}},
	}}}
	if tag.NameKey(t.Name) != tag.NameKey(old.Name) {
		writes = append(writes,
			types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: guard, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(tagNamePK(ws, tag.NameKey(old.Name)), tagNameSK)}})
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if failed := conditionFailures(err); failed[1] {
		return nil, tag.ErrNameTaken.Wrap(err)
	}
	if isRace(err) {
		cur, gerr := s.get(ctx, ws, id)
		if gerr != nil {
			return nil, gerr
		}
		return nil, contact.ErrVersionMismatch.With("current", fmt.Sprint(cur.Version))
	}
	if err != nil {
		return nil, fmt.Errorf("update tag: %w", err)
	}
	return &t, nil
}

// Delete implements tag.Repository.
func (s *Tags) Delete(ctx context.Context, ws, id string, ifVersion int) error {
	t, err := s.get(ctx, ws, id)
	if err != nil {
		return err
	}
	if ifVersion > 0 && ifVersion != t.Version {
		return contact.ErrVersionMismatch.With("current", fmt.Sprint(t.Version))
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.Table, Key: key(tagsPK(ws), tagSK(id)), ConditionExpression: aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(t.Version)}}}},
		{Delete: &types.Delete{TableName: &s.Table, Key: key(tagNamePK(ws, tag.NameKey(t.Name)), tagNameSK)}},
	}})
	if isRace(err) {
		cur, gerr := s.get(ctx, ws, id) // deleted (NotFound) or changed meanwhile
		if gerr != nil {
			return gerr
		}
		return contact.ErrVersionMismatch.With("current", fmt.Sprint(cur.Version))
	}
	if err != nil {
		return fmt.Errorf("delete tag: %w", err)
	}
	return nil
}
