package tests

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// idsOf returns the ids of a list or lookup response's items.
func idsOf(body map[string]any) []string {
	var out []string
	items, _ := body["items"].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m["id"].(string))
		}
	}
	return out
}

// TestSeveralIdentitiesOverHTTP: issue 16's "Done when" on the local
// platform. A contact with a phone and two other numbers is found by lookup
// and by search with each; a message from its second number lands on it;
// two contacts merge and the survivor holds both numbers, an undo gives
// both back; a taken externalId is a 409; a PUT by external id twice is 201
// then 200 and one contact.
func TestSeveralIdentitiesOverHTTP(t *testing.T) {
	api, token := contactsPlatform(t)
	p, _ := startPlatform(t, "template.yaml", ".")
	numbers := []string{"(31) 98123-4001", "(31) 98123-4002", "(31) 98123-4003"}
	resp, c := send(t, "POST", api+"/v1/contacts", token, `{"name":"Várias Linhas","phone":"`+numbers[0]+`","otherPhones":["`+numbers[1]+`","`+numbers[2]+`"]}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %v", resp.StatusCode, c)
	}
	id := c["id"].(string)
	for _, n := range numbers {
		if _, r := send(t, "GET", api+"/v1/contacts/lookup?phone="+url.QueryEscape(n), token, ""); !slices.Equal(idsOf(r), []string{id}) {
			t.Errorf("lookup %s: %v, want the contact", n, idsOf(r))
		}
		if _, r := send(t, "GET", api+"/v1/contacts?q="+url.QueryEscape(n), token, ""); !slices.Equal(idsOf(r), []string{id}) {
			t.Errorf("search %s: %v, want the contact once", n, idsOf(r))
		}
	}
	sendInbound(t, p, "acme", "5531981234002", "Segunda Linha")
	eventually(t, 20*time.Second, "the message from the second number on the contact", func() bool {
		_, r := send(t, "GET", api+"/v1/contacts/"+id+"/conversations", token, "")
		return len(idsOf(r)) == 1
	})
	if _, r := send(t, "GET", api+"/v1/contacts/lookup?phone="+url.QueryEscape(numbers[1]), token, ""); !slices.Equal(idsOf(r), []string{id}) {
		t.Errorf("after the message, the second number finds %v: a new contact?", idsOf(r))
	}

	_, a := send(t, "POST", api+"/v1/contacts", token, `{"name":"Fusão A","phone":"(31) 97000-1001"}`)
	_, b := send(t, "POST", api+"/v1/contacts", token, `{"name":"Fusão B","phone":"(31) 97000-1002"}`)
	_, beforeA := send(t, "GET", api+"/v1/contacts/"+a["id"].(string), token, "")
	resp, m := send(t, "POST", api+"/v1/contacts/"+a["id"].(string)+"/merge", token, `{"sourceIds":["`+b["id"].(string)+`"]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("merge: %d %v", resp.StatusCode, m)
	}
	_, merged := send(t, "GET", api+"/v1/contacts/"+a["id"].(string), token, "")
	if merged["phone"] != "+5531970001001" || !slices.Equal(stringList(merged["otherPhones"]), []string{"+5531970001002"}) {
		t.Errorf("survivor: phone %v, otherPhones %v, want both numbers", merged["phone"], merged["otherPhones"])
	}
	mustStatus(t, http.StatusOK, "POST", api+"/v1/merges/"+m["id"].(string)+"/undo", token, `{}`)
	_, afterA := send(t, "GET", api+"/v1/contacts/"+a["id"].(string), token, "")
	_, afterB := send(t, "GET", api+"/v1/contacts/"+b["id"].(string), token, "")
	if afterA["phone"] != beforeA["phone"] || len(stringList(afterA["otherPhones"])) != 0 || afterB["phone"] != "+5531970001002" {
		t.Errorf("after undo: A %v %v, B %v", afterA["phone"], afterA["otherPhones"], afterB["phone"])
	}

	ext := "erp-" + randomHex(4)
	mustStatus(t, http.StatusCreated, "POST", api+"/v1/contacts", token, `{"name":"Com Id","email":"`+ext+`@example.com","externalId":"`+ext+`"}`)
	if resp, r := send(t, "POST", api+"/v1/contacts", token, `{"name":"Outro","email":"outro-`+ext+`@example.com","externalId":"`+ext+`"}`); resp.StatusCode != http.StatusConflict || r["code"] != "external_id_taken" {
		t.Errorf("a taken externalId: %d %v, want 409 external_id_taken", resp.StatusCode, r)
	}
	put := "erp-42-" + randomHex(4)
	mustStatus(t, http.StatusCreated, "PUT", api+"/v1/contacts/by-external-id/"+put, token, `{"name":"Do ERP","email":"`+put+`@example.com"}`)
	mustStatus(t, http.StatusOK, "PUT", api+"/v1/contacts/by-external-id/"+put, token, `{"name":"Do ERP","email":"`+put+`@example.com"}`)
	if _, r := send(t, "GET", api+"/v1/contacts/lookup?externalId="+put, token, ""); len(idsOf(r)) != 1 {
		t.Errorf("lookup by external id after two PUTs: %v, want one contact", idsOf(r))
	}
}

func stringList(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, s := range list {
		out = append(out, s.(string))
	}
	return out
}
