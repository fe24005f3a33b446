package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/searchkey"
)

// Companies is the DynamoDB implementation of company.Repository: the
// company item, its CNPJ guard and its index rows (name order, creation
// order, name words: copies of the company in the workspace's company
// partition) are written in one transaction.
type Companies struct {
	Client *dynamodb.Client
	Table  string
}

var _ company.Repository = (*Companies)(nil)

const (
	typeCompany      = "company"
	typeCompanyTaxID = "company_tax_id"
	typeCompanyRow   = "company_row"
	// companyReadBudget is the most index rows one list page reads (a q
	// whose longest word is a prefix of many words, with the other words
	// rare): the page ends there with a cursor.
	companyReadBudget = 2000
)

type companyItem struct {
	PK        string            `dynamodbav:"PK"`
	SK        string            `dynamodbav:"SK"`
	Type      string            `dynamodbav:"type"`
	ID        string            `dynamodbav:"id"`
	Name      string            `dynamodbav:"name"`
	TaxID     string            `dynamodbav:"taxId,omitempty"`
	Domain    string            `dynamodbav:"domain,omitempty"`
	Phone     string            `dynamodbav:"phone,omitempty"`
	Email     string            `dynamodbav:"email,omitempty"`
	Address   map[string]string `dynamodbav:"address,omitempty"`
	OwnerID   string            `dynamodbav:"ownerId,omitempty"`
	Words     []string          `dynamodbav:"words,omitempty"` // index rows only
	CreatedAt string            `dynamodbav:"createdAt"`
	CreatedBy string            `dynamodbav:"createdBy"`
	UpdatedAt string            `dynamodbav:"updatedAt"`
	UpdatedBy string            `dynamodbav:"updatedBy"`
	Version   int               `dynamodbav:"version"`

	TagIDs []string `dynamodbav:"tagIds,omitempty"`
	// CustomFields are on the company's item only: the index rows leave
	// them out (up to 100 values each: on every row, a write would cost as
	// many times more).
	CustomFields map[string]any `dynamodbav:"customFields,omitempty"`
	LSI1SK       string         `dynamodbav:"LSI1SK,omitempty"` // tag and owner rows: their creation order
}

type companyTaxIDItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	CompanyID string `dynamodbav:"companyId"`
}

func toCompanyItem(c *company.Company) companyItem {
	it := companyItem{PK: companyPK(c.Workspace, c.ID), SK: companySK, Type: typeCompany, ID: c.ID, Name: c.Name,
		TaxID: c.TaxID, Domain: c.Domain, Phone: c.Phone, Email: c.Email, OwnerID: c.OwnerID, TagIDs: c.TagIDs, CustomFields: c.CustomFields,
		CreatedAt: formatTime(c.CreatedAt), CreatedBy: c.CreatedBy, UpdatedAt: formatTime(c.UpdatedAt), UpdatedBy: c.UpdatedBy, Version: c.Version,
		Address: c.Address.Parts()}
	return it
}

func fromCompanyItem(ws string, it companyItem) *company.Company {
	c := &company.Company{Workspace: ws, ID: it.ID, Version: it.Version,
		CreatedAt: parseTime(it.CreatedAt), CreatedBy: it.CreatedBy, UpdatedAt: parseTime(it.UpdatedAt), UpdatedBy: it.UpdatedBy}
	c.Name, c.TaxID, c.Domain, c.Phone, c.Email, c.OwnerID = it.Name, it.TaxID, it.Domain, it.Phone, it.Email, it.OwnerID
	c.TagIDs, c.CustomFields = it.TagIDs, it.CustomFields
	c.Address = company.AddressOf(it.Address)
	return c
}

// maxCompanyRows bounds a company's index rows: name, creation, its name
// words (searchkey.MaxNameWords), its tags (company.MaxTags) and its owner.
// The largest transaction, an update changing the name, every tag, the
// owner and the CNPJ, holds the company, a CNPJ guard put and delete, every
// row put and every old row but the creation one deleted, and its timeline
// entry: 3 + 2×maxCompanyRows − 1 + 1 = 75 items, under DynamoDB's 100
// (TestLargestCompany).
const maxCompanyRows = 2 + searchkey.MaxNameWords + company.MaxTags + 1

