package contact

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/errs"
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

var testWorkspace = Workspace{ID: "acme", Fields: []FieldDefinition{
	{Key: "plan", Label: "Plan", Type: FieldSelect, Options: []string{"free", "pro"}},
	{Key: "seats", Label: "Seats", Type: FieldNumber},
	{Key: "vip", Label: "VIP", Type: FieldBoolean},
	{Key: "renewal", Label: "Renewal", Type: FieldDate},
	{Key: "notes", Label: "Notes", Type: FieldText},
	{Key: "channels", Label: "Channels", Type: FieldMultiSelect, Options: []string{"sms", "email", "whatsapp"}},
}}

func doc(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

func build(t *testing.T, s string) (Profile, []errs.FieldError) {
	t.Helper()
	return BuildProfile(doc(t, s), testWorkspace, testNow, true)
}

func TestBuildProfileNormalises(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  Profile
	}{
		{"name split into parts", `{"name":" Maria  da Silva ","phone":"(11) 99999-1234"}`,
			Profile{Name: "Maria  da Silva", FirstName: "Maria", LastName: "da Silva", Kind: Person, Phone: "+5511999991234", Country: "BR"}},
		{"parts joined into name", `{"firstName":"João","lastName":"Souza","email":" Joao.Souza@Example.COM "}`,
			Profile{Name: "João Souza", FirstName: "João", LastName: "Souza", Kind: Person, Email: "Joao.Souza@Example.COM"}},
		{"phone typed with country code", `{"phone":"+55 21 3333-4444"}`,
			Profile{Kind: Person, Phone: "+552133334444", Country: "BR"}},
		{"foreign phone sets country", `{"phone":"+1 (415) 555-2671"}`,
			Profile{Kind: Person, Phone: "+14155552671", Country: "US"}},
		{"explicit country wins", `{"phone":"+1 (415) 555-2671","country":"ca"}`,
			Profile{Kind: Person, Phone: "+14155552671", Country: "CA", CountryManual: true}},
		{"cpf stored canonical", `{"email":"a@b.co","taxId":"529.982.247-25"}`,
			Profile{Kind: Person, Email: "a@b.co", TaxID: "52998224725"}},
		{"alphanumeric cnpj", `{"email":"a@b.co","taxId":"12.abc.345/01de-35"}`,
			Profile{Kind: Person, Email: "a@b.co", TaxID: "12ABC34501DE35"}},
		{"brazilian birth date", `{"email":"a@b.co","birthDate":"31/12/1990"}`,
			Profile{Kind: Person, Email: "a@b.co", BirthDate: "1990-12-31"}},
		{"iso birth date", `{"email":"a@b.co","birthDate":"1990-02-03"}`,
			Profile{Kind: Person, Email: "a@b.co", BirthDate: "1990-02-03"}},
		{"language canonical", `{"email":"a@b.co","language":"pt-br","kind":"group"}`,
			Profile{Kind: Group, Email: "a@b.co", Language: "pt-BR"}},
		{"custom fields", `{"email":"a@b.co","customFields":{"plan":"pro","seats":3,"vip":true,"renewal":"01/02/2027","channels":["sms","sms","email"],"notes":null}}`,
			Profile{Kind: Person, Email: "a@b.co", CustomFields: map[string]any{"plan": "pro", "seats": 3.0, "vip": true, "renewal": "2027-02-01", "channels": []any{"sms", "email"}}}},
		{"null members ignored", `{"email":"a@b.co","company":null,"customFields":null}`,
			Profile{Kind: Person, Email: "a@b.co"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := build(t, tt.input)
			if len(problems) > 0 {
				t.Fatalf("BuildProfile(%s) errors = %+v, want none", tt.input, problems)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BuildProfile(%s)\n got %+v\nwant %+v", tt.input, got, tt.want)
			}
		})
	}
}

