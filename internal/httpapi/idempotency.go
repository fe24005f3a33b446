package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/idem"
)

// MaxIdempotencyKey is the longest Idempotency-Key accepted.
const MaxIdempotencyKey = 255

// idempotencyKey reads the Idempotency-Key header, "" when there is none.
// Errors: Malformed idempotency_key_invalid (not 1 to MaxIdempotencyKey
// visible ASCII characters), idempotency_key_reserved (it starts like the
// service's own keys: idem.Reserved).
func idempotencyKey(r *Request) (string, error) {
	key := r.Header("Idempotency-Key")
	if key == "" {
		return "", nil
	}
	if len(key) > MaxIdempotencyKey || strings.IndexFunc(key, func(c rune) bool { return c < '!' || c > '~' }) >= 0 {
		return "", errs.E(errs.Malformed, "idempotency_key_invalid").With("max", strconv.Itoa(MaxIdempotencyKey))
	}
	if prefix := idem.Reserved(key); prefix != "" {
		return "", errs.E(errs.Malformed, "idempotency_key_reserved").With("prefix", prefix)
	}
	return key, nil
}

// idempotent runs h once per Idempotency-Key of a user: a retry with the
// same key and body replays the first success; the same key with another
// body is a 422. Only successes are kept: a failed request may be retried
// with its key. The key is stored as idem.ClientKey: another user's
// request with the same key is a request of its own.
func idempotent(store idem.Store, h HandlerFunc) HandlerFunc {
	return func(ctx context.Context, r *Request) (Response, error) {
		key, err := idempotencyKey(r)
		if err != nil {
			return Response{}, err
		}
		if key == "" || store == nil {
			return h(ctx, r)
		}
		key = idem.ClientKey(r.Caller.Subject, key)
		doc, err := r.DecodeObject()
		if err != nil {
			return Response{}, err
		}
		fp := fingerprint(r, doc)
		prev, err := store.Begin(ctx, r.Caller.Workspace, key, fp)
		if err != nil {
			return Response{}, err
		}
		if prev != nil {
			headers := map[string]string{"Idempotent-Replayed": "true"}
			for k, v := range prev.Headers {
				headers[k] = v
			}
			return Response{StatusCode: prev.Status, Headers: headers, Body: prev.Body}, nil
		}
		resp, err := h(ctx, r)
		if err != nil || resp.StatusCode >= 300 {
			_ = store.Abandon(ctx, r.Caller.Workspace, key) // expires by itself if this fails
			return resp, err
		}
		if err := store.Finish(ctx, r.Caller.Workspace, key, idem.Response{Fingerprint: fp, Status: resp.StatusCode, Headers: resp.Headers, Body: resp.Body, ContactID: r.Contact}); err != nil {
			return Response{}, err
		}
		return resp, nil
	}
}

// fingerprint identifies a request: its route, path and body, the body
// canonicalised (map keys sorted) so formatting does not matter.
func fingerprint(r *Request, doc map[string]any) string {
	canonical, _ := json.Marshal(doc)
	sum := sha256.Sum256([]byte(r.Event.RouteKey + "\x00" + r.Event.RawPath + "\x00" + string(canonical)))
	return hex.EncodeToString(sum[:])
}
