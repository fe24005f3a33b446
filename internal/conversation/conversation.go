package conversation

import (
	"context"
	"time"

	"github.com/omnichannel/contacts/internal/errs"
)

// Conversation statuses.
const (
	Open   = "open"
	Closed = "closed"
)

// Who started a conversation.
const (
	StartedByAgent   = "agent"
	StartedByContact = "contact"
)

// Conversation is one conversation with a contact on one channel.
type Conversation struct {
	ID            string // time-ordered
	ContactID     string
	Channel       string
	TeamID        string
	Status        string // open or closed
	StartedBy     string // agent or contact
	Actor         string // the agent who started it, or "channel:<id>"
	Template      *TemplateUse
	CreatedAt     time.Time
	LastMessageAt time.Time
	Messages      int // inbound messages received on it
	ClosedAt      time.Time
	ClosedReason  string // e.g. contact_blocked, or the closer's own
	ClosedBy      string // the agent, "channel:<id>", or the system
	// OutboundPending is true until the first outbound message of a
	// conversation an agent started was handed to the channel layer.
	OutboundPending bool
}

// Page is one page of conversations, newest first.
type Page struct {
	Conversations []Conversation
	More          bool
}

// Sender is who sent an inbound message, as the channel gateway knows them.
type Sender struct {
	Phone  string // as the network gives it, parsed with the workspace's region
	Email  string
	UserID string // the sender's id on the network (Telegram user, Facebook PSID, group id...)
	Name   string // display name
}

// OpenRequest asks to open a conversation, or to reuse the one open on the
// same channel.
type OpenRequest struct {
	Workspace    string
	ContactID    string
	Conversation Conversation // the conversation to create when none is open
	UserID       string       // the contact's id on the channel, stored on a new connection
	MessageID    string       // an inbound message's id: stored once, the whole open refused when seen
	At           time.Time
	Logged       time.Time // orders the timeline entries; At when zero
}

// EntryTime is the time that orders the open's timeline entries.
func (r OpenRequest) EntryTime() time.Time {
	if r.Logged.IsZero() {
		return r.At
	}
	return r.Logged
}

// Opened is what Open did.
type Opened struct {
	Conversation Conversation
	Created      bool // a new conversation (false: the open one was reused)
	Connected    bool // the channel was connected by this open
}

