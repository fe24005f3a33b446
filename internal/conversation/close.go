package conversation

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// MaxCloseReason bounds the reason a conversation was closed for.
const MaxCloseReason = 200

// ParseClose reads {reason?}.
func ParseClose(doc map[string]any) (string, []errs.FieldError) {
	var reason string
	var problems []errs.FieldError
	for k, v := range doc {
		switch k {
		case "reason":
			s, ok := v.(string)
			switch {
			case !ok:
				problems = append(problems, errs.Field(k, "invalid_type", "type", "string"))
			case len([]rune(strings.TrimSpace(s))) > MaxCloseReason:
				problems = append(problems, errs.Field(k, "too_long", "max", strconv.Itoa(MaxCloseReason)))
			}
			reason = strings.TrimSpace(s)
		default:
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	return reason, problems
}

// Close closes a conversation found by its id alone, for any role that may
// see its contact; closing a closed one changes nothing. Its channel is
// then free: the next start or inbound message opens a new conversation.
// Errors: Invalid, NotFound "conversation_not_found", Conflict "contact_merging".
func (s *Service) Close(ctx context.Context, caller tenant.Caller, conversationID string, doc map[string]any) (Closing, error) {
	reason, problems := ParseClose(doc)
	if len(problems) > 0 {
		return Closing{}, errs.Validation(problems)
	}
	contactID, err := s.Store.ContactOf(ctx, caller.Workspace, conversationID)
	if err != nil {
		return Closing{}, err
	}
	if _, err := s.People.Get(ctx, caller, contactID); errs.Is(err, errs.NotFound) {
		// A conversation with a contact the caller may not see is answered
		// like one that does not exist.
		return Closing{}, ErrNotFound
	} else if err != nil {
		return Closing{}, err
	}
	return s.Store.Close(ctx, CloseRequest{
		Workspace: caller.Workspace, ContactID: contactID, ConversationID: conversationID,
		Actor: caller.Subject, Reason: reason, At: s.Clock.Now(),
	})
}

// CloseEvent is the chat layer's "conversation closed" event.
type CloseEvent struct {
	Type           string    `json:"type"` // conversation.closed
	Workspace      string    `json:"workspace"`
	ConversationID string    `json:"conversationId"`
	At             time.Time `json:"at"`
	Reason         string    `json:"reason,omitempty"`
}

// Validate checks the event's fields; a failure is permanent.
func (e CloseEvent) Validate() error {
	var problems []errs.FieldError
	if e.Type != "conversation.closed" {
		problems = append(problems, errs.Field("type", "choice_invalid", "choices", "conversation.closed"))
	}
	if !tenant.ValidWorkspace(e.Workspace) {
		problems = append(problems, errs.Field("workspace", "id_invalid"))
	}
	if e.ConversationID == "" || len(e.ConversationID) > maxMessageIDLength {
		problems = append(problems, errs.Field("conversationId", "required"))
	}
	if e.At.IsZero() {
		problems = append(problems, errs.Field("at", "required"))
	}
	if len([]rune(e.Reason)) > MaxCloseReason {
		problems = append(problems, errs.Field("reason", "too_long", "max", strconv.Itoa(MaxCloseReason)))
	}
	if len(problems) > 0 {
		return errs.Validation(problems)
	}
	return nil
}

// The outcomes of CloseFromChannel, beside Duplicate.
const (
	ClosedNow Outcome = "closed"  // the conversation is closed now
	Unknown   Outcome = "unknown" // no such conversation (deleted with its contact): nothing to do
)

// CloseFromChannel applies the chat layer's close, at least once safely: a
// redelivered close, or one older than the conversation's last message,
// changes nothing (Duplicate). Errors: Invalid (permanent), store errors.
func (s *Service) CloseFromChannel(ctx context.Context, e CloseEvent) (Outcome, error) {
	if err := e.Validate(); err != nil {
		return "", err
	}
	contactID, err := s.Store.ContactOf(ctx, e.Workspace, e.ConversationID)
	if errs.Is(err, errs.NotFound) {
		return Unknown, nil
	}
	if err != nil {
		return "", err
	}
	c, err := s.Store.Close(ctx, CloseRequest{
		Workspace: e.Workspace, ContactID: contactID, ConversationID: e.ConversationID,
		Actor: "channel", Reason: strings.TrimSpace(e.Reason), At: e.At.UTC(), IfIdle: true,
	})
	switch {
	case errs.Is(err, errs.NotFound):
		return Unknown, nil
	case err != nil:
		return "", err
	case c.Closed:
		return ClosedNow, nil
	}
	return Duplicate, nil
}
