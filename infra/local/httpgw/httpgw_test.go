package httpgw

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("test-secret")

// fakeInvoker records the events it gets and answers with respond, or with
// a plain 200 "ok" response when respond is nil.
type fakeInvoker struct {
	respond func(ctx context.Context, function string) ([]byte, error)

	mu        sync.Mutex
	functions []string
	events    []events.APIGatewayV2HTTPRequest
}

func (f *fakeInvoker) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("fake invoker: decode event: %w", err)
	}
	f.mu.Lock()
	f.functions = append(f.functions, function)
	f.events = append(f.events, ev)
	f.mu.Unlock()
	if f.respond != nil {
		return f.respond(ctx, function)
	}
	return []byte(`{"statusCode":200,"body":"ok"}`), nil
}

func (f *fakeInvoker) calls() ([]string, []events.APIGatewayV2HTTPRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.functions), slices.Clone(f.events)
}

// takeEvent returns the only event the invoker got since the last
// takeEvent, and forgets it.
func (f *fakeInvoker) takeEvent(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) != 1 {
		t.Fatalf("invoker got %d events, want 1", len(f.events))
	}
	ev := f.events[0]
	f.events, f.functions = nil, nil
	return ev
}

// serve starts a gateway for cfg, with inv as its Invoker unless cfg has
// one, and a test secret unless cfg has one.
func serve(t *testing.T, cfg Config, inv *fakeInvoker) *httptest.Server {
	t.Helper()
	if cfg.Invoker == nil {
		cfg.Invoker = inv
	}
	if cfg.JWT.Secret == nil {
		cfg.JWT.Secret = testSecret
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newRequest builds a request; kv are header name, value pairs.
func newRequest(t *testing.T, method, url string, body io.Reader, kv ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Add(kv[i], kv[i+1])
	}
	return req
}

// send sends req and returns the response and its body.
func send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return res, string(b)
}

// sign signs claims with method and key.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{"sub": "user-1", "exp": time.Now().Add(time.Hour).Unix()}
}

func TestNewValidation(t *testing.T) {
	inv := &fakeInvoker{}
	tests := []struct {
		name   string
		routes []Route
		ok     bool
	}{
		{"valid", []Route{
			{Method: "GET", Path: "/v1/contacts/{id}", Function: "f"},
			{Method: "any", Path: "/v1/contacts/{id}", Function: "f"},
			{Method: "GET", Path: "/v1/files/{proxy+}", Function: "f"},
			{Method: "GET", Path: "/", Function: "f"},
		}, true},
		{"duplicate route key", []Route{
			{Method: "GET", Path: "/a", Function: "f"},
			{Method: "GET", Path: "/a", Function: "g"},
		}, false},
		{"same shape", []Route{
			{Method: "GET", Path: "/a/{x}", Function: "f"},
			{Method: "GET", Path: "/a/{y}", Function: "g"},
		}, false},
		{"no leading slash", []Route{{Method: "GET", Path: "a", Function: "f"}}, false},
		{"empty segment", []Route{{Method: "GET", Path: "/a//b", Function: "f"}}, false},
		{"trailing slash", []Route{{Method: "GET", Path: "/a/", Function: "f"}}, false},
		{"partial variable", []Route{{Method: "GET", Path: "/a/{id}.json", Function: "f"}}, false},
		{"empty variable", []Route{{Method: "GET", Path: "/a/{}", Function: "f"}}, false},
		{"duplicate variable", []Route{{Method: "GET", Path: "/{a}/{a}", Function: "f"}}, false},
		{"greedy not last", []Route{{Method: "GET", Path: "/{proxy+}/a", Function: "f"}}, false},
		{"bad method", []Route{{Method: "FETCH", Path: "/a", Function: "f"}}, false},
		{"no function", []Route{{Method: "GET", Path: "/a"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Routes: tt.routes, Invoker: inv})
			if got := err == nil; got != tt.ok {
				t.Errorf("New: err = %v, want ok %v", err, tt.ok)
			}
		})
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without Invoker: got nil error, want error")
	}
}

