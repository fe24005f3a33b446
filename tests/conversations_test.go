package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/omnichannel/contacts/infra/local/platform"
)

// queueURL returns the URL of the stack's queue logicalID on moto.
func queueURL(t *testing.T, p *platform.Platform, q *sqs.Client, logicalID string) *string {
	t.Helper()
	out, err := q.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(resource(t, p, "queue", logicalID))})
	if err != nil {
		t.Fatal(err)
	}
	return out.QueueUrl
}

// sendInbound puts a channel gateway's message.received event, from phone
// on the WhatsApp channel of ws, on the inbound queue.
func sendInbound(t *testing.T, p *platform.Platform, ws, phone, name string) {
	t.Helper()
	q := sqs.NewFromConfig(awsConfig(p.MotoEndpoint))
	body := `{"type":"message.received","workspace":"` + ws + `","channel":"whatsapp","messageId":"wamid.` + randomHex(8) + `",` +
		`"from":{"phone":"` + phone + `","name":"` + name + `"},"at":"` + time.Now().UTC().Format(time.RFC3339) + `"}`
	if _, err := q.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: queueURL(t, p, q, "InboundQueue"), MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
}

// TestInboundThenStart sends a channel gateway's message.received event to
// the inbound queue (moto), waits for the inbound function (through the
// emulated SQS event source mapping) to create the sender's contact on an
// active WhatsApp channel, then starts an SMS conversation through the HTTP
// API and finds its first message on the outbound queue.
func TestInboundThenStart(t *testing.T) {
	api, token := contactsPlatform(t)
	p, _ := startPlatform(t, "template.yaml", ".")
	sendInbound(t, p, "acme", "5521987651234", "Cliente do Rio")
	var id string
	eventually(t, 20*time.Second, "the inbound message created no contact", func() bool {
		_, found := send(t, "GET", api+"/v1/contacts/lookup?phone="+url.QueryEscape("(21) 98765-1234"), token, "")
		items, _ := found["items"].([]any)
		if len(items) == 1 {
			id, _ = items[0].(map[string]any)["id"].(string)
		}
		return id != ""
	})
	resp, channels := send(t, "GET", api+"/v1/contacts/"+id+"/channels", token, "")
	states := map[string]string{}
	items, _ := channels["items"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		states[m["id"].(string)], _ = m["state"].(string)
	}
	if resp.StatusCode != http.StatusOK || states["whatsapp"] != "active" || states["sms"] != "inactive" || states["instagram"] != "unavailable" {
		t.Fatalf("channels: status %d, states %v", resp.StatusCode, states)
	}

	resp, conv := send(t, "POST", api+"/v1/conversations", token, `{"contactId":"`+id+`","channel":"sms","teamId":"vendas"}`)
	if resp.StatusCode != http.StatusCreated || conv["status"] != "open" {
		t.Fatalf("start: status %d, body %v", resp.StatusCode, conv)
	}
	ctx := context.Background()
	q := sqs.NewFromConfig(awsConfig(p.MotoEndpoint))
	out := queueURL(t, p, q, "OutboundQueue")
	found := false
	eventually(t, 10*time.Second, "no conversation.started on the outbound queue", func() bool {
		got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: out, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range got.Messages {
			var e struct {
				Type           string            `json:"type"`
				ConversationID string            `json:"conversationId"`
				To             map[string]string `json:"to"`
			}
			_ = json.Unmarshal([]byte(*m.Body), &e)
			found = found || (e.Type == "conversation.started" && e.ConversationID == conv["id"] && e.To["phone"] == "+5521987651234")
		}
		return found
	})
}

// sendClose puts the chat layer's conversation.closed event on the inbound queue.
func sendClose(t *testing.T, p *platform.Platform, ws, conversationID string, at time.Time) {
	t.Helper()
	q := sqs.NewFromConfig(awsConfig(p.MotoEndpoint))
	body := `{"type":"conversation.closed","workspace":"` + ws + `","conversationId":"` + conversationID + `","at":"` + at.UTC().Format(time.RFC3339Nano) + `","reason":"inatividade"}`
	if _, err := q.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: queueURL(t, p, q, "InboundQueue"), MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
}

