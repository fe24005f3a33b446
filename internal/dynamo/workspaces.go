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
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/tenant"
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
	// The roles chosen per action (owner always among them); absent: the
	// action's default. One attribute an action, so a save sets the actions
	// given and leaves the others.
	PermImport           []string `dynamodbav:"permImport,omitempty"`
	PermExport           []string `dynamodbav:"permExport,omitempty"`
	PermDelete           []string `dynamodbav:"permDelete,omitempty"`
	PermBulkDelete       []string `dynamodbav:"permBulkDelete,omitempty"`
	PermRemoveDuplicates []string `dynamodbav:"permRemoveDuplicates,omitempty"`
	Version              int      `dynamodbav:"version"`
}

// permAttribute is the attribute of the roles chosen for action a.
func permAttribute(a tenant.Action) string {
	return "perm" + strings.ToUpper(string(a[:1])) + string(a[1:])
}

// permissions returns the roles the item stores per action.
func (it workspaceItem) permissions() tenant.Permissions {
	p := tenant.Permissions{}
	for a, roles := range map[tenant.Action][]string{
		tenant.Import: it.PermImport, tenant.Export: it.PermExport, tenant.Delete: it.PermDelete,
		tenant.BulkDelete: it.PermBulkDelete, tenant.RemoveDuplicates: it.PermRemoveDuplicates,
	} {
		if roles == nil {
			continue
		}
		list := []tenant.Role{}
		for _, r := range roles {
			list = append(list, tenant.Role(r))
		}
		p[a] = list
	}
	return p
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
	w := contact.Workspace{ID: ws, Version: 1}
	var it workspaceItem
	found, err := getItem(ctx, s.Client, s.Table, workspacePK(ws), workspaceSK, false, "workspace settings", &it)
	if err != nil || !found {
		return w, err
	}
	return workspaceOf(ws, it), nil
}

// workspaceOf returns the settings an item holds.
func workspaceOf(ws string, it workspaceItem) contact.Workspace {
	w := contact.Workspace{ID: ws}
	w.DefaultCountry, w.FieldOrder, w.Version, w.AgentWalletOnly = it.DefaultCountry, it.FieldOrder, it.Version, it.AgentWallet
	w.Permissions = it.permissions()
	w.Fields = fieldDefinitions(it.Fields)
	return w
}

// fieldDefinitions returns the definitions the items store.
func fieldDefinitions(items []fieldItem) []contact.FieldDefinition {
	var out []contact.FieldDefinition
	for _, f := range items {
		out = append(out, contact.FieldDefinition{Key: f.Key, Label: f.Label, Type: contact.FieldType(f.Type), Options: f.Options})
	}
	return out
}

var _ contact.WorkspaceStore = (*Workspaces)(nil)

// SaveFields implements contact.WorkspaceStore with one conditional UpdateItem.
func (s *Workspaces) SaveFields(ctx context.Context, ws string, ifVersion int, fs contact.FieldSettings) (contact.FieldSettings, error) {
	return s.saveFields(ctx, ws, workspaceSK, typeWorkspace, ifVersion, fs)
}

// saveFields replaces the field settings of the workspace's item sk (of
// type typ) with one conditional UpdateItem.
func (s *Workspaces) saveFields(ctx context.Context, ws, sk, typ string, ifVersion int, fs contact.FieldSettings) (contact.FieldSettings, error) {
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
	it, err := s.update(ctx, ws, sk, typ, ifVersion, "SET #fields = :fields, fieldOrder = :order",
		map[string]string{"#fields": "fields"}, map[string]types.AttributeValue{":fields": fav, ":order": oav})
	if err != nil {
		return fs, err
	}
	fs.Version = it.Version
	return fs, nil
}

// update applies set (a SET clause) to the workspace's item sk (of type
// typ), bumping its version; ifVersion > 0 demands that version first.
// Errors: Precondition.
func (s *Workspaces) update(ctx context.Context, ws, sk, typ string, ifVersion int, set string, names map[string]string, values map[string]types.AttributeValue) (workspaceItem, error) {
	names["#type"] = "type"
	values[":type"] = &types.AttributeValueMemberS{Value: typ}
	values[":one"] = &types.AttributeValueMemberN{Value: "1"}
	input := &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       key(workspacePK(ws), sk),
		UpdateExpression:          aws.String(set + ", #type = :type, version = if_not_exists(version, :one) + :one"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
	if ifVersion > 0 {
		// Settings never saved are version 1: the defaults.
		input.ConditionExpression = aws.String("version = :expected OR (attribute_not_exists(version) AND :expected = :one)")
		input.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		values[":expected"] = &types.AttributeValueMemberN{Value: fmt.Sprint(ifVersion)}
	}
	var it workspaceItem
	out, err := s.Client.UpdateItem(ctx, input)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		it.Version = 1 // never saved: the defaults
		_ = attributevalue.UnmarshalMap(ccf.Item, &it)
		return it, errs.E(errs.Precondition, "version_mismatch").With("current", fmt.Sprint(it.Version))
	}
	if err != nil {
		return it, fmt.Errorf("save workspace settings: %w", err)
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return it, fmt.Errorf("unmarshal workspace settings: %w", err)
	}
	return it, nil
}

// SaveSettings implements contact.WorkspaceStore with one UpdateItem (a
// patch that changes nothing: one GetItem).
func (s *Workspaces) SaveSettings(ctx context.Context, ws string, ifVersion int, set contact.Settings) (contact.Workspace, error) {
	var clauses []string
	values := map[string]types.AttributeValue{}
	if set.DefaultCountry != nil {
		clauses = append(clauses, "defaultCountry = :country")
		values[":country"] = &types.AttributeValueMemberS{Value: *set.DefaultCountry}
	}
	if set.AgentWalletOnly != nil {
		clauses = append(clauses, "agentWalletOnly = :wallet")
		values[":wallet"] = &types.AttributeValueMemberBOOL{Value: *set.AgentWalletOnly}
	}
	names := map[string]string{}
	for i, a := range tenant.Actions {
		roles, ok := set.Permissions[a]
		if !ok {
			continue
		}
		list := make([]types.AttributeValue, 0, len(roles))
		for _, r := range roles {
			list = append(list, &types.AttributeValueMemberS{Value: string(r)})
		}
		n, v := fmt.Sprintf("#perm%d", i), fmt.Sprintf(":perm%d", i)
		clauses = append(clauses, n+" = "+v)
		names[n], values[v] = permAttribute(a), &types.AttributeValueMemberL{Value: list}
	}
	if len(clauses) == 0 {
		return s.Workspace(ctx, ws)
	}
	it, err := s.update(ctx, ws, workspaceSK, typeWorkspace, ifVersion, "SET "+strings.Join(clauses, ", "), names, values)
	if err != nil {
		return contact.Workspace{}, err
	}
	return workspaceOf(ws, it), nil // the item as written, not an eventually consistent read
}
