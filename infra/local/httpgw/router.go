package httpgw

import (
	"fmt"
	"net/url"
	"strings"
)

// segKind orders path segments by specificity: a lower kind is more specific.
type segKind int

const (
	segStatic segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	text string // literal for segStatic, parameter name otherwise
}

// route is a validated Route ready for matching.
type route struct {
	Route
	key  string // "METHOD /path", the route key of the event
	segs []segment
}

var methods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"HEAD": true, "OPTIONS": true, "ANY": true,
}

// compileRoute validates r and splits its path into segments.
func compileRoute(r Route) (*route, error) {
	method := strings.ToUpper(r.Method)
	if !methods[method] {
		return nil, fmt.Errorf("route %q %q: unsupported method", r.Method, r.Path)
	}
	if r.Function == "" {
		return nil, fmt.Errorf("route %s %s: no function", method, r.Path)
	}
	segs, err := parseTemplate(r.Path)
	if err != nil {
		return nil, fmt.Errorf("route %s %s: %w", method, r.Path, err)
	}
	r.Method = method
	return &route{Route: r, key: method + " " + r.Path, segs: segs}, nil
}

// parseTemplate parses a route path such as "/v1/contacts/{id}" or
// "/files/{proxy+}". Variables must span a whole segment, names must be
// unique, and a greedy variable may only be the last segment.
func parseTemplate(path string) ([]segment, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path must start with /")
	}
	if path == "/" {
		return []segment{{kind: segStatic}}, nil
	}
	parts := strings.Split(path[1:], "/")
	segs := make([]segment, 0, len(parts))
	seen := map[string]bool{}
	for i, p := range parts {
		switch {
		case p == "":
			return nil, fmt.Errorf("empty segment %d", i+1)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name, greedy := strings.CutSuffix(p[1:len(p)-1], "+")
			if !validParamName(name) {
				return nil, fmt.Errorf("bad path variable %q", p)
			}
			if seen[name] {
				return nil, fmt.Errorf("duplicate path variable %q", name)
			}
			seen[name] = true
			kind := segParam
			if greedy {
				if i != len(parts)-1 {
					return nil, fmt.Errorf("greedy variable %q must be the last segment", p)
				}
				kind = segGreedy
			}
			segs = append(segs, segment{kind: kind, text: name})
		case strings.ContainsAny(p, "{}"):
			return nil, fmt.Errorf("path variable must span a whole segment: %q", p)
		default:
			segs = append(segs, segment{kind: segStatic, text: p})
		}
	}
	return segs, nil
}

func validParamName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// shape identifies routes that match exactly the same paths.
func (rt *route) shape() string {
	var b strings.Builder
	for _, s := range rt.segs {
		b.WriteByte('/')
		switch s.kind {
		case segStatic:
			b.WriteString(s.text)
		case segParam:
			b.WriteString("{}")
		case segGreedy:
			b.WriteString("{+}")
		}
	}
	return b.String()
}

// router selects the most specific route for a request.
type router struct {
	routes []*route
}

func newRouter(rs []Route) (*router, error) {
	seen := map[string]string{}
	rt := &router{}
	for _, r := range rs {
		c, err := compileRoute(r)
		if err != nil {
			return nil, err
		}
		k := c.Method + " " + c.shape()
		if prev, ok := seen[k]; ok {
			return nil, fmt.Errorf("route %s conflicts with route %s", c.key, prev)
		}
		seen[k] = c.key
		rt.routes = append(rt.routes, c)
	}
	return rt, nil
}

// match returns the route for method and escapedPath (the path as sent,
// percent-encoded) and its URL-decoded path parameters, or nil.
//
// Static segments beat {param}, which beats {proxy+}, comparing segments
// from left to right; for routes with the same path, the exact method beats
// ANY.
func (rt *router) match(method, escapedPath string) (*route, map[string]string) {
	if !strings.HasPrefix(escapedPath, "/") {
		return nil, nil
	}
	raw := strings.Split(escapedPath[1:], "/")
	parts := make([]string, len(raw))
	for i, p := range raw {
		d, err := url.PathUnescape(p)
		if err != nil {
			return nil, nil
		}
		parts[i] = d
	}
	var best *route
	var bestParams map[string]string
	for _, r := range rt.routes {
		if r.Method != method && r.Method != "ANY" {
			continue
		}
		params, ok := r.matchPath(raw, parts)
		if ok && (best == nil || r.beats(best)) {
			best, bestParams = r, params
		}
	}
	return best, bestParams
}

// matchPath matches the raw and decoded segments of a request path.
func (r *route) matchPath(raw, parts []string) (map[string]string, bool) {
	var params map[string]string
	set := func(k, v string) {
		if params == nil {
			params = map[string]string{}
		}
		params[k] = v
	}
	for i, s := range r.segs {
		if i >= len(parts) {
			return nil, false
		}
		switch s.kind {
		case segStatic:
			if parts[i] != s.text {
				return nil, false
			}
		case segParam:
			if parts[i] == "" {
				return nil, false
			}
			set(s.text, parts[i])
		case segGreedy:
			rest, err := url.PathUnescape(strings.Join(raw[i:], "/"))
			if err != nil || rest == "" {
				return nil, false
			}
			set(s.text, rest)
			return params, true
		}
	}
	return params, len(parts) == len(r.segs)
}

// beats reports whether r is more specific than o, both having matched.
func (r *route) beats(o *route) bool {
	for i := 0; i < len(r.segs) && i < len(o.segs); i++ {
		if r.segs[i].kind != o.segs[i].kind {
			return r.segs[i].kind < o.segs[i].kind
		}
	}
	return r.Method != "ANY" && o.Method == "ANY"
}
