package errs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorIs(t *testing.T) {
	notFound := E(NotFound, "contact_not_found")
	wrapped := fmt.Errorf("load: %w", notFound)
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"same kind and code", wrapped, E(NotFound, "contact_not_found"), true},
		{"any code of the kind", wrapped, E(NotFound, ""), true},
		{"other code", wrapped, E(NotFound, "tag_not_found"), false},
		{"other kind", wrapped, E(Conflict, ""), false},
		{"not an Error", errors.New("x"), E(NotFound, ""), false},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("%s: errors.Is = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRecover(t *testing.T) {
	run := func() (err error) {
		defer Recover(&err)
		var m map[string]int
		m["x"] = 1 // panics: assignment to a nil map
		return nil
	}
	err := run()
	if got, want := KindOf(err), Internal; got != want {
		t.Fatalf("KindOf(recovered) = %q, want %q (err %v)", got, want, err)
	}
	if !strings.Contains(err.Error(), "panic: assignment to entry in nil map") {
		t.Errorf("err = %v, want the panic kept for the logs", err)
	}
}
