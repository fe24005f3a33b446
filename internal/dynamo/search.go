package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/searchkey"
)

// Search is the DynamoDB implementation of search.Index: every list is a set
// of Queries on index entries (one per shard of a sharded family), merged
// in order. No Scan.
type Search struct {
	Client *dynamodb.Client
	Table  string
	// ReadBudget bounds the index rows a page reads (0: DefaultReadBudget).
	ReadBudget int
}

var _ search.Index = (*Search)(nil)

// stream is one Query of a page: a partition, read in one order, from a
// key prefix.
type stream struct {
	pk      string
	lsi     bool   // read LSI1 (creation order) instead of SK (name order, tokens)
	prefix  string // every row of the stream starts with it
	forward bool
	keep    func(r *indexRow, sortKey string) bool
}

// DefaultReadBudget is how many index rows a page may read (about 600 KB,
// 75 RCU, well inside a function's timeout): a filter that rarely matches
// returns what it found so far with a cursor, not a read of the family.
const DefaultReadBudget = 2000

// Find implements search.Index: a lazy k-way merge of the plan's streams.
// Each stream is read in chunks (about limit/streams rows, doubling while a
// stream's rows are filtered out), and only when the merge needs its next
// row, so a page reads little more than the rows it returns. A page reads
// at most the read budget of rows: when a stream runs out of it, the page
// ends at the merge's frontier (every row up to it was read in every
// stream), partial, with the frontier as the next page's start.
func (s *Search) Find(ctx context.Context, q search.Query) (search.Page, error) {
	if absent, err := s.absentWord(ctx, q); err != nil || absent {
		return search.Page{Items: []search.Summary{}}, err
	}
	via, err := s.smallest(ctx, &q)
	if err != nil {
		return search.Page{}, err
	}
	plan := s.plan(q, via)
	streams := make([]*reader, len(plan))
	for i, st := range plan {
		streams[i] = &reader{st: st, after: q.After, last: q.After, chunk: (q.Limit+1)/len(plan) + 2}
	}
	forward := len(plan) == 0 || plan[0].forward
	before := func(a, b string) bool { return a != b && (a < b) == forward }
	budget := &readBudget{left: s.ReadBudget}
	if budget.left <= 0 {
		budget.left = DefaultReadBudget
	}
	var out []keyed
	frontier, starved := "", false
	for len(out) <= q.Limit {
		if err := s.refill(ctx, streams, budget); err != nil {
			return search.Page{}, err
		}
		var next *reader
		for _, r := range streams {
			if len(r.buf) == 0 {
				if !r.done && (!starved || before(r.last, frontier)) {
					frontier, starved = r.last, true
				}
				continue
			}
			if next == nil || before(r.buf[0].sortKey, next.buf[0].sortKey) {
				next = r
			}
		}
		if next == nil || starved && before(frontier, next.buf[0].sortKey) {
			break
		}
		out = append(out, next.buf[0])
		next.buf = next.buf[1:]
	}
	page := search.Page{Items: []search.Summary{}}
	for i, k := range out {
		if i == q.Limit {
			page.More = true
			return page, nil
		}
		page.Items = append(page.Items, k.row.summary())
		page.Last = k.sortKey
	}
	if starved {
		page.More, page.Partial, page.Last = true, true, frontier
	}
	return page, nil
}

// readBudget is the rows a page may still read, shared by its streams.
type readBudget struct {
	mu   sync.Mutex
	left int
}

// take grants up to n rows of the budget.
func (b *readBudget) take(n int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n = min(n, b.left)
	b.left -= n
	return n
}

// refund gives back rows granted and not read.
func (b *readBudget) refund(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.left += n
}

// keyed is a kept row with the key the page is ordered by.
type keyed struct {
	row     *indexRow
	sortKey string
}

// reader reads one stream in chunks.
type reader struct {
	st    stream
	after string
	last  string // the sort key of the last row read, kept or not
	reads int    // Queries run
	chunk int
	input *dynamodb.QueryInput
	buf   []keyed
	done  bool
}

