// Package company is the workspace's companies: the organisations contacts
// belong to. A company has a name, an optional CNPJ unique in the
// workspace, a domain, a phone, an email, an address and an owner. Contacts
// link to a company by id (contact.Profile.CompanyID); the name a contact
// shows is read from the company, so a rename shows on every contact at once.
package company

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/phone"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/searchkey"
	"github.com/omnichannel/contacts/internal/taxid"
)

// Limits of a company's fields, in characters.
const (
	MaxNameRunes    = 200
	MaxDomainRunes  = 253
	MaxAddressRunes = 200 // each part of the address
	MaxEmailRunes   = contact.MaxEmailRunes
)

// Errors of the companies.
var (
	ErrNotFound   = errs.E(errs.NotFound, "company_not_found")
	ErrTaxIDTaken = errs.E(errs.Conflict, "company_tax_id_taken")
)

// Address is a company's postal address; every part is optional.
type Address struct {
	Street     string
	Number     string
	Complement string
	District   string
	City       string
	State      string
	PostalCode string
	Country    string
}

// addressParts are the address's JSON members, in order, with their fields.
var addressParts = []struct {
	name string
	get  func(*Address) *string
}{
	{"street", func(a *Address) *string { return &a.Street }},
	{"number", func(a *Address) *string { return &a.Number }},
	{"complement", func(a *Address) *string { return &a.Complement }},
	{"district", func(a *Address) *string { return &a.District }},
	{"city", func(a *Address) *string { return &a.City }},
	{"state", func(a *Address) *string { return &a.State }},
	{"postalCode", func(a *Address) *string { return &a.PostalCode }},
	{"country", func(a *Address) *string { return &a.Country }},
}

// Profile is the part of a company people edit.
type Profile struct {
	Name    string
	TaxID   string // canonical CNPJ (14 characters), or ""
	Domain  string // lower case, e.g. "acme.com.br"
	Phone   string // E.164
	Email   string
	Address Address
	OwnerID string
}

// Company is an organisation of the workspace.
type Company struct {
	Workspace string
	ID        string
	Profile

	TagIDs       []string         // the tags on the company, as stored
	Tags         []contact.TagRef // TagIDs resolved from the catalogue, for display; not stored
	CustomFields map[string]any   // validated against the company field definitions

	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
	Version   int
}

// NameWords are the words a company is found by (searchkey.NameWords).
func (c *Company) NameWords() []string { return searchkey.NameWords(c.Name) }

// Fields returns the company's whole document: its profile's (Document),
// its tag ids (`tags`) and its custom fields, what an updated timeline
// entry and a change event compare.
func (c *Company) Fields() map[string]any {
	doc := c.Document()
	if len(c.TagIDs) > 0 {
		doc["tags"] = slices.Clone(c.TagIDs)
	}
	if len(c.CustomFields) > 0 {
		doc["customFields"] = maps.Clone(c.CustomFields)
	}
	return doc
}

// Document returns the editable fields as a JSON object, the target a PATCH
// (JSON merge patch) is applied to.
func (p Profile) Document() map[string]any {
	doc := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			doc[k] = v
		}
	}
	set("name", p.Name)
	set("taxId", p.TaxID)
	set("domain", p.Domain)
	set("phone", p.Phone)
	set("email", p.Email)
	set("ownerId", p.OwnerID)
	if parts := p.Address.Parts(); len(parts) > 0 {
		addr := map[string]any{}
		for k, v := range parts {
			addr[k] = v
		}
		doc["address"] = addr
	}
	return doc
}

// Parts returns the address's non-empty parts by their JSON names (nil
// when it has none).
func (a Address) Parts() map[string]string {
	var out map[string]string
	for _, part := range addressParts {
		if v := *part.get(&a); v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[part.name] = v
		}
	}
	return out
}

// AddressOf is the address of parts (by their JSON names, as Parts
// returns them); unknown names are ignored.
func AddressOf(parts map[string]string) Address {
	var a Address
	for _, part := range addressParts {
		*part.get(&a) = parts[part.name]
	}
	return a
}

// editable are the members of a company's document; the read-only members
// of the contract are refused as unknown.
var editable = map[string]bool{"name": true, "taxId": true, "domain": true, "phone": true, "email": true, "address": true, "ownerId": true}