// Store keeps channels, connections, conversations and templates.
type Store interface {
	// Channels returns the workspace's channel catalogue, DefaultChannels
	// when it saved none.
	Channels(ctx context.Context, workspace string) (Channels, error)
	// SaveChannels replaces the catalogue; ifVersion > 0 demands that version.
	// Errors: Precondition.
	SaveChannels(ctx context.Context, workspace string, ifVersion int, cs Channels) (Channels, error)

	// Connections returns the contact's channel connections.
	// Items a merge running in steps (id hide) is moving are left out.
	Connections(ctx context.Context, workspace, contactID, hide string) ([]Connection, error)
	// Disconnect removes the contact's connection to the channel and adds a
	// "channel" timeline entry. Errors: NotFound (not connected).
	Disconnect(ctx context.Context, workspace, contactID, channel, actor string, at time.Time) error

	// Open opens req.Conversation unless a conversation is open on its
	// channel, which is then reused (its message count grows when
	// req.MessageID is set). In the same transaction: the contact's
	// conversationStatus, the channel connection when new, timeline entries,
	// and the message id. Errors: NotFound, Conflict "contact_blocked",
	// Conflict "message_seen" (req.MessageID was stored before).
	Open(ctx context.Context, req OpenRequest) (Opened, error)
	// ContactOf returns the id of the contact a conversation is with.
	// Errors: NotFound "conversation_not_found".
	ContactOf(ctx context.Context, workspace, conversationID string) (string, error)
	// Close closes a conversation: it frees its channel for a new one, adds
	// a "conversation closed" timeline entry and sets the contact's
	// conversationStatus to closed when no other conversation is open, in
	// one transaction. A closed conversation, or one req does not close
	// (req.IfIdle and a newer message), is returned unchanged.
	// Errors: NotFound "conversation_not_found", Conflict "contact_merging".
	Close(ctx context.Context, req CloseRequest) (Closing, error)
	// CloseAll closes the contact's open conversations for reason.
	CloseAll(ctx context.Context, workspace, contactID, actor, reason string, at time.Time) (int, error)
	// ClaimOutbound claims the handing over of the conversation's first
	// message: false when it was handed over, or another claim younger than
	// OutboundClaimTTL holds it.
	ClaimOutbound(ctx context.Context, workspace, contactID, conversationID string, at time.Time) (bool, error)
	// ReleaseOutbound gives a claim up after a failed hand-over.
	ReleaseOutbound(ctx context.Context, workspace, contactID, conversationID string) error
	// OutboundSent records that the conversation's first message was handed over.
	OutboundSent(ctx context.Context, workspace, contactID, conversationID string) error
	// Conversations returns up to limit conversations older than before ("":
	// the newest). It does not check the contact exists.
	// Items a merge running in steps (id hide) is moving are left out.
	// status ("", open, closed) keeps only the conversations in it.
	Conversations(ctx context.Context, workspace, contactID, before, status string, limit int, hide string) (Page, error)

	// FindContacts returns the ids of up to limit contacts the sender may
	// be: the contact of the channel user id, else those holding the phone
	// identity, else those holding the email, oldest first; none when no
	// contact is.
	FindContacts(ctx context.Context, workspace, channel string, s Sender, limit int) ([]string, error)
	// Seen reports whether the inbound message id was stored.
	Seen(ctx context.Context, workspace, channel, messageID string) (bool, error)
	// Drop stores the message id of a message not shown (its sender is
	// blocked) and counts it. Errors: Conflict "message_seen".
	Drop(ctx context.Context, workspace, channel, messageID string, at time.Time) error
	// DroppedMessages returns how many messages were dropped in the month of at.
	DroppedMessages(ctx context.Context, workspace string, at time.Time) (int, error)

	// Templates returns the workspace's message templates by name.
	Templates(ctx context.Context, workspace string) ([]Template, error)
	// Template returns one template. Errors: NotFound.
	Template(ctx context.Context, workspace, name string) (Template, error)
	// PutTemplate creates or replaces a template and returns whether it was
	// created. Errors: Invalid "too_many_templates".
	PutTemplate(ctx context.Context, workspace string, t Template) (bool, error)
}

// CloseRequest asks to close one conversation.
type CloseRequest struct {
	Workspace      string
	ContactID      string
	ConversationID string
	Actor          string
	Reason         string
	At             time.Time
	// IfIdle closes only when no message came after At: a late or
	// redelivered close from the chat layer never closes a newer exchange.
	IfIdle bool
}

// Closing is what Close did.
type Closing struct {
	Conversation Conversation
	Closed       bool // false: already closed, or a message came after the close
}

// OutboundClaimTTL is how long a claim on a first message holds: a start
// that crashed after claiming is completed by a start this much later.
const OutboundClaimTTL = 30 * time.Second

// Errors of the conversation service.
var (
	ErrBlocked          = errs.E(errs.Conflict, "contact_blocked")
	ErrNotFound         = errs.E(errs.NotFound, "conversation_not_found")
	ErrMessageSeen      = errs.E(errs.Conflict, "message_seen")
	ErrNotConnected     = errs.E(errs.NotFound, "channel_not_connected")
	ErrTemplateNotFound = errs.E(errs.NotFound, "template_not_found")
	ErrTooManyTemplates = errs.E(errs.Invalid, "too_many_templates")
)

// Outbound is a conversation's first message, for the channel layer to deliver.
type Outbound struct {
	ID             string       `json:"id"`
	Type           string       `json:"type"` // conversation.started
	Workspace      string       `json:"workspace"`
	ConversationID string       `json:"conversationId"`
	ContactID      string       `json:"contactId"`
	Channel        string       `json:"channel"`
	ChannelType    ChannelType  `json:"channelType"`
	Provider       string       `json:"provider,omitempty"`
	To             Address      `json:"to"`
	TeamID         string       `json:"teamId"`
	Template       *TemplateUse `json:"template,omitempty"`
	Actor          string       `json:"actor"`
	At             time.Time    `json:"at"`
}

// Address is where the channel layer reaches the contact.
type Address struct {
	Phone  string `json:"phone,omitempty"`
	Email  string `json:"email,omitempty"`
	UserID string `json:"userId,omitempty"`
}

// OutboundPublisher hands first messages to the channel layer, at least once.
type OutboundPublisher interface {
	PublishOutbound(ctx context.Context, m Outbound) error
}
