package httpapi

import (
	"context"
	"net/http"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/idem"
)

// TimelineRoutes returns the timeline routes of the contacts function.
func TimelineRoutes(svc *contact.Service, store contact.TimelineStore, cursors *cursor.Codec, keys idem.Store) []Route {
	h := timelineHandlers{svc: svc, store: store, cursors: cursors}
	return []Route{
		{Key: "GET /v1/contacts/{id}/timeline", Handle: h.list},
		{Key: "POST /v1/contacts/{id}/notes", Handle: idempotent(keys, h.note)},
		{Key: "PATCH /v1/contacts/{id}/notes/{noteId}", Handle: h.editNote},
		{Key: "DELETE /v1/contacts/{id}/notes/{noteId}", Handle: h.deleteNote},
	}
}

type timelineHandlers struct {
	svc     *contact.Service
	store   contact.TimelineStore
	cursors *cursor.Codec
}

// EntryJSON is a timeline entry.
type EntryJSON struct {
	ID     string   `json:"id"`
	Type   string   `json:"type"`
	At     string   `json:"at"`
	Actor  *string  `json:"actor"`
	Fields []string `json:"fields,omitempty"`
	Text   string   `json:"text,omitempty"`

	Channel        string `json:"channel,omitempty"`
	ConversationID string `json:"conversationId,omitempty"`
	Action         string `json:"action,omitempty"`

	MergeID string   `json:"mergeId,omitempty"`
	Sources []string `json:"sourceIds,omitempty"`

	EditedAt string `json:"editedAt,omitempty"`
	EditedBy string `json:"editedBy,omitempty"`

	// For a company's contact_added and contact_removed: the contact, and
	// its name then.
	Contact *ContactRefJSON `json:"contact,omitempty"`
}

// ContactRefJSON names a contact: its id and its name.
type ContactRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func entryView(e contact.Entry) EntryJSON {
	v := EntryJSON{
		ID: e.ID, Type: e.Event, At: timestamp(e.At), Actor: opt(e.Actor), Fields: e.Fields, Text: e.Text,
		Channel: e.Channel, ConversationID: e.ConversationID, Action: e.Action,
		MergeID: e.MergeID, Sources: e.Sources, EditedBy: e.EditedBy,
	}
	if !e.EditedAt.IsZero() {
		v.EditedAt = timestamp(e.EditedAt)
	}
	if e.ContactID != "" {
		v.Contact = &ContactRefJSON{ID: e.ContactID, Name: e.ContactName}
	}
	return v
}

func (h timelineHandlers) list(ctx context.Context, r *Request) (Response, error) {
	id := r.Path("id")
	return timelinePage(r, h.cursors, "timeline:"+id, func(before string, limit int) (contact.TimelinePage, error) {
		return h.svc.Timeline(ctx, r.Caller, h.store, id, before, limit)
	})
}

// timelinePage answers a GET of a timeline (a contact's or a company's):
// the page read reads, its cursors signed for scope.
func timelinePage(r *Request, cursors *cursor.Codec, scope string, read func(before string, limit int) (contact.TimelinePage, error)) (Response, error) {
	limit, before, err := pageParams(r, cursors, scope)
	if err != nil {
		return Response{}, err
	}
	page, err := read(before, limit)
	if err != nil {
		return Response{}, err
	}
	out := PageJSON[EntryJSON]{Items: make([]EntryJSON, 0, len(page.Entries))}
	for _, e := range page.Entries {
		out.Items = append(out.Items, entryView(e))
	}
	if page.More {
		out.NextCursor = cursors.Encode(r.Caller.Workspace, scope, []byte(page.Entries[len(page.Entries)-1].ID), 0)
	}
	return JSON(http.StatusOK, out), nil
}

func (h timelineHandlers) note(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	e, err := h.svc.AddNote(ctx, r.Caller, h.store, r.Path("id"), doc)
	if err != nil {
		return Response{}, err
	}
	r.Contact = r.Path("id")
	return JSON(http.StatusCreated, entryView(e)), nil
}

func (h timelineHandlers) editNote(ctx context.Context, r *Request) (Response, error) {
	doc, err := r.DecodeObject()
	if err != nil {
		return Response{}, err
	}
	e, err := h.svc.EditNote(ctx, r.Caller, h.store, r.Path("id"), r.Path("noteId"), doc)
	if err != nil {
		return Response{}, err
	}
	return JSON(http.StatusOK, entryView(e)), nil
}

func (h timelineHandlers) deleteNote(ctx context.Context, r *Request) (Response, error) {
	if err := h.svc.DeleteNote(ctx, r.Caller, h.store, r.Path("id"), r.Path("noteId")); err != nil {
		return Response{}, err
	}
	return NoContent(), nil
}
