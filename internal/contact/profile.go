package contact

import (
	"encoding/json"
	"errors"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/phone"
	"github.com/omnichannel/contacts/internal/taxid"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Length limits of profile fields, in characters.
const (
	MaxNameRunes       = 200
	MaxNamePartRunes   = 100
	MaxCompanyRunes    = 200
	MaxEmailRunes      = 254
	MaxOwnerIDRunes    = 128
	MaxTelegramIDRunes = 64
	MaxURLRunes        = 2048
	MaxExternalIDRunes = 200
)

// MaxOtherIdentities bounds otherPhones and otherEmails, each.
const MaxOtherIdentities = 10

// readOnlyFields are the contract's fields that no create or update may set.
var readOnlyFields = map[string]bool{
	// mainContactId is set by PATCH only (Service.Update), never by a profile.
	"id": true, "tags": true, "mainContactId": true, "blocked": true, "blockedAt": true,
	"blockedBy": true, "pendingActions": true, "conversationStatus": true,
	"lastActivityAt": true, "lastInboundAt": true,
	"createdAt": true, "updatedAt": true, "version": true,
}

// NoOwner is reserved: the list filters' "no owner" (ownerId=none).
const NoOwner = "none"

// CheckOwnerID is the one rule of an ownerId, on a contact and in the list
// filters (GET /v1/contacts, exports, bulk deletes) alike: empty, or a user
// id (tenant.ValidUserID), which becomes part of index keys. It returns the
// rule id breaks, on field.
func CheckOwnerID(field, id string) []errs.FieldError {
	switch {
	case id == NoOwner:
		return []errs.FieldError{errs.Field(field, "owner_id_reserved", "value", NoOwner)}
	case id == "" || tenant.ValidUserID(id):
		return nil
	case runeCount(id) > MaxOwnerIDRunes:
		return []errs.FieldError{errs.Field(field, "too_long", "max", strconv.Itoa(MaxOwnerIDRunes))}
	}
	return []errs.FieldError{errs.Field(field, "id_invalid")}
}

// checker collects every broken rule.
type checker struct {
	errors []errs.FieldError
	now    time.Time
}

func (c *checker) add(fe errs.FieldError) { c.errors = append(c.errors, fe) }

// text reads doc[field] as a trimmed string of at most max characters; a
// missing or null member is "".
func (c *checker) text(doc map[string]any, field string, max int) string {
	v, ok := doc[field]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		c.add(errs.Field(field, "invalid_type", "type", "string"))
		return ""
	}
	s = strings.TrimSpace(s)
	if runeCount(s) > max {
		c.add(errs.Field(field, "too_long", "max", strconv.Itoa(max)))
		return ""
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		c.add(errs.Field(field, "invalid_type", "type", "string without control characters"))
		return ""
	}
	return s
}

// BuildProfile validates doc, a decoded JSON object in the contract's field
// names, and returns the profile it describes, normalised. Every broken rule
// is one FieldError. requireReach demands a phone or an email.
func BuildProfile(doc map[string]any, ws Workspace, now time.Time, requireReach bool) (Profile, []errs.FieldError) {
	c := &checker{now: now}
	var extra []string
	for k := range doc {
		if !slices.Contains(editableFields, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)

	var p Profile
	p.Name = c.text(doc, "name", MaxNameRunes)
	p.FirstName = c.text(doc, "firstName", MaxNamePartRunes)
	p.LastName = c.text(doc, "lastName", MaxNamePartRunes)
	deriveNames(&p)

	switch k := c.text(doc, "kind", 16); k {
	case "", string(Person):
		p.Kind = Person
	case string(Group):
		p.Kind = Group
	default:
		c.add(errs.Field("kind", "choice_invalid", "choices", "person, group"))
	}

	c.personal(doc, ws, &p)
	c.others(doc, ws, &p)
	p.Company = c.text(doc, "company", MaxCompanyRunes)
	if id := c.text(doc, "companyId", 32); id != "" {
		if !ids.Valid(id) {
			c.add(errs.Field("companyId", "company_not_found"))
		} else {
			p.CompanyID = id
		}
	}
	c.locale(doc, &p)
	p.OwnerID = c.text(doc, "ownerId", MaxOwnerIDRunes)
	c.errors = append(c.errors, CheckOwnerID("ownerId", p.OwnerID)...)
	p.TelegramID = c.text(doc, "telegramId", MaxTelegramIDRunes)
	if raw := c.text(doc, "avatarUrl", MaxURLRunes); raw != "" {
		if u, err := url.Parse(raw); err != nil || u.Scheme != "https" || u.Host == "" {
			c.add(errs.Field("avatarUrl", "url_invalid"))
		} else {
			p.AvatarURL = raw
		}
	}
	p.ExternalID = c.externalID(doc)
	p.CustomFields = buildCustomFields(doc["customFields"], ws.Fields, c)

	if requireReach && p.Phone == "" && p.Email == "" && !hasField(c.errors, "phone", "email") {
		c.add(errs.Field("phone", "phone_or_email_required"))
	}
	for _, k := range extra {
		if readOnlyFields[k] {
			c.add(errs.Field(k, "read_only"))
		} else {
			c.add(errs.Field(k, "unknown_field"))
		}
	}
	return p, c.errors
}

// externalID reads the externalId member: trimmed, printable, at most
// MaxExternalIDRunes; null or "" is none.
func (c *checker) externalID(doc map[string]any) string {
	before := len(c.errors)
	s := c.text(doc, "externalId", MaxExternalIDRunes)
	if len(c.errors) > before {
		return ""
	}
	id, ok := CheckExternalID(s)
	if !ok {
		c.add(errs.Field("externalId", "external_id_invalid", "max", strconv.Itoa(MaxExternalIDRunes)))
	}
	return id
}

// CheckExternalID trims an external id and reports whether it keeps the
// rules: at most MaxExternalIDRunes printable characters ("" is valid: none).
func CheckExternalID(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if runeCount(s) > MaxExternalIDRunes || !utf8.ValidString(s) {
		return "", false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return "", false
		}
	}
	return s, true
}

