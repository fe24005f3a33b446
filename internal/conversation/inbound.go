package conversation

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/phone"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Message is a channel gateway's "message received" event.
type Message struct {
	Type      string    `json:"type"` // message.received
	Workspace string    `json:"workspace"`
	Channel   string    `json:"channel"`
	MessageID string    `json:"messageId"`
	From      From      `json:"from"`
	Group     bool      `json:"group"` // a group chat: the contact is the group (From.UserID is its id)
	At        time.Time `json:"at"`
}

// From is the sender of a message as the network shows it.
type From struct {
	Phone  string `json:"phone,omitempty"`
	Email  string `json:"email,omitempty"`
	UserID string `json:"userId,omitempty"`
	Name   string `json:"name,omitempty"`
	// AvatarURL and Language are the profile picture and language the
	// network knows: a contact the message creates takes them.
	AvatarURL string `json:"avatarUrl,omitempty"`
	Language  string `json:"language,omitempty"`
}

// Limits of an inbound message's fields.
const (
	maxMessageIDLength = 256
	maxUserIDLength    = 256
	maxInboundName     = 200
)

// Validate checks the event's fields; a failure is permanent.
func (m Message) Validate() error {
	var problems []errs.FieldError
	if m.Type != "message.received" {
		problems = append(problems, errs.Field("type", "choice_invalid", "choices", "message.received"))
	}
	if !tenant.ValidWorkspace(m.Workspace) {
		problems = append(problems, errs.Field("workspace", "id_invalid"))
	}
	if !channelIDPattern.MatchString(m.Channel) {
		problems = append(problems, errs.Field("channel", "channel_id_invalid"))
	}
	if m.MessageID == "" || len(m.MessageID) > maxMessageIDLength {
		problems = append(problems, errs.Field("messageId", "required"))
	}
	if m.From.Phone == "" && m.From.Email == "" && m.From.UserID == "" {
		problems = append(problems, errs.Field("from", "sender_required"))
	}
	if len(m.From.UserID) > maxUserIDLength {
		problems = append(problems, errs.Field("from.userId", "too_long", "max", strconv.Itoa(maxUserIDLength)))
	}
	if m.Group && m.From.UserID == "" {
		problems = append(problems, errs.Field("from.userId", "required"))
	}
	if m.At.IsZero() {
		problems = append(problems, errs.Field("at", "required"))
	}
	if len(problems) > 0 {
		return errs.Validation(problems)
	}
	return nil
}

// Outcome tells what receiving a message did.
type Outcome string

// The outcomes of Receive.
const (
	Delivered Outcome = "delivered" // on a conversation, new or reused
	Dropped   Outcome = "dropped"   // the sender is blocked: counted, not shown
	Duplicate Outcome = "duplicate" // seen before: nothing changed
)

// Receipt is what Receive did.
type Receipt struct {
	Outcome        Outcome
	ContactID      string
	ConversationID string
	ContactCreated bool
}

// Receive takes a message a channel gateway reported: it finds the sender's
// contact (channel id, phone with the 9th-digit rule, email) or creates
// one, connects the channel, and opens or reuses the conversation. What a
// blocked contact sends is dropped and counted. A message seen before
// changes nothing. Errors: Invalid (a malformed event, permanent), and
// store errors (transient).
func (s *Service) Receive(ctx context.Context, m Message) (Receipt, error) {
	if err := m.Validate(); err != nil {
		return Receipt{}, err
	}
	seen, err := s.Store.Seen(ctx, m.Workspace, m.Channel, m.MessageID)
	if err != nil || seen {
		return Receipt{Outcome: Duplicate}, err
	}
	catalog, err := s.Store.Channels(ctx, m.Workspace)
	if err != nil {
		return Receipt{}, err
	}
	ch, ok := catalog.Find(m.Channel)
	if !ok {
		return Receipt{}, errs.Validation([]errs.FieldError{errs.Field("channel", "channel_unknown")})
	}
	ws, err := s.People.Workspace(ctx, m.Workspace)
	if err != nil {
		return Receipt{}, err
	}
	sender := Sender{UserID: m.From.UserID, Email: strings.TrimSpace(m.From.Email), Name: strings.TrimSpace(m.From.Name)}
	if m.From.Phone != "" && !m.Group {
		if n, err := phone.Parse(m.From.Phone, ws.Region()); err == nil {
			sender.Phone = n.E164
		}
	}
	if m.Group {
		sender.Phone, sender.Email = "", ""
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		r, err := s.receive(ctx, m, ch, ws, sender)
		if errs.Is(err, errs.NotFound) && attempt < attempts {
			continue // the contact found was deleted meanwhile: find again
		}
		return r, err
	}
}

