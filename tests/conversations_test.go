package tests

import (
	"context"
	"encoding/json"
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
