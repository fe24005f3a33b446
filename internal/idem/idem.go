// Package idem is what Idempotency-Key needs from storage: a key claimed
// before a request runs and the first response kept for retries.
package idem

import "context"

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
