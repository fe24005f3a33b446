package contact

import (
	"context"
	"time"

	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Event is something that happened to a contact that other modules act on
// (e.g. workflows stop for a blocked contact).
type Event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"` // contact.blocked, contact.unblocked
	Workspace string    `json:"workspace"`
	ContactID string    `json:"contactId"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
}

// ConversationCloser closes a contact's open conversations.
type ConversationCloser interface {
	// CloseAll closes every open conversation of the contact for reason and
	// returns how many it closed.
	CloseAll(ctx context.Context, workspace, contactID, actor, reason string, at time.Time) (int, error)
}

// BlockEffects is what blocking does beyond the contact.
type BlockEffects struct {
	Events        Publisher          // contact.blocked and contact.unblocked go here
	Conversations ConversationCloser // closes the conversations of a blocked contact; nil closes none
}

// Publisher hands events to the rest of the platform, at least once.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// Block blocks a contact: it leaves the default lists for the blocked list,
// its open conversations are closed, and contact.blocked is published so
// running workflows stop. Blocking a blocked contact changes nothing but
// closes and publishes again, so a retry after a failure completes it.
// Errors: NotFound.
func (s *Service) Block(ctx context.Context, caller tenant.Caller, fx BlockEffects, id string) (*Contact, error) {
	c, err := s.setBlocked(ctx, caller, fx.Events, id, true)
	if err != nil || fx.Conversations == nil {
		return c, err
	}
	closed, err := fx.Conversations.CloseAll(ctx, caller.Workspace, id, caller.Subject, "contact_blocked", s.Clock.Now())
	if err != nil {
		return nil, err
	}
	if closed > 0 {
		return s.Get(ctx, caller, id) // the conversation status changed
	}
	return c, nil
}

// Unblock returns a blocked contact to the lists; owners and managers only.
// Errors: Forbidden, NotFound.
func (s *Service) Unblock(ctx context.Context, caller tenant.Caller, fx BlockEffects, id string) (*Contact, error) {
	if !caller.IsManager() {
		return nil, ErrForbidden
	}
	return s.setBlocked(ctx, caller, fx.Events, id, false)
}

func (s *Service) setBlocked(ctx context.Context, caller tenant.Caller, events Publisher, id string, blocked bool) (*Contact, error) {
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	now := s.Clock.Now()
	c, err := s.Contacts.Update(ctx, caller.Workspace, id, 0, func(c *Contact) error {
		if err := s.CheckAccess(ctx, caller, c); err != nil {
			return err
		}
		if c.Blocked == blocked {
			return nil
		}
		c.Blocked, c.BlockedAt, c.BlockedBy = blocked, time.Time{}, ""
		if blocked {
			c.BlockedAt, c.BlockedBy = now, caller.Subject
		}
		c.UpdatedAt, c.UpdatedBy = now, caller.Subject
		return nil
	})
	if err != nil {
		return nil, err
	}
	typ := "contact.unblocked"
	if blocked {
		typ = "contact.blocked"
	}
	if err := events.Publish(ctx, Event{ID: ids.New(now), Type: typ, Workspace: caller.Workspace, ContactID: id, Actor: caller.Subject, At: now}); err != nil {
		return nil, err
	}
	return c, s.ResolveTags(ctx, c)
}