// companyRows returns the index rows of c, by SK (at most maxCompanyRows).
func companyRows(c *company.Company) map[string]companyItem {
	base := toCompanyItem(c)
	base.PK, base.Type, base.Words, base.CustomFields = companiesPK(c.Workspace), typeCompanyRow, c.NameWords(), nil
	out := map[string]companyItem{}
	add := func(sk, lsi string) {
		r := base
		r.SK, r.LSI1SK = sk, lsi
		out[sk] = r
	}
	sortKey := searchkey.SortKey(c.Name)
	add(companyNameSK(sortKey, c.ID), "")
	add(companyCreatedSK(c.ID), "")
	for _, w := range base.Words {
		add(companyWordSK(w, c.ID), "")
	}
	for _, t := range c.TagIDs {
		add(companyTagSK(t, sortKey, c.ID), companyFilterLSI("G#", t, c.ID))
	}
	if c.OwnerID != "" {
		add(companyOwnerSK(c.OwnerID, sortKey, c.ID), companyFilterLSI("O#", c.OwnerID, c.ID))
	}
	return out
}

func (s *Companies) put(v any, cond string, values map[string]types.AttributeValue) (types.TransactWriteItem, error) {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal company: %w", err)
	}
	p := &types.Put{TableName: &s.Table, Item: item, ExpressionAttributeValues: values}
	if cond != "" {
		p.ConditionExpression = aws.String(cond)
	}
	return types.TransactWriteItem{Put: p}, nil
}

func (s *Companies) taxGuard(c *company.Company) companyTaxIDItem {
	return companyTaxIDItem{PK: companyTaxIDPK(c.Workspace, c.TaxID), SK: companyTaxIDSK, Type: typeCompanyTaxID, CompanyID: c.ID}
}

// Create implements company.Repository: the company (attribute_not_exists),
// its CNPJ guard (attribute_not_exists) and its index rows, in one
// transaction.
func (s *Companies) Create(ctx context.Context, c *company.Company) error {
	first, err := s.put(toCompanyItem(c), "attribute_not_exists(PK)", nil)
	if err != nil {
		return err
	}
	entry, err := s.entryWrite(c, company.EventCreated, nil, c.CreatedAt, c.CreatedBy)
	if err != nil {
		return err
	}
	writes := []types.TransactWriteItem{first, entry}
	guardAt := -1
	if c.TaxID != "" {
		w, err := s.put(s.taxGuard(c), "attribute_not_exists(PK)", nil)
		if err != nil {
			return err
		}
		guardAt = len(writes)
		writes = append(writes, w)
	}
	for _, r := range companyRows(c) {
		w, err := s.put(r, "", nil)
		if err != nil {
			return err
		}
		writes = append(writes, w)
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if guardAt >= 0 && conditionFailures(err)[guardAt] {
		return company.ErrTaxIDTaken.Wrap(err)
	}
	if err != nil {
		return fmt.Errorf("create company: %w", err)
	}
	return nil
}

// Get implements company.Repository with one consistent GetItem.
func (s *Companies) Get(ctx context.Context, ws, id string) (*company.Company, error) {
	var it companyItem
	found, err := getItem(ctx, s.Client, s.Table, companyPK(ws, id), companySK, true, "company", &it)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, company.ErrNotFound
	}
	return fromCompanyItem(ws, it), nil
}

// Names implements contact.CompanySource: the names of the companies ids,
// by id (one BatchGetItem per 100, eventually consistent); ids of companies
// that are gone are left out.
func (s *Companies) Names(ctx context.Context, ws string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	seen := map[string]bool{}
	var keys []map[string]types.AttributeValue
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, key(companyPK(ws, id), companySK))
		}
	}
	err := batchGet(ctx, s.Client, s.Table, keys, false, "company", func(av map[string]types.AttributeValue) error {
		var it companyItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return fmt.Errorf("unmarshal company: %w", err)
		}
		out[it.ID] = it.Name
		return nil
	})
	return out, err
}

func versionIs(v int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(v)}}
}

