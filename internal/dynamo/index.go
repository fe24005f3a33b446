package dynamo

import (
	"fmt"
	"hash/fnv"
	"reflect"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/searchkey"
)

// indexShards spreads every workspace-wide index over this many partitions,
// so one workspace's writes are not capped by one partition's 1,000 WCU/s.
const indexShards = 8

// Index families: where a contact is listed. State is "A" (active) or "B"
// (blocked); shard is 0..indexShards-1, from the contact id.
func listPK(ws, state, shard string) string  { return workspacePrefix(ws) + "L#" + state + "#" + shard }
func ownerPK(ws, owner, state string) string { return workspacePrefix(ws) + "O#" + owner + "#" + state }
func tagIndexPK(ws, tagID, state, shard string) string {
	return workspacePrefix(ws) + "T#" + tagID + "#" + state + "#" + shard
}
func pendingPK(ws, state string) string { return workspacePrefix(ws) + "P#" + state }

// recentPK is the family ordered by last activity (sort=-lastActivityAt).
func recentPK(ws, state, shard string) string {
	return workspacePrefix(ws) + "R#" + state + "#" + shard
}
func searchPK(ws, shard string) string { return workspacePrefix(ws) + "Q#" + shard }

// nameOrderSK's separator sorts before any character of a sort key, so
// "Ana" lists before "Ana Maria".
func nameOrderSK(sortKey, id string) string    { return "N#" + sortKey + "\x01" + id }
func createdOrderSK(created, id string) string { return "C#" + created + "#" + id }

// activityOrderSK orders by last activity; a contact never active sorts
// below every active one ("0" < "2"), by creation. Read newest first.
func activityOrderSK(c *contact.Contact) string {
	if c.LastActivityAt.IsZero() {
		return "R#0#" + c.CreatedAt.UTC().Format(createdLayout) + "#" + c.ID
	}
	return "R#" + c.LastActivityAt.UTC().Format(createdLayout) + "#" + c.ID
}

// Search token kinds, the first letters of a token's SK.
const (
	tokenName   = "n:"
	tokenPhone  = "p:"
	tokenSuffix = "x:"
	tokenEmail  = "e:"
)

// createdLayout sorts as text in time order (fixed width).
const createdLayout = "2006-01-02T15:04:05.000000000Z"

func shardOf(id string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return strconv.Itoa(int(h.Sum32() % indexShards))
}

func stateOf(c *contact.Contact) string {
	if c.Blocked {
		return "B"
	}
	return "A"
}

// indexRow is a contact's entry in one index: its keys and what a list row
// shows, so a list page is read from the index alone.
type indexRow struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	LSI1SK    string `dynamodbav:"LSI1SK,omitempty"`
	Type      string `dynamodbav:"type"`
	ContactID string `dynamodbav:"contactId"`
	Name      string `dynamodbav:"name,omitempty"`
	Phone     string `dynamodbav:"phone,omitempty"`
	Email     string `dynamodbav:"email,omitempty"`
	// A search token's row also holds the contact's other phones and
	// emails, so a search finding it under several tokens returns it once.
	OtherPhones []string `dynamodbav:"otherPhones,omitempty"`
	OtherEmails []string `dynamodbav:"otherEmails,omitempty"`
	OwnerID     string   `dynamodbav:"ownerId,omitempty"`
	AvatarURL   string   `dynamodbav:"avatarUrl,omitempty"`
	TelegramID  string   `dynamodbav:"telegramId,omitempty"`
	TagIDs      []string `dynamodbav:"tagIds,omitempty,stringset"`
	Kind        string   `dynamodbav:"kind,omitempty"`
	Channels    []string `dynamodbav:"channels,omitempty,stringset"` // connected
	Blocked     bool     `dynamodbav:"blocked,omitempty"`
	Pending     bool     `dynamodbav:"pending,omitempty"`
	CreatedAt   string   `dynamodbav:"createdAt"`
	// The contact's activity as rows show it (contact.ListedActivityStep).
	LastActivityAt string `dynamodbav:"lastActivityAt,omitempty"`
	LastInboundAt  string `dynamodbav:"lastInboundAt,omitempty"`
}

