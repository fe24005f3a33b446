package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/idem"
	"github.com/omnichannel/contacts/internal/search"
)

// ConversationRoutes returns the routes of the conversations function.
func ConversationRoutes(svc *conversation.Service, cursors *cursor.Codec, keys idem.Store) []Route {
	h := conversationHandlers{svc: svc, cursors: cursors}
	return []Route{
		{Key: "GET /v1/contacts/{id}/channels", Handle: h.contactChannels},
		{Key: "DELETE /v1/contacts/{id}/channels/{channel}", Handle: h.removeChannel},
		{Key: "POST /v1/conversations", Handle: idempotent(keys, h.start)},
		{Key: "GET /v1/contacts/{id}/conversations", Handle: h.list},
		{Key: "POST /v1/conversations/{id}/close", Handle: h.close},
		{Key: "GET /v1/message-templates", Handle: h.templates},
		{Key: "PUT /v1/message-templates/{name}", Handle: h.putTemplate},
		{Key: "GET /v1/channels", Handle: h.channels},
		{Key: "PUT /v1/channels", Handle: h.setChannels},
	}
}

type conversationHandlers struct {
	svc     *conversation.Service
	cursors *cursor.Codec
}

// ChannelJSON is a channel of the workspace.
type ChannelJSON struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Provider string `json:"provider,omitempty"`
}

func channelView(c conversation.Channel) ChannelJSON {
	return ChannelJSON{ID: c.ID, Type: string(c.Type), Name: c.Name, Provider: c.Provider}
}

// ChannelStateJSON is a channel as seen from a contact.
type ChannelStateJSON struct {
	ChannelJSON
	State       string  `json:"state"`
	ConnectedAt *string `json:"connectedAt,omitempty"`
	Reason      string  `json:"reason,omitempty"`
}

func (h conversationHandlers) contactChannels(ctx context.Context, r *Request) (Response, error) {
	states, err := h.svc.Channels(ctx, r.Caller, r.Path("id"))
	if err != nil {
		return Response{}, err
	}
	out := ItemsJSON[ChannelStateJSON]{Items: make([]ChannelStateJSON, 0, len(states))}
	for _, st := range states {
		v := ChannelStateJSON{ChannelJSON: channelView(st.Channel), State: string(st.State), Reason: st.Reason}
		if !st.ConnectedAt.IsZero() {
			v.ConnectedAt = opt(timestamp(st.ConnectedAt))
		}
		out.Items = append(out.Items, v)
	}
	return JSON(http.StatusOK, out), nil
}

// ItemsJSON is a complete list, not paged.
type ItemsJSON[T any] struct {
	Items []T `json:"items"`
}

func (h conversationHandlers) removeChannel(ctx context.Context, r *Request) (Response, error) {
	if err := h.svc.RemoveChannel(ctx, r.Caller, r.Path("id"), r.Path("channel")); err != nil {
		return Response{}, err
	}
	return NoContent(), nil
}

// ConversationJSON is a conversation.
type ConversationJSON struct {
	ID            string           `json:"id"`
	ContactID     string           `json:"contactId"`
	Channel       string           `json:"channel"`
	TeamID        *string          `json:"teamId"`
	Status        string           `json:"status"`
	StartedBy     string           `json:"startedBy"`
	Actor         *string          `json:"actor"`
	Template      *TemplateUseJSON `json:"template,omitempty"`
	CreatedAt     string           `json:"createdAt"`
	LastMessageAt *string          `json:"lastMessageAt"`
	Messages      int              `json:"messageCount"`
	ClosedAt      *string          `json:"closedAt"`
	ClosedReason  *string          `json:"closedReason"`
	ClosedBy      *string          `json:"closedBy"`
}

// TemplateUseJSON is the template a conversation started with.
type TemplateUseJSON struct {
	Name       string   `json:"name"`
	Language   string   `json:"language,omitempty"`
	Parameters []string `json:"parameters"`
}

func conversationView(c conversation.Conversation) ConversationJSON {
	v := ConversationJSON{
		ID: c.ID, ContactID: c.ContactID, Channel: c.Channel, TeamID: opt(c.TeamID), Status: c.Status,
		StartedBy: c.StartedBy, Actor: opt(c.Actor), CreatedAt: timestamp(c.CreatedAt), Messages: c.Messages,
		ClosedReason: opt(c.ClosedReason), ClosedBy: opt(c.ClosedBy),
	}
	if !c.LastMessageAt.IsZero() {
		v.LastMessageAt = opt(timestamp(c.LastMessageAt))
	}
	if !c.ClosedAt.IsZero() {
		v.ClosedAt = opt(timestamp(c.ClosedAt))
	}
	if t := c.Template; t != nil {
		v.Template = &TemplateUseJSON{Name: t.Name, Language: t.Language, Parameters: t.Parameters}
	}
	return v
}

