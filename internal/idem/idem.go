// Package idem is what Idempotency-Key needs from storage: a key claimed
// before a request runs and the first response kept for retries.
//
// Keys live in two namespaces that cannot meet. A client's Idempotency-Key
// is stored as ClientKey(sub, key): bound to the user who sent it, so that
// another user's request with the same key is a request of its own. The
// service's own keys (a sender's first message: "inbound:phone:<E.164>")
// start with a reserved prefix, which a client's key may not (Reserved).
package idem

import (
	"context"
	"strings"
)

// ClientKey is the stored key of a client's Idempotency-Key, sent by the
// user subject (a tenant.ValidUserID, which has no '#').
func ClientKey(subject, key string) string { return "HTTP#" + subject + "#" + key }

// reservedPrefixes start the keys the service makes for itself.
var reservedPrefixes = []string{"inbound:"}

// Reserved returns the reserved prefix key starts with (in any case), or "".
func Reserved(key string) string {
	for _, p := range reservedPrefixes {
		if len(key) >= len(p) && strings.EqualFold(key[:len(p)], p) {
			return p
		}
	}
	return ""
}

// Response is a response kept under an Idempotency-Key.
type Response struct {
	Fingerprint string
	Status      int
	Headers     map[string]string
	Body        string
	// ContactID, when the body holds a contact's data, names that contact:
	// the kept response is listed under it and deleted with it.
	ContactID string
}

// Store keeps the first response of requests made with an Idempotency-Key.
type Store interface {
	// Begin claims key for a request with this fingerprint. It returns the
	// kept response when the request was already answered. Errors:
	// Conflict idempotency_key_in_use (the twin is still running), Invalid
	// idempotency_key_reused (the key was used for another request).
	Begin(ctx context.Context, workspace, key, fingerprint string) (*Response, error)
	// Finish keeps the response of a claimed key.
	Finish(ctx context.Context, workspace, key string, resp Response) error
	// Abandon releases a claimed key whose request failed, so it can be retried.
	Abandon(ctx context.Context, workspace, key string) error
}