func TestRouting(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{Routes: []Route{
		{Method: "GET", Path: "/v1/contacts", Function: "list", NoAuth: true},
		{Method: "POST", Path: "/v1/contacts", Function: "create", NoAuth: true},
		{Method: "GET", Path: "/v1/contacts/{id}", Function: "get", NoAuth: true},
		{Method: "GET", Path: "/v1/contacts/export", Function: "export", NoAuth: true},
		{Method: "ANY", Path: "/v1/contacts/{id}", Function: "anyContact", NoAuth: true},
		{Method: "GET", Path: "/v1/workspaces/{ws}/contacts/{id}", Function: "wsContact", NoAuth: true},
		{Method: "GET", Path: "/v1/workspaces/{ws}/{proxy+}", Function: "wsProxy", NoAuth: true},
		{Method: "GET", Path: "/v1/files/{proxy+}", Function: "files", NoAuth: true},
		{Method: "ANY", Path: "/{proxy+}", Function: "catchAll", NoAuth: true},
	}}, inv)

	tests := []struct {
		method, path string
		function     string
		routeKey     string
		params       map[string]string
	}{
		{"GET", "/v1/contacts", "list", "GET /v1/contacts", nil},
		{"POST", "/v1/contacts", "create", "POST /v1/contacts", nil},
		{"GET", "/v1/contacts/c-1", "get", "GET /v1/contacts/{id}", map[string]string{"id": "c-1"}},
		{"GET", "/v1/contacts/a%2Fb%20c%C3%A9", "get", "GET /v1/contacts/{id}", map[string]string{"id": "a/b cé"}},
		{"GET", "/v1/contacts/export", "export", "GET /v1/contacts/export", nil},
		{"DELETE", "/v1/contacts/c-1", "anyContact", "ANY /v1/contacts/{id}", map[string]string{"id": "c-1"}},
		{"GET", "/v1/workspaces/w1/contacts/c2", "wsContact", "GET /v1/workspaces/{ws}/contacts/{id}", map[string]string{"ws": "w1", "id": "c2"}},
		{"GET", "/v1/workspaces/w1/tags/t1", "wsProxy", "GET /v1/workspaces/{ws}/{proxy+}", map[string]string{"ws": "w1", "proxy": "tags/t1"}},
		{"GET", "/v1/workspaces/w1/contacts/c2/notes", "wsProxy", "GET /v1/workspaces/{ws}/{proxy+}", map[string]string{"ws": "w1", "proxy": "contacts/c2/notes"}},
		{"GET", "/v1/files/a/b/c.txt", "files", "GET /v1/files/{proxy+}", map[string]string{"proxy": "a/b/c.txt"}},
		{"GET", "/v1/files/a%20b/c%2Fd", "files", "GET /v1/files/{proxy+}", map[string]string{"proxy": "a b/c/d"}},
		{"POST", "/v1/files/x", "catchAll", "ANY /{proxy+}", map[string]string{"proxy": "v1/files/x"}},
		{"PUT", "/v1/contacts", "catchAll", "ANY /{proxy+}", map[string]string{"proxy": "v1/contacts"}},
		{"GET", "/v1/contacts/c-1/", "catchAll", "ANY /{proxy+}", map[string]string{"proxy": "v1/contacts/c-1/"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res, body := send(t, newRequest(t, tt.method, srv.URL+tt.path, nil))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d, want 200 (body %s)", res.StatusCode, body)
			}
			fns, _ := inv.calls()
			ev := inv.takeEvent(t)
			if got, want := fns[0], tt.function; got != want {
				t.Errorf("function: got %q, want %q", got, want)
			}
			if got, want := ev.RouteKey, tt.routeKey; got != want {
				t.Errorf("routeKey: got %q, want %q", got, want)
			}
			if got, want := ev.RequestContext.RouteKey, tt.routeKey; got != want {
				t.Errorf("requestContext.routeKey: got %q, want %q", got, want)
			}
			if got, want := ev.PathParameters, tt.params; !maps.Equal(got, want) {
				t.Errorf("pathParameters: got %v, want %v", got, want)
			}
			if got, want := ev.RawPath, tt.path; got != want {
				t.Errorf("rawPath: got %q, want %q", got, want)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{Routes: []Route{
		{Method: "GET", Path: "/v1/contacts/{id}", Function: "get"},
		{Method: "GET", Path: "/v1/files/{proxy+}", Function: "files"},
	}}, inv)
	for _, tt := range []struct{ method, path string }{
		{"GET", "/v1/other"},
		{"GET", "/v1/contacts"},
		{"GET", "/v1/contacts/"},
		{"GET", "/v1/contacts/1/extra"},
		{"POST", "/v1/contacts/1"},
		{"GET", "/V1/contacts/1"},
		{"GET", "/v1/files"},
		{"GET", "/v1/files/"},
		{"OPTIONS", "/v1/contacts/1"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res, body := send(t, newRequest(t, tt.method, srv.URL+tt.path, nil))
			if got, want := res.StatusCode, http.StatusNotFound; got != want {
				t.Errorf("status: got %d, want %d", got, want)
			}
			if got, want := body, `{"message":"Not Found"}`; got != want {
				t.Errorf("body: got %s, want %s", got, want)
			}
			if got, want := res.Header.Get("Content-Type"), "application/json"; got != want {
				t.Errorf("content-type: got %q, want %q", got, want)
			}
			if res.Header.Get("Apigw-Requestid") == "" {
				t.Error("no apigw-requestid header")
			}
		})
	}
	if fns, _ := inv.calls(); len(fns) != 0 {
		t.Errorf("invoked %v, want no call", fns)
	}
}

func TestStage(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{Stage: "prod", Routes: []Route{
		{Method: "GET", Path: "/v1/contacts/{id}", Function: "get", NoAuth: true},
	}}, inv)
	res, _ := send(t, newRequest(t, "GET", srv.URL+"/v1/contacts/1", nil))
	if got, want := res.StatusCode, http.StatusNotFound; got != want {
		t.Errorf("without stage: status got %d, want %d", got, want)
	}
	res, _ = send(t, newRequest(t, "GET", srv.URL+"/prod/v1/contacts/1", nil))
	if got, want := res.StatusCode, http.StatusOK; got != want {
		t.Fatalf("with stage: status got %d, want %d", got, want)
	}
	ev := inv.takeEvent(t)
	if got, want := ev.RequestContext.Stage, "prod"; got != want {
		t.Errorf("stage: got %q, want %q", got, want)
	}
	if got, want := ev.RawPath, "/prod/v1/contacts/1"; got != want {
		t.Errorf("rawPath: got %q, want %q", got, want)
	}
	if got, want := ev.PathParameters["id"], "1"; got != want {
		t.Errorf("id: got %q, want %q", got, want)
	}
}

