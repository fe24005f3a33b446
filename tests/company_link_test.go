package tests

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestImportExportCompanyLink: over the local platform, an import's
// company column links each contact to the company of that name (accents
// and case aside) and, with createCompanies, creates a missing one once;
// an export writes each contact's companyId and companyName.
func TestImportExportCompanyLink(t *testing.T) {
	api, token := contactsPlatform(t)
	suffix := randomDigits(6)
	resp, clinic := send(t, "POST", api+"/v1/companies", token, `{"name":"Clínica Sul `+suffix+`"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create company: %d %v", resp.StatusCode, clinic)
	}
	file := "Nome;Telefone;Empresa\r\n" +
		"Ana " + suffix + ";(21) 97" + suffix[:3] + "-" + suffix[3:] + "1;clinica sul " + suffix + "\r\n" +
		"Bia " + suffix + ";(21) 96" + suffix[:3] + "-" + suffix[3:] + "2;Nova " + suffix + "\r\n" +
		"Caio " + suffix + ";(21) 95" + suffix[:3] + "-" + suffix[3:] + "3;NOVA " + suffix + "\r\n"
	resp, started := send(t, "POST", api+"/v1/imports", token, `{"fileName":"b2b.csv","mode":"create","createCompanies":true}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start import: %d %v", resp.StatusCode, started)
	}
	if status := upload(t, started, strings.NewReader(file)); status != http.StatusNoContent {
		t.Fatalf("upload: status %d, want 204", status)
	}
	job := waitJob(t, api, token, "/v1/jobs/"+started["jobId"].(string))
	if job["status"] != "succeeded" || job["counts"].(map[string]any)["created"] != float64(3) {
		t.Fatalf("import job = %v", job)
	}
	_, found := send(t, "GET", api+"/v1/companies?q="+url.QueryEscape("nova "+suffix), token, "")
	items, _ := found["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("companies named Nova %s = %v, want one", suffix, found)
	}
	nova := items[0].(map[string]any)
	for company, want := range map[string][]string{clinic["id"].(string): {"Ana " + suffix}, nova["id"].(string): {"Bia " + suffix, "Caio " + suffix}} {
		_, list := send(t, "GET", api+"/v1/contacts?companyId="+company, token, "")
		var names []string
		for _, it := range list["items"].([]any) {
			names = append(names, it.(map[string]any)["name"].(string))
		}
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("contacts of company %s = %q, want %q", company, names, want)
		}
	}

	resp, exp := send(t, "POST", api+"/v1/exports", token, `{"format":"csv","columns":["name","companyId","companyName"]}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start export: %d %v", resp.StatusCode, exp)
	}
	job = waitJob(t, api, token, resp.Header.Get("Location"))
	if job["status"] != "succeeded" {
		t.Fatalf("export job = %v", job)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(fetch(t, job["downloadUrl"].(string)), "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"Ana " + suffix:  {clinic["id"].(string), "Clínica Sul " + suffix},
		"Bia " + suffix:  {nova["id"].(string), "Nova " + suffix},
		"Caio " + suffix: {nova["id"].(string), "Nova " + suffix},
	}
	seen := 0
	for _, row := range rows[1:] {
		if w, ok := want[row[0]]; ok {
			seen++
			if !slices.Equal(row[1:], w) {
				t.Errorf("%s: exported %q, want %q", row[0], row[1:], w)
			}
		}
	}
	if seen != 3 {
		t.Errorf("the export has %d of the 3 imported contacts:\n%q", seen, rows)
	}
}
