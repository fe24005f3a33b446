package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request kinds of the load test, in the order of the table.
var loadKinds = []struct{ kind, label string }{
	{"create", "create: `POST /v1/contacts`"},
	{"search", "search: `GET /v1/contacts` (list, `q=` name prefix, `q=` phone digits, `tag=`)"},
	{"read", "read before an update: `GET /v1/contacts/{id}`"},
	{"update", "update: `PATCH /v1/contacts/{id}` with `If-Match`"},
	{"tag", "tag: `POST /v1/contacts/{id}/tags`"},
}

var (
	loadFirstNames = []string{"Maria", "José", "Ana", "João", "Antônio", "Francisca", "Carlos", "Paulo", "Adriana", "Lucas", "Juliana", "Conceição"}
	loadLastNames  = []string{"Silva", "Santos", "Oliveira", "Souza", "Pereira", "Lima", "Costa", "D'Ávila", "Araújo"}
	loadTags       = []string{"Carga VIP", "Carga Lead", "Carga Cliente", "Carga Inativo"}
)

// tracked is a contact the load test created, with what it must find at
// the end.
type tracked struct {
	mu      sync.Mutex
	id      string
	phone   string // digits after +55
	version int    // of the successful PATCH that set company (0: none)
	company string
	tags    map[string]bool // names put on it with a 200
}

