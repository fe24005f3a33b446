package tests

import (
	"net/http"
	"testing"
	"time"
)

// TestRemoveDuplicatesJob creates two contacts with the same number (one in
// the old 8-digit form) through the HTTP API, starts the remove-duplicates
// job, and follows it through the job API while the duplicates worker runs
// from its SQS queue on the local platform: the newer contact ends merged
// into the older one, and the merge can be undone.
func TestRemoveDuplicatesJob(t *testing.T) {
	api, token := contactsPlatform(t)
	phone := "(31) 99" + randomDigits(3) + "-" + randomDigits(4)
	_, older := send(t, "POST", api+"/v1/contacts", token, `{"name":"Joana Antiga","phone":"`+phone+`"}`)
	_, newer := send(t, "POST", api+"/v1/contacts", token, `{"name":"Joana Nova","phone":"`+phone+`","email":"joana@example.com"}`)
	olderID, _ := older["id"].(string)
	newerID, _ := newer["id"].(string)
	resp, body := send(t, "POST", api+"/v1/duplicates/remove", token, "")
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") != "/v1/jobs/"+body["jobId"].(string) {
		t.Fatalf("remove duplicates: status %d, Location %q, body %v", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var job map[string]any
	eventually(t, 30*time.Second, "the remove-duplicates job did not succeed", func() bool {
		_, job = send(t, "GET", api+resp.Header.Get("Location"), token, "")
		return job["status"] == "succeeded"
	})
	counts, _ := job["counts"].(map[string]any)
	if counts["merges"] == nil || counts["merges"].(float64) < 1 {
		t.Fatalf("job = %v, want at least one merge", job)
	}
	resp, gone := send(t, "GET", api+"/v1/contacts/"+newerID, token, "")
	if resp.StatusCode != http.StatusNotFound || gone["mergedInto"] != olderID {
		t.Fatalf("newer contact after the job: status %d, body %v; want 404 merged into %s", resp.StatusCode, gone, olderID)
	}
	_, kept := send(t, "GET", api+"/v1/contacts/"+olderID, token, "")
	if kept["email"] != "joana@example.com" {
		t.Errorf("older contact = %v, want the newer one's email filled in", kept)
	}
	_, merges := send(t, "GET", api+"/v1/merges", token, "")
	items, _ := merges["items"].([]any)
	var mergeID string
	for _, it := range items {
		m := it.(map[string]any)
		if m["targetId"] == olderID {
			mergeID, _ = m["id"].(string)
		}
	}
	if resp, undone := send(t, "POST", api+"/v1/merges/"+mergeID+"/undo", token, ""); resp.StatusCode != http.StatusOK || undone["status"] != "undone" {
		t.Fatalf("undo: status %d, body %v", resp.StatusCode, undone)
	}
	if resp, _ := send(t, "GET", api+"/v1/contacts/"+newerID, token, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("newer contact after undo: status %d, want 200", resp.StatusCode)
	}
}

// randomDigits returns n random decimal digits.
func randomDigits(n int) string {
	h := randomHex(n)
	out := make([]byte, n)
	for i := range out {
		out[i] = '0' + h[i]%10
	}
	return string(out)
}
