package contact

import (
	"context"

	"github.com/omnichannel/contacts/internal/tenant"
)

// The one rule of which contacts a caller may see. A workspace may keep its
// agents to their own wallet (agentWalletOnly): such an agent sees only the
// contacts whose ownerId is the agent, and a contact outside is answered
// like one that does not exist. Every service asks here: Get (so every
// route naming a contact), lists and search (as a wallet filter), lookups,
// linked contacts, merges and their records, suggestions, conversation
// start by phone.

// Scope is the part of a workspace's contacts a caller may see: every
// contact, or one wallet.
type Scope struct {
	Wallet string // the owner whose contacts alone are seen; "" sees every contact
}

// ScopeOf returns the scope of caller in a workspace with settings w.
func ScopeOf(w Workspace, caller tenant.Caller) Scope {
	if w.AgentWalletOnly && caller.Role == tenant.Agent {
		return Scope{Wallet: caller.Subject}
	}
	return Scope{}
}

// Sees reports whether c is in the scope.
func (s Scope) Sees(c *Contact) bool { return s.Wallet == "" || c.OwnerID == s.Wallet }

// Scope returns the caller's scope. Owners and managers see every contact:
// the settings are read for agents only.
func (s *Service) Scope(ctx context.Context, caller tenant.Caller) (Scope, error) {
	if caller.Role != tenant.Agent {
		return Scope{}, nil
	}
	ws, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return Scope{}, err
	}
	return ScopeOf(ws, caller), nil
}

// CheckAccess returns ErrNotFound when c is outside the caller's scope.
func (s *Service) CheckAccess(ctx context.Context, caller tenant.Caller, c *Contact) error {
	if caller.Role != tenant.Agent || c.OwnerID == caller.Subject {
		return nil // seen whatever the settings say: no read
	}
	scope, err := s.Scope(ctx, caller)
	if err != nil {
		return err
	}
	if !scope.Sees(c) {
		return ErrNotFound
	}
	return nil
}

// SeesAll reports whether the caller may see every contact of ids that
// exists; ids of contacts deleted or merged into another are passed over.
func (s *Service) SeesAll(ctx context.Context, caller tenant.Caller, ids []string) (bool, error) {
	scope, err := s.Scope(ctx, caller)
	if err != nil || scope.Wallet == "" {
		return err == nil, err
	}
	unseen, err := s.first(ctx, caller.Workspace, ids, func(c *Contact) bool { return !scope.Sees(c) })
	return unseen == nil && err == nil, err
}

// FirstVisible returns the first contact of ids the caller may see, or nil
// when none is (ids of contacts deleted meanwhile are passed over).
func (s *Service) FirstVisible(ctx context.Context, caller tenant.Caller, ids []string) (*Contact, error) {
	scope, err := s.Scope(ctx, caller)
	if err != nil {
		return nil, err
	}
	c, err := s.first(ctx, caller.Workspace, ids, scope.Sees)
	if c == nil || err != nil {
		return nil, err
	}
	return c, s.ResolveTags(ctx, c)
}

// first reads the contacts of ids in order and returns the first that
// exists and matches, or nil.
func (s *Service) first(ctx context.Context, workspace string, ids []string, match func(*Contact) bool) (*Contact, error) {
	for _, id := range ids {
		c, err := s.Contacts.Get(ctx, workspace, id)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if match(c) {
			return c, nil
		}
	}
	return nil, nil
}
