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

// Publisher hands events to the rest of the platform, at least once.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// Block blocks a contact: it leaves the default lists for the blocked list,
// and contact.blocked is published so running workflows stop. Blocking a
// blocked contact changes nothing but publishes again, so a retry after a
// failed publish completes it. Errors: NotFound.
func (s *Service) Block(ctx context.Context, caller tenant.Caller, events Publisher, id string) (*Contact, error) {
	return s.setBlocked(ctx, caller, events, id, true)
}

// Unblock returns a blocked contact to the lists; owners and managers only.
// Errors: Forbidden, NotFound.
func (s *Service) Unblock(ctx context.Context, caller tenant.Caller, events Publisher, id string) (*Contact, error) {
	if !caller.IsManager() {
		return nil, ErrForbidden
	}
	return s.setBlocked(ctx, caller, events, id, false)
}

func (s *Service) setBlocked(ctx context.Context, caller tenant.Caller, events Publisher, id string, blocked bool) (*Contact, error) {
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	now := s.now()
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