func TestAuthRejected(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{
		Routes: []Route{{Method: "GET", Path: "/v1/contacts", Function: "list"}},
		JWT:    JWTConfig{Secret: testSecret, Issuer: "local", Audience: []string{"contacts"}},
	}, inv)
	good := func() jwt.MapClaims {
		c := validClaims()
		c["iss"], c["aud"] = "local", "contacts"
		return c
	}
	with := func(k string, v any) jwt.MapClaims {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	now := time.Now()
	noneTok, err := jwt.NewWithClaims(jwt.SigningMethodNone, good()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, authorization, description string
	}{
		{"missing", "", "missing"},
		{"bearer only", "Bearer ", "missing"},
		{"malformed", "Bearer not.a.jwt", "malformed"},
		{"expired", "Bearer " + sign(t, jwt.SigningMethodHS256, testSecret, with("exp", now.Add(-time.Minute).Unix())), "expired"},
		{"no exp", "Bearer " + sign(t, jwt.SigningMethodHS256, testSecret, with("exp", nil)), "exp"},
		{"not yet valid", "Bearer " + sign(t, jwt.SigningMethodHS256, testSecret, with("nbf", now.Add(time.Hour).Unix())), "not valid yet"},
		{"bad signature", "Bearer " + sign(t, jwt.SigningMethodHS256, []byte("other-secret"), good()), "signature"},
		{"alg none", "Bearer " + noneTok, "signature"},
		{"alg HS512", "Bearer " + sign(t, jwt.SigningMethodHS512, testSecret, good()), "signature"},
		{"wrong issuer", "Bearer " + sign(t, jwt.SigningMethodHS256, testSecret, with("iss", "evil")), "issuer"},
		{"no issuer", "Bearer " + sign(t, jwt.SigningMethodHS256, testSecret, with("iss", nil)), "iss"},
		{"wrong audience", "Bearer " + sign(t, jwt.SigningMethodHS256, testSecret, with("aud", []string{"other"})), "audience"},
		{"no audience", "Bearer " + sign(t, jwt.SigningMethodHS256, testSecret, with("aud", nil)), "audience"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, "GET", srv.URL+"/v1/contacts", nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			res, body := send(t, req)
			if got, want := res.StatusCode, http.StatusUnauthorized; got != want {
				t.Errorf("status: got %d, want %d", got, want)
			}
			if got, want := body, `{"message":"Unauthorized"}`; got != want {
				t.Errorf("body: got %s, want %s", got, want)
			}
			wa := res.Header.Get("Www-Authenticate")
			if prefix := `Bearer scope="" error="invalid_token" error_description="`; !strings.HasPrefix(wa, prefix) || !strings.Contains(wa, tt.description) {
				t.Errorf("www-authenticate: got %q, want prefix %q and %q", wa, prefix, tt.description)
			}
		})
	}
	if fns, _ := inv.calls(); len(fns) != 0 {
		t.Errorf("invoked %v, want no call", fns)
	}
}

func TestAuthAccepted(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{
		Routes: []Route{{Method: "GET", Path: "/v1/contacts", Function: "list"}},
		JWT:    JWTConfig{Secret: testSecret, Audience: []string{"contacts", "web"}},
	}, inv)
	exp := time.Now().Add(time.Hour).Unix()
	claims := jwt.MapClaims{
		"sub": "user-1", "workspace_id": "acme", "role": "owner",
		"exp": exp, "big": 1e21, "ratio": 1.5, "n": 1795000000,
		"admin": true, "blocked": false,
		"aud":    []string{"web"},
		"groups": []any{"a", "b", "c"},
		"nested": map[string]any{"k": "v", "n": 2},
		"scope":  "contacts/read contacts/write",
	}
	want := map[string]string{
		"sub": "user-1", "workspace_id": "acme", "role": "owner",
		"exp": fmt.Sprint(exp), "big": "1000000000000000000000", "ratio": "1.5", "n": "1795000000",
		"admin": "true", "blocked": "false",
		"aud":    "[web]",
		"groups": "[a b c]",
		"nested": "map[k:v n:2]",
		"scope":  "contacts/read contacts/write",
	}
	tests := []struct {
		name          string
		authorization string
		claims        map[string]string
		scopes        []string
	}{
		{"bearer", "Bearer " + sign(t, jwt.SigningMethodHS256, testSecret, claims), want, []string{"contacts/read", "contacts/write"}},
		{"lowercase bearer", "bearer " + sign(t, jwt.SigningMethodHS256, testSecret, claims), want, []string{"contacts/read", "contacts/write"}},
		{"bare token", sign(t, jwt.SigningMethodHS256, testSecret, claims), want, []string{"contacts/read", "contacts/write"}},
		{"client_id instead of aud, scp array",
			sign(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"exp": exp, "client_id": "contacts", "scp": []string{"x", "y"}}),
			map[string]string{"exp": fmt.Sprint(exp), "client_id": "contacts", "scp": "[x y]"}, []string{"x", "y"}},
		{"no scopes",
			sign(t, jwt.SigningMethodHS256, testSecret, jwt.MapClaims{"exp": exp, "aud": "contacts"}),
			map[string]string{"exp": fmt.Sprint(exp), "aud": "contacts"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := send(t, newRequest(t, "GET", srv.URL+"/v1/contacts", nil, "Authorization", tt.authorization))
			if got, want := res.StatusCode, http.StatusOK; got != want {
				t.Fatalf("status: got %d, want %d (body %s, www-authenticate %q)", got, want, body, res.Header.Get("Www-Authenticate"))
			}
			ev := inv.takeEvent(t)
			a := ev.RequestContext.Authorizer
			if a == nil || a.JWT == nil {
				t.Fatalf("authorizer: got %+v, want jwt", a)
			}
			if got, want := a.JWT.Claims, tt.claims; !maps.Equal(got, want) {
				t.Errorf("claims:\n got %v\nwant %v", got, want)
			}
			if got, want := a.JWT.Scopes, tt.scopes; !slices.Equal(got, want) {
				t.Errorf("scopes: got %q, want %q", got, want)
			}
			if got, want := ev.Headers["authorization"], tt.authorization; got != want {
				t.Errorf("authorization header: got %q, want %q", got, want)
			}
		})
	}
}

