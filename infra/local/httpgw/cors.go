package httpgw

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions &&
		r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// allowOrigin returns the Access-Control-Allow-Origin value for origin, or
// "" when the origin is not allowed.
func (c *CORS) allowOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			if c.AllowCredentials {
				return origin // "*" is not valid with credentials
			}
			return "*"
		}
		if strings.EqualFold(o, origin) {
			return origin
		}
	}
	return ""
}

// preflight returns the headers of the gateway's answer to a preflight
// request: none unless the origin, the requested method and all the
// requested headers are allowed.
func (c *CORS) preflight(r *http.Request) http.Header {
	h := http.Header{}
	origin := c.allowOrigin(r.Header.Get("Origin"))
	if origin == "" || !allowed(c.AllowMethods, r.Header.Get("Access-Control-Request-Method")) {
		return h
	}
	for _, line := range r.Header.Values("Access-Control-Request-Headers") {
		for name := range strings.SplitSeq(line, ",") {
			if name = strings.TrimSpace(name); name != "" && !allowed(c.AllowHeaders, name) {
				return h
			}
		}
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if len(c.AllowMethods) > 0 {
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
	}
	if len(c.AllowHeaders) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	return h
}

// allowed reports whether v is in list, case-insensitively, or list has "*".
func allowed(list []string, v string) bool {
	return slices.ContainsFunc(list, func(s string) bool {
		return s == "*" || strings.EqualFold(s, v)
	})
}

// apply replaces the CORS headers of an actual (non-preflight) response:
// HTTP API ignores the ones the function sets and adds its own when the
// request's origin is allowed. Preflight responses are left as built.
func (c *CORS) apply(h http.Header, r *http.Request) {
	if isPreflight(r) {
		return
	}
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	origin := c.allowOrigin(r.Header.Get("Origin"))
	if origin == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}
