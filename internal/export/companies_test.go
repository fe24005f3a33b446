package export_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/export"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
)

// linkedWorld is a world with two companies and five contacts, four of
// them linked; the export worker reads companies through a metered client
// and two contacts a page.
type linkedWorld struct {
	*world
	meter     *dynamotest.Meter
	companies *dynamo.Companies
	acme      *company.Company
	beta      *company.Company
	linked    map[string]*company.Company // by contact id; nil: unlinked
}

func newLinkedWorld(t testing.TB) *linkedWorld {
	t.Helper()
	w := &linkedWorld{world: newWorld(t), meter: &dynamotest.Meter{}, linked: map[string]*company.Company{}}
	w.companies = &dynamo.Companies{Client: w.client, Table: w.table}
	w.people.Companies = w.companies
	w.worker.Companies = &dynamo.Companies{Client: dynamodb.New(w.client.Options(), dynamotest.WithMeter(w.meter)), Table: w.table}
	w.worker.PageSize = 2
	now := time.Now()
	for i, name := range []string{"Acme Indústria", "Beta"} {
		c := &company.Company{Workspace: ws, ID: ids.New(now.Add(time.Duration(i) * time.Millisecond)), Profile: company.Profile{Name: name},
			CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := w.companies.Create(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			w.acme = c
		} else {
			w.beta = c
		}
	}
	for i, co := range []*company.Company{w.acme, w.beta, w.acme, nil, w.acme} {
		doc := map[string]any{"name": "Pessoa " + string(rune('A'+i)), "email": "p" + string(rune('a'+i)) + "@exemplo.com", "company": "texto livre"}
		if co != nil {
			doc["companyId"] = co.ID
		}
		w.linked[w.create(t, doc).ID] = co
	}
	return w
}

// batchGets is how many BatchGetItem calls the export made for names.
func (w *linkedWorld) batchGets() int {
	for _, u := range w.meter.Usage() {
		if u.Operation == "BatchGetItem" {
			return u.Calls
		}
	}
	return 0
}

// pagesWithLinks counts the pages of two contacts, in list order, with a
// linked contact: those the export reads company names for.
func (w *linkedWorld) pagesWithLinks(t testing.TB) int {
	t.Helper()
	n := 0
	for page := range slices.Chunk(w.listed(t, map[string]string{}), 2) {
		if slices.ContainsFunc(page, func(id string) bool { return w.linked[id] != nil }) {
			n++
		}
	}
	return n
}

// TestExportCompanyColumns: the default columns have the contact's
// companyId and its company's name, read by one BatchGetItem per page of
// contacts (none for a page without a linked contact), in CSV and XLSX.
func TestExportCompanyColumns(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			w := newLinkedWorld(t)
			_, j := w.run(t, w.start(t, `{"format":"`+format+`"}`))
			body, _, ok := w.files.get(export.Key(ws, j.ID, format))
			if !ok || j.Status != jobs.Succeeded {
				t.Fatalf("no export: %+v", j)
			}
			rows := readBack(t, body, "export."+format)
			col := func(name string) int {
				i := slices.Index(rows[0], name)
				if i < 0 {
					t.Fatalf("no %s column in %q", name, rows[0])
				}
				return i
			}
			id, companyID, companyName, text := col("id"), col("companyId"), col("companyName"), col("company")
			if companyID != text+1 || companyName != text+2 {
				t.Errorf("columns %q: want companyId and companyName after company", rows[0])
			}
			for _, r := range rows[1:] {
				want := []string{"", ""}
				if co := w.linked[r[id]]; co != nil {
					want = []string{co.ID, co.Name}
				}
				if got := []string{r[companyID], r[companyName]}; !slices.Equal(got, want) || r[text] != "texto livre" {
					t.Errorf("contact %s: company cells %q, text %q; want %q, \"texto livre\"", r[id], got, r[text], want)
				}
			}
			if got, want := w.batchGets(), w.pagesWithLinks(t); got != want || want < 2 {
				t.Errorf("BatchGetItem calls = %d, want %d (one per page with a linked contact, of 3 pages)", got, want)
			}
			// 0.5 read unit per distinct company of a page (eventually
			// consistent, items under 4 KB).
			if got := w.meter.Total().Read; got > 0.5*float64(len(w.linked)-1) {
				t.Errorf("read units = %v, want at most 0.5 per linked contact", got)
			}
		})
	}
}

