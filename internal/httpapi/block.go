package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/contact"
)

// BlockRoutes returns the routes of the block function.
func BlockRoutes(svc *contact.Service, fx contact.BlockEffects) []Route {
	h := blockHandlers{svc: svc, fx: fx}
	return []Route{
		{Key: "POST /v1/contacts/{id}/block", Handle: h.block},
		{Key: "POST /v1/contacts/{id}/unblock", Handle: h.unblock},
	}
}

type blockHandlers struct {
	svc *contact.Service
	fx  contact.BlockEffects
}

func (h blockHandlers) block(ctx context.Context, r *Request) (Response, error) {
	c, err := h.svc.Block(ctx, r.Caller, h.fx, r.Path("id"))
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, contactView(c), "ETag", ETag(c.Version)), nil
}

func (h blockHandlers) unblock(ctx context.Context, r *Request) (Response, error) {
	c, err := h.svc.Unblock(ctx, r.Caller, h.fx, r.Path("id"))
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, contactView(c), "ETag", ETag(c.Version)), nil
}
