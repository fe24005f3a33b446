package mergepatch

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The examples of RFC 7396, appendix A, whose targets and patches are objects.
func TestApplyRFC7396Examples(t *testing.T) {
	tests := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, tt := range tests {
		got := Apply(decode(t, tt.target), decode(t, tt.patch))
		if want := decode(t, tt.want); !reflect.DeepEqual(got, want) {
			t.Errorf("Apply(%s, %s) = %v, want %v", tt.target, tt.patch, got, want)
		}
	}
}

func TestApplyLeavesInputsAlone(t *testing.T) {
	target := decode(t, `{"a":{"b":"c"}}`)
	patch := decode(t, `{"a":{"b":null}}`)
	Apply(target, patch)
	if want := decode(t, `{"a":{"b":"c"}}`); !reflect.DeepEqual(target, want) {
		t.Errorf("target changed to %v", target)
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}
