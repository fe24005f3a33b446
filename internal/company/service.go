package company

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/clock"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/searchkey"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Errors of the list parameters (the codes the contact list uses).
var (
	ErrBadCursor = errs.E(errs.Malformed, "cursor_invalid")
)

// Service manages the workspace's companies. Roles are those of contacts:
// every role creates, reads and edits companies; deleting one is for owners
// and managers.
type Service struct {
	Companies  Repository
	Workspaces contact.WorkspaceStore // the default region of phone numbers
	Cursors    *cursor.Codec
	FieldDefs  FieldStore // the company custom field definitions
	// People links and unlinks contacts (wallets, validation, the contact's
	// transaction, which checks that the company exists).
	People *contact.Service
	Clock  clock.Clock // the system clock when nil
	// Jobs records the company_unlink job of a company with more than
	// UnlinkInline contacts, Queue hands it to its worker; with no Jobs
	// every delete unlinks in the request.
	Jobs  *jobs.Service
	Queue jobs.Queue
	// UnlinkInline is the most contacts a delete unlinks in the request
	// (DefaultUnlinkInline when 0).
	UnlinkInline int
}

// Create adds a company from its document. Errors: Invalid, Conflict
// company_tax_id_taken.
func (s *Service) Create(ctx context.Context, caller tenant.Caller, doc map[string]any) (*Company, error) {
	ws, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	p, err := Parse(without(doc, "tags", "customFields"), ws.Region())
	defs, derr := s.definitions(ctx, caller.Workspace, doc)
	if derr != nil {
		return nil, derr
	}
	cf, problems := contact.CheckCustomFields(doc["customFields"], defs, now)
	if err := joinProblems(err, problems); err != nil {
		return nil, err
	}
	tags, tagIDs, err := s.resolveTags(ctx, caller.Workspace, doc["tags"])
	if err != nil {
		return nil, err
	}
	if wallet := contact.ScopeOf(ws, caller).Wallet; p.OwnerID == "" && wallet != "" {
		p.OwnerID = wallet // else the agent could not see what it created
	}
	c := &Company{Workspace: caller.Workspace, ID: ids.New(now), Profile: p, TagIDs: tagIDs, CustomFields: cf,
		CreatedAt: now, CreatedBy: caller.Subject, UpdatedAt: now, UpdatedBy: caller.Subject, Version: 1}
	if err := s.Companies.Create(ctx, c); err != nil {
		return nil, err
	}
	c.Tags = tags // as the catalogue was just read
	return c, nil
}

// Get reads a company. A wallet-bound agent (agentWalletOnly) sees the
// companies whose ownerId is its own; any other is answered as one that
// does not exist. Errors: NotFound.
func (s *Service) Get(ctx context.Context, caller tenant.Caller, id string) (*Company, error) {
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	c, err := s.Companies.Get(ctx, caller.Workspace, id)
	if err != nil {
		return nil, err
	}
	wallet, err := s.wallet(ctx, caller)
	if err != nil {
		return nil, err
	}
	if wallet != "" && c.OwnerID != wallet {
		return nil, ErrNotFound
	}
	return c, s.showTags(ctx, caller.Workspace, c)
}

// wallet is the owner whose companies alone the caller sees ("": all).
func (s *Service) wallet(ctx context.Context, caller tenant.Caller) (string, error) {
	if caller.Role != tenant.Agent {
		return "", nil
	}
	ws, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return "", err
	}
	return contact.ScopeOf(ws, caller).Wallet, nil
}

// Update applies a JSON merge patch to a company and validates the result
// as a whole. Errors: NotFound, Invalid, Conflict, Precondition.
func (s *Service) Update(ctx context.Context, caller tenant.Caller, id string, ifVersion int, patch map[string]any) (*Company, error) {
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	ws, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return nil, err
	}
	wallet := contact.ScopeOf(ws, caller).Wallet
	var tags []contact.TagRef
	var tagIDs []string
	raw, hasTags := patch["tags"]
	if hasTags {
		if tags, tagIDs, err = s.resolveTags(ctx, caller.Workspace, raw); err != nil {
			return nil, err
		}
	}
	defs, err := s.definitions(ctx, caller.Workspace, patch)
	if err != nil {
		return nil, err
	}
	c, err := s.Companies.Update(ctx, caller.Workspace, id, ifVersion, func(c *Company) error {
		if wallet != "" && c.OwnerID != wallet {
			return ErrNotFound
		}
		before := *c
		base, problems := s.patchExtras(c, patch, tagIDs, defs)
		p, err := Parse(base, ws.Region())
		if err := joinProblems(err, problems); err != nil {
			return err
		}
		c.Profile = p
		if c.Equal(&before) {
			return nil
		}
		c.UpdatedAt, c.UpdatedBy = s.Clock.Now(), caller.Subject
		return nil
	})
	if err != nil {
		return nil, err
	}
	if hasTags {
		c.Tags = tags // the company's tags, as the catalogue was just read
		return c, nil
	}
	return c, s.showTags(ctx, caller.Workspace, c)
}

