package changes

import "reflect"

// companyEvents: company.created on insert (every field set), deleted on
// removal, updated when a write changed its fields (each with its old and
// new value, in the API's names; tags as their ids). Its CNPJ guard and index rows are other
// items, which make nothing.
func companyEvents(r Record, add func(Event)) {
	o, n := r.Old.Company, r.New.Company
	switch {
	case n == nil && o != nil && r.Remove:
		add(Event{Type: CompanyDeleted, Workspace: o.Workspace, CompanyID: o.ID, Version: o.Version, At: r.At})
		return
	case n == nil || (o == nil && !r.Insert):
		return
	}
	e := Event{Type: CompanyUpdated, Workspace: n.Workspace, CompanyID: n.ID, Version: n.Version, Actor: n.UpdatedBy, At: atOr(n.UpdatedAt, r.At)}
	var before map[string]any
	if o == nil {
		e.Type, e.Actor, before = CompanyCreated, n.CreatedBy, map[string]any{}
	} else {
		before = o.Fields()
	}
	if e.Changes = documentChanges(before, n.Fields()); o == nil || len(e.Changes) > 0 {
		add(e)
	}
}

// documentChanges returns the members that differ between the documents a
// and b, with both values ("" and an absent member are null; a member null
// on both sides is no change).
func documentChanges(a, b map[string]any) map[string]Change {
	out := map[string]Change{}
	for k, v := range b {
		if old, ok := a[k]; !ok || !reflect.DeepEqual(old, v) {
			out[k] = Change{Old: nullIfEmpty(a[k]), New: nullIfEmpty(v)}
		}
	}
	for k, v := range a {
		if _, ok := b[k]; !ok {
			out[k] = Change{Old: nullIfEmpty(v), New: nil}
		}
	}
	for k, c := range out {
		if c.Old == nil && c.New == nil {
			delete(out, k)
		}
	}
	return out
}
