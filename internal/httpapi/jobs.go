package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/jobs"
)

// JobRoutes returns the job routes of the jobs function.
func JobRoutes(svc *jobs.Service, cursors *cursor.Codec) []Route {
	h := jobHandlers{svc: svc, cursors: cursors}
	return []Route{
		{Key: "GET /v1/jobs/{id}", Handle: h.get},
		{Key: "GET /v1/jobs", Handle: h.list},
		{Key: "POST /v1/jobs/{id}/cancel", Handle: h.cancel},
	}
}

type jobHandlers struct {
	svc     *jobs.Service
	cursors *cursor.Codec
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
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, jobView(j), "ETag", ETag(j.Version)), nil
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
	out := PageJSON[JobJSON]{Items: make([]JobJSON, 0, len(list))}
	for _, j := range list {
		out.Items = append(out.Items, jobView(j))
	}
	if more {
		out.NextCursor = h.cursors.Encode(r.Caller.Workspace, "jobs", []byte(list[len(list)-1].ID), 0)
	}
	return JSON(http.StatusOK, out), nil
}

func (h jobHandlers) cancel(ctx context.Context, r *Request) (Response, error) {
	j, err := h.svc.Cancel(ctx, r.Caller, r.Path("id"))
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, jobView(j), "ETag", ETag(j.Version)), nil
}
