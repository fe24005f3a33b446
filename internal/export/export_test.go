package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/xuri/excelize/v2"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/export"
	"github.com/omnichannel/contacts/internal/heaptest"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/sheets"
	"github.com/omnichannel/contacts/internal/tag"
	"github.com/omnichannel/contacts/internal/tenant"
)

// memFiles is an in-memory export.Files (the S3 bucket): an upload that
// fails stores nothing, as an aborted multipart upload.
type memFiles struct {
	mu      sync.Mutex
	objects map[string][]byte
	types   map[string]string
	failed  int
}

func (f *memFiles) Upload(_ context.Context, key, contentType string, r io.Reader) (int64, error) {
	b, err := io.ReadAll(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.failed++
		return 0, err
	}
	f.objects[key] = b
	f.types[key] = contentType
	return int64(len(b)), nil
}

func (f *memFiles) get(key string) ([]byte, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[key]
	return b, f.types[key], ok
}

type queue struct {
	mu   sync.Mutex
	msgs []string
}

func (q *queue) Enqueue(_ context.Context, ws, jobID string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, ws+"/"+jobID)
	return nil
}

// contactsHook lets a test act when the worker reads a page of contacts.
type contactsHook struct {
	export.Contacts
	onPage func(page int)
	pages  int
}

func (h *contactsHook) GetMany(ctx context.Context, ws string, ids []string) ([]*contact.Contact, error) {
	h.pages++
	if h.onPage != nil {
		h.onPage(h.pages)
	}
	return h.Contacts.GetMany(ctx, ws, ids)
}

const ws = "acme"

type world struct {
	client   *dynamodb.Client
	table    string
	people   *contact.Service
	contacts *dynamo.Contacts
	finder   *search.Service
	tags     *tag.Service
	jobs     *jobs.Service
	exports  *export.Service
	worker   *export.Worker
	hook     *contactsHook
	files    *memFiles
	queue    *queue
	caller   tenant.Caller
}

func newWorld(t testing.TB) *world {
	t.Helper()
	client, table := dynamotest.NewTable(t)
	contacts := &dynamo.Contacts{Client: client, Table: table}
	tagStore := &dynamo.Tags{Client: client, Table: table}
	people := &contact.Service{Contacts: contacts, Workspaces: &dynamo.Workspaces{Client: client, Table: table}, Tags: tagStore}
	finder := &search.Service{Index: &dynamo.Search{Client: client, Table: table}, Contacts: people, Workspaces: people.Workspaces, Tags: tagStore}
	js := &jobs.Service{Store: &dynamo.Jobs{Client: client, Table: table}}
	files := &memFiles{objects: map[string][]byte{}, types: map[string]string{}}
	q := &queue{}
	hook := &contactsHook{Contacts: contacts}
	return &world{
		client: client, table: table, people: people, contacts: contacts, finder: finder, jobs: js, files: files, queue: q, hook: hook,
		tags:    &tag.Service{Tags: tagStore, Contacts: contacts, People: people},
		exports: &export.Service{Jobs: js, Search: finder, People: people, Queue: q},
		worker: &export.Worker{
			Search: finder, People: people, Contacts: hook, Jobs: js.Store, Files: files,
			// As functions/export/main.go builds it.
			NewWriter: func(w io.Writer, format string, header []string) (export.RowWriter, error) {
				return sheets.NewWriter(w, sheets.Format(format), header)
			},
		},
		caller: tenant.Caller{Workspace: ws, Subject: "user-1", Role: tenant.Owner},
	}
}

func (w *world) definePlano(t testing.TB) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(`{"fields":[{"key":"plano","label":"Plano","type":"select","options":["Ouro","Prata"]}]}`), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := w.people.SetFields(context.Background(), w.caller, 0, doc); err != nil {
		t.Fatal(err)
	}
}

