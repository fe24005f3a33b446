package tests

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// waitJob polls a job until it ends and returns it.
func waitJob(t *testing.T, api, token, location string) map[string]any {
	t.Helper()
	var job map[string]any
	eventually(t, 60*time.Second, "the job did not end", func() bool {
		_, job = send(t, "GET", api+location, token, "")
		switch job["status"] {
		case "succeeded", "failed", "cancelled":
			return true
		}
		return false
	})
	return job
}

// fetch GETs a presigned URL and returns the body.
func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// importFile starts an import of file as a front end does, through a
// presigned PUT to moto's S3 (its notification starts the import function,
// which runs from its SQS queue), and returns the job once it ended.
func importFile(t *testing.T, api, token, file string) map[string]any {
	t.Helper()
	resp, started := send(t, "POST", api+"/v1/imports", token, `{"fileName":"clientes.csv","mode":"upsert"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start import: %d %v", resp.StatusCode, started)
	}
	upload := started["upload"].(map[string]any)
	req, _ := http.NewRequest(upload["method"].(string), upload["url"].(string), strings.NewReader(file))
	for k, v := range upload["headers"].(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	put, err := http.DefaultClient.Do(req)
	if err != nil || put.StatusCode != http.StatusOK {
		t.Fatalf("upload: %v %v", put, err)
	}
	put.Body.Close()
	return waitJob(t, api, token, "/v1/jobs/"+started["jobId"].(string))
}

// TestImportExportBulkDelete drives the three jobs through the local
// platform as a front end would: an import through a presigned PUT to
// moto's S3 (its notification starts the import function, which runs from
// its SQS queue), the error report and an export downloaded through
// presigned URLs, and a delete of everything after confirming the count.
func TestImportExportBulkDelete(t *testing.T) {
	api, token := contactsPlatform(t)
	suffix := randomDigits(4)
	file := "Nome;Telefone;E-mail;Etiquetas\r\n" +
		"Ana Souza;(21) 98888-" + suffix + ";ana" + suffix + "@example.com;VIP\r\n" +
		"Bruno Lima;12345;;\r\n" +
		"Carla Dias;;carla" + suffix + "@example.com;VIP, Atacado\r\n"
	job := importFile(t, api, token, file)
	counts := job["counts"].(map[string]any)
	if job["status"] != "succeeded" || counts["created"] != float64(2) || counts["failed"] != float64(1) {
		t.Fatalf("import job = %v", job)
	}
	report := fetch(t, job["errorReportUrl"].(string))
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(report, "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != "3" || rows[1][1] != "Bruno Lima" || !strings.Contains(rows[1][len(rows[1])-1], "phone") {
		t.Fatalf("error report = %q (%v)", report, err)
	}

	resp, exp := send(t, "POST", api+"/v1/exports", token, `{"format":"csv","filter":{"tag":["VIP"]}}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start export: %d %v", resp.StatusCode, exp)
	}
	job = waitJob(t, api, token, resp.Header.Get("Location"))
	if job["status"] != "succeeded" {
		t.Fatalf("export job = %v", job)
	}
	exported := fetch(t, job["downloadUrl"].(string))
	for _, want := range []string{"Ana Souza", "Carla Dias"} {
		if !strings.Contains(exported, want) {
			t.Errorf("export lacks %s:\n%s", want, exported)
		}
	}

	resp, refused := send(t, "POST", api+"/v1/contacts/bulk-delete", token, `{"all":true,"confirmCount":0}`)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("delete all with a wrong count: %d %v", resp.StatusCode, refused)
	}
	var current int
	fmt.Sscanf(refused["detail"].(string)[strings.IndexAny(refused["detail"].(string), "0123456789"):], "%d", &current)
	resp, del := send(t, "POST", api+"/v1/contacts/bulk-delete", token, fmt.Sprintf(`{"all":true,"confirmCount":%d}`, current))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete all: %d %v", resp.StatusCode, del)
	}
	job = waitJob(t, api, token, resp.Header.Get("Location"))
	if job["status"] != "succeeded" || job["counts"].(map[string]any)["deleted"] != float64(current) {
		t.Fatalf("bulk delete job = %v (want %d deleted)", job, current)
	}
	_, list := send(t, "GET", api+"/v1/contacts", token, "")
	if items := list["items"].([]any); len(items) != 0 {
		t.Errorf("%d contacts left after deleting all", len(items))
	}
}
