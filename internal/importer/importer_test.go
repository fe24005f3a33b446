package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/heaptest"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/sheets"
	"github.com/omnichannel/contacts/internal/tag"
	"github.com/omnichannel/contacts/internal/tenant"
)

// ---------------------------------------------------------------------------
// The world: the real DynamoDB stores on a fresh table, S3 in memory.

// memFiles is an in-memory importer.Files (the S3 bucket).
type memFiles struct {
	mu      sync.Mutex
	objects map[string][]byte
	types   map[string]string
}

func newMemFiles() *memFiles {
	return &memFiles{objects: map[string][]byte{}, types: map[string]string{}}
}

func (f *memFiles) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[key]
	if !ok {
		return nil, 0, fmt.Errorf("memfiles: no object %q", key)
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

func (f *memFiles) Put(_ context.Context, key, contentType string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key] = append([]byte(nil), body...)
	f.types[key] = contentType
	return nil
}

func (f *memFiles) Upload(ctx context.Context, key, contentType string, r io.Reader) (int64, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	return int64(len(body)), f.Put(ctx, key, contentType, body)
}

func (f *memFiles) Delete(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objects, key)
	return nil
}

func (f *memFiles) get(key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[key]
	return b, ok
}

func (f *memFiles) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.objects {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fakeUploads gives upload forms without S3; it remembers the size limit.
type fakeUploads struct{ maxBytes *int64 }

func (u fakeUploads) UploadForm(_ context.Context, key, contentType string, maxBytes int64, _ time.Duration) (string, map[string]string, error) {
	if u.maxBytes != nil {
		*u.maxBytes = maxBytes
	}
	return "https://imports.test/", map[string]string{"key": key, "Content-Type": contentType}, nil
}

// queue is a jobs.Queue that records what it was given.
type queue struct {
	mu   sync.Mutex
	msgs []string // ws/jobId
	all  int
}

func (q *queue) Enqueue(_ context.Context, ws, jobID string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, ws+"/"+jobID)
	q.all++
	return nil
}

func (q *queue) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.msgs
	q.msgs = nil
	return out
}

func (q *queue) total() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.all
}

type world struct {
	client   *dynamodb.Client
	table    string
	people   *contact.Service
	contacts *dynamo.Contacts
	index    *dynamo.Search
	tags     *tag.Service
	jobs     *jobs.Service
	imports  *importer.Service
	worker   *importer.Worker
	files    *memFiles
	caller   tenant.Caller
	runs     int
}

const ws = "acme"

func newWorld(t testing.TB) *world {
	t.Helper()
	client, table := dynamotest.NewTable(t)
	contacts := &dynamo.Contacts{Client: client, Table: table}
	tagStore := &dynamo.Tags{Client: client, Table: table}
	people := &contact.Service{Contacts: contacts, Workspaces: &dynamo.Workspaces{Client: client, Table: table}, Tags: tagStore}
	js := &jobs.Service{Store: &dynamo.Jobs{Client: client, Table: table}}
	files := newMemFiles()
	index := &dynamo.Search{Client: client, Table: table}
	tags := &tag.Service{Tags: tagStore, Contacts: contacts, People: people}
	return &world{
		client: client, table: table, people: people, contacts: contacts, index: index, tags: tags, jobs: js, files: files,
		imports: &importer.Service{People: people, Jobs: js, Uploads: fakeUploads{}},
		worker: &importer.Worker{
			People: people, Contacts: contacts, Finder: index, Tags: tags, Jobs: js.Store, Files: files,
			Failures: &dynamo.ImportFailures{Client: client, Table: table},
		},
		caller: tenant.Caller{Workspace: ws, Subject: "user-1", Role: tenant.Owner},
	}
}

// start records an import job and puts its file where the upload goes.
func (w *world) start(t testing.TB, fileName, mode string, lang errs.Language, body []byte) *jobs.Job {
	t.Helper()
	j, up, err := w.imports.Start(context.Background(), w.caller, lang, map[string]any{"fileName": fileName, "mode": mode})
	if err != nil {
		t.Fatalf("start import of %s: %v", fileName, err)
	}
	if up.Method != "POST" || up.Fields["key"] != j.Params["key"] || j.Params["key"] != importer.Prefix+ws+"/"+j.ID+"/"+fileName {
		t.Fatalf("upload = %+v, key %q", up, j.Params["key"])
	}
	if err := w.files.Put(context.Background(), j.Params["key"], "text/csv", body); err != nil {
		t.Fatal(err)
	}
	return j
}

// runToEnd runs the job (each run a new SQS message) until Run says it is
// done, and returns the job as stored.
func (w *world) runToEnd(t testing.TB, j *jobs.Job) *jobs.Job {
	t.Helper()
	for i := 0; i < 50; i++ {
		w.runs++
		done, err := w.worker.Run(context.Background(), ws, j.ID, "run-"+strconv.Itoa(w.runs), time.Now().Add(time.Minute))
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if done {
			return w.job(t, j.ID)
		}
	}
	t.Fatal("the import never ended")
	return nil
}

