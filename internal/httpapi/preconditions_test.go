package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestIfMatchPreconditions: If-Match on the writes of contacts and tags as
// RFC 9110 has it: a well-formed tag that does not match (a version of the
// past, a tag of someone else's making, a weak tag) is a 412 that writes
// nothing; "*" and a list naming the current version match; only a broken
// header is a 400; an entity that does not exist is a 404 whatever the
// header says.
func TestIfMatchPreconditions(t *testing.T) {
	f := newFixture(t)
	type target struct {
		route string
		body  string
		make  func() string // a new entity at version 1
	}
	newContact := func() string { return f.create(t, `{"name":"Rita","email":"rita@example.com"}`) }
	tags := 0
	newTag := func() string {
		tags++
		return f.do(t, call{route: "POST /v1/tags", body: fmt.Sprintf(`{"name":"T%d"}`, tags)}).want(t, http.StatusCreated).body["id"].(string)
	}
	targets := []target{
		{"PATCH /v1/contacts/{id}", `{"company":"ACME"}`, newContact},
		{"DELETE /v1/contacts/{id}", "", newContact},
		{"PATCH /v1/tags/{id}", `{"color":"#00ff00"}`, newTag},
		{"DELETE /v1/tags/{id}", "", newTag},
	}
	tests := []struct {
		ifMatch string
		status  int
		code    string
	}{
		{`"stale-0"`, http.StatusPreconditionFailed, "version_mismatch"},
		{`"2"`, http.StatusPreconditionFailed, "version_mismatch"},
		{`W/"1"`, http.StatusPreconditionFailed, "version_mismatch"},
		{`"7", W/"1"`, http.StatusPreconditionFailed, "version_mismatch"},
		{`"1" "2"`, http.StatusBadRequest, "if_match_invalid"},
		{`1`, http.StatusBadRequest, "if_match_invalid"},
		{`*, "1"`, http.StatusBadRequest, "if_match_invalid"},
		{`*`, 0, ""},
		{`"1"`, 0, ""},
		{`"9", "1"`, 0, ""},
		{`"1", "9"`, 0, ""},
		{`"stale-0", "1"`, 0, ""},
	}
	for _, tg := range targets {
		ok := http.StatusOK
		if tg.body == "" {
			ok = http.StatusNoContent
		}
		for _, tt := range tests {
			id := tg.make()
			c := call{route: tg.route, id: id, body: tg.body, headers: map[string]string{"If-Match": tt.ifMatch}}
			if tt.status == 0 {
				f.do(t, c).want(t, ok)
				continue
			}
			if r := f.do(t, c).want(t, tt.status); r.body["code"] != tt.code {
				t.Errorf("%s with If-Match %s: code %v, want %s", tg.route, tt.ifMatch, r.body["code"], tt.code)
			}
			// Nothing was written: the entity is still at version 1.
			c.headers["If-Match"] = `"1"`
			f.do(t, c).want(t, ok)
		}
		missing := call{route: tg.route, id: "01jdx0000000000000000000zz", body: tg.body, headers: map[string]string{"If-Match": `"stale-0"`}}
		f.do(t, missing).want(t, http.StatusNotFound)
	}
}
