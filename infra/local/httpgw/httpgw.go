// Package httpgw emulates an Amazon API Gateway HTTP API in front of Lambda
// functions for local runs: routing, a JWT authorizer (HS256 with a shared
// secret), CORS, payload format 2.0 events and response mapping.
package httpgw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Invoker runs a function with a payload and returns its response payload.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// Errors an Invoker may return, wrapped or not.
var (
	// ErrFunctionTimeout reports that the function ran past its timeout.
	ErrFunctionTimeout = errors.New("httpgw: function timed out")
	// ErrFunctionFailed reports a crash or an unhandled function error.
	ErrFunctionFailed = errors.New("httpgw: function failed")
)

// Route is one route of the API, bound to a function.
type Route struct {
	Method   string // GET, POST..., or "ANY"
	Path     string // "/v1/contacts/{id}", may end with a greedy "{proxy+}"
	Function string // name passed to the Invoker
	NoAuth   bool   // true when the route's Auth.Authorizer is NONE
}

// CORS is the API's CORS configuration.
type CORS struct {
	AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders []string
	MaxAge                                                  int
	AllowCredentials                                        bool
}

// JWTConfig configures the JWT authorizer.
type JWTConfig struct {
	Secret   []byte   // HS256 key (LOCAL_JWT_SECRET, default "local-dev-secret")
	Issuer   string   // if non-empty, `iss` must match
	Audience []string // if non-empty, `aud` (or `client_id`) must contain one
}

// Config configures the gateway returned by New.
type Config struct {
	Routes             []Route
	CORS               *CORS // nil: no CORS handling
	JWT                JWTConfig
	Invoker            Invoker
	Stage              string        // default "$default"
	APIID              string        // default "local"
	Log                io.Writer     // one access-log line per request; nil = discard
	IntegrationTimeout time.Duration // default 30s (HTTP API's maximum)
}

const (
	defaultStage   = "$default"
	defaultAPIID   = "local"
	defaultTimeout = 30 * time.Second
	// maxBodySize is HTTP API's payload limit.
	maxBodySize = 10 << 20
	accountID   = "000000000000"
)

// gateway is the http.Handler returned by New.
type gateway struct {
	cfg    Config
	router *router
	logMu  sync.Mutex
}

// New validates cfg and returns a handler that serves the API. It fails on
// a missing Invoker, an unsupported method, a malformed path and on routes
// with the same method and path shape (such as "GET /a/{x}" and "GET /a/{y}").
func New(cfg Config) (http.Handler, error) {
	if cfg.Invoker == nil {
		return nil, errors.New("httpgw: no Invoker")
	}
	rt, err := newRouter(cfg.Routes)
	if err != nil {
		return nil, fmt.Errorf("httpgw: %w", err)
	}
	if cfg.Stage == "" {
		cfg.Stage = defaultStage
	}
	if cfg.APIID == "" {
		cfg.APIID = defaultAPIID
	}
	if cfg.IntegrationTimeout <= 0 {
		cfg.IntegrationTimeout = defaultTimeout
	}
	if len(cfg.JWT.Secret) == 0 {
		cfg.JWT.Secret = []byte(DefaultSecret)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return &gateway{cfg: cfg, router: rt}, nil
}

// response is what the gateway sends back, before CORS headers are applied.
type response struct {
	status int
	header http.Header
	body   []byte
}

func gatewayError(status int, message string) *response {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &response{status: status, header: h, body: []byte(`{"message":"` + message + `"}`)}
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := newRequestID()
	res, function := g.serve(r, reqID, start)

	h := w.Header()
	for k, v := range res.header {
		h[k] = v
	}
	if g.cfg.CORS != nil {
		g.cfg.CORS.apply(h, r)
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil // no sniffing: send what the function sent
	}
	h.Set("Apigw-Requestid", reqID)
	if res.status != http.StatusNoContent && res.status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(res.body)))
	}
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)

	if function == "" {
		function = "-"
	}
	g.logMu.Lock()
	fmt.Fprintf(g.cfg.Log, "%s %s %d %s %s\n", r.Method, r.URL.RequestURI(), res.status, time.Since(start).Round(time.Microsecond), function)
	g.logMu.Unlock()
}

// serve answers r and returns the response and the function it invoked.
func (g *gateway) serve(r *http.Request, reqID string, start time.Time) (*response, string) {
	if g.cfg.CORS != nil && isPreflight(r) {
		return &response{status: http.StatusNoContent, header: g.cfg.CORS.preflight(r)}, ""
	}
	if r.ContentLength > maxBodySize {
		return gatewayError(http.StatusRequestEntityTooLarge, "Request Entity Too Large"), ""
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodySize+1))
	if err != nil {
		return gatewayError(http.StatusBadRequest, "Bad Request"), ""
	}
	if len(body) > maxBodySize {
		return gatewayError(http.StatusRequestEntityTooLarge, "Request Entity Too Large"), ""
	}

	path, ok := g.routingPath(r.URL.EscapedPath())
	if !ok {
		return gatewayError(http.StatusNotFound, "Not Found"), ""
	}
	rt, params := g.router.match(r.Method, path)
	if rt == nil {
		return gatewayError(http.StatusNotFound, "Not Found"), ""
	}
	ev := g.event(r, rt, params, body, reqID, start)
	if !rt.NoAuth {
		auth, err := g.authenticate(r.Header.Get("Authorization"))
		if err != nil {
			res := gatewayError(http.StatusUnauthorized, "Unauthorized")
			res.header.Set("Www-Authenticate", fmt.Sprintf(`Bearer scope="" error="invalid_token" error_description=%q`, err.Error()))
			return res, ""
		}
		ev.RequestContext.Authorizer = auth
	}
	return g.invoke(r.Context(), rt.Function, ev), rt.Function
}

// routingPath strips the stage from the request path of a named stage, as
// its URLs are https://host/{stage}/path.
func (g *gateway) routingPath(escaped string) (string, bool) {
	if g.cfg.Stage == defaultStage {
		return escaped, true
	}
	prefix := "/" + g.cfg.Stage
	if escaped == prefix {
		return "/", true
	}
	if len(escaped) > len(prefix) && escaped[:len(prefix)] == prefix && escaped[len(prefix)] == '/' {
		return escaped[len(prefix):], true
	}
	return "", false
}