func (w *world) job(t testing.TB, id string) *jobs.Job {
	t.Helper()
	j, err := w.jobs.Store.Get(context.Background(), ws, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// report reads back the job's error report: a UTF-8 CSV with a BOM.
func (w *world) report(t testing.TB, j *jobs.Job) [][]string {
	t.Helper()
	key := j.Files["errorReport"]
	if key == "" {
		t.Fatalf("job has no error report: %+v", j)
	}
	body, ok := w.files.get(key)
	if !ok {
		t.Fatalf("no report at %q", key)
	}
	if !bytes.HasPrefix(body, []byte("\ufeff")) {
		t.Errorf("report does not start with a UTF-8 BOM: %q", body[:min(len(body), 8)])
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("report is not CSV: %v\n%s", err, body)
	}
	return rows
}

// byPhone returns the one contact with the phone identity (failing when
// there is none or more than one), as the API shows it.
func (w *world) byPhone(t testing.TB, identity string) *contact.Contact {
	t.Helper()
	found, err := w.index.LookupPhone(context.Background(), ws, identity)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("%d contacts with phone %s, want 1", len(found), identity)
	}
	c, err := w.people.Get(context.Background(), w.caller, found[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) byEmail(t testing.TB, email string) *contact.Contact {
	t.Helper()
	found, err := w.index.LookupEmail(context.Background(), ws, contact.EmailKey(email))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("%d contacts with email %s, want 1", len(found), email)
	}
	c, err := w.people.Get(context.Background(), w.caller, found[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) phoneCount(t testing.TB, identity string) int {
	t.Helper()
	found, err := w.index.LookupPhone(context.Background(), ws, identity)
	if err != nil {
		t.Fatal(err)
	}
	return len(found)
}

// contactCount counts the workspace's contacts (the list index).
func (w *world) contactCount(t testing.TB) int {
	t.Helper()
	n, err := w.index.Count(context.Background(), ws)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// snapshot is every item of the table as text, sorted.
func (w *world) snapshot(t testing.TB) []string {
	t.Helper()
	return dynamotest.Items(t, w.client, w.table, nil)
}

// tagNames are the names of c's tags, sorted (the store keeps a set).
func tagNames(c *contact.Contact) []string {
	var out []string
	for _, t := range c.Tags {
		out = append(out, t.Name)
	}
	sort.Strings(out)
	return out
}

// counts is a job's counts, every outcome present.
type counts struct{ created, updated, skipped, failed int }

func (c counts) sum() int { return c.created + c.updated + c.skipped + c.failed }

func countsOf(j *jobs.Job) counts {
	return counts{j.Counts["created"], j.Counts["updated"], j.Counts["skipped"], j.Counts["failed"]}
}

// checkEnded checks that j succeeded with exactly want, every row read
// counted once.
func checkEnded(t testing.TB, j *jobs.Job, want counts, rows int) {
	t.Helper()
	if j.Status != jobs.Succeeded || j.Error != "" {
		t.Fatalf("job %s, error %q, want succeeded: %+v", j.Status, j.Error, j)
	}
	if got := countsOf(j); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	for k := range j.Counts {
		if k != "created" && k != "updated" && k != "skipped" && k != "failed" {
			t.Errorf("unexpected count %q", k)
		}
	}
	if want.sum() != rows || j.Processed != rows || j.Total != rows {
		t.Errorf("processed %d, total %d, counts add up to %d; want %d rows", j.Processed, j.Total, want.sum(), rows)
	}
}

// dataRows counts the data rows of a file as sheets reads it.
func dataRows(t testing.TB, body []byte, name string) int {
	t.Helper()
	r, err := sheets.Open(bytes.NewReader(body), int64(len(body)), name, sheets.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
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
		mark := "  "
		if !reflect.DeepEqual(g, w) {
			mark = "≠ "
		}
		fmt.Fprintf(&b, "%s got  %q\n   want %q\n", mark, g, w)
	}
	t.Errorf("%s differs:\n%s", what, b.String())
}

// ---------------------------------------------------------------------------
// Fixtures, as the programs people use write them.

// excelPTBR is what Excel on a Brazilian Windows saves as "CSV (separado
// por vírgulas)": ';', Windows-1252, CRLF, quotes only where needed, a
// line break inside a cell (Alt+Enter) as a bare LF inside quotes, empty
// rows as bare delimiters, a CRLF after the last row.
var excelPTBRLines = []string{
	"Nome;Telefone;E-mail;CPF;Data de Nascimento;Empresa;Etiquetas",                                               // 1
	"João da Silva;(11) 98888-7777;joao@exemplo.com.br;529.982.247-25;15/03/1985;Padaria Pão Quente;VIP, Atacado", // 2 created
	"Maria Conceição;11 9 8777 6666;maria@exemplo.com;;1990-07-22;;VIP",                                           // 3 created
	"José Antônio;+55 11 8888-7777;;;;;",                                                                          // 4 skipped: the old 8-digit form of line 2's number
	"Ana Paula;12345;ana@exemplo.com;;;;",                                                                         // 5 failed: phone
	"Pedro Álvares;(21) 99876-5432;pedro@exemplo.com;123.456.789-00;;;",                                           // 6 failed: CPF check digits
	"Luíza Souza;(31) 98765-4321;;;01/01/2099;;",                                                                  // 7 failed: birth date in the future
	"Carlos Sem Contato;;;;;ACME Ltda;",                                                                           // 8 failed: neither phone nor email
	"Fernanda Lima;(41) 3333-4444;fernanda@exemplo.com;;;\"Rua das Flores, 10\nSala 2\";Atacado",                  // 9-10 created: the line break in the company becomes a space
	";;;;;;", // 11 an empty row: not a row
	"Beatriz Rocha;(51) 98123-4567;beatriz@exemplo.com;111.444.777-35;;Ótica Visão;\"Atacado; Varejo\"", // 12 created
	"Bruno Costa;;bruno@exemplo.com;;;;",                                                               // 13 created
	"Bruna Costa;;Bruno@Exemplo.com;;;;",                                                               // 14 skipped: line 13's email
	"=1+1;(11) 97777-1111;x@;;;;",                                                                      // 15 failed: email
	"Gabriel Dias;+1 415 555 2671;gabriel@example.com;;;;",                                             // 16 created (US)
	"Helena Prado;(11) 2345-6789;helena@exemplo.com;;29/02/1992;Ótica Visão;VIP",                       // 17 created (a landline)
	"Igor Nunes;11987651234;;;31/02/1990;;",                                                            // 18 failed: no such date
	"Júlia Martins;(48) 99111-2233;julia@exemplo.com;390.533.447-05;05/11/2001;Padaria Pão Quente;vip", // 19 created
}

func excelPTBR(t testing.TB) []byte {
	t.Helper()
	text := strings.Join(excelPTBRLines, "\r\n") + "\r\n"
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("ã")) || !bytes.Contains(b, []byte("Jo\xe3o")) {
		t.Fatal("fixture is not Windows-1252")
	}
	return b
}

var excelPTBRCounts = counts{created: 8, skipped: 2, failed: 6}

const excelPTBRRows = 16

// reason is a failed row's reason: the field and the rule's message.
func reason(lang errs.Language, field, code string, params ...string) string {
	p := map[string]string{}
	for i := 0; i+1 < len(params); i += 2 {
		p[params[i]] = params[i+1]
	}
	return field + ": " + errs.Message(lang, code, p)
}

func pt(field, code string, params ...string) string {
	return reason(errs.Portuguese, field, code, params...)
}

func en(field, code string, params ...string) string {
	return reason(errs.English, field, code, params...)
}

// excelPTBRReport is the Portuguese error report of excelPTBR.
var excelPTBRReport = [][]string{
	{"linha", "Nome", "Telefone", "E-mail", "CPF", "Data de Nascimento", "Empresa", "Etiquetas", "erros"},
	{"5", "Ana Paula", "12345", "ana@exemplo.com", "", "", "", "", pt("phone", "phone_invalid")},
	{"6", "Pedro Álvares", "(21) 99876-5432", "pedro@exemplo.com", "123.456.789-00", "", "", "", pt("taxId", "tax_id_check_digits")},
	{"7", "Luíza Souza", "(31) 98765-4321", "", "", "01/01/2099", "", "", pt("birthDate", "date_in_future")},
	{"8", "Carlos Sem Contato", "", "", "", "", "ACME Ltda", "", pt("phone", "phone_or_email_required")},
	{"15", "'=1+1", "(11) 97777-1111", "x@", "", "", "", "", pt("email", "email_invalid")},
	{"18", "Igor Nunes", "11987651234", "", "", "31/02/1990", "", "", pt("birthDate", "date_invalid")},
}

// excelPTBRContacts are the contacts excelPTBR creates.
func checkExcelPTBRContacts(t testing.TB, w *world, j *jobs.Job) {
	t.Helper()
	type want struct {
		line                                                   int
		name, first, last, phone, email, taxID, birth, company string
		country                                                string
		tags                                                   []string
	}
	for _, c := range []want{
		{2, "João da Silva", "João", "da Silva", "+5511988887777", "joao@exemplo.com.br", "52998224725", "1985-03-15", "Padaria Pão Quente", "BR", []string{"Atacado", "VIP"}},
		{3, "Maria Conceição", "Maria", "Conceição", "+5511987776666", "maria@exemplo.com", "", "1990-07-22", "", "BR", []string{"VIP"}},
		{9, "Fernanda Lima", "Fernanda", "Lima", "+554133334444", "fernanda@exemplo.com", "", "", "Rua das Flores, 10 Sala 2", "BR", []string{"Atacado"}},
		{12, "Beatriz Rocha", "Beatriz", "Rocha", "+5551981234567", "beatriz@exemplo.com", "11144477735", "", "Ótica Visão", "BR", []string{"Atacado", "Varejo"}},
		{13, "Bruno Costa", "Bruno", "Costa", "", "bruno@exemplo.com", "", "", "", "", nil},
		{16, "Gabriel Dias", "Gabriel", "Dias", "+14155552671", "gabriel@example.com", "", "", "", "US", nil},
		{17, "Helena Prado", "Helena", "Prado", "+551123456789", "helena@exemplo.com", "", "1992-02-29", "Ótica Visão", "BR", []string{"VIP"}},
		{19, "Júlia Martins", "Júlia", "Martins", "+5548991112233", "julia@exemplo.com", "39053344705", "2001-11-05", "Padaria Pão Quente", "BR", []string{"VIP"}},
	} {
		var got *contact.Contact
		if c.phone != "" {
			got = w.byPhone(t, c.phone)
			if byMail := w.byEmail(t, c.email); byMail.ID != got.ID {
				t.Errorf("line %d: phone finds %s, email finds %s", c.line, got.ID, byMail.ID)
			}
		} else {
			got = w.byEmail(t, c.email)
		}
		if wantID := ids.Derived(j.CreatedAt, j.ID+"#"+strconv.Itoa(c.line)); got.ID != wantID {
			t.Errorf("line %d: id %s, want the derived %s", c.line, got.ID, wantID)
		}
		p := got.Profile
		if p.Name != c.name || p.FirstName != c.first || p.LastName != c.last || p.Phone != c.phone || p.Email != c.email ||
			p.TaxID != c.taxID || p.BirthDate != c.birth || p.Company != c.company || p.Country != c.country {
			t.Errorf("line %d: profile %+v, want %+v", c.line, p, c)
		}
		if got := tagNames(got); !reflect.DeepEqual(got, c.tags) {
			t.Errorf("line %d: tags %q, want %q", c.line, got, c.tags)
		}
		if got.CreatedBy != "import:"+j.ID {
			t.Errorf("line %d: createdBy %q", c.line, got.CreatedBy)
		}
	}
	// The rows skipped as duplicates created nothing.
	if n := w.phoneCount(t, "+5511988887777"); n != 1 {
		t.Errorf("%d contacts with line 2's number, want 1", n)
	}
	if n := w.contactCount(t); n != excelPTBRCounts.created {
		t.Errorf("%d contacts, want %d", n, excelPTBRCounts.created)
	}
}

// googleCSV is a UTF-8 CSV with a BOM, ',' and English headers, as
// Excel's "CSV UTF-8" or Google Contacts write it.
var googleCSV = "\ufeff" + strings.Join([]string{
	"Name,Phone,Email", // 1
	"Alice Walker,+1 415 555 2671,alice@example.com",       // 2 created
	"\"Souza, Marcos\",(11) 96666-5555,marcos@example.com", // 3 created
	"Zoë Ünal,,zoe@example.com",                            // 4 created
	"Broken Mail,12,not-an-email",                          // 5 failed: phone and email
	",,",                                                   // 6 empty
	"No Reach,,",                                           // 7 failed: neither
	"Alice Again,+14155552671,ALICE@example.com",           // 8 skipped: line 2
}, "\r\n") + "\r\n"

var googleCounts = counts{created: 3, skipped: 1, failed: 2}

var googleReport = [][]string{
	{"line", "Name", "Phone", "Email", "errors"},
	{"5", "Broken Mail", "12", "not-an-email", en("phone", "phone_invalid") + "; " + en("email", "email_invalid")},
	{"7", "No Reach", "", "", en("phone", "phone_or_email_required")},
}

// planoFields defines the custom field "plano".
const planoFields = `{"fields":[{"key":"plano","label":"Plano","type":"select","options":["Ouro","Prata"]}]}`

func (w *world) definePlano(t testing.TB) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(planoFields), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := w.people.SetFields(context.Background(), w.caller, 0, doc); err != nil {
		t.Fatal(err)
	}
}

// workbook is an XLSX as Excel saves it: a date typed into a cell (a
// number with the short-date format 14), a phone typed as a number, the
// custom field's column under its label, an empty row, a column no field
// takes.
func workbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sh = "Planilha1"
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		t.Fatal(err)
	}
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	set := func(cell string, v any) {
		t.Helper()
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
		if _, isDate := v.(time.Time); isDate {
			if err := f.SetCellStyle(sh, cell, cell, date); err != nil {
				t.Fatal(err)
			}
		}
	}
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	for i, h := range []string{"Nome", "Celular", "E-mail", "Nascimento", "Plano", "Etiquetas", "Observações"} {
		set(string(rune('A'+i))+"1", h)
	}
	// 2: created; a numeric phone, a date cell.
	set("A2", "Rita Melo")
	set("B2", int64(5511999991234))
	set("C2", "rita@exemplo.com")
	set("D2", day(1980, 5, 17))
	set("E2", "Ouro")
	set("F2", "VIP")
	set("G2", "cliente desde 2010")
	// 3: failed, not an option of plano.
	set("A3", "Sérgio Reis")
	set("B3", "(11) 97777-2222")
	set("D3", day(1975, 12, 1))
	set("E3", "Bronze")
	// 4: empty. 5: created.
	set("A5", "Tânia Alves")
	set("B5", int64(5521988887777))
	set("E5", "Prata")
	// 6: skipped, line 2's number.
	set("A6", "Ulisses Prado")
	set("B6", int64(5511999991234))
	set("C6", "ulisses@exemplo.com")
	set("E6", "Ouro")
	// 7: created; a date typed as text.
	set("A7", "Vera Lúcia")
	set("B7", "(21) 3222-1100")
	set("D7", "10/10/1970")
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var workbookCounts = counts{created: 3, skipped: 1, failed: 1}

var workbookReport = [][]string{
	{"line", "Nome", "Celular", "E-mail", "Nascimento", "Plano", "Etiquetas", "Observações", "errors"},
	{"3", "Sérgio Reis", "(11) 97777-2222", "", "1975-12-01", "Bronze", "", "", en("customFields.plano", "choice_invalid", "choices", "Ouro, Prata")},
}

// ---------------------------------------------------------------------------
// 1. Realistic files.

func TestImportExcelPTBRCSV(t *testing.T) {
	w := newWorld(t)
	body := excelPTBR(t)
	if n := dataRows(t, body, "clientes.csv"); n != excelPTBRRows {
		t.Fatalf("the fixture has %d data rows, want %d", n, excelPTBRRows)
	}
	j := w.start(t, "clientes.csv", importer.Upsert, errs.Portuguese, body)
	j = w.runToEnd(t, j)
	checkEnded(t, j, excelPTBRCounts, excelPTBRRows)
	if j.Params["ignoredColumns"] != "" {
		t.Errorf("ignoredColumns = %q", j.Params["ignoredColumns"])
	}
	sameRows(t, "error report", w.report(t, j), excelPTBRReport)
	checkExcelPTBRContacts(t, w, j)
}

func TestImportGoogleCSV(t *testing.T) {
	w := newWorld(t)
	body := []byte(googleCSV)
	j := w.start(t, "contacts.csv", importer.Create, errs.English, body)
	j = w.runToEnd(t, j)
	checkEnded(t, j, googleCounts, dataRows(t, body, "contacts.csv"))
	if googleCounts.sum() != 6 {
		t.Fatal("fixture counts")
	}
	sameRows(t, "error report", w.report(t, j), googleReport)
	alice := w.byPhone(t, "+14155552671")
	if alice.Name != "Alice Walker" || alice.Email != "alice@example.com" || alice.Country != "US" {
		t.Errorf("line 2: %+v", alice.Profile)
	}
	if m := w.byEmail(t, "marcos@example.com"); m.Name != "Souza, Marcos" || m.Phone != "+5511966665555" {
		t.Errorf("line 3: %+v", m.Profile)
	}
	if z := w.byEmail(t, "zoe@example.com"); z.Name != "Zoë Ünal" || z.FirstName != "Zoë" || z.LastName != "Ünal" || z.Phone != "" {
		t.Errorf("line 4: %+v", z.Profile)
	}
	if n := w.contactCount(t); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}
}

func TestImportXLSX(t *testing.T) {
	w := newWorld(t)
	w.definePlano(t)
	body := workbook(t)
	j := w.start(t, "planilha.xlsx", importer.Upsert, errs.English, body)
	j = w.runToEnd(t, j)
	checkEnded(t, j, workbookCounts, dataRows(t, body, "planilha.xlsx"))
	if j.Params["ignoredColumns"] != "Observações" {
		t.Errorf("ignoredColumns = %q", j.Params["ignoredColumns"])
	}
	sameRows(t, "error report", w.report(t, j), workbookReport)
	rita := w.byPhone(t, "+5511999991234")
	if rita.Name != "Rita Melo" || rita.Email != "rita@exemplo.com" || rita.BirthDate != "1980-05-17" ||
		!reflect.DeepEqual(rita.CustomFields, map[string]any{"plano": "Ouro"}) || !reflect.DeepEqual(tagNames(rita), []string{"VIP"}) {
		t.Errorf("row 2: %+v %q", rita.Profile, tagNames(rita))
	}
	if rita.ID != ids.Derived(j.CreatedAt, j.ID+"#2") {
		t.Errorf("row 2: id %s is not the derived one", rita.ID)
	}
	tania := w.byPhone(t, "+5521988887777")
	if tania.Name != "Tânia Alves" || !reflect.DeepEqual(tania.CustomFields, map[string]any{"plano": "Prata"}) || tania.BirthDate != "" {
		t.Errorf("row 5: %+v", tania.Profile)
	}
	if vera := w.byPhone(t, "+552132221100"); vera.Name != "Vera Lúcia" || vera.BirthDate != "1970-10-10" {
		t.Errorf("row 7: %+v", vera.Profile)
	}
	if n := w.phoneCount(t, "+5511977772222"); n != 0 {
		t.Errorf("the failed row 3 created %d contacts", n)
	}
	if n := w.contactCount(t); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}
}

