package httpgw

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// event builds the payload format 2.0 event for r; the caller adds the
// authorizer.
func (g *gateway) event(r *http.Request, rt *route, params map[string]string, body []byte, reqID string, now time.Time) *events.APIGatewayV2HTTPRequest {
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	ev := &events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              rt.key,
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies(r.Header),
		Headers:               g.headers(r, sourceIP),
		QueryStringParameters: queryParams(r.URL.RawQuery),
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     rt.key,
			AccountID:    accountID,
			Stage:        g.cfg.Stage,
			RequestID:    reqID,
			APIID:        g.cfg.APIID,
			DomainName:   r.Host,
			DomainPrefix: domainPrefix(r.Host),
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// headers folds the request headers as HTTP API does: lowercase names,
// repeated headers joined with commas, cookies moved to the cookies field,
// plus host and the x-forwarded-* and x-amzn-trace-id headers it adds.
func (g *gateway) headers(r *http.Request, sourceIP string) map[string]string {
	out := make(map[string]string, len(r.Header)+5)
	for k, v := range r.Header {
		k = strings.ToLower(k)
		if k == "cookie" {
			continue
		}
		out[k] = strings.Join(v, ",")
	}
	out["host"] = r.Host
	if _, ok := out["content-length"]; !ok && r.ContentLength > 0 {
		out["content-length"] = fmt.Sprint(r.ContentLength)
	}
	if xff := out["x-forwarded-for"]; xff != "" {
		out["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		out["x-forwarded-for"] = sourceIP
	}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(addr.String()); err == nil {
			port = p
		}
	}
	out["x-forwarded-proto"] = proto
	out["x-forwarded-port"] = port
	if _, ok := out["x-amzn-trace-id"]; !ok {
		out["x-amzn-trace-id"] = traceID()
	}
	return out
}

// cookies splits the Cookie headers into name=value pairs, or returns nil.
func cookies(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Cookie") {
		for c := range strings.SplitSeq(line, ";") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

// queryParams decodes the query, joining repeated keys with commas, or
// returns nil for an empty query. Malformed pairs are skipped.
func queryParams(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	q, _ := url.ParseQuery(raw)
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, v := range q {
		out[k] = strings.Join(v, ",")
	}
	return out
}

// domainPrefix is the first label of host, or the whole host (without
// port) when it is an IP address.
func domainPrefix(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if net.ParseIP(host) != nil {
		return host
	}
	prefix, _, _ := strings.Cut(host, ".")
	return prefix
}

// isText reports whether a body of this content type is passed to the
// function as text rather than base64.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") {
		return true
	}
	typ, sub, _ := strings.Cut(mt, "/")
	if typ != "application" {
		return false
	}
	switch sub {
	case "json", "xml", "javascript", "x-www-form-urlencoded", "yaml", "x-yaml", "graphql", "x-ndjson", "ld+json":
		return true
	}
	return strings.HasSuffix(sub, "+json") || strings.HasSuffix(sub, "+xml")
}

// newRequestID returns an id shaped like HTTP API's ("JKJaXmPLvHcESHA=").
func newRequestID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// traceID returns an X-Ray style "Root=1-{time}-{random}" id.
func traceID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return fmt.Sprintf("Root=1-%08x-%s", time.Now().Unix(), hex.EncodeToString(b))
}
