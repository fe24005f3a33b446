package dynamo

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/phone"
)

// contactItem is a contact as stored: PK contactPK, SK contactSK.
type contactItem struct {
	PK                 string         `dynamodbav:"PK"`
	SK                 string         `dynamodbav:"SK"`
	Type               string         `dynamodbav:"type"`
	Workspace          string         `dynamodbav:"workspace"`
	ID                 string         `dynamodbav:"id"`
	Name               string         `dynamodbav:"name,omitempty"`
	FirstName          string         `dynamodbav:"firstName,omitempty"`
	LastName           string         `dynamodbav:"lastName,omitempty"`
	Kind               string         `dynamodbav:"kind"`
	Phone              string         `dynamodbav:"phone,omitempty"`
	PhoneIdentity      string         `dynamodbav:"phoneIdentity,omitempty"`
	Email              string         `dynamodbav:"email,omitempty"`
	EmailKey           string         `dynamodbav:"emailKey,omitempty"`
	OtherPhones        []string       `dynamodbav:"otherPhones,omitempty"`
	OtherEmails        []string       `dynamodbav:"otherEmails,omitempty"`
	TaxID              string         `dynamodbav:"taxId,omitempty"`
	BirthDate          string         `dynamodbav:"birthDate,omitempty"`
	Company            string         `dynamodbav:"company,omitempty"`
	CompanyID          string         `dynamodbav:"companyId,omitempty"`
	Country            string         `dynamodbav:"country,omitempty"`
	CountryManual      bool           `dynamodbav:"countryManual,omitempty"`
	Language           string         `dynamodbav:"language,omitempty"`
	OwnerID            string         `dynamodbav:"ownerId,omitempty"`
	TelegramID         string         `dynamodbav:"telegramId,omitempty"`
	AvatarURL          string         `dynamodbav:"avatarUrl,omitempty"`
	ExternalID         string         `dynamodbav:"externalId,omitempty"`
	CustomFields       map[string]any `dynamodbav:"customFields,omitempty"`
	TagIDs             []string       `dynamodbav:"tagIds,omitempty,stringset"`
	MainContactID      string         `dynamodbav:"mainContactId,omitempty"`
	Blocked            bool           `dynamodbav:"blocked,omitempty"`
	BlockedAt          string         `dynamodbav:"blockedAt,omitempty"`
	BlockedBy          string         `dynamodbav:"blockedBy,omitempty"`
	ConversationStatus string         `dynamodbav:"conversationStatus,omitempty"`
	LastActivityAt     string         `dynamodbav:"lastActivityAt,omitempty"`
	LastInboundAt      string         `dynamodbav:"lastInboundAt,omitempty"`
	ListedActivityAt   string         `dynamodbav:"listedActivityAt,omitempty"`
	ListedInboundAt    string         `dynamodbav:"listedInboundAt,omitempty"`
	Channels           []string       `dynamodbav:"connectedChannels,omitempty,stringset"`
	Counted            bool           `dynamodbav:"counted,omitempty"`
	MergeLock          string         `dynamodbav:"mergeLock,omitempty"`
	Merges             []string       `dynamodbav:"merges,omitempty,stringset"`
	MergedInto         string         `dynamodbav:"mergedInto,omitempty"` // a merged contact's tombstone
	CreatedAt          string         `dynamodbav:"createdAt"`
	CreatedBy          string         `dynamodbav:"createdBy,omitempty"`
	UpdatedAt          string         `dynamodbav:"updatedAt"`
	UpdatedBy          string         `dynamodbav:"updatedBy,omitempty"`
	Version            int            `dynamodbav:"version"`
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func toContactItem(c *contact.Contact) contactItem {
	it := contactItem{
		PK: contactPK(c.Workspace, c.ID), SK: contactSK, Type: typeContact,
		Workspace: c.Workspace, ID: c.ID,
		Name: c.Name, FirstName: c.FirstName, LastName: c.LastName, Kind: string(c.Kind),
		Phone: c.Phone, Email: c.Email, TaxID: c.TaxID, BirthDate: c.BirthDate,
		OtherPhones: c.OtherPhones, OtherEmails: c.OtherEmails,
		Company: c.Company, CompanyID: c.CompanyID, Country: c.Country, CountryManual: c.CountryManual,
		Language: c.Language, OwnerID: c.OwnerID, TelegramID: c.TelegramID, AvatarURL: c.AvatarURL,
		ExternalID: c.ExternalID, CustomFields: c.CustomFields, MainContactID: c.MainContactID,
		Blocked: c.Blocked, BlockedAt: formatTime(c.BlockedAt), BlockedBy: c.BlockedBy,
		ConversationStatus: c.ConversationStatus, MergeLock: c.MergeLock, Merges: c.Merges,
		LastActivityAt: formatTime(c.LastActivityAt), LastInboundAt: formatTime(c.LastInboundAt),
		ListedActivityAt: formatTime(c.ListedActivityAt), ListedInboundAt: formatTime(c.ListedInboundAt),
		Channels: c.Channels, Counted: c.Counted,
		CreatedAt: formatTime(c.CreatedAt), CreatedBy: c.CreatedBy,
		UpdatedAt: formatTime(c.UpdatedAt), UpdatedBy: c.UpdatedBy,
		Version: c.Version,
	}
	if c.Phone != "" {
		it.PhoneIdentity = phone.Identity(c.Phone)
	}
	if c.Email != "" {
		it.EmailKey = contact.EmailKey(c.Email)
	}
	it.TagIDs = c.TagIDs
	return it
}

func (it contactItem) contact() *contact.Contact {
	c := &contact.Contact{
		Workspace: it.Workspace, ID: it.ID,
		Profile: contact.Profile{
			Name: it.Name, FirstName: it.FirstName, LastName: it.LastName, Kind: contact.Kind(it.Kind),
			Phone: it.Phone, Email: it.Email, TaxID: it.TaxID, BirthDate: it.BirthDate,
			OtherPhones: it.OtherPhones, OtherEmails: it.OtherEmails,
			Company: it.Company, CompanyID: it.CompanyID, Country: it.Country, CountryManual: it.CountryManual,
			Language: it.Language, OwnerID: it.OwnerID, TelegramID: it.TelegramID, AvatarURL: it.AvatarURL,
			ExternalID: it.ExternalID, CustomFields: it.CustomFields,
		},
		MainContactID: it.MainContactID,
		Blocked:       it.Blocked, BlockedAt: parseTime(it.BlockedAt), BlockedBy: it.BlockedBy,
		ConversationStatus: it.ConversationStatus, MergeLock: it.MergeLock, Merges: it.Merges,
		LastActivityAt: parseTime(it.LastActivityAt), LastInboundAt: parseTime(it.LastInboundAt),
		ListedActivityAt: parseTime(it.ListedActivityAt), ListedInboundAt: parseTime(it.ListedInboundAt),
		Channels: it.Channels, Counted: it.Counted,
		CreatedAt: parseTime(it.CreatedAt), CreatedBy: it.CreatedBy,
		UpdatedAt: parseTime(it.UpdatedAt), UpdatedBy: it.UpdatedBy,
		Version: it.Version,
	}
	c.TagIDs = it.TagIDs
	return c
}

func marshalContact(c *contact.Contact) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(toContactItem(c))
	if err != nil {
		return nil, fmt.Errorf("marshal contact %s: %w", c.ID, err)
	}
	return av, nil
}

