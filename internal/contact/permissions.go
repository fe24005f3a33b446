package contact

import (
	"context"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// The permissions a workspace chooses: which roles may import, export,
// delete a contact, bulk delete and remove duplicates (tenant.Permissions).
// Each service checks its action through Require (or Allows on settings it
// read anyway) before anything else; owners always may, so an owner's call
// reads nothing.

// ParsePermissions reads {action: [role...]} of a settings patch at field.
// Only the actions given are returned (a patch replaces those alone). An
// unknown action or role is a problem naming the action's field
// ("permissions.export").
func ParsePermissions(field string, v any) (tenant.Permissions, []errs.FieldError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, []errs.FieldError{errs.Field(field, "invalid_type", "type", "object of action to roles")}
	}
	var problems []errs.FieldError
	out := tenant.Permissions{}
	for k, raw := range m {
		path := field + "." + k
		if !tenant.KnownAction(tenant.Action(k)) {
			problems = append(problems, errs.Field(path, "unknown_field"))
			continue
		}
		list, ok := raw.([]any)
		if !ok {
			problems = append(problems, errs.Field(path, "invalid_type", "type", "array of roles"))
			continue
		}
		roles := []tenant.Role{}
		for _, item := range list {
			s, _ := item.(string)
			r, known := tenant.ParseRole(s)
			if !known {
				problems = append(problems, errs.Field(path, "choice_invalid", "choices", "owner, manager, agent"))
				break
			}
			roles = append(roles, r)
		}
		out[tenant.Action(k)] = tenant.Permissions{tenant.Action(k): roles}.Roles(tenant.Action(k))
	}
	return out, problems
}

// Allows returns ErrForbidden unless the workspace w lets caller take a.
func (w Workspace) Allows(caller tenant.Caller, a tenant.Action) error {
	if !w.Permissions.Allows(caller, a) {
		return ErrForbidden
	}
	return nil
}

// Require returns ErrForbidden unless the caller's workspace lets the
// caller take action a. An owner always may: nothing is read; anyone else
// costs a read of the workspace settings. Errors: Forbidden.
func (s *Service) Require(ctx context.Context, caller tenant.Caller, a tenant.Action) error {
	if caller.Role == tenant.Owner {
		return nil
	}
	w, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return err
	}
	return w.Allows(caller, a)
}

// Permissions returns the workspace's permissions: one read of its settings.
func (s *Service) Permissions(ctx context.Context, workspace string) (tenant.Permissions, error) {
	w, err := s.Workspaces.Workspace(ctx, workspace)
	return w.Permissions, err
}

// Me is what the caller may do in its workspace, for a front end to show
// only the actions that will work.
type Me struct {
	Caller    tenant.Caller
	Workspace Workspace
	May       map[tenant.Action]bool
	// ChangeSettings: PATCH /v1/settings and PUT /v1/contact-fields (owners
	// and managers, whatever the permissions).
	ChangeSettings bool
}

// Me returns the caller and what it may do: one read of the workspace
// settings.
func (s *Service) Me(ctx context.Context, caller tenant.Caller) (Me, error) {
	w, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return Me{}, err
	}
	may := map[tenant.Action]bool{}
	for _, a := range tenant.Actions {
		may[a] = w.Permissions.Allows(caller, a)
	}
	return Me{Caller: caller, Workspace: w, May: may, ChangeSettings: caller.IsManager()}, nil
}
