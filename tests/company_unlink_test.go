package tests

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/company"
)

// TestCompanyDeleteByJobOverHTTP deletes a company with one contact more
// than a delete unlinks in the request: the answer is a 202 with a
// company_unlink job, which the companyunlink worker runs from its SQS
// queue on the local platform until every contact is unlinked, intact.
func TestCompanyDeleteByJobOverHTTP(t *testing.T) {
	api, token := contactsPlatform(t)
	tag := randomDigits(6)
	co := must(t, http.StatusCreated, "POST", api+"/v1/companies", token, `{"name":"Atacado `+tag+`"}`)["id"].(string)
	var ids []string
	for i := range company.DefaultUnlinkInline + 1 {
		c := must(t, http.StatusCreated, "POST", api+"/v1/contacts", token,
			fmt.Sprintf(`{"name":"Cliente %s %02d","email":"c%d-%s@atacado.com.br","companyId":"%s"}`, tag, i, i, tag, co))
		ids = append(ids, c["id"].(string))
	}
	resp, body := send(t, "DELETE", api+"/v1/companies/"+co, token, "")
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") != "/v1/jobs/"+fmt.Sprint(body["jobId"]) {
		t.Fatalf("delete: status %d, Location %q, body %v; want 202 with the job", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var job map[string]any
	eventually(t, 60*time.Second, "the company_unlink job did not succeed", func() bool {
		_, job = send(t, "GET", api+resp.Header.Get("Location"), token, "")
		return job["status"] == "succeeded"
	})
	if counts, _ := job["counts"].(map[string]any); counts["unlinked"] != float64(len(ids)) || job["type"] != "company_unlink" {
		t.Errorf("job = %v, want a company_unlink with %d unlinked", job, len(ids))
	}
	for i, id := range ids {
		c := must(t, http.StatusOK, "GET", api+"/v1/contacts/"+id, token, "")
		if c["companyId"] != nil || c["linkedCompany"] != nil || c["version"] != 2.0 || c["name"] != fmt.Sprintf("Cliente %s %02d", tag, i) {
			t.Errorf("contact %s = %v, want unlinked, version 2, name kept", id, c)
		}
	}
	if list := must(t, http.StatusOK, "GET", api+"/v1/contacts?companyId="+co, token, ""); len(list["items"].([]any)) != 0 {
		t.Errorf("?companyId= of the deleted company lists %v", list["items"])
	}
}