// ---------------------------------------------------------------------------
// 2. Modes.

// modesFile has a row for an existing contact found by phone identity (the
// old 8-digit form), one found by email, one new, and one identical to an
// existing contact. (An email in another case: TestImportUpdateEmailCase.)
var modesFile = strings.Join([]string{
	"Nome;Celular;E-mail;Empresa;Etiquetas",
	"Cliente Renomeado;(11) 8888-7777;;Nova Ltda;VIP",
	"Só Email Atualizado;;so.email@exemplo.com;;Atacado",
	"Pessoa Nova;(11) 96543-2109;nova@exemplo.com;;",
	"Zeca Igual;(11) 95555-4444;zeca@exemplo.com;;",
}, "\r\n") + "\r\n"

type seeded struct{ byPhone, byEmail, same string }

func (w *world) seed(t testing.TB) seeded {
	t.Helper()
	ctx := context.Background()
	create := func(doc map[string]any) string {
		t.Helper()
		c, _, err := w.people.Create(ctx, w.caller, contact.CreateRequest{Document: doc})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	s := seeded{
		byPhone: create(map[string]any{"name": "Cliente Antigo", "phone": "+5511988887777", "email": "antigo@exemplo.com", "company": "Velha Ltda"}),
		byEmail: create(map[string]any{"name": "Só Email", "email": "so.email@exemplo.com"}),
		same:    create(map[string]any{"name": "Zeca Igual", "phone": "(11) 95555-4444", "email": "zeca@exemplo.com"}),
	}
	if _, err := w.tags.Assign(ctx, w.caller, s.byPhone, []any{"Antigo"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestImportModes(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want counts
	}{
		{importer.Create, counts{created: 1, skipped: 3}},
		{importer.Update, counts{updated: 2, skipped: 2}},
		{importer.Upsert, counts{created: 1, updated: 2, skipped: 1}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			w := newWorld(t)
			s := w.seed(t)
			before := map[string]*contact.Contact{}
			for _, id := range []string{s.byPhone, s.byEmail, s.same} {
				c, err := w.people.Get(context.Background(), w.caller, id)
				if err != nil {
					t.Fatal(err)
				}
				before[id] = c
			}
			j := w.runToEnd(t, w.start(t, "modos.csv", tc.mode, errs.Portuguese, []byte(modesFile)))
			checkEnded(t, j, tc.want, 4)
			if j.Files["errorReport"] != "" {
				t.Errorf("a report without failed rows: %q", j.Files["errorReport"])
			}
			phoneC := w.byPhone(t, "+5511988887777")
			emailC := w.byEmail(t, "so.email@exemplo.com")
			same := w.byPhone(t, "+5511955554444")
			if phoneC.ID != s.byPhone || emailC.ID != s.byEmail || same.ID != s.same {
				t.Fatalf("the existing contacts were not the ones matched: %s %s %s", phoneC.ID, emailC.ID, same.ID)
			}
			if same.Version != before[s.same].Version || !same.UpdatedAt.Equal(before[s.same].UpdatedAt) {
				t.Errorf("the identical row wrote its contact: version %d → %d", before[s.same].Version, same.Version)
			}
			newOnes := w.phoneCount(t, "+5511965432109")
			switch tc.mode {
			case importer.Create:
				if newOnes != 1 {
					t.Errorf("create: %d new contacts", newOnes)
				}
				for _, id := range []string{s.byPhone, s.byEmail} {
					got, _ := w.people.Get(context.Background(), w.caller, id)
					if got.Version != before[id].Version {
						t.Errorf("create mode changed an existing contact: %+v", got.Profile)
					}
				}
			case importer.Update, importer.Upsert:
				want := map[bool]int{true: 0, false: 1}[tc.mode == importer.Update]
				if newOnes != want {
					t.Errorf("%s: %d new contacts, want %d", tc.mode, newOnes, want)
				}
				// Merged: the row's fields replace, the others stay; tags are added.
				p := phoneC.Profile
				if p.Name != "Cliente Renomeado" || p.FirstName != "Cliente" || p.LastName != "Renomeado" || p.Company != "Nova Ltda" ||
					p.Email != "antigo@exemplo.com" || p.Phone != "+5511988887777" {
					t.Errorf("%s: merged by phone: %+v", tc.mode, p)
				}
				if got := tagNames(phoneC); !reflect.DeepEqual(got, []string{"Antigo", "VIP"}) {
					t.Errorf("%s: tags %q, want Antigo and VIP", tc.mode, got)
				}
				if phoneC.UpdatedBy != "import:"+j.ID {
					t.Errorf("updatedBy %q", phoneC.UpdatedBy)
				}
				if emailC.Name != "Só Email Atualizado" || !reflect.DeepEqual(tagNames(emailC), []string{"Atacado"}) {
					t.Errorf("%s: merged by email: %+v %q", tc.mode, emailC.Profile, tagNames(emailC))
				}
			}
			wantTotal := 3 + map[string]int{importer.Create: 1, importer.Update: 0, importer.Upsert: 1}[tc.mode]
			if n := w.contactCount(t); n != wantTotal {
				t.Errorf("%d contacts, want %d", n, wantTotal)
			}
		})
	}
}

// TestImportUpdateEmailCase: a row finds its contact by an email written
// in other case, as spreadsheets often have it, and updates it.
func TestImportUpdateEmailCase(t *testing.T) {
	w := newWorld(t)
	s := w.seed(t)
	file := "Nome;E-mail\r\nSó Email Atualizado;SO.EMAIL@Exemplo.com\r\n"
	j := w.runToEnd(t, w.start(t, "caixa.csv", importer.Upsert, errs.English, []byte(file)))
	checkEnded(t, j, counts{updated: 1}, 1)
	c := w.byEmail(t, "so.email@exemplo.com")
	if c.ID != s.byEmail || c.Name != "Só Email Atualizado" || c.Email != "SO.EMAIL@Exemplo.com" {
		t.Errorf("not updated: %s %+v", c.ID, c.Profile)
	}
}

// ---------------------------------------------------------------------------
// 3. A twice-delivered S3 event, a twice-delivered run.

func TestImportEventsTwice(t *testing.T) {
	w := newWorld(t)
	q := &queue{}
	e := lambdaevents.Import{Events: &importer.Events{Worker: w.worker, Queue: q}}
	ctx := context.Background()
	body := []byte(googleCSV)
	j := w.start(t, "clientes março.csv", importer.Create, errs.English, body)
	// S3 URL-encodes keys in its events, spaces as '+'.
	encoded := importer.Prefix + ws + "/" + j.ID + "/clientes+mar%C3%A7o.csv"
	record := events.S3EventRecord{EventSource: "aws:s3", EventName: "ObjectCreated:Put"}
	record.S3.Object.Key = encoded
	record.S3.Object.Size = int64(len(body))
	for i, want := range []string{"queued", "already queued"} {
		got, err := e.Landed(ctx, record)
		if err != nil || got != want {
			t.Fatalf("delivery %d: %q %v, want %q", i+1, got, err, want)
		}
	}
	msgs := q.take()
	if len(msgs) != 1 || msgs[0] != ws+"/"+j.ID {
		t.Fatalf("queued %q, want the job once", msgs)
	}
	m := events.SQSMessage{MessageId: "m-1", Body: `{"workspace":"` + ws + `","jobId":"` + j.ID + `"}`}
	if got, err := e.Continue(ctx, m); err != nil || got != "done" {
		t.Fatalf("run: %q %v", got, err)
	}
	j = w.job(t, j.ID)
	checkEnded(t, j, googleCounts, 6)
	snap := w.snapshot(t)
	files := w.files.keys()

	// Everything again: the run's message redelivered, a run of another
	// message, the S3 event a third time.
	if got, err := e.Continue(ctx, m); err != nil || got != "done" {
		t.Fatalf("redelivered run: %q %v", got, err)
	}
	if done, err := w.worker.Run(ctx, ws, j.ID, "another", time.Now().Add(time.Minute)); err != nil || !done {
		t.Fatalf("run after the end: %v %v", done, err)
	}
	if got, err := e.Landed(ctx, record); err != nil || got != "job ended" {
		t.Fatalf("third delivery: %q %v", got, err)
	}
	if q.total() != 1 {
		t.Errorf("queued %d times, want 1", q.total())
	}
	if after := w.snapshot(t); !reflect.DeepEqual(after, snap) {
		t.Errorf("running an ended job again changed the table: %d items before, %d after", len(snap), len(after))
	}
	if got := w.files.keys(); !reflect.DeepEqual(got, files) {
		t.Errorf("files %q, then %q", files, got)
	}
	if again := w.job(t, j.ID); countsOf(again) != googleCounts || again.Version != j.Version {
		t.Errorf("job changed: %+v", again)
	}
	if n := w.contactCount(t); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}

	// Events that are not an upload of a job change nothing.
	for _, key := range []string{"reports/acme/x.csv", importer.Prefix + ws + "/01jdx8k2m4n6p8r0s2t4v6w8y0/a.csv", "imports/acme/%zz"} {
		record.S3.Object.Key = key
		if got, err := e.Landed(ctx, record); err != nil || got == "queued" {
			t.Errorf("key %q: %q %v", key, got, err)
		}
	}
	if q.total() != 1 {
		t.Errorf("queued %d times, want 1", q.total())
	}
}

// ---------------------------------------------------------------------------
// 4. A run that stops and goes on, a run that crashes.

// TestImportResumedAtDeadline stops after every chunk of 2 rows: line 4
// (the old form of line 2's number) and line 14 (line 13's email) fall in
// later runs than the rows they repeat.
func TestImportResumedAtDeadline(t *testing.T) {
	w := newWorld(t)
	w.worker.Chunk = 2
	j := w.start(t, "clientes.csv", importer.Upsert, errs.Portuguese, excelPTBR(t))
	ctx := context.Background()
	past := time.Now().Add(-time.Hour)
	runs := 0
	for ; runs < 30; runs++ {
		done, err := w.worker.Run(ctx, ws, j.ID, "run-"+strconv.Itoa(runs), past)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		got := w.job(t, j.ID)
		if got.Status != jobs.Running || got.Processed != 2*(runs+1) {
			t.Fatalf("after run %d: %s, %d processed", runs+1, got.Status, got.Processed)
		}
	}
	// Every full chunk ends at the deadline; the last run finds the end.
	if runs != excelPTBRRows/2 {
		t.Errorf("%d runs stopped at their deadline, want %d", runs, excelPTBRRows/2)
	}
	j = w.job(t, j.ID)
	checkEnded(t, j, excelPTBRCounts, excelPTBRRows)
	sameRows(t, "error report", w.report(t, j), excelPTBRReport)
	checkExcelPTBRContacts(t, w, j)
}

// TestImportContinuedThroughEvents runs the job as the function does: a
// run reaches its deadline and queues the rest; the next message, taken
// at once by another invocation, goes on.
func TestImportContinuedThroughEvents(t *testing.T) {
	w := newWorld(t)
	w.worker.Chunk = 5
	q := &queue{}
	// The function's deadline leaves less than Reserve: every run stops
	// after one chunk.
	e := lambdaevents.Import{Events: &importer.Events{Worker: w.worker, Queue: q}, Reserve: 2 * time.Minute}
	j := w.start(t, "clientes.csv", importer.Upsert, errs.Portuguese, excelPTBR(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outcomes := map[string]int{}
	pending := []string{ws + "/" + j.ID}
	for n := 0; len(pending) > 0 && n < 20; n++ {
		pending = pending[1:]
		got, err := e.Continue(ctx, events.SQSMessage{MessageId: "m-" + strconv.Itoa(n), Body: `{"workspace":"` + ws + `","jobId":"` + j.ID + `"}`})
		if err != nil {
			t.Fatal(err)
		}
		outcomes[got]++
		pending = append(pending, q.take()...)
	}
	j = w.job(t, j.ID)
	if want := map[string]int{"continued": 3, "done": 1}; !reflect.DeepEqual(outcomes, want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	checkEnded(t, j, excelPTBRCounts, excelPTBRRows)
	sameRows(t, "error report", w.report(t, j), excelPTBRReport)
}

// flakyContacts is the contact store with failures injected on Create:
// on the calls in twice it creates twice (a retried request whose first
// attempt went through: the second meets the first, contact.ErrExists);
// on the calls in lost it creates and then fails (the reply was lost).
type flakyContacts struct {
	importer.Contacts
	calls       atomic.Int64
	twice, lost map[int64]bool
	exists      atomic.Int64 // ErrExists met
}

var errLost = errors.New("connection reset by peer")

func (f *flakyContacts) Create(ctx context.Context, c *contact.Contact, rec *contact.IdempotencyRecord) error {
	n := f.calls.Add(1)
	err := f.Contacts.Create(ctx, c, rec)
	switch {
	case err != nil:
	case f.twice[n]:
		err = f.Contacts.Create(ctx, c, rec)
		if errs.As(err).Code == contact.ErrExists.Code {
			f.exists.Add(1)
		}
	case f.lost[n]:
		err = errLost
	}
	return err
}

// TestImportResumedAfterCrash: a run dies in the middle of a chunk (after
// some of its rows were written, before the checkpoint); SQS delivers its
// message again. Nothing is created twice and the counts are a clean run's.
func TestImportResumedAfterCrash(t *testing.T) {
	w := newWorld(t)
	w.worker.Chunk = 4
	flaky := &flakyContacts{Contacts: w.contacts, twice: map[int64]bool{1: true}, lost: map[int64]bool{3: true, 6: true}}
	w.worker.Contacts = flaky
	j := w.start(t, "clientes.csv", importer.Upsert, errs.Portuguese, excelPTBR(t))
	ctx := context.Background()
	crashes := 0
	for attempt := 0; attempt < 10; attempt++ {
		// The same message, delivered again: the same run id.
		done, err := w.worker.Run(ctx, ws, j.ID, "m-1", time.Now().Add(time.Minute))
		if errors.Is(err, errLost) {
			crashes++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
	}
	if crashes != 2 {
		t.Errorf("%d crashed runs, want 2", crashes)
	}
	if flaky.exists.Load() != 1 {
		t.Errorf("contact.ErrExists met %d times, want 1", flaky.exists.Load())
	}
	j = w.job(t, j.ID)
	checkEnded(t, j, excelPTBRCounts, excelPTBRRows)
	sameRows(t, "error report", w.report(t, j), excelPTBRReport)
	checkExcelPTBRContacts(t, w, j)
}

// TestImportResumedAfterCrashUpdating: the same in update mode, where the
// rows of the crashed chunk were updates.
func TestImportResumedAfterCrashUpdating(t *testing.T) {
	w := newWorld(t)
	s := w.seed(t)
	updates := &flakyUpdates{Contacts: w.contacts, lost: map[int64]bool{1: true}}
	w.worker.Contacts = updates
	w.worker.Parallel = 1
	j := w.start(t, "modos.csv", importer.Update, errs.Portuguese, []byte(modesFile))
	ctx := context.Background()
	if _, err := w.worker.Run(ctx, ws, j.ID, "m-1", time.Now().Add(time.Minute)); !errors.Is(err, errLost) {
		t.Fatalf("first run: %v, want the injected failure", err)
	}
	if done, err := w.worker.Run(ctx, ws, j.ID, "m-1", time.Now().Add(time.Minute)); err != nil || !done {
		t.Fatalf("second run: %v %v", done, err)
	}
	j = w.job(t, j.ID)
	checkEnded(t, j, counts{updated: 2, skipped: 2}, 4)
	if c := w.byPhone(t, "+5511988887777"); c.ID != s.byPhone || c.Name != "Cliente Renomeado" {
		t.Errorf("not updated: %+v", c.Profile)
	}
}

// flakyUpdates fails the calls of Update in lost after they went through.
type flakyUpdates struct {
	importer.Contacts
	calls atomic.Int64
	lost  map[int64]bool
}

func (f *flakyUpdates) Update(ctx context.Context, workspace, id string, ifVersion int, fn func(*contact.Contact) error) (*contact.Contact, error) {
	c, err := f.Contacts.Update(ctx, workspace, id, ifVersion, fn)
	if err == nil && f.lost[f.calls.Add(1)] {
		return nil, errLost
	}
	return c, err
}

// ---------------------------------------------------------------------------
// 5. Files that cannot be imported.

func TestImportRefusedFiles(t *testing.T) {
	big := []byte("Nome;Telefone\r\n" + strings.Repeat("Ana;(11) 98888-7777\r\n", 100))
	msg := func(lang errs.Language, code string, params ...string) string {
		p := map[string]string{}
		for i := 0; i+1 < len(params); i += 2 {
			p[params[i]] = params[i+1]
		}
		return errs.Message(lang, code, p)
	}
	for _, tc := range []struct {
		name, fileName string
		body           []byte
		limits         sheets.Limits
		lang           errs.Language
		want           string // the job's error
		names          string // what it must name
	}{
		{"too large", "grande.csv", big, sheets.Limits{MaxBytes: 1024}, errs.English,
			msg(errs.English, "file_too_large", "max", "1024"), "1024"},
		{"not xlsx", "contatos.xlsx", []byte("Nome;Telefone\r\nAna;(11) 98888-7777\r\n"), sheets.Limits{}, errs.English,
			msg(errs.English, "file_not_xlsx"), ".xlsx"},
		{"no known column", "colunas.csv", []byte("Código;Observação\r\n1;cliente bom\r\n2;(11) 98888-7777\r\n"), sheets.Limits{}, errs.Portuguese,
			msg(errs.Portuguese, "validation_failed") + " header: " + msg(errs.Portuguese, "no_known_columns"), "header"},
		{"too many rows", "linhas.csv", big, sheets.Limits{MaxRows: 50}, errs.English,
			msg(errs.English, "too_many_rows", "max", "50", "line", "52"), "50"},
		{"empty", "vazio.csv", []byte("\ufeff;;\r\n;;\r\n"), sheets.Limits{}, errs.English,
			msg(errs.English, "file_empty"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.worker.Limits = tc.limits
			j := w.start(t, tc.fileName, importer.Upsert, tc.lang, tc.body)
			done, err := w.worker.Run(context.Background(), ws, j.ID, "m-1", time.Now().Add(time.Minute))
			if err != nil || !done {
				t.Fatalf("run: %v %v", done, err)
			}
			j = w.job(t, j.ID)
			if j.Status != jobs.Failed {
				t.Fatalf("job %s, want failed: %+v", j.Status, j)
			}
			if j.Error != tc.want || !strings.Contains(j.Error, tc.names) || strings.Contains(j.Error, "_") {
				t.Errorf("error %q, want %q (naming %q)", j.Error, tc.want, tc.names)
			}
			if n := w.contactCount(t); n != 0 {
				t.Errorf("a refused file left %d contacts", n)
			}
			if j.Processed != 0 || countsOf(j) != (counts{}) || len(j.Files) != 0 {
				t.Errorf("a refused file counted rows or wrote files: %+v", j)
			}
			if keys := w.files.keys(); len(keys) != 0 {
				t.Errorf("files left: %q, want none", keys)
			}
		})
	}
}

// failedRowItems counts the items of the job's failed rows in the table.
func (w *world) failedRowItems(t testing.TB, j *jobs.Job) int {
	t.Helper()
	n := 0
	for _, it := range w.snapshot(t) {
		if strings.Contains(it, "JOB#"+j.ID) && strings.Contains(it, "F#") {
			n++
		}
	}
	return n
}

// TestImportCleansUp: once a job ends, its upload and its failed rows are
// gone, and its error report stays; a file uploaded again after the end
// is deleted unread. The upload form is capped at the file limit.
func TestImportCleansUp(t *testing.T) {
	w := newWorld(t)
	var maxBytes int64
	w.imports.Uploads = fakeUploads{maxBytes: &maxBytes}
	w.worker.Chunk = 2
	j := w.start(t, "clientes.csv", importer.Upsert, errs.Portuguese, excelPTBR(t))
	if maxBytes != sheets.DefaultMaxBytes {
		t.Errorf("upload capped at %d bytes, want %d", maxBytes, sheets.DefaultMaxBytes)
	}
	key := j.Params["key"]
	j = w.runToEnd(t, j)
	checkEnded(t, j, excelPTBRCounts, excelPTBRRows)
	if _, ok := w.files.get(key); ok {
		t.Errorf("the upload %s is still there", key)
	}
	if n := w.failedRowItems(t, j); n != 0 {
		t.Errorf("%d failed rows still stored, want 0", n)
	}
	sameRows(t, "error report", w.report(t, j), excelPTBRReport)

	q := &queue{}
	e := lambdaevents.Import{Events: &importer.Events{Worker: w.worker, Queue: q}}
	if err := w.files.Put(context.Background(), key, "text/csv", excelPTBR(t)); err != nil {
		t.Fatal(err)
	}
	var record events.S3EventRecord
	record.S3.Object.Key, record.S3.Object.Size = key, int64(len(excelPTBR(t)))
	if got, err := e.Landed(context.Background(), record); err != nil || got != "job ended" {
		t.Fatalf("upload after the end: %q %v", got, err)
	}
	if _, ok := w.files.get(key); ok || q.total() != 0 {
		t.Errorf("an upload after the end was kept (%v) or queued (%d)", ok, q.total())
	}
}

// TestImportTooLargeEvent: the S3 event already tells the size (S3 itself
// refuses a larger file from the upload form; moto does not): the job
// fails and the file is deleted, unread.
func TestImportTooLargeEvent(t *testing.T) {
	w := newWorld(t)
	w.worker.Limits = sheets.Limits{MaxBytes: 2 << 20}
	q := &queue{}
	e := lambdaevents.Import{Events: &importer.Events{Worker: w.worker, Queue: q}}
	j := w.start(t, "grande.csv", importer.Upsert, errs.English, []byte("Nome\r\nAna\r\n"))
	var record events.S3EventRecord
	record.S3.Object.Key = j.Params["key"]
	record.S3.Object.Size = 3 << 20
	if got, err := e.Landed(context.Background(), record); err != nil || got != "too large" {
		t.Fatalf("landed: %q %v", got, err)
	}
	j = w.job(t, j.ID)
	if j.Status != jobs.Failed || !strings.HasPrefix(j.Error, "The file is larger than 2") {
		t.Errorf("job %s, error %q: want failed naming the limit", j.Status, j.Error)
	}
	if q.total() != 0 {
		t.Errorf("a refused file was queued")
	}
	if _, ok := w.files.get(j.Params["key"]); ok {
		t.Errorf("a refused file was kept")
	}
}

// ---------------------------------------------------------------------------
// Benchmark.

// BenchmarkImport imports BENCH_ROWS (2000) rows of a generated CSV into a
// fresh table, and writes as many items with raw BatchWriteItem calls for
// comparison.
func BenchmarkImport(b *testing.B) {
	n := 2000
	if s := os.Getenv("BENCH_ROWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("BENCH_ROWS=%q", s)
		}
		n = v
	}
	var file bytes.Buffer
	file.WriteString("Nome;Telefone;E-mail;Empresa;Etiquetas\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&file, "Pessoa %d da Silva;(11) 9%04d-%04d;pessoa%d@exemplo.com;Empresa %d;Lote %d, Importados\r\n", i, 1000+i/10000, i%10000, i, i%50, i%5)
	}
	body := file.Bytes()
	for b.Loop() {
		b.StopTimer()
		w := newWorld(b)
		j := w.start(b, "bench.csv", importer.Create, errs.English, body)
		peak := heaptest.Sample()
		b.StartTimer()
		began := time.Now()
		j = w.runToEnd(b, j)
		elapsed := time.Since(began)
		b.StopTimer()
		peakMiB := float64(peak()) / (1 << 20)
		if j.Counts["created"] != n {
			b.Fatalf("created %d of %d: %+v", j.Counts["created"], n, j)
		}
		raw := rawBatchWrite(b, w, n)
		b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(n)/raw.Seconds(), "raw-rows/s")
		b.ReportMetric(peakMiB, "peak-MiB")
		b.StartTimer()
	}
}

// rawBatchWrite writes n contact-sized items with BatchWriteItem, 25 per
// call, 16 calls at once (the importer's parallelism), and returns the
// time it took.
func rawBatchWrite(b *testing.B, w *world, n int) time.Duration {
	b.Helper()
	payload := strings.Repeat("x", 400)
	batches := make(chan []types.WriteRequest)
	var failed atomic.Value
	var wg sync.WaitGroup
	began := time.Now()
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for reqs := range batches {
				pending := map[string][]types.WriteRequest{w.table: reqs}
				for len(pending[w.table]) > 0 {
					out, err := w.client.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: pending})
					if err != nil {
						failed.Store(err)
						return
					}
					pending = out.UnprocessedItems
				}
			}
		}()
	}
	var reqs []types.WriteRequest
	for i := 0; i < n; i++ {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			"PK":      &types.AttributeValueMemberS{Value: "BENCH#" + strconv.Itoa(i)},
			"SK":      &types.AttributeValueMemberS{Value: "C"},
			"payload": &types.AttributeValueMemberS{Value: payload},
		}}})
		if len(reqs) == 25 || i == n-1 {
			batches <- reqs
			reqs = nil
		}
	}
	close(batches)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return time.Since(began)
}

