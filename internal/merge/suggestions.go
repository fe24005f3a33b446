package merge

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Group is a phone identity or an email shared by contacts that are not
// blocked: a merge suggestion when it has two or more.
type Group struct {
	Key        string // "p:<phone identity>" or "e:<email key>"
	Generation int    // grows with every change of its membership
	Members    int
}

// DuplicateIndex keeps the groups, right after every write of a contact.
type DuplicateIndex interface {
	// Duplicates lists the suggested groups (two or more members, not
	// dismissed since their membership last changed) in key order after
	// the key after, up to limit, and whether there are more.
	Duplicates(ctx context.Context, workspace, after string, limit int) ([]Group, bool, error)
	// DuplicateGroupOf returns a key's group and whether it is suggested.
	DuplicateGroupOf(ctx context.Context, workspace, key string) (Group, bool, error)
	// DuplicateMembers returns the ids of the contacts holding key, oldest first.
	DuplicateMembers(ctx context.Context, workspace, key string) ([]string, error)
	// DismissDuplicates hides a group until its membership changes;
	// generation > 0 demands that one. Errors: NotFound
	// "suggestion_not_found", Conflict "suggestion_changed".
	DismissDuplicates(ctx context.Context, workspace, key string, generation int) error
}

// Errors of suggestions.
var (
	ErrSuggestionNotFound = errs.E(errs.NotFound, "suggestion_not_found")
	ErrSuggestionChanged  = errs.E(errs.Conflict, "suggestion_changed")
)

// MaxSuggestionsPage bounds a page of suggestions: each costs a Query and
// a read per contact.
const MaxSuggestionsPage = 50

// Suggestion is a group with its contacts, oldest first.
type Suggestion struct {
	ID         string // opaque: the group's key, encoded
	Kind       string // phone or email
	Value      string // the shared phone identity or email key
	Generation int
	Contacts   []*contact.Contact
}

// SuggestionID encodes a group key as an opaque id.
func SuggestionID(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func keyOf(id string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	k := string(b)
	if err != nil || !(strings.HasPrefix(k, "p:") || strings.HasPrefix(k, "e:")) || len(k) < 3 || len(k) > 300 {
		return "", false
	}
	return k, true
}

// Suggestions lists merge suggestions after the group id after, up to
// limit; groups the caller can see fewer than two contacts of are left out.
func (s *Service) Suggestions(ctx context.Context, caller tenant.Caller, index DuplicateIndex, after string, limit int) ([]Suggestion, string, error) {
	afterKey := ""
	if after != "" {
		k, ok := keyOf(after)
		if !ok {
			return nil, "", errs.Validation([]errs.FieldError{errs.Field("cursor", "cursor_invalid")})
		}
		afterKey = k
	}
	var out []Suggestion
	for {
		groups, more, err := index.Duplicates(ctx, caller.Workspace, afterKey, limit)
		if err != nil {
			return nil, "", err
		}
		for i, g := range groups {
			afterKey = g.Key
			sg, ok, err := s.suggestion(ctx, caller, index, g)
			if err != nil {
				return nil, "", err
			}
			if ok {
				out = append(out, sg)
			}
			if len(out) == limit {
				if i == len(groups)-1 && !more {
					return out, "", nil // the last group: no page after this one
				}
				return out, SuggestionID(g.Key), nil
			}
		}
		if !more {
			return out, "", nil
		}
	}
}

// ContactSuggestions lists the suggested groups of one contact.
// Errors: NotFound.
func (s *Service) ContactSuggestions(ctx context.Context, caller tenant.Caller, index DuplicateIndex, id string) ([]Suggestion, error) {
	c, err := s.People.Get(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	out := []Suggestion{}
	for _, k := range contact.DuplicateKeys(c) {
		g, listed, err := index.DuplicateGroupOf(ctx, caller.Workspace, k)
		if err != nil {
			return nil, err
		}
		if !listed {
			continue
		}
		sg, ok, err := s.suggestion(ctx, caller, index, g)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, sg)
		}
	}
	return out, nil
}

func (s *Service) suggestion(ctx context.Context, caller tenant.Caller, index DuplicateIndex, g Group) (Suggestion, bool, error) {
	ids, err := index.DuplicateMembers(ctx, caller.Workspace, g.Key)
	if err != nil {
		return Suggestion{}, false, err
	}
	sg := Suggestion{ID: SuggestionID(g.Key), Kind: "phone", Value: g.Key[2:], Generation: g.Generation}
	if strings.HasPrefix(g.Key, "e:") {
		sg.Kind = "email"
	}
	for _, id := range ids {
		c, err := s.People.Get(ctx, caller, id)
		if contact.IsNotFound(err) {
			continue // outside the agent's wallet
		}
		if err != nil {
			return Suggestion{}, false, err
		}
		if !c.Blocked {
			sg.Contacts = append(sg.Contacts, c)
		}
	}
	return sg, len(sg.Contacts) >= 2, nil
}

// Dismiss marks a group "not duplicates" from {id, generation?}: it stays
// hidden until its membership changes. Errors: Invalid, NotFound, Conflict.
func (s *Service) Dismiss(ctx context.Context, caller tenant.Caller, index DuplicateIndex, doc map[string]any) error {
	var problems []errs.FieldError
	for k := range doc {
		if k != "id" && k != "generation" {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	id, _ := doc["id"].(string)
	k, ok := keyOf(id)
	if !ok {
		problems = append(problems, errs.Field("id", "id_invalid"))
	}
	generation := 0
	if v, present := doc["generation"]; present {
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v)))
		if err != nil || n < 1 {
			problems = append(problems, errs.Field("generation", "invalid_type", "type", "positive integer"))
		}
		generation = n
	}
	if len(problems) > 0 {
		return errs.Validation(problems)
	}
	if err := s.checkSeen(ctx, caller, index, k); err != nil {
		return err
	}
	return index.DismissDuplicates(ctx, caller.Workspace, k, generation)
}

// checkSeen returns ErrSuggestionNotFound when the group of key is not a
// suggestion the caller is shown (an agent bound to a wallet sees a group
// only with two or more contacts of the wallet in it).
func (s *Service) checkSeen(ctx context.Context, caller tenant.Caller, index DuplicateIndex, key string) error {
	scope, err := s.People.Scope(ctx, caller)
	if err != nil || scope.Wallet == "" {
		return err
	}
	g, listed, err := index.DuplicateGroupOf(ctx, caller.Workspace, key)
	if err != nil || !listed {
		return notFoundUnless(err, ErrSuggestionNotFound)
	}
	_, shown, err := s.suggestion(ctx, caller, index, g)
	if err != nil || !shown {
		return notFoundUnless(err, ErrSuggestionNotFound)
	}
	return nil
}
