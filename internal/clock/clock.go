// Package clock is the service's one source of time: every service takes a
// Clock (nil means the system clock) and asks it through Now, so tests can
// stop time and production code never calls time.Now beside an injected clock.
package clock

import "time"

// Clock returns the current time. A nil Clock is the system clock.
type Clock func() time.Time

// Now returns the clock's time in UTC; a nil clock reads the system clock.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}

// Fixed returns a clock stopped at t, for tests.
func Fixed(t time.Time) Clock { return func() time.Time { return t } }
