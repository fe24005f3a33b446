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
		if want := []string{"+14155552671"}; !slices.Equal(got.OtherPhones, want) {
			t.Errorf("otherPhones = %v, want %v (the newer source's number kept)", got.OtherPhones, want)
		}
		if want := []string{"company", "country", "customFields", "otherPhones", "phone", "tags"}; !slices.Equal(changed, want) {
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
		if got.Name != "Maria Silva" || got.FirstName != "Maria" || got.LastName != "Silva" || got.Phone != "+14155552671" || got.Email != "m@x.co" {
			t.Errorf("profile = %+v", got.Profile)
		}
		if got.CustomFields["plano"] != "ouro" {
			t.Errorf("custom fields = %v", got.CustomFields)
		}
		// The chosen source has no email: the target's stays the primary
		// (a merge loses no address); the target's phone becomes an other.
		if want := []string{"+5511999991234"}; !slices.Equal(got.OtherPhones, want) {
			t.Errorf("otherPhones = %v, want %v", got.OtherPhones, want)
		}
	})
	t.Run("every identity kept, none twice", func(t *testing.T) {
		a := &contact.Contact{ID: "10", Profile: contact.Profile{Name: "+55 11 98888-0001", Phone: "+5511988880001", OtherPhones: []string{"+5521977770002"}, Email: "a@x.co"}}
		b := &contact.Contact{ID: "11", Profile: contact.Profile{Name: "Ana Souza", Phone: "+551177770002", OtherPhones: []string{"+552177770002", "+14155552671"}, Email: "A@X.co", OtherEmails: []string{"ana@work.com"}}}
		got, _, err := Resolve(a, []*contact.Contact{b}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Ana Souza" {
			t.Errorf("name = %q, want the source's real name over the target's number", got.Name)
		}
		if want := []string{"+5521977770002", "+551177770002", "+14155552671"}; got.Phone != "+5511988880001" || !slices.Equal(got.OtherPhones, want) {
			t.Errorf("phones = %q %q, want +5511988880001 %q", got.Phone, got.OtherPhones, want)
		}
		if want := []string{"ana@work.com"}; got.Email != "a@x.co" || !slices.Equal(got.OtherEmails, want) {
			t.Errorf("emails = %q %q, want a@x.co %q", got.Email, got.OtherEmails, want)
		}
		// A real name is never replaced by a number.
		got, _, _ = Resolve(b, []*contact.Contact{a}, nil)
		if got.Name != "Ana Souza" {
			t.Errorf("name = %q, want Ana Souza", got.Name)
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
