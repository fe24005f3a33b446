package sheets

import (
	"maps"
	"slices"
	"strings"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/searchkey"
)

// TagsField is the field a tags column maps to. Tags are not a profile
// field (contact.BuildProfile refuses them); an import sets them apart.
const TagsField = "tags"

// customPrefix starts the field name of a custom field: "customFields.plan".
const customPrefix = "customFields."

// aliases are the headers, folded by foldHeader, recognised for each field,
// in Portuguese and English, including the columns of Google Contacts and
// Outlook exports ("Phone 1 - Value", "Telefone 1 - Valor", "Mobile
// Phone"). Each field's own name (firstName → "firstname") is recognised
// too.
var aliases = map[string][]string{
	"name":        {"nome", "nome completo", "nome do contato", "contato", "name", "full name", "contact name", "contact"},
	"firstName":   {"primeiro nome", "nome proprio", "first name", "given name"},
	"lastName":    {"sobrenome", "ultimo nome", "last name", "surname", "family name"},
	"phone":       {"telefone", "celular", "whatsapp", "fone", "numero", "tel", "cel", "telefone celular", "numero de telefone", "numero do whatsapp", "phone", "mobile", "phone number", "mobile phone", "cell phone", "phone 1 - value", "telefone 1 - valor"},
	"email":       {"e-mail", "email", "correio eletronico", "endereco de e-mail", "email address", "e-mail address", "e-mail 1 - value", "e-mail 1 - valor"},
	"otherPhones": {"outros telefones", "outros numeros", "outros celulares", "telefones adicionais", "telefone 2 - valor", "other phones", "additional phones", "phone 2 - value"},
	"otherEmails": {"outros emails", "outros e-mails", "emails adicionais", "e-mails adicionais", "e-mail 2 - valor", "other emails", "additional emails", "e-mail 2 - value"},
	"taxId":       {"cpf", "cnpj", "cpf/cnpj", "cpf ou cnpj", "documento", "tax id"},
	"birthDate":   {"data de nascimento", "nascimento", "dt nascimento", "aniversario", "birthday", "birth date", "date of birth"},
	"company":     {"empresa", "companhia", "organizacao", "company", "organization", "organisation", "organization name", "organization 1 - name", "organizacao 1 - nome"},
	"companyId":   {"id da empresa", "empresa id", "codigo da empresa", "company id"},
	"country":     {"pais", "country"},
	"language":    {"idioma", "lingua", "language"},
	"ownerId":     {"carteira", "responsavel", "dono", "owner"},
	"telegramId":  {"telegram", "id telegram", "id do telegram", "telegram id"},
	"kind":        {"tipo de contato", "contact type"},
	"avatarUrl":   {"foto", "url da foto", "avatar", "photo", "photo url", "avatar url"},
	"externalId":  {"id externo", "identificador", "identificador externo", "codigo externo", "codigo do cliente", "external id", "external_id", "identifier"},
	TagsField:     {"etiquetas", "etiqueta", "tags", "tag", "marcadores", "labels"},
}

// genericName are the aliases of name that mean the first name when the
// file also has a last-name column ("Nome" beside "Sobrenome").
var genericName = map[string]bool{foldHeader("nome"): true, foldHeader("name"): true}

// mappable are the fields a column can map to besides custom fields: the
// contract's standard fields and the other editable ones.
var mappable = func() map[string]bool {
	m := map[string]bool{"kind": true, "avatarUrl": true, "externalId": true, "companyId": true}
	for _, f := range contact.StandardFields {
		m[f] = true
	}
	return m
}()

// standardHeaders maps a folded header to its standard field.
var standardHeaders = func() map[string]string {
	m := map[string]string{}
	for f := range mappable {
		m[foldHeader(f)] = f
	}
	for f, list := range aliases {
		for _, a := range list {
			m[foldHeader(a)] = f
		}
	}
	return m
}()

// foldHeader is the form headers are compared in: searchkey.Fold (lower
// case, no accents, punctuation as spaces) without the spaces, so
// "E-mail", "email" and "E MAIL" are one, and "Número" is "numero".
func foldHeader(s string) string {
	return strings.ReplaceAll(searchkey.Fold(s), " ", "")
}

