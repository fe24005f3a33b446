// Package search lists and finds contacts: the contact list with its filters
// (tags, owner, blocked, pending) and orders, text search by name, phone or
// email, and exact lookup by phone or email. Lists are served from index
// entries, never by scanning.
package search

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/conversation"
	"github.com/omnichannel/contacts/internal/cursor"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/phone"
	"github.com/omnichannel/contacts/internal/searchkey"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	MaxTagFilter = 10
	cursorTTL    = 24 * time.Hour
)

// Order is the order of a list.
type Order string

// The orders.
const (
	ByName   Order = "name"
	ByNewest Order = "-createdAt"
	// ByActivity lists the most recently active first (lastActivityAt),
	// then the contacts never active, newest first.
	ByActivity Order = "-lastActivityAt"
)

// Summary is a contact as a list row shows it.
type Summary struct {
	ID         string
	Name       string
	Phone      string
	Email      string
	OwnerID    string
	AvatarURL  string
	TelegramID string
	TagIDs     []string
	Tags       []contact.TagRef // resolved for display
	Blocked    bool
	Pending    bool
	CreatedAt  time.Time
	// LastActivityAt and LastInboundAt are the contact's (zero: never).
	LastActivityAt time.Time
	LastInboundAt  time.Time
	Kind           contact.Kind
	Channels       []string // the ids of the channels the contact is connected to
	// StartChannels are the ids of the channels a conversation can start on
	// from this row (connected, or startable by its phone or email); none
	// for a blocked contact. Set by Service.List from the catalogue.
	StartChannels []string
}

// Query is one page request to an Index.
type Query struct {
	Workspace string
	Text      searchkey.Query // QueryNone for a plain list
	TagIDs    []string        // contacts having all of them
	OwnerID   string
	CompanyID string       // only the contacts linked to this company
	NoOwner   bool         // only contacts without an owner (ownerId=none)
	Kind      contact.Kind // only contacts of this kind ("": any)
	Blocked   bool         // the blocked list instead of the active one
	Pending   bool         // only contacts with a pending action
	Order     Order
	After     string // the sort key of the last row of the previous page
	Limit     int
}

// Page is what an Index returns.
type Page struct {
	Items []Summary
	Last  string // sort key of the last item, or where a partial page stopped reading
	More  bool
	// Partial: the page is short because its read budget ran out, not
	// because the list ended; the next page goes on where it stopped.
	Partial bool
}

// Index finds contacts.
type Index interface {
	// Find returns up to q.Limit summaries after q.After, in q's order.
	Find(ctx context.Context, q Query) (Page, error)
	// LookupPhone returns the ids of the contacts with this phone identity,
	// reading its own writes.
	LookupPhone(ctx context.Context, workspace, identity string) ([]string, error)
	// LookupEmail returns the ids of the contacts with this email key,
	// reading its own writes.
	LookupEmail(ctx context.Context, workspace, emailKey string) ([]string, error)
	// LookupExternalID returns the id of the contact holding externalID
	// (none or one), reading its own writes.
	LookupExternalID(ctx context.Context, workspace, externalID string) ([]string, error)
	// CountOf returns how many contacts q matches, from counters kept with
	// every write, without reading rows. Errors: Invalid "count_unavailable"
	// for a q no counter keeps (text, several filters, no owner, kind).
	CountOf(ctx context.Context, q Query) (int, error)
}

// Count answers GET /v1/contacts/count: the filters of a list (no cursor,
// limit or sort), counted by the index's counters; a wallet-bound agent
// counts its wallet. Errors: Invalid (a filter, or count_unavailable).
func (s *Service) Count(ctx context.Context, caller tenant.Caller, params map[string]string) (int, error) {
	for _, k := range []string{"cursor", "limit", "sort"} {
		if _, ok := params[k]; ok {
			return 0, errs.Validation([]errs.FieldError{errs.Field(k, "unknown_field")})
		}
	}
	q, none, err := s.resolve(ctx, caller, params, s.catalogOf(ctx, caller.Workspace))
	if err != nil || none {
		return 0, err
	}
	return s.Index.CountOf(ctx, q)
}

// ContactReader reads one contact under the caller's access rules
// (contact.Service).
type ContactReader interface {
	// Get returns the contact. Errors: NotFound (also outside the caller's wallet).
	Get(ctx context.Context, caller tenant.Caller, id string) (*contact.Contact, error)
}

// Service serves lists, searches and lookups.
type Service struct {
	Index      Index
	Contacts   ContactReader
	Workspaces contact.WorkspaceSource
	Tags       contact.TagSource
	Cursors    *cursor.Codec
	Channels   ChannelCatalog // nil: the default catalogue (one channel per type)
}