// refill reads, in parallel, the next chunk of every stream whose buffer is
// empty and that is not done.
func (s *Search) refill(ctx context.Context, streams []*reader, budget *readBudget) error {
	var wg sync.WaitGroup
	failed := make([]error, len(streams))
	for i, r := range streams {
		if len(r.buf) > 0 || r.done {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer errs.Recover(&failed[i])
			failed[i] = s.fetch(ctx, r, budget)
		}()
	}
	wg.Wait()
	for _, err := range failed {
		if err != nil {
			return err
		}
	}
	return nil
}

// fetch reads Query pages of r until it has a kept row, the stream ends,
// or the budget does.
func (s *Search) fetch(ctx context.Context, r *reader, budget *readBudget) error {
	if r.input == nil {
		r.input = s.query(r.st, r.after)
	}
	for len(r.buf) == 0 && !r.done {
		granted := budget.take(min(r.chunk, 500))
		switch {
		case granted == 0 && r.reads == 0:
			granted = 1 // every stream reads a row, so every page moves on
		case granted == 0:
			return nil // starved: the page ends at the frontier
		}
		r.reads++
		r.input.Limit = aws.Int32(int32(granted))
		r.chunk *= 2
		page, err := s.Client.Query(ctx, r.input)
		if err != nil {
			return fmt.Errorf("query index: %w", err)
		}
		budget.refund(granted - len(page.Items))
		for _, av := range page.Items {
			var row indexRow
			if err := attributevalue.UnmarshalMap(av, &row); err != nil {
				return fmt.Errorf("unmarshal index row: %w", err)
			}
			k := row.SK
			if r.st.lsi {
				k = row.LSI1SK
			}
			if !strings.HasPrefix(k, r.st.prefix) {
				r.done = true // past the prefix: the stream is over
				break
			}
			r.last = k
			if r.st.keep(&row, k) {
				r.buf = append(r.buf, keyed{row: &row, sortKey: k})
			}
		}
		r.input.ExclusiveStartKey = page.LastEvaluatedKey
		if page.LastEvaluatedKey == nil {
			r.done = true
		}
	}
	return nil
}

// query is the first Query of a stream, starting after the cursor's key.
func (s *Search) query(st stream, after string) *dynamodb.QueryInput {
	keyAttr := "SK"
	in := &dynamodb.QueryInput{TableName: &s.Table, ScanIndexForward: aws.Bool(st.forward)}
	if st.lsi {
		keyAttr = "LSI1SK"
		in.IndexName = aws.String("LSI1")
	}
	values := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: st.pk}}
	switch {
	case after == "" || !strings.HasPrefix(after, st.prefix) && (after < st.prefix) == st.forward:
		// BETWEEN rather than begins_with: the same rows, and a range seek in
		// DynamoDB Local too, whose begins_with reads the whole partition
		// (a full-phone search on 100,000 contacts: p50 651 ms, against 5 ms).
		in.KeyConditionExpression = aws.String("PK = :pk AND " + keyAttr + " BETWEEN :k AND :end")
		values[":k"] = &types.AttributeValueMemberS{Value: st.prefix}
		values[":end"] = &types.AttributeValueMemberS{Value: st.prefix + "\U0010FFFF"}
	case st.forward:
		in.KeyConditionExpression = aws.String("PK = :pk AND " + keyAttr + " > :k")
		values[":k"] = &types.AttributeValueMemberS{Value: after}
	default:
		in.KeyConditionExpression = aws.String("PK = :pk AND " + keyAttr + " < :k")
		values[":k"] = &types.AttributeValueMemberS{Value: after}
	}
	in.ExpressionAttributeValues = values
	return in
}

