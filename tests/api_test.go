package tests

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func contactsPlatform(t *testing.T) (url, token string) {
	t.Helper()
	p, _ := startPlatform(t, "template.yaml", ".")
	tok, err := p.Token("user-1", "acme", "owner")
	if err != nil {
		t.Fatal(err)
	}
	return p.APIURL, tok
}

func send(t *testing.T, method, url, token, body string, headers ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, url, raw)
		}
	}
	return resp, out
}

// TestContactEndToEnd creates, reads, updates and deletes a contact through
// the HTTP API, the contacts function's real bootstrap and DynamoDB Local.
func TestContactEndToEnd(t *testing.T) {
	api, token := contactsPlatform(t)
	resp, created := send(t, "POST", api+"/v1/contacts", token, `{"name":"Maria da Silva","phone":"(11) 99999-1234"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: status %d, body %v", resp.StatusCode, created)
	}
	id, _ := created["id"].(string)
	if got := resp.Header.Get("Location"); got != "/v1/contacts/"+id {
		t.Errorf("Location = %q", got)
	}
	resp, got := send(t, "GET", api+"/v1/contacts/"+id, token, "")
	if resp.StatusCode != http.StatusOK || got["phone"] != "+5511999991234" {
		t.Fatalf("read: status %d, body %v", resp.StatusCode, got)
	}
	resp, got = send(t, "PATCH", api+"/v1/contacts/"+id, token, `{"company":"ACME"}`, "If-Match", resp.Header.Get("ETag"))
	if resp.StatusCode != http.StatusOK || got["company"] != "ACME" {
		t.Fatalf("update: status %d, body %v", resp.StatusCode, got)
	}
	if resp, _ := send(t, "DELETE", api+"/v1/contacts/"+id, token, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: status %d", resp.StatusCode)
	}
	if resp, _ := send(t, "GET", api+"/v1/contacts/"+id, token, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("read after delete: status %d, want 404", resp.StatusCode)
	}
}

func TestUnauthenticated(t *testing.T) {
	api, token := contactsPlatform(t)
	for _, tok := range []string{"", "not-a-jwt", token[:len(token)-4] + "AAAA"} {
		resp, body := send(t, "GET", api+"/v1/contacts/01jdx0000000000000000000zz", tok, "")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token %.12q: status %d, want 401 (%v)", tok, resp.StatusCode, body)
		}
	}
}

// TestBlockPublishesEvent blocks a contact through the HTTP API and finds
// contact.blocked on the contact events queue (moto), as workflows would.
func TestBlockPublishesEvent(t *testing.T) {
	api, token := contactsPlatform(t)
	p, _ := startPlatform(t, "template.yaml", ".")
	_, created := send(t, "POST", api+"/v1/contacts", token, `{"name":"Spam","phone":"(11) 98888-7777"}`)
	id, _ := created["id"].(string)
	if resp, body := send(t, "POST", api+"/v1/contacts/"+id+"/block", token, ""); resp.StatusCode != http.StatusOK || body["blocked"] != true {
		t.Fatalf("block: status %d, body %v", resp.StatusCode, body)
	}
	ctx := context.Background()
	q := sqs.NewFromConfig(awsConfig(p.MotoEndpoint))
	url, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(resource(t, p, "queue", "ContactEventsQueue"))})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	eventually(t, 10*time.Second, "no contact.blocked event on the queue", func() bool {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var e map[string]any
			_ = json.Unmarshal([]byte(*m.Body), &e)
			found = found || (e["type"] == "contact.blocked" && e["contactId"] == id && e["workspace"] == "acme")
		}
		return found
	})
}
