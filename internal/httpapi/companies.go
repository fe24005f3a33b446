package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/idem"
	"github.com/omnichannel/contacts/internal/jobs"
)

// CompanyRoutes returns the routes of the companies function.
func CompanyRoutes(svc *company.Service, keys idem.Store) []Route {
	h := companyHandlers{svc: svc}
	fields := fieldSettingsHandlers{read: svc.Fields, save: svc.SetFields}
	return []Route{
		{Key: "POST /v1/companies", Handle: idempotent(keys, h.create)},
		{Key: "GET /v1/companies", Handle: h.list},
		{Key: "GET /v1/companies/{id}", Handle: h.get},
		{Key: "PATCH /v1/companies/{id}", Handle: h.update},
		{Key: "DELETE /v1/companies/{id}", Handle: h.delete},
		{Key: "GET /v1/companies/{id}/contacts", Handle: h.contacts},
		{Key: "POST /v1/companies/{id}/contacts", Handle: h.link},
		{Key: "GET /v1/company-fields", Handle: fields.get},
		{Key: "PUT /v1/company-fields", Handle: fields.put},
	}
}

type companyHandlers struct{ svc *company.Service }

// AddressJSON is a company's postal address.
type AddressJSON struct {
	Street     string `json:"street,omitempty"`
	Number     string `json:"number,omitempty"`
	Complement string `json:"complement,omitempty"`
	District   string `json:"district,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
}

// CompanyJSON is a company as the API shows it.
type CompanyJSON struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	TaxID     string       `json:"taxId,omitempty"`
	Domain    string       `json:"domain,omitempty"`
	Phone     string       `json:"phone,omitempty"`
	Email     string       `json:"email,omitempty"`
	Address   *AddressJSON `json:"address,omitempty"`
	OwnerID   string       `json:"ownerId,omitempty"`
	CreatedAt string       `json:"createdAt"`
	CreatedBy string       `json:"createdBy"`
	UpdatedAt string       `json:"updatedAt"`
	UpdatedBy string       `json:"updatedBy"`
	Version   int          `json:"version"`

	Tags []TagJSON `json:"tags"`
	// CustomFields are shown when the company has any; list rows leave
	// them out (GET the company).
	CustomFields map[string]any `json:"customFields,omitempty"`
}

func companyView(c *company.Company) CompanyJSON {
	out := CompanyJSON{ID: c.ID, Name: c.Name, TaxID: c.TaxID, Domain: c.Domain, Phone: c.Phone, Email: c.Email, OwnerID: c.OwnerID,
		CreatedAt: timestamp(c.CreatedAt), CreatedBy: c.CreatedBy, UpdatedAt: timestamp(c.UpdatedAt), UpdatedBy: c.UpdatedBy, Version: c.Version}
	out.Tags, out.CustomFields = tagsView(c.Tags), c.CustomFields
	if a := c.Address; a != (company.Address{}) {
		out.Address = &AddressJSON{Street: a.Street, Number: a.Number, Complement: a.Complement, District: a.District,
			City: a.City, State: a.State, PostalCode: a.PostalCode, Country: a.Country}
	}
	return out
}

func (h companyHandlers) create(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	c, err := h.svc.Create(ctx, r.Caller, doc)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusCreated, companyView(c), "Location", "/v1/companies/"+c.ID, "ETag", ETag(c.Version)), nil
}

func (h companyHandlers) get(ctx context.Context, r *Request) (Response, error) {
	c, err := h.svc.Get(ctx, r.Caller, r.Path("id"))
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, companyView(c), "ETag", ETag(c.Version)), nil
}

func (h companyHandlers) update(ctx context.Context, r *Request) (Response, error) {
	patch, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	var c *company.Company
	err = conditional(r, func(version int) (err error) {
		c, err = h.svc.Update(ctx, r.Caller, r.Path("id"), version, patch)
		return err
	})
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, companyView(c), "ETag", ETag(c.Version)), nil
}

// delete answers 204 when the company's contacts were unlinked in the
// request, 202 with the company_unlink job that unlinks them otherwise.
func (h companyHandlers) delete(ctx context.Context, r *Request) (Response, error) {
	var j *jobs.Job
	err := conditional(r, func(version int) (err error) {
		j, err = h.svc.Delete(ctx, r.Caller, r.Path("id"), version)
		return err
	})
	switch {
	case err != nil:
		return Response{}, err
	case j != nil:
		return Accepted(j), nil
	}
	return NoContent(), nil
}

func (h companyHandlers) list(ctx context.Context, r *Request) (Response, error) {
	res, err := h.svc.List(ctx, r.Caller, r.Event.QueryStringParameters)
	if err != nil {
		return Response{}, err
	}
	page := PageJSON[CompanyJSON]{Items: make([]CompanyJSON, 0, len(res.Companies)), NextCursor: res.NextCursor}
	for i := range res.Companies {
		page.Items = append(page.Items, companyView(&res.Companies[i]))
	}
	return JSON(http.StatusOK, page), nil
}

func (h companyHandlers) contacts(ctx context.Context, r *Request) (Response, error) {
	res, err := h.svc.Contacts(ctx, r.Caller, r.Path("id"), r.Event.QueryStringParameters)
	if err != nil {
		return Response{}, err
	}
	page := PageJSON[SummaryJSON]{Items: make([]SummaryJSON, 0, len(res.Items)), NextCursor: res.NextCursor}
	for _, s := range res.Items {
		page.Items = append(page.Items, summaryView(s))
	}
	return JSON(http.StatusOK, page), nil
}

func (h companyHandlers) link(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	results, err := h.svc.Link(ctx, r.Caller, r.Path("id"), doc)
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
			if e.Kind == errs.Internal {
				return Response{}, res.Err
			}
			j.Status, j.Code = statusOf[e.Kind], e.Code
		}
		out.Results = append(out.Results, j)
	}
	return JSON(http.StatusOK, out), nil
}