// TestImportLimitPastTheFirstChunks: a file whose 13th data row breaks a
// limit fails before any row is imported, though rows are imported 2 at a
// time: the first pass reads the whole file.
func TestImportLimitPastTheFirstChunks(t *testing.T) {
	w := newWorld(t)
	w.worker.Chunk = 2
	w.worker.Limits = sheets.Limits{MaxRows: 12}
	var b strings.Builder
	b.WriteString("Nome;Telefone\r\n")
	for i := 0; i < 13; i++ {
		fmt.Fprintf(&b, "Pessoa %d;(11) 98%03d-1234\r\n", i, 100+i)
	}
	j := w.start(t, "muitos.csv", importer.Upsert, errs.English, []byte(b.String()))
	j = w.runToEnd(t, j)
	if j.Status != jobs.Failed || !strings.Contains(j.Error, "12") {
		t.Fatalf("job = %s %q, want failed naming the limit", j.Status, j.Error)
	}
	if n := w.contactCount(t); n != 0 {
		t.Errorf("%d contacts imported from a file that breaks a limit, want 0", n)
	}
	if j.Processed != 0 || len(j.Counts) != 0 && j.Counts["created"] != 0 {
		t.Errorf("counts = %v, processed %d; want nothing counted", j.Counts, j.Processed)
	}
}

