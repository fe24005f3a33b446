// Package mergepatch applies JSON merge patches (RFC 7396) to decoded JSON
// objects.
package mergepatch

// Apply returns target with patch applied: a null member removes the key, an
// object member is merged recursively, anything else replaces the value.
// Neither argument is modified.
func Apply(target, patch map[string]any) map[string]any {
	out := make(map[string]any, len(target)+len(patch))
	for k, v := range target {
		out[k] = v
	}
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(out, k)
		case map[string]any:
			tv, _ := out[k].(map[string]any)
			out[k] = Apply(tv, pv)
		default:
			out[k] = v
		}
	}
	return out
}
