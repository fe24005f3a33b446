package importer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/xuri/excelize/v2"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// companyWorld is a world whose importer links companies through a
// metered client, so a test counts the company reads an import makes.
type companyWorld struct {
	*world
	companies *dynamo.Companies // unmetered: the test's own reads and writes
	meter     *dynamotest.Meter
	service   *company.Service
}

func newCompanyWorld(t testing.TB) *companyWorld {
	t.Helper()
	w := newWorld(t)
	meter := &dynamotest.Meter{}
	metered := &dynamo.Companies{Client: dynamodb.New(w.client.Options(), dynamotest.WithMeter(meter)), Table: w.table}
	svc := &company.Service{Companies: metered, Workspaces: w.people.Workspaces, People: w.people}
	w.worker.Companies, w.worker.CompanyMaker = metered, svc
	w.people.Companies = &dynamo.Companies{Client: w.client, Table: w.table}
	return &companyWorld{world: w, companies: &dynamo.Companies{Client: w.client, Table: w.table}, meter: meter, service: svc}
}

// company creates a company named name, made at.
func (w *companyWorld) company(t testing.TB, name string, at time.Time) *company.Company {
	t.Helper()
	c := &company.Company{Workspace: ws, ID: ids.New(at), Profile: company.Profile{Name: name},
		CreatedAt: at, CreatedBy: "user-1", UpdatedAt: at, UpdatedBy: "user-1", Version: 1}
	if err := w.companies.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// startWith starts an import with more options in its body.
func (w *companyWorld) startWith(t testing.TB, fileName string, body []byte, options map[string]any) *jobs.Job {
	t.Helper()
	doc := map[string]any{"fileName": fileName, "mode": importer.Upsert}
	for k, v := range options {
		doc[k] = v
	}
	j, _, err := w.imports.Start(context.Background(), w.caller, errs.Portuguese, doc)
	if err != nil {
		t.Fatalf("start import: %v", err)
	}
	if err := w.files.Put(context.Background(), j.Params["key"], "text/csv", body); err != nil {
		t.Fatal(err)
	}
	return j
}

// calls returns how many calls of op the importer made to the company
// store, and the read units they consumed, since the last reset.
func (w *companyWorld) calls(op string) (int, float64) {
	for _, u := range w.meter.Usage() {
		if u.Operation == op {
			return u.Calls, u.Read
		}
	}
	return 0, 0
}

// named returns the companies named name, failing unless there are want.
func (w *companyWorld) named(t testing.TB, name string, want int) []company.Company {
	t.Helper()
	list, err := w.companies.Named(context.Background(), ws, name)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != want {
		t.Fatalf("%d companies named %q, want %d: %+v", len(list), name, want, list)
	}
	return list
}

// TestImportCompanyIDColumn: a companyId column links each row to the
// company it names (one BatchGetItem for the chunk's distinct ids); a row
// naming no company of the workspace fails on companyId; the company
// column then sets only the free text, even on a row without a companyId.
func TestImportCompanyIDColumn(t *testing.T) {
	w := newCompanyWorld(t)
	now := time.Now()
	acme, beta := w.company(t, "Acme", now.Add(-time.Minute)), w.company(t, "Beta", now)
	unknown := ids.New(now)
	body := []byte("Nome;Telefone;companyId;Empresa\r\n" +
		"Ana;+5511970000031;" + acme.ID + ";Beta Comércio\r\n" +
		"Bia;+5511970000032;" + beta.ID + ";\r\n" +
		"Caio;+5511970000033;" + acme.ID + ";\r\n" +
		"Duda;+5511970000034;" + unknown + ";\r\n" +
		"Enzo;+5511970000035;nao-e-um-id;\r\n" +
		"Fábio;+5511970000036;;Acme\r\n")
	j := w.runToEnd(t, w.start(t, "contatos.csv", importer.Create, errs.Portuguese, body))
	checkEnded(t, j, counts{created: 4, failed: 2}, 6)
	for _, tc := range []struct{ phone, companyID, companyName, text string }{
		{"+5511970000031", acme.ID, "Acme", "Beta Comércio"},
		{"+5511970000032", beta.ID, "Beta", ""},
		{"+5511970000033", acme.ID, "Acme", ""},
		{"+5511970000036", "", "", "Acme"},
	} {
		c := w.byPhone(t, tc.phone)
		if c.CompanyID != tc.companyID || c.CompanyName != tc.companyName || c.Company != tc.text {
			t.Errorf("%s: company %q %q, text %q; want %q %q, %q", c.Name, c.CompanyID, c.CompanyName, c.Company, tc.companyID, tc.companyName, tc.text)
		}
	}
	sameRows(t, "error report", w.report(t, j), [][]string{
		{"linha", "Nome", "Telefone", "companyId", "Empresa", "erros"},
		{"5", "Duda", "'+5511970000034", unknown, "", pt("companyId", "company_not_found")},
		{"6", "Enzo", "'+5511970000035", "nao-e-um-id", "", pt("companyId", "company_not_found")},
	})
	if n, read := w.calls("BatchGetItem"); n != 1 || read > 1 {
		t.Errorf("BatchGetItem: %d calls, %v read units; want 1 call for the chunk's 3 distinct ids, at most 1 unit", n, read)
	}
	if n, _ := w.calls("Query"); n != 0 {
		t.Errorf("Query calls = %d, want 0: the companyId column wins over the company column", n)
	}
}

// companiesWorkbook is an XLSX file whose "Empresa" column names companies
// as people type them: another case, without accents, with an extra space.
func companiesWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"Nome", "Celular", "Empresa"},
		{"Gil", int64(5511970000041), "Clínica São Lucas"},    // 2 linked
		{"Hana", int64(5511970000042), "clinica sao lucas"},   // 3 linked, the same company
		{"Ivo", int64(5511970000043), "CLÍNICA  SÃO LUCAS"},   // 4 linked, the same company
		{"Jade", int64(5511970000044), "Distribuidora Norte"}, // 5 failed: two companies have this name
		{"Kaio", int64(5511970000045), "Padaria Nova"},        // 6 created, unlinked: no such company
		{"Lia", int64(5511970000046), ""},                     // 7 created, no company
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportCompanyByName: an XLSX file's company column keeps setting the
// free text and links to the one company of that name, case and accents
// aside: one consistent Query per distinct name of a chunk, never a Scan;
// a name two companies have fails the row rather than guess; a name no
// company has leaves the contact unlinked.
func TestImportCompanyByName(t *testing.T) {
	w := newCompanyWorld(t)
	now := time.Now()
	clinic := w.company(t, "Clínica São Lucas", now.Add(-time.Minute))
	w.company(t, "Distribuidora Norte", now.Add(-time.Second))
	w.company(t, "distribuidora norte", now)
	w.company(t, "Clínica São Lucas Filial", now) // a longer name: not a match
	j := w.runToEnd(t, w.start(t, "planilha.xlsx", importer.Upsert, errs.English, companiesWorkbook(t)))
	checkEnded(t, j, counts{created: 5, failed: 1}, 6)
	for _, phone := range []string{"+5511970000041", "+5511970000042", "+5511970000043"} {
		if c := w.byPhone(t, phone); c.CompanyID != clinic.ID || c.CompanyName != clinic.Name {
			t.Errorf("%s: company %q %q, want %q %q", c.Name, c.CompanyID, c.CompanyName, clinic.ID, clinic.Name)
		}
	}
	if c := w.byPhone(t, "+5511970000041"); c.Company != "Clínica São Lucas" {
		t.Errorf("free text = %q, want as typed", c.Company)
	}
	if c := w.byPhone(t, "+5511970000045"); c.CompanyID != "" || c.Company != "Padaria Nova" {
		t.Errorf("%s: company %q, text %q; want unlinked, \"Padaria Nova\"", c.Name, c.CompanyID, c.Company)
	}
	sameRows(t, "error report", w.report(t, j), [][]string{
		{"line", "Nome", "Celular", "Empresa", "errors"},
		{"5", "Jade", "5511970000044", "Distribuidora Norte", en("company", "ambiguous_company", "count", "2")},
	})
	n, read := w.calls("Query")
	if n != 3 {
		t.Errorf("Query calls = %d, want 3 (one per distinct name)", n)
	}
	// A consistent Query of a name's few rows: 1 read unit each.
	if read > 3 {
		t.Errorf("Query read units = %v, want at most 3", read)
	}
	w.named(t, "Padaria Nova", 0) // no createCompanies: nothing created

	// An update by the same name links a contact imported before.
	w.meter.Reset()
	up := w.runToEnd(t, w.start(t, "sync.csv", importer.Update, errs.English, []byte("Celular;Company\r\n+5511970000046;clínica são lucas\r\n")))
	checkEnded(t, up, counts{updated: 1}, 1)
	if c := w.byPhone(t, "+5511970000046"); c.CompanyID != clinic.ID {
		t.Errorf("after update: company %q, want %q", c.CompanyID, clinic.ID)
	}
}