// TestImportOversizedRow: a row of 630 KB (21 cells of 30,000 characters,
// within the file's limits) fails on its own; it is kept cut short, so its
// item stays under DynamoDB's 400 KB, and the other rows are imported.
func TestImportOversizedRow(t *testing.T) {
	w := newWorld(t)
	long := strings.Repeat("x", 30000)
	var b strings.Builder
	b.WriteString("Nome;Telefone" + strings.Repeat(";Obs", 20) + "\r\n")
	b.WriteString("Ana Souza;(11) 98888-0001\r\n")
	b.WriteString(long + ";(11) 98888-0002" + strings.Repeat(";"+long, 20) + "\r\n")
	b.WriteString("Bruno Lima;(11) 98888-0003\r\n")
	j := w.start(t, "grande.csv", importer.Create, errs.English, []byte(b.String()))
	j = w.runToEnd(t, j)
	checkEnded(t, j, counts{created: 2, failed: 1}, 3)
	if n := w.contactCount(t); n != 2 {
		t.Errorf("%d contacts, want 2", n)
	}
	report := w.report(t, j)
	if len(report) != 2 {
		t.Fatalf("report has %d rows, want the header and line 3", len(report))
	}
	row := report[1]
	if row[0] != "3" || row[2] != "(11) 98888-0002" {
		t.Errorf("report row starts %q, want line 3 with its phone", row[:3])
	}
	stored := 0
	for _, c := range row[1 : len(row)-1] {
		if len(c) > importer.MaxStoredCellBytes {
			t.Errorf("a cell of %d bytes, want at most %d", len(c), importer.MaxStoredCellBytes)
		}
		stored += len(c)
	}
	if stored > importer.MaxStoredRowBytes || !strings.HasSuffix(row[1], "…") {
		t.Errorf("cells stored: %d bytes, first ends %q; want at most %d, cut with …", stored, row[1][len(row[1])-8:], importer.MaxStoredRowBytes)
	}
	reasons := row[len(row)-1]
	for _, want := range []string{"name: ", errs.Message(errs.English, "import_row_truncated", nil)} {
		if !strings.Contains(reasons, want) {
			t.Errorf("reasons %q lack %q", reasons, want)
		}
	}
}

