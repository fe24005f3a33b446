package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// routes name the API operation behind each TestCapacity measurement, by
// the start of its label.
var routes = []struct{ prefix, route string }{
	{"create with Idempotency-Key", "`POST /v1/contacts` with `Idempotency-Key`"},
	{"create", "`POST /v1/contacts`"},
	{"read field settings", "`GET /v1/contact-fields`"},
	{"save field settings", "`PUT /v1/contact-fields`"},
	{"read a timeline page", "`GET /v1/contacts/{id}/timeline`"},
	{"read", "`GET /v1/contacts/{id}`"},
	{"update", "`PATCH /v1/contacts/{id}`"},
	{"link to a main contact", "`PATCH /v1/contacts/{id}` (`mainContactId`)"},
	{"add a note", "`POST /v1/contacts/{id}/notes`"},
	{"contacts linked", "`GET /v1/contacts/{id}/linked`"},
	{"block", "`POST /v1/contacts/{id}/block`"},
	{"delete", "`DELETE /v1/contacts/{id}`"},
	{"start", "`POST /v1/conversations`"},
	{"channels of a contact", "`GET /v1/contacts/{id}/channels`"},
	{"inbound", "inbound worker (one SQS message)"},
}

func routeOf(op string) string {
	for _, r := range routes {
		if strings.HasPrefix(op, r.prefix) {
			return r.route
		}
	}
	return ""
}

func runCapacity(ctx context.Context, cfg *config, r *report) error {
	return withDynamo(ctx, cfg, func(ep string) error {
		out, err := goTest(ctx, cfg, "capacity", []string{"DYNAMODB_ENDPOINT=" + ep},
			"-count=1", "-v", "-run", "^(TestCapacity|TestConversationCapacity)$", "./internal/dynamo")
		if err != nil {
			return err
		}
		list := parseCapacity(out)
		if len(list) == 0 {
			return fmt.Errorf("no capacity lines in the output of TestCapacity")
		}
		for _, u := range list {
			what := u.op
			if route := routeOf(u.op); route != "" {
				what = route + ": " + u.op
			}
			r.add(row{area: "DynamoDB", what: what, result: usageText(u)})
		}
		return nil
	})
}