// ChannelCatalog gives the workspace's channels (conversation.Store).
type ChannelCatalog interface {
	Channels(ctx context.Context, workspace string) (conversation.Channels, error)
}

// startChannels sets each row's StartChannels, reading the catalogue once.
func (s *Service) startChannels(ctx context.Context, ws string, rows []Summary) error {
	if len(rows) == 0 {
		return nil
	}
	catalog := conversation.DefaultChannels()
	if s.Channels != nil {
		var err error
		if catalog, err = s.Channels.Channels(ctx, ws); err != nil {
			return err
		}
	}
	for i := range rows {
		rows[i].StartChannels = []string{}
		if !rows[i].Blocked {
			rows[i].StartChannels = conversation.StartChannels(catalog, rows[i].Phone, rows[i].Email, rows[i].Channels)
		}
	}
	return nil
}

// Result is one page for the API.
type Result struct {
	Items      []Summary
	NextCursor string
	Partial    bool // the page's read budget ran out (Page.Partial)
}

// ErrCountUnavailable: no counter keeps the count of that filter.
var ErrCountUnavailable = errs.E(errs.Invalid, "count_unavailable")

// ErrBadCursor is a cursor that was not made for this request.
var ErrBadCursor = errs.E(errs.Malformed, "cursor_invalid")

// List serves GET /v1/contacts from the query parameters (repeated values
// joined with commas, as HTTP API sends them). Errors: Invalid, Malformed.
func (s *Service) List(ctx context.Context, caller tenant.Caller, params map[string]string) (Result, error) {
	catalog := s.catalogOf(ctx, caller.Workspace) // read only when a filter or a row needs it
	q, none, err := s.resolve(ctx, caller, params, catalog)
	if err != nil || none {
		return Result{Items: []Summary{}}, err
	}
	scope := scopeOf(q)
	if c := params["cursor"]; c != "" {
		raw, err := s.Cursors.Decode(caller.Workspace, scope, c)
		if err != nil {
			return Result{}, ErrBadCursor
		}
		var pos struct{ After string }
		if json.Unmarshal(raw, &pos) != nil || pos.After == "" {
			return Result{}, ErrBadCursor
		}
		q.After = pos.After
	}
	page, err := s.Index.Find(ctx, q)
	if err != nil {
		return Result{}, err
	}
	res := Result{Items: page.Items, Partial: page.Partial}
	if err := s.startChannels(ctx, caller.Workspace, res.Items); err != nil {
		return Result{}, err
	}
	for i := range res.Items {
		if len(res.Items[i].TagIDs) > 0 {
			if err := catalog.load(); err != nil {
				return Result{}, err
			}
		}
		res.Items[i].Tags = resolveTags(catalog.tags, res.Items[i].TagIDs)
	}
	if page.More {
		raw, _ := json.Marshal(struct{ After string }{page.Last})
		res.NextCursor = s.Cursors.Encode(caller.Workspace, scope, raw, cursorTTL)
	}
	return res, nil
}

