package httpapi_test

import (
	"context"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// startJobAs records and queues a job the way a service does, for callers
// no route lets start one (agents).
func (f *fixture) startJobAs(t *testing.T, caller tenant.Caller, typ string) string {
	t.Helper()
	j, err := (&jobs.Service{Store: &dynamo.Jobs{Client: f.client, Table: f.table}}).Start(context.Background(), caller, typ, f.queued)
	if err != nil {
		t.Fatal(err)
	}
	return j.ID
}

// TestJobsReadListCancel: a job as started, the list newest first in
// pages, and cancelling a queued job.
func TestJobsReadListCancel(t *testing.T) {
	f := newFixture(t)
	var started []string
	for i := range 5 {
		c := call{route: "POST /v1/duplicates/remove"}
		if i%2 == 1 {
			c = asManager(c)
		}
		started = append(started, f.do(t, c).want(t, http.StatusAccepted).body["jobId"].(string))
	}

	r := f.do(t, call{route: "GET /v1/jobs/{id}", id: started[0]}).want(t, http.StatusOK)
	if r.headers["ETag"] != `"1"` {
		t.Errorf("ETag = %q, want \"1\"", r.headers["ETag"])
	}
	j := r.body
	p, counts := j["progress"].(map[string]any), j["counts"].(map[string]any)
	if j["id"] != started[0] || j["type"] != "remove_duplicates" || j["status"] != "queued" || j["error"] != nil ||
		j["cancelRequested"] != false || j["createdBy"] != "user-owner-1" || j["createdAt"] != j["updatedAt"] ||
		p["processed"] != float64(0) || p["total"] != float64(0) || len(counts) != 0 {
		t.Errorf("job = %s", r.raw)
	}

	// Newest first (ids sort by creation), two by two.
	want := append([]string(nil), started...)
	sort.Sort(sort.Reverse(sort.StringSlice(want)))
	var got []string
	var sizes []int
	cursor := ""
	for page := 0; page < 5; page++ {
		q := map[string]string{"limit": "2"}
		if cursor != "" {
			q["cursor"] = cursor
		}
		r := f.do(t, call{route: "GET /v1/jobs", query: q, role: "agent"}).want(t, http.StatusOK)
		for _, it := range items(r) {
			got = append(got, it["id"].(string))
		}
		sizes = append(sizes, len(items(r)))
		next, ok := r.body["nextCursor"].(string)
		if !ok {
			break
		}
		cursor = next
	}
	sameList(t, "jobs over every page", got, want)
	if len(sizes) != 3 || sizes[2] != 1 {
		t.Errorf("page sizes = %v, want [2 2 1]", sizes)
	}
	if r := f.do(t, call{route: "GET /v1/jobs", query: map[string]string{"limit": "5"}}).want(t, http.StatusOK); len(items(r)) != 5 || r.body["nextCursor"] != nil {
		t.Errorf("one page of every job = %s", r.raw)
	}
	f.do(t, call{route: "GET /v1/jobs", query: map[string]string{"limit": "0"}}).want(t, http.StatusUnprocessableEntity)
	f.do(t, call{route: "GET /v1/jobs", query: map[string]string{"cursor": "bm9wZQ"}}).want(t, http.StatusBadRequest)
	f.do(t, call{route: "GET /v1/jobs", query: map[string]string{"cursor": cursor}, workspace: "globex"}).want(t, http.StatusBadRequest)

	// A queued job is cancelled at once; an ended one cannot be.
	ids := f.createInOrder(t, `{"name":"Rui","phone":"(11) 94321-0000"}`, `{"name":"Rui 2","phone":"11943210000"}`)
	c := f.do(t, call{route: "POST /v1/jobs/{id}/cancel", id: started[1]}).want(t, http.StatusOK)
	if c.body["status"] != "cancelled" || c.body["cancelRequested"] != true || c.headers["ETag"] != `"2"` {
		t.Errorf("cancelled job = %v %s", c.headers, c.raw)
	}
	if r := f.do(t, call{route: "GET /v1/jobs/{id}", id: started[1]}).want(t, http.StatusOK); r.raw != c.raw {
		t.Errorf("GET after cancel:\n%s\nwant\n%s", r.raw, c.raw)
	}
	if r := f.do(t, call{route: "POST /v1/jobs/{id}/cancel", id: started[1]}).want(t, http.StatusConflict); r.body["code"] != "job_ended" {
		t.Errorf("cancelling a cancelled job = %s", r.raw)
	}
	// Its message, still queued, does nothing.
	out, err := f.worker().Handle(context.Background(), events.SQSMessage{Body: `{"workspace":"acme","jobId":"` + started[1] + `"}`})
	if err != nil || out != "done" {
		t.Errorf("worker on a cancelled job = %q, %v", out, err)
	}
	if f.mergedInto(t, ids[1]) != "" {
		t.Errorf("a cancelled job merged contacts")
	}
	if r := f.do(t, call{route: "GET /v1/jobs/{id}", id: started[1]}).want(t, http.StatusOK); r.raw != c.raw {
		t.Errorf("a cancelled job changed when its message ran: %s", r.raw)
	}
	f.do(t, call{route: "GET /v1/jobs/{id}", id: "01jdx0000000000000000000zz"}).want(t, http.StatusNotFound)
	f.do(t, call{route: "POST /v1/jobs/{id}/cancel", id: "../x"}).want(t, http.StatusNotFound)
}

// TestJobCancelRoles: owners and managers cancel any job; agents only the
// jobs they started, and read every job.
func TestJobCancelRoles(t *testing.T) {
	f := newFixture(t)
	owners := f.do(t, call{route: "POST /v1/duplicates/remove"}).want(t, http.StatusAccepted).body["jobId"].(string)
	agents := f.startJobAs(t, tenant.Caller{Workspace: "acme", Subject: "agent-7", Role: tenant.Agent}, "export")
	other := f.startJobAs(t, tenant.Caller{Workspace: "acme", Subject: "agent-8", Role: tenant.Agent}, "export")

	for _, id := range []string{owners, other} {
		r := f.do(t, call{route: "POST /v1/jobs/{id}/cancel", id: id, role: "agent", sub: "agent-7"}).want(t, http.StatusForbidden)
		if r.body["code"] != "forbidden_role" {
			t.Errorf("an agent cancelling another's job = %s", r.raw)
		}
		if j := f.do(t, call{route: "GET /v1/jobs/{id}", id: id, role: "agent", sub: "agent-7"}).want(t, http.StatusOK); j.body["status"] != "queued" || j.headers["ETag"] != `"1"` {
			t.Errorf("job after a refused cancel = %s", j.raw)
		}
	}
	if r := f.do(t, call{route: "POST /v1/jobs/{id}/cancel", id: agents, role: "agent", sub: "agent-7"}).want(t, http.StatusOK); r.body["status"] != "cancelled" || r.body["createdBy"] != "agent-7" {
		t.Errorf("an agent cancelling its own job = %s", r.raw)
	}
	if r := f.do(t, asManager(call{route: "POST /v1/jobs/{id}/cancel", id: other})).want(t, http.StatusOK); r.body["status"] != "cancelled" {
		t.Errorf("a manager cancelling an agent's job = %s", r.raw)
	}
	if r := f.do(t, asManager(call{route: "POST /v1/jobs/{id}/cancel", id: owners})).want(t, http.StatusOK); r.body["status"] != "cancelled" {
		t.Errorf("a manager cancelling an owner's job = %s", r.raw)
	}
}

// TestJobTenantIsolation: another workspace neither sees nor cancels a job.
func TestJobTenantIsolation(t *testing.T) {
	f := newFixture(t)
	id := f.do(t, call{route: "POST /v1/duplicates/remove"}).want(t, http.StatusAccepted).body["jobId"].(string)
	before := f.do(t, call{route: "GET /v1/jobs/{id}", id: id}).want(t, http.StatusOK)
	for _, route := range []string{"GET /v1/jobs/{id}", "POST /v1/jobs/{id}/cancel"} {
		if r := f.do(t, call{route: route, id: id, workspace: "globex"}).want(t, http.StatusNotFound); r.body["code"] != "job_not_found" {
			t.Errorf("%s as another workspace = %s", route, r.raw)
		}
	}
	if r := f.do(t, call{route: "GET /v1/jobs", workspace: "globex"}).want(t, http.StatusOK); len(items(r)) != 0 {
		t.Errorf("another workspace lists %s", r.raw)
	}
	if after := f.do(t, call{route: "GET /v1/jobs/{id}", id: id}).want(t, http.StatusOK); after.raw != before.raw {
		t.Errorf("job changed by another workspace:\n%s\n%s", after.raw, before.raw)
	}
}

// TestCancelRunningJob: a running remove-duplicates job asked to stop
// stops after the group it is on, keeping what it did.
func TestCancelRunningJob(t *testing.T) {
	f := newFixture(t)
	ids := f.createInOrder(t,
		`{"name":"Bia","email":"bia@loja.com.br"}`,
		`{"name":"Bia 2","email":"BIA@loja.com.br"}`,
		`{"name":"Caio","phone":"(41) 93333-3333"}`,
		`{"name":"Caio 2","phone":"41 93333 3333"}`,
	)
	jobID := f.startRemoveDuplicates(t)
	w := f.worker()
	w.Reserve = time.Hour // out of time at once: running, nothing done
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := w.Handle(ctx, events.SQSMessage{Body: `{"workspace":"acme","jobId":"` + jobID + `"}`}); err != nil || out != "continued" {
		t.Fatalf("first run = %q, %v", out, err)
	}

	r := f.do(t, call{route: "POST /v1/jobs/{id}/cancel", id: jobID}).want(t, http.StatusOK)
	if r.body["status"] != "running" || r.body["cancelRequested"] != true {
		t.Errorf("a running job asked to stop = %s", r.raw)
	}
	runJob(t, f.worker(), jobID)
	j := f.jobOf(t, jobID)
	if p := j["progress"].(map[string]any); j["status"] != "cancelled" || p["processed"] != float64(1) || j["counts"].(map[string]any)["merges"] != float64(1) {
		t.Errorf("job after the next run = %v", j)
	}
	if f.mergedInto(t, ids[1]) != ids[0] {
		t.Errorf("the group worked on when the job stopped was not merged")
	}
	if f.mergedInto(t, ids[3]) != "" {
		t.Errorf("a cancelled job went on merging")
	}
	if r := f.do(t, call{route: "POST /v1/jobs/{id}/cancel", id: jobID}).want(t, http.StatusConflict); r.body["code"] != "job_ended" {
		t.Errorf("cancelling a cancelled job = %s", r.raw)
	}
}

// TestImportStart: the import route answers the job and the upload form,
// a presigned POST whose fields name the job's key.
func TestImportStart(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, call{route: "POST /v1/imports", body: `{"fileName":"clientes.csv","mode":"upsert"}`}).want(t, http.StatusCreated)
	up, _ := r.body["upload"].(map[string]any)
	fields, _ := up["fields"].(map[string]any)
	jobID, _ := r.body["jobId"].(string)
	if up["method"] != "POST" || fields["key"] != "imports/acme/"+jobID+"/clientes.csv" || fields["Content-Type"] != "text/csv" {
		t.Errorf("upload = %s", r.raw)
	}
	if r.headers["Location"] != "/v1/jobs/"+jobID {
		t.Errorf("Location = %q", r.headers["Location"])
	}
}

