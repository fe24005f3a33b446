package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/idem"
)

// CompanyTimelineRoutes returns the timeline routes of the companies
// function: a company's timeline and its notes.
func CompanyTimelineRoutes(svc *company.Service, store company.TimelineStore, cursors *cursor.Codec, keys idem.Store) []Route {
	h := companyTimelineHandlers{svc: svc, store: store, cursors: cursors}
	return []Route{
		{Key: "GET /v1/companies/{id}/timeline", Handle: h.list},
		{Key: "POST /v1/companies/{id}/notes", Handle: idempotent(keys, h.note)},
	}
}

type companyTimelineHandlers struct {
	svc     *company.Service
	store   company.TimelineStore
	cursors *cursor.Codec
}

func (h companyTimelineHandlers) list(ctx context.Context, r *Request) (Response, error) {
	id := r.Path("id")
	return timelinePage(r, h.cursors, "company-timeline:"+id, func(before string, limit int) (contact.TimelinePage, error) {
		return h.svc.Timeline(ctx, r.Caller, h.store, id, before, limit)
	})
}

func (h companyTimelineHandlers) note(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	e, err := h.svc.AddNote(ctx, r.Caller, h.store, r.Path("id"), doc)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusCreated, entryView(e)), nil
}
