package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/tenant"
)

// unlinkWorker is the company_unlink worker over the fixture's table.
func (f *fixture) unlinkWorker() *lambdaevents.Runs {
	companies := &dynamo.Companies{Client: f.client, Table: f.table}
	return &lambdaevents.Runs{Worker: &company.Worker{
		Companies: &company.Service{Companies: companies, People: f.people}, Counter: companies,
		Jobs: &dynamo.Jobs{Client: f.client, Table: f.table}, Queue: f.queued,
	}}
}

// unlinkMessage is the sample message of events/companyunlink.json (the one
// `sam local invoke` uses) for the job jobID.
func unlinkMessage(t *testing.T, jobID string) events.SQSMessage {
	t.Helper()
	b, err := os.ReadFile("../../events/companyunlink.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("events/companyunlink.json is not an SQS event of one message: %v", err)
	}
	m := ev.Records[0]
	m.Body = strings.Replace(m.Body, "01jdxb2c3d4e5f6g7h8j9k0m1n", jobID, 1)
	return m
}

// companyWithContacts creates a company and n contacts linked to it, and
// returns the company's id and the contacts' documents by id.
func (f *fixture) companyWithContacts(t *testing.T, name string, n int) (string, map[string]map[string]any) {
	t.Helper()
	co := f.createCompany(t, `{"name":"`+name+`"}`)
	out := map[string]map[string]any{}
	for i := range n {
		body := fmt.Sprintf(`{"name":"Pessoa %02d","email":"p%d@%s.com.br","companyId":"%s"}`, i, i, strings.ToLower(strings.Fields(name)[0]), co)
		r := f.do(t, call{route: "POST /v1/contacts", body: body}).want(t, http.StatusCreated)
		out[r.body["id"].(string)] = r.body
	}
	return co, out
}

// companyIndexRows counts the rows of the company's contacts index.
func (f *fixture) companyIndexRows(t *testing.T, co string) int {
	t.Helper()
	return len(dynamotest.Items(t, f.client, f.table, func(it map[string]types.AttributeValue) bool {
		pk, _ := it["PK"].(*types.AttributeValueMemberS)
		return pk != nil && strings.HasSuffix(pk.Value, "COC#"+co)
	}))
}

// assertUnlinked checks that every contact of before lost its company and
// nothing else: no companyId nor linkedCompany, one version more, the same
// name, email and creation, and that the company's index rows are gone.
func (f *fixture) assertUnlinked(t *testing.T, co string, before map[string]map[string]any) {
	t.Helper()
	for id, was := range before {
		now := f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK).body
		if now["companyId"] != nil || now["linkedCompany"] != nil {
			t.Errorf("contact %s: companyId %v, linkedCompany %v; want both null", id, now["companyId"], now["linkedCompany"])
		}
		if got, want := now["version"], was["version"].(float64)+1; got != want {
			t.Errorf("contact %s: version %v, want %v", id, got, want)
		}
		for _, k := range []string{"name", "email", "createdAt"} {
			if !jsonEqual(now[k], was[k]) {
				t.Errorf("contact %s: %s = %v, want %v", id, k, now[k], was[k])
			}
		}
	}
	if n := f.companyIndexRows(t, co); n != 0 {
		t.Errorf("%d rows left in the company's contacts index", n)
	}
	if r := f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"companyId": co}}).want(t, http.StatusOK); len(items(r)) != 0 {
		t.Errorf("GET /v1/contacts?companyId= of the deleted company lists %d contacts", len(items(r)))
	}
}

// TestCompanyDeleteInline: a company with UnlinkInline contacts has them
// unlinked in the request (204, no job); an agent may not delete one.
func TestCompanyDeleteInline(t *testing.T) {
	f := newFixture(t)
	f.companies.UnlinkInline = 3
	co, before := f.companyWithContacts(t, "Padaria Central", 3)
	r := f.do(t, call{route: "DELETE /v1/companies/{id}", id: co, role: "agent", sub: "agent-1"}).want(t, http.StatusForbidden)
	if got, want := r.body["code"], "forbidden_role"; got != want {
		t.Errorf("agent's delete: code %v, want %v", got, want)
	}
	f.do(t, asManager(call{route: "DELETE /v1/companies/{id}", id: co})).want(t, http.StatusNoContent)
	if len(f.queued.ids) != 0 {
		t.Errorf("jobs queued: %v, want none", f.queued.ids)
	}
	f.assertUnlinked(t, co, before)
}

