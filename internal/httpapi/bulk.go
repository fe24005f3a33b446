package httpapi

import (
	"context"

	"github.com/omnichannel/contacts/internal/bulk"
)

// BulkDeleteRoutes returns the bulk delete route of the jobs function.
func BulkDeleteRoutes(svc *bulk.Service) []Route {
	return []Route{{Key: "POST /v1/contacts/bulk-delete", Handle: func(ctx context.Context, r *Request) (Response, error) {
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
