package sheets

import (
	"reflect"
	"testing"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
)

// fieldsOf returns the field of each column of m.
func fieldsOf(t testing.TB, m Mapping) []string {
	t.Helper()
	out := make([]string, len(m.Columns))
	for i, c := range m.Columns {
		out[i] = c.Field
	}
	return out
}

// wantProblems fails the test unless problems are, in order, the codes on
// the fields given as "field:code".
func wantProblems(t testing.TB, problems []errs.FieldError, want ...string) {
	t.Helper()
	got := make([]string, len(problems))
	for i, p := range problems {
		got[i] = p.Field + ":" + p.Code
	}
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Errorf("problems: got %q, want %q", got, want)
	}
}

var workspaceFields = []contact.FieldDefinition{
	{Key: "plan", Label: "Plano", Type: contact.FieldSelect, Options: []string{"gold"}},
	{Key: "cidade_natal", Label: "Cidade natal", Type: contact.FieldText},
}

func TestMapHeaderPortuguese(t *testing.T) {
	header := []string{"Nome completo", "Celular", "E-mail", "CPF/CNPJ", "Data de Nascimento", "Empresa", "País", "Idioma", "Responsável", "Telegram", "Etiquetas", "Observações"}
	m, problems := MapHeader(header, nil, nil)
	wantProblems(t, problems)
	want := []string{"name", "phone", "email", "taxId", "birthDate", "company", "country", "language", "ownerId", "telegramId", "tags", ""}
	if got := fieldsOf(t, m); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := m.Ignored(); len(got) != 1 || got[0].Header != "Observações" || got[0].Index != 11 {
		t.Errorf("ignored: got %+v, want the Observações column", got)
	}
}