// loadRun is the state of one load test.
type loadRun struct {
	api, token string
	client     *http.Client
	budget     atomic.Int64 // requests left
	deadline   time.Time
	seq        atomic.Int64 // phone numbers
	phoneBase  int

	mu        sync.Mutex
	contacts  []*tracked
	lat       map[string][]time.Duration
	errCount  int
	errs      []string // the first ones
	conflicts int      // 412 on PATCH: another client updated the contact since its read
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func runLoad(ctx context.Context, cfg *config, r *report) error {
	p, err := startPlatform(ctx, cfg)
	if err != nil {
		return err
	}
	ws := "load-" + randHex(4)
	token, err := p.Token("load-owner", ws, "owner")
	if err != nil {
		return err
	}
	lr := &loadRun{
		api: p.APIURL, token: token,
		client:    &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.clients * 2}},
		lat:       map[string][]time.Duration{},
		phoneBase: rand.IntN(50_000_000),
	}
	for _, name := range loadTags {
		resp, err := lr.do(ctx, "POST", "/v1/tags", map[string]any{"name": name}, nil)
		if err != nil || resp.status != http.StatusCreated {
			return fmt.Errorf("create tag %q: %v %s", name, err, lr.describe(resp))
		}
	}

	// Warm-up, not counted: each client does one of each request, so that
	// the timed run does not start on cold functions.
	progress("    warm-up: %d clients, one request of each kind", cfg.clients)
	lr.budget.Store(1 << 30)
	lr.deadline = time.Now().Add(time.Minute)
	var wg sync.WaitGroup
	for c := range cfg.clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 99))
			for _, op := range []string{"create", "search", "update", "tag"} {
				lr.op(ctx, rng, c, op)
			}
		})
	}
	wg.Wait()
	lr.mu.Lock()
	warmErrs, warmReqs := lr.errCount, 0
	for _, d := range lr.lat {
		warmReqs += len(d)
	}
	lr.errCount = 0
	lr.lat = map[string][]time.Duration{}
	lr.mu.Unlock()

	progress("    load: %d clients, at most %d requests or %s", cfg.clients, cfg.requests, secs(cfg.duration))
	lr.budget.Store(int64(cfg.requests))
	began := time.Now()
	lr.deadline = began.Add(cfg.duration)
	for c := range cfg.clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for ctx.Err() == nil && time.Now().Before(lr.deadline) {
				var op string
				switch x := rng.IntN(100); {
				case x < 30:
					op = "create"
				case x < 70:
					op = "search"
				case x < 90:
					op = "update"
				default:
					op = "tag"
				}
				if !lr.op(ctx, rng, c, op) {
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	if err := ctx.Err(); err != nil {
		return err
	}

	progress("    checking every created contact (%d)", len(lr.contacts))
	lost, lostDetails := lr.verify(ctx, cfg.clients)

	lr.mu.Lock()
	defer lr.mu.Unlock()
	var all []time.Duration
	for _, k := range loadKinds {
		d := lr.lat[k.kind]
		all = append(all, d...)
		slices.Sort(d)
		if len(d) == 0 {
			r.add(row{area: "load", what: k.label, result: "no request"})
			continue
		}
		r.add(row{area: "load", what: k.label, result: fmt.Sprintf("%s requests · p50 %s ms · p99 %s ms",
			thousands(len(d)), msText(pct(d, 50)), msText(pct(d, 99)))})
	}
	slices.Sort(all)
	stopped := "the request count"
	if len(all) < cfg.requests {
		stopped = "the duration"
	}
	errs := lr.errCount
	result := fmt.Sprintf("%s requests in %s s: **%s req/s** · p50 %s ms · p99 %s ms · errors %d · 412 conflicts %d",
		thousands(len(all)), num(elapsed.Seconds()), num(float64(len(all))/elapsed.Seconds()),
		msText(pct(all, 50)), msText(pct(all, 99)), errs, lr.conflicts)
	r.add(row{area: "load", what: fmt.Sprintf("all requests, %d concurrent clients", cfg.clients), result: result,
		beside: fmt.Sprintf("bounds: %s requests or %s; stopped by %s; after a warm-up of %d requests (not counted)",
			thousands(cfg.requests), secs(cfg.duration), stopped, warmReqs)})
	r.add(row{area: "load", what: "lost writes", result: fmt.Sprintf("**%d** of %s contacts created", lost, thousands(len(lr.contacts))),
		beside: "each read back (its last successful update and every tag put on it) and found with those tags in the list"})
	if len(lr.errs) > 0 {
		progress("    load errors (first %d):\n      %s", len(lr.errs), strings.Join(lr.errs, "\n      "))
	}
	if len(lostDetails) > 0 {
		progress("    lost writes (first %d):\n      %s", len(lostDetails), strings.Join(lostDetails, "\n      "))
	}
	switch {
	case warmErrs > 0 || errs > 0 || lost > 0:
		return fmt.Errorf("load test: %d errors (%d in the warm-up), %d contacts with a lost write", errs, warmErrs, lost)
	case len(all) == 0:
		return errors.New("load test: no request was made")
	}
	return nil
}

// take reserves n requests of the budget.
func (lr *loadRun) take(n int) bool {
	if lr.budget.Add(int64(-n)) < 0 {
		lr.budget.Add(int64(n))
		return false
	}
	return true
}

// op runs one operation of the mix; false when the budget is spent.
func (lr *loadRun) op(ctx context.Context, rng *rand.Rand, client int, op string) bool {
	lr.mu.Lock()
	n := len(lr.contacts)
	var c *tracked
	if n > 0 {
		c = lr.contacts[rng.IntN(n)]
	}
	lr.mu.Unlock()
	if c == nil && (op == "update" || op == "tag") {
		op = "create"
	}
	switch op {
	case "create":
		if !lr.take(1) {
			return false
		}
		digits := fmt.Sprintf("%08d", (lr.phoneBase+int(lr.seq.Add(1)))%100_000_000)
		doc := map[string]any{
			"name":  loadFirstNames[rng.IntN(len(loadFirstNames))] + " " + loadLastNames[rng.IntN(len(loadLastNames))] + " " + loadLastNames[rng.IntN(len(loadLastNames))],
			"phone": "(11) 9" + digits[:4] + "-" + digits[4:],
		}
		if rng.IntN(3) == 0 {
			doc["email"] = "carga" + digits + "@exemplo.com.br"
		}
		resp, ok := lr.timed(ctx, "create", "POST", "/v1/contacts", doc, nil, http.StatusCreated)
		if !ok {
			return true
		}
		var got struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(resp.body, &got); err != nil || got.ID == "" {
			lr.fail("create: no id in %s", resp.body)
			return true
		}
		lr.mu.Lock()
		lr.contacts = append(lr.contacts, &tracked{id: got.ID, phone: "119" + digits, tags: map[string]bool{}})
		lr.mu.Unlock()
	case "search":
		if !lr.take(1) {
			return false
		}
		q := url.Values{}
		switch rng.IntN(4) {
		case 0:
			q.Set("limit", "20")
		case 1:
			name := []rune(strings.ToLower(loadFirstNames[rng.IntN(len(loadFirstNames))]))
			q.Set("q", string(name[:min(len(name), 3+rng.IntN(3))]))
		case 2:
			if c != nil {
				q.Set("q", c.phone[:7])
			} else {
				q.Set("q", "119")
			}
		case 3:
			q.Set("tag", loadTags[rng.IntN(len(loadTags))])
		}
		lr.timed(ctx, "search", "GET", "/v1/contacts?"+q.Encode(), nil, nil, http.StatusOK)
	case "update":
		if !lr.take(2) {
			return false
		}
		resp, ok := lr.timed(ctx, "read", "GET", "/v1/contacts/"+c.id, nil, nil, http.StatusOK)
		if !ok {
			return true
		}
		company := fmt.Sprintf("Empresa %d-%d", client, rng.IntN(1_000_000))
		resp, ok = lr.timed(ctx, "update", "PATCH", "/v1/contacts/"+c.id, map[string]any{"company": company},
			map[string]string{"If-Match": resp.header.Get("ETag")}, http.StatusOK, http.StatusPreconditionFailed)
		if !ok {
			return true
		}
		if resp.status == http.StatusPreconditionFailed {
			lr.mu.Lock()
			lr.conflicts++
			lr.mu.Unlock()
			return true
		}
		var got struct {
			Version int    `json:"version"`
			Company string `json:"company"`
		}
		if err := json.Unmarshal(resp.body, &got); err != nil || got.Company != company {
			lr.fail("update %s: the response has company %q, want %q", c.id, got.Company, company)
			return true
		}
		c.mu.Lock()
		if got.Version > c.version {
			c.version, c.company = got.Version, company
		}
		c.mu.Unlock()
	case "tag":
		if !lr.take(1) {
			return false
		}
		name := loadTags[rng.IntN(len(loadTags))]
		if _, ok := lr.timed(ctx, "tag", "POST", "/v1/contacts/"+c.id+"/tags", map[string]any{"tags": []string{name}}, nil, http.StatusOK); ok {
			c.mu.Lock()
			c.tags[name] = true
			c.mu.Unlock()
		}
	}
	return true
}

// timed sends a request, records its latency under kind, and counts an
// error unless its status is one of want.
func (lr *loadRun) timed(ctx context.Context, kind, method, path string, body any, headers map[string]string, want ...int) (*response, bool) {
	began := time.Now()
	resp, err := lr.do(ctx, method, path, body, headers)
	d := time.Since(began)
	if err != nil {
		if ctx.Err() == nil {
			lr.fail("%s %s: %v", method, path, err)
		}
		return nil, false
	}
	lr.mu.Lock()
	lr.lat[kind] = append(lr.lat[kind], d)
	lr.mu.Unlock()
	if !slices.Contains(want, resp.status) {
		lr.fail("%s %s: %s", method, path, lr.describe(resp))
		return resp, false
	}
	return resp, true
}

func (lr *loadRun) fail(format string, args ...any) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	lr.errCount++
	if len(lr.errs) < 20 {
		lr.errs = append(lr.errs, fmt.Sprintf(format, args...))
	}
}