func (w *world) create(t testing.TB, doc map[string]any, tags ...any) *contact.Contact {
	t.Helper()
	ctx := context.Background()
	c, _, err := w.people.Create(ctx, w.caller, contact.CreateRequest{Document: doc})
	if err != nil {
		t.Fatalf("create %v: %v", doc, err)
	}
	if len(tags) > 0 {
		if _, err := w.tags.Assign(ctx, w.caller, c.ID, tags); err != nil {
			t.Fatal(err)
		}
	}
	if c, err = w.people.Get(ctx, w.caller, c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

// start starts an export from a JSON body and returns the job, queued once.
func (w *world) start(t testing.TB, body string) *jobs.Job {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	before := len(w.queue.msgs)
	j, err := w.exports.Start(context.Background(), w.caller, doc)
	if err != nil {
		t.Fatalf("start export %s: %v", body, err)
	}
	if len(w.queue.msgs) != before+1 || w.queue.msgs[before] != ws+"/"+j.ID {
		t.Fatalf("queued %q", w.queue.msgs)
	}
	return j
}

func (w *world) run(t testing.TB, j *jobs.Job) (string, *jobs.Job) {
	t.Helper()
	outcome, err := w.worker.Run(context.Background(), ws, j.ID, "m-"+j.ID, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	got, err := w.jobs.Store.Get(context.Background(), ws, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	return outcome, got
}

// readBack reads an exported file with sheets, each row padded to the
// header's width (the reader drops trailing empty cells).
func readBack(t testing.TB, body []byte, name string) [][]string {
	t.Helper()
	r, err := sheets.Open(bytes.NewReader(body), int64(len(body)), name, sheets.Limits{})
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer r.Close()
	width := len(r.Header().Cells)
	rows := [][]string{r.Header().Cells}
	for want := 2; ; want++ {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		if row.Line != want {
			t.Errorf("row at line %d, want %d (a cell spanning lines?)", row.Line, want)
		}
		cells := append([]string(nil), row.Cells...)
		for len(cells) < width {
			cells = append(cells, "")
		}
		rows = append(rows, cells)
	}
}

var header = []string{
	"id", "externalId", "name", "firstName", "lastName", "kind", "phone", "email", "otherPhones", "otherEmails", "taxId", "birthDate", "company", "companyId", "companyName",
	"country", "language", "ownerId", "telegramId", "avatarUrl", "tags", "blocked", "createdAt", "updatedAt", "Plano",
}

// tagsCol is the column of tags, whose order is the store's (a set).
var tagsCol = slices.Index(header, "tags")

// people are the contacts exported: name, and the cells the export must
// give them (every column but id, tags, createdAt and updatedAt, which
// are checked against the stored contact).
type person struct {
	doc   map[string]any
	tags  []any
	cells map[string]string
}

var people = []person{
	{map[string]any{"name": "Ana Souza", "phone": "(11) 98888-0001", "email": "ana@exemplo.com", "taxId": "529.982.247-25", "birthDate": "15/03/1985", "company": "Padaria Pão Quente", "externalId": "erp-ana-1", "customFields": map[string]any{"plano": "Ouro"},
		"otherPhones": []any{"(21) 97777-0002", "+351 912 345 678"}, "otherEmails": []any{"ana@trabalho.com"}},
		[]any{"VIP", "Atacado"},
		map[string]string{"externalId": "erp-ana-1", "firstName": "Ana", "lastName": "Souza", "phone": "+5511988880001", "email": "ana@exemplo.com", "taxId": "529.982.247-25", "birthDate": "1985-03-15", "company": "Padaria Pão Quente", "country": "BR", "Plano": "Ouro",
			"otherPhones": "+5521977770002, +351912345678", "otherEmails": "ana@trabalho.com"}},
	{map[string]any{"name": "Bruno Lima", "email": "bruno@exemplo.com", "company": "Souza; Filhos & Cia"},
		[]any{"VIP"},
		map[string]string{"firstName": "Bruno", "lastName": "Lima", "email": "bruno@exemplo.com", "company": "Souza; Filhos & Cia"}},
	{map[string]any{"name": "Carla Dias", "phone": "(21) 99876-5432", "customFields": map[string]any{"plano": "Prata"}},
		[]any{"Atacado"},
		map[string]string{"firstName": "Carla", "lastName": "Dias", "phone": "+5521998765432", "country": "BR", "Plano": "Prata"}},
	{map[string]any{"name": "=SUM(A1)", "email": "soma@exemplo.com"},
		[]any{"VIP"},
		map[string]string{"firstName": "=SUM(A1)", "email": "soma@exemplo.com"}},
	{map[string]any{"name": "+55 golpe", "email": "golpe@exemplo.com"},
		nil,
		map[string]string{"firstName": "+55", "lastName": "golpe", "email": "golpe@exemplo.com"}},
	{map[string]any{"name": "@x Marketing", "email": "x@exemplo.com"},
		[]any{"VIP"},
		map[string]string{"firstName": "@x", "lastName": "Marketing", "email": "x@exemplo.com"}},
	{map[string]any{"name": `Daniel "Dani" Rocha`, "email": "dani@exemplo.com", "company": "Rua A, 10"},
		nil,
		map[string]string{"firstName": "Daniel", "lastName": `"Dani" Rocha`, "email": "dani@exemplo.com", "company": "Rua A, 10"}},
	{map[string]any{"name": "Érica Nunes", "phone": "+1 415 555 2671", "language": "en-US"},
		nil,
		map[string]string{"firstName": "Érica", "lastName": "Nunes", "phone": "+14155552671", "country": "US", "language": "en-US"}},
	{map[string]any{"name": "Fábio Costa", "email": "fabio@exemplo.com", "taxId": "11222333000181", "company": "Fábio ME"},
		nil,
		map[string]string{"firstName": "Fábio", "lastName": "Costa", "email": "fabio@exemplo.com", "taxId": "11.222.333/0001-81", "company": "Fábio ME"}},
	{map[string]any{"name": "Gabriela Prado", "phone": "(11) 2345-6789"},
		[]any{"Atacado"},
		map[string]string{"firstName": "Gabriela", "lastName": "Prado", "phone": "+551123456789", "country": "BR"}},
	{map[string]any{"name": "-Hugo", "email": "hugo@exemplo.com"},
		[]any{"VIP"},
		map[string]string{"firstName": "-Hugo", "email": "hugo@exemplo.com"}},
	{map[string]any{"name": "Íris Lopes", "email": "iris@exemplo.com", "ownerId": "user-7", "telegramId": "iris_lopes"},
		nil,
		map[string]string{"firstName": "Íris", "lastName": "Lopes", "email": "iris@exemplo.com", "ownerId": "user-7", "telegramId": "iris_lopes"}},
}

// seed creates people and returns each one's expected row (cells as
// stored, not neutralised) by id.
func (w *world) seed(t testing.TB) map[string][]string {
	t.Helper()
	w.definePlano(t)
	rows := map[string][]string{}
	for _, p := range people {
		c := w.create(t, p.doc, p.tags...)
		var tagNames []string
		for _, tg := range p.tags {
			tagNames = append(tagNames, tg.(string))
		}
		row := make([]string, len(header))
		for i, h := range header {
			switch h {
			case "id":
				row[i] = c.ID
			case "name":
				row[i] = p.doc["name"].(string)
			case "kind":
				row[i] = "person"
			case "tags":
				sort.Strings(tagNames)
				row[i] = strings.Join(tagNames, ", ")
			case "blocked":
				row[i] = "false"
			case "createdAt":
				row[i] = c.CreatedAt.UTC().Format(time.RFC3339)
			case "updatedAt":
				row[i] = c.UpdatedAt.UTC().Format(time.RFC3339)
			default:
				row[i] = p.cells[h]
			}
		}
		rows[c.ID] = row
	}
	return rows
}

// listed returns the ids of the contact list with params, in its order.
func (w *world) listed(t testing.TB, params map[string]string) []string {
	t.Helper()
	params["limit"] = "200"
	res, err := w.finder.List(context.Background(), w.caller, params)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range res.Items {
		out = append(out, it.ID)
	}
	return out
}

// sortTags sorts the tags cell of each data row.
func sortTags(rows [][]string) {
	for _, r := range rows[1:] {
		if r[tagsCol] == "" {
			continue
		}
		parts := strings.Split(r[tagsCol], ", ")
		sort.Strings(parts)
		r[tagsCol] = strings.Join(parts, ", ")
	}
}

func neutralized(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
			c = "'" + c
		}
		out[i] = c
	}
	return out
}

func sameRows(t testing.TB, what string, got, want [][]string) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w []string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !reflect.DeepEqual(g, w) {
			fmt.Fprintf(&b, "row %d:\n  got  %q\n  want %q\n", i, g, w)
		}
	}
	t.Errorf("%s differs:\n%s", what, b.String())
}