// Lookup finds the contacts whose phone or email is exactly the one given
// after normalisation, or the contact holding an externalId, reading its
// own writes. Errors: Invalid.
func (s *Service) Lookup(ctx context.Context, caller tenant.Caller, params map[string]string) ([]*contact.Contact, error) {
	rawPhone, rawEmail := strings.TrimSpace(params["phone"]), strings.TrimSpace(params["email"])
	rawExternal, hasExternal := params["externalId"]
	var ids []string
	var err error
	given := 0
	for _, present := range []bool{rawPhone != "", rawEmail != "", hasExternal} {
		if present {
			given++
		}
	}
	switch {
	case given != 1:
		return nil, errs.Validation([]errs.FieldError{errs.Field("phone", "phone_or_email_required")})
	case hasExternal:
		xid, ok := contact.CheckExternalID(rawExternal)
		if !ok || xid == "" {
			return nil, errs.Validation([]errs.FieldError{errs.Field("externalId", "external_id_invalid", "max", strconv.Itoa(contact.MaxExternalIDRunes))})
		}
		ids, err = s.Index.LookupExternalID(ctx, caller.Workspace, xid)
	case rawPhone != "":
		ws, werr := s.Workspaces.Workspace(ctx, caller.Workspace)
		if werr != nil {
			return nil, werr
		}
		n, perr := phone.Parse(rawPhone, ws.Region())
		if perr != nil {
			return nil, errs.Validation([]errs.FieldError{errs.Field("phone", "phone_invalid")})
		}
		ids, err = s.Index.LookupPhone(ctx, caller.Workspace, n.Identity)
	default:
		ids, err = s.Index.LookupEmail(ctx, caller.Workspace, contact.EmailKey(rawEmail))
	}
	if err != nil {
		return nil, err
	}
	out := []*contact.Contact{}
	for _, id := range ids {
		c, err := s.Contacts.Get(ctx, caller, id)
		if contact.IsNotFound(err) {
			continue // deleted meanwhile, or outside the agent's wallet
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

var knownParams = map[string]bool{"q": true, "tag": true, "ownerId": true, "kind": true, "blocked": true, "pending": true, "sort": true, "limit": true, "cursor": true, "companyId": true}

// NoOwnerFilter is the ownerId a filter takes for "no owner"; no contact
// may have it as its owner (contact.CheckOwnerID).
const NoOwnerFilter = contact.NoOwner

func parseParams(p map[string]string) (Query, []errs.FieldError) {
	var q Query
	var problems []errs.FieldError
	for k := range p {
		if !knownParams[k] {
			problems = append(problems, errs.Field(k, "unknown_field"))
		}
	}
	q.Text = searchkey.ParseQuery(p["q"])
	if t := strings.TrimSpace(p["tag"]); t != "" {
		for _, ref := range strings.Split(t, ",") {
			if ref = strings.TrimSpace(ref); ref != "" && !slices.Contains(q.TagIDs, ref) {
				q.TagIDs = append(q.TagIDs, ref)
			}
		}
		if len(q.TagIDs) > MaxTagFilter {
			problems = append(problems, errs.Field("tag", "too_many", "max", strconv.Itoa(MaxTagFilter)))
		}
	}
	q.OwnerID = strings.TrimSpace(p["ownerId"])
	if q.OwnerID == NoOwnerFilter {
		q.OwnerID, q.NoOwner = "", true
	}
	problems = append(problems, contact.CheckOwnerID("ownerId", q.OwnerID)...)
	if q.CompanyID = strings.TrimSpace(p["companyId"]); q.CompanyID != "" {
		if !ids.Valid(q.CompanyID) {
			problems = append(problems, errs.Field("companyId", "id_invalid"))
		}
		if Order(p["sort"]) == ByActivity {
			// A company's contacts are kept by name and creation only.
			problems = append(problems, errs.Field("sort", "choice_invalid", "choices", "name, -createdAt"))
		}
	}
	switch k := contact.Kind(p["kind"]); k {
	case "", contact.Person, contact.Group:
		q.Kind = k
	default:
		problems = append(problems, errs.Field("kind", "choice_invalid", "choices", "person, group"))
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"blocked", &q.Blocked}, {"pending", &q.Pending}} {
		switch p[b.name] {
		case "", "false":
		case "true":
			*b.dst = true
		default:
			problems = append(problems, errs.Field(b.name, "choice_invalid", "choices", "true, false"))
		}
	}
	switch Order(p["sort"]) {
	case "", ByName:
		q.Order = ByName
	case ByNewest, ByActivity:
		q.Order = Order(p["sort"])
	default:
		problems = append(problems, errs.Field("sort", "choice_invalid", "choices", "name, -createdAt, -lastActivityAt"))
	}
	q.Limit = DefaultLimit
	if l := p["limit"]; l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			problems = append(problems, errs.Field("limit", "limit_invalid", "max", strconv.Itoa(MaxLimit)))
		}
		q.Limit = n
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].Field < problems[j].Field })
	return q, problems
}

// scopeOf names everything that shapes a page, so that a cursor only
// continues the list it was made for.
func scopeOf(q Query) string {
	tags := append([]string(nil), q.TagIDs...)
	sort.Strings(tags)
	text, _ := json.Marshal(q.Text)
	return strings.Join([]string{"contacts", string(q.Order), strings.Join(tags, ","), q.OwnerID, q.CompanyID, strconv.FormatBool(q.NoOwner), string(q.Kind),
		strconv.FormatBool(q.Blocked), strconv.FormatBool(q.Pending), string(text)}, "|")
}

func resolveTag(catalog map[string]contact.TagRef, ref string) (string, bool) {
	if _, ok := catalog[ref]; ok {
		return ref, true
	}
	key := strings.ToLower(strings.Join(strings.Fields(ref), " "))
	for id, t := range catalog {
		if strings.ToLower(strings.Join(strings.Fields(t.Name), " ")) == key {
			return id, true
		}
	}
	return "", false
}