// absentWord reports whether a word of a several-word name search (the
// lead aside) starts no name word of the workspace: then nothing matches,
// and a Query of one row per shard says so, instead of reading the lead's
// tokens up to the read budget ("maria zzzz": 8 calls, 4 RCU, an empty
// last page rather than partial ones). It costs a multi-word search that
// matches 8 calls more.
func (s *Search) absentWord(ctx context.Context, q search.Query) (bool, error) {
	if q.Text.Kind != searchkey.QueryName || len(q.Text.Words) < 2 {
		return false, nil
	}
	lead := leadWord(q.Text.Words) // read anyway: an absent lead ends at once
	for _, w := range q.Text.Words {
		if w == lead {
			continue
		}
		found := make([]bool, indexShards)
		failed := make([]error, indexShards)
		var wg sync.WaitGroup
		for i := range indexShards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer errs.Recover(&failed[i])
				in := s.query(stream{pk: searchPK(q.Workspace, strconv.Itoa(i)), prefix: tokenName + w, forward: true}, "")
				in.Limit = aws.Int32(1)
				out, err := s.Client.Query(ctx, in)
				failed[i], found[i] = err, err == nil && len(out.Items) > 0
			}()
		}
		wg.Wait()
		for _, err := range failed {
			if err != nil {
				return false, fmt.Errorf("look for the word %q: %w", w, err)
			}
		}
		if !slices.Contains(found, true) {
			return true, nil
		}
	}
	return false, nil
}

// Families a list of several filters may be read from (plan's via).
const (
	viaOwner   = "owner"
	viaTag     = "tag" // q.TagIDs[0]
	viaPending = "pending"
)

