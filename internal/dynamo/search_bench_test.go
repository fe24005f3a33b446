package dynamo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/omnichannel/contacts/internal/contact"
	"github.com/omnichannel/contacts/internal/dynamo/dynamotest"
	"github.com/omnichannel/contacts/internal/ids"
	"github.com/omnichannel/contacts/internal/search"
	"github.com/omnichannel/contacts/internal/searchkey"
)

var (
	firstNames = []string{"Maria", "José", "Ana", "João", "Antônio", "Francisca", "Carlos", "Paulo", "Adriana", "Lucas", "Juliana", "Márcia", "Fernanda", "Pedro", "Patrícia", "Aline", "Sandra", "Camila", "Rafael", "Bruno", "Letícia", "Gabriel", "Conceição", "Raimundo", "Sebastião", "Luíza", "Vitória", "Thiago", "Mateus", "Beatriz"}
	lastNames  = []string{"Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas", "D'Ávila", "Conceição", "Araújo", "Cavalcanti"}
	areaCodes  = []string{"11", "21", "31", "41", "51", "61", "71", "81", "85", "91", "19", "27", "48", "62", "98"}
)

// benchFixture is one workspace of n contacts loaded into DynamoDB Local.
type benchFixture struct {
	client *dynamodb.Client
	table  string
	meter  *dynamotest.Meter
	search *Search
	sample *contact.Contact
	tags   []string
	rare   string // a tag on about 1 contact in 2,000
	owners []string
}

var (
	benchOnce sync.Once
	bench     *benchFixture
)

// loadBench writes n realistic contacts (the contact item, its lookups and
// every index entry, exactly as Create writes them) with BatchWriteItem.
func loadBench(b *testing.B) *benchFixture {
	b.Helper()
	benchOnce.Do(func() {
		n := 100_000
		if v, err := strconv.Atoi(os.Getenv("BENCH_CONTACTS")); err == nil && v > 0 {
			n = v
		}
		client, table := dynamotest.NewTable(b)
		f := &benchFixture{client: client, table: table, meter: &dynamotest.Meter{}}
		f.tags = []string{ids.New(time.Now()), ids.New(time.Now().Add(time.Millisecond)), ids.New(time.Now().Add(2 * time.Millisecond))}
		for i := 0; i < 10; i++ {
			f.owners = append(f.owners, fmt.Sprintf("agent-%d", i))
		}
		f.rare = ids.New(time.Now().Add(3 * time.Millisecond))
		rng := rand.New(rand.NewPCG(1, 2))
		start := time.Now()
		items := make(chan types.WriteRequest, 1000)
		var wg sync.WaitGroup
		var loadErr error
		var errOnce sync.Once
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				batch := make([]types.WriteRequest, 0, 25)
				flush := func() {
					if len(batch) == 0 {
						return
					}
					if err := batchWrite(context.Background(), client, table, batch); err != nil {
						errOnce.Do(func() { loadErr = err })
					}
					batch = batch[:0]
				}
				for it := range items {
					batch = append(batch, it)
					if len(batch) == 25 {
						flush()
					}
				}
				flush()
			}()
		}
		counts := map[string]int{} // the family counts Create would keep
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < n; i++ {
			at := base.Add(time.Duration(i) * time.Minute)
			c := &contact.Contact{
				Workspace: "bench", ID: ids.New(at),
				Profile: contact.Profile{
					Name:  firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))] + " " + lastNames[rng.IntN(len(lastNames))],
					Kind:  contact.Person,
					Phone: "+55" + areaCodes[rng.IntN(len(areaCodes))] + "9" + fmt.Sprintf("%08d", rng.IntN(100_000_000)),
				},
				CreatedAt: at, UpdatedAt: at, Version: 1,
			}
			if rng.IntN(3) == 0 {
				c.Email = fmt.Sprintf("cliente%d@exemplo.com.br", i)
			}
			if rng.IntN(2) == 0 {
				c.OwnerID = f.owners[rng.IntN(len(f.owners))]
			}
			for _, t := range f.tags {
				if rng.IntN(5) == 0 {
					c.TagIDs = append(c.TagIDs, t)
				}
			}
			if rng.IntN(2000) == 0 {
				c.TagIDs = append(c.TagIDs, f.rare)
			}
			if i == n/2 {
				f.sample = c
			}
			av, err := marshalContact(c)
			if err != nil {
				b.Fatal(err)
			}
			items <- types.WriteRequest{PutRequest: &types.PutRequest{Item: av}}
			for _, l := range lookups(c) {
				av, _ := attributevalue.MarshalMap(l)
				items <- types.WriteRequest{PutRequest: &types.PutRequest{Item: av}}
			}
			for _, r := range indexRows(c) {
				av, _ := attributevalue.MarshalMap(r)
				items <- types.WriteRequest{PutRequest: &types.PutRequest{Item: av}}
			}
			for _, fam := range families(c) {
				counts[fam]++
			}
		}
		for fam, n := range counts {
			items <- types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				attrPK: &types.AttributeValueMemberS{Value: countPK("bench", fam)}, attrSK: &types.AttributeValueMemberS{Value: countSK(0)},
				"type": &types.AttributeValueMemberS{Value: typeCount}, "n": &types.AttributeValueMemberN{Value: strconv.Itoa(n)},
			}}}
		}
		close(items)
		wg.Wait()
		if loadErr != nil {
			b.Fatal(loadErr)
		}
		fmt.Fprintf(os.Stderr, "loaded %d contacts in %v\n", n, time.Since(start).Round(time.Second))
		metered := dynamodb.New(client.Options(), dynamotest.WithMeter(f.meter))
		f.search = &Search{Client: metered, Table: table}
		f.client = metered
		bench = f
	})
	if bench == nil {
		b.Fatal("bench fixture not loaded")
	}
	return bench
}

