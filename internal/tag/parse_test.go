package tag

import (
	"slices"
	"strings"
	"testing"
)

func TestParseTag(t *testing.T) {
	tests := []struct {
		name        string
		doc         map[string]any
		requireName bool
		wantName    string
		wantColor   string
		want        []string
	}{
		{"name and color", map[string]any{"name": "  Cliente   VIP ", "color": "#FFAA00"}, true, "Cliente VIP", "#ffaa00", nil},
		{"name required", map[string]any{"color": "#ffaa00"}, true, "", "#ffaa00", []string{"name:required"}},
		{"rename without a name", map[string]any{"color": "#ffaa00"}, false, "", "#ffaa00", nil},
		{"blank name", map[string]any{"name": "   "}, true, "", "", []string{"name:required"}},
		{"long name", map[string]any{"name": strings.Repeat("á", MaxNameRunes+1)}, true, strings.Repeat("á", MaxNameRunes+1), "", []string{"name:too_long"}},
		{"wrong types, bad color, unknown field", map[string]any{"name": 3, "color": "red", "x": 1}, true, "", "red", []string{"color:color_invalid", "name:invalid_type", "x:unknown_field"}},
	}
	for _, tt := range tests {
		name, color, problems := parseTag(tt.doc, tt.requireName)
		var got []string
		for _, p := range problems {
			got = append(got, p.Field+":"+p.Code)
		}
		slices.Sort(got)
		if name != tt.wantName || color != tt.wantColor || !slices.Equal(got, tt.want) {
			t.Errorf("%s: parseTag = %q, %q, %v; want %q, %q, %v", tt.name, name, color, got, tt.wantName, tt.wantColor, tt.want)
		}
	}
	if got, want := NameKey("  Cliente   VIP "), "cliente vip"; got != want {
		t.Errorf("NameKey = %q, want %q", got, want)
	}
}
