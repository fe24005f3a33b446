// Package dynamo stores the service's entities in one DynamoDB table
// (single-table design). Every key starts with the workspace, so no request
// can reach another workspace's items. docs/data-model.md lists the keys and
// access patterns.
package dynamo

import "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

// Key attribute names of the table.
const (
	attrPK = "PK"
	attrSK = "SK"
)

// Item types, stored in the "type" attribute of every item.
const (
	typeContact     = "contact"
	typePhoneLookup = "phone"
	typeEmailLookup = "email"
	typeLink        = "link"
	typeExternalID  = "external_id"
	typeTimeline    = "timeline"
	typeIdempotency = "idempotency"
	typeWorkspace   = "workspace"

	typeConnection         = "connection"
	typeOpenGuard          = "open_conversation"
	typeConversation       = "conversation"
	typeChannelUser        = "channel_user"
	typeConversationLookup = "conversation_lookup"
	typeMessage            = "message"
	typeChannels           = "channels"
	typeTemplate           = "template"
	typeStats              = "stats"
	typeCount              = "count"
)

func workspacePrefix(ws string) string { return "W#" + ws + "#" }

// contactPK is the partition of a contact and everything it owns (timeline,
// later channels and conversations): one contact, one item collection.
func contactPK(ws, id string) string { return workspacePrefix(ws) + "C#" + id }

const contactSK = "CONTACT"

// timelineSK sorts timeline entries by time: entry ids are time-ordered.
func timelineSK(entryID string) string { return "TL#" + entryID }

// phonePK is the partition of every contact of a workspace with the same
// phone identity; each contact has one item, SK lookupSK(id).
func phonePK(ws, identity string) string { return workspacePrefix(ws) + "PHONE#" + identity }

// emailPK is the partition of every contact of a workspace with the same
// email key.
func emailPK(ws, emailKey string) string { return workspacePrefix(ws) + "EMAIL#" + emailKey }

// linkPK is the partition of every contact linked to a main contact.
func linkPK(ws, mainID string) string { return workspacePrefix(ws) + "LINK#" + mainID }

func lookupSK(contactID string) string { return "C#" + contactID }

// externalIDPK is the partition of the one contact of a workspace holding
// an externalId: its guard, SK externalIDSK, written with
// attribute_not_exists in the contact's transaction, so two contacts can
// never hold the same externalId.
func externalIDPK(ws, externalID string) string { return workspacePrefix(ws) + "XID#" + externalID }

const externalIDSK = "XID"

func idempotencyPK(ws, key string) string { return workspacePrefix(ws) + "IDEM#" + key }

const idempotencySK = "IDEM"

func workspacePK(ws string) string { return "W#" + ws }

const workspaceSK = "WORKSPACE"

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// companyPK is the partition of a company (its item, SK companySK).
func companyPK(ws, id string) string { return workspacePrefix(ws) + "CO#" + id }

const companySK = "COMPANY"

// companyTaxIDPK is the partition of the one company of a workspace holding
// a CNPJ: its guard (SK companyTaxIDSK), written with attribute_not_exists
// in the company's transaction, so two companies never hold the same CNPJ.
func companyTaxIDPK(ws, cnpj string) string { return workspacePrefix(ws) + "COTAX#" + cnpj }

const companyTaxIDSK = "COTAX"

// companiesPK is the workspace's company index: one row per company in name
// order (companyNameSK), one in creation order (companyCreatedSK) and one per
// word of its name (companyWordSK), each a copy of the company.
func companiesPK(ws string) string { return workspacePrefix(ws) + "COS" }

func companyNameSK(sortKey, id string) string { return "N#" + sortKey + "#" + id }
func companyCreatedSK(id string) string       { return "T#" + id }
func companyWordSK(word, id string) string    { return "W#" + word + "#" + id }

// companyTagSK and companyOwnerSK are the rows of a company's tags and of
// its owner, in name order; companyFilterLSI is the same rows' LSI1SK, in
// creation order (ids grow with time). kind is "G#" (tag) or "O#" (owner).
func companyTagSK(tagID, sortKey, id string) string   { return "G#" + tagID + "#" + sortKey + "#" + id }
func companyOwnerSK(owner, sortKey, id string) string { return "O#" + owner + "#" + sortKey + "#" + id }
func companyFilterLSI(kind, value, id string) string  { return kind + value + "#" + id }

// companyContactsPK is the partition of a company's contacts: one row per
// linked contact, SK lookupSK(contactID), written in the contact's
// transaction.
func companyContactsPK(ws, companyID string) string { return workspacePrefix(ws) + "COC#" + companyID }