// withFiles records on a job the files its worker wrote (as an import's
// error report or an export's download) and the columns its file ignored.
func (f *fixture) withFiles(t *testing.T, id string) {
	t.Helper()
	_, err := (&dynamo.Jobs{Client: f.client, Table: f.table}).Update(context.Background(), "acme", id, func(j *jobs.Job) error {
		j.Files["errorReport"] = "reports/" + id + ".csv"
		j.Files["download"] = "exports/" + id + ".csv"
		j.Params["ignoredColumns"] = "CPF do cônjuge"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fileMembers returns which of the members that come from a job's files
// the job view carries.
func fileMembers(job map[string]any) []string {
	var out []string
	for _, k := range []string{"errorReportUrl", "downloadUrl", "ignoredColumns"} {
		if _, ok := job[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// TestJobFilesByRole: the links to a job's files (and what the file told,
// its ignored columns) go only to a caller whose role may start a job of
// that type, or to whoever started it; everyone else sees the job without
// them, on every route that answers a job.
func TestJobFilesByRole(t *testing.T) {
	f := newFixture(t)
	owner := tenant.Caller{Workspace: "acme", Subject: "user-owner-1", Role: tenant.Owner}
	types := []string{jobs.TypeImport, jobs.TypeExport, jobs.TypeBulkDelete, jobs.TypeRemoveDuplicates}
	started := map[string]string{}
	for _, typ := range types {
		started[typ] = f.startJobAs(t, owner, typ)
		f.withFiles(t, started[typ])
	}
	// Who may start each type (the services' rule, one place: jobs.MayStart).
	mayStart := map[string]map[string]bool{
		jobs.TypeImport:           {"owner": true, "manager": true, "admin": true},
		jobs.TypeExport:           {"owner": true, "manager": true, "admin": true},
		jobs.TypeBulkDelete:       {"owner": true},
		jobs.TypeRemoveDuplicates: {"owner": true, "manager": true, "admin": true},
	}
	all := []string{"errorReportUrl", "downloadUrl", "ignoredColumns"}
	for _, typ := range types {
		id := started[typ]
		for _, role := range []string{"owner", "manager", "admin", "agent"} {
			var want []string
			if mayStart[typ][role] {
				want = all
			}
			who := call{role: role, sub: "someone-" + role}
			get := who
			get.route, get.id = "GET /v1/jobs/{id}", id
			r := f.do(t, get).want(t, http.StatusOK)
			sameList(t, typ+" read by "+role, fileMembers(r.body), want)
			if r.body["status"] != "queued" || r.body["progress"] == nil || r.body["counts"] == nil {
				t.Errorf("%s read by %s lacks status, progress or counts: %s", typ, role, r.raw)
			}
			list := who
			list.route = "GET /v1/jobs"
			for _, it := range items(f.do(t, list).want(t, http.StatusOK)) {
				if it["id"] == id {
					sameList(t, typ+" listed to "+role, fileMembers(it), want)
				}
			}
		}
	}
	// A manager may cancel any job, yet gets no link to a bulk delete's files.
	c := f.do(t, asManager(call{route: "POST /v1/jobs/{id}/cancel", id: started[jobs.TypeBulkDelete]})).want(t, http.StatusOK)
	sameList(t, "bulk delete cancelled by a manager", fileMembers(c.body), nil)
	c = f.do(t, asManager(call{route: "POST /v1/jobs/{id}/cancel", id: started[jobs.TypeExport]})).want(t, http.StatusOK)
	sameList(t, "export cancelled by a manager", fileMembers(c.body), all)

	// Whoever started a job sees its files whatever their role; another
	// agent does not.
	mine := f.startJobAs(t, tenant.Caller{Workspace: "acme", Subject: "agent-7", Role: tenant.Agent}, jobs.TypeExport)
	f.withFiles(t, mine)
	r := f.do(t, call{route: "GET /v1/jobs/{id}", id: mine, role: "agent", sub: "agent-7"}).want(t, http.StatusOK)
	sameList(t, "an agent's own export", fileMembers(r.body), all)
	if r.body["downloadUrl"] != "https://files.example.com/exports/"+mine+".csv" {
		t.Errorf("downloadUrl = %v, want the link to the job's file", r.body["downloadUrl"])
	}
	r = f.do(t, call{route: "POST /v1/jobs/{id}/cancel", id: mine, role: "agent", sub: "agent-7"}).want(t, http.StatusOK)
	sameList(t, "an agent's own export, cancelled", fileMembers(r.body), all)
	r = f.do(t, call{route: "GET /v1/jobs/{id}", id: mine, role: "agent", sub: "agent-8"}).want(t, http.StatusOK)
	sameList(t, "another agent's export", fileMembers(r.body), nil)
}

// TestMayStartIsTheServicesRule: every route that starts a job refuses
// exactly the roles jobs.MayStart refuses.
func TestMayStartIsTheServicesRule(t *testing.T) {
	f := newFixture(t)
	starts := map[string]call{
		jobs.TypeImport:           {route: "POST /v1/imports", body: `{"fileName":"a.csv","mode":"create"}`},
		jobs.TypeExport:           {route: "POST /v1/exports", body: `{"format":"csv"}`},
		jobs.TypeBulkDelete:       {route: "POST /v1/contacts/bulk-delete", body: `{"ids":["01jdx0000000000000000000zz"]}`},
		jobs.TypeRemoveDuplicates: {route: "POST /v1/duplicates/remove"},
	}
	for typ, c := range starts {
		for _, role := range []string{"owner", "manager", "admin", "agent"} {
			caller := tenant.Caller{Workspace: "acme", Subject: "x"}
			caller.Role, _ = tenant.ParseRole(role)
			c.role = role
			r := f.do(t, c)
			if refused := r.status == http.StatusForbidden; refused == jobs.MayStart(nil, caller, typ) {
				t.Errorf("%s as %s: status %d, but MayStart = %v", c.route, role, r.status, !refused)
			}
		}
	}
}
