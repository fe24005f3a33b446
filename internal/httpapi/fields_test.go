package httpapi_test

import (
	"net/http"
	"reflect"
	"sort"
	"testing"
)

const planFields = `{"fields":[{"key":"plan","label":"Plano","type":"select","options":["free","pro"]},{"key":"seats","label":"Assentos","type":"number"}],"order":["name","plan","phone"]}`

func TestContactFields(t *testing.T) {
	f := newFixture(t)
	defaults := f.do(t, call{route: "GET /v1/contact-fields"}).want(t, http.StatusOK)
	if got := defaults.headers["ETag"]; got != `"1"` {
		t.Errorf("ETag of the defaults = %q, want \"1\"", got)
	}
	if got := defaults.body["fields"].([]any); len(got) != 0 {
		t.Errorf("default fields = %v, want none", got)
	}

	// Custom fields are refused until they are defined.
	f.do(t, call{route: "POST /v1/contacts", body: `{"email":"a@b.co","customFields":{"plan":"pro"}}`}).want(t, http.StatusUnprocessableEntity)

	f.do(t, call{route: "PUT /v1/contact-fields", body: planFields, role: "agent"}).want(t, http.StatusForbidden)
	saved := f.do(t, call{route: "PUT /v1/contact-fields", body: planFields, role: "manager", headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusOK)
	if got := saved.headers["ETag"]; got != `"2"` {
		t.Errorf("ETag after the first save = %q, want \"2\"", got)
	}
	order := saved.body["order"].([]any)
	if want := []any{"name", "plan", "phone", "firstName"}; !reflect.DeepEqual(order[:4], want) {
		t.Errorf("order starts %v, want %v", order[:4], want)
	}
	if got, want := order[len(order)-1], "seats"; got != want {
		t.Errorf("order ends with %v, want the unplaced custom field %v", got, want)
	}
	f.do(t, call{route: "PUT /v1/contact-fields", body: planFields, headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusPreconditionFailed)

	id := f.create(t, `{"email":"a@b.co","customFields":{"plan":"pro","seats":3}}`)
	f.do(t, call{route: "POST /v1/contacts", body: `{"email":"a@b.co","customFields":{"plan":"gold"}}`}).want(t, http.StatusUnprocessableEntity)

	// A definition removed or changed later does not block editing anything else.
	f.do(t, call{route: "PUT /v1/contact-fields", body: `{"fields":[{"key":"plan","type":"select","options":["basic"]}]}`}).want(t, http.StatusOK)
	r := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"company":"ACME"}`}).want(t, http.StatusOK)
	if got, want := r.body["customFields"], map[string]any{"plan": "pro", "seats": float64(3)}; !reflect.DeepEqual(got, want) {
		t.Errorf("customFields after an unrelated edit = %v, want %v kept", got, want)
	}
	r = f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"customFields":{"plan":"basic"}}`}).want(t, http.StatusOK)
	if got, want := r.body["customFields"], map[string]any{"plan": "basic", "seats": float64(3)}; !reflect.DeepEqual(got, want) {
		t.Errorf("customFields = %v, want %v", got, want)
	}
	r = f.do(t, call{route: "PATCH /v1/contacts/{id}", id: id, body: `{"customFields":{"seats":4}}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := r.fieldErrors(), []string{"customFields.seats:unknown_field"}; !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
}

func TestContactFieldsValidation(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, call{route: "PUT /v1/contact-fields", body: `{"fields":[
		{"key":"Plan","type":"select","options":["a"]},
		{"key":"tier","type":"select"},
		{"key":"tier2","type":"color"},
		{"key":"email","type":"text"},
		{"key":"x","type":"text"},{"key":"x","type":"number"}
	],"order":["nope"],"extra":1}`}).want(t, http.StatusUnprocessableEntity)
	want := []string{"extra:unknown_field", "fields[0].key:key_invalid", "fields[1].options:options_required", "fields[2].type:choice_invalid",
		"fields[3].key:duplicate", "fields[5].key:duplicate", "order[0]:unknown_field"}
	if got := r.fieldErrors(); !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v\nwant %v", got, want)
	}
}

func TestSettingsVersioned(t *testing.T) {
	f := newFixture(t)
	got := f.do(t, call{route: "GET /v1/settings"}).want(t, http.StatusOK)
	if got.headers["ETag"] != `"1"` || got.body["defaultCountry"] != "BR" || got.body["agentWalletOnly"] != false {
		t.Errorf("default settings = %s %v", got.raw, got.headers)
	}
	set := f.do(t, call{route: "PATCH /v1/settings", body: `{"defaultCountry":"pt"}`, headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusOK)
	if set.headers["ETag"] != `"2"` || set.body["defaultCountry"] != "PT" {
		t.Errorf("after the change = %s %v", set.raw, set.headers)
	}
	f.do(t, call{route: "PATCH /v1/settings", body: `{"agentWalletOnly":true}`, headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusPreconditionFailed)
	bad := f.do(t, call{route: "PATCH /v1/settings", body: `{"defaultCountry":"XX","agentWalletOnly":"yes","theme":"dark"}`}).want(t, http.StatusUnprocessableEntity)
	sort.Strings(bad.fieldErrors())
	if got := bad.fieldErrors(); len(got) != 3 {
		t.Errorf("errors = %v, want one per member", got)
	}
	// The default country now reads numbers typed without a country code as Portuguese.
	c := f.do(t, call{route: "POST /v1/contacts", body: `{"phone":"912 345 678"}`}).want(t, http.StatusCreated)
	if c.body["phone"] != "+351912345678" || c.body["country"] != "PT" {
		t.Errorf("contact = %s", c.raw)
	}
}

func TestDeleteTagIfMatch(t *testing.T) {
	f := newFixture(t)
	tg := f.do(t, call{route: "POST /v1/tags", body: `{"name":"VIP"}`}).want(t, http.StatusCreated)
	id := tg.body["id"].(string)
	f.do(t, call{route: "PATCH /v1/tags/{id}", id: id, body: `{"color":"#00ff00"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "DELETE /v1/tags/{id}", id: id, headers: map[string]string{"If-Match": `"1"`}}).want(t, http.StatusPreconditionFailed)
	f.do(t, call{route: "DELETE /v1/tags/{id}", id: id, headers: map[string]string{"If-Match": `"2"`}}).want(t, http.StatusNoContent)
	f.do(t, call{route: "DELETE /v1/tags/{id}", id: id}).want(t, http.StatusNotFound)
}
