package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/text/language"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Request is one HTTP API event with its verified caller.
type Request struct {
	Event  *events.APIGatewayV2HTTPRequest
	Caller tenant.Caller
	Lang   errs.Language
	Body   []byte
	// Contact names the contact whose data a successful response holds;
	// handlers wrapped by idempotent set it, so the kept response is
	// deleted with the contact.
	Contact string
	err     *errs.Error // the error answered, for the log line
}

// Path returns a path parameter.
func (r *Request) Path(name string) string { return r.Event.PathParameters[name] }

// Header returns a request header; HTTP API lowercases their names.
func (r *Request) Header(name string) string { return r.Event.Headers[strings.ToLower(name)] }

// DecodeObject reads the body as one JSON object, numbers kept as
// json.Number. Errors: Malformed.
func (r *Request) DecodeObject() (map[string]any, error) {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return nil, errs.E(errs.Malformed, "malformed_json").With("reason", "the body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errs.E(errs.Malformed, "malformed_json").With("reason", jsonReason(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errs.E(errs.Malformed, "malformed_json").With("reason", "unexpected data after the JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errs.E(errs.Malformed, "body_not_object")
	}
	return obj, nil
}

// jsonReason describes a JSON decoding error without echoing the input.
func jsonReason(err error) string {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "unexpected end of input"
	}
	return "cannot be decoded"
}

// IfMatch returns the version demanded by the If-Match header, 0 when there
// is none or it is "*". Errors: Malformed.
func (r *Request) IfMatch() (int, error) {
	h := strings.TrimSpace(r.Header("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	v, err := parseETag(h)
	if err != nil {
		return 0, errs.E(errs.Malformed, "if_match_invalid")
	}
	return v, nil
}

// VersionedBody reads what a write of a versioned entity sends: the
// If-Match version (0 when absent) and the JSON object body. Errors: Malformed.
func (r *Request) VersionedBody() (int, map[string]any, error) {
	version, err := r.IfMatch()
	if err != nil {
		return 0, nil, err
	}
	doc, err := r.DecodeObject()
	return version, doc, err
}

// ETag is the entity tag of an entity's version.
func ETag(version int) string { return `"` + strconv.Itoa(version) + `"` }

func parseETag(s string) (int, error) {
	s = strings.TrimPrefix(s, "W/")
	if len(s) < 3 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, errors.New("not a quoted entity tag")
	}
	v, err := strconv.Atoi(s[1 : len(s)-1])
	if err != nil || v < 1 {
		return 0, errors.New("not a version")
	}
	return v, nil
}

var supported = language.NewMatcher([]language.Tag{language.English, language.BrazilianPortuguese})

// preferredLanguage picks English or Portuguese from Accept-Language.
func preferredLanguage(headers map[string]string) errs.Language {
	tags, _, err := language.ParseAcceptLanguage(headers["accept-language"])
	if err != nil || len(tags) == 0 {
		return errs.English
	}
	_, idx, conf := supported.Match(tags...)
	if idx == 1 && conf != language.No {
		return errs.Portuguese
	}
	return errs.English
}
