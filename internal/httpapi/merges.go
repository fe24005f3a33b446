package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/merge"
)

// MergeRoutes returns the routes of the merge function.
func MergeRoutes(svc *merge.Service, index merge.DuplicateIndex, cursors *cursor.Codec, js *jobs.Service, queue jobs.Queue) []Route {
	h := mergeHandlers{svc: svc, index: index, cursors: cursors, jobs: js, queue: queue}
	return []Route{
		{Key: "POST /v1/duplicates/remove", Handle: h.removeDuplicates},
		{Key: "GET /v1/merge-suggestions", Handle: h.suggestions},
		{Key: "POST /v1/merge-suggestions/dismiss", Handle: h.dismiss},
		{Key: "POST /v1/contacts/{id}/merge", Handle: h.merge},
		{Key: "POST /v1/merges/{mergeId}/undo", Handle: h.undo},
		{Key: "POST /v1/merges/{mergeId}/resume", Handle: h.resume},
		{Key: "GET /v1/merges/{mergeId}", Handle: h.get},
		{Key: "GET /v1/merges", Handle: h.list},
	}
}

type mergeHandlers struct {
	svc     *merge.Service
	index   merge.DuplicateIndex
	cursors *cursor.Codec
	jobs    *jobs.Service
	queue   jobs.Queue
}

func (h mergeHandlers) removeDuplicates(ctx context.Context, r *Request) (Response, error) {
	j, err := h.svc.StartRemoveDuplicates(ctx, r.Caller, h.jobs, h.queue)
	if err != nil {
		return Response{}, err
	}
	return Accepted(j), nil
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

// SuggestionJSON is a merge suggestion: contacts sharing a phone or email.
type SuggestionJSON struct {
	ID         string                 `json:"id"`
	Kind       string                 `json:"kind"`
	Value      string                 `json:"value"`
	Generation int                    `json:"generation"`
	Contacts   []SuggestedContactJSON `json:"contacts"`
}

// SuggestedContactJSON is a contact of a suggestion, as a card shows it.
type SuggestedContactJSON struct {
	ID        string  `json:"id"`
	Name      *string `json:"name"`
	Phone     *string `json:"phone"`
	Email     *string `json:"email"`
	CreatedAt string  `json:"createdAt"`
}

func suggestionView(sg merge.Suggestion) SuggestionJSON {
	v := SuggestionJSON{ID: sg.ID, Kind: sg.Kind, Value: sg.Value, Generation: sg.Generation, Contacts: []SuggestedContactJSON{}}
	for _, c := range sg.Contacts {
		v.Contacts = append(v.Contacts, SuggestedContactJSON{ID: c.ID, Name: opt(c.Name), Phone: opt(c.Phone), Email: opt(c.Email), CreatedAt: timestamp(c.CreatedAt)})
	}
	return v
}

func (h mergeHandlers) suggestions(ctx context.Context, r *Request) (Response, error) {
	out := PageJSON[SuggestionJSON]{Items: []SuggestionJSON{}}
	if id := r.Event.QueryStringParameters["contactId"]; id != "" {
		list, err := h.svc.ContactSuggestions(ctx, r.Caller, h.index, id)
		if err != nil {
			return Response{}, err
		}
		for _, sg := range list {
			out.Items = append(out.Items, suggestionView(sg))
		}
		return JSON(http.StatusOK, out), nil
	}
	limit, after, err := pageParams(r, h.cursors, "merge-suggestions")
	if err != nil {
		return Response{}, err
	}
	list, next, err := h.svc.Suggestions(ctx, r.Caller, h.index, after, min(limit, merge.MaxSuggestionsPage))
	if err != nil {
		return Response{}, err
	}
	for _, sg := range list {
		out.Items = append(out.Items, suggestionView(sg))
	}
	if next != "" {
		out.NextCursor = h.cursors.Encode(r.Caller.Workspace, "merge-suggestions", []byte(next), 0)
	}
	return JSON(http.StatusOK, out), nil
}

func (h mergeHandlers) dismiss(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	if err := h.svc.Dismiss(ctx, r.Caller, h.index, doc); err != nil {
		return Response{}, err
	}
	return NoContent(), nil
}