func TestExportCSVWithFilter(t *testing.T) {
	w := newWorld(t)
	expected := w.seed(t)
	j := w.start(t, `{"format":"csv","filter":{"tag":["VIP"]}}`)
	outcome, j := w.run(t, j)
	if outcome != "exported" || j.Status != jobs.Succeeded || j.Counts["exported"] != 5 || j.Processed != 5 || j.Total != 5 {
		t.Fatalf("%s: %+v", outcome, j)
	}
	key := export.Key(ws, j.ID, "csv")
	if j.Files["download"] != key {
		t.Fatalf("files %v", j.Files)
	}
	body, ctype, ok := w.files.get(key)
	if !ok || ctype != "text/csv; charset=utf-8" {
		t.Fatalf("no file at %s (%q)", key, ctype)
	}
	// As Brazilian Excel opens it: a BOM, ';', CRLF.
	if !bytes.HasPrefix(body, []byte("\ufeffid;externalId;name;firstName;")) || !bytes.HasSuffix(body, []byte("\r\n")) ||
		bytes.Count(body, []byte("\r\n")) != 6 {
		t.Errorf("not an Excel pt-BR CSV:\n%s", body)
	}
	if !bytes.Contains(body, []byte(";'=SUM(A1);'=SUM(A1);;person;")) || !bytes.Contains(body, []byte(`;"Souza; Filhos & Cia";`)) {
		t.Errorf("formulas not neutralised or a ';' not quoted:\n%s", body)
	}
	got := readBack(t, body, "export.csv")
	sortTags(got)
	want := [][]string{header}
	for _, id := range w.listed(t, map[string]string{"tag": "VIP"}) {
		want = append(want, neutralized(expected[id]))
	}
	if len(want) != 6 {
		t.Fatalf("the list has %d VIP contacts, want 5", len(want)-1)
	}
	sameRows(t, "exported CSV", got, want)

	// A redelivered message does nothing.
	if outcome, again := w.run(t, j); outcome != "held by another run, or ended" || again.Version != j.Version {
		t.Errorf("second run: %s, %+v", outcome, again)
	}
}

