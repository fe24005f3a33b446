package tests

import (
	"net/http"
	"slices"
	"testing"
)

// TestCompanyTimelineOverHTTP: the companies function's real bootstrap
// serves a company's timeline and notes: a company created, a contact
// linked by the contacts function, a note (idempotent), read newest first.
func TestCompanyTimelineOverHTTP(t *testing.T) {
	api, token := contactsPlatform(t)
	resp, co := send(t, "POST", api+"/v1/companies", token, `{"name":"Clínica Saúde Viva"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create company: status %d, body %v", resp.StatusCode, co)
	}
	id := co["id"].(string)
	resp, c := send(t, "POST", api+"/v1/contacts", token, `{"name":"Ana Lima","email":"ana@saudeviva.com.br","companyId":"`+id+`"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create contact: status %d, body %v", resp.StatusCode, c)
	}
	for range 2 {
		if resp, note := send(t, "POST", api+"/v1/companies/"+id+"/notes", token, `{"text":"Renovação em março"}`, "Idempotency-Key", "note-1"); resp.StatusCode != http.StatusCreated {
			t.Fatalf("note: status %d, body %v", resp.StatusCode, note)
		}
	}
	resp, page := send(t, "GET", api+"/v1/companies/"+id+"/timeline?limit=10", token, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("timeline: status %d, body %v", resp.StatusCode, page)
	}
	var kinds []string
	for _, it := range page["items"].([]any) {
		kinds = append(kinds, it.(map[string]any)["type"].(string))
	}
	if want := []string{"note", "contact_added", "created"}; !slices.Equal(kinds, want) {
		t.Errorf("timeline = %v, want %v", kinds, want)
	}
}