func TestBuildProfileRejects(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string // "field:code" of every error, in order
	}{
		{"no phone nor email", `{"name":"Ana"}`, []string{"phone:phone_or_email_required"}},
		{"unparseable phone", `{"phone":"12"}`, []string{"phone:phone_invalid"}},
		{"letters in phone", `{"phone":"call me"}`, []string{"phone:phone_invalid"}},
		{"wrong type", `{"phone":5511999991234}`, []string{"phone:invalid_type"}},
		{"bad email", `{"email":"ana@"}`, []string{"email:email_invalid"}},
		{"email with display name", `{"email":"Ana <ana@x.com>"}`, []string{"email:email_invalid"}},
		{"bad cpf check digits", `{"email":"a@b.co","taxId":"529.982.247-26"}`, []string{"taxId:tax_id_check_digits"}},
		{"cpf of repeated digits", `{"email":"a@b.co","taxId":"111.111.111-11"}`, []string{"taxId:tax_id_invalid"}},
		{"tax id wrong length", `{"email":"a@b.co","taxId":"1234"}`, []string{"taxId:tax_id_invalid"}},
		{"future birth date", `{"email":"a@b.co","birthDate":"22/11/2026"}`, []string{"birthDate:date_in_future"}},
		{"impossible date", `{"email":"a@b.co","birthDate":"31/02/1990"}`, []string{"birthDate:date_invalid"}},
		{"american date order", `{"email":"a@b.co","birthDate":"12/31/1990"}`, []string{"birthDate:date_invalid"}},
		{"bad country", `{"email":"a@b.co","country":"XX"}`, []string{"country:country_invalid"}},
		{"country not alpha-2", `{"email":"a@b.co","country":"BRA"}`, []string{"country:country_invalid"}},
		{"bad language", `{"email":"a@b.co","language":"not a tag"}`, []string{"language:language_invalid"}},
		{"bad kind", `{"email":"a@b.co","kind":"robot"}`, []string{"kind:choice_invalid"}},
		{"bad avatar", `{"email":"a@b.co","avatarUrl":"javascript:alert(1)"}`, []string{"avatarUrl:url_invalid"}},
		{"plain http avatar", `{"email":"a@b.co","avatarUrl":"http://cdn.example.com/a.png"}`, []string{"avatarUrl:url_invalid"}},
		{"relative avatar", `{"email":"a@b.co","avatarUrl":"/a.png"}`, []string{"avatarUrl:url_invalid"}},
		{"avatar without host", `{"email":"a@b.co","avatarUrl":"https:///a.png"}`, []string{"avatarUrl:url_invalid"}},
		{"data avatar", `{"email":"a@b.co","avatarUrl":"data:image/png;base64,AAAA"}`, []string{"avatarUrl:url_invalid"}},
		{"scheme-relative avatar", `{"email":"a@b.co","avatarUrl":"//cdn.example.com/a.png"}`, []string{"avatarUrl:url_invalid"}},
		{"owner id with a key separator", `{"email":"a@b.co","ownerId":"agent#7"}`, []string{"ownerId:id_invalid"}},
		{"owner id too long", `{"email":"a@b.co","ownerId":"` + strings.Repeat("a", MaxOwnerIDRunes+1) + `"}`, []string{"ownerId:too_long"}},
		{"name too long", `{"email":"a@b.co","name":"` + strings.Repeat("á", MaxNameRunes+1) + `"}`, []string{"name:too_long"}},
		{"control characters", `{"email":"a@b.co","company":"a\u0000b"}`, []string{"company:invalid_type"}},
		{"read-only and unknown fields", `{"email":"a@b.co","id":"x","version":3,"nickname":"z"}`, []string{"id:read_only", "nickname:unknown_field", "version:read_only"}},
		{"block fields are read-only", `{"email":"a@b.co","blockedAt":"2026-01-01T00:00:00Z","blockedBy":"u"}`, []string{"blockedAt:read_only", "blockedBy:read_only"}},
		{"custom field not defined", `{"email":"a@b.co","customFields":{"color":"red"}}`, []string{"customFields.color:unknown_field"}},
		{"custom field wrong option", `{"email":"a@b.co","customFields":{"plan":"gold","seats":"3"}}`, []string{"customFields.plan:choice_invalid", "customFields.seats:invalid_type"}},
		{"custom fields not an object", `{"email":"a@b.co","customFields":[1]}`, []string{"customFields:invalid_type"}},
		{"every rule at once", `{"phone":"abc","email":"x","taxId":"000","birthDate":"soon"}`,
			[]string{"phone:phone_invalid", "email:email_invalid", "taxId:tax_id_invalid", "birthDate:date_invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := build(t, tt.input)
			var got []string
			for _, p := range problems {
				got = append(got, p.Field+":"+p.Code)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("BuildProfile(%s) errors = %v, want %v", tt.input, got, tt.want)
			}
		})
	}
}

func TestBuildProfileWithoutReach(t *testing.T) {
	p, problems := BuildProfile(doc(t, `{"name":"Visitante"}`), testWorkspace, testNow, false)
	if len(problems) > 0 {
		t.Fatalf("errors = %+v, want none", problems)
	}
	c := &Contact{Profile: p}
	if got, want := c.PendingActions(), []string{PendingAddPhoneOrEmail}; !reflect.DeepEqual(got, want) {
		t.Errorf("PendingActions() = %v, want %v", got, want)
	}
}

func TestDocumentRoundTrips(t *testing.T) {
	in := `{"name":"Maria da Silva","phone":"11 9 9999 1234","email":"m@x.com.br","taxId":"11.222.333/0001-81","birthDate":"1990-01-02","company":"ACME","country":"PT","language":"pt-PT","ownerId":"agent-7","telegramId":"12345","avatarUrl":"https://x.com/a.png","customFields":{"plan":"free","channels":["sms"]}}`
	p, problems := build(t, in)
	if len(problems) > 0 {
		t.Fatalf("errors = %+v", problems)
	}
	again, problems := BuildProfile(p.Document(), testWorkspace, testNow, true)
	if len(problems) > 0 {
		t.Fatalf("rebuilding from Document(): errors = %+v", problems)
	}
	if !reflect.DeepEqual(again, p) {
		t.Errorf("rebuilt profile\n got %+v\nwant %+v", again, p)
	}
}