// Delete removes a company; owners and managers only. Its contacts are
// unlinked, never deleted: each in its own transaction (a new version of
// the contact, an "updated" timeline entry, its company index row removed).
// A company with at most UnlinkInline contacts has them unlinked in the
// request, then goes in one transaction (nil job). A delete cut short (a
// timeout, a crash) leaves the company in place with fewer contacts:
// repeating it goes on. A company with more is deleted at once and a
// company_unlink job unlinks the rest (see deleteLater). Errors: Forbidden,
// NotFound, Precondition.
func (s *Service) Delete(ctx context.Context, caller tenant.Caller, id string, ifVersion int) (*jobs.Job, error) {
	if !caller.IsManager() {
		return nil, contact.ErrForbidden
	}
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	c, err := s.Companies.Get(ctx, caller.Workspace, id)
	if err != nil {
		return nil, err
	}
	if ifVersion > 0 && ifVersion != c.Version {
		return nil, contact.ErrVersionMismatch.With("current", strconv.Itoa(c.Version))
	}
	rows, _, err := s.Companies.Contacts(ctx, caller.Workspace, id, "", s.unlinkInline()+1, true)
	if err != nil {
		return nil, err
	}
	if len(rows) > s.unlinkInline() && s.Jobs != nil {
		return s.deleteLater(ctx, caller, c)
	}
	if err := s.unlinkAll(ctx, caller, id); err != nil {
		return nil, err
	}
	return nil, s.Companies.Delete(ctx, caller.Workspace, id, c.Version, caller.Subject)
}

func (s *Service) unlinkAll(ctx context.Context, caller tenant.Caller, id string) error {
	for {
		rows, _, err := s.Companies.Contacts(ctx, caller.Workspace, id, "", unlinkPage, true)
		if err != nil || len(rows) == 0 {
			return err
		}
		for _, r := range rows {
			if _, err := s.unlinkOne(ctx, caller.Workspace, caller.Subject, id, r.ID); err != nil {
				return err
			}
		}
	}
}

// Contacts answers GET /v1/companies/{id}/contacts: the company's contacts
// by name, as list rows, paged (limit, cursor). A wallet-bound agent is
// shown those of its wallet. Errors: NotFound, Invalid, Malformed.
func (s *Service) Contacts(ctx context.Context, caller tenant.Caller, id string, params map[string]string) (ContactPage, error) {
	if !ids.Valid(id) {
		return ContactPage{}, ErrNotFound
	}
	if _, err := s.Get(ctx, caller, id); err != nil {
		return ContactPage{}, err
	}
	var problems []errs.FieldError
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if k != "limit" && k != "cursor" {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	limit := DefaultLimit
	if l := params["limit"]; l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			problems = append(problems, errs.Field("limit", "limit_invalid", "max", strconv.Itoa(MaxLimit)))
		}
		limit = n
	}
	if len(problems) > 0 {
		return ContactPage{}, errs.Validation(problems)
	}
	scope := contactsScope + ":" + id
	after := ""
	if c := params["cursor"]; c != "" {
		raw, err := s.Cursors.Decode(caller.Workspace, scope, c)
		if err != nil || len(raw) == 0 {
			return ContactPage{}, ErrBadCursor
		}
		after = string(raw)
	}
	seen, err := s.People.Scope(ctx, caller)
	if err != nil {
		return ContactPage{}, err
	}
	var out ContactPage
	for {
		rows, next, err := s.Companies.Contacts(ctx, caller.Workspace, id, after, limit-len(out.Items), false)
		if err != nil {
			return ContactPage{}, err
		}
		for _, r := range rows {
			if seen.Sees(&contact.Contact{Profile: contact.Profile{OwnerID: r.OwnerID}}) {
				out.Items = append(out.Items, r)
			}
		}
		if next == "" {
			break
		}
		after = next
		if len(out.Items) == limit {
			out.NextCursor = s.Cursors.Encode(caller.Workspace, scope, []byte(next), cursorTTLHours*time.Hour)
			break
		}
	}
	if s.People.Tags != nil && len(out.Items) > 0 {
		catalog, err := s.People.Tags.Catalog(ctx, caller.Workspace)
		if err != nil {
			return ContactPage{}, err
		}
		for i := range out.Items {
			out.Items[i].Tags = []contact.TagRef{}
			for _, t := range out.Items[i].TagIDs {
				if ref, ok := catalog[t]; ok {
					out.Items[i].Tags = append(out.Items[i].Tags, ref)
				}
			}
		}
	}
	return out, nil
}

// LinkResult is the outcome of linking one contact.
type LinkResult struct {
	ContactID string
	Err       error // nil: linked (or already was)
}