func resolveTags(catalog map[string]contact.TagRef, ids []string) []contact.TagRef {
	out := []contact.TagRef{}
	for _, id := range ids {
		if t, ok := catalog[id]; ok {
			out = append(out, t)
		}
	}
	return out
}

// resolve validates list parameters into a Query for the caller: tag names
// resolved, an agent bound to a wallet kept to it. none: nothing can match.
func (s *Service) resolve(ctx context.Context, caller tenant.Caller, params map[string]string, catalog *tagCatalog) (Query, bool, error) {
	q, problems := parseParams(params)
	if len(problems) > 0 {
		return Query{}, false, errs.Validation(problems)
	}
	q.Workspace = caller.Workspace
	if len(q.TagIDs) > 0 {
		if err := catalog.load(); err != nil {
			return Query{}, false, err
		}
	}
	for i, ref := range q.TagIDs {
		id, ok := resolveTag(catalog.tags, ref)
		if !ok {
			return Query{}, false, errs.Validation([]errs.FieldError{errs.Field("tag", "tag_unknown", "value", ref)})
		}
		q.TagIDs[i] = id
	}
	ws, err := s.Workspaces.Workspace(ctx, caller.Workspace)
	if err != nil {
		return Query{}, false, err
	}
	if wallet := contact.ScopeOf(ws, caller).Wallet; wallet != "" {
		if q.NoOwner || q.OwnerID != "" && q.OwnerID != wallet {
			return Query{}, true, nil // nothing outside the wallet
		}
		q.OwnerID = wallet
	}
	return q, false, nil
}

// tagCatalog is the workspace's tag catalogue, read once when first needed.
type tagCatalog struct {
	read func() (map[string]contact.TagRef, error)
	tags map[string]contact.TagRef
}

func (s *Service) catalogOf(ctx context.Context, ws string) *tagCatalog {
	return &tagCatalog{read: func() (map[string]contact.TagRef, error) { return s.Tags.Catalog(ctx, ws) }}
}

// load reads the catalogue unless it was read.
func (c *tagCatalog) load() (err error) {
	if c.tags == nil {
		c.tags, err = c.read()
	}
	return err
}

// Filter is a list filter resolved for a caller: every contact it matches
// can be walked page by page (exports, bulk deletes).
type Filter struct {
	q    Query
	none bool
}

// NewFilter validates filter, list parameters as GET /v1/contacts takes
// them (q, tag, ownerId, blocked, pending, sort; limit and cursor are not
// allowed). Errors: Invalid.
func (s *Service) NewFilter(ctx context.Context, caller tenant.Caller, filter map[string]string) (Filter, error) {
	var problems []errs.FieldError
	for k := range filter {
		switch k {
		case "q", "tag", "ownerId", "kind", "blocked", "pending", "sort":
		default:
			problems = append(problems, errs.Field("filter."+k, "unknown_field"))
		}
	}
	if len(problems) > 0 {
		return Filter{}, errs.Validation(problems)
	}
	q, none, err := s.resolve(ctx, caller, filter, s.catalogOf(ctx, caller.Workspace))
	if e := errs.As(err); err != nil && e.Kind == errs.Invalid {
		for i := range e.Fields {
			e.Fields[i].Field = "filter." + e.Fields[i].Field
		}
		return Filter{}, e
	}
	return Filter{q: q, none: none}, err
}

// Page returns up to limit contacts of the filter after the sort key after
// ("" for the first page); Page.Last is the after of the next page.
func (s *Service) Page(ctx context.Context, f Filter, after string, limit int) (Page, error) {
	if f.none {
		return Page{}, nil
	}
	q := f.q
	q.After, q.Limit = after, limit
	return s.Index.Find(ctx, q)
}

// FilterParams turns a filter object of a request body ({q, tag: [...],
// ownerId, blocked, pending}) into list parameters.
func FilterParams(f map[string]any) (map[string]string, []errs.FieldError) {
	out := map[string]string{}
	var problems []errs.FieldError
	for k, v := range f {
		switch x := v.(type) {
		case string:
			out[k] = x
		case bool:
			out[k] = strconv.FormatBool(x)
		case []any:
			var parts []string
			for _, p := range x {
				s, ok := p.(string)
				if !ok {
					problems = append(problems, errs.Field("filter."+k, "invalid_type", "type", "array of strings"))
					break
				}
				parts = append(parts, s)
			}
			out[k] = strings.Join(parts, ",")
		default:
			problems = append(problems, errs.Field("filter."+k, "invalid_type", "type", "string, boolean or array of strings"))
		}
	}
	return out, problems
}