func (h conversationHandlers) start(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	started, err := h.svc.Start(ctx, r.Caller, doc)
	if err != nil {
		return Response{}, err
	}
	status := http.StatusOK
	if started.Created {
		status = http.StatusCreated
	}
	r.Contact = started.Conversation.ContactID
	return JSON(status, conversationView(started.Conversation)), nil
}

func (h conversationHandlers) list(ctx context.Context, r *Request) (Response, error) {
	id, status := r.Path("id"), r.Event.QueryStringParameters["status"]
	scope := "conversations:" + id + ":" + status
	limit, before, err := pageParams(r, h.cursors, scope)
	if err != nil {
		return Response{}, err
	}
	page, err := h.svc.Conversations(ctx, r.Caller, id, before, status, limit)
	if err != nil {
		return Response{}, err
	}
	out := PageJSON[ConversationJSON]{Items: make([]ConversationJSON, 0, len(page.Conversations))}
	for _, c := range page.Conversations {
		out.Items = append(out.Items, conversationView(c))
	}
	if page.More {
		out.NextCursor = h.cursors.Encode(r.Caller.Workspace, scope, []byte(page.Conversations[len(page.Conversations)-1].ID), 0)
	}
	return JSON(http.StatusOK, out), nil
}

func (h conversationHandlers) close(ctx context.Context, r *Request) (Response, error) {
	doc := map[string]any{}
	if len(r.Event.Body) > 0 {
		var err error
		if doc, err = r.DecodeObject(); err != nil {
			return Response{}, err
		}
	}
	closing, err := h.svc.Close(ctx, r.Caller, r.Path("id"), doc)
	if err != nil {
		return Response{}, err
	}
	r.Contact = closing.Conversation.ContactID
	return JSON(http.StatusOK, conversationView(closing.Conversation)), nil
}

// pageParams reads ?limit= and ?cursor= of a list ordered by time-ordered
// ids: the cursor holds the last id shown, bound to the workspace and scope.
func pageParams(r *Request, cursors *cursor.Codec, scope string) (limit int, before string, err error) {
	q := r.Event.QueryStringParameters
	limit = search.DefaultLimit
	if l := q["limit"]; l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > search.MaxLimit {
			return 0, "", errs.Validation([]errs.FieldError{errs.Field("limit", "limit_invalid", "max", strconv.Itoa(search.MaxLimit))})
		}
		limit = n
	}
	if c := q["cursor"]; c != "" {
		raw, err := cursors.Decode(r.Caller.Workspace, scope, c)
		if err != nil {
			return 0, "", search.ErrBadCursor
		}
		before = string(raw)
	}
	return limit, before, nil
}

// TemplateJSON is a message template.
type TemplateJSON struct {
	Name           string  `json:"name"`
	Language       string  `json:"language"`
	Category       *string `json:"category"`
	Body           *string `json:"body"`
	ParameterCount int     `json:"parameterCount"`
	Status         string  `json:"status"`
	UpdatedAt      string  `json:"updatedAt"`
}

func templateView(t conversation.Template) TemplateJSON {
	return TemplateJSON{
		Name: t.Name, Language: t.Language, Category: opt(t.Category), Body: opt(t.Body),
		ParameterCount: t.ParameterCount, Status: t.Status, UpdatedAt: timestamp(t.UpdatedAt),
	}
}

func (h conversationHandlers) templates(ctx context.Context, r *Request) (Response, error) {
	list, err := h.svc.Templates(ctx, r.Caller, r.Event.QueryStringParameters["status"])
	if err != nil {
		return Response{}, err
	}
	out := ItemsJSON[TemplateJSON]{Items: make([]TemplateJSON, 0, len(list))}
	for _, t := range list {
		out.Items = append(out.Items, templateView(t))
	}
	return JSON(http.StatusOK, out), nil
}

func (h conversationHandlers) putTemplate(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	t, created, err := h.svc.PutTemplate(ctx, r.Caller, r.Path("name"), doc)
	if err != nil {
		return Response{}, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return JSON(status, templateView(t)), nil
}

// ChannelsJSON is the workspace's channel catalogue.
type ChannelsJSON struct {
	Channels []ChannelJSON `json:"channels"`
	Version  int           `json:"version"`
}

func channelsResponse(cs conversation.Channels) Response {
	out := ChannelsJSON{Channels: make([]ChannelJSON, 0, len(cs.Channels)), Version: cs.Version}
	for _, c := range cs.Channels {
		out.Channels = append(out.Channels, channelView(c))
	}
	return JSON(http.StatusOK, out, "ETag", ETag(cs.Version))
}

func (h conversationHandlers) channels(ctx context.Context, r *Request) (Response, error) {
	cs, err := h.svc.WorkspaceChannels(ctx, r.Caller)
	if err != nil {
		return Response{}, err
	}
	return channelsResponse(cs), nil
}

func (h conversationHandlers) setChannels(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	var cs conversation.Channels
	err = conditional(r, func(version int) (err error) {
		cs, err = h.svc.SetWorkspaceChannels(ctx, r.Caller, version, doc)
		return err
	})
	if err != nil {
		return Response{}, err
	}
	return channelsResponse(cs), nil
}
