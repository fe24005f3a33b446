// Package mergepatch applies JSON merge patches (RFC 7396) to decoded JSON
// objects.
package mergepatch

import "reflect"

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

// Changed names the top-level members that differ between documents a and
// b (present in one only, or with different values), unsorted.
func Changed(a, b map[string]any) []string {
	var out []string
	for k, v := range a {
		if !reflect.DeepEqual(v, b[k]) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