// TestConversationsClose, over HTTP: start (201), close (200), start again
// on the channel (201, another id); conversationStatus open, closed, open;
// two started and one closed entry on the timeline; sort=-lastActivityAt
// puts the contact just written to first; the chat layer's close sent
// twice closes once.
func TestConversationsClose(t *testing.T) {
	api, token := contactsPlatform(t)
	p, _ := startPlatform(t, "template.yaml", ".")
	digits := func() string { return fmt.Sprintf("9%04d-%04d", rand.Intn(10000), rand.Intn(10000)) }
	_, a := send(t, "POST", api+"/v1/contacts", token, `{"name":"Fecha Conversa","phone":"(11) `+digits()+`"}`)
	_, b := send(t, "POST", api+"/v1/contacts", token, `{"name":"Outra Conversa","phone":"(11) `+digits()+`"}`)
	idA, idB := a["id"].(string), b["id"].(string)
	status := func(id string) any {
		_, c := send(t, "GET", api+"/v1/contacts/"+id, token, "")
		return c["conversationStatus"]
	}
	start := func(id string) string {
		t.Helper()
		resp, conv := send(t, "POST", api+"/v1/conversations", token, `{"contactId":"`+id+`","channel":"sms","teamId":"vendas"}`)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("start: status %d, body %v", resp.StatusCode, conv)
		}
		return conv["id"].(string)
	}
	first := start(idA)
	if got := status(idA); got != "open" {
		t.Fatalf("after start: conversationStatus %v", got)
	}
	resp, closed := send(t, "POST", api+"/v1/conversations/"+first+"/close", token, `{"reason":"resolvido"}`)
	if resp.StatusCode != http.StatusOK || closed["status"] != "closed" || closed["closedReason"] != "resolvido" {
		t.Fatalf("close: status %d, body %v", resp.StatusCode, closed)
	}
	if resp, again := send(t, "POST", api+"/v1/conversations/"+first+"/close", token, ""); resp.StatusCode != http.StatusOK || again["closedAt"] != closed["closedAt"] {
		t.Errorf("second close: status %d, body %v, want 200 and no change", resp.StatusCode, again)
	}
	if got := status(idA); got != "closed" {
		t.Errorf("after close: conversationStatus %v", got)
	}
	if second := start(idA); second == first {
		t.Errorf("start after close returned the closed conversation %s", first)
	}
	if got := status(idA); got != "open" {
		t.Errorf("after the second start: conversationStatus %v", got)
	}
	_, tl := send(t, "GET", api+"/v1/contacts/"+idA+"/timeline?limit=100", token, "")
	actions := map[string]int{}
	for _, e := range tl["items"].([]any) {
		if e := e.(map[string]any); e["type"] == "conversation" {
			actions[e["action"].(string)]++
		}
	}
	if actions["started"] != 2 || actions["closed"] != 1 {
		t.Errorf("timeline conversation entries %v, want 2 started and 1 closed", actions)
	}
	convB := start(idB)
	_, list := send(t, "GET", api+"/v1/contacts?sort=-lastActivityAt&limit=2", token, "")
	rows := list["items"].([]any)
	if len(rows) < 2 || rows[0].(map[string]any)["id"] != idB || rows[1].(map[string]any)["id"] != idA {
		t.Errorf("sort=-lastActivityAt rows %v, want %s then %s", rows, idB, idA)
	}
	at := time.Now()
	sendClose(t, p, "acme", convB, at)
	sendClose(t, p, "acme", convB, at)
	eventually(t, 20*time.Second, "the chat layer's close did not close the conversation", func() bool { return status(idB) == "closed" })
	time.Sleep(2 * time.Second) // the redelivered close, processed by now, changed nothing
	_, tl = send(t, "GET", api+"/v1/contacts/"+idB+"/timeline?limit=100", token, "")
	closes := 0
	for _, e := range tl["items"].([]any) {
		if e := e.(map[string]any); e["type"] == "conversation" && e["action"] == "closed" {
			closes++
		}
	}
	if closes != 1 {
		t.Errorf("the close sent twice wrote %d closed entries, want 1", closes)
	}
}
