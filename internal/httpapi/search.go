package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/search"
)

// SearchRoutes returns the routes of the search function.
func SearchRoutes(svc *search.Service) []Route {
	h := searchHandlers{svc: svc}
	return []Route{
		{Key: "GET /v1/contacts", Handle: h.list},
		{Key: "GET /v1/contacts/lookup", Handle: h.lookup},
		{Key: "GET /v1/contacts/count", Handle: h.count},
	}
}

// CountJSON is how many contacts a filter matches.
type CountJSON struct {
	Count int `json:"count"`
}

func (h searchHandlers) count(ctx context.Context, r *Request) (Response, error) {
	n, err := h.svc.Count(ctx, r.Caller, r.Event.QueryStringParameters)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, CountJSON{Count: n}), nil
}

type searchHandlers struct{ svc *search.Service }

// SummaryJSON is a contact as a list row shows it.
type SummaryJSON struct {
	ID             string    `json:"id"`
	Name           *string   `json:"name"`
	Phone          *string   `json:"phone"`
	Email          *string   `json:"email"`
	OwnerID        *string   `json:"ownerId"`
	AvatarURL      *string   `json:"avatarUrl"`
	TelegramID     *string   `json:"telegramId"`
	Tags           []TagJSON `json:"tags"`
	Blocked        bool      `json:"blocked"`
	PendingActions []string  `json:"pendingActions"`
	CreatedAt      string    `json:"createdAt"`
	LastActivityAt *string   `json:"lastActivityAt"`
	LastInboundAt  *string   `json:"lastInboundAt"`
	Kind           string    `json:"kind"`
	StartChannels  []string  `json:"startChannels"`
}

// PageJSON is one page of a list.
type PageJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
	// Partial: a list page cut short by its read budget; nextCursor goes on.
	Partial bool `json:"partial,omitempty"`
}

func (h searchHandlers) list(ctx context.Context, r *Request) (Response, error) {
	res, err := h.svc.List(ctx, r.Caller, r.Event.QueryStringParameters)
	if err != nil {
		return Response{}, err
	}
	page := PageJSON[SummaryJSON]{Items: make([]SummaryJSON, 0, len(res.Items)), NextCursor: res.NextCursor, Partial: res.Partial}
	for _, s := range res.Items {
		page.Items = append(page.Items, summaryView(s))
	}
	return JSON(http.StatusOK, page), nil
}

// summaryView is a list row as the API shows it.
func summaryView(s search.Summary) SummaryJSON {
	row := SummaryJSON{
		ID: s.ID, Name: opt(s.Name), Phone: opt(s.Phone), Email: opt(s.Email), OwnerID: opt(s.OwnerID),
		AvatarURL: opt(s.AvatarURL), TelegramID: opt(s.TelegramID), Tags: tagsView(s.Tags), Blocked: s.Blocked,
		PendingActions: []string{}, CreatedAt: timestamp(s.CreatedAt),
		LastActivityAt: opt(timestamp(s.LastActivityAt)), LastInboundAt: opt(timestamp(s.LastInboundAt)),
		Kind: string(s.Kind), StartChannels: s.StartChannels,
	}
	if row.StartChannels == nil {
		row.StartChannels = []string{}
	}
	if s.Pending {
		row.PendingActions = []string{contact.PendingAddPhoneOrEmail}
	}
	return row
}

func (h searchHandlers) lookup(ctx context.Context, r *Request) (Response, error) {
	found, err := h.svc.Lookup(ctx, r.Caller, r.Event.QueryStringParameters)
	if err != nil {
		return Response{}, err
	}
	page := PageJSON[ContactJSON]{Items: make([]ContactJSON, 0, len(found))}
	for _, c := range found {
		page.Items = append(page.Items, contactView(c))
	}
	return JSON(http.StatusOK, page), nil
}

func tagsView(tags []contact.TagRef) []TagJSON {
	out := make([]TagJSON, 0, len(tags))
	for _, t := range tags {
		out = append(out, TagJSON(t))
	}
	return out
}
