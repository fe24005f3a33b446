package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/export"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
)

// JobLinks gives the presigned URLs of a job's files ("errorReport",
// "download"); nil gives none. The job routes call it only for a caller
// the job's files are visible to (jobs.Service.FilesVisible).
type JobLinks func(ctx context.Context, j *jobs.Job) (map[string]string, error)

// JobRoutes returns the job routes of the jobs function.
func JobRoutes(svc *jobs.Service, cursors *cursor.Codec, links JobLinks) []Route {
	h := jobHandlers{svc: svc, cursors: cursors, links: links}
	return []Route{
		{Key: "GET /v1/jobs/{id}", Handle: h.get},
		{Key: "GET /v1/jobs", Handle: h.list},
		{Key: "POST /v1/jobs/{id}/cancel", Handle: h.cancel},
	}
}

type jobHandlers struct {
	svc     *jobs.Service
	cursors *cursor.Codec
	links   JobLinks
}

// JobJSON is a job as a front end draws it.
type JobJSON struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Status    string         `json:"status"`
	Progress  ProgressJSON   `json:"progress"`
	Counts    map[string]int `json:"counts"`
	Error     *string        `json:"error"`
	Cancel    bool           `json:"cancelRequested"`
	CreatedBy string         `json:"createdBy"`
	CreatedAt string         `json:"createdAt"`
	UpdatedAt string         `json:"updatedAt"`
	// ErrorReportURL (imports with failed rows) and DownloadURL (exports)
	// are presigned, valid for an hour from the response.
	ErrorReportURL *string `json:"errorReportUrl,omitempty"`
	DownloadURL    *string `json:"downloadUrl,omitempty"`
	// IgnoredColumns (imports) are the file's columns no field took.
	IgnoredColumns *string `json:"ignoredColumns,omitempty"`
}

// ProgressJSON is how far a job got.
type ProgressJSON struct {
	Processed int `json:"processed"`
	Total     int `json:"total"`
}

func jobView(j *jobs.Job) JobJSON {
	return JobJSON{
		ID: j.ID, Type: j.Type, Status: j.Status, Progress: ProgressJSON{Processed: j.Processed, Total: j.Total},
		Counts: j.Counts, Error: opt(j.Error), Cancel: j.Cancel, CreatedBy: j.CreatedBy,
		CreatedAt: timestamp(j.CreatedAt), UpdatedAt: timestamp(j.UpdatedAt),
	}
}

// Accepted is the 202 of work started in the background.
func Accepted(j *jobs.Job) Response {
	return JSON(http.StatusAccepted, map[string]string{"jobId": j.ID}, "Location", "/v1/jobs/"+j.ID)
}

func (h jobHandlers) get(ctx context.Context, r *Request) (Response, error) {
	j, err := h.svc.Get(ctx, r.Caller, r.Path("id"))
	return h.one(ctx, r, j, err)
}

// one answers a job read or changed, or the error of doing so.
func (h jobHandlers) one(ctx context.Context, r *Request, j *jobs.Job, err error) (Response, error) {
	if err != nil {
		return Response{}, err
	}
	visible, err := h.svc.FilesVisible(ctx, r.Caller, j)
	if err != nil {
		return Response{}, err
	}
	v, err := h.view(ctx, j, visible[0])
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, v, "ETag", ETag(j.Version)), nil
}

// view is a job as the caller may see it: with what its files hold (the
// links, the file's ignored columns) only when they are visible to the
// caller (visible: jobs.Service.FilesVisible).
func (h jobHandlers) view(ctx context.Context, j *jobs.Job, visible bool) (JobJSON, error) {
	v := jobView(j)
	if !visible {
		return v, nil
	}
	if cols := j.Params["ignoredColumns"]; cols != "" {
		v.IgnoredColumns = &cols
	}
	if h.links == nil {
		return v, nil
	}
	links, err := h.links(ctx, j)
	if err != nil {
		return v, err
	}
	if u, ok := links["errorReport"]; ok {
		v.ErrorReportURL = &u
	}
	if u, ok := links["download"]; ok {
		v.DownloadURL = &u
	}
	return v, nil
}

func (h jobHandlers) list(ctx context.Context, r *Request) (Response, error) {
	limit, before, err := pageParams(r, h.cursors, "jobs")
	if err != nil {
		return Response{}, err
	}
	list, more, err := h.svc.List(ctx, r.Caller, before, limit)
	if err != nil {
		return Response{}, err
	}
	visible, err := h.svc.FilesVisible(ctx, r.Caller, list...)
	if err != nil {
		return Response{}, err
	}
	out := PageJSON[JobJSON]{Items: make([]JobJSON, 0, len(list))}
	for i, j := range list {
		v, err := h.view(ctx, j, visible[i])
		if err != nil {
			return Response{}, err
		}
		out.Items = append(out.Items, v)
	}
	if more {
		out.NextCursor = h.cursors.Encode(r.Caller.Workspace, "jobs", []byte(list[len(list)-1].ID), 0)
	}
	return JSON(http.StatusOK, out), nil
}

func (h jobHandlers) cancel(ctx context.Context, r *Request) (Response, error) {
	j, err := h.svc.Cancel(ctx, r.Caller, r.Path("id"))
	return h.one(ctx, r, j, err)
}

// ImportRoutes returns the import route of the jobs function.
func ImportRoutes(svc *importer.Service) []Route {
	return []Route{{Key: "POST /v1/imports", Handle: func(ctx context.Context, r *Request) (Response, error) {
		doc, err := r.DecodeObject()
		if err != nil {
			return Response{}, err
		}
		j, up, err := svc.Start(ctx, r.Caller, r.Lang, doc)
		if err != nil {
			return Response{}, err
		}
		body := map[string]any{"jobId": j.ID, "upload": map[string]any{"url": up.URL, "method": up.Method, "headers": up.Headers, "fields": up.Fields}}
		return JSON(http.StatusCreated, body, "Location", "/v1/jobs/"+j.ID), nil
	}}}
}

// ExportRoutes returns the export route of the jobs function.
func ExportRoutes(svc *export.Service) []Route {
	// A selection of export.MaxIDs ids of 26 characters, quoted, with commas.
	maxBody := export.MaxIDs*30 + DefaultMaxBody
	return []Route{{Key: "POST /v1/exports", MaxBody: maxBody, Handle: func(ctx context.Context, r *Request) (Response, error) {
		doc, err := r.DecodeObject()
		if err != nil {
			return Response{}, err
		}
		j, err := svc.Start(ctx, r.Caller, doc)
		if err != nil {
			return Response{}, err
		}
		return Accepted(j), nil
	}}}
}
