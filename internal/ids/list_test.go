package ids

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestList(t *testing.T) {
	a, b := New(time.Unix(1, 0)), New(time.Unix(2, 0))
	got, problems := List("ids", []any{a, b, a}, 3)
	if !slices.Equal(got, []string{a, b}) || problems != nil {
		t.Errorf("List = %v, %v; want [a b] once each", got, problems)
	}
	for _, tt := range []struct {
		v    any
		want string
	}{
		{"x", "ids:invalid_type"},
		{[]any{}, "ids:required"},
		{[]any{a, b, a, b}, "ids:too_many"},
		{[]any{a, "nope", 3}, "ids[1]:id_invalid ids[2]:id_invalid"},
	} {
		_, problems := List("ids", tt.v, 3)
		var codes []string
		for _, p := range problems {
			codes = append(codes, p.Field+":"+p.Code)
		}
		if got := joined(codes); got != tt.want {
			t.Errorf("List(%v) problems = %s, want %s", tt.v, got, tt.want)
		}
	}
}

func joined(s []string) string { return strings.Join(s, " ") }