// smallest picks, when a list filters on several families (a wallet, tags,
// pending) and no text, the one the counts say is smallest, so a page reads
// least: one Query of its counts per family compared. It puts the rarest
// tag first in q.TagIDs. "" when there is no choice.
func (s *Search) smallest(ctx context.Context, q *search.Query) (string, error) {
	if q.Text.Kind != searchkey.QueryNone || q.Order == search.ByActivity || q.CompanyID != "" {
		return "", nil
	}
	type candidate struct {
		via string
		q   search.Query
	}
	base := search.Query{Workspace: q.Workspace, Blocked: q.Blocked}
	var cands []candidate
	if q.OwnerID != "" {
		c := base
		c.OwnerID = q.OwnerID
		cands = append(cands, candidate{viaOwner, c})
	}
	for _, t := range q.TagIDs {
		c := base
		c.TagIDs = []string{t}
		cands = append(cands, candidate{viaTag, c})
	}
	if q.Pending {
		c := base
		c.Pending = true
		cands = append(cands, candidate{viaPending, c})
	}
	if len(cands) < 2 {
		return "", nil
	}
	best, bestN := -1, 0
	for i, c := range cands {
		n, err := s.CountOf(ctx, c.q)
		if err != nil {
			return "", err
		}
		if best < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	if cands[best].via == viaTag {
		rare := cands[best].q.TagIDs[0]
		tags := []string{rare}
		for _, t := range q.TagIDs {
			if t != rare {
				tags = append(tags, t)
			}
		}
		q.TagIDs = tags
	}
	return cands[best].via, nil
}

// plan picks the index family that serves q best (via, when smallest
// chose one) and the filters left to apply to its rows.
func (s *Search) plan(q search.Query, via string) []stream {
	ws := q.Workspace
	state := "A"
	if q.Blocked {
		state = "B"
	}
	filters := func(r *indexRow) bool {
		if r.Blocked != q.Blocked || (q.Pending && !r.Pending) || (q.OwnerID != "" && r.OwnerID != q.OwnerID) || (q.NoOwner && r.OwnerID != "") {
			return false
		}
		if q.Kind != "" && contact.Kind(r.Kind) != q.Kind && !(r.Kind == "" && q.Kind == contact.Person) {
			return false
		}
		for _, t := range q.TagIDs {
			if !containsStr(r.TagIDs, t) {
				return false
			}
		}
		return true
	}
	shards := func(pk func(shard string) string, st stream) []stream {
		out := make([]stream, indexShards)
		for i := range out {
			out[i] = st
			out[i].pk = pk(strconv.Itoa(i))
		}
		return out
	}
	if q.CompanyID != "" {
		return []stream{companyStream(q, filters)}
	}
	switch q.Text.Kind {
	case searchkey.QueryName:
		return s.nameStreams(q, shards, filters)
	case searchkey.QueryPhone:
		return s.phoneStreams(q, shards, filters)
	case searchkey.QueryEmail:
		return shards(func(sh string) string { return searchPK(ws, sh) }, stream{
			prefix: tokenEmail + q.Text.Email, forward: true,
			keep: func(r *indexRow, sk string) bool {
				return filters(r) && sk == tokenEmail+firstWithPrefix(emailKeysOf(r), q.Text.Email)+"#"+r.ContactID
			},
		})
	}
	ordered := stream{prefix: "N#", forward: true, keep: func(r *indexRow, _ string) bool { return filters(r) }}
	switch q.Order {
	case search.ByNewest:
		ordered.prefix, ordered.lsi, ordered.forward = "C#", true, false
	case search.ByActivity:
		// One family keeps this order: the filters read it (data-model.md).
		ordered.prefix, ordered.forward = "R#", false
		return shards(func(sh string) string { return recentPK(ws, state, sh) }, ordered)
	}
	// A wallet is one agent's share of the workspace: read it, not a whole
	// tag family, when both are asked (86.5 RCU a page, against 14.5 on
	// 100,000 contacts: docs/performance.md).
	switch {
	case via == viaTag:
		return shards(func(sh string) string { return tagIndexPK(ws, q.TagIDs[0], state, sh) }, ordered)
	case via == viaPending:
		ordered.pk = pendingPK(ws, state)
		return []stream{ordered}
	case q.OwnerID != "":
		ordered.pk = ownerPK(ws, q.OwnerID, state)
		return []stream{ordered}
	case len(q.TagIDs) > 0:
		return shards(func(sh string) string { return tagIndexPK(ws, q.TagIDs[0], state, sh) }, ordered)
	case q.Pending:
		ordered.pk = pendingPK(ws, state)
		return []stream{ordered}
	}
	return shards(func(sh string) string { return listPK(ws, state, sh) }, ordered)
}

// companyStream reads a company's contacts (one partition, active and
// blocked alike: filters checks the state) by name or newest first; the
// text of q, if any, is matched on the rows, as its tokens would be.
func companyStream(q search.Query, filters func(*indexRow) bool) stream {
	st := stream{pk: companyContactsPK(q.Workspace, q.CompanyID), prefix: "N#", forward: true}
	if q.Order == search.ByNewest {
		st.prefix, st.lsi, st.forward = "C#", true, false
	}
	st.keep = func(r *indexRow, _ string) bool { return filters(r) && textMatches(q.Text, r) }
	return st
}

// textMatches reports whether the row r matches the search text t as its
// search tokens would: every name word a prefix of a word of the name; the
// digits a prefix of a phone token, or the last digits of the number; the
// email a prefix of the email key.
func textMatches(t searchkey.Query, r *indexRow) bool {
	switch t.Kind {
	case searchkey.QueryName:
		names := searchkey.NameWords(r.Name)
		for _, w := range t.Words {
			if !anyHasPrefix(names, w) {
				return false
			}
		}
	case searchkey.QueryPhone:
		if r.Phone == "" {
			return false
		}
		return anyHasPrefix(searchkey.PhoneTokens(r.Phone), t.Digits) ||
			t.Suffix != "" && strings.HasPrefix(searchkey.SuffixToken(r.Phone), t.Suffix)
	case searchkey.QueryEmail:
		return r.Email != "" && strings.HasPrefix(contact.EmailKey(r.Email), t.Email)
	}
	return true
}

// leadWord is the word a name search reads the tokens of: the longest.
func leadWord(words []string) string {
	lead := words[0]
	for _, w := range words {
		if len(w) > len(lead) {
			lead = w
		}
	}
	return lead
}

// nameStreams search the longest query word as a prefix of name tokens;
// every other word must prefix some word of the name. A contact whose name
// has several words matching is returned once: for its first matching word.
func (s *Search) nameStreams(q search.Query, shards func(func(string) string, stream) []stream, filters func(*indexRow) bool) []stream {
	words := q.Text.Words
	lead := leadWord(words)
	return shards(func(sh string) string { return searchPK(q.Workspace, sh) }, stream{
		prefix: tokenName + lead, forward: true,
		keep: func(r *indexRow, sk string) bool {
			if !filters(r) {
				return false
			}
			nameWords := searchkey.NameWords(r.Name)
			for _, w := range words {
				if !anyHasPrefix(nameWords, w) {
					return false
				}
			}
			for _, w := range nameWords {
				if strings.HasPrefix(w, lead) {
					return sk == tokenName+w+"#"+r.ContactID
				}
			}
			return false
		},
	})
}

// phoneStreams search the digits as a prefix of the phone tokens and, as the
// last digits of a number, as a prefix of the reversed digits. A contact
// found both ways, or under several tokens, is returned once.
func (s *Search) phoneStreams(q search.Query, shards func(func(string) string, stream) []stream, filters func(*indexRow) bool) []stream {
	digits, suffix := q.Text.Digits, q.Text.Suffix
	firstToken := func(r *indexRow) string { return firstWithPrefix(phoneTokensOf(r), digits) }
	pk := func(sh string) string { return searchPK(q.Workspace, sh) }
	streams := shards(pk, stream{prefix: tokenPhone + digits, forward: true, keep: func(r *indexRow, sk string) bool {
		return filters(r) && sk == tokenPhone+firstToken(r)+"#"+r.ContactID
	}})
	if suffix != "" {
		streams = append(streams, shards(pk, stream{prefix: tokenSuffix + suffix, forward: true, keep: func(r *indexRow, sk string) bool {
			return filters(r) && firstToken(r) == "" && sk == tokenSuffix+firstWithPrefix(suffixTokensOf(r), suffix)+"#"+r.ContactID
		}})...)
	}
	return streams
}

// LookupPhone implements search.Index.
func (s *Search) LookupPhone(ctx context.Context, ws, identity string) ([]string, error) {
	return s.lookup(ctx, phonePK(ws, identity))
}

// LookupEmail implements search.Index.
func (s *Search) LookupEmail(ctx context.Context, ws, emailKey string) ([]string, error) {
	return s.lookup(ctx, emailPK(ws, emailKey))
}

func (s *Search) lookup(ctx context.Context, pk string) ([]string, error) {
	var ids []string
	p := dynamodb.NewQueryPaginator(s.Client, &dynamodb.QueryInput{
		TableName: &s.Table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("lookup: %w", err)
		}
		for _, av := range page.Items {
			var it lookupItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, fmt.Errorf("unmarshal lookup: %w", err)
			}
			ids = append(ids, it.ContactID)
		}
	}
	return ids, nil
}

