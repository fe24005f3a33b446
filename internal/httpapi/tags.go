package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/idem"
	"github.com/omnichannel/contacts/internal/tag"
)

// TagRoutes returns the routes of the tags function.
func TagRoutes(svc *tag.Service, keys idem.Store) []Route {
	h := tagHandlers{svc: svc}
	return []Route{
		{Key: "GET /v1/tags", Handle: h.list},
		{Key: "POST /v1/tags", Handle: idempotent(keys, h.create)},
		{Key: "PATCH /v1/tags/{id}", Handle: h.update},
		{Key: "DELETE /v1/tags/{id}", Handle: h.delete},
		{Key: "POST /v1/contacts/{id}/tags", Handle: h.assign},
		{Key: "DELETE /v1/contacts/{id}/tags/{tagId}", Handle: h.unassign},
		{Key: "POST /v1/contacts/tags", Handle: h.bulk},
	}
}

type tagHandlers struct{ svc *tag.Service }

// CatalogTagJSON is a tag of the catalogue.
type CatalogTagJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Color     string `json:"color"`
	CreatedAt string `json:"createdAt"`
	Version   int    `json:"version"`
}

func catalogTagView(t *tag.Tag) CatalogTagJSON {
	return CatalogTagJSON{ID: t.ID, Name: t.Name, Color: t.Color, CreatedAt: timestamp(t.CreatedAt), Version: t.Version}
}

func (h tagHandlers) list(ctx context.Context, r *Request) (Response, error) {
	list, err := h.svc.List(ctx, r.Caller)
	if err != nil {
		return Response{}, err
	}
	page := PageJSON[CatalogTagJSON]{Items: make([]CatalogTagJSON, 0, len(list))}
	for i := range list {
		page.Items = append(page.Items, catalogTagView(&list[i]))
	}
	return JSON(http.StatusOK, page), nil
}

func (h tagHandlers) create(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	t, err := h.svc.Create(ctx, r.Caller, doc)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusCreated, catalogTagView(t), "Location", "/v1/tags/"+t.ID, "ETag", ETag(t.Version)), nil
}

func (h tagHandlers) update(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	var t *tag.Tag
	err = conditional(r, func(version int) (err error) {
		t, err = h.svc.Update(ctx, r.Caller, r.Path("id"), version, doc)
		return err
	})
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, catalogTagView(t), "ETag", ETag(t.Version)), nil
}

func (h tagHandlers) delete(ctx context.Context, r *Request) (Response, error) {
	err := conditional(r, func(version int) error {
		return h.svc.Delete(ctx, r.Caller, r.Path("id"), version)
	})
	if err != nil {
		return Response{}, err
	}
	return NoContent(), nil
}

func (h tagHandlers) assign(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	refs, err := list(doc, "tags", true)
	if err != nil {
		return Response{}, err
	}
	c, err := h.svc.Assign(ctx, r.Caller, r.Path("id"), refs)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, contactView(c), "ETag", ETag(c.Version)), nil
}

func (h tagHandlers) unassign(ctx context.Context, r *Request) (Response, error) {
	c, err := h.svc.Unassign(ctx, r.Caller, r.Path("id"), r.Path("tagId"))
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, contactView(c), "ETag", ETag(c.Version)), nil
}

// BulkResultJSON is the outcome of a bulk change on one contact.
type BulkResultJSON struct {
	ContactID string `json:"contactId"`
	Status    int    `json:"status"`
	Code      string `json:"code,omitempty"`
}

func (h tagHandlers) bulk(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	var problems []errs.FieldError
	for k := range doc {
		if k != "contactIds" && k != "add" && k != "remove" {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	rawIDs, err1 := list(doc, "contactIds", true)
	add, err2 := list(doc, "add", false)
	remove, err3 := list(doc, "remove", false)
	for _, e := range []error{err1, err2, err3} {
		if e != nil {
			problems = append(problems, errs.As(e).Fields...)
		}
	}
	var ids []string
	for i, v := range rawIDs {
		s, ok := v.(string)
		if !ok {
			problems = append(problems, errs.Field(fmt.Sprintf("contactIds[%d]", i), "invalid_type", "type", "string"))
		}
		ids = append(ids, s)
	}
	if len(problems) > 0 {
		return Response{}, errs.Validation(problems)
	}
	results, err := h.svc.Bulk(ctx, r.Caller, ids, add, remove)
	if err != nil {
		return Response{}, err
	}
	out := struct {
		Results []BulkResultJSON `json:"results"`
	}{Results: make([]BulkResultJSON, 0, len(results))}
	for _, res := range results {
		j := BulkResultJSON{ContactID: res.ContactID, Status: http.StatusOK}
		if res.Err != nil {
			e := errs.As(res.Err)
			j.Status, j.Code = statusOf[e.Kind], e.Code
		}
		out.Results = append(out.Results, j)
	}
	return JSON(http.StatusOK, out), nil
}

// list reads doc[field] as a JSON array.
func list(doc map[string]any, field string, required bool) ([]any, error) {
	v, ok := doc[field]
	if !ok || v == nil {
		if required {
			return nil, errs.Validation([]errs.FieldError{errs.Field(field, "required")})
		}
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, errs.Validation([]errs.FieldError{errs.Field(field, "invalid_type", "type", "array")})
	}
	return l, nil
}
