package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/omnichannel/contacts/internal/contact"
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
	w := contact.Workspace{ID: ws}
	if out.Item == nil {
		return w, nil
	}
	var it workspaceItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return w, fmt.Errorf("unmarshal workspace settings: %w", err)
	}
	w.DefaultCountry, w.Version = it.DefaultCountry, it.Version
	for _, f := range it.Fields {
		w.Fields = append(w.Fields, contact.FieldDefinition{Key: f.Key, Label: f.Label, Type: contact.FieldType(f.Type), Options: f.Options})
	}
	return w, nil
}
