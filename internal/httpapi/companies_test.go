package httpapi_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const acmeCompany = `{"name":"Clínica Saúde Viva","taxId":"12.ABC.345/01DE-35","domain":"SaudeViva.com.br","phone":"(11) 3333-4444","email":"contato@saudeviva.com.br","address":{"street":"Rua Augusta","number":"100","city":"São Paulo","state":"SP","postalCode":"01305-000","country":"BR"},"ownerId":"agent-1"}`

// createCompany creates a company from body and returns its id.
func (f *fixture) createCompany(t *testing.T, body string) string {
	t.Helper()
	return f.do(t, call{route: "POST /v1/companies", body: body}).want(t, http.StatusCreated).body["id"].(string)
}

// companyNames lists the companies' names of GET /v1/companies with query.
func (f *fixture) companyNames(t *testing.T, c call) []string {
	t.Helper()
	c.route = "GET /v1/companies"
	r := f.do(t, c).want(t, http.StatusOK)
	var out []string
	for _, it := range r.body["items"].([]any) {
		out = append(out, it.(map[string]any)["name"].(string))
	}
	return out
}

// TestCompanies: create with a formatted CNPJ (stored canonical), read,
// find by a word without accents, the same CNPJ again is 409 (free in
// another workspace), rename under If-Match, delete; another workspace
// gets 404 for the company.
func TestCompanies(t *testing.T) {
	f := newFixture(t)
	created := f.do(t, call{route: "POST /v1/companies", body: acmeCompany}).want(t, http.StatusCreated)
	id := created.body["id"].(string)
	for field, want := range map[string]any{"name": "Clínica Saúde Viva", "taxId": "12ABC34501DE35", "domain": "saudeviva.com.br", "phone": "+551133334444", "ownerId": "agent-1", "version": 1.0, "createdBy": "user-owner-1"} {
		if got := created.body[field]; got != want {
			t.Errorf("created %s = %v, want %v", field, got, want)
		}
	}
	if got, want := created.headers["Location"], "/v1/companies/"+id; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got := f.do(t, call{route: "GET /v1/companies/{id}", id: id}).want(t, http.StatusOK); got.headers["ETag"] != `"1"` || got.body["name"] != "Clínica Saúde Viva" {
		t.Errorf("GET = %s %s, want the company with ETag \"1\"", got.headers["ETag"], got.raw)
	}

	for _, q := range []string{"saude", "CLINICA", "viv", "sau cli"} {
		if got, want := f.companyNames(t, call{query: map[string]string{"q": q}}), []string{"Clínica Saúde Viva"}; !slices.Equal(got, want) {
			t.Errorf("q=%s lists %q, want %q", q, got, want)
		}
	}
	if got := f.companyNames(t, call{query: map[string]string{"q": "saude outra"}}); len(got) != 0 {
		t.Errorf("q=saude outra lists %q, want none", got)
	}

	dup := f.do(t, call{route: "POST /v1/companies", body: `{"name":"Outra","taxId":"12ABC34501DE35"}`}).want(t, http.StatusConflict)
	if got, want := dup.body["code"], "company_tax_id_taken"; got != want {
		t.Errorf("same CNPJ: code %v, want %v", got, want)
	}
	f.do(t, call{route: "POST /v1/companies", body: `{"name":"Outra","taxId":"12ABC34501DE35"}`, workspace: "globex"}).want(t, http.StatusCreated)

	bad := f.do(t, call{route: "POST /v1/companies", body: `{"taxId":"12.ABC.345/01DE-36","domain":"not a domain","address":{"city":1,"planet":"x"},"id":"x"}`}).want(t, http.StatusUnprocessableEntity)
	for _, want := range []string{"name:required", "taxId:tax_id_check_digits", "domain:domain_invalid", "address.city:invalid_type", "address.planet:unknown_field", "id:unknown_field"} {
		if !slices.Contains(bad.fieldErrors(), want) {
			t.Errorf("invalid create: errors %v, want %s among them", bad.fieldErrors(), want)
		}
	}
	cpf := f.do(t, call{route: "POST /v1/companies", body: `{"name":"Pessoa","taxId":"529.982.247-25"}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := cpf.fieldErrors(), []string{"taxId:cnpj_invalid"}; !slices.Equal(got, want) {
		t.Errorf("a CPF as taxId: errors %v, want %v", got, want)
	}

	for _, route := range []string{"GET /v1/companies/{id}", "PATCH /v1/companies/{id}", "DELETE /v1/companies/{id}"} {
		r := f.do(t, call{route: route, id: id, workspace: "globex", body: `{"name":"Globex"}`}).want(t, http.StatusNotFound)
		if got, want := r.body["code"], "company_not_found"; got != want {
			t.Errorf("%s from another workspace: code %v, want %v", route, got, want)
		}
	}
	if got := f.companyNames(t, call{workspace: "globex", query: map[string]string{"q": "saude"}}); len(got) != 0 {
		t.Errorf("another workspace finds %q", got)
	}

	f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"name":"Saúde Viva Matriz"}`, headers: map[string]string{"If-Match": `"7"`}}).want(t, http.StatusPreconditionFailed)
	renamed := f.do(t, call{route: "PATCH /v1/companies/{id}", id: id, body: `{"name":"Saúde Viva Matriz","address":{"number":null}}`, headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusOK)
	if got := renamed.body["address"].(map[string]any); got["number"] != nil || got["street"] != "Rua Augusta" {
		t.Errorf("address after patch = %v, want the street kept and the number removed", got)
	}
	if got, want := f.companyNames(t, call{query: map[string]string{"q": "matriz"}}), []string{"Saúde Viva Matriz"}; !slices.Equal(got, want) {
		t.Errorf("q=matriz lists %q, want %q", got, want)
	}
	if got := f.companyNames(t, call{query: map[string]string{"q": "clinica"}}); len(got) != 0 {
		t.Errorf("q=clinica after the rename lists %q, want none", got)
	}

	f.do(t, call{route: "DELETE /v1/companies/{id}", id: id, role: "agent"}).want(t, http.StatusForbidden)
	f.do(t, call{route: "DELETE /v1/companies/{id}", id: id}).want(t, http.StatusNoContent)
	f.do(t, call{route: "GET /v1/companies/{id}", id: id}).want(t, http.StatusNotFound)
	// The CNPJ is free again.
	f.do(t, call{route: "POST /v1/companies", body: `{"name":"Nova","taxId":"12ABC34501DE35"}`}).want(t, http.StatusCreated)
}

// TestCompanyListPages: the list in name order and newest first, paged by
// signed cursors; a cursor of another list or workspace is a 400.
func TestCompanyListPages(t *testing.T) {
	f := newFixture(t)
	names := []string{"Beta Alimentos", "Álamo Transportes", "Casa Verde", "Ômega Peças", "Delta Ótica"}
	for _, n := range names {
		f.createCompany(t, `{"name":"`+n+`"}`)
	}
	var got []string
	var cursor string
	for pages := 0; pages < 10; pages++ {
		q := map[string]string{"limit": "2"}
		if cursor != "" {
			q["cursor"] = cursor
		}
		r := f.do(t, call{route: "GET /v1/companies", query: q}).want(t, http.StatusOK)
		for _, it := range r.body["items"].([]any) {
			got = append(got, it.(map[string]any)["name"].(string))
		}
		cursor, _ = r.body["nextCursor"].(string)
		if cursor == "" {
			break
		}
		if pages == 0 {
			f.do(t, call{route: "GET /v1/companies", query: map[string]string{"cursor": cursor, "sort": "-createdAt"}}).want(t, http.StatusBadRequest)
			f.do(t, call{route: "GET /v1/companies", query: map[string]string{"cursor": cursor}, workspace: "globex"}).want(t, http.StatusBadRequest)
		}
	}
	if want := []string{"Álamo Transportes", "Beta Alimentos", "Casa Verde", "Delta Ótica", "Ômega Peças"}; !slices.Equal(got, want) {
		t.Errorf("by name: %q, want %q", got, want)
	}
	newest := f.companyNames(t, call{query: map[string]string{"sort": "-createdAt"}})
	if want := []string{"Delta Ótica", "Ômega Peças", "Casa Verde", "Álamo Transportes", "Beta Alimentos"}; !slices.Equal(newest, want) {
		t.Errorf("newest first: %q, want %q", newest, want)
	}
	bad := f.do(t, call{route: "GET /v1/companies", query: map[string]string{"sort": "phone", "limit": "0", "x": "1"}}).want(t, http.StatusUnprocessableEntity)
	if got := strings.Join(bad.fieldErrors(), " "); got != "x:unknown_field sort:choice_invalid limit:limit_invalid" {
		t.Errorf("bad parameters: %s", got)
	}
}

// linkedCompany returns the linkedCompany member of the contact id.
func (f *fixture) linkedCompany(t *testing.T, id string) any {
	t.Helper()
	return f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK).body["linkedCompany"]
}