// indexRows returns every index entry of c: the workspace list, the
// owner's wallet, each tag, the pending list, the activity order, and the search tokens (name
// words, phone digit strings, reversed phone digits, email).
func indexRows(c *contact.Contact) []indexRow {
	ws, state, shard := c.Workspace, stateOf(c), shardOf(c.ID)
	created := c.CreatedAt.UTC().Format(createdLayout)
	base := indexRow{
		Type: "index", ContactID: c.ID, Name: c.Name, Phone: c.Phone, Email: c.Email, OwnerID: c.OwnerID,
		AvatarURL: c.AvatarURL, TelegramID: c.TelegramID, TagIDs: c.TagIDs, Blocked: c.Blocked,
		Kind: string(c.Kind), Channels: c.Channels,
		Pending: len(c.PendingActions()) > 0, CreatedAt: created,
		LastActivityAt: formatTime(c.ListedActivityAt), LastInboundAt: formatTime(c.ListedInboundAt),
	}
	ordered := func(pk string) indexRow {
		r := base
		r.PK, r.SK, r.LSI1SK = pk, nameOrderSK(searchkey.SortKey(c.Name), c.ID), createdOrderSK(created, c.ID)
		return r
	}
	// The activity order's row is exact, as the order it gives.
	recent := base
	recent.PK, recent.SK = recentPK(ws, state, shard), activityOrderSK(c)
	recent.LastActivityAt, recent.LastInboundAt = formatTime(c.LastActivityAt), formatTime(c.LastInboundAt)
	rows := []indexRow{ordered(listPK(ws, state, shard)), recent}
	if c.OwnerID != "" {
		rows = append(rows, ordered(ownerPK(ws, c.OwnerID, state)))
	}
	if base.Pending {
		rows = append(rows, ordered(pendingPK(ws, state)))
	}
	for _, t := range c.TagIDs {
		rows = append(rows, ordered(tagIndexPK(ws, t, state, shard)))
	}
	if c.CompanyID != "" {
		// The company's contacts, active and blocked alike (rows say which).
		rows = append(rows, ordered(companyContactsPK(ws, c.CompanyID)))
	}
	tokens := map[string]bool{}
	// withOthers: the rows a search may find the contact under besides a
	// row of its primaries also hold its other phones and emails, so the
	// search keeps one row per contact (search.go, phoneStreams); the rows
	// of names and of the primaries do not, so editing the others rewrites
	// only the rows that need them.
	token := func(kind, value string, withOthers bool) {
		r := base
		r.PK, r.SK = searchPK(ws, shard), kind+value+"#"+c.ID
		if withOthers {
			r.OtherPhones, r.OtherEmails = c.OtherPhones, c.OtherEmails
		}
		if !tokens[r.SK] {
			tokens[r.SK] = true
			rows = append(rows, r)
		}
	}
	for _, w := range searchkey.NameWords(c.Name) {
		token(tokenName, w, false)
	}
	if c.Phone != "" {
		for _, d := range searchkey.PhoneTokens(c.Phone) {
			token(tokenPhone, d, false)
		}
		token(tokenSuffix, searchkey.SuffixToken(c.Phone), len(c.OtherPhones) > 0)
	}
	if c.Email != "" {
		token(tokenEmail, contact.EmailKey(c.Email), false)
	}
	// The other numbers are found by their full digits and by their last
	// digits (2 tokens each, not the primary's up to 7: docs/data-model.md,
	// write amplification), the other emails by prefix.
	for _, n := range c.OtherPhones {
		token(tokenPhone, otherPhoneToken(n), true)
		token(tokenSuffix, searchkey.SuffixToken(n), true)
	}
	for _, e := range c.OtherEmails {
		token(tokenEmail, contact.EmailKey(e), true)
	}
	return rows
}

// indexWrites returns the writes that turn old's index entries into c's:
// puts of new or changed rows, deletes of rows c no longer has. Either may
// be nil (a create, a delete).
func indexWrites(table string, old, c *contact.Contact) ([]types.TransactWriteItem, error) {
	before := map[string]indexRow{}
	if old != nil {
		for _, r := range indexRows(old) {
			before[r.PK+"\x00"+r.SK] = r
		}
	}
	var writes []types.TransactWriteItem
	if c != nil {
		for _, r := range indexRows(c) {
			k := r.PK + "\x00" + r.SK
			prev, had := before[k]
			delete(before, k)
			if had && reflect.DeepEqual(prev, r) {
				continue
			}
			av, err := attributevalue.MarshalMap(r)
			if err != nil {
				return nil, fmt.Errorf("marshal index row: %w", err)
			}
			writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: av}})
		}
	}
	for _, r := range before {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &table, Key: key(r.PK, r.SK)}})
	}
	return writes, nil
}

// otherPhoneToken is the one digits token of an other phone: its full
// international digits.
func otherPhoneToken(e164 string) string {
	if ts := searchkey.PhoneTokens(e164); len(ts) > 0 {
		return ts[0]
	}
	return ""
}

// phoneTokensOf returns the digit tokens of a row's phones, the primary's
// first.
func phoneTokensOf(r *indexRow) []string {
	out := searchkey.PhoneTokens(r.Phone)
	for _, n := range r.OtherPhones {
		out = append(out, otherPhoneToken(n))
	}
	return out
}

// suffixTokensOf returns the reversed digits of a row's phones.
func suffixTokensOf(r *indexRow) []string {
	var out []string
	for _, n := range append([]string{r.Phone}, r.OtherPhones...) {
		if n != "" {
			out = append(out, searchkey.SuffixToken(n))
		}
	}
	return out
}

// emailKeysOf returns the keys of a row's emails.
func emailKeysOf(r *indexRow) []string {
	var out []string
	for _, e := range append([]string{r.Email}, r.OtherEmails...) {
		if e != "" {
			out = append(out, contact.EmailKey(e))
		}
	}
	return out
}

// firstWithPrefix returns the first of list starting with prefix, or "".
func firstWithPrefix(list []string, prefix string) string {
	for _, t := range list {
		if strings.HasPrefix(t, prefix) {
			return t
		}
	}
	return ""
}
