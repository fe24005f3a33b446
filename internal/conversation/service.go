package conversation

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/phone"
	"github.com/omnichannel/contacts/internal/tenant"
)

// People is what conversations need of the contacts (contact.Service).
type People interface {
	// Get returns a contact the caller may see. Errors: NotFound.
	Get(ctx context.Context, caller tenant.Caller, id string) (*contact.Contact, error)
	// Create creates a contact for the caller. Errors: Invalid, Conflict, Forbidden.
	Create(ctx context.Context, caller tenant.Caller, req contact.CreateRequest) (*contact.Contact, bool, error)
	// FirstVisible returns the first of ids the caller may see, nil for none.
	FirstVisible(ctx context.Context, caller tenant.Caller, ids []string) (*contact.Contact, error)
	// CreateFromChannel creates the contact of a channel's sender once.
	// at is the message's time, the contact's first activity.
	CreateFromChannel(ctx context.Context, ws contact.Workspace, p contact.Profile, senderKey, channel string, at time.Time) (*contact.Contact, bool, error)
	// Workspace returns a workspace's settings.
	Workspace(ctx context.Context, ws string) (contact.Workspace, error)
}

// Service lists channels, starts conversations and manages templates.
type Service struct {
	People   People // reads contacts under the caller's access rules
	Store    Store
	Outbound OutboundPublisher
	Clock    clock.Clock // the system clock when nil
}

// Channels returns every channel of the workspace with the contact's state
// on it. Errors: NotFound.
func (s *Service) Channels(ctx context.Context, caller tenant.Caller, contactID string) ([]ChannelState, error) {
	c, err := s.People.Get(ctx, caller, contactID)
	if err != nil {
		return nil, err
	}
	catalog, err := s.Store.Channels(ctx, caller.Workspace)
	if err != nil {
		return nil, err
	}
	conns, err := s.Store.Connections(ctx, caller.Workspace, c.ID, c.MergeLock)
	if err != nil {
		return nil, err
	}
	out := make([]ChannelState, 0, len(catalog.Channels))
	for _, ch := range catalog.Channels {
		out = append(out, StateOf(ch, c, connection(conns, ch.ID)))
	}
	return out, nil
}

func connection(conns []Connection, channel string) *Connection {
	for i := range conns {
		if conns[i].Channel == channel {
			return &conns[i]
		}
	}
	return nil
}

// RemoveChannel disconnects the contact from a channel; its conversations
// stay. Owners and managers only. Errors: Forbidden, NotFound.
func (s *Service) RemoveChannel(ctx context.Context, caller tenant.Caller, contactID, channel string) error {
	if !caller.IsManager() {
		return contact.ErrForbidden
	}
	if _, err := s.People.Get(ctx, caller, contactID); err != nil {
		return err
	}
	return s.Store.Disconnect(ctx, caller.Workspace, contactID, channel, caller.Subject, s.Clock.Now())
}

// WorkspaceChannels returns the workspace's channel catalogue.
func (s *Service) WorkspaceChannels(ctx context.Context, caller tenant.Caller) (Channels, error) {
	return s.Store.Channels(ctx, caller.Workspace)
}

// SetWorkspaceChannels replaces the catalogue from {channels}; owners and
// managers only. Connections to a channel left out stay, unseen. Errors:
// Forbidden, Invalid, Precondition.
func (s *Service) SetWorkspaceChannels(ctx context.Context, caller tenant.Caller, ifVersion int, doc map[string]any) (Channels, error) {
	if !caller.IsManager() {
		return Channels{}, contact.ErrForbidden
	}
	cs, problems := ParseChannels(doc)
	if len(problems) > 0 {
		return Channels{}, errs.Validation(problems)
	}
	return s.Store.SaveChannels(ctx, caller.Workspace, ifVersion, cs)
}

