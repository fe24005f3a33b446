// Package errs is the service's error vocabulary: a handful of kinds that
// adapters map to transport codes in one table, each error carrying a stable
// machine code and, for validation, one entry per broken rule.
package errs

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Kind classifies an error by what the caller can do about it.
type Kind string

// The kinds of error. Adapters map each to exactly one status code.
const (
	Malformed       Kind = "malformed"       // the request cannot be read at all (bad JSON, bad cursor)
	Invalid         Kind = "invalid"         // the request was read but breaks a rule
	NotFound        Kind = "not_found"       // no such thing in the caller's workspace
	Conflict        Kind = "conflict"        // the current state forbids it
	Precondition    Kind = "precondition"    // If-Match does not match the current version
	Forbidden       Kind = "forbidden"       // the caller's role may not do it
	Unauthenticated Kind = "unauthenticated" // no verified caller
	TooLarge        Kind = "too_large"       // a size limit was exceeded
	Internal        Kind = "internal"        // our fault; details are logged, never sent
)

// FieldError is one broken rule on one field of the input.
type FieldError struct {
	Field  string            // JSON path of the field, e.g. "phone" or "customFields.plan"
	Code   string            // stable machine code, e.g. "phone_invalid"
	Params map[string]string // values for the message template, e.g. {"max": "200"}
}

// Error is an error the service reports to its callers.
type Error struct {
	Kind   Kind
	Code   string            // stable machine code, e.g. "contact_not_found"
	Params map[string]string // values for the message template
	Fields []FieldError      // for Invalid: every rule broken
	Err    error             // the underlying cause, logged but never shown
}

func (e *Error) Error() string {
	msg := string(e.Kind) + ": " + e.Code
	if len(e.Fields) > 0 {
		msg += fmt.Sprintf(" (%d field errors)", len(e.Fields))
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// E returns an error of the given kind and code.
func E(kind Kind, code string) *Error { return &Error{Kind: kind, Code: code} }

// With returns a copy of e with a message parameter set.
func (e *Error) With(key, value string) *Error {
	c := *e
	c.Params = make(map[string]string, len(e.Params)+1)
	for k, v := range e.Params {
		c.Params[k] = v
	}
	c.Params[key] = value
	return &c
}

// Wrap returns a copy of e that keeps cause for the logs.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// Validation returns an Invalid error listing every broken rule.
func Validation(fields []FieldError) *Error {
	return &Error{Kind: Invalid, Code: "validation_failed", Fields: fields}
}

// Field returns one FieldError; params are key, value pairs.
func Field(field, code string, params ...string) FieldError {
	fe := FieldError{Field: field, Code: code}
	if len(params) > 0 {
		fe.Params = make(map[string]string, len(params)/2)
		for i := 0; i+1 < len(params); i += 2 {
			fe.Params[params[i]] = params[i+1]
		}
	}
	return fe
}

// KindOf returns the kind of err, or Internal when err is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns err as an *Error, turning anything else into an Internal error
// that keeps err as its cause.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: "internal", Err: err}
}

// Is reports whether err is an *Error of the given kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// Is reports whether target is an *Error of the same kind and, when target
// names a code, the same code, so errors.Is(err, errs.E(errs.NotFound, ""))
// matches any not-found error and errors.Is(err, ErrX) a specific one.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return e.Kind == t.Kind && (t.Code == "" || e.Code == t.Code)
}

// Recover, deferred at the top of a goroutine's function (defer
// errs.Recover(&err)), turns a panic there into an internal error in *err,
// with the panic and its stack kept for the logs, so a panic on a request
// path becomes a 500 or a failed message instead of a crashed process.
func Recover(err *error) {
	if p := recover(); p != nil {
		*err = E(Internal, "internal").Wrap(fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
	}
}
