package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/omnichannel/contacts/infra/local/stack"
)

const (
	openAPIPath  = "../../docs/openapi.yaml"
	templatePath = "../../template.yaml"
	// specServer is the document's local server: requests rebuilt from
	// events are addressed to it so that the router matches them.
	specServer = "http://127.0.0.1:3000"
)

// The document, loaded and validated once for the whole package: every
// fixture.do call checks its response against it.
var (
	specOnce   sync.Once
	spec       *openapi3.T
	specRouter routers.Router
	specErr    error
)

// loadOpenAPI loads and validates docs/openapi.yaml.
func loadOpenAPI() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(openAPIPath)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", openAPIPath, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate %s: %w", openAPIPath, err)
	}
	return doc, nil
}

func openAPI(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		if spec, specErr = loadOpenAPI(); specErr != nil {
			return
		}
		if specRouter, specErr = gorillamux.NewRouter(spec); specErr != nil {
			specErr = fmt.Errorf("router over %s: %w", openAPIPath, specErr)
		}
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	return spec, specRouter
}

// TestOpenAPIDocument: the document loads, is a valid OpenAPI 3.1 document
// (examples included: the loader checks them against their schemas), and
// has what every client needs.
func TestOpenAPIDocument(t *testing.T) {
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	bearer := doc.Components.SecuritySchemes["bearerAuth"]
	if bearer == nil || bearer.Value.Type != "http" || bearer.Value.Scheme != "bearer" || bearer.Value.BearerFormat != "JWT" {
		t.Errorf("components.securitySchemes.bearerAuth is not an http bearer JWT scheme: %+v", bearer)
	}
	if len(doc.Security) != 1 || doc.Security[0]["bearerAuth"] == nil {
		t.Errorf("security = %v, want bearerAuth for every operation", doc.Security)
	}
	for key, op := range openAPIOperations(doc) {
		if op.OperationID == "" {
			t.Errorf("%s has no operationId", key)
		}
		if op.RequestBody != nil {
			for mime, mt := range op.RequestBody.Value.Content {
				if mt.Example == nil && len(mt.Examples) == 0 {
					t.Errorf("%s: request body %s has no example", key, mime)
				}
			}
		}
		// Every route can meet a caller the claims do not name, an oversized
		// body and a failure of its own.
		for _, want := range []string{"401", "413", "500"} {
			if op.Responses.Value(want) == nil {
				t.Errorf("%s does not document %s", key, want)
			}
		}
		for status, ref := range op.Responses.Map() {
			if !strings.HasPrefix(status, "2") {
				continue
			}
			for mime, mt := range ref.Value.Content {
				if mt.Example == nil && len(mt.Examples) == 0 {
					t.Errorf("%s: response %s %s has no example", key, status, mime)
				}
			}
		}
	}
}

// TestOpenAPIMatchesTemplate: the document describes exactly the routes
// template.yaml gives the HTTP API, each under the function that serves
// it and behind the JWT authorizer, and the handlers serve all of them.
func TestOpenAPIMatchesTemplate(t *testing.T) {
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	st, err := stack.Load(templatePath, stack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	documented := openAPIOperations(doc)
	inTemplate := map[string]bool{}
	for _, fn := range st.Functions {
		for _, r := range fn.Routes {
			key := r.Method + " " + r.Path
			inTemplate[key] = true
			op := documented[key]
			if op == nil {
				t.Errorf("%s (%s in template.yaml) is not in %s", key, fn.LogicalID, openAPIPath)
				continue
			}
			if got := op.Extensions["x-function"]; got != fn.LogicalID {
				t.Errorf("%s: x-function = %v, want %s", key, got, fn.LogicalID)
			}
			secured := op.Security == nil && len(doc.Security) > 0 || op.Security != nil && len(*op.Security) > 0
			if secured == r.NoAuth {
				t.Errorf("%s: documented as secured=%v, template says auth=%v", key, secured, !r.NoAuth)
			}
		}
	}
	for key := range documented {
		if !inTemplate[key] {
			t.Errorf("%s is documented but template.yaml has no such route", key)
		}
	}

	// The fixture serves every route of every function, as deployed.
	served := newFixture(t).api.RouteKeys()
	sort.Strings(served)
	for _, key := range served {
		if documented[key] == nil {
			t.Errorf("the handlers serve %s, which is not documented", key)
		}
	}
	for key := range documented {
		if !openAPIHas(served, key) {
			t.Errorf("%s is documented but no handler serves it", key)
		}
	}
}

// openAPIOperations returns the document's operations by route key ("GET /v1/contacts").
func openAPIOperations(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[method+" "+path] = op
		}
	}
	return out
}

func openAPIHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkOpenAPIResponse fails t unless what the API answered to ev is
// valid against the document (see openAPIResponseError).
func checkOpenAPIResponse(t *testing.T, ev events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	doc, router := openAPI(t)
	if err := openAPIResponseError(doc, router, ev, resp); err != nil {
		t.Errorf("openapi: %v", err)
	}
}

// openAPIResponseError validates what the API answered to ev against the
// document: the status is one the operation documents, documented headers
// are present and valid, and the body has the documented content type and
// schema (or is empty when the response documents no content, as 204).
func openAPIResponseError(doc *openapi3.T, router routers.Router, ev events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse) error {
	method, tmpl, _ := strings.Cut(ev.RouteKey, " ")
	item := doc.Paths.Value(tmpl)
	if item == nil || item.GetOperation(method) == nil {
		// Not a route of the API: behind API Gateway such a request never
		// reaches a function (the gateway answers 404 itself).
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, `"route_not_found"`) {
			return fmt.Errorf("%s is not documented, yet it answered %d: %s", ev.RouteKey, resp.StatusCode, resp.Body)
		}
		return nil
	}

	req, err := openAPIRequest(ev, method, tmpl)
	if err != nil {
		return fmt.Errorf("%s: %w", ev.RouteKey, err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s: no route in the document: %w", method, req.URL, err)
	}
	if route.Path != tmpl || route.Method != method {
		return fmt.Errorf("%s %s routed to %s %s, want %s", method, req.URL, route.Method, route.Path, ev.RouteKey)
	}

	header := http.Header{}
	for k, v := range resp.Headers {
		header.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			header.Add(k, v)
		}
	}
	body := resp.Body
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return fmt.Errorf("%s: response body is not base64: %w", ev.RouteKey, err)
		}
		body = string(b)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	opts.WithCustomSchemaErrorFunc(schemaErrorLine) // one line per error, not the whole schema
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 header,
		Body:                   io.NopCloser(strings.NewReader(body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s answered %d, which the document does not allow:\n%s\nheaders %v\nbody %s",
			ev.RouteKey, resp.StatusCode, describeOpenAPIError(err), resp.Headers, body)
	}
	// ValidateResponse skips the body of a response that documents no
	// content; such a response must have none.
	if documented := route.Operation.Responses.Status(resp.StatusCode); documented != nil && len(documented.Value.Content) == 0 {
		if body != "" || header.Get("Content-Type") != "" {
			return fmt.Errorf("%s answered %d with Content-Type %q and body %q; the document says no content",
				ev.RouteKey, resp.StatusCode, header.Get("Content-Type"), body)
		}
	}
	return nil
}

