package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/contact"
)

// CompanyFields stores the custom field definitions of a workspace's
// companies: one item beside the workspace's settings (PK W#<ws>, SK
// COMPANY_FIELDS), of the shape the contact field definitions have.
type CompanyFields struct {
	Client *dynamodb.Client
	Table  string
}

var _ company.FieldStore = (*CompanyFields)(nil)

const (
	companyFieldsSK   = "COMPANY_FIELDS"
	typeCompanyFields = "company_fields"
)

// Fields implements company.FieldStore: one eventually consistent GetItem;
// no definitions (version 1) when none were saved.
func (s *CompanyFields) Fields(ctx context.Context, ws string) (contact.FieldSettings, error) {
	var it workspaceItem
	found, err := getItem(ctx, s.Client, s.Table, workspacePK(ws), companyFieldsSK, false, "company fields", &it)
	if err != nil || !found {
		return contact.FieldSettings{Version: 1}, err
	}
	return contact.FieldSettings{Fields: fieldDefinitions(it.Fields), Order: it.FieldOrder, Version: it.Version}, nil
}

// SaveFields implements company.FieldStore with one conditional UpdateItem.
func (s *CompanyFields) SaveFields(ctx context.Context, ws string, ifVersion int, fs contact.FieldSettings) (contact.FieldSettings, error) {
	return (&Workspaces{Client: s.Client, Table: s.Table}).saveFields(ctx, ws, companyFieldsSK, typeCompanyFields, ifVersion, fs)
}
