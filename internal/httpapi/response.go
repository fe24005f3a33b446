package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/omnichannel/contacts/internal/errs"
)

// statusOf maps each kind of error to its HTTP status: the one table.
var statusOf = map[errs.Kind]int{
	errs.Malformed:       http.StatusBadRequest,
	errs.Invalid:         http.StatusUnprocessableEntity,
	errs.NotFound:        http.StatusNotFound,
	errs.Conflict:        http.StatusConflict,
	errs.Precondition:    http.StatusPreconditionFailed,
	errs.Forbidden:       http.StatusForbidden,
	errs.Unauthenticated: http.StatusUnauthorized,
	errs.TooLarge:        http.StatusRequestEntityTooLarge,
	errs.Internal:        http.StatusInternalServerError,
}

// JSON answers status with v encoded as JSON, and extra headers as
// key, value pairs.
func JSON(status int, v any, headers ...string) Response {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a programming error can get here; answer without leaking it.
		return Response{StatusCode: http.StatusInternalServerError, Headers: map[string]string{"Content-Type": "application/problem+json"}, Body: `{"type":"/problems/internal","title":"Internal error","status":500}`}
	}
	h := map[string]string{"Content-Type": "application/json"}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	return Response{StatusCode: status, Headers: h, Body: string(body)}
}

// NoContent answers 204.
func NoContent() Response { return Response{StatusCode: http.StatusNoContent} }

type problemBody struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	Code      string         `json:"code"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"requestId,omitempty"`
	Errors    []problemField `json:"errors,omitempty"`
	// MergedInto: for contact_merged, the contact the requested one went to.
	MergedInto string `json:"mergedInto,omitempty"`
}

type problemField struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// problem answers err as RFC 9457 problem+json in the request's language.
// Internal errors say nothing of their cause.
func (a *API) problem(req *Request, err error) Response {
	e := errs.As(err)
	req.err = e
	if e.Kind == errs.Internal {
		e = errs.E(errs.Internal, "internal").Wrap(e.Err)
		req.err = e
	}
	status := statusOf[e.Kind]
	body := problemBody{
		Type:      "/problems/" + e.Code,
		Title:     errs.Message(req.Lang, "kind."+string(e.Kind), nil),
		Status:    status,
		Detail:    errs.Message(req.Lang, e.Code, e.Params),
		Code:      e.Code,
		Instance:  req.Event.RawPath,
		RequestID: req.Event.RequestContext.RequestID,
	}
	for _, f := range e.Fields {
		body.Errors = append(body.Errors, problemField{Field: f.Field, Code: f.Code, Message: errs.Message(req.Lang, f.Code, f.Params)})
	}
	body.MergedInto = e.Params["mergedInto"]
	resp := JSON(status, body)
	if body.MergedInto != "" {
		resp.Headers["Location"] = "/v1/contacts/" + body.MergedInto
	}
	resp.Headers["Content-Type"] = "application/problem+json"
	resp.Headers["Content-Language"] = string(req.Lang)
	return resp
}
