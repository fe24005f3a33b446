package contact

import (
	"slices"
	"testing"
	"time"
)

func TestDiff(t *testing.T) {
	base := &Contact{Profile: Profile{Name: "Maria", Phone: "+5511999991234"}, TagIDs: []string{"t1"}}
	with := func(edit func(c *Contact)) *Contact {
		c := base.Clone()
		edit(c)
		return c
	}
	tests := []struct {
		name          string
		before, after *Contact
		want          Change
	}{
		{"created", nil, base, Change{Event: "created"}},
		{"imported", nil, with(func(c *Contact) { c.ImportJob = "job-1" }), Change{Event: "imported"}},
		{"nothing", base, base.Clone(), Change{Event: "updated"}},
		{"name", base, with(func(c *Contact) { c.Name = "Maria Silva" }), Change{Fields: []string{"name"}, Event: "updated"}},
		{"tags only", base, with(func(c *Contact) { c.TagIDs = []string{"t1", "t2"} }), Change{Fields: []string{"tags"}, Event: "tagged"}},
		{"blocked", base, with(func(c *Contact) { c.Blocked, c.BlockedAt = true, time.Unix(1, 0) }), Change{Fields: []string{"blocked"}, Event: "blocked"}},
		{"unblocked", with(func(c *Contact) { c.Blocked = true }), base, Change{Fields: []string{"blocked"}, Event: "unblocked"}},
		{"tags and name", base, with(func(c *Contact) { c.TagIDs, c.Email = nil, "m@x.co" }), Change{Fields: []string{"email", "tags"}, Event: "updated"}},
		{"country alone", base, with(func(c *Contact) { c.Country = "PT" }), Change{Fields: []string{"country"}, Event: "updated"}},
		{"conversation", base, with(func(c *Contact) { c.ConversationStatus = "open" }), Change{Fields: []string{"conversationStatus"}, Event: "updated"}},
	}
	for _, tt := range tests {
		got := Diff(tt.before, tt.after)
		if !slices.Equal(got.Fields, tt.want.Fields) || got.Event != tt.want.Event {
			t.Errorf("%s: Diff = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
