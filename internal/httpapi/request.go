package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
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

// ETag is the entity tag of an entity's version: a strong tag.
func ETag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch is an If-Match header as RFC 9110 (section 13.1.1) reads it.
type ifMatch struct {
	anyVersion bool  // no header, or "*": whatever version is current
	versions   []int // the versions its strong entity-tags name, in order
}

// unmatchableVersion is the version demanded for an If-Match whose tags
// name no version (weak tags, tags not of ours): no entity reaches it, so
// the write is a 412 once it found the entity, and a 404 when it did not.
const unmatchableVersion = math.MaxInt32

// parseIfMatch reads an If-Match value: "*" or a comma-separated list of
// entity-tags. If-Match compares strongly, so a weak tag never matches, nor
// does a tag that names no version of ours: neither adds a version.
// Errors: Malformed if_match_invalid for anything else.
func parseIfMatch(h string) (ifMatch, error) {
	malformed := errs.E(errs.Malformed, "if_match_invalid")
	rest := strings.Trim(h, " \t")
	if rest == "" || rest == "*" {
		return ifMatch{anyVersion: true}, nil
	}
	var m ifMatch
	tags := 0
	for rest != "" {
		if rest[0] == ',' { // empty list elements are allowed
			rest = strings.TrimLeft(rest[1:], " \t")
			continue
		}
		opaque, weak, after, ok := scanETag(rest)
		if !ok {
			return ifMatch{}, malformed
		}
		tags++
		if v, err := strconv.Atoi(opaque); err == nil && !weak && v > 0 && strconv.Itoa(v) == opaque {
			m.versions = append(m.versions, v)
		}
		rest = strings.TrimLeft(after, " \t")
		if rest != "" && rest[0] != ',' {
			return ifMatch{}, malformed
		}
	}
	if tags == 0 {
		return ifMatch{}, malformed
	}
	return m, nil
}

// scanETag reads the entity-tag s starts with: [W/] DQUOTE *etagc DQUOTE,
// etagc being %x21 / %x23-7E / %x80-FF. It returns the opaque tag without
// its quotes, whether the tag is weak, and what follows it.
func scanETag(s string) (opaque string, weak bool, rest string, ok bool) {
	if weak = strings.HasPrefix(s, "W/"); weak {
		s = s[2:]
	}
	if s == "" || s[0] != '"' {
		return "", false, "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[1:i], weak, s[i+1:], true
		case c == 0x21 || c >= 0x23 && c <= 0x7e || c >= 0x80:
		default:
			return "", false, "", false
		}
	}
	return "", false, "", false
}

// conditional runs write, a write of a versioned entity, under the request's
// If-Match: write gets the version to demand (0: none, for no header or
// "*"; an unmatchable one for tags that name no version). A list matches
// when any of its tags names the current version: when the first refuses
// with a 412, whose "current" parameter names the current version, and the
// list names that version too, write runs again demanding it.
// Errors: Malformed (a broken header), and write's.
func conditional(r *Request, write func(version int) error) error {
	m, err := parseIfMatch(r.Header("If-Match"))
	switch {
	case err != nil:
		return err
	case m.anyVersion:
		return write(0)
	case len(m.versions) == 0:
		return write(unmatchableVersion)
	}
	err = write(m.versions[0])
	if len(m.versions) == 1 || !errs.Is(err, errs.Precondition) {
		return err
	}
	current, _ := strconv.Atoi(errs.As(err).Params["current"])
	if current == m.versions[0] || !slices.Contains(m.versions, current) {
		return err
	}
	return write(current)
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