func TestMapHeaderEnglish(t *testing.T) {
	header := []string{"First Name", "Last Name", "Mobile", "Email Address", "Tax ID", "Date of birth", "Organization", "Country", "Language", "Owner", "Labels"}
	m, problems := MapHeader(header, nil, nil)
	wantProblems(t, problems)
	want := []string{"firstName", "lastName", "phone", "email", "taxId", "birthDate", "company", "country", "language", "ownerId", "tags"}
	if got := fieldsOf(t, m); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMapHeaderGoogleContacts(t *testing.T) {
	// The first columns of a Google Contacts export in Portuguese.
	header := []string{"Nome", "Nome próprio", "Nome do meio", "Sobrenome", "Aniversário", "Observações", "E-mail 1 - Tipo", "E-mail 1 - Valor", "Telefone 1 - Tipo", "Telefone 1 - Valor", "Telefone 2 - Valor", "Organização 1 - Nome"}
	m, problems := MapHeader(header, nil, nil)
	wantProblems(t, problems)
	want := []string{"name", "firstName", "", "lastName", "birthDate", "", "", "email", "", "phone", "otherPhones", "company"}
	if got := fieldsOf(t, m); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMapHeaderFolding(t *testing.T) {
	for header, want := range map[string]string{
		"  E-MAIL ":           "email",
		"e mail":              "email",
		"Número":              "phone",
		"NUMERO":              "phone",
		"Tel.":                "phone",
		"WhatsApp":            "phone",
		"cpf / cnpj":          "taxId",
		"DATA DE NASCIMENTO":  "birthDate",
		"Aniversário":         "birthDate",
		"Organização":         "company",
		"Língua":              "language",
		"Correio eletrônico":  "email",
		"Nome próprio":        "firstName",
		"Último nome":         "lastName",
		"taxId":               "taxId", // the field names themselves
		"birthDate":           "birthDate",
		"telegramId":          "telegramId",
		"avatarUrl":           "avatarUrl",
		"Idade":               "",
		"Data de\nnascimento": "birthDate", // a header wrapped with Alt+Enter
	} {
		m, _ := MapHeader([]string{header}, nil, nil)
		if got := m.Columns[0].Field; got != want {
			t.Errorf("%q: got %q, want %q", header, got, want)
		}
	}
}

func TestMapHeaderNomeAndSobrenome(t *testing.T) {
	m, problems := MapHeader([]string{"Nome", "Sobrenome", "Telefone"}, nil, nil)
	wantProblems(t, problems)
	if got, want := fieldsOf(t, m), []string{"firstName", "lastName", "phone"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// "Nome completo" stays the full name.
	m, _ = MapHeader([]string{"Nome completo", "Sobrenome"}, nil, nil)
	if got, want := fieldsOf(t, m), []string{"name", "lastName"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMapHeaderCustomFields(t *testing.T) {
	m, problems := MapHeader([]string{"Telefone", "Plano", "cidade_natal", "customFields.plan", "Cidade Natal"}, workspaceFields, nil)
	want := []string{"phone", "customFields.plan", "customFields.cidade_natal", "", ""}
	if got := fieldsOf(t, m); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	wantProblems(t, problems, "customFields.cidade_natal:duplicate_column", "customFields.plan:duplicate_column")
	if got, want := problems[1].Params["columns"], "Plano, customFields.plan"; got != want {
		t.Errorf("columns: got %q, want %q", got, want)
	}
	// A custom field unknown to the workspace is ignored.
	m, _ = MapHeader([]string{"Telefone", "customFields.nope"}, workspaceFields, nil)
	if got := m.Columns[1].Field; got != "" {
		t.Errorf("unknown custom field: got %q, want it ignored", got)
	}
}

func TestMapHeaderStandardBeforeCustomLabel(t *testing.T) {
	defs := []contact.FieldDefinition{{Key: "empresa_2", Label: "Empresa"}}
	m, _ := MapHeader([]string{"Empresa", "empresa_2"}, defs, nil)
	if got, want := fieldsOf(t, m), []string{"company", "customFields.empresa_2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMapHeaderExplicit(t *testing.T) {
	header := []string{"Contato principal", "Tel. comercial", "Celular", "Obs", "Plano"}
	explicit := map[string]string{
		"Tel. comercial":    "phone",             // overrides nothing: not an alias
		"celular":           "",                  // folded match; ignores the column
		"OBS":               "customFields.plan", // folded match
		"Plano":             "",                  // ignored although it is a custom label
		"Contato principal": "name",
	}
	m, problems := MapHeader(header, workspaceFields, explicit)
	wantProblems(t, problems)
	if got, want := fieldsOf(t, m), []string{"name", "phone", "", "customFields.plan", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	_, problems = MapHeader([]string{"Telefone", "X"}, workspaceFields, map[string]string{
		"X": "customFields.nope", "Ausente": "email", "Telefone": "phoneNumber",
	})
	wantProblems(t, problems, "mapping.Telefone:unknown_field", "mapping.X:unknown_field", "mapping.Ausente:column_not_found", "header:no_known_columns")
}

func TestMapHeaderDuplicate(t *testing.T) {
	m, problems := MapHeader([]string{"Telefone", "Celular", "WhatsApp", "Email"}, nil, nil)
	wantProblems(t, problems, "phone:duplicate_column")
	if got, want := problems[0].Params["columns"], "Telefone, Celular, WhatsApp"; got != want {
		t.Errorf("columns: got %q, want %q", got, want)
	}
	if got, want := fieldsOf(t, m), []string{"phone", "", "", "email"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q (the first column kept)", got, want)
	}
}

func TestMapHeaderNoKnownColumns(t *testing.T) {
	_, problems := MapHeader([]string{"Cidade", "Observações", ""}, nil, nil)
	wantProblems(t, problems, "header:no_known_columns")
	for _, h := range [][]string{{"Nome"}, {"Email"}, {"Celular"}, {"Sobrenome"}} {
		if _, problems := MapHeader(h, nil, nil); len(problems) != 0 {
			t.Errorf("%q: got %v, want no problem", h, problems)
		}
	}
}

func TestAliasesMapToKnownFields(t *testing.T) {
	for field := range aliases {
		if !mappable[field] {
			t.Errorf("aliases of %q: not a mappable field", field)
		}
	}
	for _, f := range contact.StandardFields {
		m, _ := MapHeader([]string{f}, nil, nil)
		if got := m.Columns[0].Field; got != f {
			t.Errorf("header %q: got %q, want itself", f, got)
		}
	}
	seen := map[string]string{}
	for field, list := range aliases {
		for _, a := range list {
			k := foldHeader(a)
			if other, ok := seen[k]; ok && other != field {
				t.Errorf("alias %q of %s and %s", a, field, other)
			}
			seen[k] = field
		}
	}
}

func TestMappingApply(t *testing.T) {
	m, _ := MapHeader([]string{"Nome", "Telefone", "Etiquetas", "Plano", "Obs", "Email"}, workspaceFields, nil)
	got := m.Apply([]string{"  José  ", "'+5511999991234", " vip; atacado | VIP ,, varejo ", "gold", "ignored", "   "})
	want := Values{
		"name":              "José",
		"phone":             "+5511999991234",
		"tags":              "vip,atacado,varejo",
		"customFields.plan": "gold",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, want := got.Tags(), []string{"vip", "atacado", "varejo"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tags: got %q, want %q", got, want)
	}
	// A row shorter than the header (trailing cells dropped).
	if got := m.Apply([]string{"Ana"}); !reflect.DeepEqual(got, Values{"name": "Ana"}) {
		t.Errorf("short row: got %v", got)
	}
	var plain map[string]string = m.Apply(nil) // Values is a map[string]string
	if len(plain) != 0 {
		t.Errorf("empty row: got %v", plain)
	}
}

func TestSplitTags(t *testing.T) {
	for in, want := range map[string][]string{
		"":                        nil,
		" , ;|":                   nil,
		"vip":                     {"vip"},
		"vip, atacado":            {"vip", "atacado"},
		"a;b|c,d":                 {"a", "b", "c", "d"},
		"Cliente VIP;cliente vip": {"Cliente VIP"},
	} {
		if got := SplitTags(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitTags(%q): got %q, want %q", in, got, want)
		}
	}
}
