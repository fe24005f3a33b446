package clock

import (
	"testing"
	"time"
)

func TestNow(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.FixedZone("BRT", -3*3600))
	if got, want := Fixed(at).Now(), at.UTC(); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Fixed(at).Now() = %v, want %v in UTC", got, want)
	}
	var system Clock
	if got := system.Now(); got.Location() != time.UTC || time.Since(got) > time.Minute {
		t.Errorf("nil clock Now() = %v, want the system time in UTC", got)
	}
}
