package conversation

import (
	"slices"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
)

// fieldCodes lists problems as field:code, sorted.
func fieldCodes(problems []errs.FieldError) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.Field+":"+p.Code)
	}
	slices.Sort(out)
	return out
}

func TestParseStart(t *testing.T) {
	validID := ids.New(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name string
		doc  map[string]any
		want []string
	}{
		{"by contact", map[string]any{"contactId": validID, "channel": "whatsapp", "teamId": "suporte"}, nil},
		{"by phone with a template", map[string]any{"phone": "(11) 99999-1234", "channel": "whatsapp", "teamId": "t", "createContact": true,
			"template": map[string]any{"name": "boas_vindas", "parameters": []any{"Maria"}}}, nil},
		{"neither contact nor phone", map[string]any{"channel": "whatsapp", "teamId": "t"}, []string{"contactId:contact_or_phone_required"}},
		{"both", map[string]any{"contactId": validID, "phone": "1", "channel": "c", "teamId": "t"}, []string{"phone:contact_or_phone_required"}},
		{"bad id, missing channel and team", map[string]any{"contactId": "x"}, []string{"channel:required", "contactId:id_invalid", "teamId:required"}},
		{"wrong types and unknown field", map[string]any{"phone": 5, "channel": "c", "teamId": "t", "createContact": "yes", "extra": 1},
			[]string{"contactId:contact_or_phone_required", "createContact:invalid_type", "extra:unknown_field", "phone:invalid_type"}},
		{"team too long", map[string]any{"phone": "1", "channel": "c", "teamId": string(make([]byte, MaxTeamIDLength+1))}, []string{"teamId:too_long"}},
		{"template not an object", map[string]any{"phone": "1", "channel": "c", "teamId": "t", "template": "x"}, []string{"template:invalid_type"}},
	}
	for _, tt := range tests {
		_, problems := ParseStart(tt.doc)
		if got := fieldCodes(problems); !slices.Equal(got, tt.want) {
			t.Errorf("%s: problems = %v, want %v", tt.name, got, tt.want)
		}
	}
	req, _ := ParseStart(map[string]any{"phone": " +5511999991234 ", "channel": "whatsapp", "teamId": "t", "template": map[string]any{"name": "oi", "language": "pt_BR", "parameters": []any{"a", "b"}}})
	if req.Phone != "+5511999991234" || req.Template == nil || req.Template.Name != "oi" || !slices.Equal(req.Template.Parameters, []string{"a", "b"}) {
		t.Errorf("ParseStart = %+v (template %+v)", req, req.Template)
	}
}

func TestParseTemplate(t *testing.T) {
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		tname     string
		doc       map[string]any
		want      []string
		wantCount int
	}{
		{"body gives the count", "boas_vindas", map[string]any{"language": "pt_BR", "body": "Olá {{1}}, pedido {{2}}"}, nil, 2},
		{"count without body", "aviso", map[string]any{"language": "en", "parameterCount": 3.0}, nil, 3},
		{"count and body disagree", "a", map[string]any{"language": "pt_BR", "body": "{{1}}", "parameterCount": 2.0}, []string{"parameterCount:parameter_count_mismatch"}, 1},
		{"a placeholder skipped", "a", map[string]any{"language": "pt_BR", "body": "{{1}} {{3}}"}, []string{"body:template_placeholders_invalid"}, 0},
		{"bad name, language, status, category", "Boas Vindas", map[string]any{"language": "portuguese", "body": "x", "status": "live", "category": "promo"},
			[]string{"category:choice_invalid", "language:template_language_invalid", "name:template_name_invalid", "status:choice_invalid"}, 0},
		{"neither body nor count", "a", map[string]any{"language": "pt_BR"}, []string{"body:required"}, 0},
		{"count out of range", "a", map[string]any{"language": "pt_BR", "parameterCount": 1.5}, []string{"body:required", "parameterCount:parameter_count_invalid"}, 0},
		{"missing language, unknown field", "a", map[string]any{"body": "x", "x": 1}, []string{"language:required", "x:unknown_field"}, 0},
	}
	for _, tt := range tests {
		tpl, problems := ParseTemplate(tt.tname, tt.doc, now)
		if got := fieldCodes(problems); !slices.Equal(got, tt.want) {
			t.Errorf("%s: problems = %v, want %v", tt.name, got, tt.want)
		}
		if tt.want == nil && (tpl.ParameterCount != tt.wantCount || tpl.Status != TemplateApproved || !tpl.UpdatedAt.Equal(now)) {
			t.Errorf("%s: template = %+v, want %d parameters, approved", tt.name, tpl, tt.wantCount)
		}
	}
}