func TestNoAuthRouteHasNoAuthorizer(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{Routes: []Route{{Method: "GET", Path: "/health", Function: "health", NoAuth: true}}}, inv)
	res, _ := send(t, newRequest(t, "GET", srv.URL+"/health", nil, "Authorization", "Bearer garbage"))
	if got, want := res.StatusCode, http.StatusOK; got != want {
		t.Fatalf("status: got %d, want %d", got, want)
	}
	if a := inv.takeEvent(t).RequestContext.Authorizer; a != nil {
		t.Errorf("authorizer: got %+v, want nil", a)
	}
}

func TestToken(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{
		Routes: []Route{{Method: "GET", Path: "/me", Function: "me"}},
		JWT:    JWTConfig{Secret: testSecret, Issuer: "local", Audience: []string{"contacts"}},
	}, inv)
	tok, err := Token(testSecret, "user-1", "acme", "agent", time.Hour, "local", []string{"contacts"})
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	res, _ := send(t, newRequest(t, "GET", srv.URL+"/me", nil, "Authorization", "Bearer "+tok))
	if got, want := res.StatusCode, http.StatusOK; got != want {
		t.Fatalf("status: got %d, want %d", got, want)
	}
	c := inv.takeEvent(t).RequestContext.Authorizer.JWT.Claims
	for k, want := range map[string]string{"sub": "user-1", "workspace_id": "acme", "role": "agent", "iss": "local", "aud": "[contacts]"} {
		if got := c[k]; got != want {
			t.Errorf("claim %s: got %q, want %q", k, got, want)
		}
	}
	if c["iat"] == "" || c["exp"] == "" {
		t.Errorf("claims: got %v, want iat and exp", c)
	}

	if _, err := Token(nil, "u", "w", "owner", time.Hour, "", nil); err == nil {
		t.Error("Token with empty secret: got nil error")
	}
	if _, err := Token(testSecret, "u", "w", "owner", 0, "", nil); err == nil {
		t.Error("Token with zero ttl: got nil error")
	}

	t.Setenv("LOCAL_JWT_SECRET", "")
	if got, want := string(SecretFromEnv()), DefaultSecret; got != want {
		t.Errorf("SecretFromEnv unset: got %q, want %q", got, want)
	}
	t.Setenv("LOCAL_JWT_SECRET", "s3")
	if got, want := string(SecretFromEnv()), "s3"; got != want {
		t.Errorf("SecretFromEnv: got %q, want %q", got, want)
	}
}

