package sheets

import (
	"maps"
	"slices"
	"strings"

	"github.com/omnichannel/contacts/internal/errs"
)

// Column is one column of a file's header and the field it maps to.
type Column struct {
	Index  int    // 0-based position in the row
	Header string // the header cell, trimmed
	// Field is the contact field the column's cells go to ("phone",
	// "customFields.plan", TagsField), or "" when the column is ignored.
	Field    string
	explicit bool // chosen by the caller's mapping
}

// Mapping maps the columns of a file to contact fields; MapHeader makes it.
type Mapping struct {
	Columns []Column // one per header cell, in order
}

// Column returns the column that maps to field.
func (m Mapping) Column(field string) (Column, bool) {
	for _, c := range m.Columns {
		if c.Field == field {
			return c, true
		}
	}
	return Column{}, false
}

// Ignored returns the columns with a header that map to no field: the
// columns an import leaves out. Blank header cells are not listed.
func (m Mapping) Ignored() []Column {
	var out []Column
	for _, c := range m.Columns {
		if c.Field == "" && c.Header != "" {
			out = append(out, c)
		}
	}
	return out
}

// Values are a row's values by field name.
type Values map[string]string

// Tags returns the tags of the row, as Apply normalised them.
func (v Values) Tags() []string { return SplitTags(v[TagsField]) }

// Apply returns the values of a data row by field: each mapped cell
// trimmed, with the apostrophe Neutralize puts before a leading = + - @ tab
// or carriage return removed (so an exported file imports back unchanged),
// blank cells left out. The tags cell is split on ',', ';' and '|' and kept
// as its distinct tags joined by ","; Values.Tags splits it.
func (m Mapping) Apply(cells []string) Values {
	v := Values{}
	for _, c := range m.Columns {
		if c.Field == "" || c.Index >= len(cells) {
			continue
		}
		s := strings.TrimSpace(Unneutralize(strings.TrimSpace(cells[c.Index])))
		if c.Field == TagsField {
			s = strings.Join(SplitTags(s), ",")
		}
		if s != "" {
			v[c.Field] = s
		}
	}
	return v
}

// SplitTags splits a cell of tags on ',', ';' and '|' into its distinct
// (case-insensitively) trimmed non-blank tags, in order.
func SplitTags(s string) []string {
	var tags []string
	seen := map[string]bool{}
	for t := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		t = strings.TrimSpace(t)
		k := strings.ToLower(t)
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		tags = append(tags, t)
	}
	return tags
}

// dropDuplicates keeps the first column of every field, ignores the others
// and reports each field with more than one column.
func (m *Mapping) dropDuplicates() []errs.FieldError {
	first := map[string]int{}
	dups := map[string][]string{}
	for i, c := range m.Columns {
		if c.Field == "" {
			continue
		}
		j, seen := first[c.Field]
		if !seen {
			first[c.Field] = i
			continue
		}
		if len(dups[c.Field]) == 0 {
			dups[c.Field] = []string{m.Columns[j].Header}
		}
		dups[c.Field] = append(dups[c.Field], c.Header)
		m.Columns[i].Field = ""
	}
	var problems []errs.FieldError
	for _, f := range slices.Sorted(maps.Keys(dups)) {
		problems = append(problems, errs.Field(f, "duplicate_column", "columns", strings.Join(dups[f], ", ")))
	}
	return problems
}
