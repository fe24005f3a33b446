package contact

import (
	"context"
	"strconv"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/tenant"
)

// MaxLinked bounds the contacts linked to one main contact.
const MaxLinked = 100

// ErrMainChanged is a link lost to a concurrent change of the main contact
// (it was deleted, or linked to another contact meanwhile).
var ErrMainChanged = errs.E(errs.Conflict, "main_contact_changed")

// linkTarget validates v, the mainContactId of a patch of c: null unlinks;
// an id must name another contact of the workspace that is not linked
// itself, and c must not be a main contact, so links are one level deep and
// never form a cycle.
func (s *Service) linkTarget(ctx context.Context, caller tenant.Caller, c *Contact, v any) (string, error) {
	if v == nil {
		return "", nil
	}
	invalid := func(code string, params ...string) error {
		return errs.Validation([]errs.FieldError{errs.Field("mainContactId", code, params...)})
	}
	id, ok := v.(string)
	switch {
	case !ok:
		return "", invalid("invalid_type", "type", "string or null")
	case id == c.MainContactID:
		return id, nil
	case !ids.Valid(id):
		return "", invalid("id_invalid")
	case id == c.ID:
		return "", invalid("main_contact_self")
	}
	main, err := s.Contacts.Get(ctx, caller.Workspace, id)
	if err == nil {
		err = s.CheckAccess(ctx, caller, main)
	}
	if IsNotFound(err) {
		return "", invalid("main_contact_unknown")
	}
	if err != nil {
		return "", err
	}
	if main.MainContactID != "" {
		return "", invalid("main_contact_linked")
	}
	children, err := s.Contacts.Linked(ctx, caller.Workspace, c.ID, 1)
	if err != nil {
		return "", err
	}
	if len(children) > 0 {
		return "", invalid("contact_is_main")
	}
	siblings, err := s.Contacts.Linked(ctx, caller.Workspace, id, MaxLinked)
	if err != nil {
		return "", err
	}
	if len(siblings) >= MaxLinked {
		return "", invalid("too_many", "max", strconv.Itoa(MaxLinked))
	}
	return id, nil
}

// Linked returns the contacts linked to a main contact. Errors: NotFound.
func (s *Service) Linked(ctx context.Context, caller tenant.Caller, id string) ([]*Contact, error) {
	if _, err := s.Get(ctx, caller, id); err != nil {
		return nil, err
	}
	linked, err := s.Contacts.Linked(ctx, caller.Workspace, id, MaxLinked)
	if err != nil {
		return nil, err
	}
	out := []*Contact{}
	for _, lid := range linked {
		c, err := s.Get(ctx, caller, lid)
		if IsNotFound(err) {
			continue // deleted meanwhile, or outside the agent's wallet
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// unlinkAll unlinks every contact linked to id, before id is deleted.
func (s *Service) unlinkAll(ctx context.Context, caller tenant.Caller, id string) error {
	linked, err := s.Contacts.Linked(ctx, caller.Workspace, id, MaxLinked)
	if err != nil {
		return err
	}
	for _, lid := range linked {
		_, err := s.Contacts.Update(ctx, caller.Workspace, lid, 0, func(c *Contact) error {
			if c.MainContactID == id {
				c.MainContactID, c.UpdatedAt, c.UpdatedBy = "", s.Clock.Now(), caller.Subject
			}
			return nil
		})
		if err != nil && !IsNotFound(err) {
			return err
		}
	}
	return nil
}