func TestEvent(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{APIID: "abc123", Routes: []Route{
		{Method: "POST", Path: "/v1/contacts/{id}", Function: "update", NoAuth: true},
	}}, inv)
	req := newRequest(t, "POST", srv.URL+"/v1/contacts/c%201?a=1&a=2&b=x%20y&c&d=%2C", strings.NewReader(`{"name":"Ann"}`),
		"Content-Type", "application/json",
		"X-Multi", "a",
		"X-Multi", "b",
		"X-Forwarded-For", "203.0.113.9",
		"Cookie", "a=1; b=2",
		"Cookie", "c=3",
		"User-Agent", "test-agent/1.0",
	)
	before := time.Now()
	res, _ := send(t, req)
	if got, want := res.StatusCode, http.StatusOK; got != want {
		t.Fatalf("status: got %d, want %d", got, want)
	}
	ev := inv.takeEvent(t)
	host := strings.TrimPrefix(srv.URL, "http://")

	checks := []struct {
		name      string
		got, want any
	}{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "POST /v1/contacts/{id}"},
		{"rawPath", ev.RawPath, "/v1/contacts/c%201"},
		{"rawQueryString", ev.RawQueryString, "a=1&a=2&b=x%20y&c&d=%2C"},
		{"cookies", ev.Cookies, []string{"a=1", "b=2", "c=3"}},
		{"queryStringParameters", ev.QueryStringParameters, map[string]string{"a": "1,2", "b": "x y", "c": "", "d": ","}},
		{"pathParameters", ev.PathParameters, map[string]string{"id": "c 1"}},
		{"stageVariables", ev.StageVariables, map[string]string(nil)},
		{"body", ev.Body, `{"name":"Ann"}`},
		{"isBase64Encoded", ev.IsBase64Encoded, false},
		{"header x-multi", ev.Headers["x-multi"], "a,b"},
		{"header content-type", ev.Headers["content-type"], "application/json"},
		{"header content-length", ev.Headers["content-length"], "14"},
		{"header host", ev.Headers["host"], host},
		{"header user-agent", ev.Headers["user-agent"], "test-agent/1.0"},
		{"header x-forwarded-for", ev.Headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1"},
		{"header x-forwarded-proto", ev.Headers["x-forwarded-proto"], "http"},
		{"header x-forwarded-port", ev.Headers["x-forwarded-port"], srv.URL[strings.LastIndex(srv.URL, ":")+1:]},
		{"accountId", ev.RequestContext.AccountID, "000000000000"},
		{"apiId", ev.RequestContext.APIID, "abc123"},
		{"stage", ev.RequestContext.Stage, "$default"},
		{"domainName", ev.RequestContext.DomainName, host},
		{"domainPrefix", ev.RequestContext.DomainPrefix, "127.0.0.1"},
		{"requestId", ev.RequestContext.RequestID, res.Header.Get("Apigw-Requestid")},
		{"http.method", ev.RequestContext.HTTP.Method, "POST"},
		{"http.path", ev.RequestContext.HTTP.Path, "/v1/contacts/c 1"},
		{"http.protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"http.sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"http.userAgent", ev.RequestContext.HTTP.UserAgent, "test-agent/1.0"},
		{"authorizer", ev.RequestContext.Authorizer, (*events.APIGatewayV2HTTPRequestContextAuthorizerDescription)(nil)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
	for _, k := range []string{"cookie", "x-amzn-trace-id"} {
		if _, ok := ev.Headers[k]; ok != (k != "cookie") {
			t.Errorf("header %s present: got %v, want %v", k, ok, !ok)
		}
	}
	for k := range ev.Headers {
		if k != strings.ToLower(k) {
			t.Errorf("header %q is not lowercase", k)
		}
	}
	if ev.RequestContext.RequestID == "" {
		t.Error("requestId is empty")
	}
	ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", ev.RequestContext.Time)
	if err != nil {
		t.Errorf("time %q: %v", ev.RequestContext.Time, err)
	}
	epoch := time.UnixMilli(ev.RequestContext.TimeEpoch)
	if d := epoch.Sub(before); d < -time.Second || d > 5*time.Second {
		t.Errorf("timeEpoch %v: not near %v", epoch, before)
	}
	if d := ts.Sub(epoch.Truncate(time.Second)); d != 0 {
		t.Errorf("time %v and timeEpoch %v differ by %v", ts, epoch, d)
	}

	// Without query or cookies, the fields are absent; request ids differ.
	res2, _ := send(t, newRequest(t, "POST", srv.URL+"/v1/contacts/2", nil))
	ev2 := inv.takeEvent(t)
	if ev2.QueryStringParameters != nil || ev2.Cookies != nil || ev2.Body != "" {
		t.Errorf("empty request: got query %v, cookies %v, body %q; want none", ev2.QueryStringParameters, ev2.Cookies, ev2.Body)
	}
	if a, b := res.Header.Get("Apigw-Requestid"), res2.Header.Get("Apigw-Requestid"); a == b {
		t.Errorf("request ids: got %q twice, want unique", a)
	}
}

func TestBodyEncoding(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{Routes: []Route{{Method: "POST", Path: "/upload", Function: "up", NoAuth: true}}}, inv)
	png := []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}
	tests := []struct {
		contentType string
		body        []byte
		wantBase64  bool
	}{
		{"application/json", []byte(`{"a":1}`), false},
		{"application/json; charset=utf-8", []byte(`{"a":1}`), false},
		{"text/plain; charset=utf-8", []byte("héllo"), false},
		{"text/csv", []byte("a,b\n1,2\n"), false},
		{"application/x-www-form-urlencoded", []byte("a=1&b=2"), false},
		{"application/vnd.api+json", []byte(`{}`), false},
		{"application/xml", []byte(`<a/>`), false},
		{"image/png", png, true},
		{"application/octet-stream", png, true},
		{"multipart/form-data; boundary=x", []byte("--x--"), true},
		{"application/pdf", []byte("%PDF"), true},
		{"", []byte("no type"), true},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			req := newRequest(t, "POST", srv.URL+"/upload", bytes.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			send(t, req)
			ev := inv.takeEvent(t)
			if got, want := ev.IsBase64Encoded, tt.wantBase64; got != want {
				t.Errorf("isBase64Encoded: got %v, want %v", got, want)
			}
			want := string(tt.body)
			if tt.wantBase64 {
				want = base64.StdEncoding.EncodeToString(tt.body)
			}
			if got := ev.Body; got != want {
				t.Errorf("body: got %q, want %q", got, want)
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	inv := &fakeInvoker{}
	srv := serve(t, Config{Routes: []Route{{Method: "POST", Path: "/upload", Function: "up", NoAuth: true}}}, inv)
	const limit = 10 << 20
	tests := []struct {
		name   string
		body   func() io.Reader
		status int
	}{
		{"at limit", func() io.Reader { return bytes.NewReader(make([]byte, limit)) }, http.StatusOK},
		{"over limit", func() io.Reader { return bytes.NewReader(make([]byte, limit+1)) }, http.StatusRequestEntityTooLarge},
		{"over limit, chunked", func() io.Reader { return io.MultiReader(bytes.NewReader(make([]byte, limit)), strings.NewReader("x")) }, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fns, _ := inv.calls()
			before := len(fns)
			res, body := send(t, newRequest(t, "POST", srv.URL+"/upload", tt.body(), "Content-Type", "application/octet-stream"))
			if got, want := res.StatusCode, tt.status; got != want {
				t.Fatalf("status: got %d, want %d", got, want)
			}
			fns, _ = inv.calls()
			invoked := len(fns) > before
			if got, want := invoked, tt.status == http.StatusOK; got != want {
				t.Errorf("invoked: got %v, want %v", got, want)
			}
			if tt.status == http.StatusRequestEntityTooLarge {
				if got, want := body, `{"message":"Request Entity Too Large"}`; got != want {
					t.Errorf("body: got %s, want %s", got, want)
				}
			}
		})
	}
}

func TestResponseMapping(t *testing.T) {
	type want struct {
		status  int
		body    string
		headers map[string][]string // nil value: header absent
	}
	internal := want{http.StatusBadGateway, `{"message":"Internal Server Error"}`, map[string][]string{"Content-Type": {"application/json"}}}
	timeout := want{http.StatusGatewayTimeout, `{"message":"Endpoint request timed out"}`, map[string][]string{"Content-Type": {"application/json"}}}
	reply := func(out string, err error) func(context.Context, string) ([]byte, error) {
		return func(context.Context, string) ([]byte, error) { return []byte(out), err }
	}
	tests := []struct {
		name    string
		respond func(context.Context, string) ([]byte, error)
		want    want
	}{
		{"full", reply(`{"statusCode":201,"headers":{"content-type":"text/plain","X-A":"1, 2"},
			"multiValueHeaders":{"X-M":["a","b"]},"cookies":["s=1; Path=/; HttpOnly","t=2"],
			"body":"aGVsbG8=","isBase64Encoded":true}`, nil),
			want{201, "hello", map[string][]string{
				"Content-Type": {"text/plain"}, "X-A": {"1, 2"}, "X-M": {"a", "b"},
				"Set-Cookie": {"s=1; Path=/; HttpOnly", "t=2"}, "Content-Length": {"5"},
			}}},
		{"plain body", reply(`{"statusCode":404,"body":"{\"message\":\"contact not found\"}","headers":{"Content-Type":"application/json"}}`, nil),
			want{404, `{"message":"contact not found"}`, map[string][]string{"Content-Type": {"application/json"}}}},
		{"no content type", reply(`{"statusCode":200,"body":"<b>x</b>"}`, nil),
			want{200, "<b>x</b>", map[string][]string{"Content-Type": nil}}},
		{"no body", reply(`{"statusCode":204}`, nil), want{204, "", nil}},
		{"bare object", reply(` {"items":[1,2],"next":null} `, nil),
			want{200, `{"items":[1,2],"next":null}`, map[string][]string{"Content-Type": {"application/json"}}}},
		{"bare string", reply(`"Hello from Lambda!"`, nil),
			want{200, "Hello from Lambda!", map[string][]string{"Content-Type": {"application/json"}}}},
		{"bare array", reply(`[1,2]`, nil), want{200, `[1,2]`, map[string][]string{"Content-Type": {"application/json"}}}},
		{"invalid JSON", reply(`{"statusCode":200,`, nil), internal},
		{"empty output", reply(``, nil), internal},
		{"bad status", reply(`{"statusCode":0,"body":"x"}`, nil), internal},
		{"bad base64", reply(`{"statusCode":200,"body":"***","isBase64Encoded":true}`, nil), internal},
		{"function timeout", reply(``, fmt.Errorf("invoke contacts: %w", ErrFunctionTimeout)), timeout},
		{"function failed", reply(``, fmt.Errorf("invoke contacts: %w", ErrFunctionFailed)), internal},
		{"other error", reply(``, errors.New("connection refused")), internal},
		{"slow invoker honouring ctx", func(ctx context.Context, _ string) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, timeout},
		{"slow invoker ignoring ctx", func(context.Context, string) ([]byte, error) {
			time.Sleep(time.Second)
			return []byte(`{"statusCode":200}`), nil
		}, timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &fakeInvoker{respond: tt.respond}
			srv := serve(t, Config{
				IntegrationTimeout: 100 * time.Millisecond,
				Routes:             []Route{{Method: "GET", Path: "/x", Function: "fn", NoAuth: true}},
			}, inv)
			start := time.Now()
			res, body := send(t, newRequest(t, "GET", srv.URL+"/x", nil))
			if d := time.Since(start); d > 900*time.Millisecond {
				t.Errorf("answered after %v, want within the integration timeout", d)
			}
			if got, want := res.StatusCode, tt.want.status; got != want {
				t.Errorf("status: got %d, want %d", got, want)
			}
			if got, want := body, tt.want.body; got != want {
				t.Errorf("body: got %q, want %q", got, want)
			}
			for k, want := range tt.want.headers {
				if got := res.Header.Values(k); !slices.Equal(got, want) {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			if res.Header.Get("Apigw-Requestid") == "" {
				t.Error("no apigw-requestid header")
			}
		})
	}
}

func TestCORSPreflight(t *testing.T) {
	routes := []Route{{Method: "GET", Path: "/v1/contacts", Function: "list"}}
	strict := &CORS{
		AllowOrigins:  []string{"https://app.example.com"},
		AllowMethods:  []string{"GET", "POST"},
		AllowHeaders:  []string{"authorization", "content-type"},
		ExposeHeaders: []string{"x-request-id"},
		MaxAge:        600,
	}
	creds := *strict
	creds.AllowCredentials = true
	wildcard := &CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}}
	wildcardCreds := *wildcard
	wildcardCreds.AllowCredentials = true

	full := map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Methods":     "GET,POST",
		"Access-Control-Allow-Headers":     "authorization,content-type",
		"Access-Control-Max-Age":           "600",
		"Access-Control-Allow-Credentials": "",
		"Access-Control-Expose-Headers":    "",
	}
	none := map[string]string{
		"Access-Control-Allow-Origin":  "",
		"Access-Control-Allow-Methods": "",
		"Access-Control-Allow-Headers": "",
		"Access-Control-Max-Age":       "",
	}
	with := func(m map[string]string, kv ...string) map[string]string {
		m = maps.Clone(m)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name                    string
		cors                    *CORS
		origin, method, headers string
		want                    map[string]string // "": header absent
	}{
		{"allowed", strict, "https://app.example.com", "POST", "Content-Type, Authorization", full},
		{"allowed, origin case", strict, "https://APP.example.com", "GET", "", with(full, "Access-Control-Allow-Origin", "https://APP.example.com")},
		{"credentials", &creds, "https://app.example.com", "GET", "authorization", with(full, "Access-Control-Allow-Credentials", "true")},
		{"disallowed origin", strict, "https://evil.example.com", "GET", "", none},
		{"disallowed method", strict, "https://app.example.com", "DELETE", "", none},
		{"disallowed header", strict, "https://app.example.com", "GET", "x-custom", none},
		{"wildcard", wildcard, "https://any.example.org", "DELETE", "x-custom", map[string]string{
			"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "*", "Access-Control-Allow-Headers": "*",
			"Access-Control-Max-Age": "", "Access-Control-Allow-Credentials": "",
		}},
		{"wildcard with credentials", &wildcardCreds, "https://any.example.org", "GET", "", map[string]string{
			"Access-Control-Allow-Origin": "https://any.example.org", "Access-Control-Allow-Credentials": "true",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &fakeInvoker{}
			srv := serve(t, Config{Routes: routes, CORS: tt.cors}, inv)
			req := newRequest(t, "OPTIONS", srv.URL+"/v1/contacts", nil, "Origin", tt.origin, "Access-Control-Request-Method", tt.method)
			if tt.headers != "" {
				req.Header.Set("Access-Control-Request-Headers", tt.headers)
			}
			res, body := send(t, req)
			if got, want := res.StatusCode, http.StatusNoContent; got != want {
				t.Errorf("status: got %d, want %d", got, want)
			}
			if body != "" {
				t.Errorf("body: got %q, want empty", body)
			}
			for k, want := range tt.want {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			if fns, _ := inv.calls(); len(fns) != 0 {
				t.Errorf("invoked %v, want no call", fns)
			}
		})
	}

	t.Run("no CORS config", func(t *testing.T) {
		inv := &fakeInvoker{}
		srv := serve(t, Config{Routes: routes}, inv)
		res, _ := send(t, newRequest(t, "OPTIONS", srv.URL+"/v1/contacts", nil,
			"Origin", "https://app.example.com", "Access-Control-Request-Method", "GET"))
		if got, want := res.StatusCode, http.StatusNotFound; got != want {
			t.Errorf("status: got %d, want %d", got, want)
		}
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin: got %q, want none", got)
		}
	})
}

