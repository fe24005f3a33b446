package tests

import (
	"net/http"
	"slices"
	"testing"
)

// TestCompaniesOverHTTP: issue 17's "Done when" on the local platform. A
// company created with a formatted CNPJ is found by a word of its name typed
// without accents; two contacts linked to it are listed by both routes; a
// rename shows on both contacts; a delete leaves both contacts intact and
// unlinked. A second company with the same CNPJ is a 409, and another
// workspace gets a 404 for every route of the company's id.
func TestCompaniesOverHTTP(t *testing.T) {
	p, _, tok := workspaceTokens(t, "owner")
	api, token := p.APIURL, tok["owner"]
	other, err := p.Token("owner-1", "sec-other-"+randomHex(4), "owner")
	if err != nil {
		t.Fatal(err)
	}

	co := must(t, http.StatusCreated, "POST", api+"/v1/companies", token, `{"name":"Clínica São João Ltda","taxId":"11.222.333/0001-81","domain":"SaoJoao.com.br"}`)
	id := co["id"].(string)
	if co["taxId"] != "11222333000181" || co["domain"] != "saojoao.com.br" {
		t.Errorf("company: taxId %v, domain %v, want them canonical", co["taxId"], co["domain"])
	}
	if got := idsOf(must(t, http.StatusOK, "GET", api+"/v1/companies?q=clinica", token, "")); !slices.Equal(got, []string{id}) {
		t.Errorf("q=clinica: %v, want the company", got)
	}
	if got := idsOf(must(t, http.StatusOK, "GET", api+"/v1/companies?q=joa", token, "")); !slices.Equal(got, []string{id}) {
		t.Errorf("q=joa: %v, want the company", got)
	}

	a := must(t, http.StatusCreated, "POST", api+"/v1/contacts", token, `{"name":"Ana Recepção","phone":"(11) 98111-0001","companyId":"`+id+`"}`)
	b := must(t, http.StatusCreated, "POST", api+"/v1/contacts", token, `{"name":"Bruno Compras","email":"bruno@saojoao.com.br"}`)
	linked := must(t, http.StatusOK, "POST", api+"/v1/companies/"+id+"/contacts", token, `{"contactIds":["`+b["id"].(string)+`"]}`)
	if r := linked["results"].([]any); len(r) != 1 || r[0].(map[string]any)["status"] != float64(200) {
		t.Fatalf("link: %v", linked)
	}
	both := []string{a["id"].(string), b["id"].(string)}
	if got := idsOf(must(t, http.StatusOK, "GET", api+"/v1/companies/"+id+"/contacts", token, "")); !slices.Equal(got, both) {
		t.Errorf("the company's contacts: %v, want %v", got, both)
	}
	if got := idsOf(must(t, http.StatusOK, "GET", api+"/v1/contacts?companyId="+id, token, "")); !slices.Equal(got, both) {
		t.Errorf("contacts?companyId: %v, want %v", got, both)
	}

	must(t, http.StatusOK, "PATCH", api+"/v1/companies/"+id, token, `{"name":"Rede São João"}`)
	for _, cid := range both {
		c := must(t, http.StatusOK, "GET", api+"/v1/contacts/"+cid, token, "")
		if ref, _ := c["linkedCompany"].(map[string]any); ref["id"] != id || ref["name"] != "Rede São João" {
			t.Errorf("contact %s after the rename: linkedCompany %v", cid, c["linkedCompany"])
		}
	}

	resp, dup := send(t, "POST", api+"/v1/companies", token, `{"name":"Outra","taxId":"11222333000181"}`)
	if resp.StatusCode != http.StatusConflict || dup["code"] != "company_tax_id_taken" {
		t.Errorf("the same CNPJ again: %d %v, want 409 company_tax_id_taken", resp.StatusCode, dup)
	}

	for _, r := range []struct{ method, path, body string }{
		{"GET", "", ""}, {"PATCH", "", `{"name":"X"}`}, {"DELETE", "", ""},
		{"GET", "/contacts", ""}, {"POST", "/contacts", `{"contactIds":[]}`},
	} {
		resp, body := send(t, r.method, api+"/v1/companies/"+id+r.path, other, r.body)
		if resp.StatusCode != http.StatusNotFound || body["code"] != "company_not_found" {
			t.Errorf("another workspace's %s %s: %d %v, want 404 company_not_found", r.method, r.path, resp.StatusCode, body)
		}
	}
	if resp, body := send(t, "POST", api+"/v1/contacts", other, `{"name":"Intrusa","companyId":"`+id+`"}`); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("another workspace linking to the company: %d %v, want 422", resp.StatusCode, body)
	}

	mustStatus(t, http.StatusNoContent, "DELETE", api+"/v1/companies/"+id, token, "")
	mustStatus(t, http.StatusNotFound, "GET", api+"/v1/companies/"+id, token, "")
	for i, cid := range both {
		c := must(t, http.StatusOK, "GET", api+"/v1/contacts/"+cid, token, "")
		before := []map[string]any{a, b}[i]
		if c["companyId"] != nil || c["linkedCompany"] != nil || c["name"] != before["name"] || c["phone"] != before["phone"] || c["email"] != before["email"] {
			t.Errorf("contact %s after the delete: %v, want it intact and unlinked", cid, c)
		}
	}
}