func TestExportXLSXAll(t *testing.T) {
	w := newWorld(t)
	expected := w.seed(t)
	j := w.start(t, `{"format":"xlsx"}`)
	outcome, j := w.run(t, j)
	if outcome != "exported" || j.Status != jobs.Succeeded || j.Counts["exported"] != 12 {
		t.Fatalf("%s: %+v", outcome, j)
	}
	body, ctype, ok := w.files.get(export.Key(ws, j.ID, "xlsx"))
	if !ok || ctype != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("no file (%q)", ctype)
	}
	got := readBack(t, body, "export.xlsx")
	sortTags(got)
	want := [][]string{header}
	for _, id := range w.listed(t, map[string]string{}) {
		want = append(want, expected[id])
	}
	if len(want) != 13 {
		t.Fatalf("the list has %d contacts, want 12", len(want)-1)
	}
	sameRows(t, "exported XLSX", got, want)

	// Cells that could be formulas are text with Excel's typed-apostrophe
	// mark, never formulas.
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if list := f.GetSheetList(); len(list) != 1 || list[0] != sheets.SheetName {
		t.Errorf("sheets %q", list)
	}
	rows, err := f.GetRows(sheets.SheetName)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			formula, _ := f.GetCellFormula(sheets.SheetName, cell)
			if formula != "" {
				t.Errorf("%s is a formula: %q", cell, formula)
			}
			if v == "" || !strings.ContainsRune("=+-@", rune(v[0])) {
				continue
			}
			style, err := f.GetCellStyle(sheets.SheetName, cell)
			if err != nil {
				t.Fatal(err)
			}
			xf := f.Styles.CellXfs.Xf[style]
			if xf.QuotePrefix == nil || !*xf.QuotePrefix {
				t.Errorf("%s %q is not marked as typed text", cell, v)
			}
			checked++
		}
	}
	// =SUM(A1) ×2, +55 golpe, +55, @x Marketing, @x, -Hugo ×2, four
	// phones in E.164 and one list of other phones.
	if checked != 13 {
		t.Errorf("%d cells needed the mark, want 13", checked)
	}
}

