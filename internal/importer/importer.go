// Package importer imports contacts from a CSV or XLSX file uploaded to S3,
// as a background job that tells exactly which rows failed and why.
//
// Every row read is counted once as created, updated, skipped or failed;
// failed rows go to an error report (the row as given, its line and the
// reasons) linked from the job. Rows are validated with the API's rules.
// Duplicates inside the file and against existing contacts are matched by
// phone identity (the 9th-digit rule) and email. A contact created by a row
// gets an id derived from the job and the line, so a row processed again
// after a crash or a redelivery creates nothing twice; progress is saved
// after each chunk and a run goes on from there.
package importer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/phone"
	"github.com/omnichannel/contacts/internal/sheets"
	"github.com/omnichannel/contacts/internal/tag"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Modes of an import.
const (
	Create = "create" // new contacts only: rows of existing contacts are skipped
	Update = "update" // existing contacts only: other rows are skipped
	Upsert = "upsert" // both
)

// Prefix is where uploads land in the import bucket: Prefix + ws/jobId/file.
const Prefix = "imports/"

// UploadTTL is how long an upload URL stays valid.
const UploadTTL = 15 * time.Minute

// LandingWait is how long after its upload URL expires an import waits for
// its file's event before it is failed when read: Lambda retries the event
// for up to an hour (template.yaml, EventInvokeConfig), then sends it to a
// failure queue.
const LandingWait = 2 * time.Hour

// Uploads gives presigned uploads to the import bucket.
type Uploads interface {
	// UploadForm returns the URL of a presigned POST of key, valid for ttl,
	// and the form fields to send before the file; the store refuses a file
	// larger than maxBytes.
	UploadForm(ctx context.Context, key, contentType string, maxBytes int64, ttl time.Duration) (string, map[string]string, error)
}

// Upload is how the client sends the file: a multipart/form-data POST to
// URL with Fields, then the file as the field "file".
type Upload struct {
	URL     string
	Method  string
	Headers map[string]string
	Fields  map[string]string
}

// JobStarter records new jobs (jobs.Service).
type JobStarter interface {
	// New returns a queued job, not stored yet.
	New(caller tenant.Caller, typ string, params map[string]string) *jobs.Job
	// Create stores a new job.
	Create(ctx context.Context, j *jobs.Job) error
}

// Permits tells whether the workspace lets a caller take an action
// (contact.Service).
type Permits interface {
	// Require returns Forbidden unless the caller may take a.
	Require(ctx context.Context, caller tenant.Caller, a tenant.Action) error
}

// Service starts imports.
type Service struct {
	People  Permits // who may import
	Jobs    JobStarter
	Uploads Uploads
}

var fileNamePattern = regexp.MustCompile(`^[^/\\\x00-\x1f]{1,200}$`)