// TestImportCreateCompanies: with createCompanies a name no company has is
// created once, not once per row, across chunks and runs (each chunk finds
// it with its consistent Query), and every row naming it is linked to it.
func TestImportCreateCompanies(t *testing.T) {
	w := newCompanyWorld(t)
	w.worker.Chunk = 2
	body := []byte("Nome;Telefone;Empresa\r\n" +
		"Ana;+5511970000051;Nova Ltda\r\n" +
		"Bia;+5511970000052;NOVA LTDA\r\n" +
		"Caio;+5511970000053;Nova Ltda\r\n" +
		"Duda;+5511970000054;Outra\r\n" +
		"Enzo;+5511970000055;nova ltda\r\n" +
		"Fábio;+5511970000056;***\r\n") // no letter: no company, never created
	j := w.runToEnd(t, w.startWith(t, "contatos.csv", body, map[string]any{"createCompanies": true}))
	checkEnded(t, j, counts{created: 6}, 6)
	nova := w.named(t, "Nova Ltda", 1)[0]
	if nova.Name != "Nova Ltda" || nova.CreatedBy != w.caller.Subject {
		t.Errorf("created company = %q by %q, want \"Nova Ltda\" (the first row's text) by %q", nova.Name, nova.CreatedBy, w.caller.Subject)
	}
	outra := w.named(t, "Outra", 1)[0]
	for phone, want := range map[string]string{"+5511970000051": nova.ID, "+5511970000052": nova.ID, "+5511970000053": nova.ID, "+5511970000054": outra.ID, "+5511970000055": nova.ID, "+5511970000056": ""} {
		if c := w.byPhone(t, phone); c.CompanyID != want {
			t.Errorf("%s: company %q, want %q", c.Name, c.CompanyID, want)
		}
	}
	// Per chunk a Query per distinct name (chunks of 2 rows: 1, 2 and 1
	// names; "***" is none) and one more after each creation (a race
	// check).
	if n, _ := w.calls("Query"); n != 6 {
		t.Errorf("Query calls = %d, want 6", n)
	}
	// A creation: the company, its name, creation and word rows and its
	// timeline entry, 2 WCU each in a transaction: 12 for "Nova Ltda", 10
	// for "Outra".
	if n, _ := w.calls("TransactWriteItems"); n != 2 {
		t.Errorf("company creations = %d, want 2", n)
	}
	for _, u := range w.meter.Usage() {
		if u.Operation == "TransactWriteItems" && u.Write != 22 {
			t.Errorf("creations wrote %v units, want 22", u.Write)
		}
	}

	// The same file again creates nothing.
	w.meter.Reset()
	again := w.runToEnd(t, w.startWith(t, "de-novo.csv", body, map[string]any{"createCompanies": true}))
	checkEnded(t, again, counts{skipped: 6}, 6)
	w.named(t, "Nova Ltda", 1)
	if n, _ := w.calls("TransactWriteItems"); n != 0 {
		t.Errorf("company creations = %d, want 0", n)
	}
}

