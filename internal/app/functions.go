package app

import (
	"context"
	"io"
	"os"
	"slices"
	"time"

	"github.com/omnichannel/contacts/internal/app/cursorsecret"
	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/export"
	"github.com/omnichannel/contacts/internal/httpapi"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/lambdaevents"
	"github.com/omnichannel/contacts/internal/merge"
	"github.com/omnichannel/contacts/internal/queue"
	"github.com/omnichannel/contacts/internal/s3files"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/sheets"
	"github.com/omnichannel/contacts/internal/tag"
)

// api returns the HTTP API handler of routes, with the claim names of the
// template's parameters.
func (d *Deps) api(routes ...[]httpapi.Route) any {
	return httpapi.New(httpapi.Config{
		WorkspaceClaim: os.Getenv("WORKSPACE_CLAIM"),
		RoleClaim:      os.Getenv("ROLE_CLAIM"),
		Logger:         d.Log,
	}, slices.Concat(routes...)...).Handle
}

// finder returns the list and search service; cursors may be nil for
// workers that walk filters without cursors.
func (d *Deps) finder(cursors *cursor.Codec) *search.Service {
	return &search.Service{
		Index:      d.search(),
		Contacts:   d.People,
		Workspaces: d.People.Workspaces,
		Tags:       d.Tags,
		Cursors:    cursors,
	}
}

func (d *Deps) search() *dynamo.Search { return &dynamo.Search{Client: d.DB, Table: d.Table} }
func (d *Deps) jobStore() *dynamo.Jobs { return &dynamo.Jobs{Client: d.DB, Table: d.Table} }
func (d *Deps) merges() *merge.Service {
	return &merge.Service{People: d.People, Store: &dynamo.Merges{Client: d.DB, Table: d.Table}}
}
func (d *Deps) tags() *tag.Service {
	return &tag.Service{Tags: d.Tags, Contacts: d.Contacts, People: d.People}
}
func (d *Deps) jobQueue(url string) *queue.JobQueue {
	return &queue.JobQueue{Client: d.SQS, QueueURL: url}
}

// Contacts is the contacts function: CRUD and the timeline.
func Contacts(ctx context.Context, d *Deps) (any, error) {
	cursors, err := cursorsecret.Codec(ctx, d.AWS)
	if err != nil {
		return nil, err
	}
	return d.api(httpapi.ContactRoutes(d.People), httpapi.TimelineRoutes(d.People, d.Contacts, cursors, d.Keys)), nil
}

// Search is the search function: lists and search.
func Search(ctx context.Context, d *Deps) (any, error) {
	cursors, err := cursorsecret.Codec(ctx, d.AWS)
	if err != nil {
		return nil, err
	}
	return d.api(httpapi.SearchRoutes(d.finder(cursors))), nil
}

// Tags is the tags function: the catalogue and tagging.
func Tags(_ context.Context, d *Deps) (any, error) {
	return d.api(httpapi.TagRoutes(d.tags(), d.Keys)), nil
}