func (lr *loadRun) describe(resp *response) string {
	if resp == nil {
		return ""
	}
	body := resp.body
	if len(body) > 300 {
		body = body[:300]
	}
	return fmt.Sprintf("status %d %s", resp.status, body)
}

func (lr *loadRun) do(ctx context.Context, method, path string, body any, headers map[string]string) (*response, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, lr.api+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+lr.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := lr.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

type tagRef struct {
	Name string `json:"name"`
}

// verify reads every created contact back and lists the workspace: it
// returns how many contacts miss a write, and the first few details.
func (lr *loadRun) verify(ctx context.Context, parallel int) (int, []string) {
	var mu sync.Mutex
	bad := map[string]string{}
	miss := func(id, format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := bad[id]; !ok {
			bad[id] = id + ": " + fmt.Sprintf(format, args...)
		}
	}
	work := make(chan *tracked)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for c := range work {
				resp, err := lr.do(ctx, "GET", "/v1/contacts/"+c.id, nil, nil)
				if err != nil || resp.status != http.StatusOK {
					miss(c.id, "read back: %v %s", err, lr.describe(resp))
					continue
				}
				var got struct {
					Company *string  `json:"company"`
					Tags    []tagRef `json:"tags"`
				}
				if err := json.Unmarshal(resp.body, &got); err != nil {
					miss(c.id, "read back: %v", err)
					continue
				}
				if c.version > 0 && (got.Company == nil || *got.Company != c.company) {
					miss(c.id, "company %v, want %q (the update that made version %d)", deref(got.Company), c.company, c.version)
				}
				if want, have := keys(c.tags), tagNames(got.Tags); !slices.Equal(want, have) {
					miss(c.id, "tags %v, want %v", have, want)
				}
			}
		})
	}
	for _, c := range lr.contacts {
		work <- c
	}
	close(work)
	wg.Wait()

	// The list (index entries) must hold every contact with its tags.
	listed := map[string][]string{}
	cursor := ""
	for {
		q := url.Values{"sort": {"-createdAt"}, "limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		resp, err := lr.do(ctx, "GET", "/v1/contacts?"+q.Encode(), nil, nil)
		if err != nil || resp.status != http.StatusOK {
			for _, c := range lr.contacts {
				miss(c.id, "list: %v %s", err, lr.describe(resp))
			}
			break
		}
		var page struct {
			Items []struct {
				ID   string   `json:"id"`
				Tags []tagRef `json:"tags"`
			} `json:"items"`
			NextCursor string `json:"nextCursor"`
		}
		if err := json.Unmarshal(resp.body, &page); err != nil {
			miss("list", "%v", err)
			break
		}
		for _, it := range page.Items {
			listed[it.ID] = tagNames(it.Tags)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	for _, c := range lr.contacts {
		tags, ok := listed[c.id]
		switch {
		case !ok:
			miss(c.id, "not in the list")
		case !slices.Equal(tags, keys(c.tags)):
			miss(c.id, "listed with tags %v, want %v", tags, keys(c.tags))
		}
	}
	var details []string
	for _, d := range bad {
		if len(details) < 10 {
			details = append(details, d)
		}
	}
	slices.Sort(details)
	return len(bad), details
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func tagNames(tags []tagRef) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, t.Name)
	}
	slices.Sort(out)
	return out
}

func deref(s *string) string {
	if s == nil {
		return "null"
	}
	return strconv.Quote(*s)
}

// pct is the p-th percentile of sorted durations, as the benchmarks take it.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[len(d)*p/100]
}