func TestExportCancelled(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	w.worker.PageSize = 1
	j := w.start(t, `{"format":"csv"}`)
	w.hook.onPage = func(page int) {
		if page == 1 {
			if _, err := w.jobs.Cancel(context.Background(), w.caller, j.ID); err != nil {
				t.Error(err)
			}
		}
	}
	outcome, j := w.run(t, j)
	if outcome != "cancelled" || j.Status != jobs.Cancelled {
		t.Fatalf("%s: %+v", outcome, j)
	}
	// The worker looks at the job every 10 pages.
	if w.hook.pages != 10 || j.Processed != 10 {
		t.Errorf("read %d pages, processed %d; want 10", w.hook.pages, j.Processed)
	}
	if _, _, ok := w.files.get(export.Key(ws, j.ID, "csv")); ok || len(j.Files) != 0 {
		t.Errorf("a cancelled export left a file: %v", j.Files)
	}
	if w.files.failed != 1 {
		t.Errorf("%d uploads aborted, want 1", w.files.failed)
	}

	// Cancelled before it ran: nothing read.
	j = w.start(t, `{"format":"xlsx"}`)
	if _, err := w.jobs.Cancel(context.Background(), w.caller, j.ID); err != nil {
		t.Fatal(err)
	}
	w.hook.pages = 0
	outcome, j = w.run(t, j)
	if j.Status != jobs.Cancelled || w.hook.pages != 0 || len(j.Files) != 0 {
		t.Errorf("%s: %d pages read, %+v", outcome, w.hook.pages, j)
	}
}

// importFiles is an in-memory importer.Files.
type importFiles struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (f *importFiles) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[key]
	if !ok {
		return nil, 0, fmt.Errorf("no object %q", key)
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

func (f *importFiles) Upload(_ context.Context, key, _ string, r io.Reader) (int64, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key] = body
	return int64(len(body)), nil
}

func (f *importFiles) Delete(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objects, key)
	return nil
}

type uploads struct{}

func (uploads) UploadForm(_ context.Context, key, _ string, _ int64, _ time.Duration) (string, map[string]string, error) {
	return "https://imports.test/", map[string]string{"key": key}, nil
}

// TestExportImportsBack: an exported file, imported back unchanged in
// update mode, finds every contact and changes none (the neutralising
// quotes come off, the columns map back).
func TestExportImportsBack(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			w := newWorld(t)
			w.seed(t)
			ctx := context.Background()
			before := map[string]int{}
			for _, id := range w.listed(t, map[string]string{}) {
				c, err := w.people.Get(ctx, w.caller, id)
				if err != nil {
					t.Fatal(err)
				}
				before[id] = c.Version
			}
			_, j := w.run(t, w.start(t, `{"format":"`+format+`"}`))
			body, _, ok := w.files.get(export.Key(ws, j.ID, format))
			if !ok {
				t.Fatalf("no export: %+v", j)
			}
			files := &importFiles{objects: map[string][]byte{}}
			imports := &importer.Service{People: w.people, Jobs: w.jobs, Uploads: uploads{}}
			index := &dynamo.Search{Client: w.client, Table: w.table}
			worker := &importer.Worker{People: w.people, Contacts: w.contacts, Finder: index, Tags: w.tags, Jobs: w.jobs.Store,
				Files: files, Failures: &dynamo.ImportFailures{Client: w.client, Table: w.table}}
			ij, _, err := imports.Start(ctx, w.caller, errs.English, map[string]any{"fileName": "contatos." + format, "mode": importer.Update})
			if err != nil {
				t.Fatal(err)
			}
			files.objects[ij.Params["key"]] = body
			if done, err := worker.Run(ctx, ws, ij.ID, "m-1", time.Now().Add(time.Minute)); err != nil || !done {
				t.Fatalf("import: %v %v", done, err)
			}
			ij, err = w.jobs.Store.Get(ctx, ws, ij.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ij.Status != jobs.Succeeded || ij.Counts["skipped"] != 12 || ij.Processed != 12 {
				t.Errorf("import back: %s %v %q", ij.Status, ij.Counts, ij.Error)
			}
			if ij.Params["ignoredColumns"] != "id, companyName, blocked, createdAt, updatedAt" {
				t.Errorf("ignoredColumns %q", ij.Params["ignoredColumns"])
			}
			for id, v := range before {
				c, err := w.people.Get(ctx, w.caller, id)
				if err != nil {
					t.Fatal(err)
				}
				if c.Version != v {
					t.Errorf("%s (%s) changed: version %d → %d, country %q manual %v", id, c.Name, v, c.Version, c.Country, c.CountryManual)
				}
			}
		})
	}
}

