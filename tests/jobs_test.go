package tests

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/sheets"
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

// upload sends a file as POST /v1/imports told, as a browser's FormData
// does: a multipart/form-data POST (with its Content-Length, which S3
// requires) of the upload's fields, then the file. It returns the status.
func upload(t *testing.T, started map[string]any, file io.Reader) int {
	t.Helper()
	up := started["upload"].(map[string]any)
	if up["method"] != "POST" {
		t.Fatalf("upload method %v, want POST", up["method"])
	}
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	for k, v := range up["fields"].(map[string]any) {
		_ = form.WriteField(k, v.(string))
	}
	part, _ := form.CreateFormFile("file", "upload")
	if _, err := io.Copy(part, file); err != nil {
		t.Fatal(err)
	}
	_ = form.Close()
	req, _ := http.NewRequest(http.MethodPost, up["url"].(string), &body)
	req.Header.Set("Content-Type", form.FormDataContentType())
	for k, v := range up["headers"].(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// importFile starts an import of file as a front end does, through a
// presigned POST form to moto's S3 (its notification starts the import
// function, which runs from its SQS queue), and returns the job once it
// ended.
func importFile(t *testing.T, api, token, file string) map[string]any {
	t.Helper()
	resp, started := send(t, "POST", api+"/v1/imports", token, `{"fileName":"clientes.csv","mode":"upsert"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start import: %d %v", resp.StatusCode, started)
	}
	if status := upload(t, started, strings.NewReader(file)); status != http.StatusNoContent {
		t.Fatalf("upload: status %d, want 204", status)
	}
	return waitJob(t, api, token, "/v1/jobs/"+started["jobId"].(string))
}

// TestImportExportBulkDelete drives the three jobs through the local
// platform as a front end would: an import through a presigned POST form
// to moto's S3 (its notification starts the import function, which runs
// from its SQS queue), the error report and an export downloaded through
// presigned URLs, and a delete of everything after confirming the count.
//
// It runs in a workspace of its own: a delete of everything in the shared
// one would race the other tests' contacts (and wait for them).
func TestImportExportBulkDelete(t *testing.T) {
	p, _, tok := workspaceTokens(t, "owner")
	api, token := p.APIURL, tok["owner"]
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

// TestImportOverLimitUpload: a file one byte over the limit. S3 refuses it
// from the upload form (the policy's content-length-range); moto does not,
// so it lands, and the import function fails the job with file_too_large
// and deletes the file before reading it: nothing is imported or kept.
func TestImportOverLimitUpload(t *testing.T) {
	p, _ := startPlatform(t, "template.yaml", ".")
	token, err := p.Token("user-1", "acme-limit", "owner")
	if err != nil {
		t.Fatal(err)
	}
	resp, started := send(t, "POST", p.APIURL+"/v1/imports", token, `{"fileName":"grande.csv","mode":"create"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start import: %d %v", resp.StatusCode, started)
	}
	head := "Nome;Telefone\r\nAna;(11) 98888-0001\r\n"
	file := io.MultiReader(strings.NewReader(head), bytes.NewReader(make([]byte, sheets.DefaultMaxBytes+1-int64(len(head)))))
	if status := upload(t, started, file); status != http.StatusNoContent {
		t.Fatalf("upload: status %d, want moto's 204", status)
	}
	job := waitJob(t, p.APIURL, token, "/v1/jobs/"+started["jobId"].(string))
	want := errs.Message(errs.English, "file_too_large", map[string]string{"max": fmt.Sprint(sheets.DefaultMaxBytes)})
	if job["status"] != "failed" || job["error"] != want {
		t.Fatalf("job = %v, want failed with %q", job, want)
	}
	key := started["upload"].(map[string]any)["fields"].(map[string]any)["key"].(string)
	client := s3.NewFromConfig(awsConfig(p.MotoEndpoint), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := resource(t, p, "bucket", "ImportBucket")
	eventually(t, 10*time.Second, "the file over the limit was kept", func() bool {
		_, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String(key)})
		var nf *types.NotFound
		return errors.As(err, &nf)
	})
	if _, list := send(t, "GET", p.APIURL+"/v1/contacts", token, ""); len(list["items"].([]any)) != 0 {
		t.Errorf("contacts imported from a refused file: %v", list["items"])
	}
}
