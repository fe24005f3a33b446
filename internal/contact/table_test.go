package contact

import (
	"slices"
	"testing"
	"time"
)

// TestFieldLists: the lists each part of the service reads from Fields, as
// the contract has them.
func TestFieldLists(t *testing.T) {
	tests := []struct {
		name string
		keep func(Field) bool
		want []string
	}{
		{"shown", func(f Field) bool { return f.Shown }, []string{"name", "firstName", "lastName", "phone", "email", "otherPhones", "otherEmails", "taxId", "birthDate", "company", "country", "language", "ownerId", "telegramId", "tags"}},
		{"editable", func(f Field) bool { return f.Editable }, []string{"externalId", "name", "firstName", "lastName", "kind", "phone", "email", "otherPhones", "otherEmails", "taxId", "birthDate", "company", "companyId", "country", "language", "ownerId", "telegramId", "avatarUrl", "customFields"}},
		{"exported", func(f Field) bool { return f.Exported }, []string{"id", "externalId", "name", "firstName", "lastName", "kind", "phone", "email", "otherPhones", "otherEmails", "taxId", "birthDate", "company", "companyId", "companyName", "country", "language", "ownerId", "telegramId", "avatarUrl", "tags", "blocked", "createdAt", "updatedAt"}},
		{"merged", func(f Field) bool { return f.Merged }, []string{"externalId", "name", "phone", "email", "taxId", "birthDate", "company", "companyId", "country", "language", "ownerId", "telegramId", "avatarUrl"}},
		{"imported", func(f Field) bool { return f.Imported }, []string{"externalId", "name", "firstName", "lastName", "kind", "phone", "email", "otherPhones", "otherEmails", "taxId", "birthDate", "company", "companyId", "country", "language", "ownerId", "telegramId", "avatarUrl"}},
	}
	for _, tt := range tests {
		if got := FieldNames(tt.keep); !slices.Equal(got, tt.want) {
			t.Errorf("%s fields = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestFieldCopyAndCell: every merged field copies its value (and what
// travels with it) and every exported field but tags has a cell.
func TestFieldCopyAndCell(t *testing.T) {
	src := Profile{Name: "Maria Silva", FirstName: "Maria", LastName: "Silva", Phone: "+5511999991234", Email: "m@x.co",
		TaxID: "11144477735", BirthDate: "1990-01-02", Company: "Acme", Country: "PT", CountryManual: true, Language: "pt-BR",
		OwnerID: "u1", TelegramID: "tg", AvatarURL: "https://x/a.png", CustomFields: map[string]any{"plano": "ouro"}}
	for _, f := range Fields {
		if !f.Merged && f.Name != "customFields" {
			continue
		}
		var dst Profile
		f.Copy(&dst, &src)
		if f.Text != nil && *f.Text(&dst) != *f.Text(&src) {
			t.Errorf("%s: Copy gave %q, want %q", f.Name, *f.Text(&dst), *f.Text(&src))
		}
		switch f.Name {
		case "name":
			if dst.FirstName != "Maria" || dst.LastName != "Silva" {
				t.Errorf("name: Copy left the parts %q %q", dst.FirstName, dst.LastName)
			}
		case "country":
			if !dst.CountryManual {
				t.Error("country: Copy left CountryManual")
			}
		case "customFields":
			if dst.CustomFields["plano"] != "ouro" {
				t.Errorf("customFields: Copy gave %v", dst.CustomFields)
			}
		}
	}
	c := &Contact{ID: "c1", Profile: src, Blocked: true, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	want := map[string]string{"id": "c1", "taxId": "111.444.777-35", "blocked": "true", "createdAt": "2026-01-02T03:04:05Z", "country": "PT", "firstName": "Maria"}
	for _, f := range Fields {
		if f.Exported && f.Name != "tags" && f.Cell == nil {
			t.Errorf("%s is exported but has no cell", f.Name)
		}
		if w, ok := want[f.Name]; ok && f.Cell(c) != w {
			t.Errorf("%s cell = %q, want %q", f.Name, f.Cell(c), w)
		}
	}
}
