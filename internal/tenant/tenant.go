// Package tenant describes who is calling: the workspace every key is scoped
// to, the caller's role, and what each role may do.
package tenant

import (
	"regexp"
	"strings"
)

// Role is a caller's role in a workspace.
type Role string

// The roles. "admin" is accepted as an alias of Manager.
const (
	Owner   Role = "owner"
	Manager Role = "manager"
	Agent   Role = "agent"
)

// ParseRole returns the role named by s (case-insensitive), and false for
// anything that is not a role.
func ParseRole(s string) (Role, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "owner":
		return Owner, true
	case "manager", "admin":
		return Manager, true
	case "agent":
		return Agent, true
	}
	return "", false
}

// Caller is the verified identity behind a request.
type Caller struct {
	Workspace string // every key read or written is scoped to it
	Subject   string // the user id (JWT "sub")
	Role      Role
}

// IsManager reports whether the caller is an owner or a manager.
func (c Caller) IsManager() bool { return c.Role == Owner || c.Role == Manager }

var (
	workspacePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	userIDPattern    = regexp.MustCompile(`^[A-Za-z0-9._:@|+-]{1,128}$`)
)

// ValidWorkspace reports whether id can be a workspace id: 1 to 64 of
// A-Z a-z 0-9 _ -, so that it can never break out of a key prefix.
func ValidWorkspace(id string) bool { return workspacePattern.MatchString(id) }

// ValidUserID reports whether id can be a user id: a JWT "sub", and the
// ownerId of a contact (a wallet). 1 to 128 of A-Z a-z 0-9 . _ : @ | + -
// (Cognito's UUIDs, Auth0's "google-oauth2|123"...): no '#', so that it can
// never break out of a key it is part of (wallets, Idempotency-Keys).
func ValidUserID(id string) bool { return userIDPattern.MatchString(id) }