// BenchmarkExport exports BENCH_ROWS (2000) contacts to CSV and to XLSX.
func BenchmarkExport(b *testing.B) {
	n := 2000
	if s := os.Getenv("BENCH_ROWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("BENCH_ROWS=%q", s)
		}
		n = v
	}
	w := newWorld(b)
	w.definePlano(b)
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var mu sync.Mutex
	var failed error
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			doc := map[string]any{"name": fmt.Sprintf("Pessoa %05d da Silva", i), "phone": fmt.Sprintf("(11) 9%04d-%04d", 1000+i/10000, i%10000),
				"email": fmt.Sprintf("pessoa%d@exemplo.com", i), "company": fmt.Sprintf("Empresa %d", i%50), "customFields": map[string]any{"plano": "Ouro"}}
			if _, _, err := w.people.Create(ctx, w.caller, contact.CreateRequest{Document: doc}); err != nil {
				mu.Lock()
				failed = err
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	for _, format := range []string{"csv", "xlsx"} {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				j := w.start(b, `{"format":"`+format+`"}`)
				peak := heaptest.Sample()
				began := time.Now()
				_, j = w.run(b, j)
				elapsed := time.Since(began)
				peakMiB := float64(peak()) / (1 << 20)
				if j.Counts["exported"] != n {
					b.Fatalf("exported %d of %d", j.Counts["exported"], n)
				}
				b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
				b.ReportMetric(peakMiB, "peak-MiB")
			}
		})
	}
}

// TestExportColumns: columns in the asked order, a custom field named by
// its key alone or as customFields.<key>, headed by its label; an unknown
// column is a 422 naming it.
func TestExportColumns(t *testing.T) {
	w := newWorld(t)
	w.definePlano(t)
	w.create(t, map[string]any{"name": "Ana", "email": "ana@example.com", "customFields": map[string]any{"plano": "Ouro"}})
	j := w.start(t, `{"format":"csv","columns":["plano","name","customFields.plano"]}`)
	if got := j.Params["columns"]; got != "customFields.plano,name,customFields.plano" {
		t.Fatalf("columns = %q", got)
	}
	_, done := w.run(t, j)
	body, _, ok := w.files.get(done.Files["download"])
	if !ok {
		t.Fatalf("no file: %+v", done)
	}
	rows := readBack(t, body, "x.csv")
	want := [][]string{{"Plano", "name", "Plano"}, {"Ouro", "Ana", "Ouro"}}
	sameRows(t, "export", rows, want)
	_, err := w.exports.Start(context.Background(), w.caller, map[string]any{"format": "csv", "columns": []any{"name", "nope"}})
	if e := errs.As(err); err == nil || len(e.Fields) != 1 || e.Fields[0].Field != "columns[1]" || e.Fields[0].Code != "column_unknown" {
		t.Errorf("unknown column: %v", err)
	}
}

// panickyWriter is an export.RowWriter whose Write panics, as a writer bug would.
type panickyWriter struct{}

func (panickyWriter) Write([]string) error { panic("writer bug") }
func (panickyWriter) Close() error         { return nil }

