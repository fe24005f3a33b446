// Package contact is the contact domain: the contact and its rules, the
// workspace settings that shape them, and the service that creates, reads,
// updates and deletes contacts through a Repository.
package contact

import (
	"time"
)

// Kind tells a person from a group chat.
type Kind string

// The kinds of contact.
const (
	Person Kind = "person"
	Group  Kind = "group"
)

// PendingAddPhoneOrEmail is the pending action of a contact with neither a
// phone nor an email (e.g. created by a webchat or Instagram conversation).
const PendingAddPhoneOrEmail = "add_phone_or_email"

// Profile is the part of a contact that people edit.
type Profile struct {
	Name      string
	FirstName string
	LastName  string
	Kind      Kind
	Phone     string // E.164: the primary phone
	Email     string // trimmed, as typed: the primary email
	// OtherPhones (E.164) and OtherEmails (as typed) are the contact's
	// further numbers and addresses, at most MaxOtherIdentities each, none
	// repeating an identity of the contact (phone.Identity, EmailKey). A
	// contact with others always has a primary (BuildProfile promotes the
	// first other when the primary is missing).
	OtherPhones []string
	OtherEmails []string
	TaxID       string // canonical CPF (11 digits) or CNPJ (14 characters)
	BirthDate   string // YYYY-MM-DD
	Company     string // free text, as typed (kept readable beside CompanyID)
	// CompanyID links the contact to a company of the workspace; the name
	// it shows is read from the company (Contact.CompanyName).
	CompanyID     string
	Country       string // ISO 3166-1 alpha-2
	CountryManual bool   // Country was set by a person rather than derived from Phone
	Language      string // BCP 47
	OwnerID       string // the agent whose wallet holds the contact
	TelegramID    string
	AvatarURL     string
	// ExternalID is the workspace's own id of the contact (a CRM's or an
	// ERP's): unique in the workspace, at most MaxExternalIDRunes.
	ExternalID   string
	CustomFields map[string]any // validated against the workspace's definitions
}

// TagRef is a tag as shown on a contact.
type TagRef struct {
	ID    string
	Name  string
	Color string
}

// Contact is a person or group the workspace talks to.
type Contact struct {
	Workspace string
	ID        string
	Profile
	TagIDs []string // the tags on the contact, as stored
	Tags   []TagRef // TagIDs resolved from the catalogue, for display; not stored
	// CompanyName is the name of the company CompanyID names, read from it
	// for display; "" when it has none or the company is gone. Not stored.
	CompanyName        string
	MainContactID      string
	Blocked            bool
	BlockedAt          time.Time
	BlockedBy          string
	ConversationStatus string // open while any of its conversations is open
	// LastActivityAt is the last inbound message or conversation start;
	// LastInboundAt the last inbound message. Kept by the conversation store.
	LastActivityAt time.Time
	LastInboundAt  time.Time
	// ListedActivityAt and ListedInboundAt are the activity the list rows
	// show: the store refreshes them when the activity moved by
	// ListedActivityStep, so a burst of messages rewrites the rows once.
	ListedActivityAt time.Time
	ListedInboundAt  time.Time
	// Counted: the contact's families are in the workspace's counts. Every
	// write that goes through the counts sets it (the store); a contact
	// written before the counts existed has it unset and is not counted,
	// nor uncounted when it goes. Not in the API.
	Counted bool
	// Channels are the ids of the channels the contact is connected to (it
	// wrote there, or a conversation was started there): list rows show
	// from them where a conversation can start. Kept by the store.
	Channels []string
	// MergeLock is the id of the merge (or undo) running on the contact in
	// steps; writes are refused meanwhile.
	MergeLock string
	// Merges are the ids of the merges the contact absorbed others in,
	// until undone: deleting the contact deletes what they kept.
	Merges    []string
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
	Version   int
	// ImportJob is the import job writing the contact, when one is: its
	// creation is then "imported" on the timeline. Not stored.
	ImportJob string
	// Holders are the ids of up to MaxPossibleDuplicates+1 contacts that
	// held a duplicate key of it (DuplicateKeys) when the repository created
	// it (kept with a create's idempotency record, not on the contact);
	// PossibleDuplicates those the creator may see (Service.Create).
	Holders            []string
	PossibleDuplicates []string
}

// ListedActivityStep is how far the activity list rows show may lag the
// contact's (sort=-lastActivityAt reads an exact one).
const ListedActivityStep = 5 * time.Minute

// MaxTagsPerContact bounds the tags on one contact (each is an index entry
// written with the contact).
const MaxTagsPerContact = 25

// HasTag reports whether the contact carries the tag.
func (c *Contact) HasTag(id string) bool {
	for _, t := range c.TagIDs {
		if t == id {
			return true
		}
	}
	return false
}

// PendingActions lists what is still to be done on the contact.
func (c *Contact) PendingActions() []string {
	if c.Kind != Group && c.Phone == "" && c.Email == "" {
		return []string{PendingAddPhoneOrEmail}
	}
	return []string{}
}

// Clone returns a deep copy of c.
func (c *Contact) Clone() *Contact {
	out := *c
	out.TagIDs = append([]string(nil), c.TagIDs...)
	out.Merges = append([]string(nil), c.Merges...)
	out.Channels = append([]string(nil), c.Channels...)
	out.Tags = append([]TagRef(nil), c.Tags...)
	out.CustomFields = cloneMap(c.CustomFields)
	out.OtherPhones = cloneStrings(c.OtherPhones)
	out.OtherEmails = cloneStrings(c.OtherEmails)
	return &out
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if s, ok := v.([]any); ok {
			v = append([]any(nil), s...)
		}
		out[k] = v
	}
	return out
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

// Phones returns every phone of the profile, the primary first.
func (p *Profile) Phones() []string {
	if p.Phone == "" {
		return cloneStrings(p.OtherPhones)
	}
	return append([]string{p.Phone}, p.OtherPhones...)
}

// Emails returns every email of the profile, the primary first.
func (p *Profile) Emails() []string {
	if p.Email == "" {
		return cloneStrings(p.OtherEmails)
	}
	return append([]string{p.Email}, p.OtherEmails...)
}
