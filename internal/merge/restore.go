package merge

import (
	"fmt"
	"slices"
	"strings"

	"github.com/omnichannel/contacts/internal/contact"
)

// Restore returns the target an undo of rec writes, from the target as it
// was before the merge, as the merge wrote it (after) and as it is now
// (cur). When cur is still as the merge left it (same version), it is before
// exactly (exact is true). Else it is cur without what the merge did: the
// fields the merge set back to their values before it, the tags it added
// removed, the merge off the contact's list, one version up; a field the
// merge set that changed since is a conflict.
// Errors: Conflict "merge_undo_conflict" naming the fields changed since.
func Restore(rec Record, before, after, cur *contact.Contact) (restored *contact.Contact, exact bool, err error) {
	if cur.Version == after.Version {
		return before, true, nil
	}
	curDoc, afterDoc := cur.Profile.Document(), after.Profile.Document()
	var conflicts []string
	for _, f := range rec.Fields {
		if f != "tags" && fmt.Sprint(curDoc[f]) != fmt.Sprint(afterDoc[f]) {
			conflicts = append(conflicts, f)
		}
	}
	if len(conflicts) > 0 {
		return nil, false, ErrUndoConflict.With("fields", strings.Join(conflicts, ", "))
	}
	restored = cur.Clone()
	for _, name := range rec.Fields {
		if f, ok := contact.FieldNamed(name); ok && f.Copy != nil {
			f.Copy(&restored.Profile, &before.Profile)
		}
	}
	restored.TagIDs = slices.DeleteFunc(slices.Clone(cur.TagIDs), func(t string) bool {
		return !before.HasTag(t) && after.HasTag(t) // the merge added it
	})
	restored.Merges = slices.DeleteFunc(slices.Clone(cur.Merges), func(m string) bool { return m == rec.ID })
	if len(restored.TagIDs) == 0 {
		restored.TagIDs = nil
	}
	if len(restored.Merges) == 0 {
		restored.Merges = nil
	}
	restored.Version = cur.Version + 1
	return restored, false, nil
}