// Start validates {fileName, mode, mapping?, createCompanies?}, records the job (queued until
// the file lands) and returns the upload; the roles the workspace lets
// import (owners and managers by default). Errors: Forbidden, Invalid.
func (s *Service) Start(ctx context.Context, caller tenant.Caller, lang errs.Language, doc map[string]any) (*jobs.Job, Upload, error) {
	if err := s.People.Require(ctx, caller, tenant.Import); err != nil {
		return nil, Upload{}, err
	}
	params := map[string]string{"role": string(caller.Role), "lang": string(lang)}
	var problems []errs.FieldError
	for k, v := range doc {
		switch k {
		case "fileName":
			name, _ := v.(string)
			name = strings.TrimSpace(name)
			ext := strings.ToLower(path.Ext(name))
			switch {
			case !fileNamePattern.MatchString(name):
				problems = append(problems, errs.Field("fileName", "file_name_invalid"))
			case ext != ".csv" && ext != ".xlsx" && ext != ".txt":
				problems = append(problems, errs.Field("fileName", "file_type_unsupported"))
			}
			params["fileName"] = name
		case "mode":
			m, _ := v.(string)
			if m != Create && m != Update && m != Upsert {
				problems = append(problems, errs.Field("mode", "choice_invalid", "choices", "create, update, upsert"))
			}
			params["mode"] = m
		case "createCompanies":
			b, ok := v.(bool)
			if !ok {
				problems = append(problems, errs.Field("createCompanies", "invalid_type", "type", "boolean"))
			}
			params["createCompanies"] = strconv.FormatBool(b)
		case "mapping":
			m, ok := v.(map[string]any)
			if !ok || len(m) > sheets.DefaultMaxColumns {
				problems = append(problems, errs.Field("mapping", "invalid_type", "type", "object of column header to field"))
				continue
			}
			explicit := map[string]string{}
			for header, field := range m {
				f, ok := field.(string)
				if !ok {
					problems = append(problems, errs.Field("mapping."+header, "invalid_type", "type", "string"))
					continue
				}
				explicit[header] = f
			}
			raw, _ := json.Marshal(explicit)
			params["mapping"] = string(raw)
		default:
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	if params["fileName"] == "" && !slices.ContainsFunc(problems, func(p errs.FieldError) bool { return p.Field == "fileName" }) {
		problems = append(problems, errs.Field("fileName", "required"))
	}
	if params["mode"] == "" && !slices.ContainsFunc(problems, func(p errs.FieldError) bool { return p.Field == "mode" }) {
		problems = append(problems, errs.Field("mode", "required"))
	}
	if len(problems) > 0 {
		return nil, Upload{}, errs.Validation(problems)
	}
	j := s.Jobs.New(caller, jobs.TypeImport, params)
	j.StartBy = j.CreatedAt.Add(UploadTTL + LandingWait)
	key := Prefix + caller.Workspace + "/" + j.ID + "/" + params["fileName"]
	j.Params["key"] = key
	url, fields, err := s.Uploads.UploadForm(ctx, key, contentTypeOf(params["fileName"]), sheets.DefaultMaxBytes, UploadTTL)
	if err != nil {
		return nil, Upload{}, err
	}
	if err := s.Jobs.Create(ctx, j); err != nil {
		return nil, Upload{}, err
	}
	return j, Upload{URL: url, Method: "POST", Headers: map[string]string{}, Fields: fields}, nil
}

func contentTypeOf(name string) string {
	if strings.EqualFold(path.Ext(name), ".xlsx") {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv"
}

// ParseKey returns the workspace and job of an upload key.
func ParseKey(key string) (ws, jobID string, ok bool) {
	rest, found := strings.CutPrefix(key, Prefix)
	if !found {
		return "", "", false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 || !tenant.ValidWorkspace(parts[0]) || !ids.Valid(parts[1]) {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// Files reads and deletes uploads and writes reports.
type Files interface {
	// Open reads an object and returns its size.
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	// Upload streams r to key and returns the bytes written.
	Upload(ctx context.Context, key, contentType string, r io.Reader) (int64, error)
	// Delete removes an object; one already gone is no error.
	Delete(ctx context.Context, key string) error
}

// Failures keeps the failed rows of a job until its report is written.
type Failures interface {
	// Add stores failed rows (again: no change).
	Add(ctx context.Context, workspace, jobID string, rows []Failure) error
	// Each calls fn with the job's failed rows in line order, a page of
	// them in memory at a time, and stops at fn's first error.
	Each(ctx context.Context, workspace, jobID string, fn func(Failure) error) error
	// Delete removes the job's failed rows.
	Delete(ctx context.Context, workspace, jobID string) error
}

// Failure is a rejected row: as given, with its line and the reasons.
type Failure struct {
	Line    int
	Cells   []string
	Reasons []string
}

// Contacts is what the importer needs of the contact store.
type Contacts interface {
	Get(ctx context.Context, workspace, id string) (*contact.Contact, error)
	Create(ctx context.Context, c *contact.Contact, rec *contact.IdempotencyRecord) error
	Update(ctx context.Context, workspace, id string, ifVersion int, fn func(*contact.Contact) error) (*contact.Contact, error)
}

// Finder finds existing contacts by phone identity or email key, oldest
// first, reading its own writes.
type Finder interface {
	LookupPhone(ctx context.Context, workspace, identity string) ([]string, error)
	LookupEmail(ctx context.Context, workspace, emailKey string) ([]string, error)
	LookupExternalID(ctx context.Context, workspace, externalID string) ([]string, error)
}

// Settings reads a workspace's settings and custom fields (contact.Service).
type Settings interface {
	Workspace(ctx context.Context, ws string) (contact.Workspace, error)
}

// TagNames reads the workspace's tag catalogue by name, creating the tags
// an import names (tag.Service).
type TagNames interface {
	Names(ctx context.Context, ws string) (*tag.Names, error)
}

// Worker runs import jobs.
type Worker struct {
	People   Settings
	Contacts Contacts
	Finder   Finder
	Tags     TagNames
	// Companies and CompanyMaker link rows to companies (companyId and
	// company columns, createCompanies); with Companies nil an import sets
	// the company's free text only.
	Companies    Companies
	CompanyMaker CompanyMaker
	Jobs         jobs.Store
	Files        Files
	Failures     Failures
	Limits       sheets.Limits
	Parallel     int         // rows processed at once (16 when zero)
	Chunk        int         // rows between checkpoints (500 when zero)
	Clock        clock.Clock // the system clock when nil
}

// outcome of one row.
type outcome struct {
	status  string // created, updated, skipped, failed
	reasons []string
}

// Run imports the job's file from the line after its checkpoint, until
// the file ends (the job ends with its report) or the deadline (it returns
// false: the caller queues a continuation). A run holds the job's lease;
// another run of the same job meanwhile returns at once (true: nothing to
// do). Errors: store and file errors (retried).
func (w *Worker) Run(ctx context.Context, ws, jobID, runID string, deadline time.Time) (bool, error) {
	lease := jobs.Run{Store: w.Jobs, Clock: w.Clock, ID: runID, Deadline: deadline}
	j, outcome, err := lease.Acquire(ctx, ws, jobID, 2*time.Minute)
	switch {
	case err != nil:
		return false, err
	case outcome == jobs.OutcomeEnded:
		return true, w.cleanUp(ctx, j) // again: an earlier clean-up may have failed
	case outcome != "":
		return true, nil
	}
	if j.Cancel {
		return true, w.finish(ctx, j, jobs.Cancelled, nil)
	}
	settings, err := w.People.Workspace(ctx, ws)
	if err != nil {
		return false, err
	}
	if j, err = w.checkFirst(ctx, j); err != nil || j.Done() {
		return err == nil, err
	}
	body, size, err := w.Files.Open(ctx, j.Params["key"])
	if err != nil {
		return false, err
	}
	defer body.Close()
	r, err := sheets.Open(body, size, j.Params["fileName"], w.Limits)
	if err != nil {
		return true, w.failFile(ctx, j, err)
	}
	defer r.Close()
	var explicit map[string]string
	if err := j.DecodeParam("mapping", &explicit); err != nil {
		return false, err
	}
	mapping, problems := sheets.MapHeader(r.Header().Cells, settings.Fields, explicit)
	if len(problems) > 0 {
		return true, w.failFile(ctx, j, errs.Validation(problems))
	}
	names, err := w.Tags.Names(ctx, ws)
	if err != nil {
		return false, err
	}
	// A job already running was run before: rows after its checkpoint may
	// have been written by a run that died before saving it.
	replay := j.Status == jobs.Running
	if j, err = w.begin(ctx, j, mapping); err != nil {
		return false, err
	}
	// The import acts in the scope of who started it: an agent of a
	// wallet-bound workspace (one the workspace lets import) matches and
	// updates only the contacts of its wallet.
	starter := tenant.Caller{Workspace: ws, Subject: j.CreatedBy, Role: tenant.Role(j.Params["role"])}
	run := &importRun{w: w, job: j, ws: settings, starter: starter, scope: contact.ScopeOf(settings, starter), mapping: mapping, names: names, header: r.Header().Cells,
		lang: errs.Language(j.Params["lang"]), seen: map[string]int{}, replay: replay}
	return run.rows(ctx, r, lease)
}

// checkFirst reads the whole file once before the first run imports
// anything, so that a file that breaks a limit (rows, columns, cell
// length, a malformed part) fails before a single contact is written. It
// returns the job as updated: failed (and cleaned up) when the file broke
// a limit. Errors: store and file errors other than the file's own.
func (w *Worker) checkFirst(ctx context.Context, j *jobs.Job) (*jobs.Job, error) {
	if j.Cursor != "" || j.Params["checked"] == "true" {
		return j, nil
	}
	if err := w.check(ctx, j); err != nil {
		if e := errs.As(err); e.Kind == errs.Internal {
			return nil, err
		}
		if err := w.failFile(ctx, j, err); err != nil {
			return nil, err
		}
		return w.Jobs.Get(ctx, j.Workspace, j.ID)
	}
	return w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		j.Params["checked"] = "true"
		return nil
	})
}

// begin marks a queued job running, with the columns its file's header
// has that no field took.
func (w *Worker) begin(ctx context.Context, j *jobs.Job, mapping sheets.Mapping) (*jobs.Job, error) {
	if j.Status != jobs.Queued {
		return j, nil
	}
	return w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		j.Status, j.UpdatedAt = jobs.Running, w.Clock.Now()
		var ignored []string
		for _, c := range mapping.Ignored() {
			ignored = append(ignored, c.Header)
		}
		j.Params["ignoredColumns"] = strings.Join(ignored, ", ")
		return nil
	})
}

// rows imports the rows after the job's checkpoint a chunk at a time, until
// the file ends (true: the job ended) or the deadline passes after a chunk
// (false: the caller queues a continuation).
func (run *importRun) rows(ctx context.Context, r *sheets.Reader, lease jobs.Run) (bool, error) {
	w, j := run.w, run.job
	checkpoint, err := strconv.Atoi(cmp.Or(j.Cursor, "0"))
	if err != nil {
		return false, fmt.Errorf("import %s: checkpoint %q: %w", j.ID, j.Cursor, err)
	}
	chunkSize := w.Chunk
	if chunkSize == 0 {
		chunkSize = 500
	}
	var chunk []sheets.Row
	for {
		row, err := r.Next()
		if err != nil && !isEOF(err) {
			if e := errs.As(err); e.Kind != errs.Internal {
				return true, w.failFile(ctx, j, err)
			}
			return false, err
		}
		if err == nil && row.Line <= checkpoint {
			// Done by an earlier run; its phone and email still make later
			// rows duplicates in the file.
			if in := run.prepare(row); in.failed == nil {
				run.dedupe(row, in)
			}
			continue
		}
		if err == nil {
			chunk = append(chunk, row)
		}
		if len(chunk) == chunkSize || (isEOF(err) && len(chunk) > 0) {
			cur, cerr := run.chunk(ctx, chunk)
			if cerr != nil {
				return false, cerr
			}
			chunk = chunk[:0]
			if cur.Cancel {
				return true, w.finish(ctx, cur, jobs.Cancelled, run)
			}
			if !isEOF(err) && lease.Expired() {
				return false, lease.Release(ctx, j)
			}
		}
		if isEOF(err) {
			cur, gerr := w.Jobs.Get(ctx, j.Workspace, j.ID)
			if gerr != nil {
				return false, gerr
			}
			return true, w.finish(ctx, cur, jobs.Succeeded, run)
		}
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// importRun is the state of one run over a file.
type importRun struct {
	w       *Worker
	job     *jobs.Job
	ws      contact.Workspace
	starter tenant.Caller // who started the import
	scope   contact.Scope // the contacts the import may match and update
	mapping sheets.Mapping
	names   *tag.Names
	header  []string
	lang    errs.Language
	seen    map[string]int // phone identity, email key or externalId → first line in the file
	// replay is set while the rows may have been written by a run that
	// died before its checkpoint: the first chunk of a run of a job that
	// was already running.
	replay bool
}

// chunk processes rows in parallel (rows that share a phone or an email
// with an earlier row of the file are settled first, in order), stores the
// failures, and saves the checkpoint and counts.
func (run *importRun) chunk(ctx context.Context, rows []sheets.Row) (*jobs.Job, error) {
	w := run.w
	results := make([]outcome, len(rows))
	profiles := make([]*rowInput, len(rows))
	for i, row := range rows {
		in := run.prepare(row)
		profiles[i] = in
		if in.failed != nil {
			results[i] = *in.failed
			continue
		}
		if dup := run.dedupe(row, in); dup != nil {
			results[i] = *dup
			continue
		}
		// Tags are resolved here, in file order, so that a tag new to the
		// catalogue is named as its first row writes it ("VIP", not a later
		// row's "vip").
		if len(in.tags) > 0 {
			tagIDs, err := run.names.IDs(ctx, in.tags)
			if err != nil && errs.KindOf(err) == errs.Internal {
				return nil, err
			}
			if err != nil {
				in.failed = &outcome{status: "failed", reasons: []string{"tags: " + ruleReason(run.lang, err)}}
				results[i] = *in.failed
				continue
			}
			in.tagIDs = tagIDs
		}
	}
	if err := run.linkCompanies(ctx, profiles, results); err != nil {
		return nil, err
	}
	if err := run.applyAll(ctx, rows, profiles, results); err != nil {
		return nil, err
	}
	run.replay = false
	counts := map[string]int{}
	var failures []Failure
	for i, r := range results {
		counts[r.status]++
		if r.status == "failed" {
			failures = append(failures, truncated(Failure{Line: rows[i].Line, Cells: rows[i].Cells, Reasons: r.reasons}, run.lang))
		}
	}
	if len(failures) > 0 {
		if err := w.Failures.Add(ctx, run.job.Workspace, run.job.ID, failures); err != nil {
			return nil, err
		}
	}
	last := rows[len(rows)-1].Line
	return w.Jobs.Update(ctx, run.job.Workspace, run.job.ID, func(j *jobs.Job) error {
		if n, _ := strconv.Atoi(j.Cursor); n >= last {
			return nil // saved by an earlier attempt of this update
		}
		j.Cursor, j.Processed, j.Total, j.UpdatedAt = strconv.Itoa(last), j.Processed+len(rows), j.Processed+len(rows), w.Clock.Now()
		for k, v := range counts {
			j.Counts[k] += v
		}
		return nil
	})
}

// applyAll applies the rows not settled yet, Worker.Parallel at a time,
// into results, and returns the first store error.
func (run *importRun) applyAll(ctx context.Context, rows []sheets.Row, profiles []*rowInput, results []outcome) error {
	parallel := run.w.Parallel
	if parallel == 0 {
		parallel = 16
	}
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	sem := make(chan struct{}, parallel)
	for i := range rows {
		if profiles[i].failed != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			out, err := run.applySafely(ctx, rows[i], profiles[i])
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			results[i] = out
		}(i)
	}
	wg.Wait()
	return firstErr
}

// applySafely is apply with a panic turned into an internal error (the
// run stops and is retried, as for a store error).
func (run *importRun) applySafely(ctx context.Context, row sheets.Row, in *rowInput) (out outcome, err error) {
	defer errs.Recover(&err)
	return run.apply(ctx, row, in)
}

// dedupe skips a row that shares a phone, an email or an externalId with
// an earlier row of the file, and otherwise remembers them.
func (run *importRun) dedupe(row sheets.Row, in *rowInput) *outcome {
	for _, k := range in.keys {
		if first, dup := run.seen[k]; dup {
			in.failed = &outcome{status: "skipped", reasons: []string{run.msg("duplicate_in_file", "line", strconv.Itoa(first))}}
			return in.failed
		}
	}
	for _, k := range in.keys {
		run.seen[k] = row.Line
	}
	return nil
}

// rowInput is a row checked and ready to apply.
type rowInput struct {
	profile contact.Profile
	present map[string]bool // the fields the row gives
	tags    []string
	tagIDs  []string // the tags' ids, resolved in file order by chunk
	keys    []string // phone identity, email key and externalId
	failed  *outcome
}

// imported are the standard fields an import column may set.
var imported = contact.FieldNames(func(f contact.Field) bool { return f.Imported })

// prepare validates a row with the API's rules.
func (run *importRun) prepare(row sheets.Row) *rowInput {
	values := run.mapping.Apply(row.Cells)
	doc := map[string]any{}
	present := map[string]bool{}
	custom := map[string]any{}
	for field, v := range values {
		switch {
		case field == sheets.TagsField:
		case strings.HasPrefix(field, "customFields."):
			key := strings.TrimPrefix(field, "customFields.")
			custom[key] = customValue(run.ws, key, v)
			present[field] = true
		case field == "otherPhones" || field == "otherEmails":
			// Several numbers or addresses in one cell, separated by ';'
			// or ','.
			var list []any
			for _, v := range contact.SplitList(v) {
				list = append(list, v)
			}
			doc[field] = list
			present[field] = true
		case slices.Contains(imported, field):
			// A line break typed in a cell (Alt+Enter in Excel, e.g. an
			// address in the company column) becomes a space: the
			// contact's fields are single lines.
			doc[field] = strings.Join(strings.Fields(v), " ")
			present[field] = true
		}
	}
	if len(custom) > 0 {
		doc["customFields"] = custom
	}
	p, problems := contact.BuildProfile(doc, run.ws, run.w.Clock.Now(), true)
	in := &rowInput{profile: p, present: present, tags: values.Tags()}
	if len(problems) > 0 {
		var reasons []string
		for _, pr := range problems {
			reasons = append(reasons, pr.Field+": "+errs.Message(run.lang, pr.Code, pr.Params))
		}
		in.failed = &outcome{status: "failed", reasons: reasons}
		return in
	}
	if len(in.tags) > contact.MaxTagsPerContact {
		in.failed = &outcome{status: "failed", reasons: []string{"tags: " + errs.Message(run.lang, "too_many", map[string]string{"max": strconv.Itoa(contact.MaxTagsPerContact)})}}
		return in
	}
	// A country column that says what the phone tells anyway (as every
	// export writes it) does not pin the country: an export imports back
	// unchanged.
	if p.CountryManual && p.Phone != "" {
		if n, err := phone.Parse(p.Phone, ""); err == nil && n.Region == p.Country {
			in.profile.CountryManual = false
		}
	}
	in.keys = contact.ProfileKeys(&p)
	if p.ExternalID != "" {
		in.keys = append(in.keys, "x:"+p.ExternalID)
	}
	return in
}

// customValue gives a custom field's cell the type its definition wants
// (BuildProfile checks it): numbers and booleans from text, multiselect
// options split like tags.
func customValue(ws contact.Workspace, key, v string) any {
	def, ok := ws.Field(key)
	if !ok {
		return v
	}
	switch def.Type {
	case contact.FieldNumber:
		if f, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", "."), 64); err == nil {
			return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
		}
	case contact.FieldBoolean:
		switch strings.ToLower(v) {
		case "true", "sim", "yes", "1", "verdadeiro", "s", "y", "x":
			return true
		case "false", "não", "nao", "no", "0", "falso", "n":
			return false
		}
	case contact.FieldMultiSelect:
		var out []any
		for _, s := range sheets.SplitTags(v) {
			out = append(out, s)
		}
		return out
	}
	return v
}

func (run *importRun) msg(code string, params ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(params); i += 2 {
		m[params[i]] = params[i+1]
	}
	return errs.Message(run.lang, code, m)
}

// apply creates or updates the row's contact, as the mode says.
func (run *importRun) apply(ctx context.Context, row sheets.Row, in *rowInput) (outcome, error) {
	w := run.w
	ws := run.job.Workspace
	existing, err := run.find(ctx, in)
	if err != nil {
		return outcome{}, err
	}
	id := ids.Derived(run.job.CreatedAt, run.job.ID+"#"+strconv.Itoa(row.Line))
	if existing == id {
		return outcome{status: "created"}, nil // by an earlier run of this row that died before its checkpoint
	}
	mode := run.job.Params["mode"]
	tagIDs := in.tagIDs
	switch {
	case existing == "" && mode == Update:
		return outcome{status: "skipped", reasons: []string{run.msg("import_not_found")}}, nil
	case existing != "" && mode == Create:
		return outcome{status: "skipped", reasons: []string{run.msg("import_exists")}}, nil
	case existing == "":
		p := in.profile
		if p.OwnerID == "" && run.scope.Wallet != "" {
			p.OwnerID = run.scope.Wallet // a wallet-bound agent's new contacts are its own
		}
		c := &contact.Contact{
			Workspace: ws, ID: id, Profile: p,
			TagIDs: tagIDs, CreatedAt: w.Clock.Now(), CreatedBy: contact.ImportActor(run.job.ID), UpdatedAt: w.Clock.Now(), UpdatedBy: contact.ImportActor(run.job.ID), Version: 1,
			ImportJob: run.job.ID,
		}
		err := w.Contacts.Create(ctx, c, nil)
		switch {
		case err == nil, errs.As(err).Code == contact.ErrExists.Code:
			return outcome{status: "created"}, nil // ErrExists: created by an earlier run of this row
		case errs.KindOf(err) == errs.Internal:
			return outcome{}, err
		}
		return outcome{status: "failed", reasons: []string{writeReason(run.lang, err)}}, nil
	}
	changed, again := false, false
	_, err = w.Contacts.Update(ctx, ws, existing, 0, func(c *contact.Contact) error {
		before := c.Clone()
		again = run.replay && c.UpdatedBy == contact.ImportActor(run.job.ID)
		mergeProfile(&c.Profile, in.profile, in.present)
		for _, t := range tagIDs {
			if !c.HasTag(t) && len(c.TagIDs) < contact.MaxTagsPerContact {
				c.TagIDs = append(c.TagIDs, t)
			}
		}
		changed = !sameContact(before, c)
		if changed {
			c.UpdatedAt, c.UpdatedBy = w.Clock.Now(), contact.ImportActor(run.job.ID)
		}
		return nil
	})
	switch {
	case err == nil && (changed || again):
		return outcome{status: "updated"}, nil // again: by an earlier run of this row that died before its checkpoint
	case err == nil:
		return outcome{status: "skipped", reasons: []string{run.msg("import_unchanged")}}, nil
	case errs.KindOf(err) == errs.Internal:
		return outcome{}, err
	}
	return outcome{status: "failed", reasons: []string{writeReason(run.lang, err)}}, nil
}

// find returns the existing contact holding the row's externalId, else the
// oldest with its phone (each of them, the primary first), else with its
// email (idem), or "": of those in the import's scope (as a conversation
// start by phone does, holders outside a wallet-bound agent's wallet are
// passed over, a GetItem each).
func (run *importRun) find(ctx context.Context, in *rowInput) (string, error) {
	ws := run.job.Workspace
	if in.profile.ExternalID != "" {
		// The workspace's own id says which contact the row is, first.
		found, err := run.w.Finder.LookupExternalID(ctx, ws, in.profile.ExternalID)
		if err != nil {
			return "", err
		}
		if id, err := run.first(ctx, found); err != nil || id != "" {
			return id, err
		}
	}
	// Then each of its phones, then each of its emails, primaries first.
	for _, n := range in.profile.Phones() {
		found, err := run.w.Finder.LookupPhone(ctx, ws, phone.Identity(n))
		if err != nil {
			return "", err
		}
		if id, err := run.first(ctx, found); err != nil || id != "" {
			return id, err
		}
	}
	for _, e := range in.profile.Emails() {
		found, err := run.w.Finder.LookupEmail(ctx, ws, contact.EmailKey(e))
		if err != nil {
			return "", err
		}
		if id, err := run.first(ctx, found); err != nil || id != "" {
			return id, err
		}
	}
	return "", nil
}

// first returns the first id of list in the import's scope, or "".
func (run *importRun) first(ctx context.Context, list []string) (string, error) {
	if run.scope.Wallet == "" {
		if len(list) == 0 {
			return "", nil
		}
		return list[0], nil
	}
	for _, id := range list {
		c, err := run.w.Contacts.Get(ctx, run.job.Workspace, id)
		if contact.IsNotFound(err) {
			continue
		}
		if err != nil {
			return "", err
		}
		if run.scope.Sees(c) {
			return id, nil
		}
	}
	return "", nil
}

// mergeProfile sets on p the fields the row gives.
func mergeProfile(p *contact.Profile, row contact.Profile, present map[string]bool) {
	oldPhone, oldEmail := p.Phone, p.Email
	for _, f := range contact.Fields {
		if f.Imported && f.Name != "country" && present[f.Name] {
			f.Copy(p, &row) // a name part brings the whole name
		}
	}
	if present["country"] || (present["phone"] && !p.CountryManual) {
		p.Country, p.CountryManual = row.Country, row.CountryManual
	}
	// A row giving a new phone or email without a column of the others
	// keeps the old one as an other; one that was already among them
	// (or the other way round) is kept once.
	if present["phone"] && !present["otherPhones"] && oldPhone != "" {
		p.OtherPhones = append(p.OtherPhones, oldPhone)
	}
	if present["email"] && !present["otherEmails"] && oldEmail != "" {
		p.OtherEmails = append(p.OtherEmails, oldEmail)
	}
	contact.SettleOthers(p)
	for k, v := range row.CustomFields {
		if p.CustomFields == nil {
			p.CustomFields = map[string]any{}
		}
		p.CustomFields[k] = v
	}
}

func sameContact(a, b *contact.Contact) bool {
	ad, bd := a.Profile.Document(), b.Profile.Document()
	if fmt.Sprint(ad) != fmt.Sprint(bd) || len(a.TagIDs) != len(b.TagIDs) {
		return false
	}
	return a.Country == b.Country
}

// failFile ends a job whose file cannot be imported, with the reason.
func (w *Worker) failFile(ctx context.Context, j *jobs.Job, cause error) error {
	e := errs.As(cause)
	reason := errs.Message(errs.Language(j.Params["lang"]), e.Code, e.Params)
	for _, f := range e.Fields {
		reason += " " + f.Field + ": " + errs.Message(errs.Language(j.Params["lang"]), f.Code, f.Params)
	}
	if e.Kind == errs.Internal {
		return cause
	}
	if _, err := w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		j.Status, j.Error, j.UpdatedAt = jobs.Failed, reason, w.Clock.Now()
		return nil
	}); err != nil {
		return err
	}
	return w.cleanUp(ctx, j)
}

