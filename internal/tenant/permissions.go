package tenant

import "slices"

// Action is something a workspace decides which roles may do.
type Action string

// The actions a workspace's permissions cover (the names of the API's
// "permissions" object).
const (
	Import           Action = "import"
	Export           Action = "export"
	Delete           Action = "delete" // one contact
	BulkDelete       Action = "bulkDelete"
	RemoveDuplicates Action = "removeDuplicates"
)

// Actions are the actions permissions cover, in the order they are shown.
var Actions = []Action{Import, Export, Delete, BulkDelete, RemoveDuplicates}

// Roles are the roles, in the order they are shown.
var Roles = []Role{Owner, Manager, Agent}

// defaults are the roles that may take each action when the workspace chose
// nothing: what every service enforced before workspaces could choose.
var defaults = map[Action][]Role{
	Import:           {Owner, Manager},
	Export:           {Owner, Manager},
	Delete:           {Owner, Manager},
	BulkDelete:       {Owner},
	RemoveDuplicates: {Owner, Manager},
}

// Permissions are the roles a workspace lets take each action; an action
// it did not choose for has its default. Owners may always take every
// action, whatever is stored: an owner cannot be locked out.
type Permissions map[Action][]Role

// KnownAction reports whether a is an action permissions cover.
func KnownAction(a Action) bool { return slices.Contains(Actions, a) }

// Roles returns the roles that may take a: the owner, and the roles chosen
// (or the default ones), in the order of Roles.
func (p Permissions) Roles(a Action) []Role {
	chosen, ok := p[a]
	if !ok {
		chosen = defaults[a]
	}
	out := []Role{Owner}
	for _, r := range Roles[1:] {
		if slices.Contains(chosen, r) {
			out = append(out, r)
		}
	}
	return out
}

// Allows reports whether caller may take action a.
func (p Permissions) Allows(caller Caller, a Action) bool {
	if caller.Role == Owner {
		return true
	}
	return KnownAction(a) && slices.Contains(p.Roles(a), caller.Role)
}

// Effective returns the roles of every action, the defaults filled in.
func (p Permissions) Effective() Permissions {
	out := Permissions{}
	for _, a := range Actions {
		out[a] = p.Roles(a)
	}
	return out
}

// With returns p with the actions of q replaced by q's roles.
func (p Permissions) With(q Permissions) Permissions {
	out := Permissions{}
	for a, roles := range p {
		out[a] = roles
	}
	for a, roles := range q {
		out[a] = roles
	}
	return out
}
