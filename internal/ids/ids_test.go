package ids

import (
	"testing"
	"time"
)

func TestNewIsValidUniqueAndTimeOrdered(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 1000; i++ {
		id := New(start.Add(time.Duration(i) * time.Millisecond))
		if !Valid(id) {
			t.Fatalf("Valid(%q) = false, want true", id)
		}
		if seen[id] {
			t.Fatalf("New returned %q twice", id)
		}
		seen[id] = true
		if id <= prev {
			t.Fatalf("ids not ordered by time: %q after %q", id, prev)
		}
		prev = id
	}
}

func TestValidRejects(t *testing.T) {
	for _, s := range []string{"", "abc", "01J0000000000000000000000U", "01j000000000000000000000000", "01j00000000000000000000/00", "01j0000000000000000000000i"} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true, want false", s)
		}
	}
}
