package dynamo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/company"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/ids"
)

func newCompany(ws, name, cnpj string) *company.Company {
	now := time.Now().UTC()
	c := &company.Company{Workspace: ws, ID: ids.New(now), CreatedAt: now, UpdatedAt: now, CreatedBy: "u1", UpdatedBy: "u1", Version: 1}
	c.Name, c.TaxID = name, cnpj
	return c
}

// TestCompanyTaxIDRace: companies created at once with one CNPJ: exactly
// one is stored, the others get company_tax_id_taken; a rename to a taken
// CNPJ is refused and changes nothing; the guard moves with the CNPJ.
func TestCompanyTaxIDRace(t *testing.T) {
	client, table := dynamotest.NewTable(t)
	s := &dynamo.Companies{Client: client, Table: table}
	ctx := context.Background()
	const n = 6
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.Create(ctx, newCompany("acme", "Acme", "11222333000181"))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case errs.As(err).Code != "company_tax_id_taken":
			t.Errorf("a losing create: %v, want company_tax_id_taken", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creates with one CNPJ won, want 1", won)
	}
	other := newCompany("acme", "Outra", "12ABC34501DE35")
	if err := s.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	_, err := s.Update(ctx, "acme", other.ID, 0, func(c *company.Company) error { c.TaxID = "11222333000181"; return nil })
	if got, want := errs.As(err).Code, "company_tax_id_taken"; got != want {
		t.Errorf("update to a taken CNPJ: %v, want %s", err, want)
	}
	if got, _ := s.Get(ctx, "acme", other.ID); got.TaxID != "12ABC34501DE35" || got.Version != 1 {
		t.Errorf("after the refused update: %+v", got)
	}
	if _, err := s.Update(ctx, "acme", other.ID, 1, func(c *company.Company) error { c.TaxID = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, newCompany("acme", "Terceira", "12ABC34501DE35")); err != nil {
		t.Errorf("the CNPJ given up is still held: %v", err)
	}
	if err := s.Create(ctx, newCompany("globex", "Acme", "11222333000181")); err != nil {
		t.Errorf("another workspace cannot use the CNPJ: %v", err)
	}
}