// TestExportCompanyFields: companyId and companyName are columns the
// caller may choose; without companyName no company is read.
func TestExportCompanyFields(t *testing.T) {
	w := newLinkedWorld(t)
	_, j := w.run(t, w.start(t, `{"format":"csv","columns":["companyId","email"]}`))
	body, _, _ := w.files.get(export.Key(ws, j.ID, "csv"))
	if got := readBack(t, body, "export.csv")[0]; !slices.Equal(got, []string{"companyId", "email"}) {
		t.Errorf("header = %q", got)
	}
	if n := w.batchGets(); n != 0 {
		t.Errorf("BatchGetItem calls = %d, want 0 without the companyName column", n)
	}
	_, j = w.run(t, w.start(t, `{"format":"csv","columns":["email","companyName"]}`))
	body, _, _ = w.files.get(export.Key(ws, j.ID, "csv"))
	names := map[string]bool{}
	for _, r := range readBack(t, body, "export.csv")[1:] {
		names[r[1]] = true
	}
	if !names["Acme Indústria"] || !names["Beta"] || !names[""] || len(names) != 3 {
		t.Errorf("companyName cells = %v", names)
	}
}

// TestExportCompanyRoundTrip: an export imported again in update mode
// links again the contacts that lost their company meanwhile, by the
// companyId column, and changes nothing else.
func TestExportCompanyRoundTrip(t *testing.T) {
	w := newLinkedWorld(t)
	ctx := context.Background()
	_, j := w.run(t, w.start(t, `{"format":"xlsx"}`))
	body, _, ok := w.files.get(export.Key(ws, j.ID, "xlsx"))
	if !ok {
		t.Fatalf("no export: %+v", j)
	}
	for id := range w.linked {
		if _, err := w.contacts.Update(ctx, ws, id, 0, func(c *contact.Contact) error {
			c.CompanyID = ""
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	files := &importFiles{objects: map[string][]byte{}}
	imports := &importer.Service{People: w.people, Jobs: w.jobs, Uploads: uploads{}}
	worker := &importer.Worker{People: w.people, Contacts: w.contacts, Finder: &dynamo.Search{Client: w.client, Table: w.table}, Tags: w.tags,
		Jobs: w.jobs.Store, Files: files, Failures: &dynamo.ImportFailures{Client: w.client, Table: w.table}, Companies: w.companies}
	ij, _, err := imports.Start(ctx, w.caller, errs.English, map[string]any{"fileName": "contatos.xlsx", "mode": importer.Update})
	if err != nil {
		t.Fatal(err)
	}
	files.objects[ij.Params["key"]] = body
	if done, err := worker.Run(ctx, ws, ij.ID, "m-1", time.Now().Add(time.Minute)); err != nil || !done {
		t.Fatalf("import: %v %v", done, err)
	}
	if ij, err = w.jobs.Store.Get(ctx, ws, ij.ID); err != nil {
		t.Fatal(err)
	}
	if ij.Status != jobs.Succeeded || ij.Counts["updated"] != 4 || ij.Counts["skipped"] != 1 {
		t.Errorf("import back: %s %v %q", ij.Status, ij.Counts, ij.Error)
	}
	for id, co := range w.linked {
		c, err := w.people.Get(ctx, w.caller, id)
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		if co != nil {
			want = co.ID
		}
		if c.CompanyID != want || c.Company != "texto livre" {
			t.Errorf("%s: company %q, text %q; want %q, \"texto livre\"", c.Name, c.CompanyID, c.Company, want)
		}
	}
}