func unmarshalContact(av map[string]types.AttributeValue) (*contact.Contact, error) {
	var it contactItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, fmt.Errorf("unmarshal contact: %w", err)
	}
	if it.MergedInto != "" {
		return nil, contact.ErrMerged.With("mergedInto", it.MergedInto)
	}
	return it.contact(), nil
}

// lookupItem maps a phone identity, an email key or an externalId to a
// contact.
type lookupItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	ContactID string `dynamodbav:"contactId"`
	Value     string `dynamodbav:"value"`
	// A conversation's lookup, written when it opens, also says how: its
	// stream record is the conversation.started event.
	Channel string `dynamodbav:"channel,omitempty"`
	Actor   string `dynamodbav:"actor,omitempty"`
	At      string `dynamodbav:"at,omitempty"`
}

// lookups returns the lookup items of c: by each of its phones, by each
// of its emails (the primaries first), under its main contact, and the
// guard of its externalId. An identity is written once however many
// values share it.
func lookups(c *contact.Contact) []lookupItem {
	var out []lookupItem
	add := func(l lookupItem) {
		if !slices.ContainsFunc(out, func(x lookupItem) bool { return x.PK == l.PK }) {
			out = append(out, l)
		}
	}
	for _, n := range c.Phones() {
		add(lookupItem{PK: phonePK(c.Workspace, phone.Identity(n)), SK: lookupSK(c.ID), Type: typePhoneLookup, ContactID: c.ID, Value: n})
	}
	for _, e := range c.Emails() {
		add(lookupItem{PK: emailPK(c.Workspace, contact.EmailKey(e)), SK: lookupSK(c.ID), Type: typeEmailLookup, ContactID: c.ID, Value: e})
	}
	if c.MainContactID != "" {
		out = append(out, lookupItem{PK: linkPK(c.Workspace, c.MainContactID), SK: lookupSK(c.ID), Type: typeLink, ContactID: c.ID, Value: c.MainContactID})
	}
	if c.ExternalID != "" {
		out = append(out, lookupItem{PK: externalIDPK(c.Workspace, c.ExternalID), SK: externalIDSK, Type: typeExternalID, ContactID: c.ID, Value: c.ExternalID})
	}
	return out
}