// finish writes the error report (when a row failed), ends the job, and
// deletes its upload and failed rows.
func (w *Worker) finish(ctx context.Context, j *jobs.Job, status string, run *importRun) error {
	var key string
	if j.Counts["failed"] > 0 && run != nil {
		key = "reports/" + j.Workspace + "/" + j.ID + ".csv"
		if err := w.writeReport(ctx, j, key, run.header); err != nil {
			return err
		}
	}
	if _, err := w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		if j.Done() {
			return nil
		}
		j.Status, j.UpdatedAt = status, w.Clock.Now()
		if key != "" {
			j.Files["errorReport"] = key
		}
		return nil
	}); err != nil {
		return err
	}
	return w.cleanUp(ctx, j)
}

// writeReport streams the job's error report to key: its failed rows are
// read a page at a time and the report is uploaded a part at a time.
func (w *Worker) writeReport(ctx context.Context, j *jobs.Job, key string, header []string) error {
	pr, pw := io.Pipe()
	written := make(chan struct{})
	go func() {
		var err error
		defer close(written)
		defer func() { _ = pw.CloseWithError(err) }()
		defer errs.Recover(&err)
		each := func(fn func(Failure) error) error { return w.Failures.Each(ctx, j.Workspace, j.ID, fn) }
		err = report(pw, header, each, errs.Language(j.Params["lang"]))
	}()
	_, err := w.Files.Upload(ctx, key, "text/csv; charset=utf-8", pr)
	_ = pr.CloseWithError(io.ErrClosedPipe) // stops the writer when the upload failed first
	<-written
	return err
}