// companyContactIDs lists the ids of GET /v1/companies/{id}/contacts,
// every page of limit.
func (f *fixture) companyContactIDs(t *testing.T, id string, limit string) []string {
	t.Helper()
	var out []string
	cursor := ""
	for pages := 0; pages < 20; pages++ {
		q := map[string]string{"limit": limit}
		if cursor != "" {
			q["cursor"] = cursor
		}
		r := f.do(t, call{route: "GET /v1/companies/{id}/contacts", id: id, query: q}).want(t, http.StatusOK)
		for _, it := range r.body["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		if cursor, _ = r.body["nextCursor"].(string); cursor == "" {
			return out
		}
	}
	t.Fatalf("company %s: more than 20 pages", id)
	return nil
}

// TestCompanyContacts is the "done when" over the handlers: link
// two contacts (one by PATCH, one by the bulk link), list them, rename the
// company and see the new name on both, delete it and find both unlinked
// and intact; the free-text company stays as typed throughout.
func TestCompanyContacts(t *testing.T) {
	f := newFixture(t)
	co := f.createCompany(t, `{"name":"Padaria Pão Quente","taxId":"11.222.333/0001-81"}`)
	ana := f.create(t, `{"name":"Ana Lima","phone":"(11) 98888-1111","company":"Padaria (texto)"}`)
	bruno := f.create(t, `{"name":"Bruno Alves","email":"bruno@padaria.com.br"}`)
	other := f.create(t, `{"name":"Carla Dias","email":"carla@outra.com.br"}`)

	bad := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: ana, body: `{"companyId":"01jdx8k2m4n6p8r0s2t4v6w8y0"}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := bad.fieldErrors(), []string{"companyId:company_not_found"}; !slices.Equal(got, want) {
		t.Errorf("PATCH with an unknown companyId: errors %v, want %v", got, want)
	}
	theirs := f.do(t, call{route: "POST /v1/companies", body: `{"name":"Globex"}`, workspace: "globex"}).want(t, http.StatusCreated).body["id"].(string)
	f.do(t, call{route: "PATCH /v1/contacts/{id}", id: ana, body: `{"companyId":"` + theirs + `"}`}).want(t, http.StatusUnprocessableEntity)
	f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Nova","email":"nova@x.com.br","companyId":"` + theirs + `"}`}).want(t, http.StatusUnprocessableEntity)

	linked := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: ana, body: `{"companyId":"` + co + `"}`}).want(t, http.StatusOK)
	if got, want := linked.body["linkedCompany"], map[string]any{"id": co, "name": "Padaria Pão Quente"}; !jsonEqual(got, want) {
		t.Errorf("after PATCH linkedCompany = %v, want %v", got, want)
	}
	if got, want := linked.body["company"], "Padaria (texto)"; got != want {
		t.Errorf("free-text company = %v, want %v kept", got, want)
	}
	r := f.do(t, call{route: "POST /v1/companies/{id}/contacts", id: co, body: `{"contactIds":["` + bruno + `","` + ana + `","01jdx8k2m4n6p8r0s2t4v6w8y0"]}`}).want(t, http.StatusOK)
	if got, want := r.raw, `{"results":[{"contactId":"`+bruno+`","status":200},{"contactId":"`+ana+`","status":200},{"contactId":"01jdx8k2m4n6p8r0s2t4v6w8y0","status":404,"code":"contact_not_found"}]}`; got != want {
		t.Errorf("link: %s, want %s", got, want)
	}
	f.do(t, call{route: "POST /v1/companies/{id}/contacts", id: co, body: `{"contactIds":[]}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := f.companyContactIDs(t, co, "1"), []string{ana, bruno}; !slices.Equal(got, want) {
		t.Errorf("company contacts by name = %v, want %v", got, want)
	}
	for _, tt := range []struct {
		query map[string]string
		want  []string
	}{
		{map[string]string{"companyId": co}, []string{ana, bruno}},
		{map[string]string{"companyId": co, "sort": "-createdAt"}, []string{bruno, ana}},
		{map[string]string{"companyId": co, "q": "bru"}, []string{bruno}},
		{map[string]string{"companyId": co, "q": "98888"}, []string{ana}},
		{map[string]string{"companyId": co, "q": "bruno@pad"}, []string{bruno}},
		{map[string]string{"companyId": co, "blocked": "true"}, nil},
		{map[string]string{"companyId": co, "limit": "1"}, []string{ana}},
	} {
		r := f.do(t, call{route: "GET /v1/contacts", query: tt.query}).want(t, http.StatusOK)
		var got []string
		for _, it := range r.body["items"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("GET /v1/contacts %v = %v, want %v", tt.query, got, tt.want)
		}
	}
	if r := f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"companyId": co}, workspace: "globex"}).want(t, http.StatusOK); len(r.body["items"].([]any)) != 0 {
		t.Errorf("another workspace lists the company's contacts: %s", r.raw)
	}
	f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"companyId": "x"}}).want(t, http.StatusUnprocessableEntity)
	f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"companyId": co, "sort": "-lastActivityAt"}}).want(t, http.StatusUnprocessableEntity)
	f.do(t, call{route: "GET /v1/companies/{id}/contacts", id: co, workspace: "globex"}).want(t, http.StatusNotFound)
	f.do(t, call{route: "POST /v1/companies/{id}/contacts", id: co, workspace: "globex", body: `{"contactIds":["` + ana + `"]}`}).want(t, http.StatusNotFound)

	f.do(t, call{route: "PATCH /v1/companies/{id}", id: co, body: `{"name":"Padaria Pão Dourado"}`}).want(t, http.StatusOK)
	for _, id := range []string{ana, bruno} {
		if got, want := f.linkedCompany(t, id), map[string]any{"id": co, "name": "Padaria Pão Dourado"}; !jsonEqual(got, want) {
			t.Errorf("contact %s after the rename: linkedCompany = %v, want %v", id, got, want)
		}
	}
	if got := f.linkedCompany(t, other); got != nil {
		t.Errorf("an unlinked contact shows linkedCompany %v", got)
	}

	before := map[string]map[string]any{}
	for _, id := range []string{ana, bruno} {
		before[id] = f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK).body
	}
	f.do(t, call{route: "DELETE /v1/companies/{id}", id: co}).want(t, http.StatusNoContent)
	for _, id := range []string{ana, bruno} {
		after := f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK).body
		if after["linkedCompany"] != nil || after["companyId"] != nil {
			t.Errorf("contact %s after the delete: companyId %v, linkedCompany %v; want both null", id, after["companyId"], after["linkedCompany"])
		}
		for _, k := range []string{"name", "phone", "email", "company", "createdAt"} {
			if !jsonEqual(after[k], before[id][k]) {
				t.Errorf("contact %s after the delete: %s = %v, want %v", id, k, after[k], before[id][k])
			}
		}
	}
	f.do(t, call{route: "GET /v1/companies/{id}/contacts", id: co}).want(t, http.StatusNotFound)
	if r := f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"companyId": co}}).want(t, http.StatusOK); len(r.body["items"].([]any)) != 0 {
		t.Errorf("the deleted company still lists contacts: %s", r.raw)
	}
	// The contacts' company rows went with the links: a new company of the
	// same name lists nobody.
	again := f.createCompany(t, `{"name":"Padaria Pão Dourado","taxId":"11.222.333/0001-81"}`)
	if got := f.companyContactIDs(t, again, "10"); len(got) != 0 {
		t.Errorf("a new company lists %v", got)
	}
}

// TestCompanyWallet: with agentWalletOnly, an agent sees the companies it
// owns only: another wallet's company is a 404 on every route and is not
// listed; a company the agent creates is its own.
func TestCompanyWallet(t *testing.T) {
	f := newFixture(t)
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`}).want(t, http.StatusOK)
	theirs := f.createCompany(t, `{"name":"Oculta Comércio","ownerId":"agent-2"}`)
	agent := func(c call) call { c.role, c.sub = "agent", "agent-1"; return c }
	mine := f.do(t, agent(call{route: "POST /v1/companies", body: `{"name":"Minha Loja"}`})).want(t, http.StatusCreated)
	if got, want := mine.body["ownerId"], "agent-1"; got != want {
		t.Errorf("an agent's company: ownerId %v, want %v", got, want)
	}
	for _, c := range []call{
		{route: "GET /v1/companies/{id}"},
		{route: "PATCH /v1/companies/{id}", body: `{"name":"Minha"}`},
		{route: "GET /v1/companies/{id}/contacts"},
		{route: "POST /v1/companies/{id}/contacts", body: `{"contactIds":["01jdx8k2m4n6p8r0s2t4v6w8y0"]}`},
	} {
		c.id = theirs
		f.do(t, agent(c)).want(t, http.StatusNotFound)
	}
	for _, tt := range []struct {
		query map[string]string
		want  []string
	}{{nil, []string{"Minha Loja"}}, {map[string]string{"sort": "-createdAt"}, []string{"Minha Loja"}}, {map[string]string{"q": "oculta"}, nil}} {
		if got := f.companyNames(t, agent(call{query: tt.query})); !slices.Equal(got, tt.want) {
			t.Errorf("the agent's list %v = %q, want %q", tt.query, got, tt.want)
		}
	}
	if got := f.companyNames(t, call{}); len(got) != 2 {
		t.Errorf("the owner's list = %q, want both companies", got)
	}
	if got := f.do(t, call{route: "GET /v1/companies/{id}", id: theirs}).want(t, http.StatusOK); got.body["name"] != "Oculta Comércio" || got.body["version"] != 1.0 {
		t.Errorf("agent-2's company after agent-1's calls: %s", got.raw)
	}
}

