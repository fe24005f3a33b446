package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/tenant"
)

// fieldSettingsHandlers answer GET and PUT of one entity's custom field
// definitions (/v1/contact-fields, /v1/company-fields).
type fieldSettingsHandlers struct {
	read func(ctx context.Context, caller tenant.Caller) (contact.FieldSettings, error)
	save func(ctx context.Context, caller tenant.Caller, ifVersion int, doc map[string]any) (contact.FieldSettings, error)
}

func (h fieldSettingsHandlers) get(ctx context.Context, r *Request) (Response, error) {
	fs, err := h.read(ctx, r.Caller)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, fieldSettingsView(fs), "ETag", ETag(fs.Version)), nil
}

func (h fieldSettingsHandlers) put(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	var fs contact.FieldSettings
	err = conditional(r, func(version int) (err error) {
		fs, err = h.save(ctx, r.Caller, version, doc)
		return err
	})
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, fieldSettingsView(fs), "ETag", ETag(fs.Version)), nil
}