// cleanUp deletes what a job that ended no longer needs: its upload (the
// file as given, with personal data) and its failed rows (the error report
// holds them now). Its report stays until the bucket's lifecycle rule.
func (w *Worker) cleanUp(ctx context.Context, j *jobs.Job) error {
	if key := j.Params["key"]; key != "" {
		if err := w.Files.Delete(ctx, key); err != nil {
			return err
		}
	}
	return w.Failures.Delete(ctx, j.Workspace, j.ID)
}

// writeReason says why a row's write was refused, naming the field when a
// rule of one was broken (e.g. "companyId: Company not found." when its
// company was deleted meanwhile).
func writeReason(lang errs.Language, err error) string {
	if e := errs.As(err); len(e.Fields) > 0 {
		return e.Fields[0].Field + ": " + ruleReason(lang, err)
	}
	return ruleReason(lang, err)
}

// ruleReason says why a row's value was refused: the first field rule it
// broke (e.g. a tag name too long), else its code's message (e.g. the tag
// catalogue being full).
func ruleReason(lang errs.Language, err error) string {
	e := errs.As(err)
	if len(e.Fields) > 0 {
		return errs.Message(lang, e.Fields[0].Code, e.Fields[0].Params)
	}
	return errs.Message(lang, e.Code, e.Params)
}

// check reads the job's file to its end without importing anything and
// returns the first limit it breaks or the reason it cannot be read.
func (w *Worker) check(ctx context.Context, j *jobs.Job) error {
	body, size, err := w.Files.Open(ctx, j.Params["key"])
	if err != nil {
		return err
	}
	defer body.Close()
	r, err := sheets.Open(body, size, j.Params["fileName"], w.Limits)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