// personal reads the fields that tell who a person is: phone (E.164, with
// the country it tells), email, tax id and birth date.
func (c *checker) personal(doc map[string]any, ws Workspace, p *Profile) {
	if raw := c.text(doc, "phone", 64); raw != "" {
		n, err := phone.Parse(raw, ws.Region())
		if err != nil {
			c.add(errs.Field("phone", "phone_invalid"))
		} else {
			p.Phone = n.E164
			p.Country = n.Region
		}
	}
	if raw := c.text(doc, "email", MaxEmailRunes); raw != "" {
		if !validEmail(raw) {
			c.add(errs.Field("email", "email_invalid"))
		} else {
			p.Email = raw
		}
	}
	if raw := c.text(doc, "taxId", 32); raw != "" {
		id, err := taxid.Parse(raw)
		switch {
		case errors.Is(err, taxid.ErrCheckDigits):
			c.add(errs.Field("taxId", "tax_id_check_digits"))
		case err != nil:
			c.add(errs.Field("taxId", "tax_id_invalid"))
		default:
			p.TaxID = id.Value
		}
	}
	if raw := c.text(doc, "birthDate", 32); raw != "" {
		d, code := parseDate(raw, c.now, true)
		if code != "" {
			c.add(errs.Field("birthDate", code))
		}
		p.BirthDate = d
	}
}

// others reads otherPhones and otherEmails: arrays of at most
// MaxOtherIdentities strings, each parsed as phone and email are, none
// repeating an identity of the contact (the primary's included). When the
// primary is missing, the first other becomes the primary.
func (c *checker) others(doc map[string]any, ws Workspace, p *Profile) {
	primaryPhone := p.Phone != "" || hasField(c.errors, "phone")
	phones := c.list(doc, "otherPhones", 64, func(field, raw string) (string, string, bool) {
		n, err := phone.Parse(raw, ws.Region())
		if err != nil {
			c.add(errs.Field(field, "phone_invalid"))
			return "", "", false
		}
		return n.E164, phone.Identity(n.E164), true
	}, keyOf(p.Phone, phone.Identity))
	if !primaryPhone && len(phones) > 0 {
		p.Phone, phones = phones[0], phones[1:]
		if n, err := phone.Parse(p.Phone, ""); err == nil && !p.CountryManual {
			p.Country = n.Region
		}
	}
	p.OtherPhones = phones

	primaryEmail := p.Email != "" || hasField(c.errors, "email")
	emails := c.list(doc, "otherEmails", MaxEmailRunes, func(field, raw string) (string, string, bool) {
		if !validEmail(raw) {
			c.add(errs.Field(field, "email_invalid"))
			return "", "", false
		}
		return raw, EmailKey(raw), true
	}, keyOf(p.Email, EmailKey))
	if !primaryEmail && len(emails) > 0 {
		p.Email, emails = emails[0], emails[1:]
	}
	p.OtherEmails = emails
}

func keyOf(v string, key func(string) string) []string {
	if v == "" {
		return nil
	}
	return []string{key(v)}
}

// list reads doc[field], an array of at most MaxOtherIdentities strings,
// each trimmed, at most max characters, read by parse (its value and its
// identity); an identity in seen or earlier in the list is a "duplicate".
// Errors name the item: "otherPhones[2]".
func (c *checker) list(doc map[string]any, field string, max int, parse func(field, raw string) (string, string, bool), seen []string) []string {
	v, ok := doc[field]
	if !ok || v == nil {
		return nil
	}
	var items []any
	switch l := v.(type) {
	case []any:
		items = l
	case []string:
		for _, s := range l {
			items = append(items, s)
		}
	default:
		c.add(errs.Field(field, "invalid_type", "type", "array of strings"))
		return nil
	}
	if len(items) > MaxOtherIdentities {
		c.add(errs.Field(field, "too_many", "max", strconv.Itoa(MaxOtherIdentities)))
		return nil
	}
	var out []string
	for i, item := range items {
		at := field + "[" + strconv.Itoa(i) + "]"
		before := len(c.errors)
		raw := c.text(map[string]any{at: item}, at, max)
		if len(c.errors) > before {
			continue
		}
		if raw == "" {
			c.add(errs.Field(at, "invalid_type", "type", "non-empty string"))
			continue
		}
		val, id, ok := parse(at, raw)
		if !ok {
			continue
		}
		if slices.Contains(seen, id) {
			c.add(errs.Field(at, "duplicate", "value", raw))
			continue
		}
		seen = append(seen, id)
		out = append(out, val)
	}
	return out
}

