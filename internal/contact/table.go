package contact

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/taxid"
)

// Field is one of the contact's standard fields: how to read and copy it,
// and which parts of the service it takes part in. Fields is the one list
// of them that validation, import, export, merge and undo read; adding a
// field is one entry (plus its tests).
type Field struct {
	Name string // the contract's name
	// Text points at the field's value in a profile when it is one string
	// (nil for the fields that are not: kind, tags, dates, custom fields).
	Text func(p *Profile) *string
	// Copy sets the field of dst to its value in src, with what travels with
	// it (a name its parts, a country whether a person set it); nil for the
	// fields that are not the profile's.
	Copy func(dst, src *Profile)
	// Cell is the field's export cell (nil: exported by the exporter itself,
	// as tags are, or not exported).
	Cell func(c *Contact) string

	Editable bool // create and PATCH take it
	Imported bool // an import column may set it
	Merged   bool // a merge fills it from a source and fieldChoices may pick it
	Exported bool // a default export column
	Shown    bool // a standard field a front end lays out (StandardFields)
}

// text returns the Text and Copy of a one-string field of Profile.
func text(at func(p *Profile) *string) (func(p *Profile) *string, func(dst, src *Profile)) {
	return at, func(dst, src *Profile) { *at(dst) = *at(src) }
}

func copyName(dst, src *Profile) {
	dst.Name, dst.FirstName, dst.LastName = src.Name, src.FirstName, src.LastName
}

// Fields are the contact's standard fields, in their display and export order.
var Fields = []Field{
	{Name: "id", Exported: true, Cell: func(c *Contact) string { return c.ID }},
	func() Field {
		// Unique in the workspace: a merge keeps the target's, or moves a
		// source's to a target without one. Not laid out with the others.
		f := textField("externalId", func(p *Profile) *string { return &p.ExternalID })
		f.Shown = false
		return f
	}(),
	{Name: "name", Text: func(p *Profile) *string { return &p.Name }, Copy: copyName, Cell: func(c *Contact) string { return c.Name },
		Editable: true, Imported: true, Merged: true, Exported: true, Shown: true},
	{Name: "firstName", Text: func(p *Profile) *string { return &p.FirstName }, Copy: copyName, Cell: func(c *Contact) string { return c.FirstName },
		Editable: true, Imported: true, Exported: true, Shown: true},
	{Name: "lastName", Text: func(p *Profile) *string { return &p.LastName }, Copy: copyName, Cell: func(c *Contact) string { return c.LastName },
		Editable: true, Imported: true, Exported: true, Shown: true},
	{Name: "kind", Cell: func(c *Contact) string { return string(c.Kind) }, Copy: func(dst, src *Profile) { dst.Kind = src.Kind },
		Editable: true, Imported: true, Exported: true},
	textField("phone", func(p *Profile) *string { return &p.Phone }),
	textField("email", func(p *Profile) *string { return &p.Email }),
	listField("otherPhones", func(p *Profile) *[]string { return &p.OtherPhones }),
	listField("otherEmails", func(p *Profile) *[]string { return &p.OtherEmails }),
	withCell(textField("taxId", func(p *Profile) *string { return &p.TaxID }), func(c *Contact) string {
		if id, err := taxid.Parse(c.TaxID); err == nil && c.TaxID != "" {
			return id.Formatted()
		}
		return ""
	}),
	textField("birthDate", func(p *Profile) *string { return &p.BirthDate }),
	textField("company", func(p *Profile) *string { return &p.Company }),
	func() Field {
		// The link to a company: edited and merged (a merge keeps the
		// target's unless fieldChoices picks a source's, or fills it from a
		// source when the target has none), imported and exported; not laid
		// out as a standard field (a front end shows linkedCompany).
		at := func(p *Profile) *string { return &p.CompanyID }
		t, c := text(at)
		return Field{Name: "companyId", Text: t, Copy: c, Cell: func(ct *Contact) string { return ct.CompanyID },
			Editable: true, Imported: true, Merged: true, Exported: true}
	}(),
	// The linked company's name, read from the company by the exporter
	// (Contact.CompanyName): exported only; an import links by companyId,
	// or by the company column's text.
	{Name: "companyName", Exported: true, Cell: func(c *Contact) string { return c.CompanyName }},
	{Name: "country", Text: func(p *Profile) *string { return &p.Country },
		Copy: func(dst, src *Profile) { dst.Country, dst.CountryManual = src.Country, src.CountryManual },
		Cell: func(c *Contact) string { return c.Country }, Editable: true, Imported: true, Merged: true, Exported: true, Shown: true},
	textField("language", func(p *Profile) *string { return &p.Language }),
	textField("ownerId", func(p *Profile) *string { return &p.OwnerID }),
	textField("telegramId", func(p *Profile) *string { return &p.TelegramID }),
	func() Field {
		// Exported, so an export imported again keeps the picture; not a
		// field a front end lays out with the others.
		f := textField("avatarUrl", func(p *Profile) *string { return &p.AvatarURL })
		f.Shown = false
		return f
	}(),
	{Name: "tags", Exported: true, Shown: true},
	{Name: "blocked", Exported: true, Cell: func(c *Contact) string { return strconv.FormatBool(c.Blocked) }},
	{Name: "createdAt", Exported: true, Cell: func(c *Contact) string { return c.CreatedAt.UTC().Format(time.RFC3339) }},
	{Name: "updatedAt", Exported: true, Cell: func(c *Contact) string { return c.UpdatedAt.UTC().Format(time.RFC3339) }},
	{Name: "customFields", Editable: true, Copy: func(dst, src *Profile) { dst.CustomFields = src.CustomFields }},
}

// textField is a one-string profile field that takes part everywhere.
func textField(name string, at func(p *Profile) *string) Field {
	t, c := text(at)
	return Field{Name: name, Text: t, Copy: c, Cell: func(ct *Contact) string { return *at(&ct.Profile) },
		Editable: true, Imported: true, Merged: true, Exported: true, Shown: true}
}

// listField is a list of a contact's further phones or emails: edited,
// imported and exported (a cell lists them separated by ListSeparator); a
// merge gathers them itself (merge.Merge), so fieldChoices do not pick it.
func listField(name string, at func(p *Profile) *[]string) Field {
	return Field{Name: name,
		Copy:     func(dst, src *Profile) { *at(dst) = cloneStrings(*at(src)) },
		Cell:     func(c *Contact) string { return strings.Join(*at(&c.Profile), ListSeparator) },
		Editable: true, Imported: true, Exported: true, Shown: true}
}

// ListSeparator separates the values of a list in an export cell; an
// import splits a cell on ';' and ',' (SplitList).
const ListSeparator = ", "

// SplitList splits an import cell of otherPhones or otherEmails on ';' and
// ',', trimmed, empty parts dropped.
func SplitList(cell string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == ',' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func withCell(f Field, cell func(c *Contact) string) Field {
	f.Cell = cell
	return f
}

// FieldNamed returns the standard field called name.
func FieldNamed(name string) (Field, bool) {
	i := slices.IndexFunc(Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return Fields[i], true
}

// FieldNames returns the names of the fields that pass keep, in order.
func FieldNames(keep func(Field) bool) []string {
	var out []string
	for _, f := range Fields {
		if keep(f) {
			out = append(out, f.Name)
		}
	}
	return out
}

// StandardFields are the contract's contact fields a front end lays out, in
// their default display order.
var StandardFields = FieldNames(func(f Field) bool { return f.Shown })

// editableFields are the profile's JSON fields, in the order errors are listed.
var editableFields = FieldNames(func(f Field) bool { return f.Editable })