// lookupPut writes a lookup item; an externalId's guard only where no
// contact holds it yet.
func lookupPut(table string, l lookupItem) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(l)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal lookup: %w", err)
	}
	put := &types.Put{TableName: &table, Item: av}
	if l.Type == typeExternalID {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	}
	return types.TransactWriteItem{Put: put}, nil
}

// guardIndex returns the index in writes of the conditional put of an
// externalId's guard, or -1.
func guardIndex(writes []types.TransactWriteItem) int {
	for i, w := range writes {
		if w.Put != nil && w.Put.ConditionExpression != nil && str(w.Put.Item, "type") == typeExternalID {
			return i
		}
	}
	return -1
}

// settleGuards makes one transaction of a merge or an undo that moves an
// externalId between its contacts valid: the guard's delete (from the
// contact giving it up) and its put (for the contact taking it) are one
// key, which a transaction may write once. The put stays, without its
// condition: the guard is held by a contact of the same transaction, whose
// own write is conditioned on its version or lock.
func settleGuards(writes []types.TransactWriteItem) []types.TransactWriteItem {
	puts := map[string]bool{}
	for _, w := range writes {
		if w.Put != nil && str(w.Put.Item, "type") == typeExternalID {
			puts[str(w.Put.Item, attrPK)] = true
		}
	}
	if len(puts) == 0 {
		return writes
	}
	out := writes[:0:0]
	for _, w := range writes {
		switch {
		case w.Delete != nil && puts[str(w.Delete.Key, attrPK)] && str(w.Delete.Key, attrSK) == externalIDSK:
			continue
		case w.Put != nil && str(w.Put.Item, "type") == typeExternalID:
			p := *w.Put
			p.ConditionExpression = nil
			w = types.TransactWriteItem{Put: &p}
		}
		out = append(out, w)
	}
	return out
}

// timelineItem is one entry of a contact's timeline.
type timelineItem struct {
	PK     string   `dynamodbav:"PK"`
	SK     string   `dynamodbav:"SK"`
	Type   string   `dynamodbav:"type"`
	Event  string   `dynamodbav:"event"`
	At     string   `dynamodbav:"at"`
	Actor  string   `dynamodbav:"actor,omitempty"`
	Fields []string `dynamodbav:"fields,omitempty,stringset"`
	Text   string   `dynamodbav:"text,omitempty"`

	Channel        string `dynamodbav:"channel,omitempty"`
	ConversationID string `dynamodbav:"conversationId,omitempty"`
	Action         string `dynamodbav:"action,omitempty"`

	MergeID string   `dynamodbav:"mergeId,omitempty"` // for merged: the merge record
	Sources []string `dynamodbav:"sources,omitempty"` // for merged: the contacts merged in

	EditedAt string `dynamodbav:"editedAt,omitempty"` // for an edited note
	EditedBy string `dynamodbav:"editedBy,omitempty"`

	ContactID    string `dynamodbav:"contactId,omitempty"` // for a company's contact_added, contact_removed
	ContactName  string `dynamodbav:"contactName,omitempty"`
	ContactOwner string `dynamodbav:"contactOwnerId,omitempty"`
}

// entry is the timeline entry the item holds.
func (it timelineItem) entry() contact.Entry {
	return contact.Entry{
		ID: strings.TrimPrefix(it.SK, "TL#"), Event: it.Event, At: parseTime(it.At), Actor: it.Actor, Fields: it.Fields, Text: it.Text,
		Channel: it.Channel, ConversationID: it.ConversationID, Action: it.Action,
		MergeID: it.MergeID, Sources: it.Sources, EditedAt: parseTime(it.EditedAt), EditedBy: it.EditedBy,
		ContactID: it.ContactID, ContactName: it.ContactName, ContactOwner: it.ContactOwner,
	}
}

// derivedWrites moves what a contact's fields derive, its lookups and its
// index entries, from old to c.
func derivedWrites(table string, old, c *contact.Contact) ([]types.TransactWriteItem, error) {
	lw, err := lookupWrites(table, old, c)
	if err != nil {
		return nil, err
	}
	index, err := indexWrites(table, old, c)
	if err != nil {
		return nil, err
	}
	return append(lw, index...), nil
}

// lookupWrites moves a contact's lookups from old to c.
func lookupWrites(table string, old, c *contact.Contact) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	oldL, newL := lookups(old), lookups(c)
	for _, l := range oldL {
		// A new value under the same key is a put, not a delete and a put.
		if !slices.ContainsFunc(newL, func(x lookupItem) bool { return x.PK == l.PK && x.SK == l.SK }) {
			out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: &table, Key: key(l.PK, l.SK)}})
		}
	}
	for _, l := range newL {
		if !slices.ContainsFunc(oldL, func(x lookupItem) bool { return x.PK == l.PK && x.SK == l.SK && x.Value == l.Value }) {
			put, err := lookupPut(table, l)
			if err != nil {
				return nil, err
			}
			out = append(out, put)
		}
	}
	return out, nil
}
