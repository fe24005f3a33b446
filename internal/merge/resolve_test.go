package merge

import (
	"slices"
	"testing"

	"github.com/omnichannel/contacts/internal/contact"
)

func TestResolve(t *testing.T) {
	target := &contact.Contact{ID: "02", Profile: contact.Profile{Name: "Maria", Email: "m@x.co", CustomFields: map[string]any{"plano": "prata"}}, TagIDs: []string{"a"}}
	older := &contact.Contact{ID: "01", Profile: contact.Profile{Name: "Maria Silva", FirstName: "Maria", LastName: "Silva", Phone: "+5511999991234", Country: "BR",
		CustomFields: map[string]any{"plano": "ouro", "cidade": "Recife"}}, TagIDs: []string{"b"}, ConversationStatus: "open"}
	newer := &contact.Contact{ID: "03", Profile: contact.Profile{Phone: "+14155552671", Company: "Acme"}, TagIDs: []string{"a", "c"}}

	t.Run("target keeps, oldest source fills", func(t *testing.T) {
		got, changed, err := Resolve(target, []*contact.Contact{newer, older}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Maria" || got.Email != "m@x.co" || got.Phone != "+5511999991234" || got.Company != "Acme" || got.Country != "BR" {
			t.Errorf("profile = %+v", got.Profile)
		}
		if got.CustomFields["plano"] != "prata" || got.CustomFields["cidade"] != "Recife" {
			t.Errorf("custom fields = %v", got.CustomFields)
		}
		if want := []string{"a", "b", "c"}; !slices.Equal(got.TagIDs, want) || got.ConversationStatus != "open" {
			t.Errorf("tags %v, conversation %q; want %v, open", got.TagIDs, got.ConversationStatus, want)
		}
		if want := []string{"company", "country", "customFields", "phone", "tags"}; !slices.Equal(changed, want) {
			t.Errorf("changed = %v, want %v", changed, want)
		}
		if target.Phone != "" || len(target.TagIDs) != 1 {
			t.Errorf("Resolve changed its input: %+v", target)
		}
	})
	t.Run("choices win, a name brings its parts", func(t *testing.T) {
		got, _, err := Resolve(target, []*contact.Contact{newer, older}, map[string]string{"name": "01", "phone": "03", "customFields.plano": "01", "email": "03"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Maria Silva" || got.FirstName != "Maria" || got.LastName != "Silva" || got.Phone != "+14155552671" || got.Email != "" {
			t.Errorf("profile = %+v", got.Profile)
		}
		if got.CustomFields["plano"] != "ouro" {
			t.Errorf("custom fields = %v", got.CustomFields)
		}
	})
	t.Run("too many tags", func(t *testing.T) {
		many := &contact.Contact{ID: "04"}
		for i := range contact.MaxTagsPerContact {
			many.TagIDs = append(many.TagIDs, "t"+string(rune('A'+i%26))+string(rune('a'+i/26)))
		}
		if _, _, err := Resolve(target, []*contact.Contact{many}, nil); err == nil {
			t.Error("Resolve over the tag limit: no error")
		}
	})
}