// locale reads the country set by hand and the language.
func (c *checker) locale(doc map[string]any, p *Profile) {
	if raw := c.text(doc, "country", 8); raw != "" {
		r, err := language.ParseRegion(raw)
		if err != nil || !r.IsCountry() || len(raw) != 2 {
			c.add(errs.Field("country", "country_invalid"))
		} else {
			p.Country, p.CountryManual = r.String(), true
		}
	}
	if raw := c.text(doc, "language", 35); raw != "" {
		tag, err := language.Parse(raw)
		if err != nil || tag == language.Und {
			c.add(errs.Field("language", "language_invalid"))
		} else {
			p.Language = tag.String()
		}
	}
}

// CheckCustomFields validates v, a customFields member, against the
// definitions defs (dates read relative to now) and returns the values
// normalised (nil when none), or every rule broken, each naming its field.
func CheckCustomFields(v any, defs []FieldDefinition, now time.Time) (map[string]any, []errs.FieldError) {
	c := &checker{now: now}
	out := buildCustomFields(v, defs, c)
	return out, c.errors
}

func buildCustomFields(v any, defs []FieldDefinition, c *checker) map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.add(errs.Field("customFields", "invalid_type", "type", "object"))
		return nil
	}
	if len(m) > MaxCustomFields {
		c.add(errs.Field("customFields", "too_many", "max", strconv.Itoa(MaxCustomFields)))
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(m))
	for _, k := range keys {
		if m[k] == nil {
			continue
		}
		path := "customFields." + k
		def, ok := Workspace{Fields: defs}.Field(k)
		if !ok {
			c.add(errs.Field(path, "unknown_field"))
			continue
		}
		if val, ok := validateCustomValue(path, def, m[k], c); ok {
			out[k] = val
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Document returns the editable part of p as a JSON object in the
// contract's field names: the base a merge patch applies to.
func (p Profile) Document() map[string]any {
	doc := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			doc[k] = v
		}
	}
	set("name", p.Name)
	set("firstName", p.FirstName)
	set("lastName", p.LastName)
	set("kind", string(p.Kind))
	set("phone", p.Phone)
	set("email", p.Email)
	list := func(k string, v []string) {
		if len(v) > 0 {
			l := make([]any, len(v))
			for i, s := range v {
				l[i] = s
			}
			doc[k] = l
		}
	}
	list("otherPhones", p.OtherPhones)
	list("otherEmails", p.OtherEmails)
	set("taxId", p.TaxID)
	set("birthDate", p.BirthDate)
	set("company", p.Company)
	set("companyId", p.CompanyID)
	if p.CountryManual {
		set("country", p.Country)
	}
	set("language", p.Language)
	set("ownerId", p.OwnerID)
	set("telegramId", p.TelegramID)
	set("avatarUrl", p.AvatarURL)
	set("externalId", p.ExternalID)
	if len(p.CustomFields) > 0 {
		doc["customFields"] = cloneMap(p.CustomFields)
	}
	return doc
}

// deriveNames fills the full name from its parts or the parts from the full
// name, whichever is missing.
func deriveNames(p *Profile) {
	switch {
	case p.Name == "" && (p.FirstName != "" || p.LastName != ""):
		p.Name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	case p.Name != "" && p.FirstName == "" && p.LastName == "":
		first, last, _ := strings.Cut(p.Name, " ")
		p.FirstName, p.LastName = first, strings.TrimSpace(last)
	}
}

// EmailKey is the form of an email address under which it is matched.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.ContainsAny(s, " \t")
}

// parseDate reads YYYY-MM-DD or DD/MM/YYYY and returns YYYY-MM-DD, or the code
// of the rule broken. noFuture refuses dates after now.
func parseDate(s string, now time.Time, noFuture bool) (string, string) {
	s = strings.TrimSpace(s)
	var t time.Time
	var err error
	if strings.Contains(s, "/") {
		t, err = time.Parse("2/1/2006", s)
	} else {
		t, err = time.Parse("2006-01-02", s)
	}
	if err != nil || t.Year() < 1900 {
		return "", "date_invalid"
	}
	if noFuture && t.After(now) {
		return "", "date_in_future"
	}
	return t.Format("2006-01-02"), ""
}

func hasField(list []errs.FieldError, fields ...string) bool {
	for _, fe := range list {
		for _, f := range fields {
			if fe.Field == f {
				return true
			}
		}
	}
	return false
}

func runeCount(s string) int { return utf8.RuneCountInString(s) }

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

// ValidEmail is the rule of an email address on a contact, shared with the
// other entities that hold one (companies).
func ValidEmail(s string) bool { return validEmail(s) }