// TestCompanyDeleteByJob: a company with more than UnlinkInline contacts is
// deleted at once (202 with a company_unlink job); meanwhile its contacts
// show no linkedCompany, GET /v1/contacts?companyId= lists those not
// unlinked yet, and nobody can link to it; the job (which cannot be
// cancelled) continues itself past its deadline, and unlinks every contact,
// intact, with a new version and no company index row.
func TestCompanyDeleteByJob(t *testing.T) {
	f := newFixture(t)
	f.companies.UnlinkInline = 3
	co, before := f.companyWithContacts(t, "Distribuidora Norte", 7)
	other, _ := f.companyWithContacts(t, "Outra Empresa", 2)

	r := f.do(t, call{route: "DELETE /v1/companies/{id}", id: co}).want(t, http.StatusAccepted)
	jobID := r.body["jobId"].(string)
	if got, want := r.headers["Location"], "/v1/jobs/"+jobID; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got, want := strings.Join(f.queued.ids, ","), jobID; got != want {
		t.Errorf("queued %q, want %q", got, want)
	}
	f.do(t, call{route: "GET /v1/companies/{id}", id: co}).want(t, http.StatusNotFound)
	f.do(t, call{route: "DELETE /v1/companies/{id}", id: co}).want(t, http.StatusNotFound)
	job := f.jobOf(t, jobID)
	if job["type"] != "company_unlink" || job["status"] != "queued" {
		t.Errorf("job = %v, want a queued company_unlink", job)
	}
	for id := range before {
		if got := f.linkedCompany(t, id); got != nil {
			t.Errorf("contact %s of the deleted company shows linkedCompany %v", id, got)
		}
	}
	if r := f.do(t, call{route: "GET /v1/contacts", query: map[string]string{"companyId": co}}).want(t, http.StatusOK); len(items(r)) != len(before) {
		t.Errorf("before the job, ?companyId= lists %d contacts, want the %d not unlinked yet", len(items(r)), len(before))
	}
	someone := f.create(t, `{"name":"Zeca","email":"zeca@x.com.br"}`)
	bad := f.do(t, call{route: "PATCH /v1/contacts/{id}", id: someone, body: `{"companyId":"` + co + `"}`}).want(t, http.StatusUnprocessableEntity)
	if got, want := strings.Join(bad.fieldErrors(), ","), "companyId:company_not_found"; got != want {
		t.Errorf("linking to the deleted company: errors %s, want %s", got, want)
	}
	c := f.do(t, call{route: "POST /v1/jobs/{id}/cancel", id: jobID}).want(t, http.StatusConflict)
	if got, want := c.body["code"], "job_not_cancellable"; got != want {
		t.Errorf("cancel: code %v, want %v", got, want)
	}

	// A run whose deadline is already past continues the job.
	w := f.unlinkWorker()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Second))
	defer cancel()
	out, err := w.Handle(ctx, unlinkMessage(t, jobID))
	if err != nil || out != "continued" {
		t.Fatalf("first run: %q %v, want continued", out, err)
	}
	if got := f.jobOf(t, jobID); got["status"] != "running" || !jsonEqual(got["progress"], map[string]any{"processed": 0.0, "total": 7.0}) {
		t.Errorf("after the first run: job %v, want running 0 of 7", got)
	}
	runJob(t, w, jobID)
	job = f.jobOf(t, jobID)
	if job["status"] != "succeeded" || !jsonEqual(job["progress"], map[string]any{"processed": 7.0, "total": 7.0}) ||
		!jsonEqual(job["counts"], map[string]any{"unlinked": 7.0, "failed": 0.0}) {
		t.Errorf("job = %v, want succeeded, 7 of 7 unlinked", job)
	}
	f.assertUnlinked(t, co, before)
	left := dynamotest.Items(t, f.client, f.table, func(it map[string]types.AttributeValue) bool {
		pk, _ := it["PK"].(*types.AttributeValueMemberS)
		return pk != nil && strings.HasSuffix(pk.Value, "#CO#"+co)
	})
	if len(left) != 0 {
		t.Errorf("the deleted company's partition keeps %d items (its contacts' contact_removed entries), want none", len(left))
	}
	if n := f.companyIndexRows(t, other); n != 2 {
		t.Errorf("the other company has %d index rows, want its 2", n)
	}
	if out, err := w.Handle(context.Background(), events.SQSMessage{MessageId: "again", Body: `{"workspace":"acme","jobId":"` + jobID + `"}`}); err != nil || out != "done" {
		t.Errorf("a message delivered again: %q %v, want done", out, err)
	}
}

