package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/bulk"
)

// drainBulk runs every queued bulk delete message (and those they queue)
// until none is left, and returns how many ran.
func (f *fixture) drainBulk(t *testing.T) int {
	t.Helper()
	ran := 0
	for round := 0; round < 100; round++ {
		msgs := f.bulk.take()
		if len(msgs) == 0 {
			return ran
		}
		for i, m := range msgs {
			if _, err := f.bulkWorker.Handle(context.Background(), m, fmt.Sprintf("run-%d-%d", round, i), time.Now().Add(time.Minute)); err != nil {
				t.Fatalf("bulk message %+v: %v", m, err)
			}
			ran++
		}
	}
	t.Fatal("bulk delete never ran out of messages")
	return ran
}

func (f *fixture) job(t *testing.T, location string) map[string]any {
	t.Helper()
	id := strings.TrimPrefix(location, "/v1/jobs/")
	return f.do(t, call{route: "GET /v1/jobs/{id}", id: id}).want(t, http.StatusOK).body
}

func (f *fixture) createMany(t *testing.T, n int, body func(i int) string) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		ids = append(ids, f.create(t, body(i)))
	}
	return ids
}

func TestBulkDeleteByIDs(t *testing.T) {
	f := newFixture(t)
	ids := f.createMany(t, 30, func(i int) string { return fmt.Sprintf(`{"name":"Pessoa %d","email":"p%d@example.com"}`, i, i) })
	target := append([]string{}, ids[:27]...)
	target = append(target, "01jdx8k2m4n6p8r0s2t4v6w8y0") // no such contact
	body := `{"ids":["` + strings.Join(target, `","`) + `"]}`
	f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: body, role: "manager"}).want(t, http.StatusForbidden)
	r := f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: body}).want(t, http.StatusAccepted)
	loc := r.headers["Location"]
	if loc != "/v1/jobs/"+r.body["jobId"].(string) {
		t.Fatalf("Location = %q", loc)
	}
	msgs := f.bulk.take()
	if len(msgs) != 2 {
		t.Fatalf("%d batches queued, want 2 (28 ids by 25)", len(msgs))
	}
	for i, m := range msgs {
		if _, err := f.bulkWorker.Handle(context.Background(), m, "r", time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// Redelivered: deletes nothing more, counts nothing twice.
			if got, err := f.bulkWorker.Handle(context.Background(), m, "r2", time.Now().Add(time.Minute)); err != nil || got != "redelivered" {
				t.Fatalf("redelivery: %q %v", got, err)
			}
		}
	}
	j := f.job(t, loc)
	counts := j["counts"].(map[string]any)
	progress := j["progress"].(map[string]any)
	if j["status"] != "succeeded" || counts["deleted"] != float64(27) || counts["notFound"] != float64(1) || progress["processed"] != float64(28) || progress["total"] != float64(28) {
		t.Fatalf("job = %v", j)
	}
	for _, id := range ids[:27] {
		f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusNotFound)
	}
	for _, id := range ids[27:] {
		f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusOK)
	}
}

func TestBulkDeleteByFilter(t *testing.T) {
	f := newFixture(t)
	ids := f.createMany(t, 12, func(i int) string { return fmt.Sprintf(`{"name":"Cliente %d","email":"c%d@example.com"}`, i, i) })
	for _, id := range ids[:7] {
		f.do(t, call{route: "POST /v1/contacts/{id}/tags", id: id, body: `{"tags":["Inativo"]}`}).want(t, http.StatusOK)
	}
	f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: `{"filter":{"tag":["Nope"]}}`}).want(t, http.StatusUnprocessableEntity)
	r := f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: `{"filter":{"tag":["Inativo"]}}`}).want(t, http.StatusAccepted)
	f.drainBulk(t)
	j := f.job(t, r.headers["Location"])
	if j["status"] != "succeeded" || j["counts"].(map[string]any)["deleted"] != float64(7) {
		t.Fatalf("job = %v", j)
	}
	if got := len(f.list(t, nil).names()); got != 5 {
		t.Errorf("%d contacts left, want 5", got)
	}
}

func TestBulkDeleteAll(t *testing.T) {
	f := newFixture(t)
	ids := f.createMany(t, 9, func(i int) string { return fmt.Sprintf(`{"name":"Todos %d","email":"t%d@example.com"}`, i, i) })
	f.do(t, call{route: "POST /v1/contacts/{id}/block", id: ids[0]}).want(t, http.StatusOK)
	other := f.do(t, call{route: "POST /v1/contacts", body: `{"name":"Outro","email":"o@example.com"}`, workspace: "globex"}).want(t, http.StatusCreated)
	before := f.countItems(t)
	wrong := f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: `{"all":true,"confirmCount":8}`}).want(t, http.StatusConflict)
	if wrong.body["code"] != "confirm_count_mismatch" || !strings.Contains(wrong.body["detail"].(string), "9") {
		t.Errorf("wrong confirmCount: %s", wrong.raw)
	}
	if got := f.countItems(t); got != before {
		t.Errorf("a refused bulk delete wrote %d items", got-before)
	}
	r := f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: `{"all":true,"confirmCount":9}`}).want(t, http.StatusAccepted)
	f.drainBulk(t)
	j := f.job(t, r.headers["Location"])
	if j["status"] != "succeeded" || j["counts"].(map[string]any)["deleted"] != float64(9) {
		t.Fatalf("job = %v", j)
	}
	for _, id := range ids {
		f.do(t, call{route: "GET /v1/contacts/{id}", id: id}).want(t, http.StatusNotFound)
	}
	f.do(t, call{route: "GET /v1/contacts/{id}", id: other.body["id"].(string), workspace: "globex"}).want(t, http.StatusOK)
}

func TestBulkDeleteBadInput(t *testing.T) {
	f := newFixture(t)
	for _, body := range []string{`{}`, `{"ids":[]}`, `{"ids":["x"]}`, `{"ids":["01jdx8k2m4n6p8r0s2t4v6w8y0"],"all":true}`, `{"all":true}`, `{"all":false,"confirmCount":1}`, `{"filter":"vip"}`, `{"filter":{"color":"red"}}`, `{"ids":"a,b"}`} {
		f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: body}).want(t, http.StatusUnprocessableEntity)
	}
	many := make([]string, bulk.MaxIDs+1)
	for i := range many {
		many[i] = `"01jdx8k2m4n6p8r0s2t4v6w8y0"`
	}
	f.do(t, call{route: "POST /v1/contacts/bulk-delete", body: `{"ids":[` + strings.Join(many, ",") + `]}`}).want(t, http.StatusUnprocessableEntity)
	if n := len(f.bulk.take()); n != 0 {
		t.Errorf("%d messages queued by refused requests", n)
	}
}
