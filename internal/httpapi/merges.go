package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/merge"
)

// MergeRoutes returns the routes of the merge function.
func MergeRoutes(svc *merge.Service, cursors *cursor.Codec) []Route {
	h := mergeHandlers{svc: svc, cursors: cursors}
	return []Route{
		{Key: "POST /v1/contacts/{id}/merge", Handle: h.merge},
		{Key: "POST /v1/merges/{mergeId}/undo", Handle: h.undo},
		{Key: "POST /v1/merges/{mergeId}/resume", Handle: h.resume},
		{Key: "GET /v1/merges/{mergeId}", Handle: h.get},
		{Key: "GET /v1/merges", Handle: h.list},
	}
}

type mergeHandlers struct {
	svc     *merge.Service
	cursors *cursor.Codec
}

// MergeJSON is a merge record.
type MergeJSON struct {
	ID        string   `json:"id"`
	TargetID  string   `json:"targetId"`
	SourceIDs []string `json:"sourceIds"`
	Fields    []string `json:"fields"`
	Status    string   `json:"status"`
	Steps     bool     `json:"steps"`
	Moved     int      `json:"movedItems"`
	Actor     string   `json:"actor"`
	CreatedAt string   `json:"createdAt"`
	UndoneBy  *string  `json:"undoneBy"`
	UndoneAt  *string  `json:"undoneAt"`
}

func mergeView(r merge.Record) MergeJSON {
	v := MergeJSON{
		ID: r.ID, TargetID: r.TargetID, SourceIDs: r.SourceIDs, Fields: r.Fields, Status: r.Status,
		Steps: r.Steps, Moved: r.Moved, Actor: r.Actor, CreatedAt: timestamp(r.At), UndoneBy: opt(r.UndoneBy),
	}
	if v.Fields == nil {
		v.Fields = []string{}
	}
	if !r.UndoneAt.IsZero() {
		v.UndoneAt = opt(timestamp(r.UndoneAt))
	}
	return v
}

func (h mergeHandlers) merge(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	rec, err := h.svc.Merge(ctx, r.Caller, r.Path("id"), doc)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, mergeView(rec), "Location", "/v1/merges/"+rec.ID), nil
}

func (h mergeHandlers) undo(ctx context.Context, r *Request) (Response, error) {
	rec, err := h.svc.Undo(ctx, r.Caller, r.Path("mergeId"))
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, mergeView(rec)), nil
}

func (h mergeHandlers) resume(ctx context.Context, r *Request) (Response, error) {
	rec, err := h.svc.Resume(ctx, r.Caller, r.Path("mergeId"))
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, mergeView(rec)), nil
}

func (h mergeHandlers) get(ctx context.Context, r *Request) (Response, error) {
	rec, err := h.svc.Record(ctx, r.Caller, r.Path("mergeId"))
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, mergeView(rec)), nil
}

func (h mergeHandlers) list(ctx context.Context, r *Request) (Response, error) {
	limit, before, err := pageParams(r, h.cursors, "merges")
	if err != nil {
		return Response{}, err
	}
	list, more, err := h.svc.History(ctx, r.Caller, before, limit)
	if err != nil {
		return Response{}, err
	}
	out := PageJSON[MergeJSON]{Items: make([]MergeJSON, 0, len(list))}
	for _, rec := range list {
		out.Items = append(out.Items, mergeView(rec))
	}
	if more {
		out.NextCursor = h.cursors.Encode(r.Caller.Workspace, "merges", []byte(list[len(list)-1].ID), 0)
	}
	return JSON(http.StatusOK, out), nil
}
