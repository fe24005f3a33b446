// Package export writes every contact matching a list filter to a CSV or
// XLSX file in S3, as a background job: tags and custom fields as real
// columns, cells neutralised against formula injection, streamed with
// bounded memory (a page of contacts and one upload part at a time).
package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Formats of an export.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// MaxXLSXRows is the most rows one XLSX sheet holds (Excel's limit, header
// included); a larger export must be CSV.
const MaxXLSXRows = 1_048_575

// standardColumns are the contact's columns, in order, by default.
var standardColumns = contact.FieldNames(func(f contact.Field) bool { return f.Exported })

// MaxIDs bounds the contacts an export of a selection names.
const MaxIDs = 10000

// RowWriter writes a file's rows (sheets.Writer).
type RowWriter interface {
	Write(cells []string) error
	Close() error
}

// NewRowWriter starts a file of format with its header row.
type NewRowWriter func(w io.Writer, format string, header []string) (RowWriter, error)

// Files stores export files.
type Files interface {
	// Upload streams r to key and returns the bytes written.
	Upload(ctx context.Context, key, contentType string, r io.Reader) (int64, error)
}

// Contacts reads contacts by id.
type Contacts interface {
	GetMany(ctx context.Context, workspace string, ids []string) ([]*contact.Contact, error)
}

// CompanyNames reads the names of companies by id (dynamo.Companies).
type CompanyNames interface {
	// Names returns the names of the companies ids that exist, by id.
	Names(ctx context.Context, ws string, ids []string) (map[string]string, error)
}

// JobStarter records and queues new jobs (jobs.Service).
type JobStarter interface {
	// New returns a queued job, not stored yet.
	New(caller tenant.Caller, typ string, params map[string]string) *jobs.Job
	// Create stores a new job.
	Create(ctx context.Context, j *jobs.Job) error
	// Enqueue hands a stored job to queue (failing it when that fails).
	Enqueue(ctx context.Context, j *jobs.Job, queue jobs.Queue) error
}

// Finder checks filters and walks their contacts (search.Service).
type Finder interface {
	// NewFilter validates a filter for a caller. Errors: Invalid.
	NewFilter(ctx context.Context, caller tenant.Caller, filter map[string]string) (search.Filter, error)
	// Page returns the page of f after after.
	Page(ctx context.Context, f search.Filter, after string, limit int) (search.Page, error)
}

// Workspaces reads a workspace's fields and tags (contact.Service).
type Workspaces interface {
	// Workspace returns the workspace's settings and custom fields.
	Workspace(ctx context.Context, ws string) (contact.Workspace, error)
	// TagCatalog returns the workspace's tags by id.
	TagCatalog(ctx context.Context, ws string) (map[string]contact.TagRef, error)
}

// Service starts exports.
type Service struct {
	Jobs   JobStarter
	Search Finder
	People Workspaces
	Queue  jobs.Queue
}

// Start validates {format, filter?, columns?}, records the job and queues
// it; the roles the workspace lets export (owners and managers by
// default). The workspace's settings are read once, for the permission and
// the columns (an owner's export without columns reads none). Errors:
// Forbidden, Invalid.
func (s *Service) Start(ctx context.Context, caller tenant.Caller, doc map[string]any) (*jobs.Job, error) {
	var ws *contact.Workspace
	if caller.Role != tenant.Owner {
		w, err := s.People.Workspace(ctx, caller.Workspace)
		if err != nil {
			return nil, err
		}
		if err := w.Allows(caller, tenant.Export); err != nil {
			return nil, err
		}
		ws = &w
	}
	params, problems := startParams(doc, caller)
	if len(problems) > 0 {
		return nil, errs.Validation(problems)
	}
	var filter map[string]string
	if err := json.Unmarshal([]byte(params["filter"]), &filter); params["filter"] != "" && err != nil {
		return nil, fmt.Errorf("export: decode the filter just encoded: %w", err)
	}
	if _, err := s.Search.NewFilter(ctx, caller, filter); err != nil {
		return nil, err
	}
	if err := s.resolveColumns(ctx, caller, params, ws); err != nil {
		return nil, err
	}
	j := s.Jobs.New(caller, jobs.TypeExport, params)
	if err := s.Jobs.Create(ctx, j); err != nil {
		return nil, err
	}
	if err := s.Jobs.Enqueue(ctx, j, s.Queue); err != nil {
		return nil, err
	}
	return j, nil
}