func (s *Service) receive(ctx context.Context, m Message, ch Channel, ws contact.Workspace, sender Sender) (Receipt, error) {
	var r Receipt
	found, err := s.Store.FindContacts(ctx, m.Workspace, ch.ID, sender, 1)
	if err != nil {
		return r, err
	}
	if len(found) == 0 {
		// A new sender. (A known one is not read here: Open reads the
		// contact and refuses a blocked one, which is dropped below.)
		c, created, err := s.People.CreateFromChannel(ctx, ws, s.newProfile(m, ch, sender, ws), senderKey(ch.ID, sender), ch.ID, m.At.UTC())
		if err != nil {
			return r, err
		}
		found, r.ContactCreated = []string{c.ID}, created
	}
	id := found[0]
	r.ContactID = id
	at := m.At.UTC()
	opened, err := s.Store.Open(ctx, OpenRequest{
		Workspace: m.Workspace, ContactID: id, UserID: sender.UserID, MessageID: m.MessageID, At: at,
		// The timeline orders by processing, after the "created" entry of a
		// contact the message created.
		Logged: s.Clock.Now().Add(2 * time.Millisecond),
		Conversation: Conversation{
			ID: ids.New(at), ContactID: id, Channel: ch.ID, Status: Open,
			StartedBy: StartedByContact, Actor: "channel:" + ch.ID, CreatedAt: at, LastMessageAt: at, Messages: 1,
		},
	})
	switch {
	case hasCode(err, ErrMessageSeen):
		return Receipt{Outcome: Duplicate, ContactID: id}, nil
	case hasCode(err, ErrBlocked):
		// What a blocked contact sends is counted, not shown.
		if err := s.Store.Drop(ctx, m.Workspace, ch.ID, m.MessageID, s.Clock.Now()); err != nil && !hasCode(err, ErrMessageSeen) {
			return r, err
		}
		r.Outcome = Dropped
		return r, nil
	case err != nil:
		return r, err
	}
	r.Outcome, r.ConversationID = Delivered, opened.Conversation.ID
	return r, nil
}

// newProfile is the profile of a contact created by a message: named from
// the display name (or the number), a group for group chats.
func (s *Service) newProfile(m Message, ch Channel, sender Sender, ws contact.Workspace) contact.Profile {
	doc := map[string]any{}
	name := sender.Name
	if len([]rune(name)) > maxInboundName {
		name = string([]rune(name)[:maxInboundName])
	}
	if name == "" {
		name = firstNonEmpty(sender.Phone, sender.Email, sender.UserID)
	}
	doc["name"] = name
	if sender.Phone != "" {
		doc["phone"] = sender.Phone
	}
	if sender.Email != "" {
		doc["email"] = sender.Email
	}
	// Only a new contact takes them: an existing one's are a person's.
	if v := strings.TrimSpace(m.From.AvatarURL); v != "" {
		doc["avatarUrl"] = v
	}
	if v := strings.TrimSpace(m.From.Language); v != "" {
		doc["language"] = v
	}
	p, problems := contact.BuildProfile(doc, ws, s.Clock.Now(), false)
	for _, pr := range problems {
		// Keep what is valid: a bad email must not lose the message.
		delete(doc, pr.Field)
	}
	if len(problems) > 0 {
		p, _ = contact.BuildProfile(doc, ws, s.Clock.Now(), false)
	}
	if m.Group {
		p.Kind = contact.Group
	}
	if ch.Type == Telegram && sender.UserID != "" {
		p.TelegramID = sender.UserID
	}
	return p
}

// senderKey names the sender for the idempotent creation of their contact:
// two first messages of one new sender create one contact.
func senderKey(channel string, s Sender) string {
	switch {
	case s.Phone != "":
		return "inbound:phone:" + phone.Identity(s.Phone)
	case s.Email != "":
		return "inbound:email:" + contact.EmailKey(s.Email)
	}
	return fmt.Sprintf("inbound:user:%s:%s", channel, s.UserID)
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

// hasCode reports whether err is the service error e.
func hasCode(err error, e *errs.Error) bool {
	got := errs.As(err)
	return got != nil && got.Kind == e.Kind && got.Code == e.Code
}
