package contact_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// settingsStore is a WorkspaceStore that holds one workspace's settings and
// counts its reads.
type settingsStore struct {
	w     contact.Workspace
	reads int
}

func (s *settingsStore) Workspace(context.Context, string) (contact.Workspace, error) {
	s.reads++
	return s.w, nil
}

func (s *settingsStore) SaveFields(context.Context, string, int, contact.FieldSettings) (contact.FieldSettings, error) {
	panic("not used")
}

func (s *settingsStore) SaveSettings(_ context.Context, _ string, _ int, set contact.Settings) (contact.Workspace, error) {
	s.w.Permissions = s.w.Permissions.With(set.Permissions)
	return s.w, nil
}

func TestParsePermissions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       any
		want     tenant.Permissions
		problems []string
	}{
		{"one action", map[string]any{"export": []any{"agent"}}, tenant.Permissions{tenant.Export: {tenant.Owner, tenant.Agent}}, nil},
		{"owners only", map[string]any{"bulkDelete": []any{}}, tenant.Permissions{tenant.BulkDelete: {tenant.Owner}}, nil},
		{"admin is a manager, duplicates and order do not matter", map[string]any{"delete": []any{"agent", "admin", "manager", "owner"}},
			tenant.Permissions{tenant.Delete: {tenant.Owner, tenant.Manager, tenant.Agent}}, nil},
		{"every action", map[string]any{"import": []any{}, "export": []any{}, "delete": []any{}, "bulkDelete": []any{}, "removeDuplicates": []any{"agent"}},
			tenant.Permissions{tenant.Import: {tenant.Owner}, tenant.Export: {tenant.Owner}, tenant.Delete: {tenant.Owner}, tenant.BulkDelete: {tenant.Owner},
				tenant.RemoveDuplicates: {tenant.Owner, tenant.Agent}}, nil},
		{"nothing", map[string]any{}, tenant.Permissions{}, nil},
		{"unknown action", map[string]any{"merge": []any{"agent"}}, nil, []string{"permissions.merge:unknown_field"}},
		{"unknown role", map[string]any{"export": []any{"guest"}}, nil, []string{"permissions.export:choice_invalid"}},
		{"a role not a string", map[string]any{"export": []any{true}}, nil, []string{"permissions.export:choice_invalid"}},
		{"roles not a list", map[string]any{"export": "agent"}, nil, []string{"permissions.export:invalid_type"}},
		{"not an object", []any{"export"}, nil, []string{"permissions:invalid_type"}},
		{"null", nil, nil, []string{"permissions:invalid_type"}},
	} {
		got, problems := contact.ParsePermissions("permissions", tc.in)
		var codes []string
		for _, p := range problems {
			codes = append(codes, p.Field+":"+p.Code)
		}
		if !reflect.DeepEqual(codes, tc.problems) {
			t.Errorf("%s: problems %v, want %v", tc.name, codes, tc.problems)
		}
		if tc.problems == nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRequire: each action is allowed or refused by the workspace's
// choice (the defaults when none), owners always, and an owner's call reads
// no settings.
func TestRequire(t *testing.T) {
	chosen := tenant.Permissions{tenant.Import: {tenant.Owner, tenant.Agent}, tenant.Delete: {tenant.Owner}, tenant.BulkDelete: {tenant.Owner, tenant.Manager}}
	for _, tc := range []struct {
		perms  tenant.Permissions
		role   tenant.Role
		action tenant.Action
		allow  bool
		reads  int
	}{
		{nil, tenant.Owner, tenant.BulkDelete, true, 0},
		{nil, tenant.Manager, tenant.BulkDelete, false, 1},
		{nil, tenant.Manager, tenant.Import, true, 1},
		{nil, tenant.Agent, tenant.Export, false, 1},
		{chosen, tenant.Owner, tenant.Delete, true, 0},
		{chosen, tenant.Manager, tenant.Delete, false, 1},
		{chosen, tenant.Manager, tenant.BulkDelete, true, 1},
		{chosen, tenant.Manager, tenant.Import, false, 1},
		{chosen, tenant.Agent, tenant.Import, true, 1},
		{chosen, tenant.Agent, tenant.RemoveDuplicates, false, 1},
		{chosen, tenant.Manager, tenant.RemoveDuplicates, true, 1},
	} {
		store := &settingsStore{w: contact.Workspace{ID: "acme", Permissions: tc.perms, Version: 2}}
		svc := &contact.Service{Workspaces: store}
		err := svc.Require(context.Background(), tenant.Caller{Workspace: "acme", Subject: "u", Role: tc.role}, tc.action)
		if allowed := err == nil; allowed != tc.allow || (err != nil && errs.As(err).Code != "forbidden_role") {
			t.Errorf("%v %s %s: %v, want allowed %v", tc.perms, tc.role, tc.action, err, tc.allow)
		}
		if store.reads != tc.reads {
			t.Errorf("%v %s %s: %d reads, want %d", tc.perms, tc.role, tc.action, store.reads, tc.reads)
		}
	}
}

// TestDeleteRefusedBeforeAnything: a role the workspace does not let
// delete is refused before any contact is read.
func TestDeleteRefusedBeforeAnything(t *testing.T) {
	store := &settingsStore{w: contact.Workspace{ID: "acme", Permissions: tenant.Permissions{tenant.Delete: {tenant.Owner}}}}
	svc := &contact.Service{Workspaces: store} // no Contacts: reading one would panic
	err := svc.Delete(context.Background(), tenant.Caller{Workspace: "acme", Subject: "m", Role: tenant.Manager}, "01jdx0000000000000000000zz", 0)
	if errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a manager's delete where only owners delete: %v, want forbidden", err)
	}
}

// TestSetSettingsPermissions: a patch's permissions reach the store as the
// actions given, the others untouched; a bad one stores nothing.
func TestSetSettingsPermissions(t *testing.T) {
	store := &settingsStore{w: contact.Workspace{ID: "acme", Permissions: tenant.Permissions{tenant.Import: {tenant.Owner}}}}
	svc := &contact.Service{Workspaces: store}
	owner := tenant.Caller{Workspace: "acme", Subject: "o", Role: tenant.Owner}
	w, err := svc.SetSettings(context.Background(), owner, 0, map[string]any{"permissions": map[string]any{"export": []any{"agent"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := tenant.Permissions{tenant.Import: {tenant.Owner}, tenant.Export: {tenant.Owner, tenant.Agent}}
	if !reflect.DeepEqual(w.Permissions, want) {
		t.Errorf("permissions = %v, want %v", w.Permissions, want)
	}
	_, err = svc.SetSettings(context.Background(), owner, 0, map[string]any{"permissions": map[string]any{"export": []any{"root"}}, "agentWalletOnly": true})
	if errs.KindOf(err) != errs.Invalid || !reflect.DeepEqual(store.w.Permissions, want) || store.w.AgentWalletOnly {
		t.Errorf("a bad role: %v, stored %+v", err, store.w)
	}
	agent := tenant.Caller{Workspace: "acme", Subject: "a", Role: tenant.Agent}
	if _, err := svc.SetSettings(context.Background(), agent, 0, map[string]any{"permissions": map[string]any{}}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("an agent's patch: %v, want forbidden", err)
	}
}