// measure runs op b.N times and reports DynamoDB calls and capacity units
// per operation, and latency percentiles.
func measure(b *testing.B, f *benchFixture, op func() int) {
	b.Helper()
	f.meter.Reset()
	lat := make([]time.Duration, 0, b.N)
	rows := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rows += op()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	u := f.meter.Total()
	b.ReportMetric(float64(u.Calls)/float64(b.N), "calls/op")
	b.ReportMetric(u.Read/float64(b.N), "RCU/op")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func (f *benchFixture) find(b *testing.B, q search.Query) int {
	q.Workspace, q.Limit = "bench", 50
	if q.Order == "" {
		q.Order = search.ByName
	}
	page, err := f.search.Find(context.Background(), q)
	if err != nil {
		b.Fatal(err)
	}
	return len(page.Items)
}

// BenchmarkSearch100k measures one page (50 rows) of each kind of search on
// a workspace of 100,000 contacts (BENCH_CONTACTS to change), beside a
// plain GetItem of one contact.
func BenchmarkSearch100k(b *testing.B) {
	f := loadBench(b)
	digits := f.sample.Phone[3:] // national number
	b.Run("GetItem", func(b *testing.B) {
		measure(b, f, func() int {
			_, err := f.client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &f.table, Key: key(contactPK("bench", f.sample.ID), contactSK), ConsistentRead: aws.Bool(true)})
			if err != nil {
				b.Fatal(err)
			}
			return 1
		})
	})
	b.Run("ListByName", func(b *testing.B) { measure(b, f, func() int { return f.find(b, search.Query{}) }) })
	b.Run("ListNewest", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Order: search.ByNewest}) })
	})
	b.Run("ListActive", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Order: search.ByActivity}) })
	})
	b.Run("NamePrefix", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Text: searchkey.ParseQuery("conce")}) })
	})
	b.Run("NameTwoWords", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Text: searchkey.ParseQuery("maria silv")}) })
	})
	b.Run("PhoneDigits", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Text: searchkey.ParseQuery(digits[:7])}) })
	})
	b.Run("PhoneFull", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Text: searchkey.ParseQuery(f.sample.Phone)}) })
	})
	b.Run("PhoneSuffix4", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Text: searchkey.ParseQuery(digits[len(digits)-4:])}) })
	})
	b.Run("Tag", func(b *testing.B) { measure(b, f, func() int { return f.find(b, search.Query{TagIDs: f.tags[:1]}) }) })
	b.Run("TwoTags", func(b *testing.B) { measure(b, f, func() int { return f.find(b, search.Query{TagIDs: f.tags[:2]}) }) })
	b.Run("TagAndOwner", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{TagIDs: f.tags[:1], OwnerID: f.owners[3]}) })
	})
	b.Run("Owner", func(b *testing.B) { measure(b, f, func() int { return f.find(b, search.Query{OwnerID: f.owners[3]}) }) })
	// The worst cases: filters that rarely or never match read their
	// budget and answer a partial page (issue 19).
	b.Run("NameNoMatch", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Text: searchkey.ParseQuery("maria zzzz")}) })
	})
	b.Run("RareSecondTag", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{TagIDs: []string{f.tags[0], f.rare}}) })
	})
	b.Run("TagAndOwnerNoMatch", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{TagIDs: []string{f.rare}, OwnerID: f.owners[3]}) })
	})
	b.Run("PendingAndTag", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Pending: true, TagIDs: f.tags[:1]}) })
	})
	b.Run("ActiveAndOwner", func(b *testing.B) {
		measure(b, f, func() int { return f.find(b, search.Query{Order: search.ByActivity, OwnerID: f.owners[3]}) })
	})
}
