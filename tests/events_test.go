package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// subscribe makes a queue and a rule of the stack's event bus that sends it
// every contacts event, as a team would with the AWS CLI (docs/local.md),
// and returns a function that receives what has arrived.
func subscribe(t *testing.T, endpoint, bus string) func() []map[string]any {
	t.Helper()
	ctx := context.Background()
	cfg := awsConfig(endpoint)
	q, eb := sqs.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	name := "subscriber-" + randomHex(4)
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: created.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus), EventPattern: aws.String(`{"source":["contacts"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	return func() []map[string]any {
		var out []map[string]any
		for {
			r, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Messages) == 0 {
				return out
			}
			for _, m := range r.Messages {
				var e map[string]any
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
					t.Fatalf("not an EventBridge event: %s", aws.ToString(m.Body))
				}
				out = append(out, e)
				q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: created.QueueUrl, ReceiptHandle: m.ReceiptHandle})
			}
		}
	}
}

// TestChangeEventsOnTheBus: on the local platform, a queue subscribed to
// the stack's bus receives, for the matching API calls, contact.created,
// contact.updated (with the field's old and new values), contact.tagged,
// contact.merged and contact.deleted, in order by the contact's version,
// and nothing for a request that failed validation or lost a race.
func TestChangeEventsOnTheBus(t *testing.T) {
	api, token := contactsPlatform(t)
	p, _ := startPlatform(t, "template.yaml", ".")
	receive := subscribe(t, p.MotoEndpoint, resource(t, p, "bus", "EventBus"))

	_, a := send(t, "POST", api+"/v1/contacts", token, `{"name":"Evento Um","phone":"(11) 97777-0001"}`)
	_, b := send(t, "POST", api+"/v1/contacts", token, `{"name":"Evento Dois","email":"dois@example.com"}`)
	id, other := a["id"].(string), b["id"].(string)
	mustStatus(t, http.StatusOK, "PATCH", api+"/v1/contacts/"+id, token, `{"company":"Acme Ltda"}`)
	mustStatus(t, http.StatusUnprocessableEntity, "PATCH", api+"/v1/contacts/"+id, token, `{"email":"not an email"}`)
	mustStatus(t, http.StatusPreconditionFailed, "PATCH", api+"/v1/contacts/"+id, token, `{"company":"Lost race"}`, "If-Match", `"1"`)
	mustStatus(t, http.StatusOK, "POST", api+"/v1/contacts/"+id+"/tags", token, `{"tags":["Evento"]}`)
	mustStatus(t, http.StatusOK, "POST", api+"/v1/contacts/"+id+"/merge", token, `{"sourceIds":["`+other+`"]}`)
	mustStatus(t, http.StatusNoContent, "DELETE", api+"/v1/contacts/"+id, token, "")

	var got []map[string]any
	eventually(t, 20*time.Second, "the events of the contact on the subscribed queue", func() bool {
		got = append(got, receive()...)
		return slices.ContainsFunc(got, func(e map[string]any) bool {
			return e["detail-type"] == "contact.deleted" && detail(e)["contactId"] == id
		})
	})
	var mine []map[string]any
	for _, e := range got {
		if detail(e)["contactId"] == id {
			mine = append(mine, e)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return version(mine[i]) < version(mine[j]) })
	var types []string
	for _, e := range mine {
		if e["source"] != "contacts" {
			t.Errorf("source %v", e["source"])
		}
		types = append(types, e["detail-type"].(string))
	}
	// The merge writes the target (updated: its email) and publishes merged.
	want := []string{"contact.created", "contact.updated", "contact.tagged", "contact.updated", "contact.merged", "contact.deleted"}
	if !slices.Equal(withoutRepeats(mine, types), want) {
		t.Fatalf("events of the contact by version: %v, want %v", types, want)
	}
	upd := detail(mine[1])["changes"].(map[string]any)
	if c, _ := upd["company"].(map[string]any); c == nil || c["old"] != nil || c["new"] != "Acme Ltda" || upd["email"] != nil {
		t.Errorf("contact.updated changes: %v", upd)
	}
	for _, e := range got {
		if strings.Contains(mustJSON(e), "Lost race") || strings.Contains(mustJSON(e), "not an email") {
			t.Errorf("an event of a failed request: %v", e)
		}
	}
}

func detail(e map[string]any) map[string]any {
	d, _ := e["detail"].(map[string]any)
	return d
}

// version orders a contact's events; merged (no version) comes after the
// target's write of the same merge, deleted (its last version) last.
func version(e map[string]any) float64 {
	v, _ := detail(e)["version"].(float64)
	switch e["detail-type"] {
	case "contact.merged":
		return 1e9
	case "contact.deleted":
		return 2e9
	}
	return v
}

// withoutRepeats drops events delivered twice (the same detail id).
func withoutRepeats(evs []map[string]any, types []string) []string {
	seen := map[string]bool{}
	var out []string
	for i, e := range evs {
		id, _ := detail(e)["id"].(string)
		if !seen[id] {
			seen[id] = true
			out = append(out, types[i])
		}
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func mustStatus(t *testing.T, want int, method, url, token, body string, headers ...string) {
	t.Helper()
	if resp, got := send(t, method, url, token, body, headers...); resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %v", method, url, resp.StatusCode, want, got)
	}
}
