package importer

import (
	"context"
	"slices"
	"strconv"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/searchkey"
	"github.com/omnichannel/contacts/internal/tenant"
)

// Companies finds the companies an import links contacts to (dynamo.Companies).
type Companies interface {
	// Names returns the names of the companies ids that exist, by id.
	Names(ctx context.Context, ws string, ids []string) (map[string]string, error)
	// Named returns the companies named name (case, accents and
	// punctuation aside), oldest first, reading the store's latest writes.
	Named(ctx context.Context, ws, name string) ([]company.Company, error)
	// Delete removes a company under its version.
	Delete(ctx context.Context, ws, id string, ifVersion int, actor string) error
}

// CompanyMaker creates the companies an import with createCompanies names
// (company.Service: the API's rules, wallet and all).
type CompanyMaker interface {
	Create(ctx context.Context, caller tenant.Caller, doc map[string]any) (*company.Company, error)
}

// companyLink is what a company column's text links to.
type companyLink struct {
	id     string
	reason string // why the rows naming it fail, or ""
}

// linkCompanies links the chunk's rows to their companies before they are
// applied, a store read per distinct value, never per row:
//   - with a companyId column, the companies its cells name are read by
//     one BatchGetItem per 100 distinct ids; a row naming none of the
//     workspace's fails on companyId. The company column then only sets the
//     free text (companyId wins, a column at a time, so an export imports
//     back exactly: its unlinked contacts stay unlinked);
//   - else the company column's text links to the company of that name: one
//     consistent Query per distinct name (Named); none: no link (the text is
//     kept as today) unless createCompanies creates it; two or more: the row
//     fails on company (ambiguous_company) rather than guess.
func (run *importRun) linkCompanies(ctx context.Context, profiles []*rowInput, results []outcome) error {
	if run.w.Companies == nil {
		return nil
	}
	if _, ok := run.mapping.Column("companyId"); ok {
		return run.checkCompanyIDs(ctx, profiles, results)
	}
	if _, ok := run.mapping.Column("company"); !ok {
		return nil
	}
	links := map[string]companyLink{}
	for i, in := range profiles {
		name := in.profile.Company
		if in.failed != nil || name == "" {
			continue
		}
		key := searchkey.Fold(name)
		if key == "" {
			continue // no letter or digit ("---"): no company's name
		}
		l, done := links[key]
		if !done {
			var err error
			if l, err = run.companyNamed(ctx, name); err != nil {
				return err
			}
			links[key] = l
		}
		run.link(in, i, results, "company", l)
	}
	return nil
}

// checkCompanyIDs fails the rows whose companyId names no company of the
// workspace.
func (run *importRun) checkCompanyIDs(ctx context.Context, profiles []*rowInput, results []outcome) error {
	var wanted []string
	for _, in := range profiles {
		if in.failed == nil && in.profile.CompanyID != "" && !slices.Contains(wanted, in.profile.CompanyID) {
			wanted = append(wanted, in.profile.CompanyID)
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	found, err := run.w.Companies.Names(ctx, run.job.Workspace, wanted)
	if err != nil {
		return err
	}
	for i, in := range profiles {
		if in.failed != nil || in.profile.CompanyID == "" {
			continue
		}
		l := companyLink{id: in.profile.CompanyID}
		if _, ok := found[l.id]; !ok {
			l = companyLink{reason: run.msg("company_not_found")}
		}
		run.link(in, i, results, "companyId", l)
	}
	return nil
}

// link sets the row's company, or fails the row on column.
func (run *importRun) link(in *rowInput, i int, results []outcome, column string, l companyLink) {
	switch {
	case l.reason != "":
		in.failed = &outcome{status: "failed", reasons: []string{column + ": " + l.reason}}
		results[i] = *in.failed
	case l.id != "":
		in.profile.CompanyID = l.id
		in.present["companyId"] = true
	}
}

// companyNamed returns the link of a company column's text: the one
// company of that name, the one it creates (createCompanies), nothing, or
// why it cannot link.
func (run *importRun) companyNamed(ctx context.Context, name string) (companyLink, error) {
	ws := run.job.Workspace
	list, err := run.w.Companies.Named(ctx, ws, name)
	if err != nil {
		return companyLink{}, err
	}
	switch {
	case len(list) == 1:
		return companyLink{id: list[0].ID}, nil
	case len(list) > 1:
		return companyLink{reason: run.msg("ambiguous_company", "count", strconv.Itoa(len(list)))}, nil
	case run.job.Params["createCompanies"] != "true" || run.w.CompanyMaker == nil:
		return companyLink{}, nil
	}
	c, err := run.w.CompanyMaker.Create(ctx, run.starter, map[string]any{"name": name})
	switch {
	case err != nil && errs.KindOf(err) == errs.Internal:
		return companyLink{}, err
	case err != nil:
		return companyLink{reason: ruleReason(run.lang, err)}, nil
	}
	return run.settleRace(ctx, c, name)
}

// settleRace makes one company of name out of several created at once (by
// imports running side by side): the oldest stays; one this import just
// created that is not the oldest is deleted again (nothing links to it
// yet) and the oldest linked instead.
func (run *importRun) settleRace(ctx context.Context, mine *company.Company, name string) (companyLink, error) {
	list, err := run.w.Companies.Named(ctx, run.job.Workspace, name)
	if err != nil {
		return companyLink{}, err
	}
	if len(list) < 2 || list[0].ID == mine.ID {
		return companyLink{id: mine.ID}, nil
	}
	err = run.w.Companies.Delete(ctx, run.job.Workspace, mine.ID, mine.Version, run.starter.Subject)
	if err != nil && errs.KindOf(err) == errs.Internal {
		return companyLink{}, err
	}
	return companyLink{id: list[0].ID}, nil
}