// TestCompanyMerge: a merge keeps the target's company, unless fieldChoices
// picks a source's; the company's contacts follow (the source's row goes
// with the source).
func TestCompanyMerge(t *testing.T) {
	f := newFixture(t)
	a := f.createCompany(t, `{"name":"Alfa"}`)
	b := f.createCompany(t, `{"name":"Beta"}`)
	target := f.create(t, `{"name":"Maria Alfa","email":"maria@alfa.com.br","companyId":"`+a+`"}`)
	source := f.create(t, `{"name":"Maria Beta","email":"maria@beta.com.br","companyId":"`+b+`"}`)
	f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: `{"sourceIds":["` + source + `"]}`}).want(t, http.StatusOK)
	if got, want := f.linkedCompany(t, target), map[string]any{"id": a, "name": "Alfa"}; !jsonEqual(got, want) {
		t.Errorf("after a merge: linkedCompany %v, want the target's %v", got, want)
	}
	if got := f.companyContactIDs(t, b, "10"); len(got) != 0 {
		t.Errorf("the source's company still lists %v", got)
	}

	target2 := f.create(t, `{"name":"João Alfa","email":"joao@alfa.com.br","companyId":"`+a+`"}`)
	source2 := f.create(t, `{"name":"João Beta","email":"joao@beta.com.br","companyId":"`+b+`"}`)
	f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target2, body: `{"sourceIds":["` + source2 + `"],"fieldChoices":{"companyId":"` + source2 + `"}}`}).want(t, http.StatusOK)
	if got, want := f.linkedCompany(t, target2), map[string]any{"id": b, "name": "Beta"}; !jsonEqual(got, want) {
		t.Errorf("after a merge choosing the source's company: linkedCompany %v, want %v", got, want)
	}
	if got, want := f.companyContactIDs(t, b, "10"), []string{target2}; !slices.Equal(got, want) {
		t.Errorf("Beta's contacts = %v, want %v", got, want)
	}
	if got, want := f.companyContactIDs(t, a, "10"), []string{target}; !slices.Equal(got, want) {
		t.Errorf("Alfa's contacts = %v, want %v", got, want)
	}
}