// brokenUploads is memFiles whose uploads fail before reading anything.
type brokenUploads struct{ *memFiles }

func (brokenUploads) Upload(context.Context, string, string, io.Reader) (int64, error) {
	return 0, errors.New("s3 is down")
}

// TestImportReportUploadFails: a report that cannot be uploaded fails the
// run (retried), keeping the failed rows and the upload; the next run
// writes it and ends the job.
func TestImportReportUploadFails(t *testing.T) {
	w := newWorld(t)
	j := w.start(t, "clientes.csv", importer.Upsert, errs.Portuguese, excelPTBR(t))
	w.worker.Files = brokenUploads{w.files}
	if _, err := w.worker.Run(context.Background(), ws, j.ID, "m-1", time.Now().Add(time.Minute)); err == nil {
		t.Fatal("run with S3 down: no error, want one (the message is retried)")
	}
	if got, want := w.failedRowItems(t, j), excelPTBRCounts.failed; got != want {
		t.Errorf("%d failed rows stored, want the %d kept for the next run", got, want)
	}
	w.worker.Files = w.files
	// The message redelivered: its run holds the job's lease.
	if done, err := w.worker.Run(context.Background(), ws, j.ID, "m-1", time.Now().Add(time.Minute)); err != nil || !done {
		t.Fatalf("run again: %v %v", done, err)
	}
	j = w.job(t, j.ID)
	checkEnded(t, j, excelPTBRCounts, excelPTBRRows)
	sameRows(t, "error report", w.report(t, j), excelPTBRReport)
}

