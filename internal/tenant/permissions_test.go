package tenant_test

import (
	"reflect"
	"testing"

	"github.com/omnichannel/contacts/internal/tenant"
)

func TestPermissions(t *testing.T) {
	owner := tenant.Caller{Workspace: "acme", Subject: "u1", Role: tenant.Owner}
	manager := tenant.Caller{Workspace: "acme", Subject: "u2", Role: tenant.Manager}
	agent := tenant.Caller{Workspace: "acme", Subject: "u3", Role: tenant.Agent}
	chosen := tenant.Permissions{tenant.Export: {tenant.Manager, tenant.Agent}, tenant.BulkDelete: {}, tenant.Import: {tenant.Agent}}
	for _, tc := range []struct {
		name   string
		p      tenant.Permissions
		caller tenant.Caller
		action tenant.Action
		want   bool
	}{
		// The defaults: what the services enforced before.
		{"default import, manager", nil, manager, tenant.Import, true},
		{"default import, agent", nil, agent, tenant.Import, false},
		{"default export, manager", nil, manager, tenant.Export, true},
		{"default export, agent", nil, agent, tenant.Export, false},
		{"default delete, manager", nil, manager, tenant.Delete, true},
		{"default delete, agent", nil, agent, tenant.Delete, false},
		{"default bulk delete, owner", nil, owner, tenant.BulkDelete, true},
		{"default bulk delete, manager", nil, manager, tenant.BulkDelete, false},
		{"default remove duplicates, manager", nil, manager, tenant.RemoveDuplicates, true},
		{"default remove duplicates, agent", nil, agent, tenant.RemoveDuplicates, false},
		// Chosen.
		{"agents export", chosen, agent, tenant.Export, true},
		{"managers still export", chosen, manager, tenant.Export, true},
		{"nobody bulk deletes but the owner", chosen, manager, tenant.BulkDelete, false},
		{"the owner is never locked out", chosen, owner, tenant.BulkDelete, true},
		{"agents import, managers not", chosen, manager, tenant.Import, false},
		{"agents import", chosen, agent, tenant.Import, true},
		{"owner not listed still imports", chosen, owner, tenant.Import, true},
		{"an action not chosen keeps its default", chosen, manager, tenant.Delete, true},
		{"unknown action", chosen, manager, tenant.Action("fly"), false},
		{"unknown role", nil, tenant.Caller{Role: "guest"}, tenant.Export, false},
	} {
		if got := tc.p.Allows(tc.caller, tc.action); got != tc.want {
			t.Errorf("%s: Allows = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPermissionsEffective(t *testing.T) {
	got := tenant.Permissions{tenant.Export: {tenant.Agent, tenant.Manager, tenant.Agent}, tenant.BulkDelete: {}}.Effective()
	want := tenant.Permissions{
		tenant.Import:           {tenant.Owner, tenant.Manager},
		tenant.Export:           {tenant.Owner, tenant.Manager, tenant.Agent},
		tenant.Delete:           {tenant.Owner, tenant.Manager},
		tenant.BulkDelete:       {tenant.Owner},
		tenant.RemoveDuplicates: {tenant.Owner, tenant.Manager},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Effective = %v, want %v", got, want)
	}
	with := tenant.Permissions{tenant.Export: {tenant.Agent}}.With(tenant.Permissions{tenant.Import: {}})
	if len(with) != 2 || len(with[tenant.Export]) != 1 || with[tenant.Import] == nil {
		t.Errorf("With = %v", with)
	}
}
