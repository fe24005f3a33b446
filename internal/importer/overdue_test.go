package importer_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/omnichannel/contacts/internal/errs"
	"github.com/omnichannel/contacts/internal/importer"
	"github.com/omnichannel/contacts/internal/jobs"
	"github.com/omnichannel/contacts/internal/lambdaevents"
)

// TestImportWithoutFileEventFailsWhenRead: an import whose file event never
// came (not uploaded, or the event lost after Lambda's retries) is failed
// when read past its landing deadline; one whose file landed waits on its
// queue and is not.
func TestImportWithoutFileEventFailsWhenRead(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	lost := w.start(t, "lost.csv", importer.Create, errs.Portuguese, []byte(googleCSV))
	landed := w.start(t, "landed.csv", importer.Create, errs.English, []byte(googleCSV))
	if got, want := lost.StartBy, lost.CreatedAt.Add(importer.UploadTTL+importer.LandingWait); !got.Equal(want) {
		t.Errorf("StartBy = %v, want %v (the upload URL's life and the landing wait)", got, want)
	}
	q := &queue{}
	e := lambdaevents.Import{Events: &importer.Events{Worker: w.worker, Queue: q}}
	record := events.S3EventRecord{EventSource: "aws:s3", EventName: "ObjectCreated:Put"}
	record.S3.Object.Key = landed.Params["key"]
	if got, err := e.Landed(ctx, record); err != nil || got != "queued" {
		t.Fatalf("Landed = %q, %v; want queued", got, err)
	}

	later := time.Now().Add(importer.UploadTTL + importer.LandingWait + time.Minute)
	js := &jobs.Service{Store: w.jobs.Store, Clock: func() time.Time { return later }}
	got, err := js.Get(ctx, w.caller, lost.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := errs.Message(errs.Portuguese, "job_not_started", nil); got.Status != jobs.Failed || got.Error != want {
		t.Errorf("job without its file event: status %q error %q, want failed with %q", got.Status, got.Error, want)
	}
	if got := w.job(t, landed.ID); got.Status != jobs.Queued || !got.StartBy.After(later) {
		t.Fatalf("landed job: status %q StartBy %v, want queued with a deadline after %v", got.Status, got.StartBy, later)
	}
	list, _, err := js.List(ctx, w.caller, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range list {
		if j.ID == landed.ID && j.Status != jobs.Queued {
			t.Errorf("landed job listed as %q, want queued", j.Status)
		}
	}
}