// Block is the block function: blocking and unblocking, which publish events.
func Block(_ context.Context, d *Deps) (any, error) {
	url, err := Env("CONTACT_EVENTS_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	fx := contact.BlockEffects{Events: &queue.Publisher{Client: d.SQS, QueueURL: url}, Conversations: d.Conversations}
	return d.api(httpapi.BlockRoutes(d.People, fx)), nil
}

// Conversations is the conversations function: channels, templates and
// conversation start.
func Conversations(ctx context.Context, d *Deps) (any, error) {
	cursors, err := cursorsecret.Codec(ctx, d.AWS)
	if err != nil {
		return nil, err
	}
	url, err := Env("OUTBOUND_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	svc := &conversation.Service{People: d.People, Store: d.Conversations, Outbound: &queue.Publisher{Client: d.SQS, QueueURL: url}}
	return d.api(httpapi.ConversationRoutes(svc, cursors, d.Keys)), nil
}

// Inbound is the inbound function: the chat layer's events from SQS.
func Inbound(_ context.Context, d *Deps) (any, error) {
	svc := &conversation.Service{People: d.People, Store: d.Conversations}
	return lambdaevents.Batch(d.Log, lambdaevents.Inbound(svc)), nil
}

// Merge is the merge function: merges, undo, suggestions and starting
// remove-duplicates jobs.
func Merge(ctx context.Context, d *Deps) (any, error) {
	cursors, err := cursorsecret.Codec(ctx, d.AWS)
	if err != nil {
		return nil, err
	}
	url, err := Env("DUPLICATES_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	js := &jobs.Service{Store: d.jobStore()}
	return d.api(httpapi.MergeRoutes(d.merges(), d.Contacts, cursors, js, d.jobQueue(url))), nil
}

// Duplicates is the worker of remove-duplicates jobs.
func Duplicates(_ context.Context, d *Deps) (any, error) {
	url, err := Env("DUPLICATES_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	w := &merge.Worker{Merges: d.merges(), Index: d.Contacts, Jobs: d.jobStore(), Queue: d.jobQueue(url)}
	return lambdaevents.Batch(d.Log, lambdaevents.Duplicates{Worker: w}.Handle), nil
}

// BulkDelete is the worker of bulk delete jobs.
func BulkDelete(_ context.Context, d *Deps) (any, error) {
	url, err := Env("BULK_DELETE_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	w := &bulk.Worker{
		People: d.People, Search: d.finder(nil), Jobs: d.jobStore(),
		Batches: &dynamo.JobBatches{Client: d.DB, Table: d.Table},
		Queue:   &queue.BulkQueue{Client: d.SQS, QueueURL: url},
	}
	return lambdaevents.Batch(d.Log, lambdaevents.Bulk{Worker: w}.Handle), nil
}

// Export is the worker of export jobs.
func Export(_ context.Context, d *Deps) (any, error) {
	bucket, err := Env("EXPORT_BUCKET")
	if err != nil {
		return nil, err
	}
	w := &export.Worker{
		Search: d.finder(nil), People: d.People, Contacts: d.Contacts, Jobs: d.jobStore(),
		Files: s3files.New(d.S3, bucket),
		NewWriter: func(w io.Writer, format string, header []string) (export.RowWriter, error) {
			return sheets.NewWriter(w, sheets.Format(format), header)
		},
	}
	return lambdaevents.Batch(d.Log, lambdaevents.Export{Worker: w}.Handle), nil
}

// Import is the worker of import jobs: S3 notifications of landed files
// queue their job, SQS messages run it.
func Import(_ context.Context, d *Deps) (any, error) {
	env, err := Envs("IMPORT_BUCKET", "IMPORT_QUEUE_URL")
	if err != nil {
		return nil, err
	}
	w := &importer.Worker{
		People: d.People, Contacts: d.Contacts, Finder: d.search(), Tags: d.tags(), Jobs: d.jobStore(),
		Files:    s3files.New(d.S3, env["IMPORT_BUCKET"]),
		Failures: &dynamo.ImportFailures{Client: d.DB, Table: d.Table},
	}
	e := lambdaevents.Import{Events: &importer.Events{Worker: w, Queue: d.jobQueue(env["IMPORT_QUEUE_URL"])}}
	return e.Handler(d.Log), nil
}

// Jobs is the jobs function: starting imports, exports and bulk deletes,
// following and cancelling jobs.
func Jobs(ctx context.Context, d *Deps) (any, error) {
	cursors, err := cursorsecret.Codec(ctx, d.AWS)
	if err != nil {
		return nil, err
	}
	env, err := Envs("BULK_DELETE_QUEUE_URL", "EXPORT_QUEUE_URL", "IMPORT_BUCKET", "EXPORT_BUCKET")
	if err != nil {
		return nil, err
	}
	files := jobFiles{imports: s3files.New(d.S3, env["IMPORT_BUCKET"]), exports: s3files.New(d.S3, env["EXPORT_BUCKET"])}
	js := &jobs.Service{Store: d.jobStore()}
	deleter := &bulk.Service{
		Jobs: js, Search: d.finder(nil), Counter: d.search(),
		Batches: &dynamo.JobBatches{Client: d.DB, Table: d.Table},
		Queue:   &queue.BulkQueue{Client: d.SQS, QueueURL: env["BULK_DELETE_QUEUE_URL"]},
	}
	exporter := &export.Service{Jobs: js, Search: d.finder(nil), People: d.People, Queue: d.jobQueue(env["EXPORT_QUEUE_URL"])}
	importing := &importer.Service{Jobs: js, Uploads: files.imports}
	return d.api(httpapi.JobRoutes(js, cursors, files.links), httpapi.BulkDeleteRoutes(deleter),
		httpapi.ImportRoutes(importing), httpapi.ExportRoutes(exporter)), nil
}

// jobFiles hands out download links of a job's files: an import's error
// report and an export's file, valid for an hour.
type jobFiles struct{ imports, exports *s3files.Bucket }

func (f jobFiles) links(ctx context.Context, j *jobs.Job) (map[string]string, error) {
	out := map[string]string{}
	if key := j.Files["errorReport"]; key != "" {
		u, err := f.imports.DownloadURL(ctx, key, "erros-"+j.ID+".csv", time.Hour)
		if err != nil {
			return nil, err
		}
		out["errorReport"] = u
	}
	if key := j.Files["download"]; key != "" {
		u, err := f.exports.DownloadURL(ctx, key, "contatos-"+j.ID+"."+j.Params["format"], time.Hour)
		if err != nil {
			return nil, err
		}
		out["download"] = u
	}
	return out, nil
}
