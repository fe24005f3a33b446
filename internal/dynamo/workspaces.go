package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
)

// Workspaces stores workspace settings: one item per workspace.
type Workspaces struct {
	Client *dynamodb.Client
	Table  string
}

var _ contact.WorkspaceSource = (*Workspaces)(nil)

type workspaceItem struct {
	PK             string      `dynamodbav:"PK"`
	SK             string      `dynamodbav:"SK"`
	Type           string      `dynamodbav:"type"`
	DefaultCountry string      `dynamodbav:"defaultCountry,omitempty"`
	Fields         []fieldItem `dynamodbav:"fields,omitempty"`
	FieldOrder     []string    `dynamodbav:"fieldOrder,omitempty"`
	AgentWallet    bool        `dynamodbav:"agentWalletOnly,omitempty"`
	Version        int         `dynamodbav:"version"`
}

type fieldItem struct {
	Key     string   `dynamodbav:"key"`
	Label   string   `dynamodbav:"label"`
	Type    string   `dynamodbav:"type"`
	Options []string `dynamodbav:"options,omitempty"`
}

// Workspace implements contact.WorkspaceSource: one eventually consistent
// GetItem; defaults when the workspace saved nothing.
func (s *Workspaces) Workspace(ctx context.Context, ws string) (contact.Workspace, error) {
	out, err := s.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: key(workspacePK(ws), workspaceSK)})
	if err != nil {
		return contact.Workspace{}, fmt.Errorf("get workspace settings: %w", err)
	}
	w := contact.Workspace{ID: ws, Version: 1}
	if out.Item == nil {
		return w, nil
	}
	var it workspaceItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return w, fmt.Errorf("unmarshal workspace settings: %w", err)
	}
	w.DefaultCountry, w.FieldOrder, w.Version, w.AgentWalletOnly = it.DefaultCountry, it.FieldOrder, it.Version, it.AgentWallet
	for _, f := range it.Fields {
		w.Fields = append(w.Fields, contact.FieldDefinition{Key: f.Key, Label: f.Label, Type: contact.FieldType(f.Type), Options: f.Options})
	}
	return w, nil
}

var _ contact.WorkspaceStore = (*Workspaces)(nil)

// SaveFields implements contact.WorkspaceStore with one conditional UpdateItem.
func (s *Workspaces) SaveFields(ctx context.Context, ws string, ifVersion int, fs contact.FieldSettings) (contact.FieldSettings, error) {
	fields := make([]fieldItem, 0, len(fs.Fields))
	for _, f := range fs.Fields {
		fields = append(fields, fieldItem{Key: f.Key, Label: f.Label, Type: string(f.Type), Options: f.Options})
	}
	fav, err := attributevalue.Marshal(fields)
	if err != nil {
		return fs, fmt.Errorf("marshal field definitions: %w", err)
	}
	oav, err := attributevalue.Marshal(fs.Order)
	if err != nil {
		return fs, fmt.Errorf("marshal field order: %w", err)
	}
	values := map[string]types.AttributeValue{
		":fields": fav, ":order": oav, ":type": &types.AttributeValueMemberS{Value: typeWorkspace},
		":one": &types.AttributeValueMemberN{Value: "1"},
	}
	input := &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       key(workspacePK(ws), workspaceSK),
		UpdateExpression:          aws.String("SET #fields = :fields, fieldOrder = :order, #type = :type, version = if_not_exists(version, :one) + :one"),
		ExpressionAttributeNames:  map[string]string{"#type": "type", "#fields": "fields"},
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
	if ifVersion > 0 {
		// Settings never saved are version 1: the defaults.
		input.ConditionExpression = aws.String("version = :expected OR (attribute_not_exists(version) AND :expected = :one)")
		input.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		values[":expected"] = &types.AttributeValueMemberN{Value: fmt.Sprint(ifVersion)}
	}
	out, err := s.Client.UpdateItem(ctx, input)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var cur workspaceItem
		cur.Version = 1 // never saved: the defaults
		_ = attributevalue.UnmarshalMap(ccf.Item, &cur)
		return fs, errs.E(errs.Precondition, "version_mismatch").With("current", fmt.Sprint(cur.Version))
	}
	if err != nil {
		return fs, fmt.Errorf("save field settings: %w", err)
	}
	var it workspaceItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return fs, fmt.Errorf("unmarshal workspace settings: %w", err)
	}
	fs.Version = it.Version
	return fs, nil
}

// SaveSettings implements contact.WorkspaceStore with one UpdateItem.
func (s *Workspaces) SaveSettings(ctx context.Context, ws string, ifVersion int, set contact.Settings) (contact.Workspace, error) {
	names := map[string]string{"#type": "type"}
	values := map[string]types.AttributeValue{":type": &types.AttributeValueMemberS{Value: typeWorkspace}, ":one": &types.AttributeValueMemberN{Value: "1"}}
	expr := "SET #type = :type, version = if_not_exists(version, :one) + :one"
	if set.DefaultCountry != nil {
		expr += ", defaultCountry = :country"
		values[":country"] = &types.AttributeValueMemberS{Value: *set.DefaultCountry}
	}
	if set.AgentWalletOnly != nil {
		expr += ", agentWalletOnly = :wallet"
		values[":wallet"] = &types.AttributeValueMemberBOOL{Value: *set.AgentWalletOnly}
	}
	input := &dynamodb.UpdateItemInput{
		TableName: &s.Table, Key: key(workspacePK(ws), workspaceSK), UpdateExpression: &expr,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}
	if ifVersion > 0 {
		// Settings never saved are version 1: the defaults.
		input.ConditionExpression = aws.String("version = :expected OR (attribute_not_exists(version) AND :expected = :one)")
		input.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		values[":expected"] = &types.AttributeValueMemberN{Value: fmt.Sprint(ifVersion)}
	}
	_, err := s.Client.UpdateItem(ctx, input)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		var cur workspaceItem
		cur.Version = 1
		_ = attributevalue.UnmarshalMap(ccf.Item, &cur)
		return contact.Workspace{}, errs.E(errs.Precondition, "version_mismatch").With("current", fmt.Sprint(cur.Version))
	}
	if err != nil {
		return contact.Workspace{}, fmt.Errorf("save workspace settings: %w", err)
	}
	return s.Workspace(ctx, ws)
}