// TestOpenAPIResponseCheck: the check fixture.do runs is not vacuous; it
// refuses responses that break the document in each way it looks for.
func TestOpenAPIResponseCheck(t *testing.T) {
	doc, router := openAPI(t)
	const id = "01jdx4k9m2v7q8r3s5t6w7y8z9"
	contactEv := func(route string) events.APIGatewayV2HTTPRequest {
		return events.APIGatewayV2HTTPRequest{RouteKey: route, PathParameters: map[string]string{"id": id}, Headers: map[string]string{}}
	}
	contact := func(drop string) string {
		m := map[string]any{}
		for k, v := range doc.Components.Examples["ContactMaria"].Value.Value.(map[string]any) {
			if k != drop {
				m[k] = v
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	jsonHeaders := func(kv ...string) map[string]string {
		h := map[string]string{"Content-Type": "application/json"}
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i]] = kv[i+1]
		}
		return h
	}
	problem := `{"type":"/problems/contact_not_found","title":"Not found","status":404,"detail":"Contact not found.","code":"contact_not_found"}`
	problemHeaders := map[string]string{"Content-Type": "application/problem+json", "Content-Language": "en"}
	good := []struct {
		name string
		ev   events.APIGatewayV2HTTPRequest
		resp events.APIGatewayV2HTTPResponse
	}{
		{"contact", contactEv("GET /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: jsonHeaders("ETag", `"1"`), Body: contact("")}},
		{"204", contactEv("DELETE /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 204}},
		{"problem", contactEv("GET /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 404, Headers: problemHeaders, Body: problem}},
	}
	for _, tt := range good {
		if err := openAPIResponseError(doc, router, tt.ev, tt.resp); err != nil {
			t.Errorf("%s: a valid response was refused: %v", tt.name, err)
		}
	}
	bad := []struct {
		name string
		ev   events.APIGatewayV2HTTPRequest
		resp events.APIGatewayV2HTTPResponse
	}{
		{"member missing", contactEv("GET /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: jsonHeaders("ETag", `"1"`), Body: contact("version")}},
		{"member undocumented", contactEv("GET /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: jsonHeaders("ETag", `"1"`), Body: strings.Replace(contact(""), "{", `{"secret":1,`, 1)}},
		{"ETag missing", contactEv("GET /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: jsonHeaders(), Body: contact("")}},
		{"ETag malformed", contactEv("GET /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: jsonHeaders("ETag", "1"), Body: contact("")}},
		{"Location missing", contactEv("POST /v1/contacts"), events.APIGatewayV2HTTPResponse{StatusCode: 201, Headers: jsonHeaders("ETag", `"1"`), Body: contact("")}},
		{"status undocumented", contactEv("GET /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 409, Headers: problemHeaders, Body: strings.ReplaceAll(problem, "404", "409")}},
		{"problem as application/json", contactEv("GET /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 404, Headers: jsonHeaders(), Body: problem}},
		{"problem code of another status", contactEv("GET /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 404, Headers: problemHeaders, Body: strings.ReplaceAll(problem, "contact_not_found", "internal")}},
		{"204 with a body", contactEv("DELETE /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 204, Headers: jsonHeaders(), Body: "{}"}},
		{"undocumented route answering", contactEv("PUT /v1/contacts/{id}"), events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: jsonHeaders("ETag", `"1"`), Body: contact("")}},
	}
	for _, tt := range bad {
		if err := openAPIResponseError(doc, router, tt.ev, tt.resp); err == nil {
			t.Errorf("%s: the check let it through", tt.name)
		}
	}
}

// openAPIRequest rebuilds the HTTP request an event stands for, its path
// parameters escaped as a client would send them.
func openAPIRequest(ev events.APIGatewayV2HTTPRequest, method, tmpl string) (*http.Request, error) {
	path := tmpl
	for name, value := range ev.PathParameters {
		path = strings.Replace(path, "{"+name+"}", url.PathEscape(value), 1)
	}
	if strings.ContainsAny(path, "{}") {
		return nil, fmt.Errorf("path parameters %v do not fill %s", ev.PathParameters, tmpl)
	}
	query := url.Values{}
	for k, v := range ev.QueryStringParameters {
		query.Set(k, v)
	}
	u := specServer + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, strings.NewReader(ev.Body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	return req, nil
}

// schemaErrorLine tells where a value breaks its schema and how.
func schemaErrorLine(e *openapi3.SchemaError) string {
	reason := e.Reason
	if reason == "" {
		reason = "does not match " + e.SchemaField
	}
	if p := e.JSONPointer(); len(p) > 0 {
		return "at /" + strings.Join(p, "/") + ": " + reason
	}
	return reason
}

// describeOpenAPIError spells out every error of a multi-error validation.
func describeOpenAPIError(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var lines []string
		for _, e := range me {
			lines = append(lines, "  - "+describeOpenAPIError(e))
		}
		return strings.Join(lines, "\n")
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Err != nil {
		return re.Reason + ": " + describeOpenAPIError(re.Err)
	}
	return err.Error()
}