// Parse validates doc (a whole company: a create's body, or a company with
// a merge patch applied) and returns its profile, or every rule broken,
// each naming its field. region is the default region of phone numbers.
func Parse(doc map[string]any, region string) (Profile, error) {
	var p Profile
	var problems []errs.FieldError
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		if !editable[k] {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	text := func(field string, v any, max int) string {
		if v == nil {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			problems = append(problems, errs.Field(field, "invalid_type", "type", "string"))
			return ""
		}
		s = strings.TrimSpace(s)
		if utf8.RuneCountInString(s) > max {
			problems = append(problems, errs.Field(field, "too_long", "max", strconv.Itoa(max)))
			return ""
		}
		return s
	}
	p.Name = strings.Join(strings.Fields(text("name", doc["name"], MaxNameRunes)), " ")
	if p.Name == "" && !hasField(problems, "name") {
		problems = append(problems, errs.Field("name", "required"))
	}
	if raw := text("taxId", doc["taxId"], 32); raw != "" {
		id, err := taxid.Parse(raw)
		switch {
		case errors.Is(err, taxid.ErrCheckDigits):
			problems = append(problems, errs.Field("taxId", "tax_id_check_digits"))
		case err != nil || id.Kind != taxid.CNPJ:
			problems = append(problems, errs.Field("taxId", "cnpj_invalid"))
		default:
			p.TaxID = id.Value
		}
	}
	if raw := text("domain", doc["domain"], MaxDomainRunes); raw != "" {
		d := strings.TrimSuffix(strings.ToLower(raw), ".")
		if !validDomain(d) {
			problems = append(problems, errs.Field("domain", "domain_invalid"))
		} else {
			p.Domain = d
		}
	}
	if raw := text("phone", doc["phone"], 64); raw != "" {
		n, err := phone.Parse(raw, region)
		if err != nil {
			problems = append(problems, errs.Field("phone", "phone_invalid"))
		} else {
			p.Phone = n.E164
		}
	}
	if raw := text("email", doc["email"], MaxEmailRunes); raw != "" {
		if !contact.ValidEmail(raw) {
			problems = append(problems, errs.Field("email", "email_invalid"))
		} else {
			p.Email = raw
		}
	}
	if raw := text("ownerId", doc["ownerId"], 4096); raw != "" {
		if fe := contact.CheckOwnerID("ownerId", raw); len(fe) > 0 {
			problems = append(problems, fe...)
		} else {
			p.OwnerID = raw
		}
	}
	switch a := doc["address"].(type) {
	case nil:
	case map[string]any:
		known := map[string]bool{}
		for _, part := range addressParts {
			known[part.name] = true
			*part.get(&p.Address) = text("address."+part.name, a[part.name], MaxAddressRunes)
		}
		for _, k := range slices.Sorted(maps.Keys(a)) {
			if !known[k] {
				problems = append(problems, errs.Field("address."+k, "unknown_field"))
			}
		}
	default:
		problems = append(problems, errs.Field("address", "invalid_type", "type", "object"))
	}
	if len(problems) > 0 {
		return Profile{}, errs.Validation(problems)
	}
	return p, nil
}

func hasField(problems []errs.FieldError, field string) bool {
	for _, p := range problems {
		if p.Field == field {
			return true
		}
	}
	return false
}

// validDomain: labels of letters, digits and hyphens (not at either end),
// at least two labels, the last not all digits.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

// Sort orders of the list.
const (
	SortName       = "name"
	SortNewest     = "-createdAt"
	DefaultLimit   = 50
	MaxLimit       = 200
	MaxLinkBatch   = 100 // contacts linked by one POST /v1/companies/{id}/contacts
	cursorScope    = "companies"
	contactsScope  = "company-contacts"
	cursorTTLHours = 24
)

// ListQuery is one page of the company list.
type ListQuery struct {
	Sort  string   // SortName or SortNewest
	Words []string // folded query words; the first is the longest, read from the index
	After string   // the index position the page starts after ("" = first page)
	Limit int
	Owner string // only the companies of this owner (a wallet-bound agent's); "" all
	// Tag and OwnerID are the tag and ownerId filters ("" none); with q,
	// rows of the name words are filtered by them.
	Tag     string
	OwnerID string
}

// Page is a page of companies and the position of the last one read, ""
// when the list ends there.
type Page struct {
	Companies []Company
	Next      string
}

// ContactPage is a page of a company's contacts, as list rows.
type ContactPage struct {
	Items      []search.Summary
	NextCursor string
}

// Repository stores companies.
type Repository interface {
	// Create stores a new company. Errors: Conflict company_tax_id_taken.
	Create(ctx context.Context, c *Company) error
	// Get reads a company. Errors: NotFound.
	Get(ctx context.Context, workspace, id string) (*Company, error)
	// Update changes a company under a version check (ifVersion > 0 demands
	// that version). Errors: NotFound, Precondition, Conflict.
	Update(ctx context.Context, workspace, id string, ifVersion int, fn func(*Company) error) (*Company, error)
	// Delete removes a company and unlinks its contacts. Errors: NotFound,
	// Precondition.
	Delete(ctx context.Context, workspace, id string, ifVersion int, actor string) error
	// DropTimeline deletes what is left of a deleted company's timeline:
	// the contact_removed entries its contacts' unlinks wrote after it went
	// (the company_unlink job's).
	DropTimeline(ctx context.Context, workspace, id string) error
	// List returns a page of the workspace's companies.
	List(ctx context.Context, workspace string, q ListQuery) (Page, error)
	// Contacts returns up to limit of the company's contacts after the
	// index position after, by name, and the position of the last one read
	// ("" at the end); consistent reads them strongly.
	Contacts(ctx context.Context, workspace, id, after string, limit int, consistent bool) ([]search.Summary, string, error)
}
