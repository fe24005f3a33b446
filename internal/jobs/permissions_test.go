package jobs_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/tenant"
)

type permSource struct {
	p     tenant.Permissions
	reads int
}

func (s *permSource) Permissions(context.Context, string) (tenant.Permissions, error) {
	s.reads++
	return s.p, nil
}

// TestMayStartFollowsThePermissions: who may start each type of job is the
// permission of its action, the defaults being the rule before workspaces
// chose (imports, exports, removing duplicates: owners and managers; bulk
// deletes: owners).
func TestMayStartFollowsThePermissions(t *testing.T) {
	chosen := tenant.Permissions{tenant.Export: {tenant.Agent}, tenant.BulkDelete: {tenant.Manager}, tenant.RemoveDuplicates: {}}
	for _, tc := range []struct {
		p    tenant.Permissions
		role tenant.Role
		typ  string
		want bool
	}{
		{nil, tenant.Manager, jobs.TypeImport, true},
		{nil, tenant.Agent, jobs.TypeImport, false},
		{nil, tenant.Manager, jobs.TypeExport, true},
		{nil, tenant.Manager, jobs.TypeBulkDelete, false},
		{nil, tenant.Owner, jobs.TypeBulkDelete, true},
		{nil, tenant.Manager, jobs.TypeRemoveDuplicates, true},
		{chosen, tenant.Agent, jobs.TypeExport, true},
		{chosen, tenant.Manager, jobs.TypeExport, false},
		{chosen, tenant.Manager, jobs.TypeBulkDelete, true},
		{chosen, tenant.Manager, jobs.TypeRemoveDuplicates, false},
		{chosen, tenant.Owner, jobs.TypeRemoveDuplicates, true},
		{chosen, tenant.Manager, jobs.TypeImport, true},
		{chosen, tenant.Owner, "unknown", false},
	} {
		if got := jobs.MayStart(tc.p, tenant.Caller{Role: tc.role}, tc.typ); got != tc.want {
			t.Errorf("%v %s %s: %v, want %v", tc.p, tc.role, tc.typ, got, tc.want)
		}
	}
}

// TestFilesVisibleReadsOnce: the permissions are read at most once a
// call, and not at all for an owner or for jobs the caller started.
func TestFilesVisibleReadsOnce(t *testing.T) {
	ctx := context.Background()
	export := func(by string) *jobs.Job { return &jobs.Job{Type: jobs.TypeExport, CreatedBy: by} }
	for _, tc := range []struct {
		name   string
		caller tenant.Caller
		list   []*jobs.Job
		want   []bool
		reads  int
	}{
		{"owner", tenant.Caller{Subject: "o", Role: tenant.Owner}, []*jobs.Job{export("x"), export("y")}, []bool{true, true}, 0},
		{"own jobs", tenant.Caller{Subject: "a", Role: tenant.Agent}, []*jobs.Job{export("a")}, []bool{true}, 0},
		{"others' jobs, agents export", tenant.Caller{Subject: "a", Role: tenant.Agent}, []*jobs.Job{export("x"), export("a"), export("y")}, []bool{true, true, true}, 1},
		{"a manager where agents alone export", tenant.Caller{Subject: "m", Role: tenant.Manager}, []*jobs.Job{export("x"), export("m")}, []bool{false, true}, 1},
	} {
		src := &permSource{p: tenant.Permissions{tenant.Export: {tenant.Agent}}}
		got, err := (&jobs.Service{Permissions: src}).FilesVisible(ctx, tc.caller, tc.list...)
		if err != nil || !reflect.DeepEqual(got, tc.want) || src.reads != tc.reads {
			t.Errorf("%s: %v %v, %d reads; want %v, %d reads", tc.name, got, err, src.reads, tc.want, tc.reads)
		}
	}
}