// TestMergeKeepsTheTargetsCompany: a merge keeps the target's company, or
// the source's when fieldChoices picks it, or fills it from the source when
// the target has none; the company's contacts then list the survivor alone,
// and an undo gives each contact its company back.
func TestMergeKeepsTheTargetsCompany(t *testing.T) {
	f := newFixture(t)
	coA := f.createCompany(t, `{"name":"Alfa Distribuidora"}`)
	coB := f.createCompany(t, `{"name":"Beta Clínicas"}`)
	companyOf := func(id string) any { return f.getContact(t, id)["companyId"] }
	members := func(co string) []string {
		t.Helper()
		r := f.do(t, call{route: "GET /v1/companies/{id}/contacts", id: co}).want(t, http.StatusOK)
		var out []string
		for _, it := range r.body["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	for i, tc := range []struct {
		name           string
		target, source string // the companies of the target and the source ("" none)
		choose         bool   // fieldChoices picks the source's companyId
		want           string
	}{
		{"the target's kept", coA, coB, false, coA},
		{"the source's chosen", coA, coB, true, coB},
		{"filled from the source", "", coB, false, coB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := func(name, phone, co string) string {
				if co == "" {
					return `{"name":"` + name + `","phone":"` + phone + `"}`
				}
				return `{"name":"` + name + `","phone":"` + phone + `","companyId":"` + co + `"}`
			}
			n := strconv.Itoa(i)
			target := f.create(t, body("Alvo "+n, "(11) 97"+n+"00-0001", tc.target))
			source := f.create(t, body("Fonte "+n, "(11) 97"+n+"00-0002", tc.source))
			req := `{"sourceIds":["` + source + `"]}`
			if tc.choose {
				req = `{"sourceIds":["` + source + `"],"fieldChoices":{"companyId":"` + source + `"}}`
			}
			m := f.do(t, call{route: "POST /v1/contacts/{id}/merge", id: target, body: req}).want(t, http.StatusOK)
			if got := companyOf(target); got != tc.want {
				t.Errorf("merged companyId = %v, want %v", got, tc.want)
			}
			if got := members(tc.want); !slices.Contains(got, target) || slices.Contains(got, source) {
				t.Errorf("the company's contacts = %v, want the survivor %s and not the source", got, target)
			}
			f.do(t, call{route: "POST /v1/merges/{mergeId}/undo", params: map[string]string{"mergeId": m.body["id"].(string)}, body: `{}`}).want(t, http.StatusOK)
			for id, want := range map[string]string{target: tc.target, source: tc.source} {
				got, _ := companyOf(id).(string)
				if got != want {
					t.Errorf("after undo, %s companyId = %q, want %q", id, got, want)
				}
			}
		})
	}
}