// startParams reads the body of Start into the job's parameters, with
// every broken rule.
func startParams(doc map[string]any, caller tenant.Caller) (map[string]string, []errs.FieldError) {
	var problems []errs.FieldError
	params := map[string]string{"role": string(caller.Role)}
	for k, v := range doc {
		switch k {
		case "format":
			f, _ := v.(string)
			if f != CSV && f != XLSX {
				problems = append(problems, errs.Field("format", "choice_invalid", "choices", "csv, xlsx"))
			}
			params["format"] = f
		case "filter":
			f, ok := v.(map[string]any)
			if !ok {
				problems = append(problems, errs.Field("filter", "invalid_type", "type", "object"))
				continue
			}
			fp, p := search.FilterParams(f)
			problems = append(problems, p...)
			raw, _ := json.Marshal(fp)
			params["filter"] = string(raw)
		case "ids":
			list, p := ids.List("ids", v, MaxIDs)
			problems = append(problems, p...)
			params["ids"] = strings.Join(list, ",")
		case "columns":
			list, ok := v.([]any)
			if !ok || len(list) == 0 || len(list) > 200 {
				problems = append(problems, errs.Field("columns", "invalid_type", "type", "array of 1 to 200 column names"))
				continue
			}
			var cols []string
			for i, c := range list {
				name, ok := c.(string)
				if !ok || name == "" || strings.Contains(name, ",") {
					problems = append(problems, errs.Field("columns["+strconv.Itoa(i)+"]", "column_unknown"))
					continue
				}
				cols = append(cols, name)
			}
			params["columns"] = strings.Join(cols, ",")
		default:
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	if params["format"] == "" && !slices.ContainsFunc(problems, func(p errs.FieldError) bool { return p.Field == "format" }) {
		problems = append(problems, errs.Field("format", "required"))
	}
	if _, both := doc["filter"]; both && doc["ids"] != nil {
		problems = append(problems, errs.Field("ids", "ids_or_filter"))
	}
	return params, problems
}

// resolveColumns checks the chosen columns against the workspace's fields
// (a custom field may be named by its key alone), read unless given.
// Errors: Invalid.
func (s *Service) resolveColumns(ctx context.Context, caller tenant.Caller, params map[string]string, read *contact.Workspace) error {
	cols := params["columns"]
	if cols == "" {
		return nil
	}
	if read == nil {
		w, err := s.People.Workspace(ctx, caller.Workspace)
		if err != nil {
			return err
		}
		read = &w
	}
	ws := *read
	var problems []errs.FieldError
	list := strings.Split(cols, ",")
	for i, c := range list {
		if _, isField := ws.Field(c); isField && !known(c, ws) {
			list[i] = "customFields." + c // a custom field named by its key alone
		}
		if !known(list[i], ws) {
			problems = append(problems, errs.Field("columns["+strconv.Itoa(i)+"]", "column_unknown"))
		}
	}
	if len(problems) > 0 {
		return errs.Validation(problems)
	}
	params["columns"] = strings.Join(list, ",")
	return nil
}

func known(column string, ws contact.Workspace) bool {
	if key, ok := strings.CutPrefix(column, "customFields."); ok {
		_, defined := ws.Field(key)
		return defined
	}
	return slices.Contains(standardColumns, column)
}

// Worker runs export jobs.
type Worker struct {
	Search    Finder
	People    Workspaces
	Contacts  Contacts
	Companies CompanyNames // the companyName column's names (left blank when nil)
	Jobs      jobs.Store
	Files     Files
	NewWriter NewRowWriter
	PageSize  int         // contacts read at a time (100 when zero)
	Clock     clock.Clock // the system clock when nil
}

// Key is where the file of an export job is written.
func Key(ws, jobID, format string) string { return "exports/" + ws + "/" + jobID + "." + format }

// Run exports the job's contacts to its file, reporting progress, and
// ends the job. A run holds the job's lease until lease; a redelivered
// message while another run holds it does nothing. A cancelled job stops at
// the next page and writes no file. Errors: store and file errors (retried).
func (w *Worker) Run(ctx context.Context, ws, jobID, runID string, lease time.Time) (string, error) {
	j, outcome, err := jobs.Run{Store: w.Jobs, Clock: w.Clock, ID: runID, Deadline: lease}.Acquire(ctx, ws, jobID, 0)
	switch {
	case err != nil:
		return "", err
	case outcome == jobs.OutcomeNoJob:
		return outcome, nil
	case outcome != "":
		return "held by another run, or ended", nil
	}
	caller := tenant.Caller{Workspace: ws, Subject: j.CreatedBy, Role: tenant.Role(j.Params["role"])}
	var filter map[string]string
	if err := j.DecodeParam("filter", &filter); err != nil {
		return "failed", w.fail(ctx, j, "the filter is no longer valid")
	}
	f, err := w.Search.NewFilter(ctx, caller, filter)
	if err != nil {
		return "failed", w.fail(ctx, j, "the filter is no longer valid")
	}
	wsSettings, err := w.People.Workspace(ctx, ws)
	if err != nil {
		return "", err
	}
	columns, header := columnsOf(j.Params["columns"], wsSettings)
	if _, err := w.Jobs.Update(ctx, ws, jobID, func(j *jobs.Job) error {
		j.Status, j.Processed, j.Counts, j.UpdatedAt = jobs.Running, 0, map[string]int{}, w.Clock.Now()
		return nil
	}); err != nil {
		return "", err
	}
	format := j.Params["format"]
	key := Key(ws, jobID, format)
	pr, pw := io.Pipe()
	uploaded := make(chan error, 1)
	go func() {
		var err error
		defer func() {
			_ = pr.CloseWithError(err) // unblock the writer if the upload failed
			uploaded <- err
		}()
		defer errs.Recover(&err)
		_, err = w.Files.Upload(ctx, key, contentType(format), pr)
	}()
	rows, cancelled, err := w.writeSafely(ctx, j, caller, contact.ScopeOf(wsSettings, caller), f, pw, format, columns, header)
	if err != nil || cancelled {
		_ = pw.CloseWithError(fmt.Errorf("export stopped: %w", errOrCancelled(err)))
		<-uploaded
		if cancelled {
			_, uerr := w.Jobs.Update(ctx, ws, jobID, func(j *jobs.Job) error {
				j.Status, j.UpdatedAt = jobs.Cancelled, w.Clock.Now()
				return nil
			})
			return "cancelled", uerr
		}
		if e := errs.As(err); e.Kind == errs.Invalid || e.Kind == errs.TooLarge {
			return "failed", w.fail(ctx, j, errs.As(err).Code)
		}
		return "", err
	}
	_ = pw.Close()
	if err := <-uploaded; err != nil {
		return "", err
	}
	_, err = w.Jobs.Update(ctx, ws, jobID, func(j *jobs.Job) error {
		j.Status, j.Total, j.Processed, j.UpdatedAt = jobs.Succeeded, rows, rows, w.Clock.Now()
		j.Counts = map[string]int{"exported": rows}
		j.Files["download"] = key
		return nil
	})
	return "exported", err
}

var errCancelled = errs.E(errs.Conflict, "job_cancelled")

// columnsOf returns the export's columns (the chosen ones, or every
// standard field and custom field) and their header cells (a custom field's
// label where it has one).
func columnsOf(chosen string, ws contact.Workspace) (columns, header []string) {
	columns = strings.Split(chosen, ",")
	if chosen == "" {
		columns = slices.Clone(standardColumns)
		for _, fd := range ws.Fields {
			columns = append(columns, "customFields."+fd.Key)
		}
	}
	header = slices.Clone(columns)
	for i, c := range columns {
		if key, ok := strings.CutPrefix(c, "customFields."); ok {
			if fd, ok := ws.Field(key); ok && fd.Label != "" {
				header[i] = fd.Label
			}
		}
	}
	return columns, header
}

// writeSafely is write with a panic turned into an internal error, so the
// upload is stopped (not left waiting for rows) and the message retried.
func (w *Worker) writeSafely(ctx context.Context, j *jobs.Job, caller tenant.Caller, scope contact.Scope, f search.Filter, out io.Writer, format string, columns, header []string) (rows int, cancelled bool, err error) {
	defer errs.Recover(&err)
	return w.write(ctx, j, caller, scope, f, out, format, columns, header)
}

func errOrCancelled(err error) error {
	if err == nil {
		return errCancelled
	}
	return err
}

func contentType(format string) string {
	if format == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// write writes the header and every matching contact to out that scope
// sees (a selection by ids of a wallet-bound agent skips the others).
func (w *Worker) write(ctx context.Context, j *jobs.Job, caller tenant.Caller, scope contact.Scope, f search.Filter, out io.Writer, format string, columns, header []string) (int, bool, error) {
	rw, err := w.NewWriter(out, format, header)
	if err != nil {
		return 0, false, err
	}
	catalog, err := w.People.TagCatalog(ctx, caller.Workspace)
	if err != nil {
		return 0, false, err
	}
	size := w.PageSize
	if size == 0 {
		size = 100
	}
	next := w.pages(j, f, size)
	rows := 0
	for page := 0; ; page++ {
		pageIDs, more, err := next(ctx)
		if err != nil {
			return rows, false, err
		}
		cs, err := w.Contacts.GetMany(ctx, caller.Workspace, pageIDs)
		if err != nil {
			return rows, false, err
		}
		if err := w.companyNames(ctx, caller.Workspace, cs, columns); err != nil {
			return rows, false, err
		}
		for _, c := range cs {
			if !scope.Sees(c) {
				continue
			}
			if format == XLSX && rows >= MaxXLSXRows {
				return rows, false, errs.E(errs.TooLarge, "export_too_many_rows_for_xlsx").With("max", strconv.Itoa(MaxXLSXRows))
			}
			if err := rw.Write(cells(c, columns, catalog)); err != nil {
				return rows, false, err
			}
			rows++
		}
		if page%10 == 9 || !more {
			cur, err := w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
				j.Processed, j.UpdatedAt = rows, w.Clock.Now()
				return nil
			})
			if err != nil {
				return rows, false, err
			}
			if cur.Cancel {
				return rows, true, nil
			}
		}
		if !more {
			return rows, false, rw.Close()
		}
	}
}

// companyNames sets the names of a page's linked companies, when the
// export has the companyName column: one BatchGetItem for the page's
// distinct companies (a page is at most 100 contacts), none when no
// contact of the page is linked.
func (w *Worker) companyNames(ctx context.Context, ws string, cs []*contact.Contact, columns []string) error {
	if w.Companies == nil || !slices.Contains(columns, "companyName") {
		return nil
	}
	var linked []string
	for _, c := range cs {
		if c.CompanyID != "" && !slices.Contains(linked, c.CompanyID) {
			linked = append(linked, c.CompanyID)
		}
	}
	if len(linked) == 0 {
		return nil
	}
	names, err := w.Companies.Names(ctx, ws, linked)
	if err != nil {
		return fmt.Errorf("export: names of the page's companies: %w", err)
	}
	for _, c := range cs {
		c.CompanyName = names[c.CompanyID]
	}
	return nil
}

// pages returns the export's pages of contact ids, size at a time: the
// selection's ids in their order, or the filter's list.
func (w *Worker) pages(j *jobs.Job, f search.Filter, size int) func(ctx context.Context) ([]string, bool, error) {
	if sel := j.Params["ids"]; sel != "" {
		rest := strings.Split(sel, ",")
		return func(context.Context) ([]string, bool, error) {
			page := rest[:min(size, len(rest))]
			rest = rest[len(page):]
			return page, len(rest) > 0, nil
		}
	}
	after := ""
	return func(ctx context.Context) ([]string, bool, error) {
		p, err := w.Search.Page(ctx, f, after, size)
		if err != nil {
			return nil, false, err
		}
		list := make([]string, len(p.Items))
		for i, it := range p.Items {
			list[i] = it.ID
		}
		after = p.Last
		return list, p.More, nil
	}
}

// cells is a contact's row.
func cells(c *contact.Contact, columns []string, catalog map[string]contact.TagRef) []string {
	out := make([]string, len(columns))
	for i, col := range columns {
		if key, ok := strings.CutPrefix(col, "customFields."); ok {
			out[i] = customCell(c.CustomFields[key])
			continue
		}
		if col == "tags" {
			var names []string
			for _, id := range c.TagIDs {
				if t, ok := catalog[id]; ok {
					names = append(names, t.Name)
				}
			}
			out[i] = strings.Join(names, ", ")
			continue
		}
		if f, ok := contact.FieldNamed(col); ok && f.Cell != nil {
			out[i] = f.Cell(c)
		}
	}
	return out
}

func customCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ", ")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func (w *Worker) fail(ctx context.Context, j *jobs.Job, reason string) error {
	_, err := w.Jobs.Update(ctx, j.Workspace, j.ID, func(j *jobs.Job) error {
		j.Status, j.Error, j.UpdatedAt = jobs.Failed, reason, w.Clock.Now()
		return nil
	})
	return err
}