// MapHeader maps the columns of header to contact fields.
//
// A column maps, in this order of precedence, to:
//   - the field explicit names for its header (the header as in the file,
//     or equal to it once folded); "" ignores the column. A field is a
//     standard field name ("phone", "taxId", "tags") or "customFields.<key>"
//     of a field in custom;
//   - a standard field, by its name or a Portuguese or English alias
//     ("Celular", "E-mail", "CPF/CNPJ", "Data de nascimento", "Full name");
//   - a custom field of custom, by key ("plan", "customFields.plan") or
//     label ("Plano").
//
// Headers are compared without case, accents, spaces or punctuation. When
// the file has a last-name column and no first-name one, a column headed
// just "Nome" or "Name" is the first name, as in "Nome;Sobrenome". Other
// columns are ignored, and listed by Mapping.Ignored so a job can say which
// columns were not imported.
//
// The problems, each an errs.FieldError, are: two columns for one field
// (duplicate_column on the field, params "columns"; the first column is
// kept), an explicit mapping to an unknown field or of a header the file
// does not have (unknown_field or column_not_found on "mapping.<header>"),
// and no column for name, phone or email (no_known_columns on "header").
// The Mapping is usable whatever the problems; whether they fail the import
// is the caller's choice.
func MapHeader(header []string, custom []contact.FieldDefinition, explicit map[string]string) (Mapping, []errs.FieldError) {
	var problems []errs.FieldError
	customHeaders := map[string]string{}
	for _, d := range custom {
		field := customPrefix + d.Key
		for _, h := range []string{d.Key, field} {
			customHeaders[foldHeader(h)] = field
		}
		if l := foldHeader(d.Label); l != "" {
			if _, taken := customHeaders[l]; !taken {
				customHeaders[l] = field
			}
		}
	}
	isCustom := func(field string) bool {
		for _, d := range custom {
			if customPrefix+d.Key == field {
				return true
			}
		}
		return false
	}

	explicitByFold := map[string]string{}
	for h, f := range explicit {
		explicitByFold[foldHeader(h)] = f
	}
	used := map[string]bool{}
	m := Mapping{Columns: make([]Column, len(header))}
	for i, h := range header {
		h = strings.TrimSpace(h)
		col := Column{Index: i, Header: h}
		key := foldHeader(h)
		if f, ok := explicit[h]; ok {
			col.Field, col.explicit = f, true
			used[h] = true
		} else if f, ok := explicitByFold[key]; ok && key != "" {
			col.Field, col.explicit = f, true
			for eh := range explicit {
				if foldHeader(eh) == key {
					used[eh] = true
				}
			}
		} else if f, ok := standardHeaders[key]; ok {
			col.Field = f
		} else if f, ok := customHeaders[key]; ok {
			col.Field = f
		}
		if col.explicit && col.Field != "" && !mappable[col.Field] && !isCustom(col.Field) {
			problems = append(problems, errs.Field("mapping."+h, "unknown_field", "field", col.Field))
			col.Field = ""
		}
		m.Columns[i] = col
	}
	for _, h := range slices.Sorted(maps.Keys(explicit)) {
		if !used[h] {
			problems = append(problems, errs.Field("mapping."+h, "column_not_found"))
		}
	}
	firstNameFromNome(&m)
	problems = append(problems, m.dropDuplicates()...)
	if _, ok := m.Column("name"); !ok {
		_, first := m.Column("firstName")
		_, last := m.Column("lastName")
		_, phone := m.Column("phone")
		_, email := m.Column("email")
		if !first && !last && !phone && !email {
			problems = append(problems, errs.Field("header", "no_known_columns"))
		}
	}
	return m, problems
}

// firstNameFromNome remaps a column headed just "Nome" or "Name" (not
// chosen explicitly) to firstName when there is a lastName column and no
// firstName one.
func firstNameFromNome(m *Mapping) {
	if _, ok := m.Column("lastName"); !ok {
		return
	}
	if _, ok := m.Column("firstName"); ok {
		return
	}
	for i, c := range m.Columns {
		if c.Field == "name" && !c.explicit && genericName[foldHeader(c.Header)] {
			m.Columns[i].Field = "firstName"
			return
		}
	}
}
