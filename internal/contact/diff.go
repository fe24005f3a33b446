package contact

import (
	"slices"

	"github.com/omnichannel/contacts/internal/mergepatch"
)

// Change is what a write does to a contact: the fields it changes and the
// timeline event that records it.
type Change struct {
	Fields []string // the changed fields, sorted; none for a creation
	Event  string   // created, imported, tagged, blocked, unblocked or updated
}

// ImportActor is the actor an import job writes contacts as.
func ImportActor(jobID string) string { return "import:" + jobID }

// Diff tells what writing after over before changes (before nil: a
// creation, "imported" when an import job creates it). An update that
// changes only the tags is "tagged", only the block "blocked" or
// "unblocked", anything else "updated"; no fields means nothing to write.
func Diff(before, after *Contact) Change {
	if before == nil {
		if after.ImportJob != "" {
			return Change{Event: "imported"}
		}
		return Change{Event: "created"}
	}
	fields := changedFields(before, after)
	event := "updated"
	if len(fields) == 1 {
		switch {
		case fields[0] == "tags":
			event = "tagged"
		case fields[0] == "blocked" && after.Blocked:
			event = "blocked"
		case fields[0] == "blocked":
			event = "unblocked"
		}
	}
	return Change{Fields: fields, Event: event}
}

// changedFields names the fields that differ between a and b: the profile's
// (as documents), the country, and the tags, block, main contact and
// conversation status.
func changedFields(a, b *Contact) []string {
	out := mergepatch.Changed(a.Profile.Document(), b.Profile.Document())
	if a.Country != b.Country && !slices.Contains(out, "country") {
		out = append(out, "country")
	}
	for field, differs := range map[string]bool{
		"tags":               !slices.Equal(a.TagIDs, b.TagIDs),
		"blocked":            a.Blocked != b.Blocked || a.BlockedBy != b.BlockedBy || !a.BlockedAt.Equal(b.BlockedAt),
		"mainContactId":      a.MainContactID != b.MainContactID,
		"conversationStatus": a.ConversationStatus != b.ConversationStatus,
	} {
		if differs {
			out = append(out, field)
		}
	}
	slices.Sort(out)
	return out
}