// TestImportKindAndAvatar: the kind and avatarUrl columns (as an export
// writes them, or in Portuguese) are imported, not ignored; a bad value
// fails its row naming the field.
func TestImportKindAndAvatar(t *testing.T) {
	w := newWorld(t)
	body := []byte("name,phone,kind,avatarUrl\r\n" +
		"Família Souza,+5511970000001,group,https://cdn.exemplo.com/souza.png\r\n" +
		"Rita,+5511970000002,person,\r\n" +
		"Grupo X,+5511970000003,team,\r\n")
	j := w.runToEnd(t, w.start(t, "contatos.csv", importer.Create, errs.English, body))
	checkEnded(t, j, counts{created: 2, failed: 1}, 3)
	if j.Params["ignoredColumns"] != "" {
		t.Errorf("ignoredColumns = %q, want none", j.Params["ignoredColumns"])
	}
	group := w.byPhone(t, "+5511970000001")
	if group.Kind != contact.Group || group.AvatarURL != "https://cdn.exemplo.com/souza.png" {
		t.Errorf("group = kind %q avatar %q", group.Kind, group.AvatarURL)
	}
	if p := w.byPhone(t, "+5511970000002"); p.Kind != contact.Person {
		t.Errorf("person = kind %q", p.Kind)
	}
	pt := w.runToEnd(t, w.start(t, "grupos.csv", importer.Upsert, errs.Portuguese, []byte("Nome;Telefone;Tipo de contato;Foto\r\nFamília Souza;+5511970000001;person;\r\n")))
	checkEnded(t, pt, counts{updated: 1}, 1)
	if got := w.byPhone(t, "+5511970000001"); got.Kind != contact.Person {
		t.Errorf("after the Portuguese upsert kind = %q, want person", got.Kind)
	}
}

