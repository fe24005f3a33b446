package dynamo

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/changes"
)

// StreamImage decodes an item of the table's stream into what change events
// are made of: a contact, a conversation, a conversation's lookup (its
// start), a merge record, a job or a company. Every other item (index
// entries, counts, lookups, timeline, a merged contact's tombstone, a
// company's rows and CNPJ guard) is the zero Image.
func StreamImage(item map[string]types.AttributeValue) (changes.Image, error) {
	if item == nil {
		return changes.Image{}, nil
	}
	typ, _ := item["type"].(*types.AttributeValueMemberS)
	pk, _ := item["PK"].(*types.AttributeValueMemberS)
	if typ == nil || pk == nil {
		return changes.Image{}, nil
	}
	ws := workspaceOfPK(pk.Value)
	var img changes.Image
	switch typ.Value {
	case typeContact:
		var it contactItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return img, fmt.Errorf("unmarshal contact %s: %w", pk.Value, err)
		}
		img.Contact = it.contact()
	case typeConversationLookup:
		var it lookupItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return img, fmt.Errorf("unmarshal conversation lookup %s: %w", pk.Value, err)
		}
		img.ConversationStart = &changes.Conversation{Workspace: ws, ID: it.Value, ContactID: it.ContactID, Channel: it.Channel, Actor: it.Actor, At: parseTime(it.At)}
	case typeConversation:
		if _, moved := item[attrMergeID]; moved {
			return img, nil // a merge's copy: the merge's events tell it
		}
		var it conversationItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return img, fmt.Errorf("unmarshal conversation %s: %w", pk.Value, err)
		}
		img.Conversation = &changes.Conversation{Workspace: ws, ID: it.ID, ContactID: it.ContactID, Channel: it.Channel, Status: it.Status,
			Actor: it.ClosedBy, Reason: it.ClosedReason, At: parseTime(it.ClosedAt)}
	case "merge":
		var it mergeRecordItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return img, fmt.Errorf("unmarshal merge record %s: %w", pk.Value, err)
		}
		rec := mergeRecord{mergeRecordItem: it}.record(ws)
		img.Merge = &rec
	case typeCompany:
		var it companyItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return img, fmt.Errorf("unmarshal company %s: %w", pk.Value, err)
		}
		img.Company = fromCompanyItem(ws, it)
	case "job":
		var it jobItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return img, fmt.Errorf("unmarshal job %s: %w", pk.Value, err)
		}
		img.Job = it.job(ws)
	}
	return img, nil
}

// workspaceOfPK returns the workspace of a partition key W#<ws>#...
func workspaceOfPK(pk string) string {
	rest, ok := strings.CutPrefix(pk, "W#")
	if !ok {
		return ""
	}
	ws, _, _ := strings.Cut(rest, "#")
	return ws
}
