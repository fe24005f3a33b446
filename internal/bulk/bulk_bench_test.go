package bulk_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/omnichannel/contacts/internal/bulk"
	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/tenant"
)

// memQueue keeps the bulk messages sent.
type memQueue struct {
	mu   sync.Mutex
	msgs []bulk.Message
}

func (q *memQueue) Send(_ context.Context, msgs []bulk.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, msgs...)
	return nil
}

func (q *memQueue) take() []bulk.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.msgs
	q.msgs = nil
	return out
}

// BenchmarkBulkDelete deletes every contact of a workspace of BENCH_CONTACTS
// contacts (default 1,000, each with its lookups, index entries and
// timeline) through the job: the expansion into batches, then the batches
// run by 8 workers at once, as Lambda runs a queue's messages. It reports
// contacts deleted per second.
func BenchmarkBulkDelete(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("BENCH_CONTACTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		client, table := dynamotest.NewTable(b)
		contacts := &dynamo.Contacts{Client: client, Table: table}
		people := &contact.Service{Contacts: contacts, Workspaces: &dynamo.Workspaces{Client: client, Table: table}}
		caller := tenant.Caller{Workspace: "acme", Subject: "owner-1", Role: tenant.Owner}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for k := 0; k < n; k++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(k int) {
				defer wg.Done()
				defer func() { <-sem }()
				_, _, err := people.Create(ctx, caller, contact.CreateRequest{Document: map[string]any{
					"name": fmt.Sprintf("Cliente %d", k), "phone": fmt.Sprintf("+55119%08d", 60000000+k), "email": fmt.Sprintf("c%d@example.com", k),
				}})
				if err != nil {
					b.Error(err)
				}
			}(k)
		}
		wg.Wait()
		finder := &search.Service{Index: &dynamo.Search{Client: client, Table: table}, Contacts: people, Workspaces: people.Workspaces, Tags: &dynamo.Tags{Client: client, Table: table}}
		js := &jobs.Service{Store: &dynamo.Jobs{Client: client, Table: table}}
		q := &memQueue{}
		batches := &dynamo.JobBatches{Client: client, Table: table}
		svc := &bulk.Service{People: people, Jobs: js, Search: finder, Counter: &dynamo.Search{Client: client, Table: table}, Batches: batches, Queue: q}
		w := &bulk.Worker{People: people, Search: finder, Jobs: js.Store, Batches: batches, Queue: q}
		b.StartTimer()
		start := time.Now()
		j, err := svc.Start(ctx, caller, map[string]any{"all": true, "confirmCount": float64(n)})
		if err != nil {
			b.Fatal(err)
		}
		for msgs := q.take(); len(msgs) > 0; msgs = q.take() {
			var run sync.WaitGroup
			work := make(chan bulk.Message)
			for g := 0; g < 8; g++ {
				run.Add(1)
				go func(g int) {
					defer run.Done()
					for m := range work {
						if _, err := w.Handle(ctx, m, fmt.Sprint("run-", g), time.Now().Add(time.Minute)); err != nil {
							b.Error(err)
						}
					}
				}(g)
			}
			for _, m := range msgs {
				work <- m
			}
			close(work)
			run.Wait()
		}
		elapsed := time.Since(start)
		b.StopTimer()
		done, err := js.Store.Get(ctx, "acme", j.ID)
		if err != nil || done.Status != jobs.Succeeded || done.Counts["deleted"] != n {
			b.Fatalf("job = %+v, %v; want %d deleted", done, err, n)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "contacts/s")
	}
}