// TestImportPermissions: who may import is the workspace's choice (owners
// and managers by default), checked before anything else. An agent the
// workspace lets import, in a wallet-bound workspace, matches and updates
// only its own contacts: a row with the number of another wallet's
// contact makes a new contact in the agent's wallet and leaves the other
// unchanged (as a conversation start by phone does).
func TestImportPermissions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	agent := tenant.Caller{Workspace: ws, Subject: "agent-1", Role: tenant.Agent}
	manager := tenant.Caller{Workspace: ws, Subject: "manager-1", Role: tenant.Manager}
	set := func(doc map[string]any) {
		t.Helper()
		if _, err := w.people.SetSettings(ctx, w.caller, 0, doc); err != nil {
			t.Fatal(err)
		}
	}
	start := map[string]any{"fileName": "a.csv", "mode": "upsert"}
	for _, tc := range []struct {
		name    string
		perms   map[string]any
		caller  tenant.Caller
		allowed bool
	}{
		{"default, manager", nil, manager, true},
		{"default, agent", nil, agent, false},
		{"agents only, manager", map[string]any{"import": []any{"agent"}}, manager, false},
		{"agents only, agent", map[string]any{"import": []any{"agent"}}, agent, true},
		{"owners only, owner", map[string]any{"import": []any{}}, w.caller, true},
		{"owners only, manager", map[string]any{"import": []any{}}, manager, false},
	} {
		if tc.perms != nil {
			set(map[string]any{"permissions": tc.perms})
		}
		_, _, err := w.imports.Start(ctx, tc.caller, errs.English, start)
		if allowed := err == nil; allowed != tc.allowed || (err != nil && errs.KindOf(err) != errs.Forbidden) {
			t.Errorf("%s: %v, want allowed %v", tc.name, err, tc.allowed)
		}
	}

	mine, _, err := w.people.Create(ctx, w.caller, contact.CreateRequest{Document: map[string]any{"name": "Ana", "phone": "11 98888-0001", "ownerId": "agent-1"}})
	if err != nil {
		t.Fatal(err)
	}
	theirs, _, err := w.people.Create(ctx, w.caller, contact.CreateRequest{Document: map[string]any{"name": "Bia", "phone": "11 98888-0002", "ownerId": "agent-2"}})
	if err != nil {
		t.Fatal(err)
	}
	set(map[string]any{"agentWalletOnly": true, "permissions": map[string]any{"import": []any{"agent"}}})
	w.caller = agent
	j := w.runToEnd(t, w.start(t, "wallet.csv", importer.Upsert, errs.English, []byte("name,phone\nAna Nova,11 98888-0001\nBia Nova,11 98888-0002\n")))
	checkEnded(t, j, counts{created: 1, updated: 1}, 2)
	w.caller = tenant.Caller{Workspace: ws, Subject: "user-1", Role: tenant.Owner}
	if got, _ := w.people.Get(ctx, w.caller, mine.ID); got.Name != "Ana Nova" {
		t.Errorf("the agent's own contact: %q, want updated", got.Name)
	}
	if got, _ := w.people.Get(ctx, w.caller, theirs.ID); got.Name != "Bia" || got.Version != theirs.Version {
		t.Errorf("another wallet's contact: %q v%d, want unchanged", got.Name, got.Version)
	}
	found, err := w.index.LookupPhone(ctx, ws, "+5511988880002")
	if err != nil || len(found) != 2 {
		t.Fatalf("holders of the other wallet's number: %v %v, want 2", found, err)
	}
	for _, id := range found {
		if c, _ := w.people.Get(ctx, w.caller, id); id != theirs.ID && (c.OwnerID != "agent-1" || c.Name != "Bia Nova") {
			t.Errorf("the new contact: owner %q, name %q; want agent-1's Bia Nova", c.OwnerID, c.Name)
		}
	}
}

// byExternalID returns the contact holding externalID (failing when none
// does), as the API shows it.
func (w *world) byExternalID(t testing.TB, externalID string) *contact.Contact {
	t.Helper()
	found, err := w.index.LookupExternalID(context.Background(), ws, externalID)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("%d contacts with externalId %s, want 1", len(found), externalID)
	}
	c, err := w.people.Get(context.Background(), w.caller, found[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestImportExternalID: an externalId column (Portuguese headers
// included) sets it, and upsert matches on it before the phone or email: a
// row with a new number and a known externalId updates that contact.
func TestImportExternalID(t *testing.T) {
	w := newWorld(t)
	body := []byte("Nome;Telefone;ID externo\r\n" +
		"Ana;+5511970000011;erp-1\r\n" +
		"Bia;+5511970000012;erp-2\r\n" +
		"Cris;+5511970000013;erp-1\r\n")
	j := w.runToEnd(t, w.start(t, "contatos.csv", importer.Create, errs.Portuguese, body))
	// The third row's externalId is the first's: skipped as a duplicate in
	// the file, nothing written.
	checkEnded(t, j, counts{created: 2, skipped: 1}, 3)
	if got, want := w.byExternalID(t, "erp-1").Name, "Ana"; got != want {
		t.Errorf("erp-1 name = %q, want %q", got, want)
	}
	if got := w.phoneCount(t, "+5511970000013"); got != 0 {
		t.Errorf("contacts with the failed row's phone = %d, want 0", got)
	}
	ana := w.byExternalID(t, "erp-1").ID

	up := w.runToEnd(t, w.start(t, "sync.csv", importer.Upsert, errs.Portuguese, []byte("Identificador;Nome;Celular\r\nerp-1;Ana Maria;+5511970000099\r\nerp-3;Duda;+5511970000014\r\n")))
	checkEnded(t, up, counts{created: 1, updated: 1}, 2)
	got := w.byExternalID(t, "erp-1")
	if got.ID != ana || got.Name != "Ana Maria" || got.Phone != "+5511970000099" {
		t.Errorf("erp-1 after upsert = %s %q %q, want %s \"Ana Maria\" +5511970000099", got.ID, got.Name, got.Phone, ana)
	}
	if got, want := w.byExternalID(t, "erp-3").Name, "Duda"; got != want {
		t.Errorf("erp-3 name = %q, want %q", got, want)
	}
}

// TestImportOtherPhonesAndEmails: columns of other numbers and emails
// (pt-BR headers, values separated by ';' or ',') set them; a later row
// whose phone is one of those numbers updates that contact.
func TestImportOtherPhonesAndEmails(t *testing.T) {
	w := newWorld(t)
	body := []byte("Nome;Telefone;E-mail;Outros telefones;Outros e-mails\r\n" +
		"Ana;+5511970000021;ana@x.com;\"(21) 97777-0021, +1 415 555 2671\";\"ana@trabalho.com; ana@casa.com\"\r\n" +
		"Bia;+5511970000022;;+5511970000022;\r\n")
	j := w.runToEnd(t, w.start(t, "contatos.csv", importer.Create, errs.Portuguese, body))
	// Bia repeats her own number: the row fails, naming the cell.
	checkEnded(t, j, counts{created: 1, failed: 1}, 2)
	ana := w.byPhone(t, "+5521977770021")
	if got, want := ana.OtherPhones, []string{"+5521977770021", "+14155552671"}; !slices.Equal(got, want) {
		t.Errorf("otherPhones = %q, want %q", got, want)
	}
	if got, want := ana.OtherEmails, []string{"ana@trabalho.com", "ana@casa.com"}; !slices.Equal(got, want) {
		t.Errorf("otherEmails = %q, want %q", got, want)
	}

	// Upsert by a second number: the contact holding it is updated, the
	// number becomes its primary and the old primary an other.
	up := w.runToEnd(t, w.start(t, "sync.csv", importer.Upsert, errs.Portuguese, []byte("Nome;Celular\r\nAna Maria;+14155552671\r\n")))
	checkEnded(t, up, counts{updated: 1}, 1)
	got := w.byPhone(t, "+14155552671")
	if got.ID != ana.ID || got.Name != "Ana Maria" || got.Phone != "+14155552671" || !slices.Equal(got.OtherPhones, []string{"+5521977770021", "+5511970000021"}) {
		t.Errorf("after upsert = %s %q %q %q, want %s \"Ana Maria\" +14155552671 [+5521977770021 +5511970000021]", got.ID, got.Name, got.Phone, got.OtherPhones, ana.ID)
	}
}