// Update implements company.Repository: the company under its version, the
// CNPJ guard moved when the CNPJ changes, and the index rows rewritten.
func (s *Companies) Update(ctx context.Context, ws, id string, ifVersion int, fn func(*company.Company) error) (*company.Company, error) {
	old, err := s.Get(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	c := *old
	if err := fn(&c); err != nil {
		return nil, err
	}
	if ifVersion > 0 && ifVersion != old.Version {
		return nil, contact.ErrVersionMismatch.With("current", fmt.Sprint(old.Version))
	}
	if c.Equal(old) {
		return old, nil
	}
	c.Version++
	first, err := s.put(toCompanyItem(&c), "version = :v", versionIs(old.Version))
	if err != nil {
		return nil, err
	}
	entry, err := s.entryWrite(&c, company.EventUpdated, company.ChangedFields(old, &c), c.UpdatedAt, c.UpdatedBy)
	if err != nil {
		return nil, err
	}
	writes := []types.TransactWriteItem{first, entry}
	guardAt := -1
	if c.TaxID != old.TaxID {
		if c.TaxID != "" {
			w, err := s.put(s.taxGuard(&c), "attribute_not_exists(PK)", nil)
			if err != nil {
				return nil, err
			}
			guardAt = len(writes)
			writes = append(writes, w)
		}
		if old.TaxID != "" {
			writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(companyTaxIDPK(ws, old.TaxID), companyTaxIDSK)}})
		}
	}
	rows := companyRows(&c)
	for sk := range companyRows(old) {
		if _, kept := rows[sk]; !kept {
			writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(companiesPK(ws), sk)}})
		}
	}
	for _, r := range rows {
		w, err := s.put(r, "", nil)
		if err != nil {
			return nil, err
		}
		writes = append(writes, w)
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if guardAt >= 0 && conditionFailures(err)[guardAt] {
		return nil, company.ErrTaxIDTaken.Wrap(err)
	}
	if isRace(err) {
		cur, gerr := s.Get(ctx, ws, id)
		if gerr != nil {
			return nil, gerr
		}
		return nil, contact.ErrVersionMismatch.With("current", fmt.Sprint(cur.Version))
	}
	if err != nil {
		return nil, fmt.Errorf("update company: %w", err)
	}
	return &c, nil
}

// deleteWrites are the deletes of the company (under its version), its
// CNPJ guard and its index rows.
func (s *Companies) deleteWrites(c *company.Company) []types.TransactWriteItem {
	writes := []types.TransactWriteItem{{Delete: &types.Delete{TableName: &s.Table, Key: key(companyPK(c.Workspace, c.ID), companySK),
		ConditionExpression: aws.String("version = :v"), ExpressionAttributeValues: versionIs(c.Version)}}}
	if c.TaxID != "" {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(companyTaxIDPK(c.Workspace, c.TaxID), companyTaxIDSK)}})
	}
	for sk := range companyRows(c) {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: key(companiesPK(c.Workspace), sk)}})
	}
	return writes
}

// Delete implements company.Repository.
func (s *Companies) Delete(ctx context.Context, ws, id string, ifVersion int, actor string) error {
	c, err := s.Get(ctx, ws, id)
	if err != nil {
		return err
	}
	if ifVersion > 0 && ifVersion != c.Version {
		return contact.ErrVersionMismatch.With("current", fmt.Sprint(c.Version))
	}
	writes, err := s.withTimeline(ctx, c, s.deleteWrites(c))
	if err != nil {
		return err
	}
	_, err = s.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if isRace(err) {
		cur, gerr := s.Get(ctx, ws, id)
		if gerr != nil {
			return gerr
		}
		return contact.ErrVersionMismatch.With("current", fmt.Sprint(cur.Version))
	}
	if err != nil {
		return fmt.Errorf("delete company: %w", err)
	}
	return nil
}

