package company

import (
	"slices"
	"testing"

	"github.com/omnichannel/contacts/internal/errs"
)

func fieldsOf(err error) []string {
	var out []string
	for _, f := range errs.As(err).Fields {
		out = append(out, f.Field+":"+f.Code)
	}
	return out
}

func TestParse(t *testing.T) {
	p, err := Parse(map[string]any{"name": "  Acme   Ltda ", "taxId": "12.abc.345/01de-35", "domain": "Acme.COM.br.", "phone": "(11) 3333-4444",
		"email": "oi@acme.com.br", "ownerId": "agent-1", "address": map[string]any{"city": " São Paulo ", "country": "BR"}}, "BR")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Profile{Name: "Acme Ltda", TaxID: "12ABC34501DE35", Domain: "acme.com.br", Phone: "+551133334444", Email: "oi@acme.com.br",
		OwnerID: "agent-1", Address: Address{City: "São Paulo", Country: "BR"}}
	if p != want {
		t.Errorf("Parse = %+v, want %+v", p, want)
	}
	if got := (Profile{Name: "X", Address: Address{City: "Y"}}).Document(); len(got) != 2 || got["address"].(map[string]any)["city"] != "Y" {
		t.Errorf("Document = %v, want name and address.city", got)
	}
	for _, tt := range []struct {
		name string
		doc  map[string]any
		want []string
	}{
		{"empty", map[string]any{}, []string{"name:required"}},
		{"blank name", map[string]any{"name": "   "}, []string{"name:required"}},
		{"types", map[string]any{"name": 1, "address": "x"}, []string{"name:invalid_type", "address:invalid_type"}},
		{"cpf", map[string]any{"name": "a", "taxId": "529.982.247-25"}, []string{"taxId:cnpj_invalid"}},
		{"check digits", map[string]any{"name": "a", "taxId": "11.222.333/0001-82"}, []string{"taxId:tax_id_check_digits"}},
		{"domain", map[string]any{"name": "a", "domain": "localhost"}, []string{"domain:domain_invalid"}},
		{"domain digits", map[string]any{"name": "a", "domain": "10.0.0.1"}, []string{"domain:domain_invalid"}},
		{"phone and email", map[string]any{"name": "a", "phone": "12", "email": "not an email"}, []string{"phone:phone_invalid", "email:email_invalid"}},
		{"owner", map[string]any{"name": "a", "ownerId": "a#b"}, nil},
		{"unknown", map[string]any{"name": "a", "version": 3, "address": map[string]any{"planet": "x"}}, []string{"version:unknown_field", "address.planet:unknown_field"}},
	} {
		_, err := Parse(tt.doc, "BR")
		got := fieldsOf(err)
		if tt.want == nil {
			if err == nil {
				t.Errorf("%s: no error", tt.name)
			}
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: errors %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestQueryWordsAndMatches(t *testing.T) {
	if got, want := QueryWords("Saú  Clínica"), []string{"clinica", "sau"}; !slices.Equal(got, want) {
		t.Errorf("QueryWords = %v, want %v", got, want)
	}
	words := []string{"clinica", "saude", "viva"}
	for _, tt := range []struct {
		q    []string
		want bool
	}{{[]string{"sau"}, true}, {[]string{"clin", "viv"}, true}, {[]string{"saude", "x"}, false}, {nil, true}} {
		if got := Matches(words, tt.q); got != tt.want {
			t.Errorf("Matches(%v, %v) = %v, want %v", words, tt.q, got, tt.want)
		}
	}
}

func TestParseList(t *testing.T) {
	q, problems := parseList(map[string]string{"q": "Ótica", "sort": "-createdAt", "limit": "10"})
	if len(problems) > 0 || q.Sort != SortNewest || q.Limit != 10 || !slices.Equal(q.Words, []string{"otica"}) {
		t.Errorf("parseList = %+v %v", q, problems)
	}
}