func TestCORSActual(t *testing.T) {
	cors := &CORS{
		AllowOrigins:     []string{"https://app.example.com"},
		AllowMethods:     []string{"GET"},
		AllowHeaders:     []string{"authorization"},
		ExposeHeaders:    []string{"x-request-id", "etag"},
		AllowCredentials: true,
	}
	inv := &fakeInvoker{respond: func(context.Context, string) ([]byte, error) {
		return []byte(`{"statusCode":200,"body":"ok","headers":{"Access-Control-Allow-Origin":"https://evil.example.com","access-control-max-age":"1","X-Request-Id":"r1"}}`), nil
	}}
	srv := serve(t, Config{CORS: cors, Routes: []Route{
		{Method: "GET", Path: "/public", Function: "public", NoAuth: true},
		{Method: "GET", Path: "/private", Function: "private"},
	}}, inv)
	allowed := map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Expose-Headers":    "x-request-id,etag",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Max-Age":           "",
	}
	stripped := map[string]string{
		"Access-Control-Allow-Origin":      "",
		"Access-Control-Expose-Headers":    "",
		"Access-Control-Allow-Credentials": "",
		"Access-Control-Max-Age":           "",
	}
	tests := []struct {
		name, path, origin string
		status             int
		want               map[string]string
	}{
		{"allowed origin", "/public", "https://app.example.com", 200, allowed},
		{"disallowed origin", "/public", "https://evil.example.com", 200, stripped},
		{"no origin", "/public", "", 200, stripped},
		{"allowed origin, unauthorized", "/private", "https://app.example.com", 401, allowed},
		{"allowed origin, not found", "/nowhere", "https://app.example.com", 404, allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, "GET", srv.URL+tt.path, nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			res, _ := send(t, req)
			if got, want := res.StatusCode, tt.status; got != want {
				t.Errorf("status: got %d, want %d", got, want)
			}
			for k, want := range tt.want {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			if tt.status == 200 {
				if got, want := res.Header.Get("X-Request-Id"), "r1"; got != want {
					t.Errorf("X-Request-Id: got %q, want %q", got, want)
				}
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAccessLog(t *testing.T) {
	var log syncBuffer
	inv := &fakeInvoker{}
	srv := serve(t, Config{Log: &log, Routes: []Route{{Method: "GET", Path: "/v1/contacts/{id}", Function: "get", NoAuth: true}}}, inv)
	send(t, newRequest(t, "GET", srv.URL+"/v1/contacts/1?x=y", nil))
	send(t, newRequest(t, "GET", srv.URL+"/missing", nil))
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if got, want := len(lines), 2; got != want {
		t.Fatalf("log lines: got %d, want %d:\n%s", got, want, log.String())
	}
	for i, tt := range []struct{ prefix, suffix string }{
		{"GET /v1/contacts/1?x=y 200 ", " get"},
		{"GET /missing 404 ", " -"},
	} {
		if !strings.HasPrefix(lines[i], tt.prefix) || !strings.HasSuffix(lines[i], tt.suffix) {
			t.Errorf("log line %d: got %q, want %q...%q", i, lines[i], tt.prefix, tt.suffix)
		}
	}
}

// FuzzMatch checks that the router never panics and that a path generated
// from a valid route template matches that route, with the values put in,
// even next to a catch-all ANY /{catchAll+} route.
func FuzzMatch(f *testing.F) {
	f.Add("/v1/contacts/{id}", "c-1", "a/b", "/v1/contacts/x")
	f.Add("/v1/files/{proxy+}", "x", "a/b c/%2F", "/v1/files")
	f.Add("/{a}/{b}/static", "%", "?#", "//")
	f.Add("/", "", "", "/%zz")
	f.Add("/{proxy+}", "", "/", "/a/../b")
	f.Fuzz(func(t *testing.T, template, v1, v2, path string) {
		rt, err := newRouter([]Route{
			{Method: "GET", Path: template, Function: "fn"},
			{Method: "ANY", Path: "/{catchAll+}", Function: "catchAll"},
		})
		if err != nil {
			// Still exercise matching against the catch-all alone.
			rt, err = newRouter([]Route{{Method: "ANY", Path: "/{catchAll+}", Function: "catchAll"}})
			if err != nil {
				t.Fatalf("catch-all route: %v", err)
			}
			rt.match("GET", path)
			return
		}
		rt.match("GET", path)
		rt.match("POST", path)

		values := []string{v1, v2}
		want := map[string]string{}
		parts := make([]string, 0, len(rt.routes[0].segs))
		n := 0
		for _, s := range rt.routes[0].segs {
			switch s.kind {
			case segStatic:
				parts = append(parts, url.PathEscape(s.text))
			case segParam, segGreedy:
				v := values[n%2] + fmt.Sprint(n) // never empty
				n++
				want[s.text] = v
				if s.kind == segParam {
					parts = append(parts, url.PathEscape(v))
					break
				}
				var esc []string
				for p := range strings.SplitSeq(v, "/") {
					esc = append(esc, url.PathEscape(p))
				}
				parts = append(parts, strings.Join(esc, "/"))
			}
		}
		generated := "/" + strings.Join(parts, "/")
		got, params := rt.match("GET", generated)
		if got == nil || got.Function != "fn" {
			t.Fatalf("match(%q) for template %q: got %+v, want route fn", generated, template, got)
		}
		if len(want) == 0 {
			want = nil
		}
		if !maps.Equal(params, want) {
			t.Fatalf("match(%q) for template %q: params got %q, want %q", generated, template, params, want)
		}
	})
}