func (r *indexRow) summary() search.Summary {
	s := search.Summary{
		ID: r.ContactID, Name: r.Name, Phone: r.Phone, Email: r.Email, OwnerID: r.OwnerID,
		AvatarURL: r.AvatarURL, TelegramID: r.TelegramID, TagIDs: r.TagIDs, Blocked: r.Blocked,
		Pending: r.Pending, CreatedAt: parseTime(r.CreatedAt),
		LastActivityAt: parseTime(r.LastActivityAt), LastInboundAt: parseTime(r.LastInboundAt),
		Kind: contact.Kind(r.Kind), Channels: r.Channels,
	}
	if s.Kind == "" {
		s.Kind = contact.Person // a row written before rows carried the kind
	}
	return s
}

func anyHasPrefix(words []string, prefix string) bool {
	for _, w := range words {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Count returns how many contacts the workspace has, blocked ones
// included: the counts of the active and the blocked list (two Queries of
// at most 16 small items, 1 RCU each, at any size), the figure
// GET /v1/contacts/count gives for each. It serves the confirmation of
// "delete all". A contact written before the counts existed is not in it
// until its next write (docs/operations.md, upgrading).
func (s *Search) Count(ctx context.Context, ws string) (int, error) {
	n := 0
	for _, blocked := range []bool{false, true} {
		k, err := s.CountOf(ctx, search.Query{Workspace: ws, Blocked: blocked})
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}