// TestExportWriterPanic: a writer that panics fails the run with an
// internal error (the message is retried) and stops the upload, which would
// otherwise wait for rows forever; no file is left.
func TestExportWriterPanic(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	w.worker.NewWriter = func(io.Writer, string, []string) (export.RowWriter, error) { return panickyWriter{}, nil }
	j := w.start(t, `{"format":"csv"}`)
	done := make(chan error, 1)
	go func() {
		_, err := w.worker.Run(context.Background(), ws, j.ID, "m-"+j.ID, time.Now().Add(time.Minute))
		done <- err
	}()
	select {
	case err := <-done:
		if got, want := errs.KindOf(err), errs.Internal; got != want {
			t.Errorf("Run error kind = %q (%v), want %q", got, err, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return: the upload goroutine is blocked")
	}
	if _, _, ok := w.files.get(export.Key(ws, j.ID, "csv")); ok || w.files.failed != 1 {
		t.Errorf("file left %v, aborted uploads %d; want none and 1", ok, w.files.failed)
	}
}

// TestExportSelection: an export of ids writes those contacts, in the
// order given, each once; ids with a filter, or too many, are a 422.
func TestExportSelection(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	all := w.listed(t, map[string]string{})
	pick := []string{all[2], all[0], all[2]}
	_, j := w.run(t, w.start(t, `{"format":"csv","columns":["id"],"ids":["`+strings.Join(pick, `","`)+`"]}`))
	body, _, ok := w.files.get(export.Key(ws, j.ID, "csv"))
	if !ok || j.Status != jobs.Succeeded {
		t.Fatalf("export: %+v", j)
	}
	rows := readBack(t, body, "x.csv")
	if len(rows) != 3 || rows[1][0] != all[2] || rows[2][0] != all[0] {
		t.Errorf("rows = %v, want the header, %s and %s", rows, all[2], all[0])
	}
	for _, body := range []string{`{"format":"csv","ids":["` + all[0] + `"],"filter":{}}`, `{"format":"csv","ids":[]}`, `{"format":"csv","ids":["x"]}`} {
		var doc map[string]any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		if _, err := w.exports.Start(context.Background(), w.caller, doc); errs.KindOf(err) != errs.Invalid {
			t.Errorf("Start %s = %v, want invalid", body, err)
		}
	}
}

// TestExportPermissions: who may export is the workspace's choice (owners
// and managers by default), checked before anything else; an agent the
// workspace lets export, in a wallet-bound workspace, exports its wallet
// only, a selection by ids naming others' contacts included.
func TestExportPermissions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	mine := w.create(t, map[string]any{"name": "Ana", "phone": "11 98888-0001", "ownerId": "agent-1"})
	theirs := w.create(t, map[string]any{"name": "Bia", "phone": "11 98888-0002", "ownerId": "agent-2"})
	agent := tenant.Caller{Workspace: ws, Subject: "agent-1", Role: tenant.Agent}
	manager := tenant.Caller{Workspace: ws, Subject: "manager-1", Role: tenant.Manager}
	set := func(doc map[string]any) {
		t.Helper()
		if _, err := w.people.SetSettings(ctx, w.caller, 0, doc); err != nil {
			t.Fatal(err)
		}
	}
	body := map[string]any{"format": "csv", "columns": []any{"id"}, "ids": []any{theirs.ID, mine.ID}}
	for _, tc := range []struct {
		name    string
		perms   map[string]any
		caller  tenant.Caller
		allowed bool
	}{
		{"default, manager", nil, manager, true},
		{"default, agent", nil, agent, false},
		{"agents only, manager", map[string]any{"export": []any{"agent"}}, manager, false},
		{"agents only, agent", map[string]any{"export": []any{"agent"}}, agent, true},
		{"owners only, owner", map[string]any{"export": []any{}}, w.caller, true},
		{"owners only, agent", map[string]any{"export": []any{}}, agent, false},
	} {
		if tc.perms != nil {
			set(map[string]any{"permissions": tc.perms})
		}
		before := len(w.queue.msgs)
		_, err := w.exports.Start(ctx, tc.caller, body)
		if allowed := err == nil; allowed != tc.allowed || (err != nil && errs.KindOf(err) != errs.Forbidden) {
			t.Errorf("%s: %v, want allowed %v", tc.name, err, tc.allowed)
		}
		if !tc.allowed && len(w.queue.msgs) != before {
			t.Errorf("%s: refused, yet queued", tc.name)
		}
	}

	set(map[string]any{"agentWalletOnly": true, "permissions": map[string]any{"export": []any{"agent"}}})
	j, err := w.exports.Start(ctx, agent, body)
	if err != nil {
		t.Fatal(err)
	}
	_, j = w.run(t, j)
	file, _, ok := w.files.get(export.Key(ws, j.ID, "csv"))
	if !ok || j.Status != jobs.Succeeded {
		t.Fatalf("export: %+v", j)
	}
	if rows := readBack(t, file, "x.csv"); len(rows) != 2 || rows[1][0] != mine.ID {
		t.Errorf("a wallet-bound agent's export of %s and %s: %v, want the header and its own contact only", theirs.ID, mine.ID, rows)
	}
}
