// Package httpapi adapts API Gateway HTTP API (payload format 2.0) events to
// the domain services: it decodes the event, takes the caller from the
// verified JWT claims, routes by RouteKey, and encodes responses and errors
// (RFC 9457 problem+json, in English or Portuguese).
package httpapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// DefaultMaxBody is the body size limit of a route that sets none.
const DefaultMaxBody = 64 << 10

// Response is what a route answers.
type Response = events.APIGatewayV2HTTPResponse

// HandlerFunc serves one route. A returned error becomes a problem response.
type HandlerFunc func(ctx context.Context, r *Request) (Response, error)

// Route binds a RouteKey ("POST /v1/contacts") to its handler.
type Route struct {
	Key     string
	MaxBody int // bytes; 0 means DefaultMaxBody
	Handle  HandlerFunc
}

// Config says where the caller's identity is in the JWT claims.
type Config struct {
	WorkspaceClaim string // default "workspace_id"
	RoleClaim      string // default "role"
	Logger         *slog.Logger
}

// API routes HTTP API events to their handlers.
type API struct {
	cfg    Config
	routes map[string]Route
}

// New returns an API serving routes.
func New(cfg Config, routes ...Route) *API {
	if cfg.WorkspaceClaim == "" {
		cfg.WorkspaceClaim = "workspace_id"
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "role"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &API{cfg: cfg, routes: map[string]Route{}}
	for _, r := range routes {
		a.routes[r.Key] = r
	}
	return a
}

// RouteKeys returns the route keys the API serves.
func (a *API) RouteKeys() []string {
	keys := make([]string, 0, len(a.routes))
	for k := range a.routes {
		keys = append(keys, k)
	}
	return keys
}

// Handle serves one HTTP API event. It returns an error only for what is
// not the client's doing and cannot be answered; every other failure is a
// problem response. No response may be stored by a cache (Cache-Control:
// no-store): nearly all of them carry personal data, and the rest are
// cheap to ask again.
func (a *API) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (resp Response, err error) {
	start := time.Now()
	req := &Request{Event: &ev, Lang: preferredLanguage(ev.Headers)}
	defer func() {
		if p := recover(); p != nil {
			a.cfg.Logger.ErrorContext(ctx, "panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()), "requestId", ev.RequestContext.RequestID)
			resp, err = a.problem(req, errs.E(errs.Internal, "internal")), nil
		}
		if resp.Headers == nil {
			resp.Headers = map[string]string{}
		}
		resp.Headers["Cache-Control"] = "no-store"
		a.logRequest(ctx, req, resp, time.Since(start))
	}()
	return a.serve(ctx, req), nil
}

func (a *API) serve(ctx context.Context, req *Request) Response {
	ev := req.Event
	route, ok := a.routes[ev.RouteKey]
	if !ok {
		return a.problem(req, errs.E(errs.NotFound, "route_not_found"))
	}
	caller, ok := a.caller(ev)
	if !ok {
		return a.problem(req, errs.E(errs.Unauthenticated, "unauthenticated"))
	}
	req.Caller = caller
	body, err := readBody(ev, route.MaxBody)
	if err != nil {
		return a.problem(req, err)
	}
	req.Body = body
	resp, err := route.Handle(ctx, req)
	if err != nil {
		return a.problem(req, err)
	}
	return resp
}

// caller reads the caller from the verified JWT claims the authorizer put
// in the event. A workspace id or a sub that could break out of a key they
// are part of, or an unknown role, is no caller at all.
func (a *API) caller(ev *events.APIGatewayV2HTTPRequest) (tenant.Caller, bool) {
	auth := ev.RequestContext.Authorizer
	if auth == nil || auth.JWT == nil {
		return tenant.Caller{}, false
	}
	claims := auth.JWT.Claims
	ws := claims[a.cfg.WorkspaceClaim]
	role, ok := tenant.ParseRole(claims[a.cfg.RoleClaim])
	if !ok || !tenant.ValidWorkspace(ws) || !tenant.ValidUserID(claims["sub"]) {
		return tenant.Caller{}, false
	}
	return tenant.Caller{Workspace: ws, Subject: claims["sub"], Role: role}, true
}

func readBody(ev *events.APIGatewayV2HTTPRequest, max int) ([]byte, error) {
	if max == 0 {
		max = DefaultMaxBody
	}
	tooLarge := errs.E(errs.TooLarge, "body_too_large").With("max", strconv.Itoa(max))
	if !ev.IsBase64Encoded {
		if len(ev.Body) > max {
			return nil, tooLarge
		}
		return []byte(ev.Body), nil
	}
	if base64.StdEncoding.DecodedLen(len(ev.Body)) > max+3 {
		return nil, tooLarge
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		return nil, errs.E(errs.Malformed, "malformed_json").With("reason", "the body is not valid base64")
	}
	if len(b) > max {
		return nil, tooLarge
	}
	return b, nil
}

func (a *API) logRequest(ctx context.Context, req *Request, resp Response, took time.Duration) {
	ev := req.Event
	attrs := []any{
		"requestId", ev.RequestContext.RequestID,
		"route", ev.RouteKey,
		"workspace", req.Caller.Workspace,
		"status", resp.StatusCode,
		"latencyMs", float64(took.Microseconds()) / 1000,
	}
	if req.err != nil {
		attrs = append(attrs, "errorCode", req.err.Code)
		if req.err.Err != nil {
			attrs = append(attrs, "error", req.err.Err.Error())
		}
	}
	level := slog.LevelInfo
	if resp.StatusCode >= 500 {
		level = slog.LevelError
	}
	a.cfg.Logger.Log(ctx, level, "request", attrs...)
}