// List implements company.Repository: one Query (or a few, up to
// companyReadBudget rows) on the workspace's company partition: the name
// rows (sort=name), the creation rows backwards (sort=-createdAt), the rows
// of the longest query word (q), whose other words must start a word of
// the name, or the rows of the tag or else the owner filtered by, in name
// order (their LSI1SK backwards for sort=-createdAt); the other filters are
// checked on the rows read. A company whose name has several words starting
// with the longest query word is shown once, at the first of them.
func (s *Companies) List(ctx context.Context, ws string, q company.ListQuery) (company.Page, error) {
	in, lsi, err := s.listInput(ws, q)
	if err != nil {
		return company.Page{}, err
	}
	var page company.Page
	read := 0
	for {
		out, err := s.Client.Query(ctx, in)
		if err != nil {
			return company.Page{}, fmt.Errorf("list companies: %w", err)
		}
		for _, av := range out.Items {
			read++
			var it companyItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return company.Page{}, fmt.Errorf("unmarshal company row: %w", err)
			}
			if len(page.Companies) == q.Limit {
				return page, nil // more after the last one shown
			}
			if listed(it, q) {
				page.Companies = append(page.Companies, *fromCompanyItem(ws, it))
			}
			page.Next = it.SK
			if lsi {
				page.Next = it.LSI1SK + lsiCursorSep + it.SK
			}
			if read >= companyReadBudget {
				return page, nil
			}
		}
		if out.LastEvaluatedKey == nil {
			page.Next = ""
			return page, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// lsiCursorSep separates the two keys of a position in LSI1 (no key holds it).
const lsiCursorSep = "\x00"

// listInput is the first Query of a list page and whether it reads LSI1.
// Errors: Malformed cursor_invalid (a position of another list).
func (s *Companies) listInput(ws string, q company.ListQuery) (*dynamodb.QueryInput, bool, error) {
	prefix, forward, lsi := "N#", true, false
	switch {
	case len(q.Words) > 0:
		prefix = "W#" + q.Words[0]
	case q.Tag != "" || q.OwnerID != "":
		prefix = "O#" + q.OwnerID + "#"
		if q.Tag != "" {
			prefix = "G#" + q.Tag + "#"
		}
		if q.Sort == company.SortNewest {
			forward, lsi = false, true
		}
	case q.Sort == company.SortNewest:
		prefix, forward = "T#", false
	}
	keyAttr, start := "SK", key(companiesPK(ws), q.After)
	if lsi {
		lsiKey, sk, ok := strings.Cut(q.After, lsiCursorSep)
		if q.After != "" && (!ok || !strings.HasPrefix(sk, prefix)) {
			return nil, false, company.ErrBadCursor
		}
		keyAttr, start["SK"], start["LSI1SK"] = "LSI1SK", &types.AttributeValueMemberS{Value: sk}, &types.AttributeValueMemberS{Value: lsiKey}
	}
	if q.After != "" && !strings.HasPrefix(q.After, prefix) {
		return nil, false, company.ErrBadCursor
	}
	in := &dynamodb.QueryInput{
		TableName: &s.Table, ScanIndexForward: aws.Bool(forward),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(" + keyAttr + ", :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: companiesPK(ws)},
			":p":  &types.AttributeValueMemberS{Value: prefix},
		},
		Limit: aws.Int32(int32(min(companyReadBudget, q.Limit+1))),
	}
	if lsi {
		in.IndexName = aws.String("LSI1")
	}
	if q.After != "" {
		in.ExclusiveStartKey = start
	}
	return in, lsi, nil
}

// listed reports whether a row read for q shows its company: the filters
// the Query's key did not apply hold.
func listed(it companyItem, q company.ListQuery) bool {
	return (q.Owner == "" || it.OwnerID == q.Owner) && (q.OwnerID == "" || it.OwnerID == q.OwnerID) &&
		(q.Tag == "" || slices.Contains(it.TagIDs, q.Tag)) && (len(q.Words) == 0 || firstMatch(it, q.Words))
}

// firstMatch reports whether the row of a word search is the one its
// company is shown at: every query word starts a word of the name, and the
// row's word is the first (in key order) starting with the longest one.
func firstMatch(it companyItem, words []string) bool {
	if !company.Matches(it.Words, words[1:]) {
		return false
	}
	rowWord := strings.TrimPrefix(it.SK, "W#")
	rowWord = rowWord[:strings.LastIndexByte(rowWord, '#')]
	for _, w := range it.Words {
		if strings.HasPrefix(w, words[0]) && w < rowWord {
			return false
		}
	}
	return true
}

// Contacts implements company.Repository: one Query of the company's
// contacts partition, in name order (the index rows the contacts' own
// transactions write).
func (s *Companies) Contacts(ctx context.Context, ws, id, after string, limit int, consistent bool) ([]search.Summary, string, error) {
	in := &dynamodb.QueryInput{
		TableName: &s.Table, ConsistentRead: aws.Bool(consistent),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: companyContactsPK(ws, id)}},
		Limit:                     aws.Int32(int32(limit)),
	}
	if after != "" {
		in.ExclusiveStartKey = key(companyContactsPK(ws, id), after)
	}
	out, err := s.Client.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list company contacts: %w", err)
	}
	rows := make([]search.Summary, 0, len(out.Items))
	next := ""
	for _, av := range out.Items {
		var r indexRow
		if err := attributevalue.UnmarshalMap(av, &r); err != nil {
			return nil, "", fmt.Errorf("unmarshal company contact: %w", err)
		}
		rows = append(rows, r.summary())
		next = r.SK
	}
	if out.LastEvaluatedKey == nil {
		next = ""
	}
	return rows, next, nil
}