// TestImportCreateCompaniesOption: createCompanies must be a boolean.
func TestImportCreateCompaniesOption(t *testing.T) {
	w := newCompanyWorld(t)
	_, _, err := w.imports.Start(context.Background(), w.caller, errs.English, map[string]any{"fileName": "a.csv", "mode": "create", "createCompanies": "yes"})
	e := errs.As(err)
	if e.Kind != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "createCompanies" || e.Fields[0].Code != "invalid_type" {
		t.Fatalf("err = %v (%+v), want invalid_type on createCompanies", err, e.Fields)
	}
	j, _, err := w.imports.Start(context.Background(), w.caller, errs.English, map[string]any{"fileName": "a.csv", "mode": "create", "createCompanies": false})
	if err != nil || j.Params["createCompanies"] != "false" {
		t.Fatalf("start = %v, params %v", err, j.Params)
	}
}

// rivalMaker creates, before each company it is asked for, the same
// company by another import running side by side (an older id).
type rivalMaker struct {
	w     *companyWorld
	t     testing.TB
	rival *company.Company
}

func (r *rivalMaker) Create(ctx context.Context, caller tenant.Caller, doc map[string]any) (*company.Company, error) {
	r.rival = r.w.company(r.t, strings.ToUpper(doc["name"].(string)), time.Now().Add(-time.Second))
	return r.w.service.Create(ctx, caller, doc)
}

// TestImportCreateCompaniesRace: another import creates the company at the
// same time: the oldest stays, this import deletes the one it created and
// links its rows to the oldest.
func TestImportCreateCompaniesRace(t *testing.T) {
	w := newCompanyWorld(t)
	maker := &rivalMaker{w: w, t: t}
	w.worker.CompanyMaker = maker
	body := []byte("Nome;Telefone;Empresa\r\nAna;+5511970000061;Gêmea\r\nBia;+5511970000062;Gêmea\r\n")
	j := w.runToEnd(t, w.startWith(t, "contatos.csv", body, map[string]any{"createCompanies": true}))
	checkEnded(t, j, counts{created: 2}, 2)
	if got := w.named(t, "gemea", 1)[0]; got.ID != maker.rival.ID {
		t.Errorf("company left = %s %q, want the rival's %s", got.ID, got.Name, maker.rival.ID)
	}
	for _, phone := range []string{"+5511970000061", "+5511970000062"} {
		if c := w.byPhone(t, phone); c.CompanyID != maker.rival.ID {
			t.Errorf("%s: company %q, want %q", c.Name, c.CompanyID, maker.rival.ID)
		}
	}
}