// Link links up to MaxLinkBatch contacts to the company, each in its own
// transaction, as a PATCH {"companyId"} of each would (wallets, versions,
// the timeline); a contact linked to another company moves. Errors:
// NotFound (the company), Invalid (the ids); per contact in the results.
func (s *Service) Link(ctx context.Context, caller tenant.Caller, id string, doc map[string]any) ([]LinkResult, error) {
	if !ids.Valid(id) {
		return nil, ErrNotFound
	}
	if _, err := s.Get(ctx, caller, id); err != nil {
		return nil, err
	}
	var problems []errs.FieldError
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		if k != "contactIds" {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	var list []string
	if doc["contactIds"] == nil {
		problems = append(problems, errs.Field("contactIds", "required"))
	} else {
		var fe []errs.FieldError
		list, fe = ids.List("contactIds", doc["contactIds"], MaxLinkBatch)
		problems = append(problems, fe...)
	}
	if len(problems) > 0 {
		return nil, errs.Validation(problems)
	}
	out := make([]LinkResult, 0, len(list))
	for _, cid := range list {
		_, err := s.People.Update(ctx, caller, cid, 0, map[string]any{"companyId": id})
		out = append(out, LinkResult{ContactID: cid, Err: err})
	}
	return out, nil
}

// Result is a page of the list and the cursor of the next one ("" at the end).
type Result struct {
	Companies  []Company
	NextCursor string
}

var listParams = map[string]bool{"q": true, "sort": true, "limit": true, "cursor": true, "tag": true, "ownerId": true}

// List answers GET /v1/companies: q (name words, accent- and
// case-insensitive prefixes), tag (a tag id), ownerId, sort (name,
// -createdAt), limit and cursor. Errors: Invalid naming the parameter,
// Malformed cursor_invalid.
func (s *Service) List(ctx context.Context, caller tenant.Caller, params map[string]string) (Result, error) {
	q, problems := parseList(params)
	if len(problems) > 0 {
		return Result{}, errs.Validation(problems)
	}
	wallet, err := s.wallet(ctx, caller)
	if err != nil {
		return Result{}, err
	}
	q.Owner = wallet
	if wallet != "" && q.OwnerID != "" && q.OwnerID != wallet {
		return Result{Companies: []Company{}}, nil // none the caller may see
	}
	if wallet != "" {
		q.OwnerID = wallet // read from the wallet's rows
	}
	scope := cursorScope + ":" + q.Sort + ":" + strings.Join(q.Words, " ") + ":" + wallet + ":" + q.Tag + ":" + q.OwnerID
	if c := params["cursor"]; c != "" {
		raw, err := s.Cursors.Decode(caller.Workspace, scope, c)
		if err != nil || len(raw) == 0 {
			return Result{}, ErrBadCursor
		}
		q.After = string(raw)
	}
	catalog, err := s.checkTag(ctx, caller.Workspace, q)
	if err != nil {
		return Result{}, err
	}
	page, err := s.Companies.List(ctx, caller.Workspace, q)
	if err != nil {
		return Result{}, err
	}
	out := Result{Companies: page.Companies}
	shown := make([]*Company, len(out.Companies))
	for i := range out.Companies {
		shown[i] = &out.Companies[i]
	}
	if catalog != nil {
		fillTags(catalog, shown)
	} else if err := s.showTags(ctx, caller.Workspace, shown...); err != nil {
		return Result{}, err
	}
	if page.Next != "" {
		out.NextCursor = s.Cursors.Encode(caller.Workspace, scope, []byte(page.Next), cursorTTLHours*time.Hour)
	}
	return out, nil
}

func parseList(p map[string]string) (ListQuery, []errs.FieldError) {
	var problems []errs.FieldError
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if !listParams[k] {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	q := ListQuery{Sort: SortName, Limit: DefaultLimit}
	switch p["sort"] {
	case "", SortName:
	case SortNewest:
		q.Sort = SortNewest
	default:
		problems = append(problems, errs.Field("sort", "choice_invalid", "choices", "name, -createdAt"))
	}
	if l := p["limit"]; l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			problems = append(problems, errs.Field("limit", "limit_invalid", "max", strconv.Itoa(MaxLimit)))
		}
		q.Limit = n
	}
	if raw := p["q"]; raw != "" {
		if len([]rune(raw)) > searchkey.MaxQueryLen {
			problems = append(problems, errs.Field("q", "too_long", "max", strconv.Itoa(searchkey.MaxQueryLen)))
		}
		q.Words = QueryWords(raw)
	}
	if q.Tag = strings.TrimSpace(p["tag"]); q.Tag != "" && !ids.Valid(q.Tag) {
		problems = append(problems, errs.Field("tag", "id_invalid"))
	}
	q.OwnerID = strings.TrimSpace(p["ownerId"])
	problems = append(problems, contact.CheckOwnerID("ownerId", q.OwnerID)...)
	return q, problems
}

// QueryWords returns the words of a name query, the longest first: each
// must start a word of a company's name (searchkey.NameWords).
func QueryWords(q string) []string {
	words := searchkey.NameWords(q)
	slices.SortStableFunc(words, func(a, b string) int { return len(b) - len(a) })
	return words
}

// Matches reports whether every query word starts a word of words.
func Matches(words, query []string) bool {
	for _, q := range query {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, q) }) {
			return false
		}
	}
	return true
}