// Templates returns the workspace's message templates, all of them or those
// of status (approved, pending, rejected). Errors: Invalid (another status).
func (s *Service) Templates(ctx context.Context, caller tenant.Caller, status string) ([]Template, error) {
	switch status {
	case "", TemplateApproved, TemplatePending, TemplateRejected:
	default:
		return nil, errs.Validation([]errs.FieldError{errs.Field("status", "choice_invalid", "choices", "approved, pending, rejected")})
	}
	list, err := s.Store.Templates(ctx, caller.Workspace)
	if err != nil || status == "" {
		return list, err
	}
	return slices.DeleteFunc(list, func(t Template) bool { return t.Status != status }), nil
}

// PutTemplate creates or replaces the template name; owners and managers
// only. Errors: Forbidden, Invalid.
func (s *Service) PutTemplate(ctx context.Context, caller tenant.Caller, name string, doc map[string]any) (Template, bool, error) {
	if !caller.IsManager() {
		return Template{}, false, contact.ErrForbidden
	}
	t, problems := ParseTemplate(name, doc, s.Clock.Now())
	if len(problems) > 0 {
		return Template{}, false, errs.Validation(problems)
	}
	created, err := s.Store.PutTemplate(ctx, caller.Workspace, t)
	return t, created, err
}

// Conversations returns a page of the contact's conversations, newest
// first, all or those of status (open, closed). Errors: NotFound, Invalid.
func (s *Service) Conversations(ctx context.Context, caller tenant.Caller, contactID, before, status string, limit int) (Page, error) {
	switch status {
	case "", Open, Closed:
	default:
		return Page{}, errs.Validation([]errs.FieldError{errs.Field("status", "choice_invalid", "choices", "open, closed")})
	}
	c, err := s.People.Get(ctx, caller, contactID)
	if err != nil {
		return Page{}, err
	}
	return s.Store.Conversations(ctx, caller.Workspace, contactID, before, status, limit, c.MergeLock)
}

// StartRequest is a request to start a conversation.
type StartRequest struct {
	ContactID     string
	Phone         string // typed by a person, instead of ContactID
	Name          string // for a contact created by number
	CreateContact bool   // create the contact when no contact has Phone
	Channel       string
	TeamID        string
	Template      *TemplateUse
}

// MaxTeamIDLength bounds a team id.
const MaxTeamIDLength = 64

