package httpapi_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"
)

// isolatedElsewhere are the routes without an {id} of a contact or a tag,
// which TestTenantIsolation cannot drive generically, each with the test
// that shows another workspace can neither see nor change through it what
// the first one has.
var isolatedElsewhere = map[string]string{
	"POST /v1/contacts":                            "TestTenantIsolation (lists) and TestIdempotency (keys per workspace)",
	"GET /v1/contacts":                             "TestTenantIsolation (lists)",
	"GET /v1/contacts/lookup":                      "TestTenantIsolation (lists) and TestExternalIDTenantIsolation",
	"PUT /v1/contacts/by-external-id/{externalId}": "TestExternalIDTenantIsolation",
	"GET /v1/contacts/count":                       "TestCountsFollowEveryWrite (another workspace counts 0)",
	"GET /v1/tags":                                 "TestTenantIsolation (tags unchanged)",
	"POST /v1/tags":                                "TestTenantIsolation (tags unchanged)",
	"POST /v1/contacts/tags":                       "TestTenantIsolation (bulk tagging)",
	"GET /v1/contact-fields":                       "TestWorkspaceSettingsIsolated",
	"PUT /v1/contact-fields":                       "TestWorkspaceSettingsIsolated",
	"GET /v1/settings":                             "TestWorkspaceSettingsIsolated",
	"PATCH /v1/settings":                           "TestWorkspaceSettingsIsolated",
	"GET /v1/me":                                   "TestWorkspaceSettingsIsolated",
	"POST /v1/conversations":                       "TestConversationTenantIsolation",
	"GET /v1/message-templates":                    "TestTemplatePutAndList",
	"PUT /v1/message-templates/{name}":             "TestTemplatePutAndList",
	"GET /v1/channels":                             "TestWorkspaceSettingsIsolated",
	"PUT /v1/channels":                             "TestWorkspaceSettingsIsolated",
	"GET /v1/merge-suggestions":                    "TestMergeTenantIsolation",
	"POST /v1/merge-suggestions/dismiss":           "TestMergeTenantIsolation",
	"POST /v1/merges/{mergeId}/undo":               "TestMergeTenantIsolation",
	"POST /v1/merges/{mergeId}/resume":             "TestMergeTenantIsolation",
	"GET /v1/merges/{mergeId}":                     "TestMergeTenantIsolation",
	"GET /v1/merges":                               "TestMergeTenantIsolation",
	"POST /v1/duplicates/remove":                   "TestMergeTenantIsolation (a workspace's job merges its own groups only: TestRemoveDuplicates)",
	"GET /v1/jobs":                                 "TestJobTenantIsolation",
	"POST /v1/imports":                             "TestImport* in internal/importer (keys and jobs are per workspace)",
	"POST /v1/exports":                             "TestExportCSVWithFilter in internal/export (the filter is resolved for the caller's workspace)",
	"POST /v1/contacts/bulk-delete":                "TestBulkDeleteAll (another workspace's contact survives)",
	"POST /v1/companies":                           "TestCompanies (the same CNPJ in another workspace is free)",
	"GET /v1/companies":                            "TestCompanies (another workspace lists none)",
	"GET /v1/company-fields":                       "TestCompanyFields (another workspace reads none of them)",
	"PUT /v1/company-fields":                       "TestCompanyFields (another workspace's save leaves them)",
}

// TestEveryRouteIsIsolated: every route the API serves (the template's, by
// TestOpenAPIMatchesTemplate) is driven by TestTenantIsolation or named in
// isolatedElsewhere, so a new route cannot escape the isolation suites.
func TestEveryRouteIsIsolated(t *testing.T) {
	f := newFixture(t)
	routes := f.api.RouteKeys()
	sort.Strings(routes)
	for _, route := range routes {
		if strings.Contains(route, "{id}") {
			continue // TestTenantIsolation sends it with another workspace's token
		}
		if _, ok := isolatedElsewhere[route]; !ok {
			t.Errorf("%s: no tenant isolation test; add it to TestTenantIsolation or isolatedElsewhere", route)
		}
	}
	for route := range isolatedElsewhere {
		found := false
		for _, r := range routes {
			found = found || r == route
		}
		if !found {
			t.Errorf("isolatedElsewhere names %s, which is not served", route)
		}
	}
}

// TestWorkspaceSettingsIsolated: custom fields, settings and the channel
// catalogue one workspace saves are not another's.
func TestWorkspaceSettingsIsolated(t *testing.T) {
	f := newFixture(t)
	f.do(t, call{route: "PUT /v1/contact-fields", body: `{"fields":[{"key":"plano","label":"Plano","type":"text"}]}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/settings", body: `{"defaultCountry":"PT"}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PUT /v1/channels", body: `{"channels":[{"id":"wa2","type":"whatsapp","provider":"unofficial"}]}`}).want(t, http.StatusOK)
	f.do(t, call{route: "PATCH /v1/settings", body: `{"permissions":{"export":["agent"]}}`}).want(t, http.StatusOK)
	for route, want := range map[string]string{
		"GET /v1/contact-fields": "plano",
		"GET /v1/settings":       `"PT"`,
		"GET /v1/channels":       "wa2",
		"GET /v1/me":             `"export":true`, // an agent's, as acme lets agents export
	} {
		role := ""
		if route == "GET /v1/me" {
			role = "agent"
		}
		mine := f.do(t, call{route: route, role: role}).want(t, http.StatusOK)
		theirs := f.do(t, call{route: route, role: role, workspace: "globex"}).want(t, http.StatusOK)
		if !strings.Contains(mine.raw, want) || strings.Contains(theirs.raw, want) {
			t.Errorf("%s: acme %s, globex %s; want %s in acme's only", route, mine.raw, theirs.raw, want)
		}
	}
	f.do(t, call{route: "PUT /v1/contact-fields", body: `{"fields":[]}`, workspace: "globex"}).want(t, http.StatusOK)
	if got := f.do(t, call{route: "GET /v1/contact-fields"}).want(t, http.StatusOK); !strings.Contains(got.raw, "plano") {
		t.Errorf("another workspace's save changed acme's fields: %s", got.raw)
	}
}