// TestCompanyUnlinkCalls measures a company delete's DynamoDB calls and
// capacity (docs/data-model.md): one unlink is a GetItem and a
// TransactWriteItems, which fixes DefaultUnlinkInline.
func TestCompanyUnlinkCalls(t *testing.T) {
	f := newFixture(t)
	meter := &dynamotest.Meter{}
	metered := dynamodb.New(f.client.Options(), dynamotest.WithMeter(meter))
	companies := &dynamo.Companies{Client: metered, Table: f.table}
	people := *f.people
	people.Contacts = &dynamo.Contacts{Client: metered, Table: f.table}
	svc := &company.Service{Companies: companies, People: &people}
	caller := tenant.Caller{Workspace: "acme", Subject: "user-owner-1", Role: tenant.Owner}
	var got [3]dynamotest.Usage
	for n := range got {
		co, _ := f.companyWithContacts(t, fmt.Sprintf("Empresa %d", n), n)
		meter.Reset()
		if j, err := svc.Delete(context.Background(), caller, co, 0); err != nil || j != nil {
			t.Fatalf("delete with %d contacts: job %v, %v", n, j, err)
		}
		got[n] = meter.Total()
		t.Logf("delete with %d contacts: calls=%d RCU=%.1f WCU=%.1f", n, got[n].Calls, got[n].Read, got[n].Write)
	}
	one := dynamotest.Usage{Calls: got[2].Calls - got[1].Calls, Read: got[2].Read - got[1].Read, Write: got[2].Write - got[1].Write}
	// 8 WCU in the contact's transaction (the contact, its updated entry,
	// the company index row, the company's contact_removed entry) and 4 in
	// the company's delete (its contact_added and contact_removed entries).
	if want := (dynamotest.Usage{Calls: 2, Read: 1, Write: 12}); one != want {
		t.Errorf("one unlink: %+v, want %+v", one, want)
	}
	if want := (dynamotest.Usage{Calls: 6, Read: 3, Write: 12}); got[0] != want {
		t.Errorf("delete with no contact: %+v, want %+v", got[0], want)
	}

	// Over UnlinkInline: the company goes at once and a job is queued.
	svc.UnlinkInline = 1
	svc.Jobs, svc.Queue = &jobs.Service{Store: &dynamo.Jobs{Client: metered, Table: f.table}}, f.queued
	co, _ := f.companyWithContacts(t, "Empresa Grande", 2)
	meter.Reset()
	j, err := svc.Delete(context.Background(), caller, co, 0)
	if err != nil || j == nil {
		t.Fatalf("delete over UnlinkInline: job %v, %v", j, err)
	}
	if got, want := meter.Total(), (dynamotest.Usage{Calls: 6, Read: 4, Write: 17}); got != want {
		t.Errorf("delete by job: %+v, want %+v", got, want)
	}
	meter.Reset()
	w := &company.Worker{Companies: svc, Counter: companies, Jobs: svc.Jobs.Store, Queue: f.queued}
	if out, err := w.Run(context.Background(), "acme", j.ID, "run-1", time.Now().Add(time.Minute)); err != nil || out != "done" {
		t.Fatalf("worker: %q %v", out, err)
	}
	for _, u := range meter.Usage() {
		t.Logf("    %-20s calls=%d RCU=%.1f WCU=%.1f", u.Operation, u.Calls, u.Read, u.Write)
	}
	if got, want := meter.Total(), (dynamotest.Usage{Calls: 16, Read: 7.5, Write: 22}); got != want {
		t.Errorf("the job's run over 2 contacts: %+v, want %+v", got, want)
	}
}