// ParseStart reads {contactId | phone, channel, teamId, template?,
// createContact?, name?}.
func ParseStart(doc map[string]any) (StartRequest, []errs.FieldError) {
	var req StartRequest
	var problems []errs.FieldError
	str := func(k string, v any) string {
		s, ok := v.(string)
		if !ok {
			problems = append(problems, errs.Field(k, "invalid_type", "type", "string"))
		}
		return strings.TrimSpace(s)
	}
	for k, v := range doc {
		switch k {
		case "contactId":
			req.ContactID = str(k, v)
		case "phone":
			req.Phone = str(k, v)
		case "name":
			req.Name = str(k, v)
		case "channel":
			req.Channel = str(k, v)
		case "teamId":
			req.TeamID = str(k, v)
		case "createContact":
			b, ok := v.(bool)
			if !ok {
				problems = append(problems, errs.Field(k, "invalid_type", "type", "boolean"))
			}
			req.CreateContact = b
		case "template":
			use, p := parseTemplateUse(v)
			req.Template, problems = use, append(problems, p...)
		default:
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	switch {
	case req.ContactID == "" && req.Phone == "":
		problems = append(problems, errs.Field("contactId", "contact_or_phone_required"))
	case req.ContactID != "" && req.Phone != "":
		problems = append(problems, errs.Field("phone", "contact_or_phone_required"))
	case req.ContactID != "" && !ids.Valid(req.ContactID):
		problems = append(problems, errs.Field("contactId", "id_invalid"))
	}
	if req.Channel == "" {
		problems = append(problems, errs.Field("channel", "required"))
	}
	switch {
	case req.TeamID == "":
		problems = append(problems, errs.Field("teamId", "required"))
	case len(req.TeamID) > MaxTeamIDLength:
		problems = append(problems, errs.Field("teamId", "too_long", "max", "64"))
	}
	return req, problems
}

// Started is the outcome of Start.
type Started struct {
	Conversation Conversation
	Created      bool // false: the conversation already open on the channel
}

// Start starts a conversation with a contact on a channel, or returns the
// one already open there. The first message goes to the channel layer
// through the outbound publisher. Errors: NotFound, Invalid (the channel is
// unknown or unavailable, the template does not fit), Conflict
// "contact_blocked".
func (s *Service) Start(ctx context.Context, caller tenant.Caller, doc map[string]any) (Started, error) {
	req, problems := ParseStart(doc)
	if len(problems) > 0 {
		return Started{}, errs.Validation(problems)
	}
	catalog, err := s.Store.Channels(ctx, caller.Workspace)
	if err != nil {
		return Started{}, err
	}
	ch, ok := catalog.Find(req.Channel)
	if !ok {
		return Started{}, errs.Validation([]errs.FieldError{errs.Field("channel", "channel_unknown")})
	}
	c, typed, err := s.target(ctx, caller, req, ch)
	if err != nil {
		return Started{}, err
	}
	if c.Blocked {
		return Started{}, ErrBlocked
	}
	conns, err := s.Store.Connections(ctx, caller.Workspace, c.ID, c.MergeLock)
	if err != nil {
		return Started{}, err
	}
	if st := StateOf(ch, c, connection(conns, ch.ID)); st.State == Unavailable {
		return Started{}, errs.Validation([]errs.FieldError{errs.Field("channel", st.Reason)})
	}
	if err := s.checkTemplate(ctx, caller.Workspace, ch, req.Template); err != nil {
		return Started{}, err
	}
	now := s.Clock.Now()
	opened, err := s.Store.Open(ctx, OpenRequest{
		Workspace: caller.Workspace, ContactID: c.ID, At: now,
		Conversation: Conversation{
			ID: ids.New(now), ContactID: c.ID, Channel: ch.ID, TeamID: req.TeamID, Status: Open,
			StartedBy: StartedByAgent, Actor: caller.Subject, Template: req.Template,
			CreatedAt: now, OutboundPending: true,
		},
	})
	if err != nil {
		return Started{}, err
	}
	conv := opened.Conversation
	if conv.OutboundPending {
		// Handed over at least once: a start that failed after the
		// conversation was stored is completed by the next start. A claim
		// keeps racing starts from handing it over twice.
		claimed, err := s.Store.ClaimOutbound(ctx, caller.Workspace, c.ID, conv.ID, now)
		if err != nil || !claimed {
			return Started{Conversation: conv, Created: opened.Created}, err
		}
		m := Outbound{
			ID: conv.ID, Type: "conversation.started", Workspace: caller.Workspace,
			ConversationID: conv.ID, ContactID: c.ID, Channel: ch.ID, ChannelType: ch.Type, Provider: ch.Provider,
			To: address(ch, c, connection(conns, ch.ID), typed), TeamID: conv.TeamID, Template: conv.Template,
			Actor: conv.Actor, At: conv.CreatedAt,
		}
		if err := s.Outbound.PublishOutbound(ctx, m); err != nil {
			_ = s.Store.ReleaseOutbound(ctx, caller.Workspace, c.ID, conv.ID) // else it expires by itself
			return Started{}, err
		}
		if err := s.Store.OutboundSent(ctx, caller.Workspace, c.ID, conv.ID); err != nil {
			return Started{}, err
		}
		conv.OutboundPending = false
	}
	return Started{Conversation: conv, Created: opened.Created}, nil
}

// address is where a start's first message goes: the contact's primary
// phone or email, or, for a start by number, the contact's number the
// typed one is (one of its other phones, when it is).
func address(ch Channel, c *contact.Contact, conn *Connection, typed string) Address {
	var a Address
	switch ch.Type {
	case WhatsApp, SMS:
		a.Phone = c.Phone
		if typed != "" {
			for _, n := range c.Phones() {
				if phone.Identity(n) == phone.Identity(typed) {
					a.Phone = n
					break
				}
			}
		}
	case Email:
		a.Email = c.Email
	}
	if conn != nil {
		a.UserID = conn.UserID
	}
	return a
}

// maxPhoneHolders bounds the contacts holding one number that a start by
// number reads to find the first one the caller may see.
const maxPhoneHolders = 100

// target returns the contact a start is for: by id, or by the number typed,
// created when asked, and the number typed (E.164; "" for a start by id).
// Errors: NotFound, Invalid.
func (s *Service) target(ctx context.Context, caller tenant.Caller, req StartRequest, ch Channel) (*contact.Contact, string, error) {
	if req.ContactID != "" {
		c, err := s.People.Get(ctx, caller, req.ContactID)
		return c, "", err
	}
	ws, err := s.People.Workspace(ctx, caller.Workspace)
	if err != nil {
		return nil, "", err
	}
	n, err := phone.Parse(req.Phone, ws.Region())
	if err != nil {
		return nil, "", errs.Validation([]errs.FieldError{errs.Field("phone", "phone_invalid")})
	}
	// A number only contacts the caller may not see hold is answered like a
	// number nobody holds, so no answer tells a wallet-bound agent that it
	// belongs to a contact outside the wallet.
	holders, err := s.Store.FindContacts(ctx, caller.Workspace, "", Sender{Phone: n.E164}, maxPhoneHolders)
	if err != nil {
		return nil, "", err
	}
	if c, err := s.People.FirstVisible(ctx, caller, holders); c != nil || err != nil {
		return c, n.E164, err
	}
	if !req.CreateContact {
		return nil, "", errs.Validation([]errs.FieldError{errs.Field("phone", "no_contact_with_phone")})
	}
	// Refuse before creating: a refused start must leave nothing behind.
	if st := StateOf(ch, &contact.Contact{Profile: contact.Profile{Phone: n.E164}}, nil); st.State == Unavailable {
		return nil, "", errs.Validation([]errs.FieldError{errs.Field("channel", st.Reason)})
	}
	if err := s.checkTemplate(ctx, caller.Workspace, ch, req.Template); err != nil {
		return nil, "", err
	}
	doc := map[string]any{"phone": n.E164}
	if req.Name != "" {
		doc["name"] = req.Name
	}
	c, _, err := s.People.Create(ctx, caller, contact.CreateRequest{Document: doc})
	return c, n.E164, err
}

// checkTemplate applies the template rules: the official WhatsApp API starts
// only with an approved template whose parameters match; elsewhere a
// template is optional but must fit when given. Errors: Invalid.
func (s *Service) checkTemplate(ctx context.Context, ws string, ch Channel, use *TemplateUse) error {
	if use == nil {
		if ch.NeedsTemplate() {
			return errs.Validation([]errs.FieldError{errs.Field("template", "template_required")})
		}
		return nil
	}
	t, err := s.Store.Template(ctx, ws, use.Name)
	if errs.Is(err, errs.NotFound) {
		return errs.Validation([]errs.FieldError{errs.Field("template.name", "template_unknown")})
	}
	if err != nil {
		return err
	}
	switch {
	case t.Status != TemplateApproved:
		return errs.Validation([]errs.FieldError{errs.Field("template.name", "template_not_approved", "status", t.Status)})
	case use.Language != "" && use.Language != t.Language:
		return errs.Validation([]errs.FieldError{errs.Field("template.language", "template_language_mismatch", "language", t.Language)})
	case len(use.Parameters) != t.ParameterCount:
		return errs.Validation([]errs.FieldError{errs.Field("template.parameters", "template_parameters_mismatch", "count", itoa(t.ParameterCount))})
	}
	use.Language = t.Language
	return nil
}