// usageText is "3 calls (TransactWriteItems, GetItem, BatchGetItem) · 0.5 RCU · 36 WCU".
func usageText(u usage) string {
	var parts []string
	for _, p := range u.parts {
		s := p.op
		if p.calls > 1 {
			s += " ×" + strconv.Itoa(p.calls)
		}
		parts = append(parts, s)
	}
	calls := plural(u.calls, "call")
	if len(parts) > 0 {
		calls += " (" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("%s · %s RCU · %s WCU", calls, num(u.rcu), num(u.wcu))
}

// searchRows label the sub-benchmarks of BenchmarkSearch100k.
var searchRows = []struct{ name, label string }{
	{"GetItem", "GetItem of one contact (baseline, consistent)"},
	{"ListByName", "list by name: `GET /v1/contacts`"},
	{"ListNewest", "list newest first: `sort=-createdAt`"},
	{"NamePrefix", "name prefix: `q=conce`"},
	{"NameTwoWords", "two name words: `q=maria silv`"},
	{"PhoneDigits", "phone digits: `q=1198765` (7 digits)"},
	{"PhoneFull", "full phone: `q=+5511987654321`"},
	{"PhoneSuffix4", "phone suffix: `q=4321` (last 4 digits)"},
	{"Tag", "tag: `tag=<id>`"},
	{"TwoTags", "two tags: `tag=a,b`"},
	{"TagAndOwner", "tag and owner: `tag=<id>&ownerId=agent-3`"},
	{"Owner", "owner (a wallet): `ownerId=agent-3`"},
	{"ListActive", "most recently active first: `sort=-lastActivityAt`"},
	{"ActiveAndOwner", "active first, one owner: `sort=-lastActivityAt&ownerId=agent-3` (filtered rows)"},
	{"NameNoMatch", "worst case, a second word that matches nothing: `q=maria zzzz` (the probe answers)"},
	{"RareSecondTag", "worst case, a rare second tag: `tag=a,rare` (1 contact in 2,000)"},
	{"TagAndOwnerNoMatch", "tag and owner with no match: `tag=rare&ownerId=agent-3`"},
	{"PendingAndTag", "worst case, pending with a tag: `pending=true&tag=a` (none pending)"},
}

// runSearch runs BenchmarkSearch100k on a workspace of cfg.from contacts
// and on one of cfg.contacts, each in a fresh DynamoDB Local, so the rows
// side by side show how a page's cost grows with the workspace.
func runSearch(ctx context.Context, cfg *config, r *report) error {
	sizes := []int{cfg.contacts}
	if cfg.from > 0 && cfg.from < cfg.contacts {
		sizes = []int{cfg.from, cfg.contacts}
	}
	for _, n := range sizes {
		if err := runSearchOn(ctx, cfg, r, n); err != nil {
			return err
		}
	}
	return nil
}

func runSearchOn(ctx context.Context, cfg *config, r *report, contacts int) error {
	return withDynamo(ctx, cfg, func(ep string) error {
		out, err := goTest(ctx, cfg, "search", []string{"DYNAMODB_ENDPOINT=" + ep, "BENCH_CONTACTS=" + strconv.Itoa(contacts)},
			"-count=1", "-run", "^$", "-bench", "^BenchmarkSearch100k$", "-benchtime", cfg.benchtime, "-timeout", "60m", "./internal/dynamo")
		if err != nil {
			return err
		}
		results := parseBench(out)
		base, ok := find(results, "BenchmarkSearch100k/GetItem")
		if !ok {
			return fmt.Errorf("no BenchmarkSearch100k/GetItem result in the output")
		}
		area := "search"
		size := fmt.Sprintf(" (%s contacts)", thousands(contacts))
		known := map[string]bool{}
		for _, s := range searchRows {
			known[s.name] = true
			res, ok := find(results, "BenchmarkSearch100k/"+s.name)
			if !ok {
				r.add(row{area: area, what: s.label + size, result: "not measured: no result in the benchmark output"})
				continue
			}
			r.add(searchRow(area, s.label+size, res, base, s.name == "GetItem"))
		}
		for _, res := range results { // sub-benchmarks added since
			name := strings.TrimPrefix(res.name, "BenchmarkSearch100k/")
			if name != res.name && !known[name] {
				r.add(searchRow(area, name+size, res, base, false))
			}
		}
		return nil
	})
}

func searchRow(area, what string, res, base benchResult, isBase bool) row {
	m := res.metrics
	rows := num(m["rows/op"]) + " rows"
	if m["rows/op"] == 1 {
		rows = "1 row"
	}
	result := fmt.Sprintf("p50 %s ms · p99 %s ms · %s · %s RCU · %s", num(m["p50-ms"]), num(m["p99-ms"]),
		plural(int(m["calls/op"]+0.5), "call"), num(m["RCU/op"]), rows)
	beside := ""
	if !isBase && base.metrics["p50-ms"] > 0 {
		beside = fmt.Sprintf("GetItem p50 %s ms (this ×%s)", num(base.metrics["p50-ms"]), num(m["p50-ms"]/base.metrics["p50-ms"]))
	}
	if isBase {
		result += fmt.Sprintf(" (%d runs)", res.n)
	}
	return row{area: area, what: what, result: result, beside: beside}
}

func runImport(ctx context.Context, cfg *config, r *report) error {
	return withDynamo(ctx, cfg, func(ep string) error {
		out, err := goTest(ctx, cfg, "import", []string{"DYNAMODB_ENDPOINT=" + ep, "BENCH_ROWS=" + strconv.Itoa(cfg.rows)},
			"-count=1", "-run", "^$", "-bench", "^BenchmarkImport$", "-benchtime", "1x", "-timeout", "30m", "./internal/importer")
		if err != nil {
			return err
		}
		what := fmt.Sprintf("CSV of %s rows, new contacts (import worker)", thousands(cfg.rows))
		res, ok := find(parseBench(out), "BenchmarkImport")
		if !ok {
			r.add(row{area: "import", what: what, result: "not measured: `BenchmarkImport` (internal/importer) is not there yet"})
			r.note("Import was not measured: `BenchmarkImport` was not found in `internal/importer`.")
			return nil
		}
		raw := res.metrics["raw-rows/s"]
		r.mu.Lock()
		r.rawRows = raw
		r.mu.Unlock()
		beside := rawText(raw)
		if raw > 0 {
			beside += fmt.Sprintf(" (the import is %s%% of it)", num(100*res.metrics["rows/s"]/raw))
		}
		r.add(row{area: "import", what: what, result: rateText(res.metrics), beside: beside})
		return nil
	})
}

func runExport(ctx context.Context, cfg *config, r *report) error {
	return withDynamo(ctx, cfg, func(ep string) error {
		out, err := goTest(ctx, cfg, "export", []string{"DYNAMODB_ENDPOINT=" + ep, "BENCH_ROWS=" + strconv.Itoa(cfg.rows)},
			"-count=1", "-run", "^$", "-bench", "^BenchmarkExport$", "-benchtime", "1x", "-timeout", "30m", "./internal/export")
		if err != nil {
			return err
		}
		var found []benchResult
		for _, res := range parseBench(out) {
			if res.name == "BenchmarkExport" || strings.HasPrefix(res.name, "BenchmarkExport/") {
				found = append(found, res)
			}
		}
		if len(found) == 0 {
			r.add(row{area: "export", what: fmt.Sprintf("%s contacts", thousands(cfg.rows)), result: "not measured: `BenchmarkExport` (internal/export) is not there yet"})
			r.note("Export was not measured: `BenchmarkExport` was not found in `internal/export`.")
			return nil
		}
		sort.SliceStable(found, func(i, j int) bool { return found[i].name < found[j].name })
		r.mu.Lock()
		raw := r.rawRows
		r.mu.Unlock()
		for _, res := range found {
			format := strings.TrimPrefix(strings.TrimPrefix(res.name, "BenchmarkExport"), "/")
			what := fmt.Sprintf("%s contacts to one file", thousands(cfg.rows))
			if format != "" {
				what = fmt.Sprintf("%s contacts to %s (export worker)", thousands(cfg.rows), strings.ToUpper(format))
			}
			beside := rawText(raw)
			if v := res.metrics["raw-rows/s"]; v > 0 {
				beside = rawText(v)
			} else if raw > 0 {
				beside += " (measured by the import benchmark)"
			}
			r.add(row{area: "export", what: what, result: rateText(res.metrics), beside: beside})
		}
		return nil
	})
}

func rateText(m map[string]float64) string {
	s := fmt.Sprintf("%s rows/s", thousands(int(m["rows/s"]+0.5)))
	if v, ok := m["peak-MiB"]; ok {
		s += fmt.Sprintf(" · peak heap %s MiB", num(v))
	} else {
		s += " · peak memory not reported"
	}
	return s
}

func rawText(raw float64) string {
	if raw <= 0 {
		return "raw BatchWriteItem ceiling not measured"
	}
	return fmt.Sprintf("raw BatchWriteItem %s rows/s", thousands(int(raw+0.5)))
}

// num formats a figure with 3 significant digits at most: 0.47, 8.8, 36, 1043.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100 || v <= -100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10 || v <= -10:
		return trimZero(strconv.FormatFloat(v, 'f', 1, 64))
	case v >= 1 || v <= -1:
		return trimZero(strconv.FormatFloat(v, 'f', 2, 64))
	default:
		return trimZero(strconv.FormatFloat(v, 'f', 3, 64))
	}
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// thousands formats 20000 as "20,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// runBulkDelete runs BenchmarkBulkDelete: every contact of a workspace of
// -rows contacts deleted through the job (expansion, then batches by 8
// workers).
func runBulkDelete(ctx context.Context, cfg *config, r *report) error {
	return withDynamo(ctx, cfg, func(ep string) error {
		out, err := goTest(ctx, cfg, "bulkdelete", []string{"DYNAMODB_ENDPOINT=" + ep, "BENCH_CONTACTS=" + strconv.Itoa(cfg.rows)},
			"-count=1", "-run", "^$", "-bench", "^BenchmarkBulkDelete$", "-benchtime", "1x", "-timeout", "30m", "./internal/bulk")
		if err != nil {
			return err
		}
		what := fmt.Sprintf("delete all of %s contacts (bulk delete job, 8 workers)", thousands(cfg.rows))
		for _, res := range parseBench(out) {
			if res.name == "BenchmarkBulkDelete" {
				r.add(row{area: "bulk delete", what: what, result: fmt.Sprintf("%s contacts/s", thousands(int(res.metrics["contacts/s"]+0.5)))})
				return nil
			}
		}
		r.add(row{area: "bulk delete", what: what, result: "not measured: no result in the benchmark output"})
		return nil
	})
}
