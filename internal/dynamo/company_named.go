package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/searchkey"
)

// Named returns the workspace's companies whose name is name, compared as
// searchkey.Fold compares (case, accents and punctuation aside), oldest
// first: one strongly consistent Query of the company partition's name
// rows under "N#<SortKey(name)>#" (more pages only when more
// than a page of companies share the key). Consistent, so that a company an
// import created is found by its next chunk.
func (s *Companies) Named(ctx context.Context, ws, name string) ([]company.Company, error) {
	want := searchkey.Fold(name)
	if want == "" {
		return nil, nil
	}
	items, err := queryPrefix(ctx, s.Client, s.Table, companiesPK(ws), "N#"+searchkey.SortKey(name)+"#", true, 0)
	if err != nil {
		return nil, fmt.Errorf("find companies named %q: %w", name, err)
	}
	var out []company.Company
	for _, av := range items {
		var it companyItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("unmarshal company row: %w", err)
		}
		// The key holds the first MaxSortKeyLen characters only.
		if searchkey.Fold(it.Name) == want {
			out = append(out, *fromCompanyItem(ws, it))
		}
	}
	// Ids are time-ordered: the oldest first.
	slices.SortFunc(out, func(a, b company.Company) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
